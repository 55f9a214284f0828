#!/bin/bash
# Style and static checks; each prints one PASS/FAIL line.
#   checkpatch --strict on kmd/, clang-format and clang-tidy on C++,
#   and shell scripts checked by ShellCheck.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
cd "$ROOT" || exit 1
rc=0

report() { # name status output
	if [ "$2" -eq 0 ]; then
		echo "PASS lint.$1"
	else
		echo "FAIL lint.$1"
		echo "$3" | head -n 40 | sed 's/^/    /'
		rc=1
	fi
}

out=$(make --no-print-directory -C kmd checkpatch 2>&1)
report checkpatch $? "$out"

mapfile -t cxx < <(git ls-files -co --exclude-standard -- '*.cpp' '*.hpp' 'umd/*.h' 'tools/*.h')
if [ ${#cxx[@]} -gt 0 ]; then
	out=$(clang-format --dry-run -Werror "${cxx[@]}" 2>&1)
	report clang-format $? "$out"
	mapfile -t tus < <(printf '%s\n' "${cxx[@]}" | grep '\.cpp$')
	out=$(clang-tidy -p "$BUILD" --quiet "${tus[@]}" 2>&1 | grep -v "warnings generated"
		exit "${PIPESTATUS[0]}")
	report clang-tidy $? "$out"
fi

mapfile -t sh < <(git ls-files -co --exclude-standard -- '*.sh' 'scripts/*' '.ci/run' |
	xargs -r grep -l -E '^#!.*(ba)?sh' 2>/dev/null)
if [ ${#sh[@]} -gt 0 ]; then
	out=$(shellcheck -S warning "${sh[@]}" 2>&1)
	report shellcheck $? "$out"
fi
exit $rc
