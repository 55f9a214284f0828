#!/bin/bash
# Two builds of ember.ko in one VM, alternating (docs/performance.md,
# "Comparing two builds"): rows run back to back pick up the host's state
# (QEMU's threads on a 2-CPU host) as much as the driver's, so a change is
# measured by loading the old and the new module in turn, several rounds,
# each round running the same short loops of ember_bench on each.
#
# usage (host, root):
#   git worktree add /tmp/old REF && make -C /tmp/old/kmd
#   cp /tmp/old/kmd/ember.ko build/old-ember.ko     # the guest sees the repo, not /tmp
#   scripts/vm-run --topology msix --dbcs 4 --mem 512M -- \
#       tests/bench/ab-modules.sh build/old-ember.ko kmd/ember.ko [ROUNDS] [SECONDS]
#
# Per round and module: the mitigated stream (32 BOs, 200 us a job), the
# same with datapath_irq_mitigation=N, the QD1 loop, the QD1 loop with a
# polling waiter (--wait-poll 1) and the QD1 loop in polling mode (module
# reloaded with datapath_polling=1), pinned to the last CPU like make
# bench; AB_LOOPS="qd1 ..." runs only those. The module loaded first
# alternates between rounds. Prints p50, jobs/s and the guest's CPU per
# job (wall time x CPUs - idle, over the run of ember_bench; includes its
# setup, so compare the two modules, not with make bench), then the mean
# of each, and the medians with their range.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
cd "$ROOT" || exit 1
[ $# -ge 2 ] || { echo "usage: $0 OLD.ko NEW.ko [ROUNDS] [SECONDS]" >&2; exit 2; }
OLD=$1 NEW=$2 ROUNDS=${3:-3} SECS=${4:-5}
LOOPS=${AB_LOOPS:-stream stream-mitigation-off qd1 qd1-wait-poll qd1-polling-mode}
CPU=$(($(nproc) - 1))
RESULTS=$(mktemp)

snap() { echo "$(date +%s%N) $(awk '/^cpu /{print $5 + $6}' /proc/stat)"; }

# run NAME ARGS...: one ember_bench run; one line to stdout and $RESULTS.
run() {
	local name=$1 a b out
	shift
	a=$(snap)
	out=$("$BUILD/tests/ember_bench" --ramp 1 --seconds "$SECS" --cpu "$CPU" "$@") || return 1
	b=$(snap)
	python3 - "$name" "$a" "$b" "$(nproc)" "$out" <<'PY' | tee -a "$RESULTS"
import json, sys
name, a, b, ncpu, out = sys.argv[1:]
a = list(map(int, a.split())); b = list(map(int, b.split())); d = json.loads(out)
wall_us = (b[0] - a[0]) / 1000.0
idle_us = (b[1] - a[1]) * 10000.0  # USER_HZ 100
jobs = max(d["jobs_total"], 1)
print("%s p50 %.1f jobs/s %.0f cpu/job %.1f irqs/job %.4f" % (
    name, d["p50_us"], d["ops_per_s"], (int(ncpu) * wall_us - idle_us) / jobs,
    d["dbc_interrupts"] / jobs))
PY
}

# want LOOP: is LOOP among $LOOPS?
want() { case " $LOOPS " in *" $1 "*) return 0 ;; esac; return 1; }

for r in $(seq "$ROUNDS"); do
	# Swap the order every round: the second module of a round is not
	# always the same one.
	order="old new"
	[ $((r % 2)) -eq 0 ] && order="new old"
	for m in $order; do
		ko=$OLD
		[ "$m" = new ] && ko=$NEW
		"$ROOT/tests/vm/kmd/load.sh" --ko "$ko" >/dev/null || exit 1
		want stream && run "$m stream" --depth 32 --service-ns 200000
		echo N >/sys/module/ember/parameters/datapath_irq_mitigation
		want stream-mitigation-off && run "$m stream-mitigation-off" --depth 32 --service-ns 200000
		echo Y >/sys/module/ember/parameters/datapath_irq_mitigation
		want qd1 && run "$m qd1" --depth 1 --service-ns 0
		want qd1-wait-poll && run "$m qd1-wait-poll" --depth 1 --service-ns 0 --wait-poll 1
		"$ROOT/tests/vm/kmd/unload.sh" >/dev/null
		if want qd1-polling-mode; then
			"$ROOT/tests/vm/kmd/load.sh" --ko "$ko" datapath_polling=1 >/dev/null || exit 1
			run "$m qd1-polling-mode" --depth 1 --service-ns 0
			"$ROOT/tests/vm/kmd/unload.sh" >/dev/null
		fi
	done
done
echo "--- means, and medians with the range, of $ROUNDS rounds"
python3 - "$RESULTS" <<'PY'
import collections, statistics, sys
acc = collections.defaultdict(list)
for line in open(sys.argv[1]):
    w = line.split()
    acc[(w[0], w[1])].append((float(w[3]), float(w[5]), float(w[7])))
for (mod, row), v in sorted(acc.items(), key=lambda kv: (kv[0][1], kv[0][0] != "old")):
    n = len(v)
    cpu = sorted(x[2] for x in v)
    p50 = sorted(x[0] for x in v)
    print("%s %s: p50 %.1f jobs/s %.0f cpu/job %.1f (%d runs); medians p50 %.1f "
          "(%.1f-%.1f) cpu/job %.1f (%.1f-%.1f)" % (
        mod, row, sum(x[0] for x in v) / n, sum(x[1] for x in v) / n,
        sum(x[2] for x in v) / n, n, statistics.median(p50), p50[0], p50[-1],
        statistics.median(cpu), cpu[0], cpu[-1]))
PY
rm -f "$RESULTS"
