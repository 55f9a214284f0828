#!/bin/bash
# Lay out ember's DKMS source tree: what `dkms add/build/install -m ember
# -v <version>` needs, as /usr/src/ember-<version>/ holds it:
#
#   DEST/dkms.conf    packaging/dkms/dkms.conf with the version and the
#                     kernel floor filled in
#   DEST/VERSION      the driver version (kmd/Kbuild reads ../VERSION)
#   DEST/kmd/         Kbuild, Makefile and the driver's sources
#   DEST/common/      the shared hardware/NNC definitions and codec
#   DEST/uapi/        the ioctl ABI header
#
# usage: packaging/dkms/mktree.sh DEST [VERSION]
#   DEST      directory to create (must not exist or be empty), e.g.
#             /usr/src/ember-$(cat VERSION)
#   VERSION   package the tree under this version instead of the VERSION
#             file's (tests of an upgrade build a "next" version this way)
# Sources only: objects and .ko files of a build in kmd/ are not copied.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 1 ] && [ $# -le 2 ] || {
	echo "usage: $0 DEST [VERSION]" >&2
	exit 2
}
dest=$1
version=${2:-$(head -n 1 "$ROOT/VERSION")}
[[ $version =~ ^[0-9A-Za-z.+~-]+$ ]] || {
	echo "mktree: bad version '$version'" >&2
	exit 2
}
if [ -e "$dest" ] && [ -n "$(ls -A "$dest")" ]; then
	echo "mktree: $dest exists and is not empty" >&2
	exit 1
fi

# Regular expression (ERE) for the decimal numbers >= $1.
ge_regex() {
	local n=$1 len=${#1} alts=() i d rest
	alts+=("$n")
	for ((i = 0; i < len; i++)); do
		d=${n:i:1}
		[ "$d" -lt 9 ] || continue
		rest=$((len - i - 1))
		alts+=("${n:0:i}[$((d + 1))-9]$( ((rest == 0)) || echo "[0-9]{$rest}")")
	done
	alts+=("[1-9][0-9]{$len,}")
	local IFS='|'
	echo "(${alts[*]})"
}
kmin=$(head -n 1 "$ROOT/packaging/kernel-min")
kmaj=${kmin%%.*}
kmnr=${kmin#*.}
# major == kmaj and minor >= kmnr, or major > kmaj
kregex="^(${kmaj}\\.$(ge_regex "$kmnr")|$(ge_regex $((kmaj + 1))))\\."

mkdir -p "$dest/kmd" "$dest/common" "$dest/uapi"
cp "$ROOT"/kmd/Kbuild "$ROOT"/kmd/Makefile "$ROOT"/kmd/*.c "$ROOT"/kmd/*.h "$dest/kmd/"
rm -f "$dest"/kmd/*.mod.c
cp "$ROOT"/common/*.c "$ROOT"/common/*.h "$dest/common/"
cp "$ROOT"/uapi/*.h "$dest/uapi/"
echo "$version" >"$dest/VERSION"
sed -e "s/@EMBER_VERSION@/$version/" -e "s/@EMBER_KERNEL_REGEX@/${kregex//\\/\\\\}/" \
	"$ROOT/packaging/dkms/dkms.conf" >"$dest/dkms.conf"
chmod -R u=rwX,go=rX "$dest"
