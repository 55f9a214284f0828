#!/bin/bash
# End-to-end test of ember-<version>.run (docs/admin-guide.md): builds the
# .run (and one of the next patch version, for the upgrade) on the host,
# boots one VM and, in the guest (the host's root under a tmpfs overlay, so
# installing into /etc, /lib and /usr is harmless there):
#   - the installer's command line: --help, --version, a bad flag,
#     --virt-host, --uninstall with nothing installed;
#   - --no-auto-load: module installed for the guest kernel (modinfo -n),
#     not loaded, not loaded through the device's modalias either;
#     libember installed (pkg-config --modversion ember, ldconfig);
#   - a reinstall without flags: the driver loaded and bound, udev (run
#     in the guest) gives /dev/accel/accel0 group render mode 0660, a
#     libember program built with pkg-config runs as a non-root user in
#     group render and is refused without it;
#   - an upgrade to the next version: the new module loaded, an edited
#     /etc/modprobe.d/ember.conf kept (the new template as ember.conf.new);
#   - --uninstall while /dev/accel/accel0 is open: exit 8, nothing changed;
#   - --uninstall: module unloaded, every manifest file gone, and the file
#     lists of /etc /usr/local /usr/src /usr/lib/udev /usr/lib/modules/<kver>
#     /var/lib /var/log /var/tmp before and after differ only by the
#     install log (and, after --with-dkms, DKMS's signing key pair);
#   - with --dkms: the same with --with-dkms (DKMS compiles the module in
#     the guest: minutes under TCG), timed.
#
# usage: tests/vm/install-test.sh [--quick | --dkms] [--no-build]
#   --quick      the command line, one install with --with-dkms (DKMS
#                compiles the module in the guest, about 4 minutes under
#                TCG), the render-group checks and the uninstall only
#                (make test)
#   --dkms       also (and only then) test --with-dkms and a compiling
#                plain install
#   --no-build   use build/dist/*.run as they are
# Prints PASS/FAIL lines ("install.<name>") and "install-test: done".
# Inside the guest it is run as: install-test.sh --guest RUN NEXT_RUN|- [--dkms]
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# --- host side -------------------------------------------------------------
if [ "${1:-}" != --guest ]; then
	dkms=0 build=1 quick=0
	for a in "$@"; do
		case $a in
		--dkms) dkms=1 ;;
		--quick) quick=1 ;;
		--no-build) build=0 ;;
		*) echo "install-test: unknown argument '$a'" >&2; exit 2 ;;
		esac
	done
	ver=$(head -n 1 "$ROOT/VERSION")
	IFS=. read -r maj min pat <<<"$ver"
	next=$maj.$min.$((pat + 1))
	dist=$ROOT/build/dist
	next_dist=$ROOT/build/dist-next
	if [ $build = 1 ]; then
		"$ROOT/packaging/build-run.sh" --out "$dist" >/dev/null || { echo "FAIL install.package: make package failed"; exit 1; }
		if [ $quick = 0 ]; then
			"$ROOT/packaging/build-run.sh" --out "$next_dist" --version "$next" >/dev/null ||
				{ echo "FAIL install.package-next: building the $next package failed"; exit 1; }
		fi
	fi
	next_run=$next_dist/ember-$next.run
	[ $quick = 0 ] || next_run=-
	echo "PASS install.package"

	# The command line, on the host as an unprivileged user (nobody): every
	# check ends before the installer's root check, and a regression that
	# went further would stop there (exit 3) instead of touching the host.
	# A copy nobody can reach: the checkout may be in a 0700 directory
	# (a fresh clone under mktemp -d, CI's work tree).
	clidir=$(mktemp -d)
	trap 'rm -rf "$clidir"' EXIT
	chmod 755 "$clidir"
	install -m 0755 "$dist/ember-$ver.run" "$clidir/"
	RUN=$clidir/ember-$ver.run
	asuser() { (cd "$clidir" && setpriv --reuid=65534 --regid=65534 --clear-groups env TMPDIR=/tmp "$@"); }
	ok() { echo "PASS install.$1"; }
	ko() {
		echo "FAIL install.$1: $2"
		host_failed=1
	}
	host_failed=0
	out=$(asuser "$RUN" --help 2>&1)
	rc=$?
	if [ $rc = 0 ] && grep -q -- --with-dkms <<<"$out" && grep -q -- --no-auto-load <<<"$out" &&
		grep -q -- --uninstall <<<"$out"; then ok cli.help; else ko cli.help "rc $rc"; fi
	out=$(asuser "$RUN" --version 2>&1)
	[ "$out" = "ember $ver" ] && ok cli.version || ko cli.version "$out"
	out=$(asuser "$RUN" --bogus 2>&1)
	rc=$?
	[ $rc = 2 ] && grep -q "unknown option '--bogus'" <<<"$out" && ok cli.bad-flag || ko cli.bad-flag "rc $rc: $out"
	out=$(asuser "$RUN" --virt-host --vf-num 2 2>&1)
	rc=$?
	[ $rc = 2 ] && grep -q "SR-IOV is not supported by ember $ver yet" <<<"$out" && ok cli.virt-host ||
		ko cli.virt-host "rc $rc: $out"
	out=$(asuser "$RUN" --vf-num x 2>&1)
	rc=$?
	[ $rc = 2 ] && ok cli.vf-num-bad || ko cli.vf-num-bad "rc $rc: $out"
	out=$(asuser "$RUN" --no-auto-load 2>&1)
	rc=$?
	[ $rc = 3 ] && grep -q 'must run as root' <<<"$out" && ok cli.needs-root || ko cli.needs-root "rc $rc: $out"
	asuser "$RUN" --check >/dev/null 2>&1 && ok cli.makeself-check || ko cli.makeself-check "--check failed"
	out=$(asuser "$RUN" --list 2>&1)
	kver=$("$ROOT/scripts/kver")
	grep -q 'src/kmd/Kbuild' <<<"$out" && grep -q "prebuilt/$kver/ember.ko" <<<"$out" && ok cli.makeself-list ||
		ko cli.makeself-list "no src/kmd/Kbuild or prebuilt/$kver/ember.ko in --list"
	mkdir -p "$ROOT/build/vm-logs"
	extra=()
	[ $dkms = 0 ] || extra=(--dkms)
	"$ROOT/scripts/vm-run" --topology msix --timeout $((dkms ? 2400 : 1200)) \
		--log "$ROOT/build/vm-logs/install$([ $dkms = 0 ] || echo -dkms).dmesg" -- \
		"$ROOT/tests/vm/install-test.sh" --guest "$dist/ember-$ver.run" \
		"$next_run" "${extra[@]}" 2>&1 | tr -d '\r' |
		tee "$ROOT/build/vm-logs/install$([ $dkms = 0 ] || echo -dkms).out" |
		grep -E '^(PASS|FAIL|SKIP|TIME) |^install-test: done'
	rc=${PIPESTATUS[0]}
	grep -q '^install-test: done' "$ROOT/build/vm-logs/install$([ $dkms = 0 ] || echo -dkms).out" ||
		{ echo "FAIL install.boot: the guest part did not finish (vm-run exit $rc)"; exit 1; }
	[ "$rc" -eq 0 ] && echo "PASS install.kernel-log" || echo "FAIL install.kernel-log: vm-run exited $rc"
	[ "$host_failed" = 0 ] || exit 1
	exit "$rc"
fi

# --- guest side --------------------------------------------------------------
shift
RUN=$1 NEXT_RUN=$2
DKMS=0
[ "${3:-}" != --dkms ] || DKMS=1
cd /tmp || exit 1
export EMBER_ROOT=$ROOT
# shellcheck source=tests/vm/lib.sh
. "$ROOT/tests/vm/lib.sh"
failed=0
ok() { pass "install.$1"; }
ko() {
	fail "install.$1" "$2"
	failed=1
}
# t NAME CMD...: PASS if CMD succeeds.
t() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else ko "$name" "$(echo "$out" | tail -n 3 | tr '\n' ' ')"; fi
}
kver=$(uname -r)
ver=$("$RUN" --version | sed 's/^ember //')
QUICK=0
[ "$NEXT_RUN" != - ] || QUICK=1
next=
[ $QUICK = 1 ] || next=$("$NEXT_RUN" --version | sed 's/^ember //')
TREES=(/etc /usr/local /usr/src /usr/lib/udev "/usr/lib/modules/$kver" /var/lib /var/log /var/tmp)
# snap FILE: the file list of TREES (no <(...): the guest has no /dev/fd).
snap() { find "${TREES[@]}" -xdev 2>/dev/null | LC_ALL=C sort >"$1"; }
# file_diff BEFORE AFTER: "< removed" / "> added" lines.
file_diff() { diff "$1" "$2" | grep '^[<>]'; }
# run_inst NAME EXPECTED_RC ARGS...: run the .run, log its output.
inst() {
	local run=$1 want=$2
	shift 2
	local t0 t1
	t0=$(date +%s)
	"$run" "$@" >/tmp/inst.out 2>&1
	rc=$?
	t1=$(date +%s)
	inst_time=$((t1 - t0))
	sed 's/^/    | /' /tmp/inst.out
	[ "$rc" = "$want" ]
}
bound() { ls -d /sys/bus/pci/drivers/ember/0000:* >/dev/null 2>&1; }

# 1. --uninstall with nothing installed (the rest of the command line was
# checked on the host)
inst "$RUN" 0 --uninstall && grep -q 'not installed' /tmp/inst.out && ok cli.uninstall-nothing ||
	ko cli.uninstall-nothing "rc $rc"
rm -f /var/log/ember-install.log

snap /tmp/before

# udev in the guest (nothing runs it there otherwise).
udev=0
if /lib/systemd/systemd-udevd --daemon >/tmp/udevd.log 2>&1 && udevadm control --ping >/dev/null 2>&1; then
	udev=1
	ok udevd
else
	echo "SKIP install.udevd: systemd-udevd does not start in the guest: $(tail -n 2 /tmp/udevd.log | tr '\n' ' ')"
fi

# modinfo_path: the file modinfo finds for ember.
modinfo_path() { modinfo -k "$kver" -n ember 2>/dev/null; }

# 2. --no-auto-load
if [ $QUICK = 0 ]; then
	if inst "$RUN" 0 --no-auto-load; then ok no-auto-load.rc; else ko no-auto-load.rc "exit $rc"; fi
	echo "TIME install.no-auto-load ${inst_time}s"
	[ "$(modinfo_path)" = "/lib/modules/$kver/updates/ember.ko" ] && ok no-auto-load.modinfo ||
		ko no-auto-load.modinfo "modinfo -n ember: '$(modinfo_path)'"
	[ "$(modinfo -k "$kver" -F version ember)" = "$ver" ] && ok no-auto-load.version || ko no-auto-load.version "$(modinfo -k "$kver" -F version ember)"
	[ ! -d /sys/module/ember ] && ok no-auto-load.not-loaded || ko no-auto-load.not-loaded "ember is loaded"
	[ ! -e /etc/modules-load.d/ember.conf ] && [ -f /etc/modprobe.d/ember-no-auto-load.conf ] &&
		ok no-auto-load.files || ko no-auto-load.files "modules-load.d entry present or blacklist missing"
	dev=$(grep -l 0x1234 /sys/bus/pci/devices/*/vendor | head -n 1)
	dev=${dev%/vendor}
	modprobe "$(cat "$dev/modalias")" 2>/dev/null
	[ ! -d /sys/module/ember ] && ok no-auto-load.modalias-blocked || ko no-auto-load.modalias-blocked "the device's modalias loaded ember"
	[ "$(pkg-config --modversion ember 2>&1)" = "$ver" ] && ok libember.pkg-config ||
		ko libember.pkg-config "pkg-config --modversion ember: $(pkg-config --modversion ember 2>&1)"
	[ "$(pkg-config --variable=prefix ember)" = /usr/local ] && ok libember.pc-prefix || ko libember.pc-prefix "$(pkg-config --variable=prefix ember)"
	ldconfig -p | grep -q 'libember.so.0 .*/usr/local/lib/libember.so.0' && ok libember.ldconfig || ko libember.ldconfig "not in ld.so.cache"
	[ -f /usr/local/lib/cmake/ember/emberConfig.cmake ] && [ -f /usr/local/include/ember/ember.h ] &&
		ok libember.cmake-headers || ko libember.cmake-headers "CMake package or headers missing"
	[ -f /lib/udev/rules.d/70-ember.rules ] && [ -f /etc/modprobe.d/ember.conf ] && ok files.udev-modprobe ||
		ko files.udev-modprobe "udev rule or modprobe.d/ember.conf missing"
	missing=$(awk '$1 == "file" || $1 == "conf" || $1 == "link" { print $2 }' /var/lib/ember/manifest |
		while read -r f; do [ -e "$f" ] || [ -L "$f" ] || echo "$f"; done)
	[ -z "$missing" ] && [ -s /var/lib/ember/manifest ] && ok manifest.complete || ko manifest.complete "missing: $missing"
	grep -q 'no-auto-load' /var/log/ember-install.log && ok log || ko log "/var/log/ember-install.log has no record"
fi

# 3. Reinstall without flags: loads now and at boot. --quick: the first
# install, and with --with-dkms (DKMS compiles the module against the
# guest's headers), so that make test covers the DKMS path end to end.
if [ $QUICK = 0 ]; then
	if inst "$RUN" 0; then ok reinstall.rc; else ko reinstall.rc "exit $rc"; fi
	echo "TIME install.reinstall ${inst_time}s"
	grep -q "ember $ver is installed: reinstalling" /tmp/inst.out && ok reinstall.detected || ko reinstall.detected "no reinstall message"
else
	if inst "$RUN" 0 --with-dkms; then ok reinstall.rc; else ko reinstall.rc "exit $rc"; fi
	echo "TIME install.with-dkms ${inst_time}s (dkms add/build/install of ember.ko in the TCG guest)"
	dkms status -m ember -v "$ver" | grep -q "installed" && ok dkms.status || ko dkms.status "$(dkms status 2>&1)"
	case $(modinfo_path) in
	"/lib/modules/$kver/updates/dkms/ember.ko"*) ok dkms.modinfo ;;
	*) ko dkms.modinfo "modinfo -n ember: '$(modinfo_path)'" ;;
	esac
	[ "$(pkg-config --modversion ember 2>&1)" = "$ver" ] && ok libember.pkg-config ||
		ko libember.pkg-config "pkg-config --modversion ember: $(pkg-config --modversion ember 2>&1)"
fi
[ "$(cat /sys/module/ember/version 2>/dev/null)" = "$ver" ] && ok reinstall.loaded || ko reinstall.loaded "ember not loaded"
bound && ok reinstall.bound || ko reinstall.bound "no device bound to ember"
[ -f /etc/modules-load.d/ember.conf ] && grep -qx ember /etc/modules-load.d/ember.conf &&
	[ ! -e /etc/modprobe.d/ember-no-auto-load.conf ] && ok reinstall.auto-load-files || ko reinstall.auto-load-files "modules-load.d entry"
node=/dev/accel/$(basename "$(ls -d /sys/bus/pci/drivers/ember/0000:*/accel/accel* 2>/dev/null | head -n 1)")
if [ "$udev" = 1 ]; then
	udevadm settle --timeout=30
	[ "$(stat -c '%G %a' "$node" 2>/dev/null)" = "render 660" ] && ok udev.node-group-mode ||
		ko udev.node-group-mode "$node: $(stat -c '%U:%G %a' "$node" 2>&1)"
	t udev.test-rule sh -c "udevadm test /sys/class/accel/${node##*/} 2>&1 | grep -q '70-ember.rules'"
fi
# A program built against the installed libember, run without root.
# shellcheck disable=SC2046 # pkg-config prints words
cc -std=c11 -o /tmp/list_devices "$ROOT/umd/examples/list_devices.c" $(pkg-config --cflags --libs ember) 2>/tmp/cc.log &&
	ok libember.build || ko libember.build "$(tail -n 3 /tmp/cc.log | tr '\n' ' ')"
if [ "$udev" = 1 ]; then
	out=$(setpriv --reuid=65534 --regid=65534 --groups="$(getent group render | cut -d: -f3)" /tmp/list_devices 2>&1)
	rc=$?
	[ $rc = 0 ] && grep -q 'NNC' <<<"$out" && ok libember.run-as-render || ko libember.run-as-render "rc $rc: $out"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups /tmp/list_devices 2>&1)
	[ $? != 0 ] && ok libember.refused-without-render || ko libember.refused-without-render "ran: $out"
fi
# A workload (GEMM + CRC-32, results checked against the host) through the
# installed C++ API, as a non-root user in group render.
# shellcheck disable=SC2046 # pkg-config prints words
c++ -std=c++20 -o /tmp/run_workload "$ROOT/umd/examples/run_workload.cpp" $(pkg-config --cflags --libs ember) 2>/tmp/cxx.log &&
	ok libember.build-cxx || ko libember.build-cxx "$(tail -n 3 /tmp/cxx.log | tr '\n' ' ')"
if [ "$udev" = 1 ]; then
	out=$(setpriv --reuid=65534 --regid=65534 --groups="$(getent group render | cut -d: -f3)" /tmp/run_workload --runs 3 2>&1)
	rc=$?
	[ $rc = 0 ] && grep -q '^run_workload: OK$' <<<"$out" && ok libember.workload-as-render ||
		ko libember.workload-as-render "rc $rc: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi

# 4. Upgrade to the next version, with an edited /etc/modprobe.d/ember.conf.
edited=
if [ $QUICK = 0 ]; then
	echo 'options ember datapath_poll_interval_us=200' >>/etc/modprobe.d/ember.conf
	edited=$(sha256sum /etc/modprobe.d/ember.conf)
	if inst "$NEXT_RUN" 0; then ok upgrade.rc; else ko upgrade.rc "exit $rc"; fi
	echo "TIME install.upgrade ${inst_time}s"
	grep -q "ember $ver is installed: upgrading it to $next" /tmp/inst.out && ok upgrade.detected || ko upgrade.detected "no upgrade message"
	[ "$(cat /sys/module/ember/version 2>/dev/null)" = "$next" ] && ok upgrade.loaded || ko upgrade.loaded "loaded: $(cat /sys/module/ember/version 2>&1)"
	[ "$(cat /sys/module/ember/parameters/datapath_poll_interval_us 2>/dev/null)" = 200 ] && ok upgrade.options-applied ||
		ko upgrade.options-applied "datapath_poll_interval_us=$(cat /sys/module/ember/parameters/datapath_poll_interval_us 2>&1)"
	[ "$(sha256sum /etc/modprobe.d/ember.conf)" = "$edited" ] && [ -f /etc/modprobe.d/ember.conf.new ] &&
		ok upgrade.conf-kept || ko upgrade.conf-kept "edited ember.conf replaced or no ember.conf.new"
	[ "$(pkg-config --modversion ember)" = "$ver" ] && ok upgrade.libember || ko upgrade.libember "pkg-config: $(pkg-config --modversion ember)"
	grep -q "^# ember-manifest 1 version $next" /var/lib/ember/manifest && ok upgrade.manifest || ko upgrade.manifest "$(head -n 1 /var/lib/ember/manifest)"
fi

# 5. --uninstall while the device is open: refused, nothing changed.
exec 9<"$node"
cp /var/lib/ember/manifest /tmp/manifest
if inst "$RUN" 8 --uninstall; then ok uninstall.busy-refused; else ko uninstall.busy-refused "exit $rc"; fi
[ -d /sys/module/ember ] && cmp -s /var/lib/ember/manifest /tmp/manifest && ok uninstall.busy-unchanged ||
	ko uninstall.busy-unchanged "module unloaded or manifest changed"
exec 9<&-

# 6. --uninstall (with the older .run: the manifest drives it).
if inst "$RUN" 0 --uninstall; then ok uninstall.rc; else ko uninstall.rc "exit $rc"; fi
[ ! -d /sys/module/ember ] && ok uninstall.unloaded || ko uninstall.unloaded "ember still loaded"
left=$(awk '$1 == "file" || $1 == "link" || $1 == "dir" { print $2 }' /tmp/manifest |
	while read -r f; do [ ! -e "$f" ] && [ ! -L "$f" ] || echo "$f"; done)
[ -z "$left" ] && ok uninstall.manifest-gone || ko uninstall.manifest-gone "left: $left"
if [ -n "$edited" ]; then
	[ "$(sha256sum /etc/modprobe.d/ember.conf 2>/dev/null)" = "$edited" ] && ok uninstall.edited-conf-kept ||
		ko uninstall.edited-conf-kept "the edited ember.conf was removed"
	rm -f /etc/modprobe.d/ember.conf # the operator's file, kept on purpose
fi
[ -z "$(modinfo_path)" ] && ok uninstall.modinfo || ko uninstall.modinfo "modinfo still finds $(modinfo_path)"
! pkg-config --exists ember && ok uninstall.pkg-config || ko uninstall.pkg-config "pkg-config still finds ember"
[ $QUICK = 0 ] || { [ -z "$(dkms status -m ember 2>/dev/null)" ] && ok dkms.uninstall.status || ko dkms.uninstall.status "$(dkms status 2>&1)"; }
snap /tmp/after
# Expected: the install log and, after --with-dkms, DKMS's signing key
# pair (DKMS's own state, shared with every DKMS package).
diff_out=$(file_diff /tmp/before /tmp/after | grep -vxE '> /var/log/ember-install.log|> /var/lib/dkms/mok\.(key|pub)')
[ -z "$diff_out" ] && ok uninstall.file-diff-empty || ko uninstall.file-diff-empty "$(echo "$diff_out" | head -n 10 | tr '\n' ' ')"
echo "    | file-list diff after uninstall (expected: the install log; DKMS's key pair after --with-dkms):"
file_diff /tmp/before /tmp/after | sed 's/^/    |   /'

# 7. --with-dkms
if [ "$DKMS" = 1 ]; then
	snap /tmp/before
	if inst "$RUN" 0 --with-dkms; then ok dkms.rc; else ko dkms.rc "exit $rc"; fi
	echo "TIME install.dkms ${inst_time}s (dkms add/build/install of ember.ko in the TCG guest)"
	dkms status -m ember -v "$ver" | grep -q "installed" && ok dkms.status || ko dkms.status "$(dkms status 2>&1)"
	case $(modinfo_path) in
	"/lib/modules/$kver/updates/dkms/ember.ko"*) ok dkms.modinfo ;;
	*) ko dkms.modinfo "modinfo -n ember: '$(modinfo_path)'" ;;
	esac
	[ -f "/usr/src/ember-$ver/dkms.conf" ] && grep -q "^PACKAGE_VERSION=\"$ver\"" "/usr/src/ember-$ver/dkms.conf" &&
		ok dkms.source-tree || ko dkms.source-tree "/usr/src/ember-$ver/dkms.conf"
	[ "$(cat /sys/module/ember/version 2>/dev/null)" = "$ver" ] && bound && ok dkms.loaded || ko dkms.loaded "not loaded/bound"
	# A kernel below the floor: DKMS refuses it (BUILD_EXCLUSIVE_KERNEL).
	BUILD_EXCLUSIVE_KERNEL=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "/usr/src/ember-$ver/dkms.conf")
	[[ ! 6.1.0-28-amd64 =~ $BUILD_EXCLUSIVE_KERNEL ]] && [[ $kver =~ $BUILD_EXCLUSIVE_KERNEL ]] &&
		ok dkms.kernel-floor || ko dkms.kernel-floor "BUILD_EXCLUSIVE_KERNEL='$BUILD_EXCLUSIVE_KERNEL'"
	cp /var/lib/ember/manifest /tmp/manifest
	if inst "$RUN" 0 --uninstall; then ok dkms.uninstall.rc; else ko dkms.uninstall.rc "exit $rc"; fi
	[ -z "$(dkms status -m ember 2>/dev/null)" ] && ok dkms.uninstall.status || ko dkms.uninstall.status "$(dkms status 2>&1)"
	[ ! -d /sys/module/ember ] && [ -z "$(modinfo_path)" ] && ok dkms.uninstall.module || ko dkms.uninstall.module "still loaded or found"
	snap /tmp/after
	diff_out=$(file_diff /tmp/before /tmp/after | grep -vxE '> /var/lib/dkms/mok\.(key|pub)')
	[ -z "$diff_out" ] && ok dkms.uninstall.file-diff-empty || ko dkms.uninstall.file-diff-empty "$(echo "$diff_out" | head -n 10 | tr '\n' ' ')"
	echo "    | file-list diff after the DKMS uninstall (expected: DKMS's signing key pair, if DKMS made it):"
	file_diff /tmp/before /tmp/after | sed 's/^/    |   /'

	# The plain install compiling the module (no prebuilt module used).
	snap /tmp/before
	if EMBER_INSTALL_BUILD=1 inst "$RUN" 0 --no-auto-load; then ok build.rc; else ko build.rc "exit $rc"; fi
	echo "TIME install.build ${inst_time}s (make of ember.ko in the TCG guest, no DKMS)"
	grep -q "building ember.ko $ver for $kver" /tmp/inst.out && ok build.compiled || ko build.compiled "did not compile"
	[ "$(modinfo_path)" = "/lib/modules/$kver/updates/ember.ko" ] && modprobe ember && bound &&
		ok build.loads || ko build.loads "modinfo -n: '$(modinfo_path)'"
	if inst "$RUN" 0 --uninstall; then ok build.uninstall.rc; else ko build.uninstall.rc "exit $rc"; fi
	snap /tmp/after
	diff_out=$(file_diff /tmp/before /tmp/after)
	[ -z "$diff_out" ] && ok build.uninstall.file-diff-empty || ko build.uninstall.file-diff-empty "$(echo "$diff_out" | head -n 10 | tr '\n' ' ')"
fi

[ "$udev" = 0 ] || udevadm control --exit 2>/dev/null
echo "install-test: done"
exit $failed
