#!/bin/sh
# NNC protocol version check at probe (docs/nnc.md §3). The firmware's major
# is EMBER_EXPECT_NNC_MAJOR (default 1; the suite's nnc2 topology starts the
# device with nnc-major=2 and sets it to 2):
#  - major 1: the driver binds, negotiates (CRC on) and MANAGE works;
#  - another major: the driver refuses the device with one clear log line,
#    before sending anything: no accel node, no driver link, no IRQs left,
#    manual bind fails too, and the module still unloads.
# usage: test-nnc-major.sh --dbcs N --mem BYTES --irq msix|single
. "$(dirname "$0")/lib.sh"
kmd_parse_args "$@"
MAJOR=${EMBER_EXPECT_NNC_MAJOR:-1}

kmd_loaded && kmd_unload

log_mark nnc-major
if ! kmd_load; then
	ko load "$(tail -n 3 /tmp/kmd-load.log | tr '\n' ' ')"
	finish
	exit
fi

if [ "$MAJOR" = 1 ]; then
	expect accepted.bound "$([ -e "$PCIDEV/driver" ] && echo yes)" yes
	expect accepted.node "$(accel_minor >/dev/null && echo yes)" yes
	expect accepted.fw-nnc "$(info_field fw_nnc)" 1.0
	_d=$(debugfs_dir)
	expect accepted.mbox-state "$(sed -n 's/^state: //p' "$_d/mbox")" ready
	expect accepted.crc "$(sed -n 's/^crc: //p' "$_d/mbox")" on
	expect accepted.log-errors "$(log_errors nnc-major)" ""
else
	want="ember $BDF: NNC protocol $MAJOR.0 not supported (driver speaks 1.x)"
	if log_since nnc-major | grep -qF "$want"; then
		ok refused.log
	else
		ko refused.log "no '$want' line"
	fi
	if log_since nnc-major | grep -q "ember $BDF: probe with driver ember failed with error -95"; then
		ok refused.errno
	else
		ko refused.errno "probe did not fail with -EOPNOTSUPP"
	fi
	# Refused before anything was sent: no other error from the driver.
	expect refused.other-errors "$(log_errors nnc-major | grep -v -e 'NNC protocol' -e 'probe with driver ember failed')" ""
	expect refused.unbound "$([ -e "$PCIDEV/driver" ] && echo bound)" ""
	expect refused.no-node "$(find /dev/accel "$PCIDEV" -maxdepth 1 -name 'accel*' ! -path /dev/accel 2>/dev/null)" ""
	expect refused.no-irqs "$(ember_irq_names)" ""
	expect refused.module-loaded "$(kmd_loaded && echo yes)" yes
	if echo "$BDF" >/sys/bus/pci/drivers/ember/bind 2>/dev/null; then
		ko refused.bind "manual bind succeeded"
	else
		ok refused.bind
	fi
	expect refused.still-unbound "$([ -e "$PCIDEV/driver" ] && echo bound)" ""
fi

if kmd_unload; then ok unload; else ko unload "rmmod failed"; fi
finish
