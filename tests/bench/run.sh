#!/bin/bash
# make bench: boot one VM (scripts/vm-run --nvme) and run
# tests/bench/guest-bench.sh in it: the ember data path in four modes
# (interrupt mitigation off / on, polling, single MSI; a stream of jobs and
# a lone job at a time each) and, side by side, QEMU's emulated NVMe on a
# null backend as the baseline of a mature driver (fio, 4 KiB random reads,
# QD1). Prints the table and writes
#   build/bench/results-<timestamp>.txt   the table with the run's facts
#   build/bench/results-<timestamp>.json  every record, machine-readable
#   build/bench/results-<timestamp>.png   plot of the JSON (bench.py plot)
#   build/bench/latest.txt, latest.json, latest.png   copies of the newest
#   build/bench/run-<timestamp>/          raw fio JSON, guest log, console
# See docs/performance.md. Run as root (vm-run needs it).
#
# usage: tests/bench/run.sh [--quick] [--runtime S] [--ramp S] [--smp N]
#                           [--filter REGEX]
#   --quick        smoke test: 2 s per configuration after 0.5 s ramp
#   --runtime S    measured seconds per configuration (default 10)
#   --ramp S       warm-up seconds before each measurement (default 2)
#   --smp N        guest CPUs (default 2)
#   --filter REGEX run only configurations whose name matches
#   --pin MODE     placement of QEMU's threads on the host CPUs:
#                  apart: the vCPU that runs the workload alone on the last
#                  host CPU, all other threads on the others; together: the
#                  workload's vCPU, QEMU's main loop (device emulation) and
#                  ember's DBC engine thread
#                  on the last host CPU, the rest on the others; none
# Exit status: 0 if every configuration that ran was measured.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
OUTDIR=$BUILD/bench
BENCH=(python3 "$ROOT/tests/bench/bench.py")
invocation="tests/bench/run.sh${*:+ $*}"

usage() {
	sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
quick=0 runtime='' ramp='' smp=2 filter='' pin=apart
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--runtime) runtime=${2:?}; shift ;;
	--ramp) ramp=${2:?}; shift ;;
	--smp) smp=${2:?}; shift ;;
	--filter) filter=${2:?}; shift ;;
	--pin) pin=${2:?}; shift ;;
	-h | --help) usage ;;
	*) echo "bench: unknown option '$1'" >&2; usage ;;
	esac
	shift
done
num='^[0-9]+([.][0-9]+)?$'
[ -z "$runtime" ] || [[ $runtime =~ $num ]] || { echo "bench: --runtime needs seconds" >&2; exit 2; }
[ -z "$ramp" ] || [[ $ramp =~ $num ]] || { echo "bench: --ramp needs seconds" >&2; exit 2; }
[[ $smp =~ ^[1-9][0-9]*$ ]] || { echo "bench: --smp needs a number" >&2; exit 2; }
case "$pin" in apart | together | none) ;; *) echo "bench: --pin apart|together|none" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (scripts/vm-run needs it)" >&2; exit 1; }
command -v fio >/dev/null || { echo "bench: fio is not installed (make deps)" >&2; exit 1; }

QEMU=${EMBER_QEMU:-$("$ROOT/emu/build-qemu.sh" | tail -1)} || exit 1
ts=$(date +%Y%m%d-%H%M%S)
run=$OUTDIR/run-$ts
mkdir -p "$run"

# Other VMs on this (small) host steal the CPU the emulation needs: note them.
other_qemus() { # (comm is cut to 15 characters)
	local n
	n=$(pgrep -c -x qemu-system-x86)
	echo "${n:-0}"
}
busy_host() { awk '/^cpu / { print $2 + $3 + $4 + $6 + $7 + $8 + $9; exit }' /proc/stat; }
# CPU time this host's hypervisor took from it, if it is a VM (steal).
stolen_host() { awk '/^cpu / { print $9; exit }' /proc/stat; }
# CPU seconds used by this script's finished children (QEMU among them).
# Sets $cpu_children ('times' must run in this shell, not in a subshell).
children_cpu() {
	times >"$run/.times"
	cpu_children=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } print t }' "$run/.times")
	rm -f "$run/.times"
}
others_before=$(other_qemus)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# (4 DBCs: the "DBCs busy" rows keep up to 4 busy at once)
vmargs=(--nvme --topology msix --dbcs 4 --smp "$smp" --timeout 900 --keep-out "$run"
	--log "$run/guest-kernel.log" --env "EMBER_BENCH_QUICK=$quick"
	--qemu-arg -name --qemu-arg "ember-bench,debug-threads=on")
[ -z "$runtime" ] || vmargs+=(--env "EMBER_BENCH_RUNTIME=$runtime")
[ -z "$ramp" ] || vmargs+=(--env "EMBER_BENCH_RAMP=$ramp")
[ -z "$filter" ] || vmargs+=(--env "EMBER_BENCH_FILTER=$filter")
echo "bench: scripts/vm-run ${vmargs[*]} -- tests/bench/guest-bench.sh" >&2
# Pin our QEMU's threads once they exist: the workload's vCPU (the guest
# pins the workload to its last CPU) alone on the last host CPU, the rest
# (main loop = device emulation, other vCPUs, I/O workers; threads created
# later inherit this) on the other host CPUs, so the two never queue behind
# each other on one host CPU.
# shellcheck source=tests/bench/pin-qemu.sh
. "$ROOT/tests/bench/pin-qemu.sh"
pin_qemu() {
	local pid hostn last
	hostn=$(nproc)
	[ "$hostn" -ge 2 ] || return 0
	last=$((hostn - 1))
	pid=$(wait_qemu_pid "path=$(readlink -f "$run"),mount_tag=emberout" "$smp") ||
		{ echo "bench: warning: QEMU not found, threads not pinned" >&2; return 0; }
	pin_qemu_threads "$pid" "$smp" "$pin"
	echo "bench: pinned QEMU $pid ($pin): vCPU $((smp - 1))$([ "$pin" = together ] && echo ", the main loop and ember-engine") on host CPU $last, other threads on 0-$((last - 1))" >&2
}
[ "$pin" = none ] || pin_qemu &
pinner=$!
b0=$(busy_host) s0=$(stolen_host)
children_cpu
c0=$cpu_children
t0=$(date +%s.%N)
EMBER_QEMU=$QEMU "$ROOT/scripts/vm-run" "${vmargs[@]}" -- "$ROOT/tests/bench/guest-bench.sh" \
	2>&1 | tee "$run/console.txt" >&2
vm_rc=${PIPESTATUS[0]}
wait "$pinner" 2>/dev/null
t1=$(date +%s.%N)
b1=$(busy_host) s1=$(stolen_host)
children_cpu
c1=$cpu_children
others_after=$(other_qemus)

# (the guest's defaults, see guest-bench.sh)
eff_runtime=${runtime:-$([ $quick = 1 ] && echo 2 || echo 10)}
eff_ramp=${ramp:-$([ $quick = 1 ] && echo 0.5 || echo 2)}
M_TS=$ts M_QEMU=$QEMU M_SMP=$smp M_RUNTIME=$eff_runtime M_RAMP=$eff_ramp \
	M_QUICK=$quick M_FILTER=$filter M_PIN=$pin M_T0=$t0 M_T1=$t1 M_RC=$vm_rc \
	M_LOAD=$load_before M_B0=$b0 M_B1=$b1 M_S0=$s0 M_S1=$s1 M_C0=$c0 M_C1=$c1 \
	M_OTHERS0=$others_before M_OTHERS1=$others_after M_CMD=$invocation \
	python3 - "$run/meta.json" <<'PY'
import json, os, re, subprocess, sys
e = os.environ
cpu = re.search(r"^model name\s*:\s*(.*)$", open("/proc/cpuinfo").read(), re.M)
hz = os.sysconf("SC_CLK_TCK")
vm_s = float(e["M_T1"]) - float(e["M_T0"])
host_busy = (float(e["M_B1"]) - float(e["M_B0"])) / hz
ver = subprocess.run([e["M_QEMU"], "--version"], capture_output=True, text=True).stdout.split()
json.dump({
    "timestamp": e["M_TS"],
    "qemu": e["M_QEMU"],
    "qemu_version": ver[3] if len(ver) > 3 else None,
    "smp": int(e["M_SMP"]), "ram": "2G",
    "runtime": float(e["M_RUNTIME"]), "ramp": float(e["M_RAMP"]),
    "quick": e["M_QUICK"] == "1", "filter": e["M_FILTER"], "pin": e["M_PIN"],
    "vm_seconds": round(vm_s, 1), "vm_exit": int(e["M_RC"]),
    "host_cpu": cpu.group(1) if cpu else None, "host_ncpu": os.cpu_count(),
    "host_load_before": e["M_LOAD"],
    "host_busy_cpus_during": round(host_busy / vm_s, 2),
    # Host CPU not used by this run's QEMU (other VMs, builds...): it
    # competes with the emulation on a small host.
    "host_other_cpus_during": round(max(0.0, host_busy - (float(e["M_C1"]) - float(e["M_C0"]))) / vm_s, 2),
    # CPU time the hypervisor took from this host, if it is a VM ("steal"
    # in /proc/stat): the emulation's threads stall meanwhile, for seconds
    # at a time (docs/performance.md, "The storm test and the device's pace").
    "host_stolen_cpus_during": round((float(e["M_S1"]) - float(e["M_S0"])) / hz / vm_s, 3),
    "other_qemu_before": int(e["M_OTHERS0"]),
    "other_qemu_after": int(e["M_OTHERS1"]),
    "command": e["M_CMD"],
}, open(sys.argv[1], "w"), indent=1)
PY

alt=$run/bench/qd1-alternate.txt
"${BENCH[@]}" report --records "$run/bench/records.jsonl" \
	--guest-info "$run/bench/guest-info.json" --meta "$run/meta.json" \
	--alternate "$alt" --txt "$OUTDIR/results-$ts.txt" --json "$OUTDIR/results-$ts.json"
rep_rc=$?
if [ -s "$alt" ]; then
	{ echo; echo "alternating QD1 (tests/bench/qd1-alternate.sh, docs/performance.md):"; sed -n '/^--- medians/,$p' "$alt"; } |
		tee -a "$OUTDIR/results-$ts.txt"
fi
# The plot is a view of the JSON: a missing matplotlib costs the PNG only.
# python3-matplotlib is Debian's: draw with Debian's python3 (another
# python3 first in PATH, e.g. pyenv's, does not see it).
plot_py=python3
[ ! -x /usr/bin/python3 ] || plot_py=/usr/bin/python3
exts=(txt json)
if "$plot_py" "$ROOT/tests/bench/bench.py" plot --out "$OUTDIR/results-$ts.png" "$OUTDIR/results-$ts.json"; then
	exts+=(png)
else
	echo "bench: warning: no plot (bench.py plot failed; python3-matplotlib: make deps)" >&2
fi
for f in "${exts[@]}"; do
	cp "$OUTDIR/results-$ts.$f" "$OUTDIR/.latest.$f.$$" && mv -f "$OUTDIR/.latest.$f.$$" "$OUTDIR/latest.$f"
done
echo "bench: wrote $OUTDIR/results-$ts.txt (and ${exts[*]:1}; copies as latest.*; raw data in $run)" >&2

# Keep the raw data of the newest 10 runs.
# shellcheck disable=SC2012 # names are ours
ls -1dt "$OUTDIR"/run-* 2>/dev/null | tail -n +11 | xargs -r rm -rf
[ "$vm_rc" -eq 0 ] || { echo "bench: the VM run failed (status $vm_rc; see $run/console.txt)" >&2; exit "$vm_rc"; }
exit $rep_rc
