#!/bin/sh
# Hot-unplug: the guest powers off the ember device's slot (native PCIe
# hotplug, pciehp) while a client keeps jobs in flight. Linux removes the
# device first (ember_remove() with a client's file open and jobs on a
# DBC), then turns the slot's power off, and QEMU unplugs the device
# behind it: the model's unrealize (ember_exit(): the DBC engine thread is
# told to quit and joined). Checks that the client gets errors instead of
# hanging, that the driver lets go of everything (rmmod works), that the
# slot is empty afterwards (QEMU removed the device; a rescan finds
# nothing) and that the kernel log has no warning.
#
# Not a test-*.sh of step 2: the device is gone for the rest of the boot,
# so guest-suite.sh runs this last.
# usage: hot-unplug.sh --dbcs N --mem BYTES --irq msix|single
. "$(dirname "$0")/lib.sh"
kmd_parse_args "$@"

# The hotplug slot whose port's secondary bus holds the device.
slot=
for s in /sys/bus/pci/slots/*; do
	[ "$(cat "$s/address" 2>/dev/null)" = "${BDF%.*}" ] && slot=$s
done
if [ -z "$slot" ] || [ ! -w "$slot/power" ]; then
	ko slot "no hotplug slot at ${BDF%.*} (pciehp; scripts/vm-run puts the device on a root port)"
	exit 1
fi
expect slot-powered "$(cat "$slot/power")" 1

kmd_loaded || kmd_load || {
	ko load "$(tail -n 3 /tmp/kmd-load.log | tr '\n' ' ')"
	exit 1
}

# A client with 8 jobs in flight, each 200 us in the device, for up to a
# minute: the unplug comes in the middle of it.
bench=$EMBER_BUILD/tests/ember_bench
out=/tmp/hot-unplug-client.log
"$bench" --depth 8 --service-ns 200000 --seconds 60 --ramp 0 >"$out" 2>&1 &
client=$!
sleep 2
if ! kill -0 "$client" 2>/dev/null; then
	ko client-running "ember_bench exited before the unplug: $(tail -n 2 "$out" | tr '\n' ' ')"
	exit 1
fi
ok client-running

log_mark hot-unplug
# pciehp removes the device, then powers the slot off; the write returns
# when both are done.
if timeout 60 sh -c "echo 0 >'$slot/power'"; then
	ok power-off
else
	ko power-off "writing 0 to $slot/power failed or took over 60 s"
fi
expect device-removed "$([ -e "$PCIDEV" ] && echo present || echo gone)" gone

# The client's calls fail instead of hanging, and it exits non-zero: its
# first error is ECANCELED (a job that was in flight when the driver let
# go of the DBC's rings) or ENODEV (a call after the device was removed),
# as docs/uapi.md says; ember_bench stops at the first.
i=0
while kill -0 "$client" 2>/dev/null && [ $i -lt 20 ]; do
	sleep 0.5
	i=$((i + 1))
done
if kill -0 "$client" 2>/dev/null; then
	ko client-exits "ember_bench still running 10 s after the unplug"
	kill -9 "$client"
	wait "$client"
else
	wait "$client"
	rc=$?
	if [ $rc -ne 0 ] && grep -Eq ': (Operation canceled|No such device)$' "$out"; then
		ok client-exits
	else
		ko client-exits "exit $rc: $(tail -n 2 "$out" | tr '\n' ' ')"
	fi
fi

# Every reference the driver held is gone: the module unloads.
if kmd_unload; then
	ok rmmod
else
	ko rmmod "$(tail -n 3 /tmp/kmd-unload.log | tr '\n' ' ')"
fi

# QEMU unplugged the device when the slot lost power: the slot is empty
# (presence detect off), and neither powering it on nor a rescan brings
# an ember device back.
expect slot-empty "$(cat "$slot/adapter")" 0
(echo 1 >"$slot/power") 2>/dev/null
echo 1 >/sys/bus/pci/rescan
expect no-device-after-rescan "$(ember_bdf || echo none)" none

errs=$(log_errors hot-unplug)
if [ -z "$errs" ]; then
	ok kernel-log
else
	ko kernel-log "$(echo "$errs" | head -n 3 | tr '\n' ' ')"
fi
finish
