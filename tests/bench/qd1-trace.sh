#!/bin/bash
# Where a lone job's time goes (docs/performance.md): in the guest, with
# ember loaded, runs the QD1 loop of make bench (ember_bench --depth 1)
# under tools/bpftrace/ember-qd1.bt once per data-path setting and prints
# each run's latency percentiles, its debugfs counters and the script's
# per-hand-off histograms. Traced runs are slower than untraced ones (every
# event costs a BPF program): compare the settings with each other, and
# take absolute latencies from make bench.
#
# usage (host, root):
#   scripts/vm-run --topology msix --dbcs 4 --mem 256M -- tests/bench/qd1-trace.sh [SECONDS]
# Settings traced, each for SECONDS (default 6):
#   default                         (direct submission, IRQ steered to the
#                                    submitter, hard-IRQ completion,
#                                    mitigation on)
#   datapath_direct_submit=N        (every job through run_job)
#   datapath_irq_follow=N           (the DBC's vector left where it is)
#   datapath_irq_drain=N            (every completion through the IRQ thread)
#   datapath_irq_mitigation=N       (with hard-IRQ completion)
#   EMBER_WAIT_BO_POLL              (the waiter polls)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
SECONDS_PER=${1:-6}
cd "$ROOT" || exit 1

"$ROOT/tests/vm/kmd/load.sh" >/dev/null || { echo "qd1-trace: ember did not load" >&2; exit 1; }
param() { echo "$2" >"/sys/module/ember/parameters/$1"; }
dp=$(find /sys/kernel/debug/accel/ -mindepth 2 -maxdepth 2 -name datapath | head -n 1)

# trace NAME ARGS...: one traced QD1 run of ember_bench ARGS.
trace() {
	local name=$1 bt=/tmp/qd1-bt.out
	shift
	echo "=== $name"
	bpftrace "$ROOT/tools/bpftrace/ember-qd1.bt" "$((${SECONDS_PER%.*} + 1))" >"$bt" 2>&1 &
	local pid=$! i=0
	until grep -q '^Tracing lone ember jobs' "$bt"; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 $pid 2>/dev/null; then
			echo "qd1-trace: bpftrace did not attach: $(tail -n 3 "$bt" | tr '\n' ' ')" >&2
			return 1
		fi
		sleep 0.1
	done
	"$BUILD/tests/ember_bench" --depth 1 --service-ns 0 --ramp 1 --seconds "$SECONDS_PER" "$@" |
		python3 -c 'import json,sys; r=json.load(sys.stdin); print("ember_bench: %d jobs, p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us; interrupts %d, polls %d" % (r["ops"], r["p50_us"], r["p90_us"], r["p99_us"], r["max_us"], r["dbc_interrupts"], r["dbc_polls"]))'
	wait $pid
	grep -v '^Tracing' "$bt"
	grep '^dbc0 ' "$dp"
}

trace "default (direct submit, IRQ follows, irq_drain on, mitigation on)"
param datapath_direct_submit N
trace "datapath_direct_submit=N (run_job writes the ring)"
param datapath_direct_submit Y
# Reloaded: a vector steered before would stay on the CPU it was moved to.
"$ROOT/tests/vm/kmd/unload.sh" >/dev/null
"$ROOT/tests/vm/kmd/load.sh" datapath_irq_follow=0 >/dev/null || { echo "qd1-trace: ember did not load" >&2; exit 1; }
trace "datapath_irq_follow=N (vector where the kernel put it)"
"$ROOT/tests/vm/kmd/unload.sh" >/dev/null
"$ROOT/tests/vm/kmd/load.sh" >/dev/null || { echo "qd1-trace: ember did not load" >&2; exit 1; }
param datapath_irq_drain N
trace "datapath_irq_drain=N (IRQ thread)"
param datapath_irq_drain Y
param datapath_irq_mitigation N
trace "datapath_irq_mitigation=N"
param datapath_irq_mitigation Y
trace "EMBER_WAIT_BO_POLL (the waiter polls)" --wait-poll 1
"$ROOT/tests/vm/kmd/unload.sh" >/dev/null
echo "qd1-trace: done"
