/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember workloads: the device-memory regions each client loaded through
 * MANAGE (docs/nnc.md §15), the only device memory its slices may touch
 * (docs/datapath.md).
 */
#ifndef _EMBER_WORKLOAD_H_
#define _EMBER_WORKLOAD_H_

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct ember_client;
struct ember_device;
struct ember_wl_op;
struct ember_wl_set;
struct seq_file;

/**
 * struct ember_wl_dev - the workload records of a device
 * @lock: protects @list, @count, @lost, @nlost, @epoch and the mutable fields of every
 *	&struct ember_workload of the device. Innermost: it may be taken
 *	with &ember_device.clients_lock, &ember_client.lock or
 *	&ember_device.dbc_lock held (a BO's last reference may be dropped
 *	under dbc_lock), and no other lock is taken while it is held.
 * @list: recorded workloads of every client (&struct ember_workload)
 * @count: entries in @list
 * @lost: records a device reset destroyed, kept (at most
 *	EMBER_WL_LOST_MAX, oldest dropped first) until their client closes,
 *	so that a slice naming their memory gets -ENODEV
 * @nlost: entries in @lost
 * @epoch: incremented whenever the firmware forgot every workload (device
 *	reset, removal); a LOAD_WORKLOAD reply of an older epoch is not
 *	recorded
 */
struct ember_wl_dev {
	struct mutex lock; /* see kernel-doc above */
	struct list_head list;
	u32 count;
	struct list_head lost;
	u32 nlost;
	u32 epoch;
};

int ember_wl_init(struct ember_device *edev);

/* MANAGE (ember_manage.c) */
u32 ember_wl_epoch(struct ember_device *edev);
int ember_wl_op_prepare(struct ember_client *client, const u8 *cmd, u32 len,
			struct ember_wl_op **op);
void ember_wl_op_finish(struct ember_client *client, struct ember_wl_op *op,
			u32 epoch, u32 status, bool unknown, const u8 *rsp,
			u32 rsp_len);

/* Clients going away, resets */
void ember_wl_client_closing(struct ember_client *client);
void ember_wl_client_close(struct ember_client *client);
void ember_wl_forget_all(struct ember_device *edev);

/* ATTACH_SLICE_BO, EXECUTE_BO, DETACH_SLICE_BO, BO free (ember_data.c) */
struct ember_wl_set *ember_wl_set_get(struct ember_client *client);
bool ember_wl_range_ok(struct ember_wl_set *set, u64 off, u64 len);
bool ember_wl_set_lost(const struct ember_wl_set *set);
int ember_wl_set_pin(struct ember_wl_set *set);
void ember_wl_set_put(struct ember_wl_set *set);
int ember_wl_set_check(const struct ember_wl_set *set,
		       const struct ember_client *client);

/* sysfs, debugfs */
u64 ember_wl_devmem_used(struct ember_device *edev);
void ember_wl_show_client(struct seq_file *m, struct ember_client *client);
void ember_wl_show(struct seq_file *m, struct ember_device *edev);

#endif /* _EMBER_WORKLOAD_H_ */
