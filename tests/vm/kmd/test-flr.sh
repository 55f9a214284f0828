#!/bin/sh
# Function level reset through /sys/bus/pci/devices/<bdf>/reset: the driver
# quiesces the device before, sets it up again after (single-MSI routing
# and the management mailbox included), and the device keeps working:
# RESET_COUNT went up, test interrupts still arrive, GET_INFO still answers,
# the mailbox is negotiated again (MANAGE after FLR: test-manage.sh).
# usage: test-flr.sh --dbcs N --mem BYTES --irq msix|single [--fail-flr N]
# --fail-flr N: the device was started with fail-flr=N (vm-run
# --qemu-dev-opts fail-flr=N): the first N FLRs must leave the driver in the
# failed state, and the next one must bring the device back.
. "$(dirname "$0")/lib.sh"
FAIL_FLR=0
args=
while [ $# -gt 0 ]; do
	if [ "$1" = --fail-flr ]; then
		FAIL_FLR=$2
		shift 2
	else
		args="$args $1"
		shift
	fi
done
# shellcheck disable=SC2086 # re-split the remaining arguments
kmd_parse_args $args

# reset_once NAME: FLR; check the device came back online.
reset_once() {
	_c0=$(($(reg EMBER_RESET_COUNT)))
	_r0=$(info_field resets)
	_g0=$(mbox_field generation)
	log_mark "$1"
	if ! echo 1 >"$PCIDEV/reset"; then
		ko "$1.reset" "writing $PCIDEV/reset failed"
		return
	fi
	ok "$1.reset"
	expect "$1.state" "$(info_field state)" online
	expect "$1.reset-count" "$(($(reg EMBER_RESET_COUNT)))" $((_c0 + 1))
	expect "$1.reset-cause" "$(reg EMBER_RESET_CAUSE)" 0x00000001
	expect "$1.dev-ctrl" "$(reg EMBER_DEV_CTRL)" 0x00000001
	expect "$1.driver-resets" "$(info_field resets)" $((_r0 + 1))
	expect "$1.mbox-state" "$(mbox_field state)" ready
	expect "$1.mbox-generation" "$(mbox_field generation)" $((_g0 + 1))
	expect "$1.mbox-crc" "$(mbox_field crc)" on
	if log_since "$1" | grep -q "ember $BDF: reset done: cause FLR"; then
		ok "$1.log"
	else
		ko "$1.log" "no 'reset done' line"
	fi
	expect "$1.log-errors" "$(log_errors "$1")" ""
}

kmd_loaded && kmd_unload
for forced in 0 1; do
	if [ $forced -eq 1 ]; then variant="forced-single"; else variant=default; fi
	if ! kmd_load force_single_msi=$forced; then
		ko "$variant.load" "$(tail -n 3 /tmp/kmd-load.log | tr '\n' ' ')"
		continue
	fi
	mode=$(mode_for "$IRQ" $forced)

	n=0
	while [ $n -lt "$FAIL_FLR" ]; do
		# An injected FLR failure: the device stays not READY.
		log_mark "$variant.failed-flr$n"
		echo 1 >"$PCIDEV/reset"
		expect "$variant.failed-flr$n.state" "$(info_field state)" failed
		expect "$variant.failed-flr$n.mbox-state" "$(mbox_field state)" off
		if log_since "$variant.failed-flr$n" | grep -q "reset failed: device not ready"; then
			ok "$variant.failed-flr$n.log"
		else
			ko "$variant.failed-flr$n.log" "no 'reset failed' line"
		fi
		if echo 0 >"$(debugfs_dir)/test/test_irq" 2>/dev/null; then
			ko "$variant.failed-flr$n.test-irq-refused" "test_irq accepted while failed"
		else
			ok "$variant.failed-flr$n.test-irq-refused"
		fi
		n=$((n + 1))
	done
	FAIL_FLR=0 # the device's counter is not reset by FLR: only once

	reset_once "$variant.flr1"
	check_test_irqs "$variant.after-flr1" "$mode"
	reset_once "$variant.flr2"
	check_test_irqs "$variant.after-flr2" "$mode"

	if build_get_info; then
		if [ "$mode" = msix ]; then irq=msix vectors=$((DBCS + 1)); else irq=single vectors=1; fi
		"$GET_INFO_BIN" "/dev/accel/$(accel_minor)" --dbcs "$DBCS" --mem "$MEM" \
			--vectors "$vectors" --irq "$irq" |
			sed -n "s/^\(PASS\|FAIL\) getinfo\.values/\1 $variant.getinfo-after-flr/p"
	else
		ko "$variant.getinfo-after-flr" "cannot build get_info.c: $GET_INFO_ERR"
	fi

	if kmd_unload; then ok "$variant.unload"; else ko "$variant.unload" "rmmod failed"; fi
done
finish
