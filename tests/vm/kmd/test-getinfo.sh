#!/bin/sh
# GET_INFO through the accel node (quick C check, get_info.c): values from
# the device, errno for a bad pointer, non-zero pad and unknown flags, and
# ENODEV once the device is unbound while the file is open.
# usage: test-getinfo.sh --dbcs N --mem BYTES --irq msix|single
. "$(dirname "$0")/lib.sh"
kmd_parse_args "$@"

if ! build_get_info; then
	ko build "$GET_INFO_ERR"
	exit 1
fi
ok build

kmd_loaded && kmd_unload
for forced in 0 1; do
	if [ $forced -eq 1 ]; then variant="forced-single"; else variant=default; fi
	if ! kmd_load force_single_msi=$forced; then
		ko "$variant.load" "$(tail -n 3 /tmp/kmd-load.log | tr '\n' ' ')"
		continue
	fi
	if [ "$IRQ" = msix ] && [ $forced -eq 0 ]; then
		irq=msix vectors=$((DBCS + 1))
	else
		irq=single vectors=1
	fi
	unplug=
	[ $forced -eq 1 ] && unplug="--unplug $BDF"
	# shellcheck disable=SC2086 # unplug is empty or two words
	"$GET_INFO_BIN" "/dev/accel/$(accel_minor)" --dbcs "$DBCS" --mem "$MEM" \
		--vectors "$vectors" --irq "$irq" $unplug | sed "s/^\(PASS\|FAIL\) getinfo\./\1 $variant./"
	if [ -n "$unplug" ]; then
		echo "$BDF" >/sys/bus/pci/drivers/ember/bind 2>/dev/null
		if accel_minor >/dev/null; then ok "$variant.rebind"; else ko "$variant.rebind" "no accel node after bind"; fi
	fi
	if kmd_unload; then ok "$variant.unload"; else ko "$variant.unload" "rmmod failed"; fi
done
finish
