/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember telemetry: hwmon device and non-blocking register reads.
 */
#ifndef _EMBER_TELEMETRY_H_
#define _EMBER_TELEMETRY_H_

#include <linux/types.h>

struct ember_device;

int ember_tel_read(struct ember_device *edev, u32 reg, u32 *val);
int ember_hwmon_init(struct ember_device *edev);

#endif /* _EMBER_TELEMETRY_H_ */
