#!/bin/bash
# Long-running soak of the data path, outside `make test`: the churn test
# (tests/vm/churn_test.cpp) for EMBER_SOAK_SECONDS (default 300) on each
# topology it runs on in the suite: per-DBC MSI-X, single MSI and polling
# mode. EMBER_CHURN_SEED / EMBER_CHURN_WORKERS are passed through.
#
# Usage: tests/vm/soak.sh   (make soak)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
SECONDS_EACH=${EMBER_SOAK_SECONDS:-300}
LOGS=$BUILD/vm-logs
mkdir -p "$LOGS"

# name | vm-run arguments | module parameters
TOPOLOGIES=(
	"msix|--topology msix --dbcs 4 --mem 256M|"
	"msi|--topology msi --dbcs 8 --mem 1G|"
	"poll|--topology msix --dbcs 4 --mem 256M|datapath_polling=1"
)

failed=0
for t in "${TOPOLOGIES[@]}"; do
	IFS='|' read -r name vmargs params <<<"$t"
	echo "--- soak $name: ${SECONDS_EACH} s of churn"
	# shellcheck disable=SC2086 # word splitting of the argument lists is intended
	if "$ROOT/scripts/vm-run" $vmargs --timeout $((SECONDS_EACH + 300)) \
		--env "EMBER_CHURN_SECONDS=$SECONDS_EACH" --log "$LOGS/soak-$name.dmesg" -- \
		sh -c "tests/vm/kmd/load.sh $params >/dev/null && $BUILD/tests/ember_vm_churn && tests/vm/kmd/unload.sh"; then
		echo "PASS soak/$name"
	else
		echo "FAIL soak/$name (see $LOGS/soak-$name.dmesg)"
		failed=1
	fi
done
exit $failed
