#!/bin/bash
# Lone-job speed per process (docs/performance.md, "Lone jobs against
# NVMe"): boots the guest pinned as make bench does (tests/bench/pin-qemu.sh,
# apart) under the TCG plugin tests/bench/insn-plugin.c with a snapshot of
# the guest's executed instructions every second, runs N processes of the
# pinned QD1 loop of make bench (ember_bench --depth 1, interrupts) back to
# back, SECONDS each, and prints per process its p50, the guest's
# instructions per job and per second (tests/bench/insn-report.py
# --processes), then the functions that differ most between the slow
# processes and the others. Same instructions per job at a different p50:
# the emulator ran the same path at another rate; more instructions: the
# path changed. The plugin slows the guest by about a fifth.
#
# usage (host, root): tests/bench/qd1-modes.sh [N] [SECONDS]   (default 30 3)
# Output directory: build/bench/modes-<time>/ (progress: host time of each
# process's start and end with its ember_bench figures; snap.*: the
# plugin's snapshots; kallsyms; report.txt).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}

# Guest side: --guest N SECONDS; progress lines go to $EMBER_OUT/progress,
# which the host stamps with its own time as they appear.
if [ "${1:-}" = --guest ]; then
	"$ROOT/tests/vm/kmd/load.sh" >/dev/null
	cat /proc/kallsyms >"$EMBER_OUT/kallsyms"
	for i in $(seq "$2"); do
		echo "start $i" >>"$EMBER_OUT/progress"
		"$BUILD/tests/ember_bench" --ramp 0.5 --seconds "$3" --cpu "$(($(nproc) - 1))" \
			--depth 1 --service-ns 0 >"$EMBER_OUT/loop.json"
		python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print("end %.1f ops %d dbc %s" % (d["p50_us"], d["ops"], d["dbc"]))' \
			"$EMBER_OUT/loop.json" >>"$EMBER_OUT/progress"
	done
	exit 0
fi

case ${1:-} in -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
n=${1:-30} secs=${2:-3}
[[ $n =~ ^[1-9][0-9]*$ && $secs =~ ^[1-9][0-9]*$ ]] || { echo "qd1-modes: N and SECONDS are whole numbers" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "qd1-modes: needs 2 host CPUs (the pinning)" >&2; exit 1; }
qemu=$("$ROOT/emu/build-qemu.sh" | tail -n 1)
plugin=$BUILD/bench/insn-plugin.so
# shellcheck source=tests/bench/insn-plugin.sh
. "$ROOT/tests/bench/insn-plugin.sh"
build_insn_plugin "$qemu" "$plugin"
# shellcheck source=tests/bench/pin-qemu.sh
. "$ROOT/tests/bench/pin-qemu.sh"
out=$BUILD/bench/modes-$(date +%Y%m%d-%H%M%S)
share=$out/share
mkdir -p "$share"
touch "$share/progress"
name=ember-modes-$$

# Pins QEMU once its vCPUs exist, then copies the guest's progress lines
# to $out/progress with the host's time (the plugin stamps its snapshots
# with the same clock).
watch() {
	local pid
	pid=$(wait_qemu_pid "$name,debug-threads=on" 2) || { echo "qd1-modes: QEMU not found" >&2; return 1; }
	pin_qemu_threads "$pid" 2 apart
	tail -n +1 -F "$share/progress" 2>/dev/null | while read -r line; do
		echo "$(date +%s.%N) $line" >>"$out/progress"
	done
}
watch &
watcher=$!
trap 'pkill -P "$watcher" 2>/dev/null; kill "$watcher" 2>/dev/null || true' EXIT
EMBER_QEMU=$qemu "$ROOT/scripts/vm-run" --keep-out "$share" --topology msix --dbcs 4 --smp 2 \
	--mem 512M --timeout $((n * (secs + 3) + 120)) \
	--qemu-arg -name --qemu-arg "$name,debug-threads=on" \
	--qemu-arg -plugin --qemu-arg "$plugin,period=1,out=$out/snap" \
	-- "$ROOT/tests/bench/qd1-modes.sh" --guest "$n" "$secs" >&2
sleep 1
cp "$share/kallsyms" "$out/"
python3 "$ROOT/tests/bench/insn-report.py" --processes "$out" | tee "$out/report.txt"
echo "qd1-modes: $out" >&2
