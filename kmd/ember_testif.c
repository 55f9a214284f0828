// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember test interfaces: the debugfs directory test/ under the device's
 * debugfs directory (/sys/kernel/debug/accel/<pci name>/test/). They drive
 * the emulated device's test registers, which a production card does not
 * expose, and exist only when the device reports the fault-injection block
 * (EMBER_CAP_FAULT, docs/hardware.md §2.7; always set by the model):
 *
 *   test_irq        write a source number to raise its test interrupt;
 *                   read one "<source>: <count>" line per source
 *   fault           fault-injection registers: read "<name>: <value>"
 *                   lines, write "<name> <value>"
 *   dbc_service_ns  EMBER_DBC_SERVICE_NS of every DBC (the model's service
 *                   time per request, docs/hardware.md §5.4): read
 *                   "dbc<i>: <ns>" lines, write "<i> <ns>"
 *
 * They are for tests and benchmarks, not a stable ABI (docs/sysfs.md,
 * "Test interfaces"). Every register access goes through
 * ember_debugfs_hw_enter().
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <drm/drm_drv.h>

#include "ember_debugfs.h"
#include "ember_drv.h"
#include "ember_irq.h"
#include "ember_testif.h"

static int ember_test_irq_show(struct seq_file *m, void *data)
{
	struct ember_device *edev = m->private;
	unsigned int i;

	for (i = 0; i < edev->irq.num_sources; i++)
		seq_printf(m, "%s: %lld\n", edev->irq.sources[i].name,
			   atomic64_read(&edev->irq.sources[i].test));
	return 0;
}

static ssize_t ember_test_irq_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct ember_device *edev = m->private;
	unsigned int source;
	int idx, ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &source);
	if (ret)
		return ret;

	if (!drm_dev_enter(&edev->drm, &idx))
		return -ENODEV;
	ret = ember_irq_fire_test(edev, source);
	drm_dev_exit(idx);

	return ret ? ret : count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(ember_test_irq);

/**
 * struct ember_fault_reg - a fault-injection register of the fault file
 * @name: name written and shown, as in docs/hardware.md without EMBER_FI_
 * @offset: BAR0 offset
 */
struct ember_fault_reg {
	const char *name;
	u32 offset;
};

static const struct ember_fault_reg ember_fault_regs[] = {
	{ "dbc_hang", EMBER_FI_DBC_HANG },
	{ "drop_irq", EMBER_FI_DROP_IRQ },
	{ "corrupt_rsp", EMBER_FI_CORRUPT_RSP },
	{ "ras", EMBER_FI_RAS },
	{ "fail_flr", EMBER_FI_FAIL_FLR },
	{ "mbox_drop", EMBER_FI_MBOX_DROP },
	{ "mbox_delay_ms", EMBER_FI_MBOX_DELAY_MS },
	{ "mbox_corrupt", EMBER_FI_MBOX_CORRUPT },
	{ "dup_rsp", EMBER_FI_DUP_RSP },
};

static int ember_fault_show(struct seq_file *m, void *data)
{
	struct ember_device *edev = m->private;
	unsigned int i;
	int idx, ret;

	ret = ember_debugfs_hw_enter(edev, &idx);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(ember_fault_regs); i++)
		seq_printf(m, "%s: %u\n", ember_fault_regs[i].name,
			   ember_rd(edev, ember_fault_regs[i].offset));
	ember_debugfs_hw_exit(edev, idx);
	return 0;
}

static ssize_t ember_fault_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct ember_device *edev = m->private;
	const struct ember_fault_reg *reg = NULL;
	char buf[48], *name, *value, *p;
	unsigned int i;
	int idx, ret;
	u32 val;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	p = strim(buf);
	name = strsep(&p, " \t");
	value = p ? skip_spaces(p) : NULL;
	if (!value)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(ember_fault_regs); i++)
		if (!strcmp(name, ember_fault_regs[i].name))
			reg = &ember_fault_regs[i];
	if (!reg)
		return -EINVAL;
	ret = kstrtou32(value, 0, &val);
	if (ret)
		return ret;

	ret = ember_debugfs_hw_enter(edev, &idx);
	if (ret)
		return ret;
	ember_wr(edev, reg->offset, val);
	ember_debugfs_hw_exit(edev, idx);
	return count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(ember_fault);

/*
 * dbc_service_ns: the device model's per-request service time of each DBC
 * (a test knob of the emulated hardware, like the fault registers: BAR0
 * cannot be mapped from user space while the driver owns it). ACTIVATE
 * keeps it (docs/nnc.md §15.3), a function reset restores the property.
 */
static int ember_service_ns_show(struct seq_file *m, void *data)
{
	struct ember_device *edev = m->private;
	unsigned int i;
	int idx, ret;

	ret = ember_debugfs_hw_enter(edev, &idx);
	if (ret)
		return ret;
	for (i = 0; i < edev->info.num_dbcs; i++)
		seq_printf(m, "dbc%u: %u\n", i,
			   ember_rd(edev, EMBER_DBC_BASE(i) +
				    EMBER_DBC_SERVICE_NS));
	ember_debugfs_hw_exit(edev, idx);
	return 0;
}

static ssize_t ember_service_ns_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct ember_device *edev = m->private;
	unsigned int dbc;
	char buf[32];
	int idx, ret;
	u32 ns;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%u %u", &dbc, &ns) != 2 ||
	    dbc >= edev->info.num_dbcs)
		return -EINVAL;

	ret = ember_debugfs_hw_enter(edev, &idx);
	if (ret)
		return ret;
	ember_wr(edev, EMBER_DBC_BASE(dbc) + EMBER_DBC_SERVICE_NS, ns);
	ember_debugfs_hw_exit(edev, idx);
	return count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(ember_service_ns);

/**
 * ember_testif_init() - create the test/ debugfs directory of a device
 * @edev: device, not registered yet; its DRM debugfs directory exists
 *
 * Nothing is created unless the device has the fault-injection block. The
 * directory is removed with the DRM device's. Errors are ignored, as
 * debugfs errors should be.
 */
void ember_testif_init(struct ember_device *edev)
{
	struct dentry *dir;

	if (!(edev->info.caps & EMBER_CAP_FAULT))
		return;
	dir = debugfs_create_dir("test", edev->drm.debugfs_root);
	debugfs_create_file("test_irq", 0600, dir, edev, &ember_test_irq_fops);
	debugfs_create_file("fault", 0600, dir, edev, &ember_fault_fops);
	debugfs_create_file("dbc_service_ns", 0600, dir, edev,
			    &ember_service_ns_fops);
}
