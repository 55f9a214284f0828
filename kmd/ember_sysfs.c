// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember sysfs attributes (documented in docs/sysfs.md).
 *
 * Device attributes live on the PCI device, so they also appear under
 * /sys/class/accel/accelN/device/; the driver attribute lives under
 * /sys/bus/pci/drivers/ember/ (= /sys/module/ember/drivers/pci:ember/).
 * Both are registered by the driver core through &pci_driver.dev_groups
 * and &pci_driver.groups, so they exist exactly while bound/loaded.
 * Everything is answered from the probe-time snapshot: reading never
 * touches or wakes the device.
 */

#include <linux/bitfield.h>
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/sysfs.h>

#include "ember_accel.h"
#include "ember_drv.h"
#include "ember_sysfs.h"

static ssize_t fw_informations_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct ember_device *edev = pci_get_drvdata(to_pci_dev(dev));
	const struct ember_hw_info *info = &edev->info;
	static const char *const names[] = { "mgmt", "dbc", "boot" };
	const u32 fw[] = { info->fw_mgmt, info->fw_dbc, info->fw_boot };
	unsigned int i;
	int len = 0;

	for (i = 0; i < ARRAY_SIZE(fw); i++)
		len += sysfs_emit_at(buf, len, "%s: %u.%u.%u\n", names[i],
				     FIELD_GET(EMBER_FW_VER_MAJOR, fw[i]),
				     FIELD_GET(EMBER_FW_VER_MINOR, fw[i]),
				     FIELD_GET(EMBER_FW_VER_PATCH, fw[i]));
	len += sysfs_emit_at(buf, len, "nnc: %u.%u\n",
			     FIELD_GET(EMBER_NNC_VER_MAJOR, info->fw_nnc),
			     FIELD_GET(EMBER_NNC_VER_MINOR, info->fw_nnc));
	return len;
}
static DEVICE_ATTR_RO(fw_informations);

static ssize_t ember_ioctl_version_show(struct device *dev,
					struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u.%u.%u\n", EMBER_ABI_MAJOR, EMBER_ABI_MINOR,
			  EMBER_ABI_PATCH);
}
static DEVICE_ATTR_RO(ember_ioctl_version);

static struct attribute *ember_dev_attrs[] = {
	&dev_attr_fw_informations.attr,
	&dev_attr_ember_ioctl_version.attr,
	NULL
};

static const struct attribute_group ember_dev_group = {
	.attrs = ember_dev_attrs,
};

/* Attribute groups of a bound PCI device (&pci_driver.dev_groups). */
const struct attribute_group *ember_sysfs_dev_groups[] = {
	&ember_dev_group,
	NULL
};

static ssize_t drv_ember_ioctl_version_show(struct device_driver *drv,
					    char *buf)
{
	return sysfs_emit(buf, "%u.%u.%u\n", EMBER_ABI_MAJOR, EMBER_ABI_MINOR,
			  EMBER_ABI_PATCH);
}

static struct driver_attribute driver_attr_ember_ioctl_version =
	__ATTR(ember_ioctl_version, 0444, drv_ember_ioctl_version_show, NULL);

static struct attribute *ember_drv_attrs[] = {
	&driver_attr_ember_ioctl_version.attr,
	NULL
};

static const struct attribute_group ember_drv_group = {
	.attrs = ember_drv_attrs,
};

/* Attribute groups of the driver itself (&pci_driver.groups). */
const struct attribute_group *ember_sysfs_drv_groups[] = {
	&ember_drv_group,
	NULL
};
