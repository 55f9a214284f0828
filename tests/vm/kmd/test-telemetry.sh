#!/bin/sh
# Telemetry in the kernel's standard places (docs/sysfs.md): the hwmon
# device against the model's telemetry registers, the device's sysfs
# attributes against the driver's records and the model, and the DRM
# fdinfo keys of an open file. A DBC owned by a process and the busy time
# of real jobs are checked through libember by tests/vm/telemetry_test.cpp
# (ember_vm_telemetry, guest-suite.sh step 3).
# usage: test-telemetry.sh --dbcs N --mem BYTES --irq msix|single
. "$(dirname "$0")/lib.sh"
kmd_parse_args "$@"

# in_range NAME VALUE LO HI
in_range() {
	case $2 in
	'' | *[!0-9]*)
		ko "$1" "'$2' is not a number"
		return
		;;
	esac
	if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
		ok "$1"
	else
		ko "$1" "$2 not in [$3, $4]"
	fi
}

# Loaded here, unloaded at the end: the suite loads it again afterwards.
kmd_loaded && kmd_unload
kmd_load || {
	ko load "$(tail -n 3 /tmp/kmd-load.log | tr '\n' ' ')"
	exit 1
}

# hwmon: one device named "ember" under the PCI function.
hw=
for d in "$PCIDEV"/hwmon/hwmon*; do
	[ -e "$d/name" ] && hw=$d
done
if [ -z "$hw" ]; then
	ko hwmon.present "no $PCIDEV/hwmon/hwmon*"
else
	ok hwmon.present
	expect hwmon.name "$(cat "$hw/name")" ember
	expect hwmon.class "$(basename "$(readlink -f "/sys/class/hwmon/$(basename "$hw")")")" \
		"$(basename "$hw")"
	# The model: idle 40 C .. busy 85 C, 15 W .. 70 W; crit 95 C, cap 75 W.
	in_range hwmon.temp1_input "$(cat "$hw/temp1_input")" 40000 85000
	expect hwmon.temp1_crit "$(cat "$hw/temp1_crit")" 95000
	expect hwmon.temp1_crit-register "$(cat "$hw/temp1_crit")" "$(($(reg EMBER_TEL_TEMP_CRIT_MC)))"
	in_range hwmon.power1_average "$(cat "$hw/power1_average")" 15000000 70000000
	expect hwmon.power1_cap "$(cat "$hw/power1_cap")" 75000000
	expect hwmon.read-only "$(find "$hw/" -maxdepth 1 -name '*_*' -perm /0222 | wc -l)" 0
fi

# The device's attributes.
expect sysfs.devmem_total_bytes "$(cat "$PCIDEV/devmem_total_bytes")" "$MEM"
expect sysfs.devmem_used_bytes "$(cat "$PCIDEV/devmem_used_bytes")" 0
serial=$(printf '%08x%08x' "$(reg EMBER_SERIAL_HI)" "$(reg EMBER_SERIAL_LO)")
expect sysfs.serial_number "$(cat "$PCIDEV/serial_number")" "$serial"
in_range sysfs.core_clk_mhz "$(cat "$PCIDEV/core_clk_mhz")" 300 1400
expect sysfs.mem_clk_mhz "$(cat "$PCIDEV/mem_clk_mhz")" 1600
want=
i=0
while [ $i -lt "$DBCS" ]; do
	want="$want$i free 0;"
	i=$((i + 1))
done
expect sysfs.dbc_status "$(tr '\n' ';' <"$PCIDEV/dbc_status")" "$want"
expect sysfs.state "$(cat "$PCIDEV/state")" online
# Nothing ran since the load: every counter of every DBC is zero.
want=
i=0
while [ $i -lt "$DBCS" ]; do
	want="$want$i interrupts=0 polls=0 responses=0 completions=0 cancelled=0 timeouts=0;"
	i=$((i + 1))
done
expect sysfs.dbc_counters "$(tr '\n' ';' <"$PCIDEV/dbc_counters")" "$want"

# ECC counters follow the model's RAS injection (docs/hardware.md §8).
ce0=$(cat "$PCIDEV/ecc_ce_count")
ue0=$(cat "$PCIDEV/ecc_ue_count")
expect sysfs.ecc_ce_count-register "$ce0" "$(($(reg EMBER_TEL_ECC_CE)))"
if echo "ras 1" >"$(debugfs_dir)/test/fault"; then
	expect sysfs.ecc_ce_count-counts "$(cat "$PCIDEV/ecc_ce_count")" $((ce0 + 1))
	expect sysfs.ecc_ue_count-unchanged "$(cat "$PCIDEV/ecc_ue_count")" "$ue0"
else
	ko sysfs.ecc_ce_count-counts "writing 'ras 1' to the fault file failed"
fi

# reset_count counts the resets the driver handled.
r0=$(cat "$PCIDEV/reset_count")
if echo 1 >"$PCIDEV/reset"; then
	expect sysfs.reset_count "$(cat "$PCIDEV/reset_count")" $((r0 + 1))
else
	ko sysfs.reset_count "writing $PCIDEV/reset failed"
fi

# fdinfo of an open file: the DRM core's keys, then ours.
minor=$(accel_minor) || {
	ko fdinfo.node "no accel node"
	kmd_unload
	finish
	exit
}
exec 3<>"/dev/accel/$minor"
fdinfo=/proc/$$/fdinfo/3
expect fdinfo.drm-driver "$(sed -n 's/^drm-driver:[[:space:]]*//p' "$fdinfo")" ember
expect fdinfo.drm-pdev "$(sed -n 's/^drm-pdev:[[:space:]]*//p' "$fdinfo")" "$BDF"
id=$(sed -n 's/^drm-client-id:[[:space:]]*//p' "$fdinfo")
in_range fdinfo.drm-client-id "$id" 1 4294967295
want=
i=0
while [ $i -lt "$DBCS" ]; do
	want="${want}drm-engine-dbc$i: 0 ns;"
	i=$((i + 1))
done
expect fdinfo.drm-engine "$(grep '^drm-engine-' "$fdinfo" | sed 's/[[:space:]]\+/ /g' | tr '\n' ';')" "$want"
expect fdinfo.drm-total-memory "$(sed -n 's/^drm-total-memory:[[:space:]]*//p' "$fdinfo")" 0
exec 3<&-

if kmd_unload; then ok unload; else ko unload "rmmod failed"; fi
finish
