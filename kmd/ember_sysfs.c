// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember sysfs attributes (documented in docs/sysfs.md).
 *
 * Device attributes live on the PCI device, so they also appear under
 * /sys/class/accel/accelN/device/; the driver attribute lives under
 * /sys/bus/pci/drivers/ember/ (= /sys/module/ember/drivers/pci:ember/).
 * Both are registered by the driver core through &pci_driver.dev_groups
 * and &pci_driver.groups, so they exist exactly while bound/loaded.
 * Identity and versions are answered from the probe-time snapshot, state
 * from the driver's records; the telemetry attributes read the device
 * through ember_tel_read(), which never sleeps (-ENODATA while the device
 * cannot answer). No attribute waits for the device or the firmware.
 */

#include <linux/bitfield.h>
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/sysfs.h>

#include "ember_accel.h"
#include "ember_drv.h"
#include "ember_sysfs.h"
#include "ember_telemetry.h"
#include "ember_workload.h"

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

static struct ember_device *ember_sysfs_edev(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

static ssize_t serial_number_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%016llx\n", ember_sysfs_edev(dev)->info.serial);
}
static DEVICE_ATTR_RO(serial_number);

static ssize_t devmem_total_bytes_show(struct device *dev,
				       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", ember_sysfs_edev(dev)->info.devmem_size);
}
static DEVICE_ATTR_RO(devmem_total_bytes);

static ssize_t devmem_used_bytes_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  ember_wl_devmem_used(ember_sysfs_edev(dev)));
}
static DEVICE_ATTR_RO(devmem_used_bytes);

static ssize_t reset_count_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	/* A hint without &ember_device.hw_lock, which a reset holds. */
	return sysfs_emit(buf, "%u\n", READ_ONCE(ember_sysfs_edev(dev)->resets));
}
static DEVICE_ATTR_RO(reset_count);

/* One line per DBC: "<i> <state> <pid>", state free or active. */
static ssize_t dbc_status_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct ember_device *edev = ember_sysfs_edev(dev);
	struct ember_act *act;
	int len = 0;
	u32 i;

	mutex_lock(&edev->dbc_lock);
	for (i = 0; i < edev->info.num_dbcs; i++) {
		act = edev->dbcs[i].act;
		len += sysfs_emit_at(buf, len, "%u %s %d\n", i,
				     act ? "active" : "free",
				     act ? act->client->pid : 0);
	}
	mutex_unlock(&edev->dbc_lock);
	return len;
}
static DEVICE_ATTR_RO(dbc_status);

/*
 * One line per DBC of the driver's counters since probe, lock-free (the
 * counters are atomics): "<i> interrupts=N polls=N responses=N
 * completions=N cancelled=N timeouts=N" (docs/datapath.md, "Counters").
 */
static ssize_t dbc_counters_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct ember_device *edev = ember_sysfs_edev(dev);
	const struct ember_dbc_stats *st;
	int len = 0;
	u32 i;

	for (i = 0; i < edev->info.num_dbcs; i++) {
		st = &edev->dbcs[i].stats;
		len += sysfs_emit_at(buf, len,
				     "%u interrupts=%lld polls=%lld responses=%lld completions=%lld cancelled=%lld timeouts=%lld\n",
				     i, atomic64_read(&st->interrupts),
				     atomic64_read(&st->polls),
				     atomic64_read(&st->responses),
				     atomic64_read(&st->completions),
				     atomic64_read(&st->cancelled),
				     atomic64_read(&st->timeouts));
	}
	return len;
}
static DEVICE_ATTR_RO(dbc_counters);

/* The driver's state of the device: online, resetting, failed, offline. */
static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct ember_device *edev = ember_sysfs_edev(dev);

	return sysfs_emit(buf, "%s\n",
			  ember_state_name(READ_ONCE(edev->state)));
}
static DEVICE_ATTR_RO(state);

/* A telemetry register as a decimal number. */
static ssize_t ember_sysfs_tel(struct device *dev, char *buf, u32 reg)
{
	u32 v;
	int ret;

	ret = ember_tel_read(ember_sysfs_edev(dev), reg, &v);
	if (ret)
		return ret;
	return sysfs_emit(buf, "%u\n", v);
}

static ssize_t core_clk_mhz_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return ember_sysfs_tel(dev, buf, EMBER_TEL_CORE_CLK_MHZ);
}
static DEVICE_ATTR_RO(core_clk_mhz);

static ssize_t mem_clk_mhz_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return ember_sysfs_tel(dev, buf, EMBER_TEL_MEM_CLK_MHZ);
}
static DEVICE_ATTR_RO(mem_clk_mhz);

static ssize_t ecc_ce_count_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return ember_sysfs_tel(dev, buf, EMBER_TEL_ECC_CE);
}
static DEVICE_ATTR_RO(ecc_ce_count);

static ssize_t ecc_ue_count_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return ember_sysfs_tel(dev, buf, EMBER_TEL_ECC_UE);
}
static DEVICE_ATTR_RO(ecc_ue_count);

static struct attribute *ember_dev_attrs[] = {
	&dev_attr_fw_informations.attr,
	&dev_attr_ember_ioctl_version.attr,
	&dev_attr_serial_number.attr,
	&dev_attr_devmem_total_bytes.attr,
	&dev_attr_devmem_used_bytes.attr,
	&dev_attr_reset_count.attr,
	&dev_attr_dbc_status.attr,
	&dev_attr_dbc_counters.attr,
	&dev_attr_state.attr,
	&dev_attr_core_clk_mhz.attr,
	&dev_attr_mem_clk_mhz.attr,
	&dev_attr_ecc_ce_count.attr,
	&dev_attr_ecc_ue_count.attr,
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
