#!/bin/sh
# Runs inside the guest (via scripts/vm-run): the hardware self-test, then
# the driver tests. Prints PASS/FAIL lines and "guest-suite: done".
# Usage: guest-suite.sh --dbcs N --mem BYTES --irq msix|single
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh

DBCS=4 MEM=268435456 IRQ=msix
while [ $# -gt 0 ]; do
	case $1 in
	--dbcs) DBCS=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--irq) IRQ=$2; shift 2 ;;
	*) echo "guest-suite: unknown argument $1" >&2; exit 2 ;;
	esac
done
export EMBER_EXPECT_DBCS=$DBCS EMBER_EXPECT_MEM=$MEM EMBER_EXPECT_IRQ=$IRQ
EMBER_EXPECT_VERSION=$(cat VERSION)
export EMBER_EXPECT_VERSION

# 1. The hardware on its own, before any driver binds it.
prefixed emu "$EMBER_BUILD/tests/emu_selftest" --dbcs "$DBCS" --mem "$MEM"
# The firmware model through the raw mailbox (NNC).
prefixed emu-fw "$EMBER_BUILD/tests/emu_mbox_test" --dbcs "$DBCS" --mem "$MEM"

# 2. The driver.
for t in tests/vm/kmd/test-*.sh; do
	[ -e "$t" ] || continue
	prefixed "kmd.$(basename "$t" .sh | sed 's/^test-//')" "$t" --dbcs "$DBCS" --mem "$MEM" --irq "$IRQ"
done

# 3. The ioctl ABI through the accel node.
if tests/vm/kmd/load.sh >/tmp/load.log 2>&1; then
	pass "kmd.load"
	run_catch2 getinfo "$EMBER_BUILD/tests/ember_vm_getinfo"
	check kmd.unload tests/vm/kmd/unload.sh
else
	fail "kmd.load" "$(tail -n 3 /tmp/load.log | tr '\n' ' ')"
fi
echo "guest-suite: done"
