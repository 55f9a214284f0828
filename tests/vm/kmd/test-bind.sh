#!/bin/sh
# Bind: the driver loads, binds the device, creates /dev/accel/accelN, and
# its sysfs and debugfs files say what the device is.
# usage: test-bind.sh --dbcs N --mem BYTES --irq msix|single
. "$(dirname "$0")/lib.sh"
kmd_parse_args "$@"

kmd_loaded && kmd_unload
log_mark bind
if ! kmd_load; then
	ko load "$(tail -n 3 /tmp/kmd-load.log | tr '\n' ' ')"
	exit 1
fi
ok load

expect driver "$(basename "$(readlink "$PCIDEV/driver")")" ember

minor=$(accel_minor) || minor=
if [ -z "$minor" ]; then
	ko accel-node "no accel device under $PCIDEV"
else
	if [ -c "/dev/accel/$minor" ] && [ "$(stat -c %t "/dev/accel/$minor")" = 105 ]; then
		ok accel-node
	else
		ko accel-node "/dev/accel/$minor is not a char device with major 261"
	fi
	expect accel-class "$(basename "$(readlink "/sys/class/accel/$minor/device")")" "$BDF"
fi

# sysfs
fw_want=$(printf 'mgmt: 1.2.0\ndbc: 1.0.3\nboot: 0.9.1\nnnc: 1.0')
expect sysfs.fw_informations "$(cat "$PCIDEV/fw_informations")" "$fw_want"
[ -n "$minor" ] && expect sysfs.fw_informations-class \
	"$(cat "/sys/class/accel/$minor/device/fw_informations")" "$fw_want"

abi() { awk -v n="EMBER_ABI_$1" '$1 == "#define" && $2 == n { print $3 }' "$EMBER_ROOT/uapi/ember_accel.h"; }
abi_want=$(abi MAJOR).$(abi MINOR).$(abi PATCH)
expect sysfs.ember_ioctl_version "$(cat "$PCIDEV/ember_ioctl_version")" "$abi_want"
expect sysfs.driver-ember_ioctl_version \
	"$(cat /sys/module/ember/drivers/pci:ember/ember_ioctl_version)" "$abi_want"
expect sysfs.module-version "$(cat /sys/module/ember/version)" "$(head -n 1 "$EMBER_ROOT/VERSION")"
expect sysfs.param-force_single_msi "$(cat /sys/module/ember/parameters/force_single_msi)" N
if (echo 9.9.9 >"$PCIDEV/ember_ioctl_version") 2>/dev/null ||
	(echo x >"$PCIDEV/fw_informations") 2>/dev/null; then
	ko sysfs.read-only "a sysfs attribute accepted a write"
else
	ok sysfs.read-only
fi

# debugfs
if dir=$(debugfs_dir); then
	ok debugfs.dir
	for f in info irq_stats regs test/test_irq test/fault test/dbc_service_ns; do
		if [ -r "$dir/$f" ] && cat "$dir/$f" >/dev/null; then ok "debugfs.$f"; else ko "debugfs.$f" "cannot read $dir/$f"; fi
	done
	expect debugfs.info-dbcs "$(info_field dbcs)" "$DBCS"
	expect debugfs.info-devmem "$(info_field devmem_size)" "$MEM"
	expect debugfs.info-state "$(info_field state)" online
	expect debugfs.info-driver-version "$(info_field driver_version)" "$(head -n 1 "$EMBER_ROOT/VERSION")"
	if [ "$IRQ" = msix ]; then vectors=$((DBCS + 1)); else vectors=1; fi
	expect debugfs.info-irq-vectors "$(info_field irq_vectors)" "$vectors"
	expect debugfs.regs-id "$(reg EMBER_ID)" 0x454d4252
	expect debugfs.regs-dev-ctrl "$(reg EMBER_DEV_CTRL)" 0x00000001
	last=$((DBCS - 1))
	if grep -q "^EMBER_DBC_STATUS($last) " "$dir/regs" && ! grep -q "^EMBER_DBC_STATUS($DBCS) " "$dir/regs"; then
		ok debugfs.regs-dbcs
	else
		ko debugfs.regs-dbcs "regs does not list exactly DBCs 0..$last"
	fi
else
	ko debugfs.dir "no /sys/kernel/debug/accel/$BDF"
fi

# interrupts
mode=$(mode_for "$IRQ" 0)
expect irq.names "$(ember_irq_names | sort | tr '\n' ' ')" \
	"$(expected_irq_names "$mode" | sort | tr '\n' ' ')"

# kernel log
log=$(log_since bind)
if echo "$log" | grep -q "ember $BDF: ember PF hw 1\.0, $DBCS DBCs*, $((MEM >> 20)) MiB device memory"; then
	ok log.probe
else
	ko log.probe "no probe summary line for $DBCS DBCs and $((MEM >> 20)) MiB"
fi
if [ "$IRQ" = single ]; then
	if echo "$log" | grep -q "single-MSI mode.*no MSI-X capability"; then ok log.single-msi; else ko log.single-msi "no single-MSI line giving the reason"; fi
else
	if echo "$log" | grep -q "single-MSI"; then ko log.single-msi "single-MSI mode although MSI-X is available"; else ok log.single-msi; fi
fi
errs=$(log_errors bind)
expect log.no-errors "$errs" ""

if kmd_unload; then ok unload; else ko unload "$(tail -n 3 /tmp/kmd-unload.log | tr '\n' ' ')"; fi
if [ -n "$minor" ] && [ -e "/dev/accel/$minor" ]; then ko unload-node "/dev/accel/$minor still exists"; else ok unload-node; fi
finish
