#!/bin/sh
# Runs inside the guest (via scripts/vm-run): the hardware self-test, then
# the driver tests. Prints PASS/FAIL lines and "guest-suite: done".
# Usage: guest-suite.sh --dbcs N --mem BYTES --irq msix|single [--nnc-major N]
#                       [--kmd-params "P=V ..."] [--ioctl-only]
# --nnc-major N: the device speaks NNC major N (nnc-major=N); with N != 1 the
# driver refuses it, so only the driver test of that runs.
# --kmd-params: module parameters for the ioctl/libember part (step 3), e.g.
# "datapath_polling=1"; --ioctl-only: run step 3 only (the hardware and the
# driver's own script tests already ran in another topology).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh

DBCS=4 MEM=268435456 IRQ=msix NNC_MAJOR=1 KMD_PARAMS='' IOCTL_ONLY=0
while [ $# -gt 0 ]; do
	case $1 in
	--kmd-params) KMD_PARAMS=$2; shift 2 ;;
	--ioctl-only) IOCTL_ONLY=1; shift ;;
	--dbcs) DBCS=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--irq) IRQ=$2; shift 2 ;;
	--nnc-major) NNC_MAJOR=$2; shift 2 ;;
	*) echo "guest-suite: unknown argument $1" >&2; exit 2 ;;
	esac
done
export EMBER_EXPECT_DBCS=$DBCS EMBER_EXPECT_MEM=$MEM EMBER_EXPECT_IRQ=$IRQ
export EMBER_EXPECT_NNC_MAJOR=$NNC_MAJOR
EMBER_EXPECT_VERSION=$(cat VERSION)
export EMBER_EXPECT_VERSION

# 1. The hardware on its own, before any driver binds it (its firmware
# version check expects NNC 1.0: skipped for a device of another major).
if [ "$NNC_MAJOR" = 1 ] && [ "$IOCTL_ONLY" = 0 ]; then
	prefixed emu "$EMBER_BUILD/tests/emu_selftest" --dbcs "$DBCS" --mem "$MEM"
fi
# The firmware model through the raw mailbox (NNC).
if [ "$IOCTL_ONLY" = 0 ]; then
	prefixed emu-fw "$EMBER_BUILD/tests/emu_mbox_test" --dbcs "$DBCS" --mem "$MEM"
fi

# A device of another NNC major: the driver must refuse it, nothing else runs.
if [ "$NNC_MAJOR" != 1 ]; then
	prefixed kmd.nnc-major tests/vm/kmd/test-nnc-major.sh --dbcs "$DBCS" --mem "$MEM" --irq "$IRQ"
	echo "guest-suite: done"
	exit 0
fi

# 2. The driver.
for t in tests/vm/kmd/test-*.sh; do
	[ -e "$t" ] || continue
	[ "$IOCTL_ONLY" = 0 ] || break
	prefixed "kmd.$(basename "$t" .sh | sed 's/^test-//')" "$t" --dbcs "$DBCS" --mem "$MEM" --irq "$IRQ"
done

# 3. The ioctl ABI through the accel node, and libember over it.
# shellcheck disable=SC2086 # KMD_PARAMS is a list of words
if tests/vm/kmd/load.sh $KMD_PARAMS >/tmp/load.log 2>&1; then
	pass "kmd.load"
	run_catch2 getinfo "$EMBER_BUILD/tests/ember_vm_getinfo"
	run_catch2 umd "$EMBER_BUILD/tests/ember_vm_umd_control"
	run_catch2 datapath "$EMBER_BUILD/tests/ember_vm_datapath"
	run_catch2 storm "$EMBER_BUILD/tests/ember_vm_storm"
	run_catch2 datapath-ops "$EMBER_BUILD/tests/ember_vm_datapath_ops"
	run_catch2 integrity "$EMBER_BUILD/tests/ember_vm_integrity"
	run_catch2 umd.data "$EMBER_BUILD/tests/ember_vm_umd_data"
	run_catch2 telemetry "$EMBER_BUILD/tests/ember_vm_telemetry"
	# The bpftrace tool against the driver's counters (slow to start under
	# TCG: once, in the per-DBC MSI-X topology).
	if [ "$IRQ" = msix ] && [ "$IOCTL_ONLY" = 0 ]; then
		prefixed tools tests/vm/bpftrace-check.sh
	fi
	check umd.example.workload_load "$EMBER_BUILD/examples/workload_load"
	check umd.example.run_workload "$EMBER_BUILD/examples/run_workload" --runs 3
	check umd.example.device_info "$EMBER_BUILD/examples/device_info"
	# Runtimes of the previous release on this driver and libember.
	if [ "$IRQ" = msix ] && [ "$IOCTL_ONLY" = 0 ]; then
		tests/vm/compat-test.sh
	fi
	# ember-smi against sysfs and the driver's counters (tests/vm/smi-test.sh).
	prefixed smi tests/vm/smi-test.sh --dbcs "$DBCS" --irq "$IRQ"
	# Client lifecycles killed at random; kmd.unload then proves rmmod
	# works after the churn.
	run_catch2 churn "$EMBER_BUILD/tests/ember_vm_churn"
	check kmd.unload tests/vm/kmd/unload.sh
	prefixed smi.unloaded tests/vm/smi-test.sh --unloaded
	# ember-exporter against the driver's counters (loads and unloads
	# ember itself: the last check is a scrape after the unload).
	# shellcheck disable=SC2086 # KMD_PARAMS is a list of words
	prefixed tools tests/vm/exporter-test.sh $KMD_PARAMS
	# Last, because the device is gone afterwards: the slot's power off
	# under a busy client (pciehp removes the device, QEMU unplugs it).
	if [ "$IRQ" = msix ] && [ "$IOCTL_ONLY" = 0 ]; then
		prefixed kmd.hot-unplug tests/vm/kmd/hot-unplug.sh --dbcs "$DBCS" --mem "$MEM" --irq "$IRQ"
	fi
else
	fail "kmd.load" "$(tail -n 3 /tmp/load.log | tr '\n' ' ')"
fi
echo "guest-suite: done"
