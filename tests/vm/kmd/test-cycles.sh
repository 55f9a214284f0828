#!/bin/sh
# Load/unload cycles and teardown with an open file: nothing may be left
# behind (device node, sysfs, debugfs, IRQs) and nothing may be logged as an
# error.
# usage: test-cycles.sh --dbcs N --mem BYTES --irq msix|single
# EMBER_KMD_CYCLES: number of load/unload cycles (default 20).
. "$(dirname "$0")/lib.sh"
CYCLES=${EMBER_KMD_CYCLES:-20}
kmd_parse_args "$@"

kmd_loaded && kmd_unload

# leftovers: what an unloaded driver must not leave behind, one per line.
leftovers() {
	[ -d /sys/module/ember ] && echo "/sys/module/ember"
	[ -e /sys/bus/pci/drivers/ember ] && echo "/sys/bus/pci/drivers/ember"
	[ -e "$PCIDEV/driver" ] && echo "$PCIDEV/driver"
	[ -e "$PCIDEV/fw_informations" ] && echo "$PCIDEV/fw_informations"
	[ -e "/sys/kernel/debug/accel/$BDF" ] && echo "/sys/kernel/debug/accel/$BDF"
	for _f in /dev/accel/accel* /sys/class/accel/accel*; do
		[ -e "$_f" ] && echo "$_f"
	done
	ember_irq_names
}

log_mark cycles
i=1
bad=
while [ $i -le "$CYCLES" ]; do
	# Alternate the two interrupt layouts: both teardown paths get cycled.
	if ! kmd_load force_single_msi=$((i % 2)); then
		bad="cycle $i: load failed: $(tail -n 2 /tmp/kmd-load.log | tr '\n' ' ')"
		break
	fi
	if ! accel_minor >/dev/null; then
		bad="cycle $i: no accel node after load"
		break
	fi
	if ! kmd_unload; then
		bad="cycle $i: unload failed: $(tail -n 2 /tmp/kmd-unload.log | tr '\n' ' ')"
		break
	fi
	left=$(leftovers)
	if [ -n "$left" ]; then
		bad="cycle $i: left behind: $(echo "$left" | tr '\n' ' ')"
		break
	fi
	i=$((i + 1))
done
if [ -z "$bad" ]; then ok "load-unload-x$CYCLES"; else ko "load-unload-x$CYCLES" "$bad"; fi

probes=$(log_since cycles | grep -c "ember $BDF: ember PF hw")
expect probe-count "$probes" "$CYCLES"
expect log-errors "$(log_errors cycles)" ""

# Teardown while a file is open: unbind must still complete; the module
# stays pinned until the file is closed.
log_mark cycles-open
if kmd_load; then
	minor=$(accel_minor)
	exec 3<"/dev/accel/$minor"
	if rmmod ember 2>/dev/null; then
		ko rmmod-busy "rmmod succeeded with /dev/accel/$minor open"
	else
		ok rmmod-busy
	fi
	echo "$BDF" >/sys/bus/pci/drivers/ember/unbind
	if [ -e "/dev/accel/$minor" ] || [ -e "$PCIDEV/driver" ]; then
		ko unbind-open "device still bound or node present after unbind"
	else
		ok unbind-open
	fi
	exec 3<&-
	echo "$BDF" >/sys/bus/pci/drivers/ember/bind
	if accel_minor >/dev/null; then ok rebind; else ko rebind "no accel node after bind"; fi
	if kmd_unload; then ok unload-after-rebind; else ko unload-after-rebind "rmmod failed"; fi
	expect open-log-errors "$(log_errors cycles-open)" ""
	left=$(leftovers)
	expect open-leftovers "$left" ""
else
	ko unbind-open "load failed"
fi
finish
