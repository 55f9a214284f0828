#!/bin/sh
# Version skew (docs/uapi.md, "Compatibility and version skew"): runtimes
# of the previous release (built by tests/compat/build-previous.sh) against
# the current ember.ko, which must be loaded:
#   - the previous release's run_workload with its own libember;
#   - the same binary with the current libember (LD_LIBRARY_PATH wins over
#     its RUNPATH): a runtime built against an older libember keeps working;
#   - its device_info and list_devices (which prints the version of the
#     libember it runs on) see
#     the device.
# run_workload compares every byte of the GEMM and its CRC itself.
# Prints PASS/FAIL lines "compat.*".
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh

read -r ver _commit <<EOF_REL
$(grep -v '^#' tests/compat/previous-release | head -n 1)
EOF_REL
old=$EMBER_BUILD/compat/$ver/build
if [ ! -x "$old/examples/run_workload" ]; then
	fail "compat.$ver" "$old/examples/run_workload is missing: tests/compat/build-previous.sh did not run or failed"
	exit 1
fi
# Which libember a binary resolves to under an LD_LIBRARY_PATH.
resolved() {
	LD_LIBRARY_PATH=$1 ldd "$2" 2>/dev/null | sed -n 's/^[[:space:]]*libember\.so\.0 => \([^ ]*\).*/\1/p'
}
for lib in old new; do
	if [ $lib = old ]; then
		dir=$old/umd libver=$ver
	else
		dir=$EMBER_BUILD/umd libver=$(head -n 1 VERSION)
	fi
	got=$(resolved "$dir" "$old/examples/run_workload")
	if [ "$(readlink -f "$got")" = "$(readlink -f "$dir/libember.so.0")" ]; then
		pass "compat.$ver-app.$lib-libember.resolves"
	else
		fail "compat.$ver-app.$lib-libember.resolves" "libember.so.0 resolves to '$got', want $dir/libember.so.0"
	fi
	check "compat.$ver-app.$lib-libember.run_workload" \
		env LD_LIBRARY_PATH="$dir" "$old/examples/run_workload" --runs 3 --seed 7
	check "compat.$ver-app.$lib-libember.device_info" \
		env LD_LIBRARY_PATH="$dir" "$old/examples/device_info"
	out=$(LD_LIBRARY_PATH=$dir "$old/examples/list_devices" 2>&1)
	if printf '%s\n' "$out" | grep -q "libember $libver: [1-9][0-9]* ember device" &&
		printf '%s\n' "$out" | grep -q /dev/accel/accel; then
		pass "compat.$ver-app.$lib-libember.list_devices"
	else
		fail "compat.$ver-app.$lib-libember.list_devices" "$(printf '%s' "$out" | head -n 3 | tr '\n' ' ')"
	fi
done
