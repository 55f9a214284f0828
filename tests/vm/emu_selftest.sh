#!/bin/bash
# Host side: build tests/vm/emu_selftest.c and run it in the test VM, with
# no driver bound, in the MSI-X and the single-MSI topology. Extra
# arguments go to scripts/vm-run (e.g. --qemu-arg ...).
#   tests/vm/emu_selftest.sh [VM-RUN-OPTION...]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
mkdir -p build
gcc -O2 -std=gnu11 -Wall -Wextra -Werror -I common -I tests/vm -o build/emu_selftest \
	tests/vm/emu_selftest.c tests/vm/emu_harness.c -lz

rc=0
run() {
	local topo=$1 dbcs=$2 mem=$3
	shift 3
	echo "== emu_selftest: topology $topo, $dbcs DBCs, $mem device memory"
	scripts/vm-run --topology "$topo" --dbcs "$dbcs" --mem "$mem" "$@" -- \
		build/emu_selftest --topology "$topo" --dbcs "$dbcs" --mem "$mem" || rc=1
}
run msix 4 256M "$@"
run msi 8 1G "$@"
exit $rc
