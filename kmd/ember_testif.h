/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember test interfaces (debugfs test/): see ember_testif.c.
 */
#ifndef _EMBER_TESTIF_H_
#define _EMBER_TESTIF_H_

struct ember_device;

void ember_testif_init(struct ember_device *edev);

#endif /* _EMBER_TESTIF_H_ */
