#!/bin/bash
# One run-time module parameter, several values, alternating in one VM
# (docs/performance.md, "Comparing two builds"; ab-modules.sh does the same
# for two builds of ember.ko): each round sets the parameter to each value
# in turn and runs the same streams, so the host's drift between rounds
# hits every value alike.
#
# usage (host, root):
#   scripts/vm-run --topology msix --dbcs 4 --mem 512M -- \
#       tests/bench/ab-param.sh PARAM "VALUE..." [ROUNDS] [SECONDS] [COPIES...]
# e.g. tests/bench/ab-param.sh datapath_poll_coalesce_us "0 250 500 1000" 4 3.5 1 4
#
# PARAM is a writable parameter of the loaded module (/sys/module/ember/
# parameters/PARAM; the script loads ember.ko if it is not loaded). The
# value "off" means datapath_irq_mitigation=N with PARAM at its first
# other value (the stream without mitigation, for on/off ratios); any
# other value runs with mitigation on. COPIES (default "1 4"): how many
# ember_bench processes at once, each its own client and DBC, not pinned
# (as make bench's "DBCs busy" rows). Each runs a stream of 32 BOs at
# 200 us a job. Per run it prints jobs/s (summed), the guest's CPU per job
# (all CPUs' busy time over the run / jobs, setup included), context
# switches per job (/proc/stat ctxt), responses per poll of the IRQ
# thread and interrupts per job (debugfs, all DBCs); then the median of
# each per value.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
cd "$ROOT" || exit 1
[ $# -ge 2 ] || { echo "usage: $0 PARAM \"VALUE...\" [ROUNDS] [SECONDS] [COPIES...]" >&2; exit 2; }
PARAM=$1 VALUES=$2 ROUNDS=${3:-3} SECS=${4:-3.5}
shift $(($# < 4 ? $# : 4))
COPIES=("$@")
[ ${#COPIES[@]} -gt 0 ] || COPIES=(1 4)
MOD=/sys/module/ember/parameters
RESULTS=$(mktemp)
TMP=$(mktemp -d)

[ -d /sys/module/ember ] || "$ROOT/tests/vm/kmd/load.sh" >/dev/null || exit 1
[ -w "$MOD/$PARAM" ] || { echo "ab-param: no writable module parameter $PARAM" >&2; exit 2; }
DP=$(ls -d /sys/kernel/debug/accel/*/datapath 2>/dev/null | head -n 1)
[ -n "$DP" ] || { echo "ab-param: no debugfs datapath" >&2; exit 1; }
saved=$(cat "$MOD/$PARAM") saved_mit=$(cat "$MOD/datapath_irq_mitigation")
restore() {
	echo "$saved" >"$MOD/$PARAM"
	echo "$saved_mit" >"$MOD/datapath_irq_mitigation"
}
trap 'restore; rm -rf "$RESULTS" "$TMP"' EXIT
first_value=$(for v in $VALUES; do [ "$v" = off ] || { echo "$v"; break; }; done)

# snap FILE: the CPU, context-switch and debugfs counters now.
snap() {
	{
		head -n 1 /proc/stat
		grep '^ctxt' /proc/stat
		grep '^ *dbc[0-9]' "$DP"
	} >"$1"
}

for round in $(seq "$ROUNDS"); do
	for n in "${COPIES[@]}"; do
		for v in $VALUES; do
			if [ "$v" = off ]; then
				echo N >"$MOD/datapath_irq_mitigation"
				echo "${first_value:-$saved}" >"$MOD/$PARAM"
			else
				echo Y >"$MOD/datapath_irq_mitigation"
				echo "$v" >"$MOD/$PARAM" || exit 1
			fi
			pids=()
			snap "$TMP/a"
			for i in $(seq "$n"); do
				"$BUILD/tests/ember_bench" --depth 32 --service-ns 200000 --ramp 0.5 \
					--seconds "$SECS" --out "$TMP/copy$i.json" >/dev/null &
				pids+=($!)
			done
			bad=0
			for p in "${pids[@]}"; do wait "$p" || bad=1; done
			snap "$TMP/b"
			[ "$bad" = 0 ] || { echo "ab-param: ember_bench failed ($PARAM=$v, $n copies)" >&2; exit 1; }
			python3 - "$round" "$n" "$v" "$TMP" <<'PY' | tee -a "$RESULTS"
import json, re, sys
rnd, n, v, tmp = sys.argv[1:]
def read(f):
    lines = open(f).read().splitlines()
    cpu = list(map(int, lines[0].split()[1:]))
    ctxt = int(lines[1].split()[1])
    dbc = {}
    for line in lines[2:]:
        name, rest = line.split(None, 1)
        dbc[name] = {k: int(x) for k, x in re.findall(r'(\w+)=(-?\d+)', rest)}
    return cpu, ctxt, dbc
(c0, x0, d0), (c1, x1, d1) = read(tmp + '/a'), read(tmp + '/b')
busy = sum(c1) - sum(c0) - (c1[3] - c0[3]) - (c1[4] - c0[4])
def total(key):
    return sum(d1[k].get(key, 0) - d0[k].get(key, 0) for k in d1)
jobs = ops = 0
for i in range(1, int(n) + 1):
    j = json.load(open('%s/copy%d.json' % (tmp, i)))
    jobs += j['jobs_total']; ops += j['ops_per_s']
rsp, polls, irqs = total('responses'), total('polls'), total('interrupts')
print('round %s copies %s %s: jobs/s %.0f cpu_us/job %.1f ctxt/job %.2f rsp/poll %.2f irq/job %.4f'
      % (rnd, n, v, ops, busy / 100 * 1e6 / jobs, (x1 - x0) / jobs,
         rsp / polls if polls else 0, irqs / jobs))
PY
		done
	done
done
restore
echo "medians over $ROUNDS rounds ($PARAM):"
python3 - "$RESULTS" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r'round \d+ copies (\d+) (\S+): (.*)', line)
    if m:
        vals = dict((k, float(x)) for k, x in re.findall(r'(\S+) (-?[\d.]+)', m.group(3)))
        rows.setdefault((m.group(1), m.group(2)), []).append(vals)
for (n, v), runs in rows.items():
    print('copies %s %s: ' % (n, v) + ' '.join(
        '%s %s' % (k, ('%.4f' if k == 'irq/job' else '%.2f' if '/poll' in k or 'ctxt' in k else '%.0f' if k == 'jobs/s' else '%.1f')
                   % statistics.median(r[k] for r in runs)) for k in runs[0]))
PY
