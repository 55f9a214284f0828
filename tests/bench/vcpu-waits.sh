#!/bin/bash
# Why the workload's vCPU stops, per operation (docs/performance.md,
# "The completion interrupt waited for QEMU's main loop"): boots the guest
# with the emulated NVMe, runs the pinned QD1 loop of make bench (ember_bench
# --depth 1, interrupts) and fio pvsync2 QD1, and meanwhile records on the
# host every time the vCPU thread that runs the loop leaves its host CPU
# (perf, sched:sched_switch with a DWARF call graph), for a window of each
# loop. Each stop is put down to what QEMU was doing:
#   BQL for interrupt  taking the big QEMU lock to deliver an interrupt
#   BQL for MMIO       taking it for a register access (io_readx/io_writex)
#   BQL, other         taking it anywhere else
#   halted             the guest is idle (HLT): waiting for work
# The guest counts a stop for the BQL as busy time and a halt as idle, so
# stops for the BQL are guest CPU that no guest code used. The device
# model's engine thread (ember-engine) is recorded too: how often per job
# it waited for the BQL, and how often for a doorbell. Also prints the
# vCPU thread's host CPU per operation (its utime + stime over the
# recording, which perf itself lengthens, over the loop's operations). QEMU's threads are pinned as
# make bench pins them (--pin apart).
#
# usage (host, root): tests/bench/vcpu-waits.sh [--seconds N] [--params P]
#   --seconds N  recording window per loop (default 2; the loop runs N + 6 s)
#   --params P   ember.ko parameters, e.g. "datapath_polling=1"
# EMBER_QEMU=PATH measures another QEMU build (e.g. an older model).
# Output: build/bench/vcpu-waits-<time>/ (perf data and the table).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
WIN=2 PARAMS=''

# Guest side: both loops, each announced on the console.
if [ "${1:-}" = --guest ]; then
	WIN=$2 PARAMS=$3
	cpu=$(($(nproc) - 1))
	secs=$((WIN + 6))
	# shellcheck source=tests/bench/nvme-qd1.sh
	. "$ROOT/tests/bench/nvme-qd1.sh"
	# shellcheck disable=SC2086 # module parameters, split
	"$ROOT/tests/vm/kmd/load.sh" $PARAMS >/dev/null || exit 1
	nvme_up || exit 1
	sleep 1
	echo "vcpu-waits: start ember"
	"$BUILD/tests/ember_bench" --depth 1 --service-ns 0 --cpu "$cpu" --ramp 0 \
		--seconds "$secs" --out /tmp/vcpu-waits-ember.json >/dev/null || exit 1
	python3 -c 'import json, sys; print("vcpu-waits: ops ember", json.load(open(sys.argv[1]))["ops_per_s"])' \
		/tmp/vcpu-waits-ember.json
	sleep 1
	echo "vcpu-waits: start nvme"
	nvme_qd1 "$secs" "$cpu" --output-format=json >/tmp/vcpu-waits-nvme.json || exit 1
	python3 -c 'import json, sys; print("vcpu-waits: ops nvme", json.load(open(sys.argv[1]))["jobs"][0]["read"]["iops"])' \
		/tmp/vcpu-waits-nvme.json
	exit 0
fi

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) WIN=${2:?}; shift ;;
	--params) PARAMS=${2?}; shift ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "vcpu-waits: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[[ $WIN =~ ^[1-9][0-9]*$ ]] || { echo "vcpu-waits: --seconds needs a whole number" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "vcpu-waits: run as root" >&2; exit 1; }
command -v perf >/dev/null || { echo "vcpu-waits: perf is not installed (make deps)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "vcpu-waits: needs 2 host CPUs" >&2; exit 1; }
out=$BUILD/bench/vcpu-waits-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
# shellcheck source=tests/bench/pin-qemu.sh
. "$ROOT/tests/bench/pin-qemu.sh"
name="vcpu-waits-$$"

# The QEMU of this run and its workload vCPU (the guest's last CPU, "CPU 1/TCG").
qemu_pid() {
	local p
	for p in $(pgrep -f -- "$name,debug-threads=on"); do
		grep -qsx "CPU 1/TCG" /proc/"$p"/task/*/comm && { echo "$p"; return 0; }
	done
	return 1
}
# thread_tid PID COMM: the TID of PID's thread named COMM (none: empty)
thread_tid() { grep -lx "$2" /proc/"$1"/task/*/comm | head -n 1 | cut -d/ -f5; }
# utime + stime of a thread, in clock ticks
ticks() { awk '{ sub(/^.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$1/task/$2/stat"; }

# record TAG: pin QEMU's threads, wait 2 s into the loop, record WIN s.
record() {
	local tag=$1 pid tid etid t0 t1 w0 w1
	pid=$(qemu_pid) || { echo "vcpu-waits: QEMU not found" >&2; return 1; }
	tid=$(thread_tid "$pid" "CPU 1/TCG")
	etid=$(thread_tid "$pid" ember-engine)
	pin_qemu_threads "$pid" 2 apart
	sleep 2
	t0=$(ticks "$pid" "$tid") w0=$(date +%s%N)
	perf record -q -e sched:sched_switch --call-graph dwarf,2048 -t "$tid${etid:+,$etid}" \
		-o "$out/$tag.data" -- sleep "$WIN" >/dev/null 2>&1
	t1=$(ticks "$pid" "$tid") w1=$(date +%s%N)
	# the thread's share of a host CPU over the recording, in millionths
	echo "$tag $(((t1 - t0) * 1000000000000000 / ($(getconf CLK_TCK) * (w1 - w0))))" >>"$out/vcpu-busy"
}

echo "vcpu-waits: scripts/vm-run --nvme (QEMU ${EMBER_QEMU:-of emu/build-qemu.sh}${PARAMS:+, ember.ko $PARAMS}), results in $out" >&2
"$ROOT/scripts/vm-run" --nvme --topology msix --dbcs 4 --smp 2 --timeout 300 \
	--qemu-arg -name --qemu-arg "$name,debug-threads=on" -- "$0" --guest "$WIN" "$PARAMS" 2>&1 | {
	while IFS= read -r line; do
		echo "$line" >>"$out/console.txt"
		case $line in
		*"vcpu-waits: start "*) record "${line##* }" & ;;
		*"vcpu-waits: ops "*) echo "${line#*vcpu-waits: ops }" >>"$out/ops" ;;
		esac
	done
	wait
}
for tag in ember nvme; do
	if [ ! -s "$out/$tag.data" ] || ! grep -q "^$tag " "$out/ops" 2>/dev/null; then
		echo "vcpu-waits: no $tag measurement (see $out/console.txt)" >&2
		exit 1
	fi
	perf script -i "$out/$tag.data" -F comm,ip,sym 2>/dev/null >"$out/$tag.txt"
done

python3 - "$out" "$WIN" "$PARAMS" <<'PY' | tee "$out/table.txt"
import sys
out, win, params = sys.argv[1], float(sys.argv[2]), sys.argv[3]
ops = dict(l.split() for l in open(f"{out}/ops"))
busy = dict(l.split() for l in open(f"{out}/vcpu-busy"))
KINDS = ("BQL for interrupt", "BQL for MMIO", "BQL, other", "halted", "other")

def kind(stack):
    if "qemu_mutex_lock_iothread" in stack:
        if "cpu_handle_interrupt" in stack:
            return KINDS[0]
        if "io_readx" in stack or "io_writex" in stack:
            return KINDS[1]
        return KINDS[2]
    return KINDS[3] if "qemu_wait_io_event" in stack else KINDS[4]

def stops(tag):
    """(vCPU counts by kind, engine BQL waits, engine waits for a kick)"""
    vcpu, engine_bql, engine_idle = dict.fromkeys(KINDS, 0), 0, 0
    for event in open(f"{out}/{tag}.txt").read().split("\n\n"):
        if not event.strip():
            continue
        if event.lstrip().startswith("ember-engine"):
            if "qemu_mutex_lock_iothread" in event:
                engine_bql += 1
            else:
                engine_idle += 1
        else:
            vcpu[kind(event)] += 1
    return vcpu, engine_bql, engine_idle

print(f"stops per operation of the workload vCPU's host thread and of ember-engine"
      f" ({win:g} s window each{', ember.ko ' + params if params else ''})")
cols = KINDS + ("engine: BQL", "engine: doorbell")
print(f"| {'loop':<22} | {'ops/s':>7} | " + " | ".join(f"{k:>17}" for k in cols)
      + " | vCPU host CPU µs/op |")
print("|" + "|".join("-" * (w + 2) for w in [22, 7] + [17] * len(cols) + [19]) + "|")
for tag, label in (("ember", "ember QD1 (interrupts)" if not params else "ember QD1"),
                   ("nvme", "NVMe pvsync2 QD1")):
    vcpu, engine_bql, engine_idle = stops(tag)
    n = float(ops[tag]) * win
    cells = [vcpu[k] / n for k in KINDS] + [engine_bql / n, engine_idle / n]
    host_us = int(busy[tag]) / float(ops[tag])  # (s/s) * 1e6 / (ops/s)
    print(f"| {label:<22} | {float(ops[tag]):>7.0f} | "
          + " | ".join(f"{c:>17.3f}" for c in cells) + f" | {host_us:>19.1f} |")
PY
