#!/bin/bash
# Which threads a lone job's CPU goes to (docs/performance.md, "Where a
# lone job's CPU goes"): in the guest, runs a pinned QD1 loop of
# ember_bench with interrupts, the same with --wait-poll 1 and, when the
# VM has an NVMe namespace, fio pvsync2 QD1 on it, and prints for each
# the busy and idle time of every CPU (/proc/stat) and the threads that
# used the most CPU meanwhile (utime + stime of /proc/PID/task/TID/stat,
# all read by one awk, so that the probe itself costs little). Units are
# clock ticks (USER_HZ). A CPU's busy figure is /proc/stat's tick-sampled
# user + nice + system + irq + softirq, which misses the short busy spells
# of an interrupt-driven loop (docs/performance.md, "The columns"); its
# idle and iowait are exact (NO_HZ). The threads' times come from the
# scheduler's clock: compare threads with threads, not with the CPUs.
#
# usage (host, root):
#   scripts/vm-run [--nvme] --topology msix --dbcs 4 --mem 512M -- tests/bench/qd1-cpu.sh [SECONDS]
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
SECS=${1:-4}
CPU=$(($(nproc) - 1))
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# shellcheck source=tests/bench/nvme-qd1.sh
. "$ROOT/tests/bench/nvme-qd1.sh"

"$ROOT/tests/vm/kmd/load.sh" >/dev/null || { echo "qd1-cpu: ember did not load" >&2; exit 1; }

# One line per thread: its stat path, utime + stime, last CPU, name.
threads() {
	awk '{
		rest = $0; sub(/^[^)]*\) /, "", rest); split(rest, f, " ")
		name = $0; sub(/^[^(]*\(/, "", name); sub(/\)[^)]*$/, "", name)
		print FILENAME, f[12] + f[13], f[37], name; nextfile
	}' /proc/[0-9]*/task/[0-9]*/stat 2>/dev/null
}

# measure NAME CMD...: CMD in the background; the window is SECS long
# and starts 1 s in (the command runs SECS + 2 s).
measure() {
	local name=$1 pid
	shift
	"$@" >/dev/null 2>&1 &
	pid=$!
	sleep 1
	grep '^cpu[0-9]' /proc/stat >"$TMP/cpu.a"
	threads >"$TMP/thr.a"
	sleep "$SECS"
	grep '^cpu[0-9]' /proc/stat >"$TMP/cpu.b"
	threads >"$TMP/thr.b"
	wait "$pid" || { echo "qd1-cpu: $name failed" >&2; return 1; }
	echo "=== $name: ticks in ${SECS} s"
	paste "$TMP/cpu.a" "$TMP/cpu.b" | awk '{
		n = NF / 2
		busy = ($(n + 2) - $2) + ($(n + 3) - $3) + ($(n + 4) - $4) + ($(n + 7) - $7) + ($(n + 8) - $8)
		printf "  %s busy %d idle %d iowait %d\n", $1, busy, $(n + 5) - $5, $(n + 6) - $6
	}'
	echo "  threads (ticks, last CPU, name):"
	awk 'NR == FNR { a[$1] = $2; next }
		($1 in a) && $2 > a[$1] { d = $2 - a[$1]; $1 = $2 = ""; sub(/^ +/, ""); print d, $0 }' \
		"$TMP/thr.a" "$TMP/thr.b" |
		sort -rn | head -n 6 | sed 's/^/    /'
}

ember() { "$BUILD/tests/ember_bench" --ramp 0 --seconds "$((SECS + 2))" --cpu "$CPU" --depth 1 --service-ns 0 "$@"; }
failed=0
measure "ember QD1, interrupts" ember || failed=1
measure "ember QD1, --wait-poll 1" ember --wait-poll 1 || failed=1
if grep -qsx 0x010802 /sys/bus/pci/devices/*/class; then
	if nvme_up; then
		measure "NVMe pvsync2 QD1" nvme_qd1 "$((SECS + 2))" "$CPU" || failed=1
	else
		failed=1
	fi
fi
"$ROOT/tests/vm/kmd/unload.sh" >/dev/null
exit $failed
