#!/bin/bash
# In-guest integration suite: boots one VM per topology with the emulated
# ember device and runs tests/vm/guest-suite.sh inside it. Every test line
# is prefixed with the topology name; the guest kernel log of each boot is
# checked by scripts/vm-run (WARNING/BUG/Oops/lockdep fail the topology).
#
# Usage: tests/vm/suite.sh [TOPOLOGY...]   (default: all)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
LOGS=$BUILD/vm-logs
mkdir -p "$LOGS"

# name | vm-run arguments | guest-suite arguments
TOPOLOGIES=(
	"msix|--topology msix --dbcs 4 --mem 256M|--dbcs 4 --mem 268435456 --irq msix"
	"msi|--topology msi --dbcs 8 --mem 1G|--dbcs 8 --mem 1073741824 --irq single"
	"nnc2|--topology msix --dbcs 4 --mem 256M --qemu-dev-opts nnc-major=2|--dbcs 4 --mem 268435456 --irq msix --nnc-major 2"
	"poll|--topology msix --dbcs 4 --mem 256M|--dbcs 4 --mem 268435456 --irq msix --ioctl-only --kmd-params datapath_polling=1"
)

want=("$@")
failed=0
# The previous release's libember and examples, for the version-skew test
# the guest runs (tests/vm/compat-test.sh).
"$ROOT/tests/compat/build-previous.sh" || failed=1
for t in "${TOPOLOGIES[@]}"; do
	IFS='|' read -r name vmargs guestargs <<<"$t"
	if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qx "$name"; then
		continue
	fi
	echo "--- topology $name: scripts/vm-run $vmargs"
	out=$LOGS/$name.out
	# shellcheck disable=SC2086 # word splitting of the argument lists is intended
	"$ROOT/scripts/vm-run" $vmargs --log "$LOGS/$name.dmesg" -- \
		"$ROOT/tests/vm/guest-suite.sh" $guestargs 2>&1 |
		tr -d '\r' | tee "$out" | grep -E '^(PASS|FAIL|SKIP) |^---' |
		sed -E "s/^(PASS|FAIL|SKIP) /\1 $name\//"
	rc=${PIPESTATUS[0]}
	if ! grep -q '^guest-suite: done' "$out"; then
		echo "FAIL $name/boot: the guest suite did not finish (see $out, $LOGS/$name.dmesg)"
		failed=1
	fi
	if [ "$rc" -ne 0 ]; then
		if grep -q '^FAIL ' "$out"; then
			failed=1
		else
			echo "FAIL $name/kernel-log: vm-run exited $rc (see $out, $LOGS/$name.dmesg)"
			failed=1
		fi
	else
		echo "PASS $name/kernel-log"
	fi
done
exit $failed
