// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember workloads (docs/nnc.md §15, docs/datapath.md): the driver's record
 * of the device memory each client may touch.
 *
 * The firmware allocates device memory only through LOAD_WORKLOAD, a
 * firmware command carried by a PASSTHROUGH transaction of MANAGE. The
 * driver otherwise passes PASSTHROUGH data through untouched; here it
 * parses just enough of LOAD_WORKLOAD and UNLOAD_WORKLOAD to keep one
 * record per loaded workload: its id, its client and the offset and size
 * of each region. The reply comes from the device, so it is checked
 * before it is believed: the region count is the requested one, every
 * region lies in the function's device memory and overlaps no other
 * recorded region, at most EMBER_FW_MAX_WORKLOADS workloads are recorded. A reply
 * that fails a check is not recorded (the client cannot slice into that
 * workload), nor is a LOAD whose outcome is unknown (no reply).
 *
 * ATTACH_SLICE_BO accepts a slice only if every device-memory range it
 * touches lies inside one region of a workload of the caller
 * (ember_wl_range_ok()), and the sliced BO pins those workloads until it
 * is detached or freed (&struct ember_wl_set). An UNLOAD_WORKLOAD of a
 * pinned workload never reaches the firmware: MANAGE refuses it with
 * status BUSY. While an UNLOAD is in flight the workload cannot be pinned;
 * its record goes when the firmware confirms (OK, or NOENT / PERM: it does
 * not hold the workload for this client) or when the outcome is unknown
 * (the firmware may have freed the regions), and stays otherwise.
 *
 * Release order. The firmware frees a workload's memory when it executes
 * the UNLOAD or the client's TERMINATE, and may hand that memory to
 * another client's LOAD before the driver has read the reply. So a record
 * is marked unloading before such a message is sent (for TERMINATE:
 * ember_wl_client_closing()), and a LOAD reply whose regions overlap an
 * unloading record, or reuse its id, proves the firmware executed the
 * release: that record is forgotten then and the new one recorded. A
 * LOAD that overlaps a record nobody is releasing is still refused (the
 * firmware gave out memory it had not freed).
 *
 * Records are forgotten when their client closes (TERMINATE frees its
 * workloads), and all of them before a device reset and at removal (the
 * firmware forgets everything): ember_wl_forget_all() also moves the
 * epoch on, so a LOAD answered before the reset but applied after it is
 * not recorded. A forgotten record lives on while a sliced BO references
 * it (kref), and EXECUTE_BO refuses such a BO (ember_wl_set_check()): its
 * requests name device memory the firmware may since have given to
 * another client.
 *
 * Locking: &ember_wl_dev.lock, innermost (see its kernel-doc). The regions
 * of a record never change, so a holder of a reference reads them without
 * the lock.
 */

#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/kref.h>
#include <linux/overflow.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <drm/drm_managed.h>

#include "ember_drv.h"
#include "ember_fwcmd.h"
#include "ember_nnc.h"
#include "ember_workload.h"

/* Records lost to resets kept to answer -ENODEV (oldest dropped first). */
#define EMBER_WL_LOST_MAX		(2 * EMBER_FW_MAX_WORKLOADS)

/**
 * struct ember_workload - a workload the firmware loaded for a client
 *
 * Created from the OK reply to a LOAD_WORKLOAD; freed with the last
 * reference: &ember_wl_dev.list holds one while the workload is recorded,
 * every &struct ember_wl_set that contains it one, an UNLOAD in flight
 * (&struct ember_wl_op) one. Fields marked "lock" are under
 * &ember_wl_dev.lock, the others are constant.
 *
 * @edev: device
 * @ref: references
 * @node: entry in &ember_wl_dev.list while recorded, then in
 *	&ember_wl_dev.lost if a device reset destroyed it (lock)
 * @owner: the client that loaded it; meaningful only while the record is
 *	on &ember_wl_dev.list or &ember_wl_dev.lost, because it leaves both
 *	before its client is freed (lock)
 * @gone: 0 while recorded; once forgotten, what EXECUTE_BO of a BO still
 *	sliced into it returns: -ENODEV (device reset or removal), -EPERM
 *	(its client closed), -ENOENT (unloaded) (lock)
 * @pins: sliced BOs that reference it; UNLOAD is refused while non-zero
 *	(lock)
 * @unloading: an UNLOAD of it is in flight: it cannot be pinned (lock)
 * @id: the firmware's workload id
 * @nregions: entries of @off and @size
 * @off: device-memory offset of each region
 * @size: bytes of each region, as requested (the firmware rounds the
 *	allocation up to 4 KiB; slices are bounded by the requested size)
 * @name: its name, printable, NUL-terminated
 */
struct ember_workload {
	struct ember_device *edev;
	struct kref ref;
	struct list_head node;
	struct ember_client *owner;
	int gone;
	u32 pins;
	bool unloading;
	u32 id;
	u32 nregions;
	u64 off[EMBER_FW_MAX_REGIONS];
	u64 size[EMBER_FW_MAX_REGIONS];
	char name[EMBER_FW_NAME_LEN + 1];
};

/**
 * struct ember_wl_op - a LOAD_WORKLOAD or UNLOAD_WORKLOAD in a MANAGE call
 *
 * Made before the call is sent, applied when its outcome is known
 * (ember_wl_op_finish()), by the thread of the call.
 *
 * @unload: an UNLOAD_WORKLOAD; otherwise a LOAD_WORKLOAD
 * @nregions: LOAD: regions requested
 * @size: LOAD: requested size of each region
 * @name: LOAD: the name field
 * @wl: UNLOAD: the client's record of the workload, marked unloading, with
 *	a reference
 */
struct ember_wl_op {
	bool unload;
	u32 nregions;
	u64 size[EMBER_FW_MAX_REGIONS];
	u8 name[EMBER_FW_NAME_LEN];
	struct ember_workload *wl;
};

/**
 * struct ember_wl_set - the workloads an ATTACH may use, then the ones a
 *	sliced BO pins
 *
 * ember_wl_set_get() takes the caller's usable workloads (a reference to
 * each), ember_wl_range_ok() marks the ones the slices use, and
 * ember_wl_set_pin() keeps only those and pins them. The BO holds the set
 * until it is detached or freed (ember_wl_set_put()). Only its holder
 * touches it; it does not change once pinned.
 *
 * @edev: device
 * @owner: the client the set was made for; only used before pinning
 * @lost: before pinning, a range that ember_wl_range_ok() refused lies in
 *	a region of a workload of @owner that a device reset destroyed
 * @pinned: ember_wl_set_pin() succeeded: every entry of @wl is pinned
 * @n: entries of @wl
 * @used: before pinning, bit i set: a slice uses @wl[i]
 * @wl: the workloads, a reference to each
 */
struct ember_wl_set {
	struct ember_device *edev;
	struct ember_client *owner;
	bool lost;
	bool pinned;
	u32 n;
	DECLARE_BITMAP(used, EMBER_FW_MAX_WORKLOADS);
	struct ember_workload *wl[EMBER_FW_MAX_WORKLOADS];
};

static void ember_wl_release(struct kref *ref)
{
	kfree(container_of(ref, struct ember_workload, ref));
}

static void ember_wl_put(struct ember_workload *wl)
{
	kref_put(&wl->ref, ember_wl_release);
}

/* Forget a recorded workload; the list's reference goes. Under the lock. */
static void ember_wl_forget(struct ember_wl_dev *wd, struct ember_workload *wl,
			    int why)
{
	lockdep_assert_held(&wd->lock);

	list_del_init(&wl->node);
	wd->count--;
	wl->gone = why;
	ember_wl_put(wl);
}

/**
 * ember_wl_forget_all() - the firmware forgot every workload
 * @edev: device, about to be reset or removed (mailbox stopped)
 *
 * Forgets every record and moves the epoch on.
 */
void ember_wl_forget_all(struct ember_device *edev)
{
	struct ember_wl_dev *wd = &edev->wl;
	struct ember_workload *wl, *tmp;

	mutex_lock(&wd->lock);
	list_for_each_entry_safe(wl, tmp, &wd->list, node) {
		/* Kept on @lost with the list's reference (ATTACH: -ENODEV). */
		list_move_tail(&wl->node, &wd->lost);
		wd->count--;
		wl->gone = -ENODEV;
		wd->nlost++;
	}
	while (wd->nlost > EMBER_WL_LOST_MAX) {
		wl = list_first_entry(&wd->lost, struct ember_workload, node);
		list_del_init(&wl->node);
		wd->nlost--;
		ember_wl_put(wl);
	}
	wd->epoch++;
	mutex_unlock(&wd->lock);
}

/* Drop the records of @client (NULL: all) that a reset destroyed. */
static void ember_wl_drop_lost(struct ember_wl_dev *wd,
			       const struct ember_client *client)
{
	struct ember_workload *wl, *tmp;

	lockdep_assert_held(&wd->lock);

	list_for_each_entry_safe(wl, tmp, &wd->lost, node) {
		if (client && wl->owner != client)
			continue;
		list_del_init(&wl->node);
		wd->nlost--;
		ember_wl_put(wl);
	}
}

static void ember_wl_release_all(struct drm_device *drm, void *arg)
{
	struct ember_device *edev = arg;

	ember_wl_forget_all(edev);
	mutex_lock(&edev->wl.lock);
	ember_wl_drop_lost(&edev->wl, NULL);
	mutex_unlock(&edev->wl.lock);
}

/**
 * ember_wl_init() - set up the workload records of a device
 * @edev: device being probed
 *
 * Return: 0 or a negative errno.
 */
int ember_wl_init(struct ember_device *edev)
{
	int ret;

	INIT_LIST_HEAD(&edev->wl.list);
	INIT_LIST_HEAD(&edev->wl.lost);
	ret = drmm_mutex_init(&edev->drm, &edev->wl.lock);
	if (ret)
		return ret;
	return drmm_add_action_or_reset(&edev->drm, ember_wl_release_all, edev);
}

/**
 * ember_wl_epoch() - the current epoch of the workload records
 * @edev: device
 *
 * MANAGE reads it once the mailbox session of a call is known, before it
 * sends anything, and hands it to ember_wl_op_finish().
 *
 * Return: &ember_wl_dev.epoch.
 */
u32 ember_wl_epoch(struct ember_device *edev)
{
	u32 epoch;

	mutex_lock(&edev->wl.lock);
	epoch = edev->wl.epoch;
	mutex_unlock(&edev->wl.lock);
	return epoch;
}

/**
 * ember_wl_devmem_used() - device memory held by recorded workloads
 * @edev: device
 *
 * The regions of every workload the driver recorded, rounded up to
 * EMBER_FW_REGION_ALIGN as the firmware allocates them (docs/nnc.md §15.2).
 *
 * Return: bytes.
 */
u64 ember_wl_devmem_used(struct ember_device *edev)
{
	struct ember_workload *wl;
	u64 used = 0;
	u32 i;

	mutex_lock(&edev->wl.lock);
	list_for_each_entry(wl, &edev->wl.list, node)
		for (i = 0; i < wl->nregions; i++)
			used += ALIGN(wl->size[i], EMBER_FW_REGION_ALIGN);
	mutex_unlock(&edev->wl.lock);
	return used;
}

/* The client's recorded workload @id, or NULL. Under the lock. */
static struct ember_workload *ember_wl_find(struct ember_wl_dev *wd,
					    const struct ember_client *client,
					    u32 id)
{
	struct ember_workload *wl;

	list_for_each_entry(wl, &wd->list, node)
		if (wl->owner == client && wl->id == id)
			return wl;
	return NULL;
}

/* Unload of a recorded workload: refused if pinned (-EBUSY). */
static int ember_wl_prepare_unload(struct ember_client *client, u32 id,
				   struct ember_wl_op **out)
{
	struct ember_wl_dev *wd = &client->edev->wl;
	struct ember_workload *wl;
	struct ember_wl_op *op;

	op = kzalloc(sizeof(*op), GFP_KERNEL);
	if (!op)
		return -ENOMEM;
	op->unload = true;

	mutex_lock(&wd->lock);
	wl = ember_wl_find(wd, client, id);
	if (wl && wl->pins) {
		mutex_unlock(&wd->lock);
		kfree(op);
		return -EBUSY;
	}
	/* A second UNLOAD of it in the same call changes nothing here. */
	if (wl && !wl->unloading) {
		wl->unloading = true;
		kref_get(&wl->ref);
		op->wl = wl;
	}
	mutex_unlock(&wd->lock);

	if (!op->wl)
		kfree(op);	/* not ours or not recorded: the firmware decides */
	else
		*out = op;
	return 0;
}

/**
 * ember_wl_op_prepare() - look at a PASSTHROUGH command before it is sent
 * @client: the caller, whose &ember_client.lock is held
 * @cmd: the command (PASSTHROUGH data)
 * @len: its length
 * @op: receives what ember_wl_op_finish() needs, or NULL if the command is
 *	neither a LOAD_WORKLOAD nor an UNLOAD_WORKLOAD of a recorded workload
 *	of @client (or is malformed: the firmware refuses it)
 *
 * An UNLOAD_WORKLOAD of a workload a sliced BO pins is refused here, so
 * it never reaches the firmware; otherwise the workload cannot be pinned
 * until ember_wl_op_finish().
 *
 * Return: 0; -EBUSY (UNLOAD of a pinned workload); -ENOMEM.
 */
int ember_wl_op_prepare(struct ember_client *client, const u8 *cmd, u32 len,
			struct ember_wl_op **op)
{
	struct ember_wl_op *load;
	u32 i, n;

	*op = NULL;
	if (len < EMBER_FW_HDR_LEN || ember_fw_get16(cmd, EMBER_FW_HDR_FLAGS) ||
	    ember_fw_get32(cmd, EMBER_FW_HDR_LEN_FIELD) != len)
		return 0;
	switch (ember_fw_get16(cmd, EMBER_FW_HDR_CMD)) {
	case EMBER_FW_CMD_UNLOAD_WORKLOAD:
		if (len != EMBER_FW_UNLOAD_LEN)
			return 0;
		return ember_wl_prepare_unload(client,
					       ember_fw_get32(cmd, EMBER_FW_UNLOAD_ID),
					       op);
	case EMBER_FW_CMD_LOAD_WORKLOAD:
		if (len < EMBER_FW_LOAD_SIZES)
			return 0;
		n = ember_fw_get32(cmd, EMBER_FW_LOAD_NREGIONS);
		if (n > EMBER_FW_MAX_REGIONS ||
		    len < EMBER_FW_LOAD_SIZES + EMBER_FW_REGION_ENTRY_LEN * n)
			return 0;
		load = kzalloc(sizeof(*load), GFP_KERNEL);
		if (!load)
			return -ENOMEM;
		load->nregions = n;
		for (i = 0; i < n; i++)
			load->size[i] = ember_fw_get64(cmd, EMBER_FW_LOAD_SIZES +
						       EMBER_FW_REGION_ENTRY_LEN * i);
		memcpy(load->name, cmd + EMBER_FW_LOAD_NAME, EMBER_FW_NAME_LEN);
		*op = load;
		return 0;
	default:
		return 0;
	}
}

/* [a, a + alen) and [b, b + blen) overlap (neither wraps). */
static bool ember_wl_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* Check the reply to LOAD @op and fill @wl from it: NULL or why not. */
static const char *ember_wl_parse_load(const struct ember_device *edev,
				       const struct ember_wl_op *op,
				       const u8 *rsp, u32 rsp_len,
				       struct ember_workload *wl)
{
	u64 end;
	u32 i, j;

	if (rsp_len < EMBER_FW_LOAD_RSP_OFFSETS +
		      EMBER_FW_REGION_ENTRY_LEN * op->nregions ||
	    ember_fw_get16(rsp, EMBER_FW_HDR_CMD) !=
	    (EMBER_FW_CMD_LOAD_WORKLOAD | EMBER_FW_CMD_REPLY))
		return "malformed reply";
	wl->id = ember_fw_get32(rsp, EMBER_FW_LOAD_RSP_ID);
	if (!wl->id)
		return "workload id 0";
	if (ember_fw_get32(rsp, EMBER_FW_LOAD_RSP_NREGIONS) != op->nregions)
		return "region count differs from the request's";
	wl->nregions = op->nregions;
	for (i = 0; i < wl->nregions; i++) {
		wl->off[i] = ember_fw_get64(rsp, EMBER_FW_LOAD_RSP_OFFSETS +
					    EMBER_FW_REGION_ENTRY_LEN * i);
		wl->size[i] = op->size[i];
		if (!wl->size[i] || wl->off[i] % EMBER_FW_REGION_ALIGN ||
		    check_add_overflow(wl->off[i], wl->size[i], &end) ||
		    end > edev->info.devmem_size)
			return "region outside device memory";
		for (j = 0; j < i; j++)
			if (ember_wl_overlap(wl->off[i], wl->size[i],
					     wl->off[j], wl->size[j]))
				return "overlapping regions";
	}
	for (i = 0; i < EMBER_FW_NAME_LEN && op->name[i]; i++)
		wl->name[i] = isprint(op->name[i]) ? op->name[i] : '?';
	return NULL;
}

/* Does @wl share device memory with @old? */
static bool ember_wl_overlaps(const struct ember_workload *wl,
			      const struct ember_workload *old)
{
	u32 i, j;

	for (i = 0; i < wl->nregions; i++)
		for (j = 0; j < old->nregions; j++)
			if (ember_wl_overlap(wl->off[i], wl->size[i],
					     old->off[j], old->size[j]))
				return true;
	return false;
}

/*
 * Does @wl share an id or device memory with a recorded workload? Records
 * being released that it collides with are forgotten: the firmware has
 * evidently executed their UNLOAD or TERMINATE (see the top of this file).
 */
static const char *ember_wl_conflict(struct ember_wl_dev *wd,
				     const struct ember_workload *wl)
{
	struct ember_workload *old, *tmp;

	lockdep_assert_held(&wd->lock);

	list_for_each_entry(old, &wd->list, node) {
		if (old->unloading)
			continue;
		if (old->id == wl->id)
			return "workload id already in use";
		if (ember_wl_overlaps(wl, old))
			return "region overlaps another workload's";
	}
	list_for_each_entry_safe(old, tmp, &wd->list, node)
		if (old->unloading &&
		    (old->id == wl->id || ember_wl_overlaps(wl, old)))
			ember_wl_forget(wd, old, -ENOENT);
	if (wd->count >= EMBER_FW_MAX_WORKLOADS)
		return "too many workloads";
	return NULL;
}

/* An OK reply to LOAD @op: record the workload for @client. */
static void ember_wl_record(struct ember_client *client,
			    const struct ember_wl_op *op, u32 epoch,
			    const u8 *rsp, u32 rsp_len)
{
	struct ember_device *edev = client->edev;
	struct ember_wl_dev *wd = &edev->wl;
	struct ember_workload *wl;
	const char *why;

	wl = kzalloc(sizeof(*wl), GFP_KERNEL);
	if (!wl) {
		why = "out of memory";
		goto warn;
	}
	wl->edev = edev;
	kref_init(&wl->ref);
	INIT_LIST_HEAD(&wl->node);
	wl->owner = client;
	why = ember_wl_parse_load(edev, op, rsp, rsp_len, wl);
	if (why)
		goto free;

	mutex_lock(&wd->lock);
	if (wd->epoch != epoch) {
		/* The firmware was reset since: it forgot the workload. */
		mutex_unlock(&wd->lock);
		kfree(wl);
		return;
	}
	why = ember_wl_conflict(wd, wl);
	if (!why) {
		list_add_tail(&wl->node, &wd->list);
		wd->count++;
	}
	mutex_unlock(&wd->lock);
	if (!why)
		return;
free:
	kfree(wl);
warn:
	dev_warn_ratelimited(&edev->pdev->dev,
			     "client %u: LOAD_WORKLOAD not recorded (%s): the client cannot slice into it\n",
			     client->handle, why);
}

/**
 * ember_wl_op_finish() - apply the outcome of a LOAD or UNLOAD
 * @client: the caller, whose &ember_client.lock is held
 * @op: from ember_wl_op_prepare(), or NULL (nothing to do); freed
 * @epoch: ember_wl_epoch() before the call sent anything
 * @status: the transaction's NNC status if the firmware answered it,
 *	EMBER_NNC_ST_NOT_RUN if it was not sent
 * @unknown: it was sent but no reply came (timeout, signal, malformed or
 *	lost reply): the firmware may or may not have executed it
 * @rsp: the reply data (status OK)
 * @rsp_len: its length
 *
 * LOAD: an OK reply that passes the checks is recorded. UNLOAD: the record
 * is forgotten when the firmware no longer holds the workload (OK, NOENT,
 * PERM) or may not (@unknown); otherwise it becomes usable again.
 */
void ember_wl_op_finish(struct ember_client *client, struct ember_wl_op *op,
			u32 epoch, u32 status, bool unknown, const u8 *rsp,
			u32 rsp_len)
{
	struct ember_wl_dev *wd = &client->edev->wl;
	struct ember_workload *wl;

	if (!op)
		return;
	if (op->unload) {
		wl = op->wl;
		mutex_lock(&wd->lock);
		wl->unloading = false;
		if (!wl->gone && (unknown || status == EMBER_NNC_ST_OK ||
				  status == EMBER_NNC_ST_NOENT ||
				  status == EMBER_NNC_ST_PERM))
			ember_wl_forget(wd, wl, -ENOENT);
		mutex_unlock(&wd->lock);
		ember_wl_put(wl);
	} else if (!unknown && status == EMBER_NNC_ST_OK) {
		ember_wl_record(client, op, epoch, rsp, rsp_len);
	}
	kfree(op);
}

/**
 * ember_wl_client_closing() - a client's TERMINATE is about to be sent
 * @client: the closing client
 *
 * Marks its workloads as being released: they cannot be pinned any more,
 * and a LOAD of another client that the firmware gives their memory to is
 * recorded (see the top of this file).
 */
void ember_wl_client_closing(struct ember_client *client)
{
	struct ember_wl_dev *wd = &client->edev->wl;
	struct ember_workload *wl;

	mutex_lock(&wd->lock);
	list_for_each_entry(wl, &wd->list, node)
		if (wl->owner == client)
			wl->unloading = true;
	mutex_unlock(&wd->lock);
}

/**
 * ember_wl_client_close() - a client is going away
 * @client: the closing client (its TERMINATE was sent, or could not be)
 *
 * Forgets its workloads: TERMINATE unloads them. BOs still sliced into
 * them (shared with another file) cannot be executed any more.
 */
void ember_wl_client_close(struct ember_client *client)
{
	struct ember_wl_dev *wd = &client->edev->wl;
	struct ember_workload *wl, *tmp;

	mutex_lock(&wd->lock);
	list_for_each_entry_safe(wl, tmp, &wd->list, node)
		if (wl->owner == client)
			ember_wl_forget(wd, wl, -EPERM);
	ember_wl_drop_lost(wd, client);
	mutex_unlock(&wd->lock);
}

/**
 * ember_wl_set_get() - the workloads an ATTACH_SLICE_BO may use
 * @client: the caller
 *
 * A snapshot of the caller's recorded workloads that are not being
 * unloaded, for ember_wl_range_ok() and ember_wl_set_pin().
 *
 * Return: the set (free it with ember_wl_set_put()), or
 * ERR_PTR(-ENOMEM).
 */
struct ember_wl_set *ember_wl_set_get(struct ember_client *client)
{
	struct ember_wl_dev *wd = &client->edev->wl;
	struct ember_workload *wl;
	struct ember_wl_set *set;

	set = kzalloc(sizeof(*set), GFP_KERNEL);
	if (!set)
		return ERR_PTR(-ENOMEM);
	set->edev = client->edev;
	set->owner = client;

	mutex_lock(&wd->lock);
	list_for_each_entry(wl, &wd->list, node) {
		if (wl->owner != client || wl->unloading ||
		    set->n == EMBER_FW_MAX_WORKLOADS)
			continue;
		kref_get(&wl->ref);
		set->wl[set->n++] = wl;
	}
	mutex_unlock(&wd->lock);
	return set;
}

/**
 * ember_wl_range_ok() - may a slice touch this device memory?
 * @set: from ember_wl_set_get(), not pinned yet
 * @off: device-memory offset
 * @len: bytes
 *
 * Marks the workload that holds the range as used. A refused range that
 * lies in a region of a workload of the set's client that a device reset
 * destroyed sets &ember_wl_set.lost (see ember_wl_set_lost()).
 *
 * Return: true if [@off, @off + @len) is not empty and lies entirely
 * inside one region of one workload of @set.
 */
bool ember_wl_range_ok(struct ember_wl_set *set, u64 off, u64 len)
{
	struct ember_wl_dev *wd = &set->edev->wl;
	const struct ember_workload *wl;
	u32 i, r;
	u64 end;

	if (!len || check_add_overflow(off, len, &end))
		return false;
	for (i = 0; i < set->n; i++) {
		wl = set->wl[i];
		for (r = 0; r < wl->nregions; r++) {
			if (off >= wl->off[r] && end <= wl->off[r] + wl->size[r]) {
				__set_bit(i, set->used);
				return true;
			}
		}
	}
	mutex_lock(&wd->lock);
	list_for_each_entry(wl, &wd->lost, node) {
		if (wl->owner != set->owner)
			continue;
		for (r = 0; r < wl->nregions; r++)
			if (off >= wl->off[r] && end <= wl->off[r] + wl->size[r])
				set->lost = true;
	}
	mutex_unlock(&wd->lock);
	return false;
}

/**
 * ember_wl_set_lost() - did a refused range name memory a reset destroyed?
 * @set: from ember_wl_set_get(), after ember_wl_range_ok() refused a range
 *
 * Return: true if a range ember_wl_range_ok() refused lies in a region of
 * a workload of the caller that was lost to a device reset: the caller
 * reports -ENODEV rather than -EINVAL (docs/uapi.md).
 */
bool ember_wl_set_lost(const struct ember_wl_set *set)
{
	return set->lost;
}

/**
 * ember_wl_set_pin() - pin the workloads the slices use
 * @set: from ember_wl_set_get(), after the ranges were checked
 *
 * Drops the workloads no slice uses and pins the others, so they cannot be
 * unloaded while the set is held. May be called with
 * &ember_device.dbc_lock held.
 *
 * Return: 0, or -EINVAL if a used workload was unloaded, or an UNLOAD of
 * it started, since ember_wl_set_get() (the set is left unpinned).
 */
int ember_wl_set_pin(struct ember_wl_set *set)
{
	struct ember_wl_dev *wd = &set->edev->wl;
	struct ember_workload *wl;
	u32 i, n = 0;

	mutex_lock(&wd->lock);
	for_each_set_bit(i, set->used, set->n) {
		wl = set->wl[i];
		if (wl->gone || wl->unloading) {
			mutex_unlock(&wd->lock);
			return -EINVAL;
		}
	}
	for (i = 0; i < set->n; i++) {
		wl = set->wl[i];
		if (!test_bit(i, set->used)) {
			ember_wl_put(wl);
			continue;
		}
		wl->pins++;
		set->wl[n++] = wl;
	}
	set->n = n;
	set->pinned = true;
	bitmap_zero(set->used, EMBER_FW_MAX_WORKLOADS);
	mutex_unlock(&wd->lock);
	return 0;
}

/**
 * ember_wl_set_put() - free a set, unpinning its workloads
 * @set: the set, or NULL
 *
 * May be called with &ember_device.dbc_lock held (a BO's last reference).
 */
void ember_wl_set_put(struct ember_wl_set *set)
{
	struct ember_wl_dev *wd;
	u32 i;

	if (!set)
		return;
	wd = &set->edev->wl;
	mutex_lock(&wd->lock);
	for (i = 0; i < set->n; i++) {
		if (set->pinned)
			set->wl[i]->pins--;
		ember_wl_put(set->wl[i]);
	}
	mutex_unlock(&wd->lock);
	kfree(set);
}

/**
 * ember_wl_set_check() - may @client execute a BO sliced with @set?
 * @set: the BO's pinned set, or NULL
 * @client: the caller of EXECUTE_BO
 *
 * Its requests touch the device memory of the workloads in @set: they
 * must still be loaded, for @client.
 *
 * Return: 0; -ENODEV if a workload was lost to a device reset; -EPERM if
 * one belongs to another client (the BO was shared) or its client closed.
 */
int ember_wl_set_check(const struct ember_wl_set *set,
		       const struct ember_client *client)
{
	struct ember_wl_dev *wd;
	struct ember_workload *wl;
	int ret = 0;
	u32 i;

	if (!set)
		return 0;
	wd = &set->edev->wl;
	mutex_lock(&wd->lock);
	for (i = 0; i < set->n && !ret; i++) {
		wl = set->wl[i];
		if (wl->gone)
			ret = wl->gone;
		else if (wl->owner != client)
			ret = -EPERM;
	}
	mutex_unlock(&wd->lock);
	return ret;
}

/**
 * ember_wl_show_client() - " workloads=1,5" of a client for debugfs
 * @m: the seq_file
 * @client: the client
 */
void ember_wl_show_client(struct seq_file *m, struct ember_client *client)
{
	struct ember_wl_dev *wd = &client->edev->wl;
	const struct ember_workload *wl;
	bool any = false;

	seq_puts(m, " workloads=");
	mutex_lock(&wd->lock);
	list_for_each_entry(wl, &wd->list, node) {
		if (wl->owner != client)
			continue;
		seq_printf(m, "%s%u", any ? "," : "", wl->id);
		any = true;
	}
	mutex_unlock(&wd->lock);
	if (!any)
		seq_puts(m, "-");
}

/**
 * ember_wl_show() - debugfs "workloads": every recorded workload
 * @m: the seq_file
 * @edev: device
 */
void ember_wl_show(struct seq_file *m, struct ember_device *edev)
{
	struct ember_wl_dev *wd = &edev->wl;
	const struct ember_workload *wl;
	u32 r;

	mutex_lock(&wd->lock);
	seq_printf(m, "workloads: %u\n", wd->count);
	seq_printf(m, "epoch: %u\n", wd->epoch);
	list_for_each_entry(wl, &wd->list, node) {
		seq_printf(m, "workload %u: owner=%u name=\"%s\" pins=%u%s regions=",
			   wl->id, wl->owner->handle, wl->name, wl->pins,
			   wl->unloading ? " unloading" : "");
		for (r = 0; r < wl->nregions; r++)
			seq_printf(m, "%s0x%llx+0x%llx", r ? "," : "", wl->off[r],
				   wl->size[r]);
		if (!wl->nregions)
			seq_puts(m, "-");
		seq_putc(m, '\n');
	}
	mutex_unlock(&wd->lock);
}
