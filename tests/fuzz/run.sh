#!/bin/bash
# Build the NNC libFuzzer targets with clang, ASan and UBSan (in their own
# build directory, apart from the gcc CMake build) and run each of them on
# a working corpus seeded from tests/fuzz/corpus/<target>/.
#
#   tests/fuzz/run.sh [--seconds N | --runs N] [target...]
#
#   --seconds N  stop each target after N seconds (default 25; make test)
#   --runs N     run each target for N inputs (make fuzz: --runs 1000000)
#   target       nnc_decode, nnc_encode (default: both)
#
# Prints "PASS fuzz.<target> (<N> execs)" or "FAIL fuzz.<target> ..." per
# target; exits non-zero if any failed. Crash inputs are kept in
# $BUILD/fuzz/artifacts/, new coverage in $BUILD/fuzz/corpus/<target>/
# (the in-tree seeds are never modified). Compilers: $FUZZ_CC/$FUZZ_CXX
# (default clang/clang++).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${EMBER_BUILD:-$ROOT/build}/fuzz
CC_FUZZ=${FUZZ_CC:-clang}
CXX_FUZZ=${FUZZ_CXX:-clang++}

limit=(-max_total_time=25)
targets=()
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) limit=(-max_total_time="$2"); shift 2 ;;
	--runs) limit=(-runs="$2"); shift 2 ;;
	-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
	nnc_*) targets+=("$1"); shift ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ ${#targets[@]} -gt 0 ] || targets=(nnc_decode nnc_encode)

SAN=(-fsanitize=address -fsanitize=undefined -fno-sanitize-recover=undefined
	-fno-omit-frame-pointer -g -O1)
mkdir -p "$OUT/artifacts"

build() { # target
	local t=$1 src=$ROOT/tests/fuzz/${1}.cpp bin=$OUT/$1
	src=${src/nnc_/nnc_fuzz_}
	if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt "$ROOT/common/ember_nnc.c" ] &&
		[ "$bin" -nt "$ROOT/common/ember_nnc.h" ] &&
		[ "$bin" -nt "$ROOT/tests/fuzz/nnc_fuzz_util.hpp" ]; then
		return 0
	fi
	"$CC_FUZZ" -std=c11 -Wall -Wextra -Werror "${SAN[@]}" -fsanitize=fuzzer-no-link \
		-c "$ROOT/common/ember_nnc.c" -o "$OUT/ember_nnc.$t.o" &&
		"$CXX_FUZZ" -std=c++20 -Wall -Wextra -Werror "${SAN[@]}" -fsanitize=fuzzer \
			-I"$ROOT/common" "$src" "$OUT/ember_nnc.$t.o" -o "$bin"
}

rc=0
for t in "${targets[@]}"; do
	log=$OUT/$t.log
	if ! build "$t" >"$log" 2>&1; then
		echo "FAIL fuzz.$t (build)"
		sed 's/^/    /' "$log" | head -n 20
		rc=1
		continue
	fi
	mkdir -p "$OUT/corpus/$t"
	start=$(date +%s)
	set +e
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$OUT/$t" "${limit[@]}" -max_len=4200 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" \
		"$OUT/corpus/$t" "$ROOT/tests/fuzz/corpus/$t" >"$log" 2>&1
	status=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	secs=$(($(date +%s) - start))
	if [ $status -eq 0 ] && [ -n "$execs" ]; then
		echo "PASS fuzz.$t ($execs execs)"
	else
		echo "FAIL fuzz.$t (exit $status after ${secs}s, ${execs:-?} execs; log $log)"
		grep -E 'ERROR|check failed|SUMMARY|runtime error|Test unit written' "$log" |
			head -n 10 | sed 's/^/    /'
		rc=1
	fi
done
exit $rc
