#!/bin/sh
# Interrupts: every source's test interrupt arrives exactly once, on its own
# MSI-X vector, or on the one shared vector in single-MSI mode (an MSI-only
# device, or force_single_msi=1).
# usage: test-irq.sh --dbcs N --mem BYTES --irq msix|single
. "$(dirname "$0")/lib.sh"
kmd_parse_args "$@"

kmd_loaded && kmd_unload

for forced in 0 1; do
	if [ $forced -eq 1 ]; then variant="forced-single"; else variant=default; fi
	log_mark "irq-$variant"
	if ! kmd_load force_single_msi=$forced; then
		ko "$variant.load" "$(tail -n 3 /tmp/kmd-load.log | tr '\n' ' ')"
		continue
	fi
	mode=$(mode_for "$IRQ" $forced)
	check_test_irqs "$variant" "$mode"

	log=$(log_since "irq-$variant")
	case $mode in
	msix) want='' ;;
	msix-single) want='single-MSI mode (one MSI-X vector .*force_single_msi' ;;
	msi)
		if [ $forced -eq 1 ]; then
			want='single-MSI mode (one MSI vector .*force_single_msi'
		else
			want='single-MSI mode (one MSI vector .*no MSI-X capability'
		fi
		;;
	esac
	if [ -z "$want" ]; then
		if echo "$log" | grep -q 'single-MSI'; then ko "$variant.log" "unexpected single-MSI line"; else ok "$variant.log"; fi
	elif echo "$log" | grep -q "$want"; then
		ok "$variant.log"
	else
		ko "$variant.log" "no log line matching '$want'"
	fi
	expect "$variant.log-errors" "$(log_errors "irq-$variant")" ""

	if kmd_unload; then ok "$variant.unload"; else ko "$variant.unload" "rmmod failed"; fi
done
finish
