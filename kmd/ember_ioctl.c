// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember ioctls. The DRM core copies the argument struct in and out (a bad
 * user pointer is -EFAULT there); handlers validate In fields and fill Out
 * fields.
 */

#include <linux/errno.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "ember_accel.h"
#include "ember_drv.h"
#include "ember_ioctl.h"

#define EMBER_VF_INDEX_NONE	0xffffffffu

static u32 ember_info_caps(const struct ember_hw_info *info)
{
	static const struct {
		u32 hw;
		u32 uapi;
	} map[] = {
		{ EMBER_CAP_MSIX, EMBER_INFO_CAP_MSIX },
		{ EMBER_CAP_SRIOV, EMBER_INFO_CAP_SRIOV },
		{ EMBER_CAP_MBOX, EMBER_INFO_CAP_MBOX },
		{ EMBER_CAP_TELEMETRY, EMBER_INFO_CAP_TELEMETRY },
		{ EMBER_CAP_FAULT, EMBER_INFO_CAP_FAULT },
		{ EMBER_CAP_GEMM, EMBER_INFO_CAP_GEMM },
	};
	u32 caps = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (info->caps & map[i].hw)
			caps |= map[i].uapi;
	if (info->is_vf)
		caps |= EMBER_INFO_CAP_VF;
	return caps;
}

/**
 * ember_ioctl_get_info() - DRM_IOCTL_EMBER_GET_INFO
 * @drm: DRM device
 * @data: &struct drm_ember_get_info, copied in and out by the DRM core
 * @file: DRM file of the caller
 *
 * Answers from the snapshot taken at probe and from driver state: it never
 * touches the hardware, so it works while the device is resetting or
 * suspended.
 *
 * Return: 0; -EINVAL if @flags or @pad is not zero; -ENODEV if the device
 * was unplugged.
 */
int ember_ioctl_get_info(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct ember_device *edev = to_ember_device(drm);
	const struct ember_hw_info *info = &edev->info;
	struct drm_ember_get_info *args = data;
	int idx;

	if (args->flags || args->pad)
		return -EINVAL;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	args->abi_major = EMBER_ABI_MAJOR;
	args->abi_minor = EMBER_ABI_MINOR;
	args->abi_patch = EMBER_ABI_PATCH;
	args->hw_version = info->hw_version;
	args->pci_vendor = info->pci_vendor;
	args->pci_device = info->pci_device;
	args->fw_mgmt_version = info->fw_mgmt;
	args->fw_dbc_version = info->fw_dbc;
	args->fw_boot_version = info->fw_boot;
	args->nnc_version = info->fw_nnc;
	args->num_dbcs = info->num_dbcs;
	args->caps = ember_info_caps(info);
	args->devmem_size = info->devmem_size;
	args->serial = info->serial;
	args->irq_mode = edev->irq.mode == EMBER_IRQ_MULTI ?
			 EMBER_INFO_IRQ_MSIX : EMBER_INFO_IRQ_SINGLE;
	args->num_irq_vectors = edev->irq.num_vectors;
	args->vf_index = info->is_vf ? info->vf_index : EMBER_VF_INDEX_NONE;
	args->num_vfs = info->is_vf ? 0 : pci_num_vf(edev->pdev);
	memset(args->reserved, 0, sizeof(args->reserved));

	drm_dev_exit(idx);
	return 0;
}
