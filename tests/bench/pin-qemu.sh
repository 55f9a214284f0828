#!/bin/bash
# Sourced by tests/bench/run.sh, tests/bench/vcpu-waits.sh and
# tests/bench/qd1-modes.sh: the placement of a running QEMU's threads on
# the host CPUs (run.sh --pin).

# wait_qemu_pid PATTERN SMP: prints the PID of the QEMU whose command line
# matches PATTERN once its last vCPU thread ("CPU SMP-1/TCG") exists,
# waiting up to 30 s; fails if there is none by then. (timeout's command
# line holds QEMU's too: the process with the vCPUs is QEMU.)
wait_qemu_pid() {
	local p
	for _ in $(seq 300); do
		for p in $(pgrep -f -- "$1"); do
			grep -qsx "CPU $(($2 - 1))/TCG" /proc/"$p"/task/*/comm && { echo "$p"; return 0; }
		done
		sleep 0.1
	done
	return 1
}

# pin_qemu_threads PID SMP apart|together: the vCPU that runs the workload
# (the guest's last CPU, "CPU SMP-1/TCG") on the last host CPU, alone
# (apart) or with QEMU's main loop and ember's DBC engine thread
# (together); every other thread on the other host CPUs. Threads created
# later inherit their creator's placement. Needs 2 host CPUs.
pin_qemu_threads() {
	local pid=$1 smp=$2 mode=$3 last t comm
	last=$(($(nproc) - 1))
	for t in /proc/"$pid"/task/*; do
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		if [ "$comm" = "CPU $((smp - 1))/TCG" ] ||
			{ [ "$mode" = together ] && { [ "${t##*/}" = "$pid" ] || [ "$comm" = ember-engine ]; }; }; then
			taskset -p -c "$last" "${t##*/}" >/dev/null
		else
			taskset -p -c "0-$((last - 1))" "${t##*/}" >/dev/null
		fi
	done
}
