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
#   ember ... mitigation off / on, polling, single MSI: not yet (the data
#             path does not exist); see ember_bench below
#
# Environment (vm-run passes EMBER_* through):
#   EMBER_BENCH_OUT      result directory (default $EMBER_OUT/bench)
#   EMBER_BENCH_RUNTIME  measured seconds per configuration (default 10)
#   EMBER_BENCH_RAMP     warm-up seconds before that (default 2)
#   EMBER_BENCH_QUICK=1  smoke test: 2 s + 0.5 s unless set explicitly
#   EMBER_BENCH_CPU      CPU the workload is pinned to (default: the last
#                        one; empty: not pinned)
#   EMBER_BENCH_FILTER   extended regex: run only configurations whose
#                        name matches (e.g. 'io_uring', '^ember')
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
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
# Plug-in point for the ember half (data-path issue, item 7). One record per
# mode, same columns, measured by the same helper:
#   load the driver for the mode (e.g. module parameters for interrupt
#   mitigation / polling; force_single_msi=1 for single MSI), then
#     $BENCH measure --config "ember <mode>" --group ember --out "$RECORDS" \
#       --irq-regex 'ember' --ops file:<debugfs completed-jobs counter> \
#       --parser json --raw <file> --ramp "$RAMP" --runtime "$RUNTIME" -- \
#       <QD1 execute/wait loop that runs RAMP+RUNTIME s, pinned to $CPU, and
#        writes {"ops_per_s":..,"p50_us":..,"p99_us":..} to <file>>
# Until the execute/wait ioctls exist nothing is measured here.
ember_bench() {
	wanted "ember mitigation off" "ember mitigation on" "ember polling" \
		"ember single MSI" || return 0
	echo "ember: data path not implemented yet"
	$BENCH skip --status not-implemented --config "ember" --group ember \
		--out "$RECORDS" --note "data path not implemented yet" ||
		failed=1
}

# --- main ---------------------------------------------------------------------
say "ramp ${RAMP} s, runtime ${RUNTIME} s per configuration, CPU ${CPU:-any}, results in $OUT"
$BENCH guest-info --out "$OUT/guest-info.json" --idle-seconds "$RAMP" || failed=1
nvme_bench
ember_bench
say "done (status $failed)"
exit $failed
