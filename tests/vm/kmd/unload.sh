#!/bin/sh
# Unload ember.ko in the test guest. Fails if it is not loaded or cannot be
# removed (for example while /dev/accel/accelN is open).
#
# usage: tests/vm/kmd/unload.sh
set -eu

if [ ! -d /sys/module/ember ]; then
	echo "unload: ember is not loaded" >&2
	exit 1
fi
rmmod ember || {
	echo "unload: rmmod ember failed" >&2
	exit 1
}
