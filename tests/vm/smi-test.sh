#!/bin/sh
# ember-smi against the real driver (in the guest, as root, ember.ko loaded
# by tests/vm/guest-suite.sh): its values against the driver's sysfs files,
# its JSON, dmon counting the jobs of a workload against the driver's own
# counters, the process list showing a client's pid, the exit code and
# one-line message of every bad input, and what an unprivileged user sees.
# With --unloaded (ember.ko not loaded): exit 9 and its message.
# usage: smi-test.sh [--dbcs N] [--irq msix|single] [--unloaded]
# Prints PASS/FAIL lines (tests/vm/lib.sh); exit status 1 if any failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh

DBCS=${EMBER_EXPECT_DBCS:-4}
IRQ=${EMBER_EXPECT_IRQ:-msix}
UNLOADED=0
while [ $# -gt 0 ]; do
	case $1 in
	--dbcs) DBCS=$2; shift 2 ;;
	--irq) IRQ=$2; shift 2 ;;
	--unloaded) UNLOADED=1; shift ;;
	*) echo "smi-test: unknown argument $1" >&2; exit 2 ;;
	esac
done

SMI=$EMBER_BUILD/tools/ember-smi/ember-smi
WORKLOAD=$EMBER_BUILD/examples/run_workload
TMP=$(mktemp -d)
FAILS=0
BG=
NOBODY_BIN=
cleanup() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null
	rm -rf "$TMP" ${NOBODY_BIN:+"$NOBODY_BIN"}
}
trap cleanup EXIT

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

# smi ARGS...: run ember-smi; stdout in $TMP/out, stderr in $TMP/err, exit
# status in $RC.
smi() {
	"$SMI" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

# expect_exit NAME CODE PATTERN ARGS...: ember-smi ARGS exits CODE with
# exactly one stderr line "ember-smi: ..." that matches PATTERN.
expect_exit() {
	_n=$1 _code=$2 _pat=$3
	shift 3
	smi "$@"
	_lines=$(wc -l <"$TMP/err")
	if [ "$RC" != "$_code" ]; then
		ko "$_n" "exit $RC, want $_code: $(head -n 2 "$TMP/err" | tr '\n' ' ')"
	elif [ "$_lines" -ne 1 ]; then
		ko "$_n" "$_lines stderr lines, want 1: $(tr '\n' '|' <"$TMP/err")"
	elif ! grep -q "^ember-smi: .*$_pat" "$TMP/err"; then
		ko "$_n" "message '$(cat "$TMP/err")' does not match '$_pat'"
	else
		ok "$_n"
	fi
}

if [ ! -x "$SMI" ]; then
	ko build "$SMI not built"
	exit 1
fi

if [ "$UNLOADED" = 1 ]; then
	if [ -d /sys/module/ember ]; then
		ko unloaded.setup "ember is loaded"
		exit 1
	fi
	expect_exit unloaded.table 9 "not loaded"
	expect_exit unloaded.query 9 "not loaded" --query=serial --format=csv
	expect_exit unloaded.dmon 9 "not loaded" dmon -c 1
	smi -v
	expect unloaded.version.rc "$RC" 0
	expect unloaded.version.text "$(grep -c 'driver version: not loaded' "$TMP/out")" 1
	smi --help-query
	expect unloaded.help-query "$RC" 0
	[ "$FAILS" -eq 0 ]
	exit
fi

# The ember PF (1234:eb01) and its files.
BDF=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0xeb01 ]; then
		BDF=$(basename "$d")
		break
	fi
done
if [ -z "$BDF" ]; then
	ko setup "no ember PCI device in this VM"
	exit 1
fi
DEV=/sys/bus/pci/devices/$BDF
HW=
for h in "$DEV"/hwmon/hwmon*; do
	[ -e "$h/name" ] && HW=$h
done
NODE=
for a in "$DEV"/accel/accel*; do
	[ -e "$a" ] && NODE=/dev/accel/$(basename "$a")
done

# sum_counter KEY: the sum over DBCs of KEY=N in dbc_counters.
sum_counter() {
	tr ' ' '\n' <"$DEV/dbc_counters" | sed -n "s/^$1=//p" | awk '{ s += $1 } END { print s + 0 }'
}
fw() { sed -n "s/^$1: //p" "$DEV/fw_informations"; }

# ---- values against sysfs ----
FIELDS=pci.bus_id,serial,uuid,state,driver_abi,driver_version,fw.mgmt,fw.dbc,fw.boot,fw.nnc
FIELDS=$FIELDS,memory.total,memory.used,dbc.count,dbc.active,reset_count,irq.mode
FIELDS=$FIELDS,ecc.errors.corrected,ecc.errors.uncorrected,temperature.crit,power.limit
FIELDS=$FIELDS,counters.jobs,counters.interrupts,counters.polls,counters.timeouts,access
smi --query="$FIELDS" --format=csv,noheader,nounits -i "$BDF"
expect query.rc "$RC" 0
expect query.lines "$(wc -l <"$TMP/out")" 1
# field N of the CSV line
col() { awk -F', ' -v n="$1" '{ print $n }' "$TMP/out"; }
expect query.pci.bus_id "$(col 1)" "$BDF"
SERIAL=$(cat "$DEV/serial_number")
expect query.serial "$(col 2)" "$SERIAL"
expect query.uuid "$(col 3)" "EMBER-$SERIAL"
expect query.state "$(col 4)" "$(cat "$DEV/state")"
expect query.driver_abi "$(col 5)" "$(cat /sys/bus/pci/drivers/ember/ember_ioctl_version)"
if [ -e /sys/module/ember/version ]; then
	expect query.driver_version "$(col 6)" "$(cat /sys/module/ember/version)"
else
	expect query.driver_version "$(col 6)" "[N/A]"
fi
expect query.fw.mgmt "$(col 7)" "$(fw mgmt)"
expect query.fw.dbc "$(col 8)" "$(fw dbc)"
expect query.fw.boot "$(col 9)" "$(fw boot)"
expect query.fw.nnc "$(col 10)" "$(fw nnc)"
expect query.memory.total "$(col 11)" "$(cat "$DEV/devmem_total_bytes")"
expect query.memory.used "$(col 12)" "$(cat "$DEV/devmem_used_bytes")"
expect query.dbc.count "$(col 13)" "$DBCS"
expect query.dbc.count-sysfs "$(col 13)" "$(wc -l <"$DEV/dbc_status")"
expect query.dbc.active "$(col 14)" "$(grep -c ' active ' "$DEV/dbc_status")"
expect query.reset_count "$(col 15)" "$(cat "$DEV/reset_count")"
expect query.irq.mode "$(col 16)" "$IRQ"
expect query.ecc.corrected "$(col 17)" "$(cat "$DEV/ecc_ce_count")"
expect query.ecc.uncorrected "$(col 18)" "$(cat "$DEV/ecc_ue_count")"
if [ -n "$HW" ]; then
	expect query.temperature.crit "$(col 19)" "$(awk '{ printf "%.1f", $1 / 1000 }' "$HW/temp1_crit")"
	expect query.power.limit "$(col 20)" "$(awk '{ printf "%.2f", $1 / 1000000 }' "$HW/power1_cap")"
else
	ko query.hwmon "no hwmon device under $DEV"
fi
expect query.counters.jobs "$(col 21)" "$(sum_counter completions)"
expect query.counters.interrupts "$(col 22)" "$(sum_counter interrupts)"
expect query.counters.polls "$(col 23)" "$(sum_counter polls)"
expect query.counters.timeouts "$(col 24)" "$(sum_counter timeouts)"
expect query.access "$(col 25)" ok

# With units and a header.
smi --query=index,temperature.current,power.draw,memory.used --format=csv -i "$BDF"
expect csv.header "$(head -n 1 "$TMP/out")" \
	"index, temperature.current [C], power.draw [W], memory.used [B]"
if sed -n 2p "$TMP/out" | grep -Eq '^[0-9]+, [0-9]+\.[0-9] C, [0-9]+\.[0-9]{2} W, [0-9]+ B$'; then
	ok csv.units
else
	ko csv.units "'$(sed -n 2p "$TMP/out")'"
fi

# ---- -i: index, full and short BDF, serial, UUID ----
SHORT=${BDF#0000:}
for id in "$BDF" "$SHORT" "$SERIAL" "EMBER-$SERIAL"; do
	smi --query=pci.bus_id --format=csv,noheader -i "$id"
	expect "select.$id" "$RC:$(cat "$TMP/out")" "0:$BDF"
done
smi -L
expect list.uuid "$(grep -cF "($BDF) (UUID: EMBER-$SERIAL)" "$TMP/out")" 1
IDX=$(grep -F "($BDF)" "$TMP/out" | sed -n 's/^Device \([0-9]*\):.*/\1/p')
smi --query=pci.bus_id --format=csv,noheader -i "$IDX"
expect select.index "$RC:$(cat "$TMP/out")" "0:$BDF"

# ---- text views ----
smi
expect table.rc "$RC" 0
expect table.bdf "$(grep -cF "$BDF" "$TMP/out")" 1
smi -q -i "$BDF"
expect report.rc "$RC" 0
expect report.serial "$(grep -c "^    serial  *: $SERIAL\$" "$TMP/out")" 1
smi -v
expect version.rc "$RC" 0
expect version.driver-abi "$(sed -n 's/^driver ABI: //p' "$TMP/out")" \
	"$(cat /sys/bus/pci/drivers/ember/ember_ioctl_version)"
expect version.tool "$(sed -n 's/^ember-smi version: //p' "$TMP/out")" "$(cat VERSION)"

# ---- JSON ----
if command -v jq >/dev/null 2>&1; then
	smi --json -i "$BDF"
	expect json.rc "$RC" 0
	expect json.schema "$(jq '.schema_version' "$TMP/out")" 1
	expect json.first-key "$(jq -r 'keys_unsorted[0]' "$TMP/out")" schema_version
	expect json.bdf "$(jq -r '.devices[0]["pci.bus_id"]' "$TMP/out")" "$BDF"
	expect json.serial "$(jq -r '.devices[0].serial' "$TMP/out")" "$SERIAL"
	expect json.memory.total "$(jq '.devices[0]["memory.total"]' "$TMP/out")" \
		"$(cat "$DEV/devmem_total_bytes")"
	expect json.temperature-type "$(jq -r '.devices[0]["temperature.current"] | type' "$TMP/out")" number
	expect json.dbcs "$(jq '.devices[0].dbcs | length' "$TMP/out")" "$DBCS"
	# Types agree with --help-query, and nothing is the string "N/A".
	"$SMI" --help-query --json >"$TMP/fields"
	bad=$(jq -r --slurpfile f "$TMP/fields" '.devices[0] as $d | $f[0].fields[] |
		select(($d[.name] | type) as $t | $t != "null" and
			($t != (if .type == "integer" or .type == "number" then "number" else .type end)))
		| .name' "$TMP/out")
	expect json.types "$bad" ""
	expect json.no-na "$(grep -c 'N/A' "$TMP/out")" 0
	for cmd in "-L" "-q" "pmon" "--query=serial,temperature.current" "-v" "--help-query"; do
		# shellcheck disable=SC2086 # cmd is one word
		smi $cmd --json
		if [ "$RC" = 0 ] && [ "$(jq '.schema_version' "$TMP/out" 2>/dev/null)" = 1 ]; then
			ok "json.parses.$cmd"
		else
			ko "json.parses.$cmd" "exit $RC: $(head -c 200 "$TMP/out")"
		fi
	done
	smi dmon --json -c 2 -l 0.1 -i "$BDF"
	expect json.dmon.rows "$(jq -s 'length' "$TMP/out")" 2
	expect json.dmon.jobs-type "$(jq -s -r '.[0].jobs | type' "$TMP/out")" number
else
	# No JSON parser in the guest: the key fields by pattern (the host
	# unit tests parse the same documents).
	smi --json -i "$BDF"
	expect json.schema "$(grep -c '^  "schema_version": 1,$' "$TMP/out")" 1
	expect json.bdf "$(grep -cF "\"pci.bus_id\": \"$BDF\"" "$TMP/out")" 1
	expect json.no-na "$(grep -c 'N/A' "$TMP/out")" 0
fi

# ---- dmon: the jobs of a workload against the driver's counters ----
# dmon runs while a workload runs; after the workload, two more rows make
# sure its interval was printed; then the rows' sums must equal the
# driver's counter deltas over the same time.
jobs0=$(sum_counter completions)
irqs0=$(sum_counter interrupts)
polls0=$(sum_counter polls)
"$SMI" dmon -l 0.2 -i "$BDF" >"$TMP/dmon" 2>"$TMP/dmon.err" &
BG=$!
rows() { grep -vc '^#' "$TMP/dmon"; }
n=0
while [ "$(rows)" -lt 1 ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
RUNS=3
if "$WORKLOAD" --device "$BDF" --runs $RUNS >"$TMP/wl" 2>&1; then
	ok dmon.workload
else
	ko dmon.workload "$(tail -n 2 "$TMP/wl" | tr '\n' ' ')"
fi
jobs1=$(sum_counter completions)
irqs1=$(sum_counter interrupts)
polls1=$(sum_counter polls)
after=$(($(rows) + 2))
n=0
while [ "$(rows)" -lt $after ] && [ $n -lt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
kill "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
BG=
sums=$(grep -v '^#' "$TMP/dmon" | awk '{ j += $2; i += $3; p += $4 } END { print j + 0, i + 0, p + 0 }')
echo "smi-test: dmon sums (jobs irqs polls): $sums; driver deltas: $((jobs1 - jobs0)) \
$((irqs1 - irqs0)) $((polls1 - polls0))"
expect dmon.jobs "$(echo "$sums" | cut -d' ' -f1)" "$((jobs1 - jobs0))"
expect dmon.interrupts "$(echo "$sums" | cut -d' ' -f2)" "$((irqs1 - irqs0))"
expect dmon.polls "$(echo "$sums" | cut -d' ' -f3)" "$((polls1 - polls0))"
# run_workload executes two buffers per run (input and output slices):
# two jobs per run.
expect dmon.jobs-workload "$(echo "$sums" | cut -d' ' -f1)" "$((2 * RUNS))"
if grep -v '^#' "$TMP/dmon" | awk '{ if (length($0) != 51) exit 1 }'; then
	ok dmon.fixed-width
else
	ko dmon.fixed-width "$(grep -v '^#' "$TMP/dmon" | head -n 2 | tr '\n' '|')"
fi
smi dmon -c 2 -l 0.1 -i "$BDF"
expect dmon.count "$RC:$(grep -vc '^#' "$TMP/out"):$(grep -c '^#' "$TMP/out")" "0:2:2"
{
	echo "smi-test: dmon sample:"
	sed 's/^/    /' "$TMP/dmon" | head -n 12
}

# ---- process list: a client that holds the device ----
if [ -n "$NODE" ]; then
	sleep 60 3<"$NODE" &
	BG=$!
	n=0
	while ! "$SMI" pmon -i "$BDF" | awk -v p="$BG" '$2 == p { f = 1 } END { exit !f }' &&
		[ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	smi pmon -i "$BDF"
	expect pmon.pid "$(awk -v p="$BG" '$2 == p { print $NF }' "$TMP/out")" sleep
	smi -i "$BDF"
	expect table.pid "$(grep -c "| $BG " "$TMP/out")" 1
	if command -v jq >/dev/null 2>&1; then
		smi pmon --json -i "$BDF"
		expect pmon.json "$(jq --argjson p "$BG" '[.processes[] | select(.pid == $p)] | length' "$TMP/out")" 1
	fi
	smi --query=processes.count --format=csv,noheader -i "$BDF"
	if [ "$RC" = 0 ] && [ "$(cat "$TMP/out")" -ge 1 ]; then
		ok pmon.count
	else
		ko pmon.count "exit $RC, '$(cat "$TMP/out")'"
	fi
	kill "$BG"
	wait "$BG" 2>/dev/null
	smi pmon -i "$BDF"
	expect pmon.gone "$(awk -v p="$BG" '$2 == p' "$TMP/out")" ""
	BG=
else
	ko pmon.node "no accel node under $DEV"
fi

# ---- bad input: exit code and one line ----
expect_exit bad.flag 2 "--bogus" --bogus
expect_exit bad.subcommand 2 "frobnicate" frobnicate
expect_exit bad.field 2 "nosuchfield" --query=nosuchfield --format=csv
expect_exit bad.format 2 "--format" --query=serial --format=xml
expect_exit bad.format-option 2 "noheaders" --query=serial --format=csv,noheaders
expect_exit bad.loop 2 "--loop" dmon -l 0
expect_exit bad.count 2 "--count" dmon -c abc
expect_exit bad.combined 2 "cannot be combined" -L -q
expect_exit bad.id-index 6 "-i 99" -i 99
expect_exit bad.id-bdf 6 "-i 00:1f.7" -i 00:1f.7
expect_exit bad.id-serial 6 "ffffffffffffffff" -i ffffffffffffffff
expect_exit bad.id-query 6 "-i 7" --query=serial --format=csv -i 7
expect_exit bad.id-dmon 6 "-i 7" dmon -c 1 -i 7

# ---- an unprivileged user (nobody): telemetry yes, GET_INFO no ----
if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	# A copy nobody can reach: the build tree may be in a 0700 directory
	# (a fresh clone under mktemp -d, CI's work tree).
	NOBODY_BIN=$(mktemp -d)
	chmod 755 "$NOBODY_BIN"
	cp "$SMI" "$EMBER_BUILD/umd/libember.so.0" "$NOBODY_BIN/"
	asnobody() {
		setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env -- \
			env LD_LIBRARY_PATH="$NOBODY_BIN" "$NOBODY_BIN/ember-smi" "$@" >"$TMP/out" 2>"$TMP/err"
		RC=$?
	}
	if [ -n "$NODE" ] && setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		sh -c "exec 3<>$NODE" 2>/dev/null; then
		ko nobody.setup "nobody can open $NODE: the permission checks need a node it cannot open"
	else
		asnobody --query=serial,temperature.crit,access --format=csv,noheader,nounits -i "$BDF"
		expect nobody.query "$RC:$(cut -d, -f1 "$TMP/out")" "0:$SERIAL"
		expect nobody.access "$(cut -d, -f3 "$TMP/out" | sed 's/^ //')" "permission denied"
		asnobody -i "$BDF"
		expect nobody.table "$RC:$(grep -cF "$BDF" "$TMP/out")" "0:1"
		asnobody dmon -c 1 -l 0.1 -i "$BDF"
		expect nobody.dmon "$RC" 0
		asnobody --query=serial,fw.mgmt --format=csv,noheader -i "$BDF"
		expect nobody.get-info "$RC:$(cat "$TMP/out")" "4:$SERIAL, [N/A]"
		expect nobody.get-info.message "$(wc -l <"$TMP/err"):$(grep -c 'permission denied' "$TMP/err")" "1:1"
		asnobody -q -i "$BDF"
		expect nobody.report "$RC" 4
	fi
else
	echo "SKIP nobody: no setpriv or no user nobody"
fi

[ "$FAILS" -eq 0 ]
