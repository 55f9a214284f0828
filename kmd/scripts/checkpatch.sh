#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the kernel's checkpatch.pl --strict --no-tree on the given files, and
# scripts/kernel-doc -Wall on the C sources and headers among them (every
# kernel-doc comment must be complete and match the code).
#
# The scripts come from Debian's linux-source-6.12 package (a tarball under
# /usr/src). Only the four files needed are extracted, once, into
# $EMBER_CACHE/checkpatch (default ~/.cache/ember/checkpatch); the cache is
# refreshed when the tarball changes. EMBER_CHECKPATCH=/path/checkpatch.pl
# uses another copy instead (kernel-doc is then taken from its directory).
#
# usage: kmd/scripts/checkpatch.sh FILE...
# Exit status: 0 when every file is clean (no error, warning or check).
set -euo pipefail

[ $# -gt 0 ] || {
	echo "usage: $0 FILE..." >&2
	exit 2
}

cache=${EMBER_CACHE:-$HOME/.cache/ember}/checkpatch

find_tarball() {
	local t
	t=$(ls -1 /usr/src/linux-source-6.12.tar.* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$t" ] || t=$(ls -1 /usr/src/linux-source-*.tar.* 2>/dev/null | sort -V | tail -n 1)
	echo "$t"
}

extract() { # tarball
	local tarball=$1 tmp
	tmp=$(mktemp -d "${cache%/*}/checkpatch.XXXXXX")
	# Members are <top>/scripts/<file>; <top> depends on the package.
	tar -xf "$tarball" -C "$tmp" --strip-components=2 --wildcards \
		'*/scripts/checkpatch.pl' \
		'*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' \
		'*/scripts/kernel-doc'
	stat -c '%n %s %Y' "$tarball" >"$tmp/.source"
	rm -rf "$cache"
	mv "$tmp" "$cache"
}

if [ -n "${EMBER_CHECKPATCH:-}" ]; then
	checkpatch=$EMBER_CHECKPATCH
else
	tarball=$(find_tarball)
	if [ -z "$tarball" ]; then
		if [ ! -x "$cache/checkpatch.pl" ]; then
			echo "checkpatch: no /usr/src/linux-source-*.tar.* (install" \
				"linux-source-6.12: make deps)" >&2
			exit 1
		fi
	elif [ ! -x "$cache/checkpatch.pl" ] || [ ! -f "$cache/kernel-doc" ] ||
		[ "$(cat "$cache/.source" 2>/dev/null)" != "$(stat -c '%n %s %Y' "$tarball")" ]; then
		mkdir -p "${cache%/*}"
		echo "checkpatch: extracting checkpatch.pl from $tarball" >&2
		extract "$tarball"
	fi
	checkpatch=$cache/checkpatch.pl
fi

rc=0
# --no-tree: not run inside a kernel tree. --strict: also report CHECKs.
# --show-types: name the type of each message. --quiet --no-summary: print
# nothing for a clean file.
perl "$checkpatch" --strict --no-tree --show-types --no-summary --quiet -f "$@" || rc=1

kerneldoc=$(dirname "$checkpatch")/kernel-doc
sources=()
for f in "$@"; do
	case $f in *.c | *.h) sources+=("$f") ;; esac
done
if [ ${#sources[@]} -gt 0 ]; then
	if [ ! -f "$kerneldoc" ]; then
		echo "checkpatch: $kerneldoc not found" >&2
		rc=1
	else
		# -none: only check. Warnings go to stderr; any output is a failure.
		out=$(perl "$kerneldoc" -none -Wall "${sources[@]}" 2>&1) || rc=1
		if [ -n "$out" ]; then
			echo "$out"
			rc=1
		fi
	fi
fi
exit $rc
