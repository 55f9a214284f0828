/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember debugfs files, under the DRM device's debugfs directory.
 */
#ifndef _EMBER_DEBUGFS_H_
#define _EMBER_DEBUGFS_H_

struct ember_device;

void ember_debugfs_init(struct ember_device *edev);
int ember_debugfs_hw_enter(struct ember_device *edev, int *idx);
void ember_debugfs_hw_exit(struct ember_device *edev, int idx);

#endif /* _EMBER_DEBUGFS_H_ */
