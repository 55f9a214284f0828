# shellcheck shell=sh
# Shared helpers for in-guest test scripts (sourced, POSIX sh).
# Every check prints exactly one line: "PASS <name>" or "FAIL <name>: why".

EMBER_ROOT=${EMBER_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
EMBER_BUILD=${EMBER_BUILD:-$EMBER_ROOT/build}

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# check NAME CMD...: PASS if CMD succeeds.
check() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		pass "$_name"
	else
		fail "$_name" "$(echo "$_out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# run_catch2 PREFIX BINARY: run every Catch2 test case of BINARY as its own
# process and report it as PREFIX.<test name>; a test case that SKIPs
# (Catch2 exit status 4: everything skipped) prints "SKIP PREFIX.<name>: why".
run_catch2() {
	_prefix=$1
	_bin=$2
	if [ ! -x "$_bin" ]; then
		fail "$_prefix" "$_bin not built"
		return
	fi
	"$_bin" --list-tests --verbosity quiet | while IFS= read -r _t; do
		[ -n "$_t" ] || continue
		# Catch2 test specs split on commas: escape them.
		_spec=$(printf '%s' "$_t" | sed 's/,/\\,/g')
		_out=$("$_bin" "$_spec" 2>&1)
		_rc=$?
		if [ $_rc -eq 0 ]; then
			pass "$_prefix.$_t"
		elif [ $_rc -eq 4 ] && echo "$_out" | grep -q 'SKIPPED:'; then
			echo "SKIP $_prefix.$_t: $(echo "$_out" | sed -n '/with message:/{n;s/^ *//;p;q;}')"
		else
			fail "$_prefix.$_t" "$(echo "$_out" | grep -E -A 1 'FAILED|REQUIRE|CHECK|with expansion|with message|==|!=' | grep -v '^--$' | head -n 8 | tr '\n' ' ')"
			# The whole report (its INFO messages name the cause), indented
			# so that the summary does not count its lines.
			echo "$_out" | grep -v '^$' | head -n 80 | sed 's/^/    | /'
		fi
	done
}

# prefixed PREFIX CMD...: run CMD (which prints PASS/FAIL lines itself) and
# prefix its test names; a non-zero exit without any FAIL line is a FAIL.
prefixed() {
	_prefix=$1
	shift
	_tmp=$(mktemp)
	"$@" >"$_tmp" 2>&1
	_rc=$?
	sed -n -e "s/^PASS /PASS $_prefix./p" -e "s/^FAIL /FAIL $_prefix./p" "$_tmp"
	if [ $_rc -ne 0 ] && ! grep -q '^FAIL ' "$_tmp"; then
		fail "$_prefix" "exit $_rc: $(tail -n 3 "$_tmp" | tr '\n' ' ')"
	fi
	rm -f "$_tmp"
}
