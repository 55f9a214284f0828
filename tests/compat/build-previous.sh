#!/bin/bash
# Builds libember and its examples as the previous release shipped them
# (tests/compat/previous-release), into $BUILD/compat/<version>/, for the
# version-skew test (tests/vm/compat-test.sh, docs/uapi.md
# "Compatibility and version skew"). The sources come from the git
# history of this checkout (git archive of that commit), so a shallow
# clone cannot run it: that is a failure with a clear message, not a skip.
# Rebuilt only when the commit changes. Prints PASS/FAIL lines.
# usage: tests/compat/build-previous.sh
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}

read -r ver commit < <(grep -v '^#' "$ROOT/tests/compat/previous-release" | head -n 1)
out=$BUILD/compat/$ver
stamp=$out/stamp
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$commit" ] &&
	[ -x "$out/build/examples/run_workload" ]; then
	echo "PASS compat.build-$ver"
	exit 0
fi
if ! git -C "$ROOT" cat-file -e "$commit^{commit}" 2>/dev/null; then
	echo "FAIL compat.build-$ver: commit $commit of release $ver is not in this clone's history (a shallow clone? fetch with --unshallow)"
	exit 1
fi
rm -rf "$out"
mkdir -p "$out/src"
log=$out/build.log
if git -C "$ROOT" archive "$commit" | tar -x -C "$out/src" &&
	cmake -S "$out/src" -B "$out/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DBUILD_TESTING=OFF >"$log" 2>&1 &&
	ninja -C "$out/build" ember ember_run_workload ember_device_info ember_list_devices >>"$log" 2>&1; then
	echo "$commit" >"$stamp"
	echo "PASS compat.build-$ver"
else
	echo "FAIL compat.build-$ver: building libember $ver failed (tail of $log:)"
	tail -n 5 "$log" | sed 's/^/    | /'
	exit 1
fi
