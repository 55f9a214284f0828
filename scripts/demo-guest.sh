#!/bin/bash
# The guest half of make demo (see scripts/demo.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
cd "$ROOT"

hdr() { printf '\n\033[1m== %s\033[0m\n' "$1"; }

hdr "The device on the PCI bus (lspci)"
lspci -nn -d 1234:eb01
lspci -vv -d 1234:eb01 | grep -E 'Region|MSI|Power Management|DevCap:|FLReset' | sed 's/^\s*/  /'

hdr "A workload on the bare hardware: copy, CRC32, int8 GEMM checked against the CPU"
"$BUILD/tests/emu_selftest" --dbcs 4 --mem 268435456 2>/dev/null |
	grep -E '^(PASS|FAIL) (copy\.host_devmem_host|fill\.|crc32\.host|gemm_i8\.host)|passed' |
	sed 's/^/  /'


hdr "Loading the driver (ember.ko)"
tests/vm/kmd/load.sh
dmesg | grep -i ember | sed 's/^/  /' | tail -n 8
ls -l /dev/accel/

hdr "Versions"
echo "  driver      $(cat /sys/module/ember/version)  (/sys/module/ember/version)"
echo "  ioctl ABI   $(cat /sys/module/ember/drivers/pci:ember/ember_ioctl_version)  (ember_ioctl_version)"
echo "  firmware    (/sys/class/accel/accel0/device/fw_informations)"
sed 's/^/    /' /sys/class/accel/accel0/device/fw_informations

hdr "GET_INFO through /dev/accel/accel0 (umd/examples/device_info)"
"$BUILD/examples/device_info"

hdr "Control path through libember: load a GEMM workload, activate a DMA channel (umd/examples/workload_load)"
"$BUILD/examples/workload_load" | sed 's/^/  /'

hdr "Data path through libember: a GEMM and a CRC-32 on real data, checked against the host (umd/examples/run_workload)"
"$BUILD/examples/run_workload" --runs 5 | sed 's/^/  /'

SMI=$BUILD/tools/ember-smi/ember-smi
EXPORTER=$BUILD/tools/ember-exporter/ember-exporter

hdr "ember-smi: every device at a glance (ember-smi(1))"
"$SMI"

hdr "ember-smi --query, CSV as scripts read it"
"$SMI" --query=index,pci.bus_id,state,temperature.current,power.draw,memory.used,counters.jobs --format=csv

hdr "ember-smi dmon while a workload runs (deltas per second: jobs, interrupts, polls)"
counters=/sys/class/accel/accel0/device/dbc_counters
# field NAME: the sum of NAME=<n> over the DBCs in dbc_counters.
field() { grep -o "$1=[0-9]*" "$counters" | awk -F= '{ n += $2 } END { print n + 0 }'; }
jobs0=$(field completions)
irqs0=$(field interrupts)
"$SMI" dmon -c 6 -l 0.5 >/tmp/dmon.out &
smi=$!
# dmon's first sample is its baseline: start the workload after it.
sleep 0.3
"$BUILD/examples/run_workload" --runs 40 >/dev/null
wait "$smi"
sed 's/^/  /' /tmp/dmon.out
awk '!/^#/ { j += $2; i += $3 } END { printf "  dmon total: %d jobs, %d interrupts\n", j, i }' /tmp/dmon.out
echo "  the driver's own counters over the same time (sysfs dbc_counters):" \
	"$(($(field completions) - jobs0)) jobs, $(($(field interrupts) - irqs0)) interrupts"

hdr "Sensors (hwmon: lm-sensors sees the ember chip)"
if command -v sensors >/dev/null; then sensors 'ember-*' 2>/dev/null | sed 's/^/  /'; else
	for f in /sys/class/accel/accel0/device/hwmon/hwmon*/{name,temp1_input,power1_average}; do
		echo "  $f: $(cat "$f")"
	done
fi

hdr "One Prometheus scrape of ember-exporter (http://localhost:9855/metrics)"
# The guest's loopback is down after boot.
ip link set lo up 2>/dev/null || busybox ip link set lo up
"$EXPORTER" --listen 127.0.0.1 --port 9855 >/tmp/exporter.log 2>&1 &
exporter=$!
for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:9855/metrics && break; sleep 0.1; done
curl -sf http://127.0.0.1:9855/metrics |
	grep -E '^ember_(up|device_info|temperature_celsius|power_watts|dbc_jobs_completed_total|dbc_interrupts_total)' |
	sed 's/^/  /'
kill "$exporter"
wait "$exporter" 2>/dev/null || true

hdr "Data-path counters (debugfs datapath: interrupts, polls, jobs per DMA channel)"
sed 's/^/  /' /sys/kernel/debug/accel/*/datapath

hdr "Interrupt vectors (/proc/interrupts)"
grep ember /proc/interrupts | awk '{printf "  %-6s %s\n", $1, $NF}'

hdr "Unloading"
tests/vm/kmd/unload.sh
echo "  ember unloaded; /dev/accel: $(find /dev/accel -mindepth 1 2>/dev/null | wc -l) node(s) left"
