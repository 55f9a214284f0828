#!/bin/bash
# ember installer: run by ember-<version>.run (makeself) from the directory
# the archive extracted itself to, and kept as /var/lib/ember/install.sh
# for uninstalling without the .run. docs/admin-guide.md describes it.
#
# Payload next to this script (laid out by packaging/build-run.sh):
#   VERSION, kernel-min       driver version, oldest supported kernel
#   src/                      the DKMS source tree (kmd/ common/ uapi/
#                             VERSION dkms.conf)
#   prebuilt/<kver>/ember.ko  the module built from src/ for kernel <kver>
#                             (used without --with-dkms when uname -r is
#                             <kver>: no compiler needed)
#   umd/                      libember (and tools) as `cmake --install`
#                             lays them out: lib/ include/ bin/ ...
#   udev/70-ember.rules, modprobe/ember.conf, doc/
#
# Everything it creates is listed in /var/lib/ember/manifest; --uninstall
# (and an upgrade, before installing) removes exactly that. Non-interactive:
# it never reads stdin. Log: /var/log/ember-install.log.
set -uo pipefail
umask 022
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSION=$(head -n 1 "$HERE/VERSION" 2>/dev/null || echo unknown)
KERNEL_MIN=$(head -n 1 "$HERE/kernel-min" 2>/dev/null || echo 0.0)
STATE=/var/lib/ember
MANIFEST=$STATE/manifest
LOG=/var/log/ember-install.log
UDEV_RULE=/lib/udev/rules.d/70-ember.rules
MODPROBE_CONF=/etc/modprobe.d/ember.conf
NO_AUTOLOAD_CONF=/etc/modprobe.d/ember-no-auto-load.conf
MODULES_LOAD=/etc/modules-load.d/ember.conf
LDSO_CONF=/etc/ld.so.conf.d/ember.conf

# Exit codes (also in --help and docs/admin-guide.md).
E_OK=0 E_FAIL=1 E_USAGE=2 E_ROOT=3 E_KERNEL=4 E_PREREQ=5 E_BUILD=6
E_LOAD=7 E_BUSY=8

usage() {
	cat <<EOF
ember $VERSION installer

usage: ember-$VERSION.run [MAKESELF OPTIONS] [--] [OPTIONS]

  (no option)      build ember.ko for the running kernel (or take the one
                   the package carries for it), install it under
                   /lib/modules/\$(uname -r)/updates, install libember,
                   the udev rule and /etc/modprobe.d/ember.conf, load the
                   driver now and at every boot
  --with-dkms      register the module with DKMS instead (/usr/src/ember-$VERSION):
                   it is rebuilt for every kernel installed later
  --no-dkms        build once for the running kernel (the default)
  --no-auto-load   do not load the driver now nor at boot (no
                   /etc/modules-load.d entry; udev does not load it for the
                   device either); 'modprobe ember' loads it by hand
  --prefix DIR     where libember, its headers, pkg-config and CMake files
                   and the documentation go (default /usr/local)
  --uninstall      remove everything a previous install added (per
                   /var/lib/ember/manifest), unloading the driver
  --virt-host [--vf-num N]
                   SR-IOV host setup: not supported by this version
  --version        print the version and exit
  -h, --help       print this help and exit

Installing over an installed version (older, newer or the same) first
removes that one, using its manifest. Needs root, the kernel headers of the
running kernel (linux-headers-\$(uname -r)), make and gcc, and dkms for
--with-dkms; Linux $KERNEL_MIN or newer. Log: $LOG.

Exit status:
  0  success
  1  an install or uninstall step failed (see the log)
  2  invalid argument, or an option this version does not support
     (--virt-host)
  3  not run as root
  4  the running kernel is older than $KERNEL_MIN
  5  a prerequisite is missing (kernel headers, make, gcc, dkms)
  6  building the module failed
  7  installed, but 'modprobe ember' failed (see dmesg; e.g. Secure Boot
     refusing an unsigned module)
  8  the ember module is in use and cannot be unloaded: nothing was changed

Makeself options (before the installer's options; --help of makeself is not
available, this help replaces it): --info, --list, --check, --quiet,
--noprogress, --nox11, --keep, --target DIR, --noexec, --tar ARGS.
EOF
}

# --- output and log ----------------------------------------------------------
log_line() {
	[ "$CAN_LOG" = 1 ] || return 0
	printf '%s [%s] %s\n' "$(date '+%F %T')" "$$" "$*" >>"$LOG" 2>/dev/null || true
}
say() {
	echo "ember-install: $*"
	log_line "$*"
}
warn() {
	echo "ember-install: warning: $*" >&2
	log_line "warning: $*"
}
die() {
	local code=$1
	shift
	echo "ember-install: error: $*" >&2
	log_line "error (exit $code): $*"
	exit "$code"
}
# run CMD...: run with its output in the log; on failure show its tail.
run() {
	local out rc
	log_line "+ $*"
	out=$("$@" 2>&1)
	rc=$?
	[ -z "$out" ] || { [ "$CAN_LOG" = 1 ] && printf '%s\n' "$out" >>"$LOG"; }
	if [ $rc -ne 0 ]; then
		echo "ember-install: '$*' failed (exit $rc):" >&2
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/    /' >&2
	fi
	return $rc
}
CAN_LOG=0

# --- arguments ------------------------------------------------------------------
mode=install dkms=0 autoload=1 prefix=/usr/local virt_host=0 vf_num=
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help)
		usage
		exit $E_OK
		;;
	--version)
		echo "ember $VERSION"
		exit $E_OK
		;;
	--with-dkms) dkms=1 ;;
	--no-dkms) dkms=0 ;;
	--no-auto-load) autoload=0 ;;
	--uninstall) mode=uninstall ;;
	--virt-host) virt_host=1 ;;
	--vf-num)
		[ $# -ge 2 ] || die $E_USAGE "--vf-num needs a number"
		vf_num=$2
		shift
		;;
	--vf-num=*) vf_num=${1#*=} ;;
	--prefix)
		[ $# -ge 2 ] || die $E_USAGE "--prefix needs a directory"
		prefix=$2
		shift
		;;
	--prefix=*) prefix=${1#*=} ;;
	*)
		echo "ember-install: error: unknown option '$1' (--help lists the options)" >&2
		exit $E_USAGE
		;;
	esac
	shift
done
if [ -n "$vf_num" ] && ! [[ $vf_num =~ ^[0-9]+$ ]]; then
	die $E_USAGE "--vf-num needs a number, not '$vf_num'"
fi
if [ "$virt_host" = 1 ] || [ -n "$vf_num" ]; then
	die $E_USAGE "SR-IOV is not supported by ember $VERSION yet (--virt-host${vf_num:+ --vf-num $vf_num}); install without it"
fi
case $prefix in
/*) prefix=${prefix%/} ;;
*) die $E_USAGE "--prefix needs an absolute path, not '$prefix'" ;;
esac
[ -n "$prefix" ] || prefix=/

[ "$(id -u)" -eq 0 ] || die $E_ROOT "must run as root (sudo $0 ...)"
if touch "$LOG" 2>/dev/null; then
	CAN_LOG=1
	chmod 0640 "$LOG" 2>/dev/null || true
fi
log_line "==== ember $VERSION installer: $mode (dkms=$dkms auto-load=$autoload prefix=$prefix kernel $(uname -r))"

# --- manifest ---------------------------------------------------------------------
# One entry a line, in the order things were created; uninstall undoes them
# in reverse:
#   file PATH SHA256     a file (removed)
#   link PATH            a symbolic link (removed)
#   conf PATH SHA256     a configuration file (removed only while unchanged)
#   dir PATH             a directory created (removed when empty)
#   dkms NAME VERSION    a DKMS registration (dkms remove --all)
#   depmod KVER          run depmod for KVER after removing
#   ldconfig             run ldconfig after removing
#   udev                 reload udev rules after removing
NEW_MANIFEST=
record() { echo "$*" >>"$NEW_MANIFEST"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# mkdirs DIR: create DIR and its missing parents, recording each.
mkdirs() {
	local d=$1 missing=()
	while [ ! -d "$d" ]; do
		missing=("$d" "${missing[@]}")
		d=$(dirname "$d")
	done
	for d in "${missing[@]}"; do
		mkdir -m 0755 "$d" || return 1
		record dir "$d"
	done
}
# put SRC DEST MODE [conf]: install one file (or symlink) and record it.
put() {
	local src=$1 dest=$2 mode=$3 kind=${4:-file}
	mkdirs "$(dirname "$dest")" || return 1
	if [ -L "$src" ]; then
		rm -f "$dest"
		cp -P "$src" "$dest" || return 1
		record link "$dest"
	else
		install -m "$mode" "$src" "$dest" || return 1
		record "$kind" "$dest" "$(sha "$dest")"
	fi
}
# put_tree SRCDIR DESTDIR: every file and link below SRCDIR.
put_tree() {
	local src=$1 dest=$2 f rel mode list
	# (no process substitution: /dev/fd may be missing, e.g. in an initramfs)
	list=$(mktemp) || return 1
	find "$src" \( -type f -o -type l \) -print0 | sort -z >"$list"
	while IFS= read -r -d '' f; do
		rel=${f#"$src"/}
		mode=0644
		[ -L "$f" ] || [ ! -x "$f" ] || mode=0755
		put "$f" "$dest/$rel" "$mode" || { rm -f "$list"; return 1; }
	done <"$list"
	rm -f "$list"
}

# --- the module ----------------------------------------------------------------------
module_loaded() { [ -d /sys/module/ember ]; }
# Unload ember if it is loaded; E_BUSY when it is in use.
unload_module() {
	module_loaded || return 0
	local users
	users=$(cat /sys/module/ember/refcnt 2>/dev/null || echo 0)
	if [ "$users" != 0 ]; then
		echo "ember-install: error: the ember module is in use ($users open file(s) or module(s)); stop the processes using /dev/accel/accel* (lsof /dev/accel/*) and rerun. Nothing was changed." >&2
		log_line "error: ember in use (refcnt $users)"
		return $E_BUSY
	fi
	run modprobe -r ember || run rmmod ember || {
		echo "ember-install: error: cannot unload ember (see the log); nothing was changed" >&2
		return $E_BUSY
	}
	say "unloaded the ember module"
}

# --- uninstall --------------------------------------------------------------------------
# uninstall_manifest [KVER]: undo the installed manifest. KVER: skip the
# depmod for that kernel (the install that follows runs it; depmod reads
# every module of the kernel, which takes a while on a slow machine).
uninstall_manifest() {
	local skip_depmod=${1:-} what path hash ver kvers=() ldconf=0 udev=0 rc=0 i
	local -a lines
	mapfile -t lines <"$MANIFEST"
	for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
		read -r what path hash <<<"${lines[i]}"
		case $what in
		"#"*) ;;
		file | link)
			rm -f "$path" || rc=1
			;;
		conf)
			if [ ! -e "$path" ]; then
				:
			elif [ "$(sha "$path")" = "$hash" ]; then
				rm -f "$path" || rc=1
			else
				say "keeping $path: it was edited after it was installed"
			fi
			;;
		dir)
			[ ! -d "$path" ] || rmdir "$path" 2>/dev/null ||
				say "keeping $path: not empty"
			;;
		dkms)
			ver=$hash
			if command -v dkms >/dev/null; then
				# DKMS's own tree says whether it is registered:
				# `dkms status` can print nothing when it fails
				# (no /dev/fd, no /proc), which must not leave the
				# module behind.
				if [ -d "/var/lib/dkms/$path/$ver" ] ||
					dkms status -m "$path" -v "$ver" 2>/dev/null | grep -q .; then
					run dkms remove -m "$path" -v "$ver" --all || rc=1
				fi
				if [ -d "/var/lib/dkms/$path/$ver" ]; then
					warn "dkms remove left /var/lib/dkms/$path/$ver behind"
					rc=1
				fi
			else
				warn "dkms is not installed any more: cannot remove $path/$ver from DKMS"
				rc=1
			fi
			;;
		depmod) kvers+=("$path") ;;
		ldconfig) ldconf=1 ;;
		udev) udev=1 ;;
		"") ;;
		*) warn "unknown manifest entry '${lines[i]}'" ;;
		esac
	done
	for ver in "${kvers[@]}"; do
		[ "$ver" != "$skip_depmod" ] || continue
		[ ! -d "/lib/modules/$ver" ] || run depmod -a "$ver" || rc=1
	done
	[ $ldconf = 0 ] || run ldconfig || rc=1
	if [ $udev = 1 ] && udevadm control --ping >/dev/null 2>&1; then
		run udevadm control --reload || true
	fi
	rm -f "$STATE/manifest" "$STATE/install.sh" "$STATE/VERSION" "$STATE/kernel-min" \
		"$STATE/installed"
	rmdir "$STATE" 2>/dev/null || warn "$STATE is not empty; left in place"
	return $rc
}

installed_version() {
	sed -n 's/^# ember-manifest 1 version \([^ ]*\).*/\1/p' "$MANIFEST" 2>/dev/null | head -n 1
}

if [ "$mode" = uninstall ]; then
	if [ ! -f "$MANIFEST" ]; then
		say "ember is not installed (no $MANIFEST); nothing to do"
		module_loaded && warn "an ember module is loaded but was not installed by this installer; left alone"
		exit $E_OK
	fi
	old=$(installed_version)
	unload_module || exit $E_BUSY
	say "removing ember ${old:-?} (files listed in $MANIFEST)"
	if uninstall_manifest; then
		say "ember ${old:-?} uninstalled"
		exit $E_OK
	fi
	die $E_FAIL "some files could not be removed (see $LOG)"
fi

# --- install: checks ----------------------------------------------------------------------
kver=$(uname -r)
kmm=$(echo "$kver" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
if [ -z "$kmm" ] || [ "$(printf '%s\n%s\n' "$KERNEL_MIN" "$kmm" | sort -V | head -n 1)" != "$KERNEL_MIN" ]; then
	die $E_KERNEL "ember $VERSION needs Linux $KERNEL_MIN or newer; the running kernel is $kver"
fi
# A module prebuilt for exactly this kernel release (the package carries
# one for the kernel it was built on) saves the compile; DKMS and
# EMBER_INSTALL_BUILD=1 always compile.
prebuilt=$HERE/prebuilt/$kver/ember.ko
if [ $dkms = 1 ] || [ "${EMBER_INSTALL_BUILD:-0}" = 1 ] || [ ! -f "$prebuilt" ] ||
	[ "$(modinfo -F vermagic "$prebuilt" 2>/dev/null | cut -d' ' -f1)" != "$kver" ]; then
	prebuilt=
fi
for tool in depmod modprobe modinfo; do
	command -v $tool >/dev/null || die $E_PREREQ "'$tool' is missing (Debian: apt-get install kmod)"
done
kdir=/lib/modules/$kver/build
if [ -z "$prebuilt" ]; then
	[ -f "$kdir/Makefile" ] ||
		die $E_PREREQ "no kernel headers for the running kernel $kver ($kdir); install them (Debian: apt-get install linux-headers-$kver) and rerun"
	for tool in make gcc; do
		command -v $tool >/dev/null || die $E_PREREQ "'$tool' is missing (Debian: apt-get install build-essential)"
	done
fi
if [ $dkms = 1 ]; then
	command -v dkms >/dev/null || die $E_PREREQ "--with-dkms needs dkms (Debian: apt-get install dkms)"
fi
for f in "$HERE/src/dkms.conf" "$HERE/src/kmd/Kbuild" "$HERE/udev/70-ember.rules" \
	"$HERE/modprobe/ember.conf"; do
	[ -f "$f" ] || die $E_FAIL "the package is incomplete: ${f#"$HERE"/} is missing"
done
getent group render >/dev/null ||
	warn "there is no group 'render' on this system: the udev rule cannot give it /dev/accel/accel* (create it: groupadd --system render)"

# --- install: remove what is installed -----------------------------------------------------
# The module goes first: if it cannot be unloaded, nothing changes.
unload_module || exit $E_BUSY
if [ -f "$MANIFEST" ]; then
	old=$(installed_version)
	if [ "$old" = "$VERSION" ]; then
		say "ember $VERSION is installed: reinstalling it"
	else
		say "ember ${old:-?} is installed: upgrading it to $VERSION"
	fi
	uninstall_manifest "$kver" || die $E_FAIL "could not remove ember ${old:-?} (see $LOG)"
fi
# A DKMS registration of this version that no manifest knows (a manual
# `dkms add`, an interrupted install) would make `dkms add` fail.
if command -v dkms >/dev/null && { [ -d "/var/lib/dkms/ember/$VERSION" ] ||
	dkms status -m ember -v "$VERSION" 2>/dev/null | grep -q .; }; then
	say "removing a DKMS registration of ember/$VERSION that no manifest lists"
	run dkms remove -m ember -v "$VERSION" --all || die $E_FAIL "dkms remove ember/$VERSION failed"
fi

mkdir -p "$STATE" || die $E_FAIL "cannot create $STATE"
NEW_MANIFEST=$STATE/manifest.new
{
	echo "# ember-manifest 1 version $VERSION"
	echo "# installed $(date '+%F %T') for kernel $kver; dkms=$dkms auto-load=$autoload prefix=$prefix"
} >"$NEW_MANIFEST"
# On a failure from here on, what was installed is removed again.
failed() {
	local code=$1
	shift
	echo "ember-install: error: $*" >&2
	log_line "error (exit $code): $*; removing what was installed"
	mv -f "$NEW_MANIFEST" "$MANIFEST" 2>/dev/null && uninstall_manifest >/dev/null 2>&1
	# (the depmod a replaced version's removal skipped)
	run depmod -a "$kver" || true
	exit "$code"
}

# --- install: the module ----------------------------------------------------------------------
if [ $dkms = 1 ]; then
	src=/usr/src/ember-$VERSION
	[ ! -e "$src" ] || rm -rf "$src"
	put_tree "$HERE/src" "$src" || failed $E_FAIL "cannot copy the sources to $src"
	# Directories DKMS creates under /lib/modules for the module are ours
	# to remove once DKMS removed the module.
	for d in "/lib/modules/$kver/updates" "/lib/modules/$kver/updates/dkms"; do
		[ -d "$d" ] || record dir "$d"
	done
	record dkms ember "$VERSION"
	say "building ember.ko $VERSION for $kver with DKMS (a few minutes)"
	run dkms add -m ember -v "$VERSION" || failed $E_FAIL "dkms add failed"
	run dkms build -m ember -v "$VERSION" -k "$kver" ||
		failed $E_BUILD "dkms build failed: see /var/lib/dkms/ember/$VERSION/build/make.log"
	run dkms install -m ember -v "$VERSION" -k "$kver" || failed $E_FAIL "dkms install failed"
elif [ -n "$prebuilt" ]; then
	say "using the ember.ko $VERSION the package carries for $kver"
	put "$prebuilt" "/lib/modules/$kver/updates/ember.ko" 0644 || failed $E_FAIL "cannot install ember.ko"
	record depmod "$kver"
	run depmod -a "$kver" || failed $E_FAIL "depmod failed"
else
	build=$(mktemp -d /var/tmp/ember-build.XXXXXX) || failed $E_FAIL "mktemp failed"
	cp -a "$HERE/src/." "$build/"
	say "building ember.ko $VERSION for $kver"
	if ! run make -C "$build/kmd" KVER="$kver" KDIR="$kdir" -j"$(nproc)" modules; then
		rm -rf "$build"
		failed $E_BUILD "building the module failed (the log $LOG has the compiler's output)"
	fi
	put "$build/kmd/ember.ko" "/lib/modules/$kver/updates/ember.ko" 0644 ||
		failed $E_FAIL "cannot install ember.ko"
	rm -rf "$build"
	record depmod "$kver"
	run depmod -a "$kver" || failed $E_FAIL "depmod failed"
fi
modpath=$(modinfo -k "$kver" -n ember 2>/dev/null)
case $modpath in
/lib/modules/"$kver"/updates/*) say "module: $modpath" ;;
*) failed $E_FAIL "modinfo finds '$modpath' for ember, not the module just installed" ;;
esac

# --- install: libember, tools, docs --------------------------------------------------------------
if [ -d "$HERE/umd" ]; then
	put_tree "$HERE/umd" "$prefix" || failed $E_FAIL "cannot install libember under $prefix"
	pc=$prefix/lib/pkgconfig/ember.pc
	if [ -f "$pc" ]; then
		sed -i "s|^prefix=.*|prefix=$prefix|" "$pc"
		sed -i "\|^file $pc |d" "$NEW_MANIFEST"
		record file "$pc" "$(sha "$pc")"
	fi
	case $prefix in
	/usr | /usr/local) ;;
	*)
		printf '# libember of ember %s (ember-install)\n%s/lib\n' "$VERSION" "$prefix" >"$STATE/ldso.tmp"
		put "$STATE/ldso.tmp" "$LDSO_CONF" 0644
		rm -f "$STATE/ldso.tmp"
		;;
	esac
	record ldconfig
	run ldconfig || warn "ldconfig failed"
	say "libember: $prefix/lib, headers $prefix/include/ember, pkg-config and CMake files"
fi
[ ! -d "$HERE/doc" ] || put_tree "$HERE/doc" "$prefix/share/doc/ember" ||
	failed $E_FAIL "cannot install the documentation"

# --- install: udev rule, modprobe options, auto-load ---------------------------------------------------
record udev
put "$HERE/udev/70-ember.rules" "$UDEV_RULE" 0644 || failed $E_FAIL "cannot install $UDEV_RULE"
udevd=0
if udevadm control --ping >/dev/null 2>&1; then
	udevd=1
	run udevadm control --reload || true
fi

if [ -e "$MODPROBE_CONF" ]; then
	if [ "$(sha "$MODPROBE_CONF")" = "$(sha "$HERE/modprobe/ember.conf")" ]; then
		say "$MODPROBE_CONF is already this version's template"
	else
		put "$HERE/modprobe/ember.conf" "$MODPROBE_CONF.new" 0644
		say "keeping the existing $MODPROBE_CONF; this version's template is $MODPROBE_CONF.new"
	fi
else
	put "$HERE/modprobe/ember.conf" "$MODPROBE_CONF" 0644 conf
fi

if [ $autoload = 1 ]; then
	printf '# ember accelerator driver: loaded at boot (ember %s installer;\n# reinstall with --no-auto-load to stop that)\nember\n' \
		"$VERSION" >"$STATE/ml.tmp"
	put "$STATE/ml.tmp" "$MODULES_LOAD" 0644
	rm -f "$STATE/ml.tmp"
else
	printf '# ember %s was installed with --no-auto-load: udev does not load the\n# driver for the device; "modprobe ember" still does.\nblacklist ember\n' \
		"$VERSION" >"$STATE/nal.tmp"
	put "$STATE/nal.tmp" "$NO_AUTOLOAD_CONF" 0644
	rm -f "$STATE/nal.tmp"
fi

# --- install: the installer itself, the manifest ---------------------------------------------------------
for f in install.sh VERSION kernel-min; do
	install -m 0644 "$HERE/$f" "$STATE/$f"
done
chmod 0755 "$STATE/install.sh"
mv -f "$NEW_MANIFEST" "$MANIFEST"
say "installed ember $VERSION ($(grep -c '^file \|^conf \|^link ' "$MANIFEST") files; manifest $MANIFEST)"

# --- load ------------------------------------------------------------------------------------------------
if [ $autoload = 1 ]; then
	if ! run modprobe ember; then
		echo "ember-install: error: 'modprobe ember' failed; the installation is complete (dmesg tells why, e.g. a module signature Secure Boot refuses; docs/admin-guide.md, Troubleshooting)" >&2
		log_line "error (exit $E_LOAD): modprobe ember failed"
		exit $E_LOAD
	fi
	[ $udevd = 0 ] || run udevadm settle --timeout=30 || true
	nbound=0
	for d in /sys/bus/pci/drivers/ember/*:*; do
		[ ! -e "$d" ] || nbound=$((nbound + 1))
	done
	say "loaded ember $(cat /sys/module/ember/version 2>/dev/null); $nbound device(s) bound"
else
	say "not loading the driver (--no-auto-load): 'modprobe ember' loads it"
fi
exit $E_OK
