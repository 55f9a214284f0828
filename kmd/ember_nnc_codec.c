// SPDX-License-Identifier: GPL-2.0-only
/*
 * The NNC codec (docs/nnc.md) is shared with the device model and the host
 * tests: its one source is common/ember_nnc.c, compiled here into ember.ko.
 */
#include "ember_nnc.c"
