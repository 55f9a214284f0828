#!/bin/sh
# ctest unit.ember_exporter.promtool: `promtool check metrics` on the
# exporter's rendering of a fabricated snapshot. Exit 77 (skipped) only
# when promtool is not installed (Debian package prometheus,
# scripts/deps.sh).
set -eu
sample=$1
if ! command -v promtool >/dev/null 2>&1; then
	echo "SKIP: promtool not found (install the Debian package prometheus: scripts/deps.sh)"
	exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$sample" >"$out"
# promtool prints lint problems and exits non-zero on any.
promtool check metrics <"$out"
echo "promtool check metrics: OK ($(grep -c -v '^#' "$out") samples)"
