#!/bin/sh
# In-guest check of tools/bpftrace/ember-jobs.bt against the driver's own
# counters: with ember loaded, runs a data-path workload under the script
# and requires its per-DBC job and interrupt counts to equal the deltas of
# the debugfs "datapath" counters, less at most the events the kernel
# reports it did not run the script's programs for (recursion_misses in
# the programs' fdinfo: a tracepoint that fires in an interrupt on a CPU
# that is running one of the script's programs is skipped; with the DBC's
# vector steered to the submitting CPU a completion can interrupt the
# drm_sched_job probe of the same job), and the gpu_scheduler tracepoints
# to have fired for the jobs (@sched_wait_us). Prints PASS/FAIL lines.
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
# Invocations the kernel skipped, over all of the script's programs.
misses=$(grep -hs '^recursion_misses:' /proc/$bt/fdinfo/* | awk '{ s += $2 } END { print s + 0 }')
kill -INT $bt
wait $bt

# mapsum NAME: values of "@NAME[...]: N" lines summed
mapsum() { sed -n "s/^@$1\[[^]]*\]: \([0-9]*\)$/\1/p" "$out" | awk '{ s += $1 } END { print s + 0 }'; }
jobs=$(mapsum jobs_completed) irqs=$(mapsum irqs)
# seen NAME COUNTED DEBUGFS: the script saw every event but those skipped.
seen() {
	if [ "$2" -le "$3" ] && [ "$(($3 - $2))" -le "$misses" ]; then
		pass "bpftrace.$1"
	else
		fail "bpftrace.$1" "script counted $2, debugfs $3, programs skipped $misses times"
	fi
}
if [ "$((c1 - c0))" -gt 0 ]; then
	seen jobs "$jobs" "$((c1 - c0))"
else
	fail bpftrace.jobs "the workload completed no job"
fi
seen irqs "$irqs" "$((i1 - i0))"
[ "$misses" = 0 ] || echo "bpftrace-check: the kernel skipped the script's programs $misses times (recursion_misses)"
if grep -q '^@sched_wait_us:' "$out" && grep -q '^@latency_us\[' "$out"; then
	pass bpftrace.histograms
else
	fail bpftrace.histograms "no @sched_wait_us / @latency_us in the output"
fi
