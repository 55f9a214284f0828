#!/bin/bash
# Guest half of make bench: runs inside the VM that tests/bench/run.sh boots
# (scripts/vm-run --nvme ...). Measures every configuration with
# tests/bench/bench.py and appends one JSON record per configuration to
# $EMBER_BENCH_OUT/records.jsonl; fio's raw JSON goes beside it.
#
# Configurations:
#   nvme ...  QEMU's emulated NVMe on a null-co backend (the baseline of a
#             mature driver on the same platform): fio 4 KiB random reads,
#             QD1, O_DIRECT on /dev/nvme0n1, engines pvsync2 and io_uring,
#             each interrupt-driven and polled (--hipri, nvme poll_queues=1)
#   ember ... the data path in five modes (mitigation off / on, waiter
#             poll, polling, single MSI), each as a stream of jobs with
#             several BOs in flight and as a lone job at a time (QD1); a
#             QD1 loop and a stream switching mitigation on / off every 256
#             and 1024 jobs, and their on / on controls; the
#             same QD1 and stream loops through raw ioctls and through
#             libember's C and C++ APIs (its overhead); and 1, 2 and 4 DBCs
#             kept busy by as many processes at once; see ember_bench below
#   alternating QD1  ember's and NVMe's lone-job loops alternating in short
#             rounds (tests/bench/qd1-alternate.sh; needs the NVMe), its
#             output in $EMBER_BENCH_OUT/qd1-alternate.txt
#
# Environment (vm-run passes EMBER_* through):
#   EMBER_BENCH_OUT      result directory (default $EMBER_OUT/bench)
#   EMBER_BENCH_RUNTIME  measured seconds per configuration (default 10)
#   EMBER_BENCH_RAMP     warm-up seconds before that (default 2)
#   EMBER_BENCH_QUICK=1  smoke test: 2 s + 0.5 s unless set explicitly
#   EMBER_BENCH_CPU      CPU the workload is pinned to (default: the last
#                        one; empty: not pinned)
#   EMBER_BENCH_FILTER   extended regex: run only configurations whose
#                        name matches (e.g. 'io_uring', '^ember', 'QD1')
#   EMBER_BENCH_DEPTH    ember stream rows: BOs in flight (default 32)
#   EMBER_BENCH_SERVICE_NS  ember stream rows: service time per job
#                        (default 200000)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
BENCH="python3 $HERE/bench.py"
OUT=${EMBER_BENCH_OUT:-${EMBER_OUT:-/tmp}/bench}
if [ "${EMBER_BENCH_QUICK:-0}" = 1 ]; then
	RUNTIME=${EMBER_BENCH_RUNTIME:-2}
	RAMP=${EMBER_BENCH_RAMP:-0.5}
else
	RUNTIME=${EMBER_BENCH_RUNTIME:-10}
	RAMP=${EMBER_BENCH_RAMP:-2}
fi
CPU=${EMBER_BENCH_CPU-$(($(nproc) - 1))}
FILTER=${EMBER_BENCH_FILTER:-}
RECORDS=$OUT/records.jsonl
mkdir -p "$OUT/raw"
: >"$RECORDS"
failed=0

say() { echo "guest-bench: $*" >&2; }
ms() { awk -v s="$1" 'BEGIN { printf "%dms", s * 1000 + 0.5 }'; }
wanted() { # NAME...: true if the filter selects any of them
	local n
	[ -z "$FILTER" ] && return 0
	for n in "$@"; do [[ $n =~ $FILTER ]] && return 0; done
	return 1
}
skip() { # config group note
	say "$1: skipped: $3"
	$BENCH skip --config "$1" --group "$2" --out "$RECORDS" --note "$3"
}

# --- NVMe baseline ------------------------------------------------------------
NVME_DEV=/dev/nvme0n1
NVME_BLK=nvme0n1

# load_nvme [MODULE-PARAMS...]: (re)load the nvme driver, wait for the
# namespace's block device.
load_nvme() {
	modprobe -r nvme 2>/dev/null
	modprobe nvme "$@" || return 1
	local _
	for _ in $(seq 200); do
		[ -b "$NVME_DEV" ] && [ -e "/sys/block/$NVME_BLK/queue/io_poll" ] && return 0
		sleep 0.1
	done
	say "no $NVME_DEV 20 s after modprobe nvme $*"
	return 1
}

# fio_config NAME ENGINE irq|poll
fio_config() {
	local name=$1 engine=$2 mode=$3 raw hipri=()
	wanted "$name" || return 0
	raw=$OUT/raw/$(echo "$name" | tr ' /' '__').json
	[ "$mode" = poll ] && hipri=(--hipri)
	say "$name: fio $engine${hipri:+ --hipri}, ${RAMP} s ramp + ${RUNTIME} s"
	$BENCH measure --config "$name" --group nvme --out "$RECORDS" \
		--irq-regex 'nvme0q[0-9]+' --ops "diskstats:$NVME_BLK" \
		--parser fio --raw "$raw" --ramp "$RAMP" --runtime "$RUNTIME" \
		${hipri:+--expect-no-irqs} -- \
		fio --name="$name" --filename="$NVME_DEV" --rw=randread --bs=4k \
		--direct=1 --iodepth=1 --numjobs=1 --ioengine="$engine" "${hipri[@]}" \
		--time_based --ramp_time="$(ms "$RAMP")" --runtime="$(ms "$RUNTIME")" \
		--norandommap --randrepeat=0 --clat_percentiles=1 --lat_percentiles=1 \
		${CPU:+--cpus_allowed="$CPU"} --output-format=json --output="$raw" ||
		failed=1
}

nvme_bench() {
	local e
	wanted "nvme pvsync2 irq" "nvme io_uring irq" "nvme pvsync2 poll" "nvme io_uring poll" ||
		return 0
	if ! grep -qsx 0x010802 /sys/bus/pci/devices/*/class; then
		for e in "pvsync2 irq" "io_uring irq" "pvsync2 poll" "io_uring poll"; do
			skip "nvme $e" nvme "no NVMe controller (boot with scripts/vm-run --nvme)"
		done
		return 0
	fi
	if ! command -v fio >/dev/null; then
		skip "nvme" nvme "fio is not installed (make deps)"
		failed=1
		return 0
	fi

	# Interrupt-driven: the driver's defaults (one queue per CPU, one vector each).
	if ! wanted "nvme pvsync2 irq" "nvme io_uring irq"; then
		:
	elif load_nvme; then
		say "nvme: $(xargs </sys/class/nvme/nvme0/model 2>/dev/null)," \
			"$(grep -c 'nvme0q' /proc/interrupts) vectors, io_poll=$(cat /sys/block/$NVME_BLK/queue/io_poll)"
		fio_config "nvme pvsync2 irq" pvsync2 irq
		fio_config "nvme io_uring irq" io_uring irq
	else
		for e in pvsync2 io_uring; do skip "nvme $e irq" nvme "nvme driver did not come up"; done
		failed=1
	fi

	# Polled: a poll queue (no vector) that REQ_POLLED I/O (--hipri) goes to.
	if ! wanted "nvme pvsync2 poll" "nvme io_uring poll"; then
		:
	elif load_nvme poll_queues=1 && [ "$(cat /sys/block/$NVME_BLK/queue/io_poll)" = 1 ]; then
		say "nvme: poll_queues=1, io_poll=1"
		fio_config "nvme pvsync2 poll" pvsync2 poll
		fio_config "nvme io_uring poll" io_uring poll
	else
		for e in pvsync2 io_uring; do
			skip "nvme $e poll" nvme "no polled queue (modprobe nvme poll_queues=1; io_poll != 1)"
		done
		failed=1
	fi
	modprobe -r nvme 2>/dev/null
}

# --- ember --------------------------------------------------------------------
# Per mode two configurations, measured by the same helper as NVMe:
#   "<mode> stream"  EMBER_BENCH_DEPTH BOs kept in flight (default 32) on a DBC
#                    whose every job takes EMBER_BENCH_SERVICE_NS (default
#                    200000 ns: with QEMU's threads pinned apart, about one
#                    interrupt per job without mitigation, a storm); jobs/s,
#                    interrupts and CPU per job
#   "<mode> QD1"     a lone job at a time (execute, wait, next), no service
#                    time: the latency of one job, against NVMe's QD1 rows
# Modes: mitigation off / on (datapath_irq_mitigation=N / Y at run time),
# polling (reload with datapath_polling=1), single MSI (reload with
# force_single_msi=1; mitigation on). Jobs are 64-byte COPYs from a region of
# a workload the program LOADed, checked after every completion
# (tests/bench/ember_bench.cpp, tests/vm/ember_load.hpp).
# waiter poll: interrupts with mitigation on, every WAIT_BO with
# EMBER_WAIT_BO_POLL (the waiter polls the ring; docs/datapath.md).
# scheduler submit: "mitigation on" QD1 with datapath_direct_submit=N: every
# job's requests are written by run_job's work item, not by EXECUTE_BO.
# QD1 rows make one call a job, EXECUTE_BO waiting for it
# (EMBER_EXECUTE_BO_WAIT); two calls: "mitigation on" QD1 with EXECUTE_BO
# and then WAIT_BO (ember_bench --execute-wait 0).
# IRQ not steered: "mitigation on" QD1 with datapath_irq_follow=0 (reload)
# and every DBC vector on CPU 0 (/proc/irq/N/smp_affinity_list), the other
# CPU than the workload's: where the kernel may put a vector, and where
# steering would move it from. (Left alone, the kernel happens to put
# DBC 0's vector on the last CPU, the workload's, which would make this
# row the same placement as "mitigation on".)
# mitigation interleaved: one QD1 loop that writes Y and N to
# datapath_irq_mitigation in turn, every 256 jobs (ember_bench
# --alternate-param: between jobs, untimed), each value's jobs counted
# apart: the lone-job on / off ratio without the drift between separate
# rows; and one stream loop that does the same every 1024 jobs (about a
# quarter of a second), each value's jobs/s, CPU and interrupts per job
# taken from its own windows (ember_bench's by_param): the stream on /
# off ratios without the drift, nor the host's steal spells, between
# separate rows. mitigation control: the same with Y and Y, which must
# give 1.00 but for the method's own noise.
# raw / libember C / libember C++: the QD1 and stream loops of "mitigation
# on" through raw ioctls (what every other ember row uses) and through
# libember's C and C++ APIs (ember_bench --api), measured back to back.
EMBER_MODES=("ember mitigation off" "ember mitigation on" "ember waiter poll" "ember polling" "ember single MSI"
	"ember raw" "ember libember C" "ember libember C++")
EMBER_API_MODES=("ember raw" "ember libember C" "ember libember C++")
EMBER_API_MIX="ember API interleaved"  # its QD1 row only
EMBER_FIXED="ember IRQ not steered"  # its QD1 row only
EMBER_SCHED="ember scheduler submit"  # its QD1 row only
EMBER_TWO="ember two calls"  # its QD1 row only
EMBER_MIT_ALT="ember mitigation interleaved"
EMBER_MIT_CTL="ember mitigation control"
# Jobs per block of the interleaved stream rows.
EMBER_MIT_STREAM_EVERY=1024
# The rows outside the modes measured with ember.ko's default load (the IRQ
# not steered row reloads it).
EMBER_OTHER_ROWS=("$EMBER_API_MIX QD1" "$EMBER_SCHED QD1" "$EMBER_TWO QD1" "$EMBER_MIT_ALT QD1" "$EMBER_MIT_CTL QD1"
	"$EMBER_MIT_ALT stream" "$EMBER_MIT_CTL stream")
EMBER_API_ARGS=(raw c cpp)
# N processes at once, each keeping its own DBC busy (a stream of
# EMBER_BENCH_DEPTH BOs at EMBER_BENCH_SERVICE_NS a job); mitigation on.
EMBER_PAR=(1 2 4)
ember_par_name() { [ "$1" = 1 ] && echo "ember 1 DBC busy" || echo "ember $1 DBCs busy"; }
# Extra ember_bench arguments of the mode being measured.
EMBER_EXTRA=()
EMBER_DEPTH=${EMBER_BENCH_DEPTH:-32}
EMBER_SERVICE_NS=${EMBER_BENCH_SERVICE_NS:-200000}
EMBER_BIN=$BUILD/tests/ember_bench
EMBER_DP=''

# Every ember DBC vector to CPU 0 (x86 moves it at its next interrupt).
dbc_irqs_to_cpu0() {
	local irq n=0
	for irq in $(awk '/ember@.*:dbc/ { sub(":", "", $1); print $1 }' /proc/interrupts); do
		echo 0 >"/proc/irq/$irq/smp_affinity_list" || return 1
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

# load_ember [MODULE-PARAMS...]: (re)load ember.ko, find its debugfs datapath.
load_ember() {
	[ -d /sys/module/ember ] && { "$ROOT/tests/vm/kmd/unload.sh" >/dev/null 2>&1 || return 1; }
	"$ROOT/tests/vm/kmd/load.sh" "$@" >&2 || return 1
	EMBER_DP=$(ls -d /sys/kernel/debug/accel/*/datapath 2>/dev/null | head -n 1)
	[ -n "$EMBER_DP" ] || { say "ember: no debugfs datapath after load.sh $*"; return 1; }
	say "ember: loaded${*:+ with $*}: $(head -n 3 "$EMBER_DP" | tr '\n' ' ')"
}

# ember_config NAME NOTE [--expect-no-irqs] [--copies N] -- EMBER_BENCH-ARGS...
# --copies N: N ember_bench processes at once, not pinned (bench.py
# parallel sums their jobs/s); otherwise one, pinned to $CPU.
ember_config() {
	local name=$1 note=$2 expect=() raw copies='' seconds
	shift 2
	[ "$1" = --expect-no-irqs ] && { expect=(--expect-no-irqs); shift; }
	[ "$1" = --copies ] && { copies=$2; shift 2; }
	[ "$1" = -- ] && shift
	wanted "$name" || return 0
	raw=$OUT/raw/$(echo "$name" | tr ' /+' '__p').json
	seconds=$(awk -v a="$RAMP" -v b="$RUNTIME" 'BEGIN { print a + b }')
	local cmd=("$EMBER_BIN" "$@" "${EMBER_EXTRA[@]}" --ramp "$RAMP" --seconds "$seconds")
	if [ -n "$copies" ]; then
		cmd=(python3 "$HERE/bench.py" parallel --copies "$copies" --out "$raw" -- "${cmd[@]}")
	else
		cmd+=(${CPU:+--cpu "$CPU"} --out "$raw")
	fi
	say "$name: ${copies:+$copies x }ember_bench $*${EMBER_EXTRA[*]:+ ${EMBER_EXTRA[*]}}, ${RAMP} s ramp + ${RUNTIME} s"
	$BENCH measure --config "$name" --group ember --out "$RECORDS" \
		--irq-regex 'ember@' --irq-counter "ember:$EMBER_DP" --ops "ember:$EMBER_DP" \
		--parser json --raw "$raw" --ramp "$RAMP" --runtime "$RUNTIME" --note "$note" \
		"${expect[@]}" -- "${cmd[@]}" ||
		failed=1
}

# ember_mode MODE [--expect-no-irqs]: its stream and QD1 configurations
ember_mode() {
	local mode=$1
	shift
	ember_config "$mode stream" "$EMBER_DEPTH BOs in flight, service time $((EMBER_SERVICE_NS / 1000)) us/job" \
		"$@" -- --depth "$EMBER_DEPTH" --service-ns "$EMBER_SERVICE_NS"
	ember_config "$mode QD1" "one job at a time, no service time" "$@" -- --depth 1 --service-ns 0
}

# ember_api_rows: the QD1 loop through all three job by job in one process
# (ember_bench --api mix: the libember/raw p50 ratios), then the QD1 rows
# of raw, libember C and C++, then their stream rows (mitigation on; each
# kind's three rows back to back, so that they see the same host state).
ember_api_rows() {
	local i
	EMBER_EXTRA=(--api mix)
	ember_config "$EMBER_API_MIX QD1" "one job at a time, no service time; --api mix: raw, C, C++ in turn, job by job" \
		-- --depth 1 --service-ns 0
	for i in "${!EMBER_API_MODES[@]}"; do
		EMBER_EXTRA=(--api "${EMBER_API_ARGS[$i]}")
		ember_config "${EMBER_API_MODES[$i]} QD1" "one job at a time, no service time; --api ${EMBER_API_ARGS[$i]}" \
			-- --depth 1 --service-ns 0
	done
	for i in "${!EMBER_API_MODES[@]}"; do
		EMBER_EXTRA=(--api "${EMBER_API_ARGS[$i]}")
		ember_config "${EMBER_API_MODES[$i]} stream" \
			"$EMBER_DEPTH BOs in flight, service time $((EMBER_SERVICE_NS / 1000)) us/job; --api ${EMBER_API_ARGS[$i]}" \
			-- --depth "$EMBER_DEPTH" --service-ns "$EMBER_SERVICE_NS"
	done
	EMBER_EXTRA=()
}

# ember_par_rows: 1, 2, 4 processes, each with its own DBC (ACTIVATE takes
# a free one) at EMBER_SERVICE_NS a job; skipped where the device has
# fewer DBCs.
ember_par_rows() {
	local n name dbcs
	dbcs=$(grep -c '^dbc[0-9]' "$EMBER_DP")
	for n in "${EMBER_PAR[@]}"; do
		name=$(ember_par_name "$n")
		wanted "$name" || continue
		if [ "$dbcs" -lt "$n" ]; then
			skip "$name" ember "the device has $dbcs DBCs (scripts/vm-run --dbcs 4)"
			continue
		fi
		ember_config "$name" "$n process(es), one DBC each, $EMBER_DEPTH BOs in flight each, service time $((EMBER_SERVICE_NS / 1000)) us/job, not pinned; jobs/s summed, latency the slowest process's" \
			--copies "$n" -- --depth "$EMBER_DEPTH" --service-ns "$EMBER_SERVICE_NS"
	done
}

# ember_par_wanted: does the filter select a parallel-DBC row?
ember_par_wanted() {
	local n names=()
	for n in "${EMBER_PAR[@]}"; do names+=("$(ember_par_name "$n")"); done
	wanted "${names[@]}"
}

# ember_present: is there an ember PF or VF (1234:eb01, 1234:eb02)?
ember_present() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] || continue
		case $(cat "$d/device") in 0xeb01 | 0xeb02) return 0 ;; esac
	done
	return 1
}

# ember_wanted MODE...: true if the filter selects a configuration of them
ember_wanted() {
	local m names=()
	for m in "$@"; do names+=("$m stream" "$m QD1"); done
	wanted "${names[@]}"
}
# skip_wanted NOTE CONFIG...: skip each of the configurations the filter selects
skip_wanted() {
	local note=$1 c
	shift
	for c in "$@"; do
		wanted "$c" && skip "$c" ember "$note"
	done
	return 0
}
# ember_skip NOTE MODE...: skip every selected configuration of the modes
ember_skip() {
	local note=$1 m
	shift
	for m in "$@"; do
		skip_wanted "$note" "$m stream" "$m QD1"
	done
}

ember_bench() {
	local n
	ember_wanted "${EMBER_MODES[@]}" || wanted "${EMBER_OTHER_ROWS[@]}" "$EMBER_FIXED QD1" ||
		ember_par_wanted ||
		return 0
	if ! ember_present || [ ! -x "$EMBER_BIN" ]; then
		local why="no ember device"
		ember_present && why="$EMBER_BIN not built (make build)"
		ember_skip "$why" "${EMBER_MODES[@]}"
		skip_wanted "$why" "${EMBER_OTHER_ROWS[@]}" "$EMBER_FIXED QD1"
		for n in "${EMBER_PAR[@]}"; do
			wanted "$(ember_par_name "$n")" && skip "$(ember_par_name "$n")" ember "$why"
		done
		failed=1
		return 0
	fi
	local mit=/sys/module/ember/parameters/datapath_irq_mitigation
	local direct=/sys/module/ember/parameters/datapath_direct_submit
	if ! ember_wanted "ember mitigation off" "ember mitigation on" "ember waiter poll" "${EMBER_API_MODES[@]}" &&
		! wanted "${EMBER_OTHER_ROWS[@]}" && ! ember_par_wanted; then
		:
	elif load_ember; then
		echo N >"$mit" && ember_mode "ember mitigation off"
		echo Y >"$mit" && ember_mode "ember mitigation on"
		EMBER_EXTRA=(--alternate-param "$mit=Y,N")
		ember_config "$EMBER_MIT_ALT QD1" \
			"one job at a time, no service time; datapath_irq_mitigation Y and N in turn, 256 jobs each" \
			-- --depth 1 --service-ns 0
		EMBER_EXTRA=(--alternate-param "$mit=Y,Y")
		ember_config "$EMBER_MIT_CTL QD1" \
			"one job at a time, no service time; datapath_irq_mitigation Y and Y in turn, 256 jobs each (the control)" \
			-- --depth 1 --service-ns 0
		EMBER_EXTRA=(--alternate-param "$mit=Y,N" --alternate-every "$EMBER_MIT_STREAM_EVERY")
		ember_config "$EMBER_MIT_ALT stream" \
			"$EMBER_DEPTH BOs in flight, service time $((EMBER_SERVICE_NS / 1000)) us/job; datapath_irq_mitigation Y and N in turn, $EMBER_MIT_STREAM_EVERY jobs each" \
			-- --depth "$EMBER_DEPTH" --service-ns "$EMBER_SERVICE_NS"
		EMBER_EXTRA=(--alternate-param "$mit=Y,Y" --alternate-every "$EMBER_MIT_STREAM_EVERY")
		ember_config "$EMBER_MIT_CTL stream" \
			"$EMBER_DEPTH BOs in flight, service time $((EMBER_SERVICE_NS / 1000)) us/job; datapath_irq_mitigation Y and Y in turn, $EMBER_MIT_STREAM_EVERY jobs each (the control)" \
			-- --depth "$EMBER_DEPTH" --service-ns "$EMBER_SERVICE_NS"
		EMBER_EXTRA=()
		echo N >"$direct" && ember_config "$EMBER_SCHED QD1" \
			"one job at a time, no service time; datapath_direct_submit=N" -- --depth 1 --service-ns 0
		echo Y >"$direct"
		ember_config "$EMBER_TWO QD1" \
			"one job at a time, no service time; EXECUTE_BO, then WAIT_BO (--execute-wait 0)" \
			-- --depth 1 --service-ns 0 --execute-wait 0
		EMBER_EXTRA=(--wait-poll 1)
		ember_mode "ember waiter poll"
		EMBER_EXTRA=()
		ember_api_rows
		ember_par_rows
	else
		ember_skip "ember.ko did not load" "ember mitigation off" "ember mitigation on" "ember waiter poll" \
			"${EMBER_API_MODES[@]}"
		skip_wanted "ember.ko did not load" "${EMBER_OTHER_ROWS[@]}"
		for n in "${EMBER_PAR[@]}"; do
			wanted "$(ember_par_name "$n")" && skip "$(ember_par_name "$n")" ember "ember.ko did not load"
		done
		failed=1
	fi
	if ! wanted "$EMBER_FIXED QD1"; then
		:
	elif load_ember datapath_irq_follow=0 && grep -qx 'irq_follow: off' "$EMBER_DP" &&
		dbc_irqs_to_cpu0; then
		ember_config "$EMBER_FIXED QD1" \
			"one job at a time, no service time; datapath_irq_follow=0, DBC vectors set to CPU 0" \
			-- --depth 1 --service-ns 0
	else
		skip "$EMBER_FIXED QD1" ember "ember.ko did not load with datapath_irq_follow=0"
		failed=1
	fi
	if ! ember_wanted "ember polling"; then
		:
	elif load_ember datapath_polling=1 && grep -qx 'service: polling' "$EMBER_DP"; then
		ember_mode "ember polling" --expect-no-irqs
	else
		ember_skip "ember.ko did not load with datapath_polling=1" "ember polling"
		failed=1
	fi
	if ! ember_wanted "ember single MSI"; then
		:
	elif load_ember force_single_msi=1 && grep -qx 'irq_mode: msix-single' "$EMBER_DP"; then
		ember_mode "ember single MSI"
	else
		ember_skip "ember.ko did not load in single-MSI mode (force_single_msi=1)" "ember single MSI"
		failed=1
	fi
	[ -d /sys/module/ember ] && "$ROOT/tests/vm/kmd/unload.sh" >/dev/null 2>&1
	return 0
}

# --- main ---------------------------------------------------------------------
say "ramp ${RAMP} s, runtime ${RUNTIME} s per configuration, CPU ${CPU:-any}, results in $OUT"
$BENCH guest-info --out "$OUT/guest-info.json" --idle-seconds "$RAMP" || failed=1
nvme_bench
ember_bench
# The lone-job ratios once more, ember and NVMe alternating in short rounds
# (tests/bench/qd1-alternate.sh): the rows above each ran once, so their
# ratios also carry the host's drift between them.
if wanted "alternating QD1" && grep -qsx 0x010802 /sys/bus/pci/devices/*/class; then
	if [ "${EMBER_BENCH_QUICK:-0}" = 1 ]; then alt=(2 2); else alt=(6 3); fi
	say "alternating QD1: ${alt[0]} rounds of ${alt[1]} s a loop"
	"$ROOT/tests/bench/qd1-alternate.sh" "${alt[@]}" >"$OUT/qd1-alternate.txt" || failed=1
fi
say "done (status $failed)"
exit $failed
