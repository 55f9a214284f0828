#!/usr/bin/env python3
"""ember benchmark helper (make bench). Python 3 standard library only,
except `plot` (python3-matplotlib).

Guest side (run by tests/bench/guest-bench.sh inside the VM):

  bench.py measure --config NAME --group GROUP --out RECORDS.jsonl
                   --irq-regex REGEX --ops SOURCE --parser fio|json
                   --ramp S --runtime S [--raw FILE] [--note TEXT] -- CMD...

    Runs CMD (a closed-loop workload that runs for about ramp + runtime
    seconds, e.g. fio with --ramp_time/--runtime) and appends one JSON
    record to RECORDS.jsonl. Counters are sampled over a steady-state
    window that starts `ramp` seconds after the first operation completes
    (seen on the ops SOURCE) and ends `tail` seconds before CMD is due to
    stop, so start-up, ramp and tear-down are excluded:
      ops           delta of SOURCE: diskstats:DEV (reads+writes completed
                    in /proc/diskstats), file:PATH (a file holding a
                    decimal counter) or ember:PATH (ember.ko's debugfs
                    datapath file: completions= summed over the DBCs)
      irqs/op       delta of the /proc/interrupts rows whose name matches
                    REGEX (all CPUs) / ops; with --irq-counter ember:PATH
                    the driver's own count instead (interrupts= of debugfs
                    datapath summed over the DBCs), the rows' count kept
                    as vector_irqs
      CPU µs/op     delta of busy time in /proc/stat over all CPUs
                    (user+nice+system+irq+softirq+steal; not idle or
                    iowait) / ops
      ops/s, p50/p99 from the workload's own report: --parser fio reads
                    fio's --output-format=json (clat percentiles of the
                    first job); --parser json reads a JSON object with
                    ops_per_s, p50_us, p99_us (optionally lat_p50_us,
                    lat_p99_us, ops) from the file named by --raw, or from
                    CMD's stdout if --raw is not given
  bench.py skip --config NAME --group GROUP --out RECORDS.jsonl --note TEXT
               [--status skipped|not-implemented]
    Appends a record without numbers (default status "skipped").
  bench.py guest-info --out FILE [--idle-seconds S]
    Writes kernel, CPU and fio facts about the guest as JSON; with
    --idle-seconds also the idle guest's background CPU use and interrupts.
  bench.py parallel --copies N --out FILE -- CMD...
    Runs N copies of CMD at once, copy i with "--out FILE.i" appended (a
    workload that writes the JSON --parser json reads, e.g. ember_bench),
    waits for all and writes FILE: ops_per_s and ops summed over the
    copies, p50/p90/p99 the largest copy's (the slowest process), every
    copy's report under "copies". Fails if a copy fails.

Host side (run by tests/bench/run.sh):

  bench.py report --records RECORDS.jsonl --guest-info FILE --meta FILE
                  [--alternate QD1-ALTERNATE.txt] --txt OUT.txt --json OUT.json
    Prints the table and writes it (plus the facts) to OUT.txt and every
    record to OUT.json; with --alternate, the alternating QD1 rounds
    (qd1-alternate.sh's output: medians, and the range of the per-round
    ratios), under "alternating" in the JSON, where the ratios against
    NVMe and the "alternating rounds" lines come from.
  bench.py plot --out OUT.png RESULTS.json...
    Draws the results of one or more runs (report's JSON) into a PNG:
    p50 latency with p90/p99 marks per configuration (ember and NVMe,
    one bar per run), ops/s per configuration, and the ratio lines per
    run. Needs python3-matplotlib (drawn headless, Agg).
"""

import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time

COLUMNS = ("config", "ops/s", "irqs/op", "p50 µs", "p99 µs", "CPU µs/op")


# --- counters ---------------------------------------------------------------


def read_stat():
    """Aggregate 'cpu' line of /proc/stat, in seconds per field."""
    hz = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu "):
                v = [int(x) for x in line.split()[1:]]
                names = ("user", "nice", "system", "idle", "iowait", "irq",
                         "softirq", "steal", "guest", "guest_nice")
                return {n: v[i] / hz for i, n in enumerate(names) if i < len(v)}
    raise RuntimeError("no cpu line in /proc/stat")


def busy_seconds(st):
    """Tick-sampled busy time (guest/guest_nice are inside user/nice)."""
    return sum(st.get(k, 0.0) for k in
               ("user", "nice", "system", "irq", "softirq", "steal"))


def idle_seconds(st):
    """Idle + iowait: measured exactly by the NO_HZ idle accounting, unlike
    the busy fields, which are sampled at each scheduler tick."""
    return st["idle"] + st["iowait"]


def read_interrupts(regex):
    """(matching, total): sums over all CPUs of /proc/interrupts rows whose
    description matches regex, and of every per-CPU row (LOC, RES, ...)."""
    with open("/proc/interrupts") as f:
        ncpu = len(f.readline().split())
        match = total = 0
        for line in f:
            head, _, rest = line.partition(":")
            fields = rest.split()
            counts = []
            for x in fields[:ncpu]:
                if not x.isdigit():
                    break
                counts.append(int(x))
            if len(counts) < ncpu:  # ERR:, MIS: (one column)
                continue
            n = sum(counts)
            total += n
            desc = " ".join(fields[ncpu:])
            if regex and re.search(regex, desc):
                match += n
    return match, total


def read_ember_datapath(path, key):
    """Sum of KEY=N over the "dbc<i> ..." lines of ember's debugfs datapath."""
    total = 0
    with open(path) as f:
        for line in f:
            if not line.startswith("dbc"):
                continue
            for word in line.split()[1:]:
                k, _, v = word.partition("=")
                if k == key:
                    total += int(v)
    return total


def read_ops(source):
    kind, _, arg = source.partition(":")
    if kind == "ember":
        return read_ember_datapath(arg, "completions")
    if kind == "diskstats":
        with open("/proc/diskstats") as f:
            for line in f:
                p = line.split()
                if len(p) > 7 and p[2] == arg:
                    return int(p[3]) + int(p[7])  # reads + writes completed
        raise RuntimeError(f"{arg} not in /proc/diskstats")
    if kind == "file":
        with open(arg) as f:
            return int(f.read().split()[0])
    raise RuntimeError(f"unknown ops source {source!r}")


def read_irq_counter(source):
    kind, _, arg = source.partition(":")
    if kind == "ember":
        return read_ember_datapath(arg, "interrupts")
    raise RuntimeError(f"unknown interrupt counter {source!r}")


def snapshot(args):
    irq, irq_all = read_interrupts(args.irq_regex)
    snap = {
        "t": time.monotonic(),
        "ops": read_ops(args.ops),
        "irqs": irq,
        "irqs_all": irq_all,
        "stat": read_stat(),
    }
    if args.irq_counter:
        snap["vector_irqs"] = irq
        snap["irqs"] = read_irq_counter(args.irq_counter)
    return snap


# --- workload reports -------------------------------------------------------


def parse_fio(text):
    """Numbers from fio --output-format=json (first job, reads+writes)."""
    # fio may print warnings before the JSON document.
    doc = json.loads(text[text.index("{"):])
    job = doc["jobs"][0]
    if job.get("error"):
        raise RuntimeError(f"fio job error {job['error']}")
    d = job["read"] if job["read"]["total_ios"] else job["write"]
    pct = d["clat_ns"].get("percentile", {})
    lpct = d.get("lat_ns", {}).get("percentile", {})
    runtime_s = job.get("job_runtime", d["runtime"]) / 1000.0
    ios = d["total_ios"]
    cpu_s = (job["usr_cpu"] + job["sys_cpu"]) / 100.0 * runtime_s
    if "50.000000" not in lpct:
        raise RuntimeError("fio JSON has no lat_ns percentiles (--lat_percentiles=1)")
    out = {
        "ops_per_s": d["iops"],
        # Total latency, submission to completion (fio's lat = slat + clat):
        # clat alone starts when the submitting call returns, which with
        # io_uring at QD1 is often after the completion (clat p50 ~2 µs).
        "p50_us": lpct["50.000000"] / 1000.0,
        "p90_us": lpct["90.000000"] / 1000.0 if "90.000000" in lpct else None,
        "p99_us": lpct["99.000000"] / 1000.0,
        "clat_p50_us": pct["50.000000"] / 1000.0 if pct else None,
        "clat_p99_us": pct["99.000000"] / 1000.0 if pct else None,
        "clat_mean_us": d["clat_ns"]["mean"] / 1000.0,
        "slat_mean_us": d["slat_ns"]["mean"] / 1000.0,
        "lat_mean_us": d["lat_ns"]["mean"] / 1000.0,
        "fio_ios": ios,
        "fio_runtime_s": runtime_s,
        "fio_usr_cpu_pct": job["usr_cpu"],
        "fio_sys_cpu_pct": job["sys_cpu"],
        "fio_ctx": job.get("ctx"),
        "fio_cpu_us_per_op": cpu_s * 1e6 / ios if ios else None,
        "fio_version": doc.get("fio version"),
    }
    return out


def parse_json(text):
    doc = json.loads(text[text.index("{"):])
    for k in ("ops_per_s", "p50_us", "p99_us"):
        if k not in doc:
            raise RuntimeError(f"workload JSON lacks {k}")
    return doc


# --- subcommands ------------------------------------------------------------


def append_record(path, rec):
    with open(path, "a") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")


def cmd_measure(args):
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        sys.exit("bench.py measure: no command")
    rec = {"config": args.config, "group": args.group, "status": "ok",
           "command": cmd, "window": {}}
    if args.note:
        rec["note"] = args.note
    tail = min(0.5, args.runtime / 10.0)
    ops0 = read_ops(args.ops)
    t_launch = time.monotonic()
    stdout = subprocess.PIPE if not args.raw else sys.stderr
    proc = subprocess.Popen(cmd, stdout=stdout, text=True)
    out_text = ""
    try:
        # The workload's clock starts at its first completed operation.
        deadline = t_launch + args.ramp + args.runtime + 30
        while read_ops(args.ops) == ops0:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("workload did no operation")
            time.sleep(0.02)
        t_first = time.monotonic()
        time.sleep(max(0.0, t_first + args.ramp - time.monotonic()))
        a = snapshot(args)
        time.sleep(max(0.0, t_first + args.ramp + args.runtime - tail -
                       time.monotonic()))
        b = snapshot(args)
        still_running = proc.poll() is None
        if stdout == subprocess.PIPE:
            out_text, _ = proc.communicate(timeout=args.runtime + 60)
        rc = proc.wait(timeout=args.runtime + 60)
        if rc != 0:
            raise RuntimeError(f"workload exited with status {rc}")
        if args.raw:
            with open(args.raw) as f:
                out_text = f.read()
        rep = parse_fio(out_text) if args.parser == "fio" else parse_json(out_text)
    except Exception as e:  # record the failure, keep the other configs going
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        rec.update(status="failed", note=str(e))
        append_record(args.out, rec)
        print(f"bench: {args.config}: FAILED: {e}", file=sys.stderr)
        return 1

    ops = b["ops"] - a["ops"]
    dt = b["t"] - a["t"]
    ncpu = os.cpu_count()
    # Busy = all CPUs' time in the window minus their (precisely accounted)
    # idle and iowait time; the tick-sampled sum is kept for comparison.
    busy = dt * ncpu - (idle_seconds(b["stat"]) - idle_seconds(a["stat"]))
    busy_ticks = busy_seconds(b["stat"]) - busy_seconds(a["stat"])
    cats = {k: round(b["stat"][k] - a["stat"][k], 3) for k in b["stat"]}
    rec["window"] = {
        "seconds": round(dt, 3),
        "start_after_first_op_s": round(a["t"] - t_first, 3),
        "first_op_after_launch_s": round(t_first - t_launch, 3),
        "ops": ops,
        "ops_per_s": ops / dt if dt > 0 else None,
        "irqs": b["irqs"] - a["irqs"],
        "irqs_all": b["irqs_all"] - a["irqs_all"],
        "irq_source": args.irq_counter or f"/proc/interrupts /{args.irq_regex}/",
        "cpus": ncpu,
        "cpu_busy_s": round(busy, 3),
        "cpu_busy_sampled_s": round(busy_ticks, 3),
        "cpu_s_by_kind": cats,
        "ended_before_workload": still_running,
    }
    if "vector_irqs" in a:
        rec["window"]["vector_irqs"] = b["vector_irqs"] - a["vector_irqs"]
    if ops <= 0:
        rec.update(status="failed", note="no operations in the measurement window")
    elif not still_running:
        rec["note"] = (rec.get("note", "") + " workload ended inside the "
                       "measurement window").strip()
    rec.update(rep)
    if ops > 0:
        rec["irqs_per_op"] = rec["window"]["irqs"] / ops
        rec["all_irqs_per_op"] = rec["window"]["irqs_all"] / ops
        rec["cpu_us_per_op"] = busy * 1e6 / ops
        rec["cpu_sampled_us_per_op"] = busy_ticks * 1e6 / ops
        if "vector_irqs" in rec["window"]:
            rec["vector_irqs_per_op"] = rec["window"]["vector_irqs"] / ops
        if args.expect_no_irqs and rec["irqs_per_op"] > 0.5:
            rec["note"] = (rec.get("note", "") + " NOT POLLED: the device still "
                           "raised an interrupt per operation").strip()
    append_record(args.out, rec)
    print(f"bench: {args.config}: " + "  ".join(
        f"{c}={v}" for c, v in zip(COLUMNS[1:], row_cells(rec)[1:])),
        file=sys.stderr)
    return 0 if rec["status"] == "ok" else 1


def cmd_parallel(args):
    """N copies of a JSON-reporting workload at once, one merged report."""
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd or args.copies < 1:
        sys.exit("bench.py parallel: needs --copies N >= 1 and a command")
    outs = [f"{args.out}.{i}" for i in range(args.copies)]
    procs = [subprocess.Popen(cmd + ["--out", o]) for o in outs]
    rcs = [p.wait() for p in procs]
    if any(rcs):
        print(f"bench: parallel: exit status of the copies {rcs}", file=sys.stderr)
        return 1
    reps = []
    for o in outs:
        with open(o) as f:
            reps.append(parse_json(f.read()))
    merged = {
        "copies": reps,
        "processes": args.copies,
        "ops_per_s": sum(r["ops_per_s"] for r in reps),
        "ops": sum(r.get("ops", 0) for r in reps),
        "bad_jobs": sum(r.get("bad_jobs", 0) for r in reps),
        "dbcs": sorted(r.get("dbc", -1) for r in reps),
        "ops_per_s_by_copy": [r["ops_per_s"] for r in reps],
    }
    for k in ("p50_us", "p90_us", "p99_us", "max_us"):
        vals = [r[k] for r in reps if r.get(k) is not None]
        merged[k] = max(vals) if vals else None
    for k in ("api", "depth", "bytes", "service_ns", "service", "irq_mode",
              "irq_mitigation"):
        if k in reps[0]:
            merged[k] = reps[0][k]
    with open(args.out, "w") as f:
        json.dump(merged, f, sort_keys=True)
        f.write("\n")
    return 0


def cmd_guest_info(args):
    info = {"kernel": platform.release(), "ncpu": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            info["cpu_model"] = m.group(1) if m else None
        with open("/proc/meminfo") as f:
            info["mem_total"] = f.readline().split(":")[1].strip()
        info["fio"] = subprocess.run(["fio", "--version"], capture_output=True,
                                     text=True).stdout.strip()
    except OSError as e:
        info["error"] = str(e)
    for k, p in (("nvme_model", "/sys/class/nvme/nvme0/model"),
                 ("nvme_firmware", "/sys/class/nvme/nvme0/firmware_rev"),
                 ("clocksource", "/sys/devices/system/clocksource/"
                  "clocksource0/current_clocksource")):
        try:
            with open(p) as f:
                info[k] = f.read().strip()
        except OSError:
            pass
    if args.idle_seconds > 0:
        # Background load of the otherwise idle guest over the same kind of
        # window: part of every configuration's CPU µs/op.
        a_irq, a_st, a_t = read_interrupts("")[1], read_stat(), time.monotonic()
        time.sleep(args.idle_seconds)
        b_irq, b_st, b_t = read_interrupts("")[1], read_stat(), time.monotonic()
        dt = b_t - a_t
        busy = dt * os.cpu_count() - (idle_seconds(b_st) - idle_seconds(a_st))
        info["idle_busy_cpus"] = round(busy / dt, 4)
        info["idle_irqs_per_s"] = round((b_irq - a_irq) / dt, 1)
    with open(args.out, "w") as f:
        json.dump(info, f, indent=1, sort_keys=True)
    return 0


# --- report -----------------------------------------------------------------


def fmt(v, digits):
    if v is None:
        return "-"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def row_cells(r):
    if r.get("status") != "ok":
        return [r["config"]] + ["-"] * 5
    irqs = r.get("irqs_per_op")
    # Mitigated rows take an interrupt per hundreds of operations: show it.
    irq_digits = 4 if irqs is not None and 0 < irqs < 0.1 else 2
    return [r["config"], fmt(r.get("ops_per_s"), 0), fmt(irqs, irq_digits),
            fmt(r.get("p50_us"), 1), fmt(r.get("p99_us"), 1),
            fmt(r.get("cpu_us_per_op"), 1)]


def table(records):
    rows = [list(COLUMNS)] + [row_cells(r) for r in records]
    w = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = []
    for i, row in enumerate(rows):
        cells = [row[0].ljust(w[0])] + [c.rjust(w[j]) for j, c in
                                        enumerate(row) if j > 0]
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append("|" + "|".join("-" * (x + 2) for x in w[:1]) + "|" +
                         "|".join("-" * (x + 1) + ":" for x in w[1:]) + "|")
    return lines


# A RATIOS numerator or denominator that starts with this names a loop of
# the alternating QD1 section (qd1-alternate.sh), not a row: the value is
# its median over the rounds, and the line adds the per-round spread.
ALT = "alternating:"

# The ratios issue 11 tracks, as (label, numerator, denominator, field):
# each printed as its own line when both sides were measured.
RATIOS = (
    # Lone jobs against NVMe: from the alternating rounds, where ember's and
    # NVMe's loops run back to back in short processes, so that both sides
    # meet the emulator's per-process speed alike (TCG runs one process's
    # loop at 86-176 M guest instructions a second with the same
    # instructions a job: docs/performance.md, "Lone jobs against NVMe");
    # then the same from the separate rows, one 10 s process each.
    ("ember QD1 p50 / NVMe pvsync2 irq p50", ALT + "ember-irq",
     ALT + "nvme-pvsync2-irq", "p50_us"),
    ("ember QD1 CPU/op / NVMe pvsync2 irq CPU/op", ALT + "ember-irq",
     ALT + "nvme-pvsync2-irq", "cpu_us_per_op"),
    ("ember polled QD1 p50 / NVMe io_uring polled p50", ALT + "ember-polling",
     ALT + "nvme-io_uring-poll", "p50_us"),
    ("ember polled QD1 CPU/op / NVMe io_uring polled CPU/op", ALT + "ember-polling",
     ALT + "nvme-io_uring-poll", "cpu_us_per_op"),
    ("ember waiter-poll QD1 p50 / NVMe io_uring polled p50", ALT + "ember-wait-poll",
     ALT + "nvme-io_uring-poll", "p50_us"),
    ("ember QD1 p50 / NVMe pvsync2 irq p50, separate rows", "ember mitigation on QD1",
     "nvme pvsync2 irq", "p50_us"),
    ("ember QD1 CPU/op / NVMe pvsync2 irq CPU/op, separate rows",
     "ember mitigation on QD1", "nvme pvsync2 irq", "cpu_us_per_op"),
    ("ember polled QD1 p50 / NVMe io_uring polled p50, separate rows",
     "ember polling QD1", "nvme io_uring poll", "p50_us"),
    ("ember waiter-poll QD1 p50 / NVMe io_uring polled p50, separate rows",
     "ember waiter poll QD1", "nvme io_uring poll", "p50_us"),
    # The stream with mitigation on / off: one stream loop that switches
    # datapath_irq_mitigation between Y and N every 1024 jobs (ember_bench
    # --alternate-param), each value's jobs/s and CPU per job over its own
    # windows; then the control (Y and Y); then the separate rows, and two
    # rows of the same configuration (mitigation on, raw ioctls) minutes
    # apart: the drift and steal spells that the interleaved loop cancels.
    # Interrupts per job from the separate rows: each "on" block of the
    # interleaved loop starts with a few interrupts (about 5 in 1024 jobs)
    # before the adaptive window holds, which caps its ratio near 200.
    ("stream jobs/s mitigation on / off", "ember mitigation interleaved stream",
     "ember mitigation interleaved stream", ("by_param.a.ops_per_s", "by_param.b.ops_per_s")),
    ("stream CPU/job mitigation on / off", "ember mitigation interleaved stream",
     "ember mitigation interleaved stream",
     ("by_param.a.cpu_us_per_op", "by_param.b.cpu_us_per_op")),
    ("stream interrupts/job mitigation off / on", "ember mitigation off stream",
     "ember mitigation on stream", "irqs_per_op"),
    ("stream jobs/s mitigation on / on, interleaved (control)",
     "ember mitigation control stream", "ember mitigation control stream",
     ("by_param.a.ops_per_s", "by_param.b.ops_per_s")),
    ("stream CPU/job mitigation on / on, interleaved (control)",
     "ember mitigation control stream", "ember mitigation control stream",
     ("by_param.a.cpu_us_per_op", "by_param.b.cpu_us_per_op")),
    ("stream jobs/s mitigation on / off, separate rows", "ember mitigation on stream",
     "ember mitigation off stream", "ops_per_s"),
    ("stream CPU/job mitigation on / off, separate rows", "ember mitigation on stream",
     "ember mitigation off stream", "cpu_us_per_op"),
    ("stream jobs/s mitigation on / on, separate rows (control)",
     "ember mitigation on stream", "ember raw stream", "ops_per_s"),
    # A lone job with mitigation on / off: one QD1 loop that switches
    # datapath_irq_mitigation between Y and N every 256 jobs (ember_bench
    # --alternate-param), each value's jobs' p50; then the same loop
    # switching between Y and Y, the control (1.00 but for the method's
    # own noise); then the alternating rounds (processes of 3 s); then the
    # separate rows, whose drift the last line shows: two rows of the same
    # configuration (QD1 with mitigation on, raw ioctls), minutes apart.
    ("lone-job p50 mitigation on / off", "ember mitigation interleaved QD1",
     "ember mitigation interleaved QD1", ("by_param.a.p50_us", "by_param.b.p50_us")),
    ("lone-job p50 mitigation on / on, interleaved (control)",
     "ember mitigation control QD1", "ember mitigation control QD1",
     ("by_param.a.p50_us", "by_param.b.p50_us")),
    ("lone-job p50 mitigation on / off, alternating rounds", ALT + "ember-irq",
     ALT + "ember-irq-unmitigated", "p50_us"),
    ("lone-job p50 mitigation on / off, separate rows", "ember mitigation on QD1",
     "ember mitigation off QD1", "p50_us"),
    ("lone-job p50 mitigation on / on, separate rows (control)",
     "ember mitigation on QD1", "ember raw QD1", "p50_us"),
    ("QD1 p50 direct submit / scheduler submit", "ember mitigation on QD1",
     "ember scheduler submit QD1", "p50_us"),
    ("QD1 CPU/op direct submit / scheduler submit", "ember mitigation on QD1",
     "ember scheduler submit QD1", "cpu_us_per_op"),
    ("QD1 p50 one call (EXECUTE_BO waits) / two calls", "ember mitigation on QD1",
     "ember two calls QD1", "p50_us"),
    ("QD1 CPU/op one call (EXECUTE_BO waits) / two calls", "ember mitigation on QD1",
     "ember two calls QD1", "cpu_us_per_op"),
    ("QD1 p50 IRQ steered to the submitter / on the other CPU",
     "ember mitigation on QD1", "ember IRQ not steered QD1", "p50_us"),
    ("single MSI QD1 p50 / MSI-X QD1 p50", "ember single MSI QD1",
     "ember mitigation on QD1", "p50_us"),
    # libember's overhead: the QD1 loop through its C / C++ API against raw
    # ioctls, job by job in turn in one process (ember_bench --api mix:
    # same client, DBC and BOs), then as separate rows back to back.
    ("libember C / raw QD1 p50", "ember API interleaved QD1",
     "ember API interleaved QD1", ("by_api.c.p50_us", "by_api.raw.p50_us")),
    ("libember C++ / raw QD1 p50", "ember API interleaved QD1",
     "ember API interleaved QD1", ("by_api.cpp.p50_us", "by_api.raw.p50_us")),
    ("libember C / raw QD1 p50, separate rows", "ember libember C QD1",
     "ember raw QD1", "p50_us"),
    ("libember C++ / raw QD1 p50, separate rows", "ember libember C++ QD1",
     "ember raw QD1", "p50_us"),
    ("libember C / raw QD1 CPU/op", "ember libember C QD1", "ember raw QD1",
     "cpu_us_per_op"),
    ("libember C++ / raw QD1 CPU/op", "ember libember C++ QD1", "ember raw QD1",
     "cpu_us_per_op"),
    ("libember C / raw stream jobs/s", "ember libember C stream",
     "ember raw stream", "ops_per_s"),
    ("libember C++ / raw stream jobs/s", "ember libember C++ stream",
     "ember raw stream", "ops_per_s"),
    # DBCs in parallel: one process per DBC, 200 µs a job.
    ("jobs/s 2 DBCs / 1 DBC", "ember 2 DBCs busy", "ember 1 DBC busy",
     "ops_per_s"),
    ("jobs/s 4 DBCs / 1 DBC", "ember 4 DBCs busy", "ember 1 DBC busy",
     "ops_per_s"),
)


def field_of(rec, path):
    """rec's value at a dotted path ("by_api.c.p50_us"), or None."""
    v = rec
    for k in path.split("."):
        if not isinstance(v, dict):
            return None
        v = v.get(k)
    return v


# (Fields after these are ignored: older outputs had "irq-completed".)
ALT_LINE = re.compile(r"^(\S+) p50 ([0-9.]+) cpu/op ([0-9.]+) ops ([0-9]+)"
                      r"(?: irqs/job ([0-9.]+) hardirq-only ([0-9.]+))?(?: .*)?$")


def parse_alternate(path):
    """qd1-alternate.sh's output: {"rounds": [{run: {field: value}}]}, and
    per run the medians over the rounds and the p50's range."""
    rounds = []
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    for line in lines:
        if line.startswith("--- round"):
            rounds.append({})
            continue
        m = ALT_LINE.match(line.strip())
        if m and rounds:
            run = {"p50_us": float(m.group(2)), "cpu_us_per_op": float(m.group(3)),
                   "ops": int(m.group(4))}
            if m.group(5) is not None:
                run["irqs_per_op"] = float(m.group(5))
                run["hardirq_only"] = float(m.group(6))
            rounds[-1][m.group(1)] = run
    medians = {}
    for name in {n for r in rounds for n in r}:
        runs = [r[name] for r in rounds if name in r]
        med = {"rounds": len(runs)}
        for field in ("p50_us", "cpu_us_per_op", "irqs_per_op", "hardirq_only"):
            vals = [x[field] for x in runs if field in x]
            if vals:
                med[field] = statistics.median(vals)
        med["p50_us_range"] = [min(x["p50_us"] for x in runs), max(x["p50_us"] for x in runs)]
        medians[name] = med
    return {"rounds": rounds, "medians": medians} if rounds else {}


def ratio_values(records, alternating=None):
    """[(label, numerator, denominator)] of RATIOS; None where not measured.
    A field is one dotted path for both sides or a pair (numerator's,
    denominator's); a side named ALT + loop is that loop's median over the
    rounds of @alternating (parse_alternate())."""
    by = {r["config"]: r for r in records if r.get("status") == "ok"}
    med = (alternating or {}).get("medians", {})

    def value(side, path):
        if side.startswith(ALT):
            return field_of(med.get(side[len(ALT):], {}), path)
        return field_of(by.get(side, {}), path)
    out = []
    for label, num, den, field in RATIOS:
        fn, fd = field if isinstance(field, tuple) else (field, field)
        out.append((label, value(num, fn), value(den, fd)))
    return out


def alt_spread(alternating, label):
    """'; per round a-b, n rounds' of a RATIOS line between two alternating
    loops, or ''."""
    for lab, num, den, field in RATIOS:
        if lab != label or not (num.startswith(ALT) and den.startswith(ALT)):
            continue
        num, den = num[len(ALT):], den[len(ALT):]
        per = [r[num][field] / r[den][field] for r in alternating.get("rounds", [])
               if num in r and den in r and r[den][field]]
        if per:
            return f"; per round {min(per):.2f}-{max(per):.2f}, {len(per)} rounds"
    return ""


def ratio_lines(records, alternating=None):
    lines = []
    for label, a, b in ratio_values(records, alternating):
        spread = alt_spread(alternating, label) if alternating else ""
        if a is None or b is None:
            lines.append(f"{label}: - (not measured)")
        elif b == 0:
            lines.append(f"{label}: inf ({a:.4g} / 0)")
        else:
            lines.append(f"{label}: {a / b:.2f} ({a:.4g} / {b:.4g}{spread})")
    return lines


def cmd_report(args):
    records = []
    if os.path.exists(args.records):
        with open(args.records) as f:
            records = [json.loads(line) for line in f if line.strip()]

    def load(path):
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}
    guest, meta = load(args.guest_info), load(args.meta)
    alternating = parse_alternate(args.alternate) if args.alternate else {}

    out = []
    out.append(f"ember benchmark {meta.get('timestamp', '')}"
               f"  (QEMU {meta.get('qemu_version', '?')} TCG,"
               f" {meta.get('smp', '?')} vCPU, {meta.get('ram', '?')} RAM;"
               f" guest kernel {guest.get('kernel', '?')};"
               f" {guest.get('fio', 'fio ?')})")
    out.append(f"host: {meta.get('host_cpu', '?')}, {meta.get('host_ncpu', '?')} CPUs;"
               f" ramp {meta.get('ramp', '?')} s + {meta.get('runtime', '?')} s"
               f" per config; QEMU threads pinned {meta.get('pin', '?')};"
               f" VM ran {meta.get('vm_seconds', '?')} s")
    others = max(meta.get("other_qemu_before", 0), meta.get("other_qemu_after", 0))
    other_cpus = meta.get("host_other_cpus_during", 0)
    if others or other_cpus > 0.1:
        out.append(f"WARNING: the host was not idle: other work used {other_cpus:.2f}"
                   f" of its {meta.get('host_ncpu', '?')} CPUs on average,"
                   f" {others} other QEMU process(es) at the start or end:"
                   " the numbers are disturbed; rerun on an idle host")
    stolen = meta.get("host_stolen_cpus_during", 0)
    if stolen > 0.02:
        out.append(f"WARNING: this host is a virtual machine and its hypervisor took {stolen:.3f}"
                   f" of its {meta.get('host_ncpu', '?')} CPUs on average during the run"
                   " (steal in /proc/stat), in spells: rows measured in one are disturbed;"
                   " tests/bench/device-pace.sh shows the effect")
    out.append("")
    groups = []
    for r in records:
        if r["group"] not in groups:
            groups.append(r["group"])
    measured = [r for r in records if r.get("status") != "not-implemented"]
    out += table(measured)
    out.append("")
    out.append("ratios (this run; against NVMe and 'alternating rounds': the QD1"
               " loops of qd1-alternate.sh, medians of their rounds):")
    out += ["  " + line for line in ratio_lines(records, alternating)]
    out.append("")
    for r in records:
        if r.get("status") == "not-implemented" or not r.get("note"):
            continue
        st = "" if r.get("status") == "ok" else r["status"] + ": "
        out.append(f"{r['config']}: {st}{r['note']}")
    for r in records:
        if r.get("status") == "ok" and isinstance(r.get("by_api"), dict):
            out.append(f"{r['config']}: each path's p50 / p99 µs (jobs): " + ", ".join(
                f"{k} {fmt(v.get('p50_us'), 1)} / {fmt(v.get('p99_us'), 1)} ({v.get('ops', 0):,})"
                for k, v in r["by_api"].items()))
        if r.get("status") == "ok" and isinstance(r.get("by_param"), dict):
            out.append(f"{r['config']}: {r.get('alternate_param', '?')} in turn every"
                       f" {r.get('alternate_every', '?')} jobs; each value's p50 / p99 µs,"
                       " jobs/s, CPU µs/job, irqs/job (jobs, windows): "
                       + ", ".join(f"{v.get('value')} {fmt(v.get('p50_us'), 1)} /"
                                   f" {fmt(v.get('p99_us'), 1)}, {fmt(v.get('ops_per_s'), 0)},"
                                   f" {fmt(v.get('cpu_us_per_op'), 1)},"
                                   f" {fmt(v.get('irqs_per_op'), 4)}"
                                   f" ({v.get('ops', 0):,}, {v.get('windows', 0)})"
                                   for _, v in sorted(r["by_param"].items())))
    for g in groups:
        for r in records:
            if r["group"] == g and r.get("status") == "not-implemented":
                out.append(f"{g}: {r.get('note', 'not implemented')}")
    out.append("")
    out.append("ops/s, p50/p99: the workload's report (fio: IOPS; total latency"
               " = submission to completion, lat_ns percentiles).")
    if "ember" in groups:
        out.append("ember: ember_bench, 64-byte jobs checked byte for byte; ops/s"
                   " after the ramp, latency = EXECUTE_BO to WAIT_BO's return;"
                   " 'stream' rows keep several BOs in flight on a DBC with a"
                   " service time (see the notes), so their latency includes"
                   " queueing; 'QD1' rows run a lone job at a time, no service time."
                   " 'raw' / 'libember C' / 'libember C++': the same loops through raw"
                   " ioctls, libember's C API, its C++ API; 'N DBCs busy': N processes"
                   " at once, one DBC each, unpinned, jobs/s summed, latency the"
                   " slowest process's.")
    if "idle_busy_cpus" in guest:
        out.append(f"idle guest: {guest['idle_busy_cpus']:.3f} CPUs busy,"
                   f" {guest['idle_irqs_per_s']:.0f} interrupts/s (background,"
                   " included in CPU µs/op)")
    out.append("irqs/op: the device's vectors in /proc/interrupts (ember: the"
               " DBC interrupts the driver counted, debugfs datapath); CPU µs/op:"
               " non-idle time of all guest CPUs (/proc/stat); both per operation"
               " completed")
    out.append("(/proc/diskstats; ember: debugfs datapath completions) over the"
               " steady-state window. TCG: emulated CPU, wall-clock time; not"
               " hardware numbers (docs/performance.md).")
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    with open(args.txt, "w") as f:
        f.write(text)
    doc = {"meta": meta, "guest": guest, "columns": list(COLUMNS),
           "results": records, "alternating": alternating,
           "ratios": ratio_lines(records, alternating),
           "ratio_values": {label: (a / b if a is not None and b else None)
                            for label, a, b in ratio_values(records, alternating)}}
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    bad = [r for r in records if r.get("status") == "failed"]
    return 1 if bad or not records else 0


# --- plot -------------------------------------------------------------------


def cmd_plot(args):
    """PNG of one or more runs' report JSON (matplotlib, headless)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch
        from matplotlib.ticker import FuncFormatter
    except ImportError as e:
        print(f"bench: plot: {e} (install python3-matplotlib: make deps)",
              file=sys.stderr)
        return 1
    runs = []
    for path in args.results:
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print(f"bench: plot: {path}: {e}", file=sys.stderr)
            return 1
        ok = [r for r in doc.get("results", []) if r.get("status") == "ok"]
        name = doc.get("meta", {}).get("timestamp") or os.path.basename(path)
        if doc.get("meta", {}).get("quick"):
            name += " (--quick)"
        runs.append((name, ok, doc.get("alternating") or {}))
    configs = []
    for _, recs, _ in runs:
        for r in recs:
            if r["config"] not in configs:
                configs.append(r["config"])
    if not configs:
        print("bench: plot: no measured configuration in the results", file=sys.stderr)
        return 1
    ratios = [label for label, *_ in RATIOS]
    n = len(runs)
    colors = {"nvme": "tab:blue", "ember": "tab:orange"}
    shades = [1.0, 0.65, 0.4, 0.25]

    # Inches: 0.28 a row per run-ish, 0.8 for title and legend, 0.9
    # between the panels (axis labels), 0.6 below.
    rows_top = len(configs) * max(1.0, n * 0.6) * 0.28
    rows_bottom = len(ratios) * max(1.0, n * 0.6) * 0.25
    gap, head, foot = 0.9, 0.8, 0.6
    height = rows_top + rows_bottom + gap + head + foot
    # inches; left: room for the longest label (about 0.062 in a character)
    width = 14.0
    left = max(3.4, 0.062 * max(len(label) for label in ratios + configs))
    fig = plt.figure(figsize=(width, height))
    gs = fig.add_gridspec(2, 2, height_ratios=[rows_top, rows_bottom],
                          width_ratios=[3, 2], wspace=0.05,
                          hspace=gap / ((rows_top + rows_bottom) / 2),
                          top=1 - head / height, bottom=foot / height,
                          left=left / width, right=1 - 0.3 / width)
    ax_lat = fig.add_subplot(gs[0, 0])
    ax_ops = fig.add_subplot(gs[0, 1], sharey=ax_lat)
    ax_rat = fig.add_subplot(gs[1, :])
    bar = 0.8 / n

    def ypos(i, k):
        return i - 0.4 + bar * (k + 0.5)

    for k, (_, recs, _) in enumerate(runs):
        by = {r["config"]: r for r in recs}
        alpha = shades[min(k, len(shades) - 1)]
        for i, c in enumerate(configs):
            r = by.get(c)
            if r is None:
                continue
            color = colors.get(r.get("group"), "tab:gray")
            y = ypos(i, k)
            p50, p90, p99 = r.get("p50_us"), r.get("p90_us"), r.get("p99_us")
            if p50:
                if p99:
                    ax_lat.plot([p50, p99], [y, y], color=color, alpha=alpha, lw=1.5)
                    ax_lat.plot([p99], [y], marker="|", color=color, alpha=alpha, ms=8)
                if p90:
                    ax_lat.plot([p90], [y], marker="|", color=color, alpha=alpha, ms=5)
                ax_lat.plot([p50], [y], marker="o", color=color, alpha=alpha, ms=5)
            if r.get("ops_per_s"):
                ax_ops.barh(y, r["ops_per_s"], height=bar * 0.9, color=color, alpha=alpha)
    ax_lat.set_yticks(range(len(configs)))
    ax_lat.set_yticklabels(configs, fontsize=8)
    ax_lat.invert_yaxis()
    ax_lat.set_xscale("log")
    ax_lat.set_xlabel("latency µs (log): dot p50, short mark p90, line to p99")
    ax_lat.grid(axis="x", which="both", alpha=0.3)
    ax_ops.set_xlabel("ops/s (jobs/s)")
    ax_ops.tick_params(axis="y", labelleft=False)
    ax_ops.grid(axis="x", alpha=0.3)

    # Ratios: a line from 1 to the value (log axis, so 2x and 1/2x are
    # as long); ratios that could not be computed are marked as such.
    for k, (_, recs, alt) in enumerate(runs):
        alpha = shades[min(k, len(shades) - 1)]
        vals = ratio_values(recs, alt)
        for i, (label, a, b) in enumerate(vals):
            y = ypos(i, k)
            if a is None or b is None or a <= 0 or b <= 0:
                why = "not measured" if a is None or b is None else f"{a:.3g} / {b:.3g}"
                ax_rat.text(1.0, y, f"  {why}", va="center", fontsize=6, color="gray")
                continue
            v = a / b
            ax_rat.plot([1.0, v], [y, y], color="tab:green", alpha=alpha, lw=3)
            ax_rat.plot([v], [y], "o", color="tab:green", alpha=alpha, ms=4)
            ax_rat.text(v, y, f" {v:.2f} " if v >= 1 else f" {v:.2f} ", va="center",
                        ha="left" if v >= 1 else "right", fontsize=6)
    ax_rat.axvline(1.0, color="black", lw=0.8)
    ax_rat.set_yticks(range(len(ratios)))
    ax_rat.set_yticklabels(ratios, fontsize=8)
    ax_rat.set_ylim(len(ratios) - 0.5, -0.5)
    ax_rat.set_xscale("log")
    lo, hi = ax_rat.get_xlim()
    span = max(abs(math.log10(lo)), abs(math.log10(hi)), math.log10(1.3))
    ax_rat.set_xlim(10 ** -span, 10 ** span)
    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    ax_rat.xaxis.set_major_formatter(fmt)
    ax_rat.xaxis.set_minor_formatter(fmt)
    ax_rat.tick_params(axis="x", which="minor", labelsize=6)
    ax_rat.set_xlabel("ratio of this run's rows, or of its alternating QD1 medians (log; 1 = equal)")
    ax_rat.grid(axis="x", which="both", alpha=0.3)

    groups = {r.get("group") for _, recs, _ in runs for r in recs}
    handles = [Patch(color=colors[g], label=text) for g, text in
               (("nvme", "NVMe (fio)"), ("ember", "ember (ember_bench)")) if g in groups]
    handles += [Patch(color="gray", alpha=shades[min(k, len(shades) - 1)],
                      label=f"run {name}") for k, (name, *_) in enumerate(runs)]
    fig.legend(handles=handles, fontsize=7, loc="upper center",
               ncol=min(4, len(handles)), bbox_to_anchor=(0.5, 0.985))
    fig.suptitle("ember make bench (TCG: compare within a run, not with hardware)",
                 fontsize=10, y=1.0)
    fig.savefig(args.out, dpi=100)
    plt.close(fig)
    print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


def main():
    ap = argparse.ArgumentParser(prog="bench.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="sub", required=True)

    m = sub.add_parser("measure")
    m.add_argument("--config", required=True)
    m.add_argument("--group", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--irq-regex", default="")
    m.add_argument("--irq-counter", default="",
                   help="ember:PATH: count interrupts with the driver's debugfs"
                        " datapath counters instead of /proc/interrupts")
    m.add_argument("--ops", required=True)
    m.add_argument("--parser", choices=("fio", "json"), default="fio")
    m.add_argument("--raw")
    m.add_argument("--ramp", type=float, required=True)
    m.add_argument("--runtime", type=float, required=True)
    m.add_argument("--note")
    m.add_argument("--expect-no-irqs", action="store_true",
                   help="polled mode: note it if irqs/op > 0.5")
    m.add_argument("cmd", nargs=argparse.REMAINDER)

    s = sub.add_parser("skip")
    for k in ("--config", "--group", "--out", "--note"):
        s.add_argument(k, required=True)
    s.add_argument("--status", default="skipped")

    g = sub.add_parser("guest-info")
    g.add_argument("--out", required=True)
    g.add_argument("--idle-seconds", type=float, default=0,
                   help="also measure the idle guest's CPU use for this long")

    r = sub.add_parser("report")
    for k in ("--records", "--guest-info", "--meta", "--txt", "--json"):
        r.add_argument(k, required=True)
    r.add_argument("--alternate", help="qd1-alternate.sh's output: its ratios too")

    pa = sub.add_parser("parallel")
    pa.add_argument("--copies", type=int, required=True)
    pa.add_argument("--out", required=True)
    pa.add_argument("cmd", nargs=argparse.REMAINDER)

    pl = sub.add_parser("plot")
    pl.add_argument("--out", required=True)
    pl.add_argument("results", nargs="+", help="report JSON files (results-*.json)")

    args = ap.parse_args()
    if args.sub == "skip":
        append_record(args.out, {"config": args.config, "group": args.group,
                                 "status": args.status, "note": args.note})
        return 0
    return {"measure": cmd_measure, "guest-info": cmd_guest_info,
            "report": cmd_report, "parallel": cmd_parallel,
            "plot": cmd_plot}[args.sub](args)


if __name__ == "__main__":
    sys.exit(main())
