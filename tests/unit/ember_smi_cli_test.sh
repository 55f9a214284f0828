#!/bin/sh
# ember-smi end to end on the host: the binary against a fabricated sysfs
# and procfs (libember's EMBER_SYSFS_ROOT / EMBER_PROC_ROOT / EMBER_DEV_ROOT):
# driver not loaded (9), an ABI major it does not support (3), a driver
# without the DBC telemetry files (3), values and JSON of a device, -i,
# pmon from fdinfo.
# usage: ember_smi_cli_test.sh EMBER_SMI PYTHON3
set -u
SMI=$1
PY=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FAILS=0
ok() { echo "PASS $1"; }
ko() {
	echo "FAIL $1: $2"
	FAILS=$((FAILS + 1))
}
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else ko "$1" "got '$2', want '$3'"; fi
}
# run ARGS...: ember-smi with the fake roots; $RC, $T/out, $T/err.
run() {
	EMBER_SYSFS_ROOT=$T/sys EMBER_PROC_ROOT=$T/proc EMBER_DEV_ROOT=$T/dev \
		"$SMI" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}
# expect_exit NAME CODE PATTERN ARGS...: exit CODE, one stderr line matching.
expect_exit() {
	_n=$1 _c=$2 _p=$3
	shift 3
	run "$@"
	if [ "$RC" = "$_c" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^ember-smi: .*$_p" "$T/err"; then
		ok "$_n"
	else
		ko "$_n" "exit $RC (want $_c), stderr '$(tr '\n' '|' <"$T/err")'"
	fi
}

BDF=0000:00:03.0
mkdir -p "$T/sys" "$T/proc" "$T/dev/accel"

# 1. No driver.
expect_exit not-loaded 9 "not loaded" --query=serial --format=csv
run -v
expect version.not-loaded "$RC:$(grep -c 'driver version: not loaded' "$T/out")" "0:1"

# 2. A driver of another ABI major.
DRV=$T/sys/bus/pci/drivers/ember
mkdir -p "$DRV" "$T/sys/module/ember"
echo 2.0.0 >"$DRV/ember_ioctl_version"
echo 0.1.0 >"$T/sys/module/ember/version"
expect_exit abi-major 3 "ABI 2.0.0" -L
echo 1.4.2 >"$DRV/ember_ioctl_version"

# 3. Loaded, no device.
expect_exit no-device 6 "no ember devices" -L

# 4. A device (its node does not exist here: GET_INFO fields are N/A).
DEV=$T/sys/devices/pci0000:00/$BDF
mkdir -p "$DEV/hwmon/hwmon2" "$T/sys/class/accel/accel0"
ln -s "$DRV" "$DEV/driver"
mkdir -p "$T/sys/bus/pci/devices"
ln -s "$DEV" "$T/sys/bus/pci/devices/$BDF"
ln -s "$DEV" "$T/sys/class/accel/accel0/device"
echo 454d000000000001 >"$DEV/serial_number"
echo 268435456 >"$DEV/devmem_total_bytes"
echo 12288 >"$DEV/devmem_used_bytes"
echo 3 >"$DEV/reset_count"
echo online >"$DEV/state"
echo 1400 >"$DEV/core_clk_mhz"
echo 1600 >"$DEV/mem_clk_mhz"
echo 7 >"$DEV/ecc_ce_count"
echo 1 >"$DEV/ecc_ue_count"
printf '0 active 4242\n1 free 0\n' >"$DEV/dbc_status"
printf '%s\n%s\n' \
	"0 interrupts=10 polls=2 responses=12 completions=11 cancelled=1 timeouts=0" \
	"1 interrupts=5 polls=7 responses=9 completions=9 cancelled=0 timeouts=2" >"$DEV/dbc_counters"
echo ember >"$DEV/hwmon/hwmon2/name"
echo 52500 >"$DEV/hwmon/hwmon2/temp1_input"
echo 95000 >"$DEV/hwmon/hwmon2/temp1_crit"
echo 35000000 >"$DEV/hwmon/hwmon2/power1_average"
echo 75000000 >"$DEV/hwmon/hwmon2/power1_cap"
mkdir -p "$T/proc/4242/fdinfo"
echo trainer >"$T/proc/4242/comm"
printf 'pos:\t0\ndrm-driver:\tember\ndrm-client-id:\t3\ndrm-pdev:\t%s\ndrm-engine-dbc0:\t2500000 ns\ndrm-engine-dbc1:\t0 ns\ndrm-total-memory:\t8 KiB\ndrm-resident-memory:\t8 KiB\n' \
	"$BDF" >"$T/proc/4242/fdinfo/5"

run --query=index,pci.bus_id,serial,state,temperature.current,power.draw,memory.used,dbc.count,dbc.active,counters.jobs,counters.interrupts,counters.polls,counters.timeouts,processes.count,access \
	--format=csv,noheader,nounits
expect query "$RC:$(cat "$T/out")" \
	"0:0, $BDF, 454d000000000001, online, 52.5, 35.00, 12288, 2, 1, 20, 15, 9, 2, 1, no such object"
run --query=temperature.current,power.draw --format=csv
expect query.units "$(tr '\n' '|' <"$T/out")" "temperature.current [C], power.draw [W]|52.5 C, 35.00 W|"
for id in 0 "$BDF" 00:03.0 454D000000000001 EMBER-454d000000000001; do
	run --query=serial --format=csv,noheader -i "$id"
	expect "select.$id" "$RC:$(cat "$T/out")" "0:454d000000000001"
done
expect_exit select.none 6 "-i 00:04.0" -i 00:04.0
# GET_INFO fields need the node: printed as [N/A], exit status of the open.
expect_exit get-info 6 "cannot open $T/dev/accel/accel0" --query=serial,fw.mgmt --format=csv
expect get-info.output "$(sed -n 2p "$T/out")" "454d000000000001, [N/A]"
run pmon
expect pmon "$RC:$(awk '$2 == 4242 { print $3, $4, $5, $6 }' "$T/out")" "0:1 2.5 8 trainer"
run
expect table "$RC:$(grep -c "$BDF" "$T/out"):$(grep -c '| 4242 ' "$T/out")" "0:1:1"
run dmon -c 1 -l 0.05
expect dmon "$RC:$(tail -n 1 "$T/out")" "0:    0         0         0         0    52.5   35.00"

# JSON: parses, schema_version first, types as --help-query declares, null
# for unavailable values.
run --json
cp "$T/out" "$T/devices.json"
run --help-query --json
cp "$T/out" "$T/fields.json"
if "$PY" - "$T/devices.json" "$T/fields.json" <<'EOF'; then ok json; else ko json "see above"; fi
import json, sys
doc = json.load(open(sys.argv[1]))
fields = json.load(open(sys.argv[2]))["fields"]
assert list(doc)[0] == "schema_version" and doc["schema_version"] == 1, list(doc)
dev = doc["devices"][0]
want = {"string": str, "integer": int, "number": float}
for f in fields:
    v = dev[f["name"]]
    assert v is None or (type(v) is want[f["type"]]), (f["name"], v)
assert dev["fw.mgmt"] is None and dev["temperature.current"] == 52.5
assert dev["counters.jobs"] == 20 and dev["memory.used"] == 12288
assert dev["processes"][0]["pid"] == 4242 and dev["processes"][0]["busy_ns"] == 2500000
assert dev["dbcs"][1]["owner_pid"] is None and dev["dbcs"][0]["owner_pid"] == 4242
assert "N/A" not in json.dumps(doc)
EOF

# 5. A driver without the DBC telemetry files: not supported.
rm "$DEV/dbc_counters"
expect_exit old-driver 3 "does not provide the DBC telemetry files" --query=serial --format=csv

[ "$FAILS" -eq 0 ]
