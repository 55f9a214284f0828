#!/usr/bin/env python3
"""Instructions per operation from insn-plugin windows (tests/bench/insn-profile.sh).

usage: insn-report.py [--top N] NAME=DIR:ENTRY [NAME=DIR:ENTRY ...]
       insn-report.py [--top N] --processes DIR   (tests/bench/qd1-modes.sh)

DIR holds insn-profile.txt (the plugin's window) and kallsyms (the
guest's /proc/kallsyms, read as root while the loop ran). ENTRY is a
kernel function entered exactly once per operation (the guest's ember
EXECUTE_BO ioctl, nvme_queue_rqs): the blocks that start at its address
count the operations in the window. Every block is charged to the kernel
symbol at or below its address; user-space blocks are one line, [user].
Prints, per profile, instructions per operation in all, by module
(ember, drm, gpu_sched, the rest of the kernel, user space) and by
function, and, when there are several profiles, each one's difference
from the first, function by function.
"""
import argparse
import bisect
import collections
import glob
import os
import statistics
import sys

USER_TOP = 0xFFFF800000000000


def load_syms(path):
    """(sorted addresses, {address: (name, module)}) of DIR/kallsyms."""
    syms = {}
    with open(os.path.join(path, "kallsyms")) as f:
        for line in f:
            w = line.split()
            if len(w) < 3 or w[1] not in "tTwW" or w[2].startswith("__pfx_"):
                continue
            addr = int(w[0], 16)
            if addr:
                mod = w[3].strip("[]") if len(w) > 3 else ""
                syms.setdefault(addr, (w[2], mod))
    return sorted(syms), syms


def charge(lines, addrs, syms, entry, per, module):
    """Adds the plugin's block lines to @per (instructions by function) and
    @module; returns the entries into @entry among them."""
    entries = 0
    for line in lines:
        pc, n, insns = line.split()
        pc, n, insns = int(pc, 16), int(n), int(insns)
        if pc < USER_TOP:
            per["[user]"] += insns
            module["[user]"] = "user"
            continue
        i = bisect.bisect_right(addrs, pc) - 1
        if i < 0:
            per["[unknown]"] += insns
            module["[unknown]"] = "kernel"
            continue
        name, mod = syms[addrs[i]]
        per[name] += insns
        module[name] = mod or "kernel"
        if name == entry and addrs[i] == pc:
            entries += insns // n
    return entries


def load(path, entry):
    addrs, syms = load_syms(path)
    per = collections.Counter()
    module = {}
    with open(os.path.join(path, "insn-profile.txt")) as f:
        entries = charge(f, addrs, syms, entry, per, module)
    if not entries:
        sys.exit("insn-report: %s: no block starts at %s" % (path, entry))
    return {k: v / entries for k, v in per.items()}, module, entries


def processes(path, entry, top):
    """--processes: instructions per operation and per second of each
    process of tests/bench/qd1-modes.sh, from the plugin's snapshots
    (DIR/snap.N: "T <host time>", then the blocks of the second before)
    and DIR/progress ("<host time> start I" and "<host time> end P50 ...").
    A process's figures take the snapshots whose second lies between 1 s
    after its start and its end. Then the functions whose instructions per
    operation differ most between the processes slower than the median
    p50 by 15 % and more and the others."""
    addrs, syms = load_syms(path)
    snaps = []
    for f in sorted(glob.glob(os.path.join(path, "snap.*"))):
        with open(f) as fh:
            lines = fh.read().splitlines()
        if not lines or not lines[0].startswith("T "):
            continue
        per = collections.Counter()
        ops = charge(lines[1:], addrs, syms, entry, per, {})
        snaps.append((float(lines[0].split()[1]), ops, per))
    rows, start = [], None
    with open(os.path.join(path, "progress")) as f:
        for line in f:
            w = line.split()
            if len(w) >= 3 and w[1] == "start":
                start = float(w[0])
            elif len(w) >= 3 and w[1] == "end" and start is not None:
                sel = [x for x in snaps if x[0] - 1 >= start + 1 and x[0] <= float(w[0])]
                ops = sum(x[1] for x in sel)
                if not sel or not ops:
                    continue
                per = collections.Counter()
                for x in sel:
                    per.update(x[2])
                rows.append((float(w[2]), ops, len(sel), per))
    if not rows:
        sys.exit("insn-report: %s: no process with snapshots" % path)
    print("%8s %10s %10s %14s" % ("p50 us", "insns/op", "ops/s", "guest insns/s"))
    for p50, ops, secs, per in rows:
        total = sum(per.values())
        print("%8.1f %10.0f %10.0f %13.1fM" % (p50, total / ops, ops / secs, total / secs / 1e6))
    cut = statistics.median(r[0] for r in rows) * 1.15
    groups = ([r for r in rows if r[0] < cut], [r for r in rows if r[0] >= cut])
    if not all(groups):
        return
    avg = []
    for g in groups:
        c = collections.Counter()
        for r in g:
            c.update(r[3])
        ops = sum(r[1] for r in g)
        avg.append({k: v / ops for k, v in c.items()})
    print("\nslow (p50 >= %.1f us, %d processes) - the others (%d): %.0f - %.0f"
          " instructions per operation; largest differences:" %
          (cut, len(groups[1]), len(groups[0]), sum(avg[1].values()), sum(avg[0].values())))
    keys = sorted(set(avg[0]) | set(avg[1]), key=lambda k: -abs(avg[1].get(k, 0) - avg[0].get(k, 0)))
    for k in keys[:top]:
        print("  %+7.0f  %7.0f %7.0f  %s" % (avg[1].get(k, 0) - avg[0].get(k, 0),
                                            avg[1].get(k, 0), avg[0].get(k, 0), k))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--processes", metavar="DIR",
                    help="per process of tests/bench/qd1-modes.sh instead")
    ap.add_argument("profiles", nargs="*", metavar="NAME=DIR:ENTRY")
    args = ap.parse_args()
    if args.processes:
        processes(args.processes, "ember_ioctl_execute_bo", args.top)
        return
    if not args.profiles:
        ap.error("no profile given")
    profiles = []
    for spec in args.profiles:
        name, rest = spec.split("=", 1)
        path, entry = rest.rsplit(":", 1)
        per, module, ops = load(path, entry)
        profiles.append((name, per, module, ops))

    groups = ["ember", "drm", "gpu_sched", "kernel", "user"]
    print("instructions per operation (all guest CPUs, over the window)")
    print("%-28s %9s %8s" % ("profile", "ops", "total") +
          "".join(" %9s" % g for g in groups))
    for name, per, module, ops in profiles:
        by = collections.Counter()
        for k, v in per.items():
            g = module[k]
            by[g if g in groups else "kernel"] += v
        print("%-28s %9d %8.0f" % (name, ops, sum(per.values())) +
              "".join(" %9.0f" % by[g] for g in groups))
    base = profiles[0]
    for name, per, module, ops in profiles[1:]:
        print("%s / %s: %.3f" % (name, base[0],
                                 sum(per.values()) / sum(base[1].values())))
    for name, per, module, ops in profiles:
        print("\n%s: the %d functions with the most instructions per operation" %
              (name, args.top))
        for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:args.top]:
            mod = module[k]
            print("  %7.0f  %s%s" % (v, k, "" if mod in ("kernel", "user")
                                     else " [%s]" % mod))
    for name, per, module, ops in profiles[1:]:
        print("\n%s - %s, per operation, largest differences:" % (name, base[0]))
        keys = set(per) | set(base[1])
        diff = sorted(keys, key=lambda k: -abs(per.get(k, 0) - base[1].get(k, 0)))
        for k in diff[:args.top]:
            print("  %+7.0f  %7.0f %7.0f  %s" % (per.get(k, 0) - base[1].get(k, 0),
                                                per.get(k, 0), base[1].get(k, 0), k))


if __name__ == "__main__":
    main()
