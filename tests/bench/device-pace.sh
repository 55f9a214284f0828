#!/bin/bash
# Does the emulated device keep its pace? (docs/performance.md, "The storm
# test and the device's pace"). Boots the guest as the VM suite does
# (unpinned, msix, 4 DBCs), runs the storm test (ember_vm_storm: a stream
# of 128 BOs in flight at 400 us a job, mitigation off, then on) N times,
# and meanwhile traces every DBC response in QEMU (ember_dbc_response,
# whose device_ns is the time from the request's fetch to its response).
# With a service time each request should take that long: what it takes
# beyond is the model's host threads waiting for a host CPU or the BQL.
# Prints each run's storm line and the distribution of device_ns over all
# runs (p50 ... p99.9, max, and how many took over 1 ms and 2 ms: a gap
# past the driver's poll window, about 1 ms in that test, costs an
# interrupt with mitigation on). If this host is itself a virtual machine,
# its hypervisor may take CPU time from it ("steal" in /proc/stat): the
# summary gives the share taken over the run and in its worst second, and
# the device's lateness in the seconds with and without steal.
#
# usage (host): tests/bench/device-pace.sh [--runs N]
#   --runs N  storm test runs in the one VM (default 6)
# EMBER_QEMU=PATH measures another QEMU build (e.g. an older model).
# Output: build/bench/device-pace-<time>/ (trace, console, summary).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
RUNS=6
STORM="interrupt mitigation cuts DBC interrupts per completed job at least 100x"

# Guest side: load the driver, run the storm test case RUNS times.
if [ "${1:-}" = --guest ]; then
	"$ROOT/tests/vm/kmd/load.sh" >/dev/null || exit 1
	rc=0
	for _ in $(seq 1 "$2"); do
		"$BUILD/tests/ember_vm_storm" "$STORM" >/tmp/device-pace.out 2>&1 || rc=1
		grep -E '^storm:|FAILED|failed' /tmp/device-pace.out
	done
	exit "$rc"
fi

while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=${2:?}; shift ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "device-pace: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "device-pace: --runs needs a whole number" >&2; exit 2; }
[ -x "$BUILD/tests/ember_vm_storm" ] || { echo "device-pace: build first (make build)" >&2; exit 1; }
out=$BUILD/bench/device-pace-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
echo "device-pace: $RUNS storm runs (QEMU ${EMBER_QEMU:-of emu/build-qemu.sh}), results in $out" >&2
# The host's CPU time stolen by its hypervisor, second by second.
(
	read -r _ _ _ _ _ _ _ _ prev _ </proc/stat
	while sleep 1; do
		read -r _ _ _ _ _ _ _ _ cur _ </proc/stat
		echo "$(date +%s) $((cur - prev))"
		prev=$cur
	done
) >"$out/steal.txt" &
sampler=$!
"$ROOT/scripts/vm-run" --topology msix --dbcs 4 --mem 256M --timeout $((120 + 40 * RUNS)) \
	--qemu-arg -msg --qemu-arg timestamp=on \
	--qemu-arg -trace --qemu-arg enable=ember_dbc_response \
	--qemu-arg -trace --qemu-arg enable=ember_engine_slice \
	--qemu-arg -D --qemu-arg "$out/trace.log" -- "$0" --guest "$RUNS" 2>&1 | tee "$out/console.txt"
rc=${PIPESTATUS[0]}
kill "$sampler" 2>/dev/null

python3 - "$out/trace.log" "$out/steal.txt" "$(getconf CLK_TCK)" "$(nproc)" <<'PY' | tee "$out/summary.txt"
import re, sys
trace, steal_file, hz, cpus = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
# second -> share of the host's CPU time its hypervisor took in it
steal = {}
for line in open(steal_file):
    t, ticks = map(int, line.split())
    steal[t - 1] = ticks / (hz * cpus)
# (second, device_ns) of every response; the engine's slice line
resp, line_re = [], re.compile(r"@(\d+)\.\d+:ember_dbc_response .*device_ns (\d+)")
for line in open(trace):
    m = line_re.search(line)
    if m:
        resp.append((int(m.group(1)), int(m.group(2))))
    elif "ember_engine_slice" in line:
        print("device-pace:" + line.split("ember_engine_slice", 1)[1].rstrip())
if not resp:
    sys.exit("device-pace: no responses traced")

def summary(name, ns):
    if not ns:
        return
    ns = sorted(ns)
    pct = lambda p: ns[min(len(ns) - 1, int(len(ns) * p))] / 1000
    over = sum(n > 1000000 for n in ns)
    print(f"{name}: {len(ns)} responses, device_ns p50 {pct(.5):.0f}, p90 {pct(.9):.0f}, "
          f"p99 {pct(.99):.0f}, p99.9 {pct(.999):.0f}, max {ns[-1] / 1000:.0f} us; "
          f"over 1 ms: {over} ({over * 1e4 / len(ns):.1f} in 10,000), "
          f"over 2 ms: {sum(n > 2000000 for n in ns)}")

summary("all", [n for _, n in resp])
if steal:
    print(f"host CPU time taken by its hypervisor: {100 * sum(steal.values()) / len(steal):.1f} % "
          f"over the run, {100 * max(steal.values()):.0f} % in its worst second")
    summary("seconds with under 2.5 % taken", [n for t, n in resp if steal.get(t, 1) < 0.025])
    summary("seconds with 10 % or more taken", [n for t, n in resp if steal.get(t, 0) >= 0.1])
PY
exit "$rc"
