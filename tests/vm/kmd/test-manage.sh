#!/bin/sh
# The NNC control path: DRM_IOCTL_EMBER_MANAGE, client isolation, SIGKILL
# cleanup, mailbox fault knobs, FLR (tests/vm/manage_test.cpp, one process
# per test case), then the reply timeout with control_resp_timeout_s=2 at
# load, and MANAGE on the shared vector with force_single_msi=1. The kernel
# log must show no error and the driver no leftover client afterwards.
# usage: test-manage.sh --dbcs N --mem BYTES --irq msix|single
. "$(dirname "$0")/lib.sh"
kmd_parse_args "$@"
BIN=$EMBER_BUILD/tests/ember_vm_manage

# cases NAME SPEC: run every test case of $BIN matching the Catch2 test
# spec SPEC as its own process; one PASS/FAIL line each.
cases() {
	_n=0
	_list=$("$BIN" --list-tests "$2" --verbosity quiet) || {
		ko "$1" "cannot list test cases of $BIN"
		return
	}
	while IFS= read -r _t; do
		[ -n "$_t" ] || continue
		_n=$((_n + 1))
		_spec=$(printf '%s' "$_t" | sed 's/,/\\,/g')
		if _out=$(EMBER_EXPECT_DBCS=$DBCS EMBER_EXPECT_MEM=$MEM timeout 600 "$BIN" "$_spec" 2>&1); then
			ok "$1.$_t"
		else
			ko "$1.$_t" "$(echo "$_out" | grep -E 'FAILED|REQUIRE|CHECK|with expansion|==|!=' | head -n 8 | tr '\n' ' ')"
		fi
	done <<EOF
$_list
EOF
	[ "$_n" -gt 0 ] || ko "$1" "no test case matches '$2'"
}

# no_clients NAME: the driver holds nothing for any client.
no_clients() {
	_d=$(debugfs_dir)
	expect "$1.clients" "$(cat "$_d/clients")" ""
	expect "$1.ring-bytes" "$(sed -n 's/^ring_bytes: //p' "$_d/dbcs")" 0
	expect "$1.in-flight" "$(sed -n 's/^in_flight: //p' "$_d/mbox")" 0
}

if [ ! -x "$BIN" ]; then
	ko build "$BIN not built"
	exit 1
fi

kmd_loaded && kmd_unload

# 1. Everything but the timeout cases, default parameters.
log_mark manage
if kmd_load; then
	expect default.timeout-param "$(cat /sys/module/ember/parameters/control_resp_timeout_s)" 60
	cases default '~[timeout]'
	no_clients default
	# Warnings are expected (bad CRC, lost replies); errors are not.
	expect default.log-errors "$(log_errors manage)" ""
	if kmd_unload; then ok default.unload; else ko default.unload "rmmod failed"; fi
else
	ko default.load "$(tail -n 3 /tmp/kmd-load.log | tr '\n' ' ')"
fi

# 2. Reply timeouts, with the parameter set at load.
log_mark manage-timeout
if kmd_load control_resp_timeout_s=2; then
	expect timeout.param "$(cat /sys/module/ember/parameters/control_resp_timeout_s)" 2
	cases timeout '[timeout]'
	no_clients timeout
	if log_since manage-timeout | grep -q 'mailbox: no reply to message [0-9]* within 2 s'; then
		ok timeout.log
	else
		ko timeout.log "no 'no reply ... within 2 s' line"
	fi
	if log_since manage-timeout | grep -q 'TERMINATE failed (-110); stopping its DBCs'; then
		ok timeout.terminate-log
	else
		ko timeout.terminate-log "no 'TERMINATE failed (-110)' line"
	fi
	expect timeout.log-errors "$(log_errors manage-timeout)" ""
	if kmd_unload; then ok timeout.unload; else ko timeout.unload "rmmod failed"; fi
else
	ko timeout.load "$(tail -n 3 /tmp/kmd-load.log | tr '\n' ' ')"
fi

# 3. Mailbox replies on the one shared vector.
if [ "$IRQ" = msix ]; then
	log_mark manage-single
	if kmd_load force_single_msi=1; then
		expect forced-single.irq-mode "$(info_field irq_mode)" msix-single
		cases forced-single 'STATUS reports NNC 1.x and the CRC feature'
		cases forced-single '1000 ACTIVATE/DEACTIVATE cycles leave the accounting unchanged'
		no_clients forced-single
		expect forced-single.log-errors "$(log_errors manage-single)" ""
		if kmd_unload; then ok forced-single.unload; else ko forced-single.unload "rmmod failed"; fi
	else
		ko forced-single.load "$(tail -n 3 /tmp/kmd-load.log | tr '\n' ' ')"
	fi
fi
finish
