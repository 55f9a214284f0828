#!/bin/bash
# Build qemu-system-x86_64 from Debian's own qemu source package with the
# ember device model added as hw/misc/ember/: the folder emu/hw/misc/ember/
# (one file a concern, its meson.build and trace-events) copied as it is,
# with the shared definitions and NNC codec of common/ beside it (common/*.h
# as they are, common/ember_nnc.c as ember-nnc.c.inc). The source tree is
# patched idempotently: subdir('ember') in hw/misc/meson.build, config
# EMBER in hw/misc/Kconfig, 'hw/misc/ember' in the trace_events_subdirs of
# the top-level meson.build (so that -trace 'ember_*' works). A tree of the
# old one-file layout (hw/misc/ember.c) is migrated.
#
# Usage: emu/build-qemu.sh [--force]
#   QEMU=$(emu/build-qemu.sh | tail -1)
#
# The last line on stdout is the absolute path of the binary; progress goes
# to stderr. Everything lives outside the repo under $EMBER_CACHE
# (default ~/.cache/ember):
#   qemu-<srcver>/dl/            apt-get source download (.dsc + tarballs)
#   qemu-<srcver>/src/           Debian-patched tree with ember added
#   qemu-<srcver>/src/build/     configured build tree (kept: edits to the
#                                model recompile one file and relink)
#   bin/qemu-system-x86_64-<key> finished binaries, key = sha256 of every
#                                file under emu/, common/*.h and
#                                common/ember_nnc.c, the qemu source
#                                version and this script; a hit returns at
#                                once
#   qemu.lock                    flock serialising builds
#
# Environment:
#   EMBER_CACHE         cache root (default $HOME/.cache/ember)
#   EMBER_EMU_DIR       directory holding hw/misc/ember/ (default: this
#                       script's dir)
#   EMBER_COMMON_DIR    the shared definitions (default: the common/
#                       beside EMBER_EMU_DIR)
#   EMBER_QEMU_VERSION  qemu source version to use (default: newest known
#                       to apt, else newest already in the cache)
#   EMBER_QEMU_KEEP     finished binaries to keep (default 4)
#   EMBER_JOBS          ninja -j (default: nproc)
set -euo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
here=$(dirname "$self")
EMU_DIR=$(readlink -f "${EMBER_EMU_DIR:-$here}")
COMMON_DIR=$(readlink -f "${EMBER_COMMON_DIR:-$EMU_DIR/../common}")
CACHE=${EMBER_CACHE:-$HOME/.cache/ember}
KEEP=${EMBER_QEMU_KEEP:-4}
JOBS=${EMBER_JOBS:-$(nproc)}

CONFIGURE_FLAGS=(
	--target-list=x86_64-softmmu
	--without-default-features
	--enable-kvm --enable-tcg
	--disable-docs --disable-install-blobs
	--with-git-submodules=ignore
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
	--enable-virtfs --enable-cap-ng --enable-attr
	# TCG plugins: tests/bench/insn-profile.sh counts guest instructions
	# with one. Loaded only with -plugin; without it TCG runs as before.
	--enable-plugins
)

log() { echo "build-qemu: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

force=0
case "${1:-}" in
'') ;;
-f | --force) force=1 ;;
-h | --help)
	sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//' >&2
	exit 0
	;;
*)
	echo "usage: $0 [--force]" >&2
	exit 2
	;;
esac

MODEL_DIR=$EMU_DIR/hw/misc/ember
[ -f "$MODEL_DIR/meson.build" ] || die "no device model: $MODEL_DIR/meson.build does not exist"
for f in ember_hw.h ember_fwcmd.h ember_nnc.h ember_nnc.c; do
	[ -f "$COMMON_DIR/$f" ] || die "no shared definitions: $COMMON_DIR/$f does not exist"
done

# Newest qemu source version apt knows about (fast: apt-cache reads its
# binary cache). Without deb-src lists fall back to what is in the cache.
qemu_version() {
	if [ -n "${EMBER_QEMU_VERSION:-}" ]; then
		echo "$EMBER_QEMU_VERSION"
		return
	fi
	local v best=""
	for v in $(apt-cache showsrc qemu 2>/dev/null |
		awk '/^Package:/ { p = ($2 == "qemu") } p && /^Version:/ { print $2 }'); do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done
	[ -n "$best" ] || best=$(cached_version)
	[ -n "$best" ] || die "no qemu source version known: add a deb-src entry (make deps) and run apt-get update"
	echo "$best"
}

# Newest source tree already extracted in the cache ("" if none).
cached_version() {
	local d v best=""
	for d in "$CACHE"/qemu-*/.extracted; do
		[ -f "$d" ] || continue
		v=$(cat "$d")
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done
	echo "$best"
}

# Cache key: the qemu source version, this script, every file under emu/,
# the shared definitions and the NNC codec.
set_version() {
	ver=$1
	top=$CACHE/qemu-${ver#*:}
	src=$top/src
	build=$src/build
	key=$(
		{
			printf 'qemu %s\n' "$ver"
			sha256sum <"$self"
			cd "$EMU_DIR"
			find . -type f ! -name '*.swp' ! -name '*~' -print0 | LC_ALL=C sort -z |
				xargs -0 -r sha256sum
			cd "$COMMON_DIR"
			sha256sum ./*.h ember_nnc.c
		} | sha256sum | cut -c1-16
	)
	bin=$bindir/qemu-system-x86_64-$key
}

bindir=$CACHE/bin
qv=$(qemu_version) || exit 1
set_version "$qv"

if [ $force -eq 0 ] && [ -x "$bin" ]; then
	touch -c "$bin" 2>/dev/null || true # recently used: survives cleanup
	echo "$bin"
	exit 0
fi

mkdir -p "$CACHE" "$bindir"
exec 9>"$CACHE/qemu.lock"
if ! flock -n 9; then
	log "waiting for another build (lock $CACHE/qemu.lock)"
	flock 9
fi
# Another invocation may have built it while we waited.
if [ $force -eq 0 ] && [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

t0=$(date +%s)

# 1. Source: Debian's package with its patches applied.
if [ ! -f "$top/.extracted" ]; then
	log "fetching qemu source $ver into $top"
	rm -rf "$top"
	mkdir -p "$top/dl"
	if (cd "$top/dl" && apt-get source --download-only -q "qemu=$ver" >&2); then
		dsc=$(ls "$top/dl"/qemu_*.dsc)
		log "extracting $dsc (with Debian patches)"
		dpkg-source --no-check -x "$dsc" "$src" >&2 || die "dpkg-source -x failed"
		echo "$ver" >"$top/.extracted"
	else
		rm -rf "$top"
		old=$(cached_version)
		[ -n "$old" ] || die "apt-get source qemu=$ver failed (deb-src entry missing or offline? try make deps)"
		log "warning: cannot fetch qemu $ver; using the cached source $old"
		set_version "$old"
		if [ $force -eq 0 ] && [ -x "$bin" ]; then
			echo "$bin"
			exit 0
		fi
	fi
fi

# 2. Add the device: hw/misc/ember/ (the model's folder, common/*.h, the
# NNC codec as ember-nnc.c.inc, compiled by ember-nnc.c), subdir('ember')
# in hw/misc/meson.build, one Kconfig entry, the trace events directory.
# Idempotent; files are copied only when they differ so ninja's timestamps
# stay meaningful, and files of ours that are no longer wanted go.
sync_file() {
	if ! cmp -s "$1" "$2"; then
		log "updating ${2#"$src"/}"
		cp "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
	fi
}
dst=$src/hw/misc/ember
mkdir -p "$dst"
declare -A wanted=()
for f in "$MODEL_DIR"/*; do
	[ -f "$f" ] || continue
	case $f in *.swp | *~) continue ;; esac
	sync_file "$f" "$dst/${f##*/}"
	wanted[${f##*/}]=1
done
for h in "$COMMON_DIR"/*.h; do
	sync_file "$h" "$dst/${h##*/}"
	wanted[${h##*/}]=1
done
sync_file "$COMMON_DIR/ember_nnc.c" "$dst/ember-nnc.c.inc"
wanted[ember-nnc.c.inc]=1
for f in "$dst"/*; do
	[ -f "$f" ] || continue
	[ -n "${wanted[${f##*/}]:-}" ] || {
		log "removing stale ${f#"$src"/}"
		rm -f "$f"
	}
done

# The one-file layout: hw/misc/ember.c with its headers and one meson line.
for f in ember.c ember-nnc.c.inc ember_hw.h ember_fwcmd.h ember_nnc.h; do
	if [ -f "$src/hw/misc/$f" ]; then
		log "removing hw/misc/$f (old layout)"
		rm -f "$src/hw/misc/$f"
	fi
done
if grep -q "files('ember.c')" "$src/hw/misc/meson.build"; then
	log "removing the ember.c line of hw/misc/meson.build (old layout)"
	sed -i "/CONFIG_EMBER.*files('ember.c')/d" "$src/hw/misc/meson.build"
fi
# The comment names CONFIG_EMBER: a build-qemu.sh of the one-file layout
# (a branch not yet rebased) then finds the device hooked and adds no
# second one, whose type "ember" would abort QEMU at start.
if ! grep -q "^subdir('ember')" "$src/hw/misc/meson.build"; then
	log "adding subdir('ember') to hw/misc/meson.build"
	echo "subdir('ember')  # CONFIG_EMBER: added by ember's emu/build-qemu.sh" \
		>>"$src/hw/misc/meson.build"
fi
if ! grep -q "^config EMBER$" "$src/hw/misc/Kconfig"; then
	log "adding config EMBER to hw/misc/Kconfig"
	cat >>"$src/hw/misc/Kconfig" <<'KCONFIG'

config EMBER
    bool
    default y if TEST_DEVICES
    depends on PCI && MSI_NONBROKEN
KCONFIG
fi
# QEMU 7.2 generates trace.h only for directories listed in the top-level
# meson.build; hw/misc/ember goes right after hw/misc.
if ! grep -q "^ *'hw/misc/ember',$" "$src/meson.build"; then
	grep -q "^ *'hw/misc',$" "$src/meson.build" ||
		die "no 'hw/misc' in trace_events_subdirs of $src/meson.build"
	log "adding 'hw/misc/ember' to trace_events_subdirs in meson.build"
	sed -i "s|^\( *\)'hw/misc',$|&\n\1'hw/misc/ember',|" "$src/meson.build"
fi

# 3. Configure once; reconfigure only when the flags change.
stamp="${CONFIGURE_FLAGS[*]}"
if [ ! -f "$build/build.ninja" ] || [ "$(cat "$build/.ember-configure" 2>/dev/null)" != "$stamp" ]; then
	log "configuring in $build"
	rm -rf "$build"
	mkdir -p "$build"
	(cd "$build" && ../configure "${CONFIGURE_FLAGS[@]}" >&2) || die "configure failed (see above)"
	echo "$stamp" >"$build/.ember-configure"
fi

# 4. Build only the emulator.
log "ninja -j$JOBS qemu-system-x86_64 (first build: several minutes)"
ninja -C "$build" -j"$JOBS" qemu-system-x86_64 >&2 || die "ninja failed (see above)"

if ! "$build/qemu-system-x86_64" -nodefaults -device help 2>/dev/null | grep -q '"ember"'; then
	die "built QEMU has no 'ember' device: is CONFIG_EMBER enabled? (grep EMBER $build/*-config-devices.h)"
fi

cp "$build/qemu-system-x86_64" "$bin.tmp.$$"
mv -f "$bin.tmp.$$" "$bin"

# 5. Clean up: keep the newest $KEEP binaries, drop trees of other versions.
# shellcheck disable=SC2012 # names are ours: 16 hex digits
{ ls -1t "$bindir"/qemu-system-x86_64-???????????????? 2>/dev/null || true; } |
	tail -n +$((KEEP + 1)) | xargs -r rm -f
for d in "$CACHE"/qemu-*/; do
	[ "${d%/}" = "$top" ] || [ ! -f "$d/.extracted" ] || {
		log "removing old source tree $d"
		rm -rf "$d"
	}
done

log "built $bin in $(($(date +%s) - t0))s"
echo "$bin"
