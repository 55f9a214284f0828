#!/bin/bash
# Sourced by tests/bench/insn-profile.sh and tests/bench/qd1-modes.sh.

# build_insn_plugin QEMU OUT.so: compiles tests/bench/insn-plugin.c
# against the qemu-plugin.h of QEMU's source tree (emu/build-qemu.sh's
# cache: CACHE/bin/qemu-system-x86_64-KEY, its source CACHE/qemu-VER/src).
build_insn_plugin() {
	local cache hdr
	cache=$(dirname "$(dirname "$1")")
	hdr=$(find "$cache" -maxdepth 5 -path '*/src/include/qemu/qemu-plugin.h' | sort | tail -n 1)
	[ -n "$hdr" ] || { echo "insn-plugin: no qemu-plugin.h under $cache" >&2; return 1; }
	mkdir -p "$(dirname "$2")"
	# shellcheck disable=SC2046 # pkg-config prints several flags
	gcc -O2 -Wall -Werror -shared -fPIC -o "$2" "$(dirname "${BASH_SOURCE[0]}")/insn-plugin.c" \
		-I"$(dirname "$hdr")" $(pkg-config --cflags glib-2.0)
}
