#!/bin/sh
# In-guest test of ember-exporter against the driver's own counters: loads
# ember, serves /metrics on a local port, runs a workload of N runs and
# requires the scrape's per-DBC job and interrupt counters to equal the
# driver's sysfs dbc_counters, ember_up 1, `promtool check metrics` clean,
# --processes listing a process that holds the node open; then unloads ember and requires the exporter to still answer with
# ember_up 0 for the device. Prints PASS/FAIL lines.
# usage: tests/vm/exporter-test.sh [PARAM=VALUE...]   (root; ember not
#        loaded; PARAMs go to tests/vm/kmd/load.sh)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh

EXPORTER=$EMBER_BUILD/tools/ember-exporter/ember-exporter
PORT=19855
RUNS=5
URL=http://127.0.0.1:$PORT/metrics
tmp=$(mktemp -d)
pid=

cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# scrape FILE: GET /metrics into FILE, headers into FILE.headers.
scrape() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS -m 10 -D "$1.headers" -o "$1" "$URL"
	else
		wget -q -T 10 -S -O "$1" "$URL" 2>"$1.headers"
	fi
}

# value FILE METRIC LABELS: the value of the sample METRIC{LABELS}.
value() {
	grep -F "$2{$3} " "$1" | sed 's/.* //'
}

# sysfs_sum FIELD: FIELD of dbc_counters summed over the DBCs.
sysfs_sum() {
	sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$dev/dbc_counters" | awk '{ s += $1 } END { print s + 0 }'
}

# metric_sum FILE METRIC: METRIC summed over the device's DBCs.
metric_sum() {
	grep -F "$2{device=\"$node\",bdf=\"$bdf\",dbc=" "$1" | sed 's/.* //' |
		awk '{ s += $1 } END { print s + 0 }'
}

if [ ! -x "$EXPORTER" ]; then
	fail exporter.setup "$EXPORTER not built (ninja -C build ember-exporter)"
	exit 1
fi
if ! tests/vm/kmd/load.sh "$@" >"$tmp/load.log" 2>&1; then
	fail exporter.setup "load: $(tail -n 3 "$tmp/load.log" | tr '\n' ' ')"
	exit 1
fi
node=
for d in /sys/class/accel/accel*; do
	[ -e "$d" ] && node=$(basename "$d") && break
done
if [ -z "$node" ]; then
	fail exporter.setup "no accel device after load"
	exit 1
fi
dev=$(readlink -f "/sys/class/accel/$node/device")
bdf=$(basename "$dev")
lbl="device=\"$node\",bdf=\"$bdf\""

# The guest's loopback is down after boot.
ip link set lo up 2>/dev/null || busybox ip link set lo up

"$EXPORTER" --listen 127.0.0.1 --port "$PORT" >"$tmp/exporter.log" 2>&1 &
pid=$!
i=0
until scrape "$tmp/s0" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		fail exporter.serve "no answer on $URL: $(tail -n 3 "$tmp/exporter.log" | tr '\n' ' ')"
		exit 1
	fi
	sleep 0.1
done
pass exporter.serve

if grep -i -q '^ *content-type: text/plain; version=0.0.4; charset=utf-8' "$tmp/s0.headers"; then
	pass exporter.content_type
else
	fail exporter.content_type "$(grep -i content-type "$tmp/s0.headers" | tr -d '\r')"
fi

up=$(value "$tmp/s0" ember_up "$lbl")
if [ "$up" = 1 ]; then
	pass exporter.up
else
	fail exporter.up "ember_up{$lbl} is '$up', want 1"
fi

serial=$(cat "$dev/serial_number")
if grep -q "^ember_device_info{$lbl,serial=\"$serial\",driver_version=\"$(cat /sys/module/ember/version)\"" "$tmp/s0"; then
	pass exporter.device_info
else
	fail exporter.device_info "$(grep '^ember_device_info' "$tmp/s0")"
fi

c0=$(sysfs_sum completions)
m0=$(metric_sum "$tmp/s0" ember_dbc_jobs_completed_total)
if "$EMBER_BUILD/examples/run_workload" --runs "$RUNS" >"$tmp/workload.log" 2>&1; then
	pass exporter.workload
else
	fail exporter.workload "$(tail -n 3 "$tmp/workload.log" | tr '\n' ' ')"
fi
scrape "$tmp/s1"
c1=$(sysfs_sum completions)
m1=$(metric_sum "$tmp/s1" ember_dbc_jobs_completed_total)
# run_workload submits its input and its output buffer per run: 2 jobs.
want=$((RUNS * 2))
if [ "$((m1 - m0))" = "$want" ] && [ "$((c1 - c0))" = "$want" ]; then
	pass exporter.jobs_completed
else
	fail exporter.jobs_completed "exporter +$((m1 - m0)), sysfs +$((c1 - c0)), want +$want ($RUNS runs)"
fi

# Every DBC's counters equal the driver's dbc_counters line (idle now).
bad=
while read -r idx rest; do
	for f in interrupts polls responses completions cancelled timeouts; do
		want=$(echo "$rest" | sed -n "s/.*$f=\([0-9]*\).*/\1/p")
		case $f in
		completions) m=ember_dbc_jobs_completed_total ;;
		cancelled) m=ember_dbc_jobs_cancelled_total ;;
		timeouts) m=ember_dbc_job_timeouts_total ;;
		*) m=ember_dbc_${f}_total ;;
		esac
		got=$(value "$tmp/s1" "$m" "$lbl,dbc=\"$idx\"")
		[ "$got" = "$want" ] || bad="$bad $m{dbc=$idx}=$got/sysfs $want"
	done
done <"$dev/dbc_counters"
ints=$(metric_sum "$tmp/s1" ember_dbc_interrupts_total)
if [ -z "$bad" ] && [ "$ints" = "$(sysfs_sum interrupts)" ]; then
	pass exporter.dbc_counters
else
	fail exporter.dbc_counters "${bad:-interrupts $ints, sysfs $(sysfs_sum interrupts)}"
fi

if command -v promtool >/dev/null 2>&1; then
	if promtool check metrics <"$tmp/s1" >"$tmp/promtool.log" 2>&1; then
		pass exporter.promtool
	else
		fail exporter.promtool "$(head -n 3 "$tmp/promtool.log" | tr '\n' ' ')"
	fi
else
	fail exporter.promtool "promtool not found (Debian package prometheus: scripts/deps.sh)"
fi
# For the record (and the host): the scrape after the workload.
[ -z "${EMBER_OUT:-}" ] || [ ! -d "$EMBER_OUT" ] || cp "$tmp/s1" "$EMBER_OUT/exporter-scrape.prom"

# --once prints the same families without a server.
if "$EXPORTER" --once >"$tmp/once" 2>"$tmp/once.err" &&
	[ "$(value "$tmp/once" ember_up "$lbl")" = 1 ]; then
	pass exporter.once
else
	fail exporter.once "$(head -n 3 "$tmp/once.err" | tr '\n' ' ')"
fi

# --processes: a process holding the node open is listed by pid and comm
# (DRM fdinfo); without the option no per-process series exist.
# shellcheck disable=SC2217 # the open file is the point, not input
sleep 60 <"/dev/accel/$node" &
holder=$!
"$EXPORTER" --once --processes >"$tmp/procs" 2>&1
kill "$holder"
wait "$holder" 2>/dev/null
if grep -q "^ember_process_device_busy_seconds_total{$lbl,pid=\"$holder\",comm=\"sleep\"} 0\$" "$tmp/procs" &&
	grep -q "^ember_process_memory_bytes{$lbl,pid=\"$holder\",comm=\"sleep\"} 0\$" "$tmp/procs" &&
	! grep -q '^ember_process_' "$tmp/once"; then
	pass exporter.processes
else
	fail exporter.processes "pid $holder: $(grep '^ember_process_' "$tmp/procs" | tr '\n' ' ')"
fi

if tests/vm/kmd/unload.sh >"$tmp/unload.log" 2>&1; then
	pass exporter.unload
else
	fail exporter.unload "$(tail -n 3 "$tmp/unload.log" | tr '\n' ' ')"
fi
if scrape "$tmp/s2"; then
	up=$(value "$tmp/s2" ember_up "$lbl")
	loaded=$(grep '^ember_driver_loaded ' "$tmp/s2" | sed 's/.* //')
	if [ "$up" = 0 ] && [ "$loaded" = 0 ] && ! grep -q "^ember_dbc_.*$lbl" "$tmp/s2"; then
		pass exporter.down_after_unload
	else
		fail exporter.down_after_unload "ember_up '$up', ember_driver_loaded '$loaded'"
	fi
else
	fail exporter.down_after_unload "no answer after unload"
fi
kill "$pid"
wait "$pid"
rc=$?
pid=
# SIGTERM ends the server cleanly.
if [ $rc = 0 ]; then
	pass exporter.sigterm
else
	fail exporter.sigterm "exit $rc: $(tail -n 3 "$tmp/exporter.log" | tr '\n' ' ')"
fi
