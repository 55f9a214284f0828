/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember sysfs attributes of the PCI device and of the driver.
 */
#ifndef _EMBER_SYSFS_H_
#define _EMBER_SYSFS_H_

struct attribute_group;

extern const struct attribute_group *ember_sysfs_dev_groups[];
extern const struct attribute_group *ember_sysfs_drv_groups[];

#endif /* _EMBER_SYSFS_H_ */
