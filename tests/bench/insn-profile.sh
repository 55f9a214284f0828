#!/bin/bash
# Guest instructions per lone job, by function (docs/performance.md,
# "2026-12-07 (later)"): boots the guest under the QEMU TCG plugin
# tests/bench/insn-plugin.c, runs the pinned QD1 loop of make bench
# (ember_bench --depth 1, interrupts) once per module given and, unless
# --no-nvme, fio pvsync2 QD1 on the emulated NVMe, and counts every
# instruction the guest executes over a window of each loop. Counts do not
# depend on how busy the host is, unlike times under TCG, so two builds of
# the driver compare in one run each (the first profile is the base of the
# differences printed), and ember compares with NVMe function by function.
# Instructions are not time: an MMIO access, an atomic or a page-table
# switch costs more than an add. Read them with make bench's CPU/op.
#
# usage (host, root): tests/bench/insn-profile.sh [--no-nvme] [--top N]
#                          [[--bench-args ARGS] KO...]
#   KO: ember.ko files under the repo (default kmd/ember.ko)
#   --bench-args ARGS: more ember_bench arguments for the KOs after it
#       (e.g. "--execute-wait 0": EXECUTE_BO, then WAIT_BO); "" resets
# Output directory: build/bench/insn-<time>/ (one folder per profile with
# the plugin's counts and the guest's kallsyms).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${EMBER_BUILD:-$ROOT/build}
START=15	# s after QEMU starts: the window opens (boot + load take ~6 s)
LEN=8		# s: window length
LOOP=$((START + LEN + 10))

# Guest side: --guest ember KO | --guest nvme; the loop runs LOOP s.
if [ "${1:-}" = --guest ]; then
	out=${EMBER_OUT:?}
	case $2 in
	ember)
		"$ROOT/tests/vm/kmd/load.sh" --ko "$3" >/dev/null
		cat /proc/kallsyms >"$out/kallsyms"
		cut -d' ' -f1 /proc/uptime >"$out/loop-start"
		# shellcheck disable=SC2086 # $4: extra arguments, split
		"$BUILD/tests/ember_bench" --ramp 0 --seconds "$LOOP" --cpu "$(($(nproc) - 1))" \
			--depth 1 --service-ns 0 ${4:-} >"$out/loop.json"
		;;
	nvme)
		# shellcheck source=tests/bench/nvme-qd1.sh
		. "$ROOT/tests/bench/nvme-qd1.sh"
		nvme_up
		cat /proc/kallsyms >"$out/kallsyms"
		cut -d' ' -f1 /proc/uptime >"$out/loop-start"
		nvme_qd1 "$LOOP" "$(($(nproc) - 1))" --output-format=json >"$out/loop.json"
		;;
	esac
	cut -d' ' -f1 /proc/uptime >"$out/loop-end"
	exit 0
fi

nvme=1 top=25 kos=() kargs=() bargs=''
while [ $# -gt 0 ]; do
	case $1 in
	--no-nvme) nvme=0 ;;
	--top) top=$2; shift ;;
	--bench-args) bargs=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "insn-profile: unknown option $1" >&2; exit 2 ;;
	*) kos+=("$(realpath "$1")"); kargs+=("$bargs") ;;
	esac
	shift
done
[ ${#kos[@]} -gt 0 ] || { kos=("$ROOT/kmd/ember.ko"); kargs=("$bargs"); }

qemu=$("$ROOT/emu/build-qemu.sh" | tail -n 1)
plugin=$BUILD/bench/insn-plugin.so
# shellcheck source=tests/bench/insn-plugin.sh
. "$ROOT/tests/bench/insn-plugin.sh"
build_insn_plugin "$qemu" "$plugin"
out=$BUILD/bench/insn-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

# profile NAME VM-ARGS... -- GUEST-ARGS...
profile() {
	local name=$1 dir=$out/$1 vmargs=()
	shift
	while [ "$1" != -- ]; do
		vmargs+=("$1")
		shift
	done
	shift
	mkdir -p "$dir"
	echo "insn-profile: $name" >&2
	EMBER_QEMU=$qemu "$ROOT/scripts/vm-run" --keep-out "$dir" "${vmargs[@]}" \
		--topology msix --dbcs 4 --mem 512M --timeout $((LOOP + 120)) \
		--qemu-arg -plugin --qemu-arg "$plugin,start=$START,len=$LEN,out=$dir/insn-profile.txt" \
		-- "$ROOT/tests/bench/insn-profile.sh" --guest "$@" >&2
	# The window (QEMU's clock, a little ahead of the guest's uptime) must
	# lie inside the loop.
	if ! awk -v s="$(cat "$dir/loop-start")" -v e="$(cat "$dir/loop-end")" \
		-v a="$START" -v b="$((START + LEN))" 'BEGIN { exit !(s + 1 < a - 2 && e > b + 1) }'; then
		echo "insn-profile: $name: loop ran from $(cat "$dir/loop-start") to $(cat "$dir/loop-end") s, window $START-$((START + LEN)) s" >&2
		exit 1
	fi
}

specs=()
i=0
for k in "${!kos[@]}"; do
	i=$((i + 1))
	name="ember-$i-$(basename "${kos[$k]}" .ko)$(echo "${kargs[$k]}" | tr -c 'a-zA-Z0-9\n' '-')"
	profile "$name" -- ember "${kos[$k]}" "${kargs[$k]}"
	specs+=("$name=$out/$name:ember_ioctl_execute_bo")
done
if [ $nvme = 1 ]; then
	profile nvme-pvsync2 --nvme -- nvme
	specs+=("nvme-pvsync2=$out/nvme-pvsync2:nvme_queue_rqs")
fi
python3 "$ROOT/tests/bench/insn-report.py" --top "$top" "${specs[@]}" | tee "$out/report.txt"
echo "insn-profile: $out" >&2
