#!/bin/bash
# Sourced by the guest side of tests/bench/qd1-cpu.sh and
# tests/bench/insn-profile.sh: bring up the emulated NVMe and run fio's
# pvsync2 QD1 loop on it, the same loop as make bench's
# `nvme pvsync2 irq` row (tests/bench/guest-bench.sh).

NVME_DEV=/dev/nvme0n1

# nvme_up: load nvme and wait up to 10 s for $NVME_DEV; fails without it.
nvme_up() {
	modprobe nvme || return 1
	for _ in $(seq 100); do
		[ -b "$NVME_DEV" ] && return 0
		sleep 0.1
	done
	echo "nvme-qd1: no $NVME_DEV 10 s after modprobe nvme" >&2
	return 1
}

# nvme_qd1 SECONDS CPU [FIO-ARG...]: 4 KiB random O_DIRECT reads, one at a
# time, pvsync2, for SECONDS on CPU.
nvme_qd1() {
	local secs=$1 cpu=$2
	shift 2
	fio --name=qd1 --filename="$NVME_DEV" --rw=randread --bs=4k --direct=1 \
		--iodepth=1 --numjobs=1 --time_based --runtime="${secs}s" \
		--norandommap --randrepeat=0 --cpus_allowed="$cpu" --ioengine=pvsync2 "$@"
}
