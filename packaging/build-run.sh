#!/bin/bash
# Build ember-<version>.run (make package): a makeself archive of the DKMS
# source tree, libember as `cmake --install` lays it out, the udev rule, the
# modprobe.d template, the documentation and packaging/installer/install.sh,
# which it runs after extracting itself (docs/admin-guide.md).
#
# usage: packaging/build-run.sh [--out DIR] [--build DIR] [--version V]
#                                [--kver K]... [--no-prebuilt]
#   --out DIR     where the .run goes (default build/dist)
#   --build DIR   the CMake build tree with libember built (default build)
#   --version V   package the sources under version V instead of VERSION's
#                 (the upgrade test builds a "next" version this way)
#   --kver K      also carry ember.ko built from the packaged sources for
#                 kernel K (headers in /lib/modules/K/build), used by the
#                 installer when the target runs exactly K; repeatable;
#                 default: scripts/kver's kernel when its headers are here
#   --no-prebuilt carry no prebuilt module (every install compiles)
# Prints the path of the .run on its last line.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
out=$ROOT/build/dist
build=$ROOT/build
version=$(head -n 1 "$ROOT/VERSION")
kvers=()
prebuilt=1
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--version) version=$2; shift 2 ;;
	--kver) kvers+=("$2"); shift 2 ;;
	--no-prebuilt) prebuilt=0; shift ;;
	*) echo "build-run: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
command -v makeself >/dev/null || { echo "build-run: makeself is missing (make deps)" >&2; exit 1; }
[ -f "$build/CMakeCache.txt" ] || { echo "build-run: no CMake build in $build (make userspace)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/ember-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/ember-$version
mkdir -p "$stage"

# The DKMS source tree (also what a plain install builds from).
"$ROOT/packaging/dkms/mktree.sh" "$stage/src" "$version"

# ember.ko for the kernels named, built from exactly these sources.
if [ $prebuilt = 1 ] && [ ${#kvers[@]} -eq 0 ]; then
	k=$("$ROOT/scripts/kver" 2>/dev/null || true)
	[ -z "$k" ] || [ ! -f "/lib/modules/$k/build/Makefile" ] || kvers=("$k")
fi
[ $prebuilt = 1 ] || kvers=()
for k in "${kvers[@]}"; do
	kb=$work/kbuild-$k
	cp -a "$stage/src" "$kb"
	make -C "$kb/kmd" KVER="$k" KDIR="/lib/modules/$k/build" -j"$(nproc)" modules \
		>"$work/kbuild.log" 2>&1 || { tail -n 30 "$work/kbuild.log" >&2; exit 1; }
	mkdir -p "$stage/prebuilt/$k"
	strip --strip-debug -o "$stage/prebuilt/$k/ember.ko" "$kb/kmd/ember.ko"
	rm -rf "$kb"
done

# libember: library, headers, pkg-config file, CMake package (and whatever
# else the CMake project installs, e.g. tools). The installer rewrites the
# pkg-config prefix to its --prefix; the CMake files are relocatable.
cmake --install "$build" --prefix "$stage/umd" >"$work/cmake-install.log" ||
	{ cat "$work/cmake-install.log" >&2; exit 1; }
[ -f "$stage/umd/lib/pkgconfig/ember.pc" ] || { echo "build-run: cmake --install gave no ember.pc" >&2; exit 1; }

mkdir -p "$stage/udev" "$stage/modprobe" "$stage/doc"
cp "$ROOT/packaging/udev/70-ember.rules" "$stage/udev/"
cp "$ROOT/packaging/modprobe/ember.conf" "$stage/modprobe/"
cp "$ROOT/docs/admin-guide.md" "$ROOT/docs/sysfs.md" "$ROOT/docs/uapi.md" "$stage/doc/"
cp "$ROOT/umd/README.md" "$stage/doc/libember.md"
cp "$ROOT/packaging/installer/install.sh" "$stage/install.sh"
chmod 0755 "$stage/install.sh"
echo "$version" >"$stage/VERSION"
cp "$ROOT/packaging/kernel-min" "$stage/kernel-min"

# makeself's stock header answers -h/--help with its own help and rejects
# every option it does not know. Ours passes -h, --help, --version and any
# unknown option to install.sh (quietly for the first three), keeping
# makeself's own options (--info, --list, --check, --target, --keep, ...).
hdr=$work/makeself-header.sh
perl -0pe '
	s/    -h \| --help\)\n\tMS_Help\n\texit 0\n/    -h | --help | --version)\n\tquiet=y\n\tnoprogress=y\n\tbreak\n/ or die "help\n";
	s/\techo Unrecognized flag : "\\\$1" >&2\n\tMS_Help\n\texit 1\n/\tbreak\n/ or die "unrecognized\n";
' /usr/share/makeself/makeself-header.sh >"$hdr" || {
	echo "build-run: this makeself's header has another layout than makeself 2.4.5's; update build-run.sh" >&2
	exit 1
}

run=$out/ember-$version.run
makeself --nox11 --noprogress --sha256 --tar-quietly --header "$hdr" \
	"$stage" "$run.tmp" "ember $version" ./install.sh >"$work/makeself.log" 2>&1 ||
	{ cat "$work/makeself.log" >&2; exit 1; }
mv -f "$run.tmp" "$run"
echo "$run"
