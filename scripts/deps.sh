#!/bin/bash
# Install every package ember needs from Debian's archive. Idempotent and
# non-interactive; run as root (make deps). Quick when all is present.
set -euo pipefail

PKGS=(
	# kernel the module is built for and the guest boots
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	# kernel module build and style checks
	build-essential bc kmod cpio xz-utils busybox-static pciutils git
	# QEMU build (Debian's qemu source + the ember device)
	dpkg-dev ninja-build meson python3 libglib2.0-dev libpixman-1-dev
	zlib1g-dev libfdt-dev flex bison libcap-ng-dev libattr1-dev
	seabios qemu-system-data ipxe-qemu
	# userspace
	cmake pkg-config g++ clang libclang-rt-14-dev libdrm-dev libcli11-dev
	clang-format clang-tidy shellcheck
	# packaging and tracing
	dkms makeself bpftrace
	# benchmarks (make bench: the NVMe baseline)
	fio
	# checkpatch.pl for kernel style checks
	linux-source-6.12
)
BACKPORTS_PKGS=(catch2)

SRC_LIST=/etc/apt/sources.list.d/ember.sources

need_update=0
if [ ! -f "$SRC_LIST" ]; then
	echo "deps: adding bookworm-backports and bookworm deb-src to $SRC_LIST"
	cat >"$SRC_LIST" <<'SRC'
# Added by ember (make deps): backports for Catch2 3, sources for QEMU.
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	need_update=1
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
bp_missing=()
for p in "${BACKPORTS_PKGS[@]}"; do
	v=$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)
	case "$v" in *"ok installed 3."*) ;; *) bp_missing+=("$p") ;; esac
done

if [ ${#missing[@]} -eq 0 ] && [ ${#bp_missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing: ${missing[*]} ${bp_missing[*]}; run 'make deps' as root" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ $need_update -eq 1 ] || [ ! -d /var/lib/apt/lists ] ||
	[ -z "$(ls /var/lib/apt/lists/*backports* 2>/dev/null)" ]; then
	echo "deps: apt-get update"
	apt-get update -q
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ ${#bp_missing[@]} -gt 0 ]; then
	echo "deps: installing from bookworm-backports: ${bp_missing[*]}"
	apt-get install -y -q --no-install-recommends -t bookworm-backports "${bp_missing[@]}"
fi
echo "deps: done"
