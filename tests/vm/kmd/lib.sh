# shellcheck shell=sh disable=SC2034 # variables are used by the sourcing scripts
# Helpers for the in-guest driver tests (sourced by tests/vm/kmd/test-*.sh).
# POSIX sh. Each check prints "PASS <name>" or "FAIL <name>: why".
#
# Every test script takes: --dbcs N --mem BYTES --irq msix|single
# (--irq: what the topology gives without module parameters).

KMD_TESTS=$(cd "$(dirname "$0")" && pwd)
EMBER_ROOT=$(cd "$KMD_TESTS/../../.." && pwd)
export EMBER_ROOT
# shellcheck source=tests/vm/lib.sh
. "$EMBER_ROOT/tests/vm/lib.sh"

DBCS=${EMBER_EXPECT_DBCS:-4}
MEM=${EMBER_EXPECT_MEM:-268435456}
IRQ=${EMBER_EXPECT_IRQ:-msix}
FAILS=0

kmd_parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--dbcs) DBCS=$2; shift 2 ;;
		--mem) MEM=$2; shift 2 ;;
		--irq) IRQ=$2; shift 2 ;;
		*) echo "unknown argument $1" >&2; exit 2 ;;
		esac
	done
	case $IRQ in
	msix | single) ;;
	*) echo "--irq must be msix or single" >&2; exit 2 ;;
	esac
}

ok() { pass "$1"; }
ko() {
	fail "$1" "$2"
	FAILS=$((FAILS + 1))
}
# expect NAME GOT WANT
expect() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		ko "$1" "got '$2', want '$3'"
	fi
}
# finish: exit status of the script
finish() {
	[ "$FAILS" -eq 0 ]
}

# ember_bdf: the first ember PF (vendor 0x1234, device 0xeb01).
ember_bdf() {
	for _d in /sys/bus/pci/devices/*; do
		read -r _v <"$_d/vendor"
		read -r _p <"$_d/device"
		if [ "$_v" = 0x1234 ] && [ "$_p" = 0xeb01 ]; then
			basename "$_d"
			return 0
		fi
	done
	return 1
}

BDF=$(ember_bdf) || {
	echo "FAIL setup: no ember PCI device (1234:eb01) in this VM"
	exit 1
}
PCIDEV=/sys/bus/pci/devices/$BDF

kmd_load() { # [PARAM=VALUE...]
	"$KMD_TESTS/load.sh" "$@" >/tmp/kmd-load.log 2>&1
}
kmd_unload() {
	"$KMD_TESTS/unload.sh" >/tmp/kmd-unload.log 2>&1
}
kmd_loaded() {
	[ -d /sys/module/ember ]
}

# accel_minor: "accelN" of the bound device, empty if none.
accel_minor() {
	for _a in "$PCIDEV"/accel/accel*; do
		[ -e "$_a" ] && basename "$_a" && return 0
	done
	return 1
}

# debugfs_dir: the device's debugfs directory. Linux 6.12 names it after
# the PCI device (dev->unique); later kernels may use the minor number.
debugfs_dir() {
	if [ -d "/sys/kernel/debug/accel/$BDF" ]; then
		echo "/sys/kernel/debug/accel/$BDF"
		return 0
	fi
	_m=$(accel_minor) || return 1
	_n=${_m#accel}
	[ -d "/sys/kernel/debug/accel/$_n" ] || return 1
	echo "/sys/kernel/debug/accel/$_n"
}

# info_field KEY: value of "KEY: value" in debugfs info.
info_field() {
	sed -n "s/^$1: //p" "$(debugfs_dir)/info"
}

# mbox_field KEY: value of "KEY: value" in debugfs mbox.
mbox_field() {
	sed -n "s/^$1: //p" "$(debugfs_dir)/mbox"
}

# ember_irq_names: names of all ember IRQs in /proc/interrupts.
ember_irq_names() {
	awk '$NF ~ /^ember@/ { print $NF }' /proc/interrupts
}

# reg NAME: value of register NAME from debugfs regs, e.g. reg EMBER_ID.
reg() {
	awk -v n="$1" '$1 == n { print $3 }' "$(debugfs_dir)/regs"
}

# Kernel log since a marker: log_mark NAME, then log_since NAME prints the
# decoded lines ("facility:level : [time] text") after it.
log_mark() {
	echo "<6>ember-test: mark $1" >/dev/kmsg
}
log_since() {
	dmesg -x | awk -v m="ember-test: mark $1" 'f { print } index($0, m) { f = 1 }'
}
# log_errors NAME: error-or-worse lines and warnings/oopses since the mark.
log_errors() {
	log_since "$1" | grep -E '^[a-z]+ *:(emerg|alert|crit|err) *:|WARNING|BUG|Oops|Call Trace' || true
}

# irq_snapshot: "name count" for every ember IRQ in /proc/interrupts.
irq_snapshot() {
	awk 'NR == 1 { n = NF; next }
	     $NF ~ /^ember@/ { s = 0; for (i = 2; i <= n + 1; i++) s += $i; print $NF, s }' \
		/proc/interrupts
}
# delta BEFORE AFTER: "key difference" for every key whose count changed
# (files of "key count" or "key: count" lines).
delta() {
	awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; if (d != 0) print $1, d }' "$1" "$2"
}

# expected_irq_names MODE: the IRQ names the driver must have requested.
expected_irq_names() {
	if [ "$1" = msix ]; then
		echo "ember@$BDF:mgmt"
		_i=0
		while [ $_i -lt "$DBCS" ]; do
			echo "ember@$BDF:dbc$_i"
			_i=$((_i + 1))
		done
	else
		echo "ember@$BDF:single"
	fi
}

# irq_ctrl_for MODE: EMBER_IRQ_CTRL value expected in that mode.
irq_ctrl_for() {
	case $1 in
	msix) echo 0x00000100 ;;
	msix-single) echo 0x00000201 ;;
	msi) echo 0x00000300 ;;
	esac
}

# check_test_irqs NAME MODE: fire the test interrupt of every source once
# (MODE: msix, msix-single or msi, the irq_mode the driver must be in).
# Each must arrive exactly once: on its own vector (msix) or on the single
# vector, in /proc/interrupts and in the driver's per-vector counters, and
# be counted by the driver as a test interrupt of that source only.
check_test_irqs() {
	_name=$1
	_mode=$2
	_dir=$(debugfs_dir) || {
		ko "$_name" "no debugfs directory"
		return
	}
	_tdir=$_dir/test
	expect "$_name.irq-mode" "$(info_field irq_mode)" "$_mode"
	expect "$_name.irq-ctrl" "$(reg EMBER_IRQ_CTRL)" "$(irq_ctrl_for "$_mode")"
	expect "$_name.irq-names" "$(ember_irq_names | sort | tr '\n' ' ')" \
		"$(expected_irq_names "$_mode" | sort | tr '\n' ' ')"

	_s=0
	while [ $_s -le "$DBCS" ]; do
		if [ $_s -eq 0 ]; then _src=mgmt; else _src=dbc$((_s - 1)); fi
		if [ "$_mode" = msix ]; then _vec=ember@$BDF:$_src; else _vec=ember@$BDF:single; fi
		irq_snapshot >/tmp/kmd-irq.0
		cp "$_tdir/test_irq" /tmp/kmd-test.0
		_want=$(($(sed -n "s/^$_src: //p" /tmp/kmd-test.0) + 1))
		if ! echo "$_s" >"$_tdir/test_irq"; then
			ko "$_name.src$_s" "writing $_s to test_irq failed"
			_s=$((_s + 1))
			continue
		fi
		_t=0
		while ! grep -q "^$_src: $_want\$" "$_tdir/test_irq" && [ $_t -lt 50 ]; do
			sleep 0.1
			_t=$((_t + 1))
		done
		sleep 0.2 # let a duplicate, if any, arrive too
		irq_snapshot >/tmp/kmd-irq.1
		cp "$_tdir/test_irq" /tmp/kmd-test.1
		_dirq=$(delta /tmp/kmd-irq.0 /tmp/kmd-irq.1 | tr '\n' ' ')
		_dtest=$(delta /tmp/kmd-test.0 /tmp/kmd-test.1 | tr '\n' ' ')
		if [ "$_dirq" = "$_vec 1 " ] && [ "$_dtest" = "$_src: 1 " ]; then
			ok "$_name.src$_s"
		else
			ko "$_name.src$_s" "/proc/interrupts changes: '$_dirq' (want '$_vec 1'); test_irq changes: '$_dtest' (want '$_src: 1')"
		fi
		_s=$((_s + 1))
	done

	# The driver's per-vector counters agree with /proc/interrupts.
	irq_snapshot >/tmp/kmd-irq.2
	_bad=$(awk 'NR == FNR { p[$1] = $2; next }
		/^vector[0-9]*: / {
			split($3, n, "="); split($4, r, "=")
			if (p[n[2]] != r[2]) printf "%s: driver %s, /proc/interrupts %s; ", n[2], r[2], p[n[2]]
		}' /tmp/kmd-irq.2 "$_dir/irq_stats")
	if [ -z "$_bad" ]; then
		ok "$_name.counters-match"
	else
		ko "$_name.counters-match" "$_bad"
	fi
	expect "$_name.spurious" "$(sed -n 's/^spurious: //p' "$_dir/irq_stats")" 0
}

# mode_for IRQ FORCED: irq_mode expected for a topology (--irq) with or
# without force_single_msi=1.
mode_for() {
	if [ "$1" = single ]; then
		echo msi
	elif [ "$2" = 1 ]; then
		echo msix-single
	else
		echo msix
	fi
}

# build_get_info: compile get_info.c (once) into $GET_INFO_BIN; on failure
# the compiler's first lines are in $GET_INFO_ERR.
GET_INFO_BIN=/tmp/ember_get_info
GET_INFO_ERR=
build_get_info() {
	[ -x "$GET_INFO_BIN" ] && return 0
	_inc=$(pkg-config --cflags-only-I libdrm 2>/dev/null) || _inc=-I/usr/include/libdrm
	# shellcheck disable=SC2086 # _inc may hold several flags
	if ! _out=$(cc -std=c11 -Wall -Wextra -Werror -I"$EMBER_ROOT/uapi" $_inc \
		-o "$GET_INFO_BIN" "$KMD_TESTS/get_info.c" 2>&1); then
		GET_INFO_ERR=$(echo "$_out" | head -n 3 | tr '\n' ' ')
		return 1
	fi
}
