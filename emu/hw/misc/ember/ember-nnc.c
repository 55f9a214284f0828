/*
 * ember AI accelerator: the NNC codec of the ember project
 *
 * common/ember_nnc.c, copied here by emu/build-qemu.sh as ember-nnc.c.inc:
 * the firmware model validates requests and builds replies with exactly
 * the code the driver uses. It is kernel-style C on <linux/types.h> and
 * needs nothing from QEMU but the usual first include.
 *
 * SPDX-License-Identifier: GPL-2.0-only OR MIT
 */

#include "qemu/osdep.h"

#include "ember-nnc.c.inc"
