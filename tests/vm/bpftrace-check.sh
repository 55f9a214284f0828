#!/bin/sh
# In-guest check of tools/bpftrace/ember-jobs.bt against the driver's own
# counters: with ember loaded, runs a data-path workload under the script
# and requires its per-DBC job and interrupt counts to equal the deltas of
# the debugfs "datapath" counters, and the gpu_scheduler tracepoints to
# have fired for the jobs (@sched_wait_us). Prints PASS/FAIL lines.
# usage: tests/vm/bpftrace-check.sh   (root, ember loaded, nothing else
#        using the device)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh

dp=$(ls /sys/kernel/debug/accel/*/datapath 2>/dev/null | head -n 1)
if [ -z "$dp" ]; then
	fail bpftrace.setup "no debugfs datapath file (ember not loaded?)"
	exit 1
fi
# sum FIELD: the FIELD counter summed over all DBCs
sum() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$dp" | awk '{ s += $1 } END { print s + 0 }'; }

out=/tmp/ember-jobs.out
bpftrace tools/bpftrace/ember-jobs.bt >"$out" 2>&1 &
bt=$!
i=0
until grep -q '^Tracing ember jobs' "$out"; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 $bt 2>/dev/null; then
		fail bpftrace.attach "$(tail -n 3 "$out" | tr '\n' ' ')"
		kill $bt 2>/dev/null
		exit 1
	fi
	sleep 0.1
done
pass bpftrace.attach

c0=$(sum completions) i0=$(sum interrupts)
"$EMBER_BUILD/tests/ember_vm_datapath" "COPY to device memory and back returns the same bytes" >/tmp/bt-load.log 2>&1 ||
	fail bpftrace.workload "$(tail -n 3 /tmp/bt-load.log | tr '\n' ' ')"
"$EMBER_BUILD/tests/ember_vm_datapath" "GEMM_I8 matches a host computation" >>/tmp/bt-load.log 2>&1 ||
	fail bpftrace.workload "$(tail -n 3 /tmp/bt-load.log | tr '\n' ' ')"
c1=$(sum completions) i1=$(sum interrupts)
kill -INT $bt
wait $bt

# mapsum NAME: values of "@NAME[...]: N" lines summed
mapsum() { sed -n "s/^@$1\[[^]]*\]: \([0-9]*\)$/\1/p" "$out" | awk '{ s += $1 } END { print s + 0 }'; }
jobs=$(mapsum jobs_completed) irqs=$(mapsum irqs)
if [ "$((c1 - c0))" -gt 0 ] && [ "$jobs" = "$((c1 - c0))" ]; then
	pass bpftrace.jobs
else
	fail bpftrace.jobs "script counted $jobs completed jobs, debugfs $((c1 - c0))"
fi
if [ "$irqs" = "$((i1 - i0))" ]; then
	pass bpftrace.irqs
else
	fail bpftrace.irqs "script counted $irqs interrupts, debugfs $((i1 - i0))"
fi
if grep -q '^@sched_wait_us:' "$out" && grep -q '^@latency_us\[' "$out"; then
	pass bpftrace.histograms
else
	fail bpftrace.histograms "no @sched_wait_us / @latency_us in the output"
fi
