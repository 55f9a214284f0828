// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember accelerator driver: module, PCI driver, probe and remove.
 *
 * The device is described in docs/hardware.md; its user-visible interface
 * is /dev/accel/accelN (DRM accel), uapi/ember_accel.h, sysfs and debugfs.
 */

#include <linux/bitfield.h>
#include <linux/dma-mapping.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>

#include "ember_accel.h"
#include "ember_client.h"
#include "ember_data.h"
#include "ember_sched.h"
#include "ember_debugfs.h"
#include "ember_drv.h"
#include "ember_ioctl.h"
#include "ember_irq.h"
#include "ember_mbox.h"
#include "ember_reset.h"
#include "ember_sysfs.h"
#include "ember_telemetry.h"

bool ember_force_single_msi;
module_param_named(force_single_msi, ember_force_single_msi, bool, 0444);
MODULE_PARM_DESC(force_single_msi,
		 "Use one shared interrupt vector even when MSI-X offers one per DBC (default: false)");

static const char *const ember_state_names[] = {
	[EMBER_STATE_OFFLINE] = "offline",
	[EMBER_STATE_ONLINE] = "online",
	[EMBER_STATE_RESETTING] = "resetting",
	[EMBER_STATE_FAILED] = "failed",
};

/**
 * ember_state_name() - printable name of a device state
 * @state: state
 *
 * Return: a static string.
 */
const char *ember_state_name(enum ember_state state)
{
	if (state >= ARRAY_SIZE(ember_state_names))
		return "unknown";
	return ember_state_names[state];
}

/**
 * ember_hw_wait_ready() - wait for EMBER_DEV_STATUS.READY
 * @edev: device
 * @status: where to store the last EMBER_DEV_STATUS value read
 *
 * Sleeps; at most EMBER_READY_TIMEOUT_US.
 *
 * Return: 0 when READY is set, -ETIMEDOUT otherwise.
 */
int ember_hw_wait_ready(struct ember_device *edev, u32 *status)
{
	return readl_poll_timeout(edev->regs + EMBER_DEV_STATUS, *status,
				  *status != U32_MAX &&
				  (*status & EMBER_DEV_STATUS_READY),
				  USEC_PER_MSEC, EMBER_READY_TIMEOUT_US);
}

/**
 * ember_hw_start() - let the device work: program interrupt routing, unmask
 *	every source and set EMBER_DEV_CTRL.ENABLE
 * @edev: device, READY, with its vectors requested
 *
 * Used at probe and after a reset (a reset clears all of it). Caller holds
 * &ember_device.hw_lock.
 */
void ember_hw_start(struct ember_device *edev)
{
	lockdep_assert_held(&edev->hw_lock);

	ember_irq_hw_setup(edev);
	ember_irq_hw_enable(edev);
	ember_wr(edev, EMBER_DEV_CTRL, EMBER_DEV_CTRL_ENABLE);
	WRITE_ONCE(edev->state, EMBER_STATE_ONLINE);
}

/**
 * ember_hw_stop() - quiesce the device: clear EMBER_DEV_CTRL.ENABLE, mask
 *	every interrupt source and wait for running handlers
 * @edev: device
 * @state: state to enter
 *
 * After it returns no handler runs and none will be invoked for this
 * device until ember_hw_start(), and no mailbox reply work is queued or
 * running (a handler may have queued it until the sources were masked).
 * Caller holds &ember_device.hw_lock.
 */
void ember_hw_stop(struct ember_device *edev, enum ember_state state)
{
	lockdep_assert_held(&edev->hw_lock);

	WRITE_ONCE(edev->state, state);
	ember_wr(edev, EMBER_DEV_CTRL, 0);
	ember_irq_hw_disable(edev);
	ember_irq_synchronize(edev);
	cancel_work_sync(&edev->mbox.rsp_work);
}

static int ember_pci_init(struct ember_device *edev)
{
	struct pci_dev *pdev = edev->pdev;
	struct device *dev = &pdev->dev;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return dev_err_probe(dev, ret, "cannot enable PCI device\n");

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return dev_err_probe(dev, ret, "no usable 64-bit DMA mask\n");
	dma_set_max_seg_size(dev, UINT_MAX);

	if (!(pci_resource_flags(pdev, EMBER_BAR_REGS) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, EMBER_BAR_REGS) < EMBER_REGS_MIN_LEN) {
		dev_err(dev, "BAR%d is not a memory BAR of at least %#x bytes\n",
			EMBER_BAR_REGS, EMBER_REGS_MIN_LEN);
		return -ENODEV;
	}
	edev->info.regs_len = pci_resource_len(pdev, EMBER_BAR_REGS);
	/* Device memory is reached by DMA; BAR2 is not mapped (yet). */
	edev->info.devmem_bar_len = pci_resource_len(pdev, EMBER_BAR_DEVMEM);

	edev->regs = pcim_iomap_region(pdev, EMBER_BAR_REGS, EMBER_DRIVER_NAME);
	if (IS_ERR(edev->regs))
		return dev_err_probe(dev, PTR_ERR(edev->regs),
				     "cannot map BAR%d\n", EMBER_BAR_REGS);

	pci_set_master(pdev);
	return 0;
}

static int ember_hw_read_info(struct ember_device *edev)
{
	struct ember_hw_info *info = &edev->info;
	struct pci_dev *pdev = edev->pdev;
	struct device *dev = &pdev->dev;
	u32 id, val, status;
	int ret;

	id = ember_rd(edev, EMBER_ID);
	if (id != EMBER_ID_MAGIC) {
		dev_err(dev, "EMBER_ID reads %#010x, expected %#010x: %s\n",
			id, EMBER_ID_MAGIC,
			id == U32_MAX ? "device not responding" : "not an ember device");
		return -ENODEV;
	}

	info->hw_version = ember_rd(edev, EMBER_HW_VERSION);
	if (FIELD_GET(EMBER_HW_VERSION_MAJOR, info->hw_version) !=
	    EMBER_HW_MAJOR_SUPPORTED) {
		dev_err(dev, "unsupported hardware version %u.%u: this driver supports major version %u only\n",
			FIELD_GET(EMBER_HW_VERSION_MAJOR, info->hw_version),
			FIELD_GET(EMBER_HW_VERSION_MINOR, info->hw_version),
			EMBER_HW_MAJOR_SUPPORTED);
		return -ENODEV;
	}

	ret = ember_hw_wait_ready(edev, &status);
	if (ret) {
		dev_err(dev, "device not ready (EMBER_DEV_STATUS %#x%s%s)\n",
			status,
			status & EMBER_DEV_STATUS_HALTED ? ", halted" : "",
			status & EMBER_DEV_STATUS_RESET_FAILED ? ", reset failed" : "");
		return ret;
	}

	info->pci_vendor = pdev->vendor;
	info->pci_device = pdev->device;
	info->pci_revision = pdev->revision;
	info->caps = ember_rd(edev, EMBER_CAPS);

	val = ember_rd(edev, EMBER_DBC_INFO);
	info->num_dbcs = FIELD_GET(EMBER_DBC_INFO_COUNT, val);
	info->first_dbc = FIELD_GET(EMBER_DBC_INFO_FIRST, val);
	if (info->num_dbcs > EMBER_MAX_DBCS) {
		dev_err(dev, "device reports %u DBCs, at most %u are defined\n",
			info->num_dbcs, EMBER_MAX_DBCS);
		return -ENODEV;
	}

	info->devmem_size = ember_rd(edev, EMBER_DEVMEM_SIZE_LO) |
			    (u64)ember_rd(edev, EMBER_DEVMEM_SIZE_HI) << 32;

	val = ember_rd(edev, EMBER_FUNC_INFO);
	info->is_vf = val & EMBER_FUNC_INFO_IS_VF;
	info->vf_index = FIELD_GET(EMBER_FUNC_INFO_VF_INDEX, val);

	info->serial = ember_rd(edev, EMBER_SERIAL_LO) |
		       (u64)ember_rd(edev, EMBER_SERIAL_HI) << 32;
	info->fw_mgmt = ember_rd(edev, EMBER_FW_MGMT_VERSION);
	info->fw_dbc = ember_rd(edev, EMBER_FW_DBC_VERSION);
	info->fw_boot = ember_rd(edev, EMBER_FW_BOOT_VERSION);
	info->fw_nnc = ember_rd(edev, EMBER_FW_NNC_VERSION);

	if (!info->is_vf && info->devmem_bar_len < info->devmem_size)
		dev_warn(dev, "BAR%d (%pa bytes) is smaller than device memory (%llu bytes)\n",
			 EMBER_BAR_DEVMEM, &info->devmem_bar_len,
			 info->devmem_size);
	return 0;
}

/* EMBER_DEV_CTRL.SOFT_RESET (docs/hardware.md §7.4), then wait for READY. */
static int ember_hw_soft_reset(struct ember_device *edev)
{
	u32 status;
	int ret;

	ember_wr(edev, EMBER_DEV_CTRL, EMBER_DEV_CTRL_SOFT_RESET);
	ret = ember_hw_wait_ready(edev, &status);
	if (ret)
		dev_err(&edev->pdev->dev,
			"device not ready after soft reset (EMBER_DEV_STATUS %#x)\n",
			status);
	return ret;
}

static int ember_dbcs_init(struct ember_device *edev)
{
	unsigned int i;

	if (!edev->info.num_dbcs)
		return 0;

	edev->dbcs = drmm_kcalloc(&edev->drm, edev->info.num_dbcs,
				  sizeof(*edev->dbcs), GFP_KERNEL);
	if (!edev->dbcs)
		return -ENOMEM;

	for (i = 0; i < edev->info.num_dbcs; i++) {
		edev->dbcs[i].edev = edev;
		edev->dbcs[i].id = i;
		spin_lock_init(&edev->dbcs[i].lock);
		edev->dbcs[i].regs = edev->regs + EMBER_DBC_BASE(i);
	}
	return ember_sched_dbcs_init(edev);
}

static int ember_open(struct drm_device *drm, struct drm_file *file)
{
	struct ember_device *edev = to_ember_device(drm);
	int idx, ret;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ret = ember_client_open(edev, file);
	drm_dev_exit(idx);
	return ret;
}

static void ember_postclose(struct drm_device *drm, struct drm_file *file)
{
	ember_client_close(file->driver_priv);
}

static const struct drm_ioctl_desc ember_drm_ioctls[] = {
	DRM_IOCTL_DEF_DRV(EMBER_GET_INFO, ember_ioctl_get_info, 0),
	DRM_IOCTL_DEF_DRV(EMBER_MANAGE, ember_ioctl_manage, 0),
	DRM_IOCTL_DEF_DRV(EMBER_CREATE_BO, ember_ioctl_create_bo, 0),
	DRM_IOCTL_DEF_DRV(EMBER_MMAP_BO, ember_ioctl_mmap_bo, 0),
	DRM_IOCTL_DEF_DRV(EMBER_ATTACH_SLICE_BO, ember_ioctl_attach_slice_bo, 0),
	DRM_IOCTL_DEF_DRV(EMBER_EXECUTE_BO, ember_ioctl_execute_bo, 0),
	DRM_IOCTL_DEF_DRV(EMBER_PARTIAL_EXECUTE_BO,
			  ember_ioctl_partial_execute_bo, 0),
	DRM_IOCTL_DEF_DRV(EMBER_WAIT_BO, ember_ioctl_wait_bo, 0),
	DRM_IOCTL_DEF_DRV(EMBER_PERF_STATS_BO, ember_ioctl_perf_stats_bo, 0),
	DRM_IOCTL_DEF_DRV(EMBER_DETACH_SLICE_BO, ember_ioctl_detach_slice_bo, 0),
};

/*
 * GEM_FLINK and GEM_OPEN share BOs through global names any client can
 * guess. Accel user space shares BOs with PRIME file descriptors, so ember
 * refuses both for every caller (the DRM core lets an authenticated, that
 * is CAP_SYS_ADMIN, accel client use them). The driver only sees core
 * ioctls here, before drm_ioctl() dispatches them.
 */
static bool ember_ioctl_refused(unsigned int cmd)
{
	/* drm_ioctl() dispatches on the number alone, whatever size or dir. */
	return _IOC_TYPE(cmd) == DRM_IOCTL_BASE &&
	       (_IOC_NR(cmd) == _IOC_NR(DRM_IOCTL_GEM_FLINK) ||
		_IOC_NR(cmd) == _IOC_NR(DRM_IOCTL_GEM_OPEN));
}

static long ember_unlocked_ioctl(struct file *filp, unsigned int cmd,
				 unsigned long arg)
{
	if (ember_ioctl_refused(cmd))
		return -EOPNOTSUPP;
	return drm_ioctl(filp, cmd, arg);
}

#ifdef CONFIG_COMPAT
static long ember_compat_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	if (ember_ioctl_refused(cmd))
		return -EOPNOTSUPP;
	return drm_compat_ioctl(filp, cmd, arg);
}
#endif

/* DRM_ACCEL_FOPS with the ioctl entries above. */
static const struct file_operations ember_accel_fops = {
	.owner = THIS_MODULE,
	.open = accel_open,
	.release = drm_release,
	.unlocked_ioctl = ember_unlocked_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = ember_compat_ioctl,
#endif
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	.mmap = drm_gem_mmap,
	.show_fdinfo = drm_show_fdinfo,
#ifdef FOP_UNSIGNED_OFFSET
	.fop_flags = FOP_UNSIGNED_OFFSET,
#endif
};

static const struct drm_driver ember_drm_driver = {
	/* DRIVER_GEM: DRM_ACCEL_FOPS mmap needs the GEM offset manager. */
	.driver_features = DRIVER_COMPUTE_ACCEL | DRIVER_GEM,
	.name = EMBER_DRIVER_NAME,
	.desc = EMBER_DRIVER_DESC,
#ifdef EMBER_HAVE_DRM_DRIVER_DATE
	.date = EMBER_DRM_DRIVER_DATE,
#endif
	.major = EMBER_ABI_MAJOR,
	.minor = EMBER_ABI_MINOR,
	.patchlevel = EMBER_ABI_PATCH,
	.open = ember_open,
	.postclose = ember_postclose,
	.show_fdinfo = ember_client_show_fdinfo,
	.gem_create_object = ember_gem_create_object,
	.ioctls = ember_drm_ioctls,
	.num_ioctls = ARRAY_SIZE(ember_drm_ioctls),
	.fops = &ember_accel_fops,
};

static void ember_log_probe(struct ember_device *edev)
{
	const struct ember_hw_info *info = &edev->info;

	dev_info(&edev->pdev->dev,
		 "ember %s hw %u.%u, %u DBC%s, %llu MiB device memory, serial %#llx, fw mgmt %u.%u.%u, accel%d, irq %s (%u vector%s)\n",
		 info->is_vf ? "VF" : "PF",
		 FIELD_GET(EMBER_HW_VERSION_MAJOR, info->hw_version),
		 FIELD_GET(EMBER_HW_VERSION_MINOR, info->hw_version),
		 info->num_dbcs, info->num_dbcs == 1 ? "" : "s",
		 info->devmem_size >> 20, info->serial,
		 FIELD_GET(EMBER_FW_VER_MAJOR, info->fw_mgmt),
		 FIELD_GET(EMBER_FW_VER_MINOR, info->fw_mgmt),
		 FIELD_GET(EMBER_FW_VER_PATCH, info->fw_mgmt),
		 edev->drm.accel->index, ember_irq_mode_name(edev),
		 edev->irq.num_vectors, edev->irq.num_vectors == 1 ? "" : "s");
}

/*
 * Quiesce the function (probe's error path, remove, shutdown): fail the
 * messages in flight first, so that MANAGE calls and closes waiting for
 * the firmware return now; stop the device; with @gone also reset every
 * DBC and free the clients' rings, for good: files may stay open after
 * remove(), but the device must not touch their memory any more.
 */
static void ember_quiesce(struct ember_device *edev, bool gone)
{
	ember_mbox_stop(edev, -ENODEV);
	mutex_lock(&edev->hw_lock);
	ember_hw_stop(edev, EMBER_STATE_OFFLINE);
	mutex_unlock(&edev->hw_lock);
	if (gone)
		ember_dbcs_invalidate(edev, true);
}

static int ember_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ember_device *edev;
	int ret;

	edev = devm_drm_dev_alloc(&pdev->dev, &ember_drm_driver,
				  struct ember_device, drm);
	if (IS_ERR(edev))
		return PTR_ERR(edev);
	edev->pdev = pdev;
	edev->state = EMBER_STATE_OFFLINE;
	pci_set_drvdata(pdev, edev);
	ember_irq_state_init(edev);

	ret = drmm_mutex_init(&edev->drm, &edev->hw_lock);
	if (ret)
		return ret;
	ret = ember_clients_init(edev);
	if (ret)
		return ret;
	ret = ember_wl_init(edev);
	if (ret)
		return ret;

	ret = ember_pci_init(edev);
	if (ret)
		return ret;

	ret = ember_hw_read_info(edev);
	if (ret)
		return ret;

	/*
	 * Start from a clean function: a soft reset drops what a previous
	 * driver instance left in the firmware (negotiated features, DBCs and
	 * transfers of client handles this instance will hand out again).
	 * Then stay quiet until the handlers are in place.
	 */
	ret = ember_hw_soft_reset(edev);
	if (ret)
		return ret;
	ember_irq_hw_disable(edev);

	ret = ember_dbcs_init(edev);
	if (ret)
		return ret;

	/* Before the IRQs: the management handler queues the mailbox work. */
	ret = ember_mbox_init(edev);
	if (ret)
		return ret;

	/* Vectors and handlers are devres-managed: freed after remove(). */
	ret = ember_irq_init(edev);
	if (ret)
		return ret;

	mutex_lock(&edev->hw_lock);
	ember_hw_start(edev);
	mutex_unlock(&edev->hw_lock);

	/* Nothing is sent to firmware of an NNC major the driver cannot speak. */
	ret = ember_mbox_check_version(edev);
	if (ret)
		goto err_stop;
	ret = ember_mbox_start(edev);
	if (ret) {
		dev_err(&pdev->dev, "management mailbox unusable: %d\n", ret);
		goto err_stop;
	}

	ret = ember_hwmon_init(edev);
	if (ret) {
		dev_err(&pdev->dev, "cannot register hwmon device: %d\n", ret);
		goto err_stop;
	}
	ember_debugfs_init(edev);

	ret = drm_dev_register(&edev->drm, 0);
	if (ret) {
		dev_err(&pdev->dev, "cannot register DRM device: %d\n", ret);
		goto err_stop;
	}

	ember_log_probe(edev);
	return 0;

err_stop:
	/* No file was opened: there are no rings to free. */
	ember_quiesce(edev, false);
	return ret;
}

static void ember_remove(struct pci_dev *pdev)
{
	struct ember_device *edev = pci_get_drvdata(pdev);

	/* Waiters on the firmware return before drm_dev_unplug() waits. */
	ember_quiesce(edev, true);

	/*
	 * No new file, ioctl or debugfs access from here on; in-flight ones
	 * have finished when drm_dev_unplug() returns. The IRQs are freed by
	 * devres after this function returns, before the vectors, the BAR
	 * mapping and (last) the DRM device reference, so no handler can run
	 * on freed memory.
	 */
	drm_dev_unplug(&edev->drm);
}

static void ember_shutdown(struct pci_dev *pdev)
{
	struct ember_device *edev = pci_get_drvdata(pdev);

	/* Stop DMA and interrupts before reboot or kexec. */
	ember_quiesce(edev, true);
}

static const struct pci_device_id ember_pci_ids[] = {
	{ PCI_DEVICE(EMBER_PCI_VENDOR, EMBER_PCI_DEVICE_PF) },
	{ }
};
MODULE_DEVICE_TABLE(pci, ember_pci_ids);

static const struct pci_error_handlers ember_pci_err_handlers = {
	.reset_prepare = ember_reset_prepare,
	.reset_done = ember_reset_done,
};

static struct pci_driver ember_pci_driver = {
	.name = EMBER_DRIVER_NAME,
	.id_table = ember_pci_ids,
	.probe = ember_probe,
	.remove = ember_remove,
	.shutdown = ember_shutdown,
	.err_handler = &ember_pci_err_handlers,
	.groups = ember_sysfs_drv_groups,
	.dev_groups = ember_sysfs_dev_groups,
};
module_pci_driver(ember_pci_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DRM accel driver for the " EMBER_DRIVER_DESC);
MODULE_AUTHOR("ember developers");
MODULE_VERSION(EMBER_DRIVER_VERSION);
