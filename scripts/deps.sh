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
	# tools (ember-smi, ember-exporter): JSON, formatting, HTTP, man pages,
	# and promtool to check the exporter's output
	nlohmann-json3-dev libfmt-dev libcpp-httplib-dev scdoc prometheus
	# packaging and tracing
	dkms makeself bpftrace
	# benchmarks (make bench: the NVMe baseline; the plot of the results)
	fio python3-matplotlib
	# checkpatch.pl for kernel style checks
	linux-source-6.12
)
BACKPORTS_PKGS=(catch2)

SRC_LIST=/etc/apt/sources.list.d/ember.sources

# The mirror this machine already uses for suite $1 (first match), from its
# deb822 .sources files or one-line .list files; ember's own file is
# skipped. Nothing here names an archive host: whatever mirror the machine
# is configured with is the one ember's extra entries use.
apt_uri() {
	local suite=$1 f
	for f in /etc/apt/sources.list.d/*.sources; do
		if [ ! -r "$f" ] || [ "$f" = "$SRC_LIST" ]; then
			continue
		fi
		awk -v s="$suite" 'BEGIN { RS = "" }
			{
				types = ""; uris = ""; suites = ""
				n = split($0, l, "\n")
				for (i = 1; i <= n; i++) {
					if (l[i] ~ /^Types:/) types = l[i]
					if (l[i] ~ /^URIs:/) uris = l[i]
					if (l[i] ~ /^Suites:/) suites = l[i]
				}
				if (types ~ /[ \t]deb([ \t]|$)/ && (suites " ") ~ ("[ \t]" s "[ \t]")) {
					sub(/^URIs:[ \t]*/, "", uris)
					split(uris, u, /[ \t]+/)
					print u[1]
					exit
				}
			}' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk -v s="$suite" '$1 == "deb" {
				i = 2
				if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == s) { print $i; exit }
			}' "$f"
	done
}

# One deb822 stanza of ember's sources file.
stanza() {
	printf 'Types: %s\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n' \
		"$1" "$2" "$3"
}

need_update=0
if [ ! -f "$SRC_LIST" ]; then
	main_uri=$(apt_uri bookworm | head -n 1)
	sec_uri=$(apt_uri bookworm-security | head -n 1)
	if [ -z "$main_uri" ]; then
		echo "deps: no apt source for bookworm is configured on this machine; cannot add bookworm-backports and deb-src entries" >&2
		exit 1
	fi
	echo "deps: adding bookworm-backports and bookworm deb-src ($main_uri) to $SRC_LIST"
	{
		echo "# Added by ember (make deps): backports for Catch2 3, sources for QEMU,"
		echo "# from the mirrors this machine's own apt sources use."
		stanza deb "$main_uri" bookworm-backports
		stanza deb-src "$main_uri" "bookworm bookworm-updates"
		[ -z "$sec_uri" ] || stanza deb-src "$sec_uri" bookworm-security
	} >"$SRC_LIST"
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
