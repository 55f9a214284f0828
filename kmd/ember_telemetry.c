// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember telemetry (docs/hardware.md §2.5): the hwmon device that tools
 * such as sensors(1) read, and the one read path for the telemetry
 * registers that the sysfs attributes share (docs/sysfs.md).
 *
 * hwmon (/sys/class/hwmon/hwmonN, name "ember", parent the PCI device):
 *   temp1_input    EMBER_TEL_TEMP_MC, millidegrees Celsius
 *   temp1_crit     EMBER_TEL_TEMP_CRIT_MC
 *   power1_average EMBER_TEL_POWER_MW, in microwatts (the device averages
 *                  over 100 ms)
 *   power1_cap     EMBER_TEL_POWER_CAP_MW, in microwatts (read-only)
 *
 * A read never sleeps and never waits for the device: it fails with
 * -ENODATA while the device is not online (resetting, failed, being
 * removed) or answers all ones (gone from the bus), so a monitoring agent
 * polling a hung or resetting device is not blocked.
 */

#include <linux/device.h>
#include <linux/hwmon.h>
#include <linux/pci.h>
#include <drm/drm_drv.h>

#include "ember_drv.h"
#include "ember_telemetry.h"

/**
 * ember_tel_read() - read a telemetry or status register without waiting
 * @edev: device
 * @reg: BAR0 offset of a read-only register without side effects
 * @val: the value, on success
 *
 * Context: any process context; does not sleep.
 * Return: 0, or -ENODATA when the device cannot answer now.
 */
int ember_tel_read(struct ember_device *edev, u32 reg, u32 *val)
{
	int idx, ret = -ENODATA;
	u32 v;

	if (!drm_dev_enter(&edev->drm, &idx))
		return -ENODATA;
	if (READ_ONCE(edev->state) == EMBER_STATE_ONLINE) {
		v = ember_rd(edev, reg);
		if (v != U32_MAX) {
			*val = v;
			ret = 0;
		}
	}
	drm_dev_exit(idx);
	return ret;
}

static umode_t ember_hwmon_is_visible(const void *data,
				      enum hwmon_sensor_types type, u32 attr,
				      int channel)
{
	switch (type) {
	case hwmon_temp:
		if (attr == hwmon_temp_input || attr == hwmon_temp_crit)
			return 0444;
		break;
	case hwmon_power:
		if (attr == hwmon_power_average || attr == hwmon_power_cap)
			return 0444;
		break;
	default:
		break;
	}
	return 0;
}

static int ember_hwmon_read(struct device *dev, enum hwmon_sensor_types type,
			    u32 attr, int channel, long *val)
{
	struct ember_device *edev = dev_get_drvdata(dev);
	u32 reg, v;
	long scale;
	int ret;

	switch (type) {
	case hwmon_temp:
		reg = attr == hwmon_temp_crit ? EMBER_TEL_TEMP_CRIT_MC :
						EMBER_TEL_TEMP_MC;
		scale = 1;		/* millidegrees already */
		break;
	case hwmon_power:
		reg = attr == hwmon_power_cap ? EMBER_TEL_POWER_CAP_MW :
						EMBER_TEL_POWER_MW;
		scale = 1000;		/* mW to uW */
		break;
	default:
		return -EOPNOTSUPP;
	}
	ret = ember_tel_read(edev, reg, &v);
	if (ret)
		return ret;
	*val = (long)v * scale;
	return 0;
}

static const struct hwmon_channel_info *const ember_hwmon_info[] = {
	HWMON_CHANNEL_INFO(temp, HWMON_T_INPUT | HWMON_T_CRIT),
	HWMON_CHANNEL_INFO(power, HWMON_P_AVERAGE | HWMON_P_CAP),
	NULL
};

static const struct hwmon_ops ember_hwmon_ops = {
	.is_visible = ember_hwmon_is_visible,
	.read = ember_hwmon_read,
};

static const struct hwmon_chip_info ember_hwmon_chip = {
	.ops = &ember_hwmon_ops,
	.info = ember_hwmon_info,
};

/**
 * ember_hwmon_init() - register the hwmon device of a device
 * @edev: device being probed
 *
 * Only a device that reports EMBER_CAP_TELEMETRY gets one. The hwmon
 * device is devres-managed on the PCI device and goes away at unbind.
 *
 * Return: 0 or a negative errno.
 */
int ember_hwmon_init(struct ember_device *edev)
{
	struct device *hwmon;

	if (!(edev->info.caps & EMBER_CAP_TELEMETRY))
		return 0;
	hwmon = devm_hwmon_device_register_with_info(&edev->pdev->dev,
						     EMBER_DRIVER_NAME, edev,
						     &ember_hwmon_chip, NULL);
	return PTR_ERR_OR_ZERO(hwmon);
}
