#!/bin/sh
# Load ember.ko in the test guest: first the modules it depends on, from the
# running kernel's /lib/modules (the guest shares the host's root, so these
# are the 6.12 modules the driver was built against), then insmod.
#
# usage: tests/vm/kmd/load.sh [--ko PATH] [PARAM=VALUE...]
#   --ko PATH     the module to load (default: kmd/ember.ko of this tree)
#   PARAM=VALUE   module parameters, e.g. force_single_msi=1
# Waits until every ember PCI function is bound (or failed to bind).
set -eu

root=$(cd "$(dirname "$0")/../../.." && pwd)
ko=$root/kmd/ember.ko
while [ $# -gt 0 ]; do
	case $1 in
	--ko)
		ko=$2
		shift 2
		;;
	--)
		shift
		break
		;;
	*) break ;;
	esac
done

die() {
	echo "load: $*" >&2
	exit 1
}

[ -f "$ko" ] || die "$ko not found (build it: make -C kmd)"
[ -d /sys/module/ember ] && die "ember is already loaded"

kver=$(uname -r)
vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
[ "$vermagic" = "$kver" ] ||
	die "$ko is built for '$vermagic', the running kernel is $kver (make -C kmd KVER=$kver)"

# Today only drm is needed; the data path adds the scheduler and the GEM
# shmem helpers. Loading them now keeps this script stable.
for m in drm gpu_sched drm_shmem_helper; do
	[ -d "/sys/module/$m" ] || modprobe "$m" || die "modprobe $m failed"
done

insmod "$ko" "$@" || die "insmod $ko $* failed"

# Probing is synchronous for PCI drivers, but be tolerant of async probe.
i=0
while [ $i -lt 50 ]; do
	pending=0
	for d in /sys/bus/pci/devices/*; do
		read -r vendor <"$d/vendor"
		read -r device <"$d/device"
		[ "$vendor" = 0x1234 ] || continue
		case $device in 0xeb01 | 0xeb02) ;; *) continue ;; esac
		[ -e "$d/driver" ] || pending=1
	done
	[ $pending -eq 0 ] && exit 0
	sleep 0.1
	i=$((i + 1))
done
echo "load: warning: an ember device is still unbound (probe failed? see dmesg)" >&2
exit 0
