#!/bin/bash
# Lone jobs against the NVMe baseline, alternating in one VM
# (docs/performance.md, "Alternating QD1 runs"): make bench runs each
# configuration once, so a ratio between two rows also measures how the
# host's load moved between them. Here each round runs, back to back and
# pinned to the last CPU, a short QD1 loop of ember_bench (interrupts),
# the same loop with datapath_irq_mitigation=N (the two in alternating
# order: the lone-job on / off ratio), fio pvsync2 on /dev/nvme0n1,
# ember_bench --wait-poll 1, fio io_uring --hipri and ember_bench in
# polling mode (datapath_polling=1, ember.ko reloaded), then prints the
# median of each over the rounds and their ratios; exits 1 if any run
# failed. Latency is ember_bench's p50 and
# fio's total (lat, not clat) p50, as in make bench; CPU per operation is
# the guest's busy time (wall time x CPUs - idle, /proc/stat) divided by
# the jobs or reads completed in the same window, SECONDS long, which
# starts 1 s into the run (each command runs SECONDS + 2 s), so that
# neither side's start-up counts (fio's is the heavier one). ember's lines
# also give the DBC interrupts per job and the share of them that the hard
# handler finished without waking the vector's thread (debugfs datapath
# irq_drains / interrupts): 1.00 and 1.00 for a loop of lone jobs whose
# every completion came from its interrupt, in the handler.
#
# usage (host, root):
#   scripts/vm-run --nvme --topology msix --dbcs 4 --mem 512M -- \
#       tests/bench/qd1-alternate.sh [ROUNDS] [SECONDS]
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
cd "$ROOT" || exit 1
ROUNDS=${1:-6} SECS=${2:-3}
CPU=$(($(nproc) - 1))
NVME_DEV=/dev/nvme0n1 NVME_BLK=nvme0n1
RESULTS=$(mktemp)
failed=0

modprobe -r nvme 2>/dev/null
modprobe nvme poll_queues=1 || { echo "qd1-alternate: modprobe nvme failed" >&2; exit 1; }
for _ in $(seq 200); do
	[ -b "$NVME_DEV" ] && break
	sleep 0.1
done
[ -b "$NVME_DEV" ] || { echo "qd1-alternate: no $NVME_DEV (boot with scripts/vm-run --nvme)" >&2; exit 1; }
"$ROOT/tests/vm/kmd/load.sh" >/dev/null || { echo "qd1-alternate: ember did not load" >&2; exit 1; }

# reload [PARAMS...]: ember.ko again, with PARAMS.
reload() {
	"$ROOT/tests/vm/kmd/unload.sh" >/dev/null
	"$ROOT/tests/vm/kmd/load.sh" "$@" >/dev/null || { echo "qd1-alternate: ember did not load with $*" >&2; exit 1; }
}

# Completed operations so far: reads of the namespace, jobs of all DBCs;
# then the DBCs' interrupts and those of them the hard handler finished
# without waking the vector's thread (debugfs datapath irq_drains).
ops_now() {
	local dp
	dp=$(find /sys/kernel/debug/accel/ -mindepth 2 -maxdepth 2 -name datapath 2>/dev/null | head -n 1)
	echo "$(awk '{print $1}' "/sys/block/$NVME_BLK/stat") $(awk '/^dbc[0-9]+ /{for (i = 2; i <= NF; i++) {split($i, kv, "="); n[kv[1]] += kv[2]}} END {print n["completions"] + 0, n["interrupts"] + 0, n["irq_drains"] + 0}' "$dp")"
}
snap() { echo "$(date +%s%N) $(awk '/^cpu /{print $5 + $6}' /proc/stat) $(ops_now)"; }

# run NAME CMD...: one run; one line to stdout and $RESULTS.
run() {
	local name=$1 a b out pid
	shift
	out=$(mktemp)
	"$@" >"$out" &
	pid=$!
	sleep 1
	a=$(snap)
	sleep "$SECS"
	b=$(snap)
	wait $pid || { echo "qd1-alternate: $name failed" >&2; rm -f "$out"; return 1; }
	python3 - "$name" "$a" "$b" "$(nproc)" "$out" <<'PY' | tee -a "$RESULTS"
import json, sys
name, a, b, ncpu, out = sys.argv[1:]
a = list(map(int, a.split())); b = list(map(int, b.split()))
with open(out) as f:
    text = f.read()
d = json.loads(text[text.index("{"):])
wall = (b[0] - a[0]) / 1e9; idle = (b[1] - a[1]) / 100.0
if name.startswith("nvme"):
    ops = b[2] - a[2]
    p50 = d["jobs"][0]["read"]["lat_ns"]["percentile"]["50.000000"] / 1000.0
else:
    ops = b[3] - a[3]; p50 = d["p50_us"]
if ops <= 0:
    sys.exit("qd1-alternate: %s: no operation in the window" % name)
line = "%s p50 %.1f cpu/op %.1f ops %d" % (name, p50, (wall * int(ncpu) - idle) * 1e6 / ops, ops)
if not name.startswith("nvme"):
    # interrupts per job, and the share of them the hard handler finished
    irqs = b[4] - a[4]
    line += " irqs/job %.2f hardirq-only %.2f" % (irqs / ops, (b[5] - a[5]) / irqs if irqs else 0)
print(line)
PY
	rm -f "$out"
}
fio_qd1() {
	fio --name=qd1 --filename="$NVME_DEV" --rw=randread --bs=4k --direct=1 --iodepth=1 \
		--numjobs=1 --time_based --runtime="$((SECS + 2))s" --norandommap --randrepeat=0 \
		--lat_percentiles=1 --cpus_allowed="$CPU" --output-format=json "$@"
}
ember_qd1() { "$BUILD/tests/ember_bench" --ramp 0 --seconds "$((SECS + 2))" --cpu "$CPU" --depth 1 --service-ns 0 "$@"; }

# ember_unmitigated: the interrupt QD1 loop with datapath_irq_mitigation=N
# (set at run time, restored after): a lone job takes the same path either
# way (the hard handler completes it), so the two should differ by drift
# only; they run next to each other, in alternating order.
MITIGATION=/sys/module/ember/parameters/datapath_irq_mitigation
ember_unmitigated() {
	local rc
	echo N >"$MITIGATION" || return 1
	ember_qd1 "$@"
	rc=$?
	echo Y >"$MITIGATION"
	return "$rc"
}

for r in $(seq "$ROUNDS"); do
	echo "--- round $r"
	if [ $((r % 2)) = 1 ]; then
		run ember-irq ember_qd1 || failed=1
		run ember-irq-unmitigated ember_unmitigated || failed=1
	else
		run ember-irq-unmitigated ember_unmitigated || failed=1
		run ember-irq ember_qd1 || failed=1
	fi
	run nvme-pvsync2-irq fio_qd1 --ioengine=pvsync2 || failed=1
	run ember-wait-poll ember_qd1 --wait-poll 1 || failed=1
	run nvme-io_uring-poll fio_qd1 --ioengine=io_uring --hipri || failed=1
	reload datapath_polling=1
	run ember-polling ember_qd1 || failed=1
	reload
done
"$ROOT/tests/vm/kmd/unload.sh" >/dev/null
echo "--- medians of $ROUNDS rounds"
python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append((float(f[2]), float(f[4])))
med = {k: (statistics.median(p for p, _ in v), statistics.median(c for _, c in v)) for k, v in rows.items()}
for k, (p, c) in med.items():
    print("%-22s p50 %6.1f us  cpu/op %6.1f us" % (k, p, c))
for e, n in (("ember-irq", "nvme-pvsync2-irq"), ("ember-wait-poll", "nvme-io_uring-poll"),
             ("ember-polling", "nvme-io_uring-poll"), ("ember-irq", "ember-irq-unmitigated")):
    if e in med and n in med:
        print("%s / %s: p50 %.2f  cpu/op %.2f" % (e, n, med[e][0] / med[n][0], med[e][1] / med[n][1]))
PY
rm -f "$RESULTS"
[ $failed -eq 0 ] || echo "qd1-alternate: some runs failed (see above): medians over the others" >&2
exit $failed
