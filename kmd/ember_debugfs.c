// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember debugfs files, in the DRM device's debugfs directory
 * (/sys/kernel/debug/accel/<pci name>/ on 6.12):
 *
 *   info       the probe-time snapshot and driver state
 *   irq_stats  interrupt mode, per-vector and per-source counters
 *   regs       dump of the global, firmware, telemetry, fault-injection,
 *              RAS, mailbox and DBC registers (reads the hardware)
 *   mbox       management mailbox state and counters
 *   clients    one line per open file: handle, process, DBCs, workloads
 *   dbcs       owner of every DBC, DMA memory held in rings
 *   datapath   response servicing mode and parameters, then one line of
 *              counters per DBC: "dbc<i> interrupts=N polls=N ..."
 *   workloads  every workload the driver recorded: id, owner, pins, regions
 *   test/      the test interfaces of the emulated device (ember_testif.c)
 *
 * The files are removed by drm_dev_unplug() before the hardware goes away.
 */

#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "ember_accel.h"
#include "ember_debugfs.h"
#include "ember_drv.h"
#include "ember_irq.h"
#include "ember_mbox.h"
#include "ember_nnc.h"
#include "ember_poll.h"
#include "ember_sched.h"
#include "ember_testif.h"
#include "ember_workload.h"

/**
 * struct ember_reg_name - a register shown by the regs file
 * @offset: BAR0 offset (relative to the DBC block for DBC registers)
 * @name: register name as in docs/hardware.md
 */
struct ember_reg_name {
	u32 offset;
	const char *name;
};

#define EMBER_REG(r)	{ r, #r }

static const struct ember_reg_name ember_global_regs[] = {
	EMBER_REG(EMBER_ID),
	EMBER_REG(EMBER_HW_VERSION),
	EMBER_REG(EMBER_CAPS),
	EMBER_REG(EMBER_DBC_INFO),
	EMBER_REG(EMBER_DEVMEM_SIZE_LO),
	EMBER_REG(EMBER_DEVMEM_SIZE_HI),
	EMBER_REG(EMBER_FUNC_INFO),
	EMBER_REG(EMBER_SCRATCH),
	EMBER_REG(EMBER_DEV_CTRL),
	EMBER_REG(EMBER_DEV_STATUS),
	EMBER_REG(EMBER_IRQ_CTRL),
	EMBER_REG(EMBER_IRQ_STATUS),
	EMBER_REG(EMBER_IRQ_MASK),
	EMBER_REG(EMBER_TEST_IRQ_STATUS),
	EMBER_REG(EMBER_MGMT_CAUSE),
	EMBER_REG(EMBER_RESET_COUNT),
	EMBER_REG(EMBER_RESET_CAUSE),
	EMBER_REG(EMBER_SERIAL_LO),
	EMBER_REG(EMBER_SERIAL_HI),
	EMBER_REG(EMBER_MBOX_REQ_BASE_LO),
	EMBER_REG(EMBER_MBOX_REQ_BASE_HI),
	EMBER_REG(EMBER_MBOX_RSP_BASE_LO),
	EMBER_REG(EMBER_MBOX_RSP_BASE_HI),
	EMBER_REG(EMBER_MBOX_DEPTH),
	EMBER_REG(EMBER_MBOX_REQ_HEAD),
	EMBER_REG(EMBER_MBOX_REQ_TAIL),
	EMBER_REG(EMBER_MBOX_RSP_HEAD),
	EMBER_REG(EMBER_MBOX_RSP_TAIL),
	EMBER_REG(EMBER_MBOX_CTRL),
	EMBER_REG(EMBER_MBOX_STATUS),
	EMBER_REG(EMBER_FW_MGMT_VERSION),
	EMBER_REG(EMBER_FW_DBC_VERSION),
	EMBER_REG(EMBER_FW_BOOT_VERSION),
	EMBER_REG(EMBER_FW_NNC_VERSION),
	EMBER_REG(EMBER_TEL_TEMP_MC),
	EMBER_REG(EMBER_TEL_TEMP_CRIT_MC),
	EMBER_REG(EMBER_TEL_POWER_MW),
	EMBER_REG(EMBER_TEL_POWER_CAP_MW),
	EMBER_REG(EMBER_TEL_CORE_CLK_MHZ),
	EMBER_REG(EMBER_TEL_MEM_CLK_MHZ),
	EMBER_REG(EMBER_TEL_ECC_CE),
	EMBER_REG(EMBER_TEL_ECC_UE),
	/* _LO first: reading it latches _HI. */
	EMBER_REG(EMBER_TEL_TIMESTAMP_LO),
	EMBER_REG(EMBER_TEL_TIMESTAMP_HI),
	EMBER_REG(EMBER_FI_DBC_HANG),
	EMBER_REG(EMBER_FI_DROP_IRQ),
	EMBER_REG(EMBER_FI_CORRUPT_RSP),
	EMBER_REG(EMBER_FI_FAIL_FLR),
	EMBER_REG(EMBER_FI_MBOX_DROP),
	EMBER_REG(EMBER_FI_MBOX_DELAY_MS),
	EMBER_REG(EMBER_FI_MBOX_CORRUPT),
	EMBER_REG(EMBER_FI_DUP_RSP),
	EMBER_REG(EMBER_RAS_STATUS),
	EMBER_REG(EMBER_RAS_DBC),
};

static const struct ember_reg_name ember_dbc_regs[] = {
	EMBER_REG(EMBER_DBC_REQ_BASE_LO),
	EMBER_REG(EMBER_DBC_REQ_BASE_HI),
	EMBER_REG(EMBER_DBC_RSP_BASE_LO),
	EMBER_REG(EMBER_DBC_RSP_BASE_HI),
	EMBER_REG(EMBER_DBC_RING_SIZE),
	EMBER_REG(EMBER_DBC_REQ_HEAD),
	EMBER_REG(EMBER_DBC_REQ_TAIL),
	EMBER_REG(EMBER_DBC_RSP_HEAD),
	EMBER_REG(EMBER_DBC_RSP_TAIL),
	EMBER_REG(EMBER_DBC_CTRL),
	EMBER_REG(EMBER_DBC_STATUS),
	EMBER_REG(EMBER_DBC_SERVICE_NS),
	EMBER_REG(EMBER_DBC_COMPLETED_LO),
	EMBER_REG(EMBER_DBC_COMPLETED_HI),
	EMBER_REG(EMBER_DBC_BUSY_NS_LO),
	EMBER_REG(EMBER_DBC_BUSY_NS_HI),
	EMBER_REG(EMBER_DBC_IRQ_COUNT),
	EMBER_REG(EMBER_DBC_ERRORS),
};

static struct ember_device *ember_debugfs_edev(struct seq_file *m)
{
	struct drm_debugfs_entry *entry = m->private;

	return to_ember_device(entry->dev);
}

static int ember_debugfs_info_show(struct seq_file *m, void *data)
{
	struct ember_device *edev = ember_debugfs_edev(m);
	const struct ember_hw_info *info = &edev->info;

	seq_printf(m, "driver_version: %s\n", EMBER_DRIVER_VERSION);
	seq_printf(m, "ioctl_version: %u.%u.%u\n", EMBER_ABI_MAJOR,
		   EMBER_ABI_MINOR, EMBER_ABI_PATCH);
	seq_printf(m, "pci: %s %04x:%04x rev %02x\n", pci_name(edev->pdev),
		   info->pci_vendor, info->pci_device, info->pci_revision);
	if (info->is_vf)
		seq_printf(m, "function: vf %u\n", info->vf_index);
	else
		seq_puts(m, "function: pf\n");
	seq_printf(m, "hw_version: %u.%u\n",
		   FIELD_GET(EMBER_HW_VERSION_MAJOR, info->hw_version),
		   FIELD_GET(EMBER_HW_VERSION_MINOR, info->hw_version));
	seq_printf(m, "caps: %#x\n", info->caps);
	seq_printf(m, "dbcs: %u\n", info->num_dbcs);
	seq_printf(m, "first_dbc: %u\n", info->first_dbc);
	seq_printf(m, "devmem_size: %llu\n", info->devmem_size);
	seq_printf(m, "regs_bar_size: %llu\n", (u64)info->regs_len);
	seq_printf(m, "devmem_bar_size: %llu\n", (u64)info->devmem_bar_len);
	seq_printf(m, "serial: %#018llx\n", info->serial);
	seq_printf(m, "fw_mgmt: %u.%u.%u\n",
		   FIELD_GET(EMBER_FW_VER_MAJOR, info->fw_mgmt),
		   FIELD_GET(EMBER_FW_VER_MINOR, info->fw_mgmt),
		   FIELD_GET(EMBER_FW_VER_PATCH, info->fw_mgmt));
	seq_printf(m, "fw_dbc: %u.%u.%u\n",
		   FIELD_GET(EMBER_FW_VER_MAJOR, info->fw_dbc),
		   FIELD_GET(EMBER_FW_VER_MINOR, info->fw_dbc),
		   FIELD_GET(EMBER_FW_VER_PATCH, info->fw_dbc));
	seq_printf(m, "fw_boot: %u.%u.%u\n",
		   FIELD_GET(EMBER_FW_VER_MAJOR, info->fw_boot),
		   FIELD_GET(EMBER_FW_VER_MINOR, info->fw_boot),
		   FIELD_GET(EMBER_FW_VER_PATCH, info->fw_boot));
	seq_printf(m, "fw_nnc: %u.%u\n",
		   FIELD_GET(EMBER_NNC_VER_MAJOR, info->fw_nnc),
		   FIELD_GET(EMBER_NNC_VER_MINOR, info->fw_nnc));
	seq_printf(m, "irq_mode: %s\n", ember_irq_mode_name(edev));
	seq_printf(m, "irq_vectors: %u\n", edev->irq.num_vectors);
	seq_printf(m, "state: %s\n", ember_state_name(READ_ONCE(edev->state)));

	mutex_lock(&edev->hw_lock);
	seq_printf(m, "resets: %u\n", edev->resets);
	mutex_unlock(&edev->hw_lock);

	mutex_lock(&edev->clients_lock);
	seq_printf(m, "clients: %u\n", edev->num_clients);
	mutex_unlock(&edev->clients_lock);
	return 0;
}

static int ember_debugfs_irq_stats_show(struct seq_file *m, void *data)
{
	struct ember_device *edev = ember_debugfs_edev(m);
	struct ember_irq *irq = &edev->irq;
	u64 spurious = 0;
	unsigned int i;

	seq_printf(m, "mode: %s\n", ember_irq_mode_name(edev));
	seq_printf(m, "vectors: %u\n", irq->num_vectors);
	seq_printf(m, "sources: %u\n", irq->num_sources);
	if (irq->single_reason)
		seq_printf(m, "single_reason: %s\n", irq->single_reason);

	for (i = 0; i < irq->num_vectors; i++) {
		struct ember_irq_vector *vec = &irq->vectors[i];
		u64 s = atomic64_read(&vec->spurious);

		seq_printf(m, "vector%u: irq=%d name=%s received=%lld spurious=%llu\n",
			   i, vec->irq, vec->name,
			   atomic64_read(&vec->received), s);
		spurious += s;
	}
	for (i = 0; i < irq->num_sources; i++)
		seq_printf(m, "source%u: name=%s events=%lld test=%lld\n", i,
			   irq->sources[i].name,
			   atomic64_read(&irq->sources[i].events),
			   atomic64_read(&irq->sources[i].test));
	seq_printf(m, "mgmt_mbox: %lld\n", atomic64_read(&irq->mgmt_mbox));
	seq_printf(m, "mgmt_ras: %lld\n", atomic64_read(&irq->mgmt_ras));
	seq_printf(m, "spurious: %llu\n", spurious);
	return 0;
}

/* One "NAME OFFSET VALUE" line per register; DBC registers as NAME(i). */
static void ember_debugfs_dump(struct seq_file *m, struct ember_device *edev,
			       const struct ember_reg_name *regs,
			       unsigned int count, u32 base, int dbc)
{
	char name[48];
	unsigned int i;

	for (i = 0; i < count; i++) {
		u32 offset = base + regs[i].offset;

		if (dbc < 0)
			strscpy(name, regs[i].name);
		else
			snprintf(name, sizeof(name), "%s(%d)", regs[i].name, dbc);
		seq_printf(m, "%-28s 0x%04x 0x%08x\n", name, offset,
			   ember_rd(edev, offset));
	}
}

/**
 * ember_debugfs_hw_enter() - begin a debugfs access to BAR0 registers
 * @edev: device
 * @idx: out: the drm_dev_enter() cookie for ember_debugfs_hw_exit()
 *
 * The one access check of the debugfs files that read or write registers.
 * On success &ember_device.hw_lock is held.
 *
 * Return: 0, -ENODEV once the device is gone, -EBUSY while it resets
 * (memory space is disabled: reads would return all ones).
 */
int ember_debugfs_hw_enter(struct ember_device *edev, int *idx)
{
	if (!drm_dev_enter(&edev->drm, idx))
		return -ENODEV;
	mutex_lock(&edev->hw_lock);
	if (edev->state == EMBER_STATE_RESETTING) {
		mutex_unlock(&edev->hw_lock);
		drm_dev_exit(*idx);
		return -EBUSY;
	}
	return 0;
}

/**
 * ember_debugfs_hw_exit() - end an access begun by ember_debugfs_hw_enter()
 * @edev: device
 * @idx: the cookie ember_debugfs_hw_enter() returned
 */
void ember_debugfs_hw_exit(struct ember_device *edev, int idx)
{
	mutex_unlock(&edev->hw_lock);
	drm_dev_exit(idx);
}

static int ember_debugfs_regs_show(struct seq_file *m, void *data)
{
	struct ember_device *edev = ember_debugfs_edev(m);
	unsigned int i;
	int idx, ret;

	ret = ember_debugfs_hw_enter(edev, &idx);
	if (ret)
		return ret;
	ember_debugfs_dump(m, edev, ember_global_regs,
			   ARRAY_SIZE(ember_global_regs), 0, -1);
	for (i = 0; i < edev->info.num_dbcs; i++)
		ember_debugfs_dump(m, edev, ember_dbc_regs,
				   ARRAY_SIZE(ember_dbc_regs),
				   EMBER_DBC_BASE(i), i);
	ember_debugfs_hw_exit(edev, idx);
	return 0;
}

static const char *const ember_mbox_state_names[] = {
	[EMBER_MBOX_OFF] = "off",
	[EMBER_MBOX_NEGOTIATING] = "negotiating",
	[EMBER_MBOX_READY] = "ready",
};

static int ember_debugfs_mbox_show(struct seq_file *m, void *data)
{
	struct ember_device *edev = ember_debugfs_edev(m);
	struct ember_mbox *mbox = &edev->mbox;
	const struct ember_mbox_stats *st = &mbox->stats;
	struct ember_mbox_msg *msg;
	unsigned int in_flight = 0;

	mutex_lock(&mbox->lock);
	list_for_each_entry(msg, &mbox->pending, node)
		in_flight++;
	seq_printf(m, "state: %s\n", ember_mbox_state_names[mbox->state]);
	seq_printf(m, "depth: %u\n", mbox->depth);
	seq_printf(m, "generation: %u\n", mbox->gen);
	seq_printf(m, "features: %#x\n", mbox->features);
	seq_printf(m, "crc: %s\n",
		   mbox->features & EMBER_NNC_FEAT_CRC ? "on" : "off");
	seq_printf(m, "fw_nnc: %u.%u\n", EMBER_NNC_MAJOR, mbox->fw_minor);
	seq_printf(m, "timeout_s: %u\n",
		   max(READ_ONCE(ember_control_resp_timeout_s), 1U));
	seq_printf(m, "in_flight: %u\n", in_flight);
	seq_printf(m, "sent: %llu\n", st->sent);
	seq_printf(m, "replies: %llu\n", st->replies);
	seq_printf(m, "late: %llu\n", st->late);
	seq_printf(m, "stale: %llu\n", st->stale);
	seq_printf(m, "lost: %llu\n", st->lost);
	seq_printf(m, "timeouts: %llu\n", st->timeouts);
	seq_printf(m, "killed: %llu\n", st->killed);
	seq_printf(m, "crc_errors: %llu\n", st->crc_errors);
	seq_printf(m, "bad_replies: %llu\n", st->bad_replies);
	seq_printf(m, "queue_full: %llu\n", st->queue_full);
	mutex_unlock(&mbox->lock);
	return 0;
}

/* "dbcs=0,2 pending=1 dead=0 leaving=0" of a client; under dbc_lock. */
static void ember_debugfs_client_dbcs(struct seq_file *m,
				      const struct ember_client *client)
{
	unsigned int pending = 0, dead = 0, leaving = 0;
	const struct ember_act *act;
	bool any = false;

	seq_puts(m, " dbcs=");
	list_for_each_entry(act, &client->acts, node) {
		if (act->state == EMBER_ACT_LIVE) {
			seq_printf(m, "%s%d", any ? "," : "", act->dbc_id);
			any = true;
		} else if (act->state == EMBER_ACT_PENDING) {
			pending++;
		} else if (act->state == EMBER_ACT_LEAVING) {
			leaving++;
		} else {
			dead++;
		}
	}
	if (!any)
		seq_puts(m, "-");
	seq_printf(m, " pending=%u dead=%u leaving=%u", pending, dead, leaving);
}

static int ember_debugfs_clients_show(struct seq_file *m, void *data)
{
	struct ember_device *edev = ember_debugfs_edev(m);
	struct ember_client *client;

	mutex_lock(&edev->clients_lock);
	list_for_each_entry(client, &edev->clients, node) {
		seq_printf(m, "handle=%u pid=%d comm=%s", client->handle,
			   client->pid, client->comm);
		mutex_lock(&edev->dbc_lock);
		ember_debugfs_client_dbcs(m, client);
		mutex_unlock(&edev->dbc_lock);
		ember_wl_show_client(m, client);
		seq_putc(m, '\n');
	}
	mutex_unlock(&edev->clients_lock);
	return 0;
}

static int ember_debugfs_dbcs_show(struct seq_file *m, void *data)
{
	struct ember_device *edev = ember_debugfs_edev(m);
	const struct ember_act *act;
	unsigned int i;

	mutex_lock(&edev->dbc_lock);
	for (i = 0; i < edev->info.num_dbcs; i++) {
		act = edev->dbcs[i].act;
		if (act)
			seq_printf(m, "dbc%u: owner=%u ring_size=%u\n", i,
				   act->client->handle, act->ring_size);
		else
			seq_printf(m, "dbc%u: free\n", i);
	}
	seq_printf(m, "ring_bytes: %llu\n", edev->ring_bytes);
	mutex_unlock(&edev->dbc_lock);
	return 0;
}

static int ember_debugfs_datapath_show(struct seq_file *m, void *data)
{
	struct ember_device *edev = ember_debugfs_edev(m);
	const struct ember_dbc_stats *st;
	unsigned int i;

	seq_printf(m, "service: %s\n", edev->irq.polling ? "polling" :
		   "interrupts");
	seq_printf(m, "irq_mode: %s\n", ember_irq_mode_name(edev));
	seq_printf(m, "irq_mitigation: %s\n",
		   READ_ONCE(ember_dp_mitigation) ? "on" : "off");
	seq_printf(m, "poll_interval_us: %u\n",
		   READ_ONCE(ember_dp_poll_interval_us));
	seq_printf(m, "poll_window_max_us: %u\n",
		   READ_ONCE(ember_dp_window_max_us));
	seq_printf(m, "poll_coalesce_us: %u\n",
		   READ_ONCE(ember_dp_poll_coalesce_us));
	seq_printf(m, "irq_drain: %s\n",
		   !IS_ENABLED(CONFIG_PREEMPT_RT) &&
		   READ_ONCE(ember_dp_irq_drain) ? "on" : "off");
	seq_printf(m, "direct_submit: %s\n",
		   READ_ONCE(ember_dp_direct_submit) ? "on" : "off");
	seq_printf(m, "irq_follow: %s\n",
		   READ_ONCE(ember_dp_irq_follow) ? "on" : "off");
	for (i = 0; i < edev->info.num_dbcs; i++) {
		st = &edev->dbcs[i].stats;
		seq_printf(m, "dbc%u interrupts=%lld polls=%lld responses=%lld completions=%lld cancelled=%lld timeouts=%lld rearms=%lld gap_ns=%llu rechecks=%lld recoveries=%lld irq_drains=%lld irq_moves=%lld irq_move_failures=%lld direct=%lld poller_runs=%lld\n",
			   i, atomic64_read(&st->interrupts),
			   atomic64_read(&st->polls),
			   atomic64_read(&st->responses),
			   atomic64_read(&st->completions),
			   atomic64_read(&st->cancelled),
			   atomic64_read(&st->timeouts),
			   atomic64_read(&st->rearms),
			   READ_ONCE(edev->dbcs[i].gap_ns),
			   atomic64_read(&st->rechecks),
			   atomic64_read(&st->recoveries),
			   atomic64_read(&st->irq_drains),
			   atomic64_read(&st->irq_moves),
			   atomic64_read(&st->irq_move_failures),
			   atomic64_read(&st->direct),
			   atomic64_read(&st->poller_runs));
	}
	return 0;
}

static int ember_debugfs_workloads_show(struct seq_file *m, void *data)
{
	ember_wl_show(m, ember_debugfs_edev(m));
	return 0;
}

static const struct drm_debugfs_info ember_debugfs_files[] = {
	{ "info", ember_debugfs_info_show, 0 },
	{ "irq_stats", ember_debugfs_irq_stats_show, 0 },
	{ "regs", ember_debugfs_regs_show, 0 },
	{ "mbox", ember_debugfs_mbox_show, 0 },
	{ "clients", ember_debugfs_clients_show, 0 },
	{ "dbcs", ember_debugfs_dbcs_show, 0 },
	{ "datapath", ember_debugfs_datapath_show, 0 },
	{ "workloads", ember_debugfs_workloads_show, 0 },
};

/**
 * ember_debugfs_init() - create the debugfs files of a device
 * @edev: device, not registered yet
 *
 * The directory belongs to the DRM device and is removed with it. Errors
 * are ignored, as debugfs errors should be.
 */
void ember_debugfs_init(struct ember_device *edev)
{
	drm_debugfs_add_files(&edev->drm, ember_debugfs_files,
			      ARRAY_SIZE(ember_debugfs_files));
	ember_testif_init(edev);
}
