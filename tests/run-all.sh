#!/bin/bash
# The whole test suite (make test): lint, host unit tests (ctest), then the
# in-guest integration suite on every VM topology. Prints one PASS/FAIL line
# per test and ends with "ember: N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
RESULTS=$BUILD/test-results
mkdir -p "$RESULTS"
: >"$RESULTS/all.txt"
start=$(date +%s)

section() { printf '\n=== %s ===\n' "$1"; }

section "lint"
"$ROOT/scripts/lint.sh" | tee "$RESULTS/lint.txt"
grep -E '^(PASS|FAIL) ' "$RESULTS/lint.txt" >>"$RESULTS/all.txt"

section "host unit tests (ctest)"
(cd "$BUILD" && ctest --output-on-failure --output-junit "$RESULTS/ctest.xml") |
	tee "$RESULTS/ctest.txt"
python3 - "$RESULTS/ctest.xml" >>"$RESULTS/all.txt" <<'PY'
import sys, xml.etree.ElementTree as ET
for tc in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    bad = tc.find("failure") is not None or tc.get("status") == "fail"
    print(("FAIL " if bad else "PASS ") + tc.get("name"))
PY

section "fuzzing the NNC codec (short run; make fuzz for the long one)"
"$ROOT/tests/fuzz/run.sh" | tee "$RESULTS/fuzz.txt"
grep -E '^(PASS|FAIL) ' "$RESULTS/fuzz.txt" >>"$RESULTS/all.txt"

section "in-guest integration suite"
"$ROOT/tests/vm/suite.sh" | tee "$RESULTS/vm.txt"
vm_rc=${PIPESTATUS[0]}
grep -E '^(PASS|FAIL) ' "$RESULTS/vm.txt" >>"$RESULTS/all.txt"

section "installer in a VM (tests/vm/install-test.sh --quick; make test-install for all of it)"
"$ROOT/tests/vm/install-test.sh" --quick | tee "$RESULTS/install.txt"
grep -E '^(PASS|FAIL) ' "$RESULTS/install.txt" >>"$RESULTS/all.txt"

passed=$(grep -c '^PASS ' "$RESULTS/all.txt")
failed=$(grep -c '^FAIL ' "$RESULTS/all.txt")
if [ "$vm_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "FAIL vm-suite: exited $vm_rc without a failing test" | tee -a "$RESULTS/all.txt"
	failed=1
fi
section "summary ($(($(date +%s) - start)) s)"
grep '^FAIL ' "$RESULTS/all.txt" || true
echo "ember: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
