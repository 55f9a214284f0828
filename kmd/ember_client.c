// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember clients (docs/nnc.md §9): every open file of /dev/accel/accelN is
 * a client with a non-zero NNC handle of its own, and owns the DBCs the
 * firmware activated for it.
 *
 * DBC ownership. MANAGE allocates the rings of an ACTIVATE as a &struct
 * ember_act on the client's list (PENDING) before the message is sent.
 * An OK reply makes the record LIVE and the owner of its DBC
 * (&ember_dbc.act); a failed or NOT_RUN one frees it. When the outcome is
 * not known (no reply: timeout, fatal signal, malformed reply) the record
 * stays PENDING: the firmware may have programmed a DBC with these rings,
 * so they live until the firmware confirms the client's TERMINATE, or the
 * driver resets the DBCs itself. That is how an ACTIVATE whose reply comes
 * late, or never, stays accounted to its client and is freed by
 * TERMINATE. At the client's next MANAGE the driver looks for a DBC the
 * firmware enabled with such rings (ember_client_resolve_pending()) and
 * makes it the client's, so the client can also DEACTIVATE it.
 *
 * Letting go of a DBC. The firmware may give a DBC to another client as
 * soon as it executes a DEACTIVATE or TERMINATE, before the driver has
 * read the reply; from then on the DBC's indices and doorbell are the new
 * owner's. So before such a message is sent the record becomes LEAVING
 * (ember_act_leave()): &ember_dbc.act no longer points to it, and neither
 * the scheduler nor the response drain touches the DBC for it. When the
 * firmware confirms, the rings are freed (jobs still in them fail with
 * -ECANCELED); when it definitely did not execute the message, the record
 * is LIVE again (ember_act_stay()); when the outcome is unknown, the record
 * stays LEAVING with its rings and jobs (the DBC may still be running them,
 * so their BOs must stay mapped) until a repeated DEACTIVATE is confirmed,
 * the client's TERMINATE or a reset; when the firmware says another client
 * has the DBC, the jobs fail with -ECANCELED (ember_act_abandon()).
 *
 * Close (ember_client_close(), from &drm_driver.postclose): if the client
 * ever reached the firmware in the current mailbox generation, TERMINATE
 * is sent and waited for uninterruptibly, at most control_resp_timeout_s:
 * the firmware then deactivates the client's DBCs, and the rings are
 * freed. If TERMINATE is not confirmed, every DBC programmed with one of
 * the client's rings is stopped through its registers (EMBER_DBC_CTRL
 * .RESET, read back to flush the write) before the rings are freed, and
 * the handle is not reused until the next device reset (the firmware may
 * still hold state for it). Either way, when close returns no DBC uses
 * the client's memory.
 *
 * Resets and removal (ember_dbcs_invalidate()): every DBC is reset through
 * its registers, every record loses its rings and becomes DEAD, every
 * workload record is forgotten (ember_workload.c). The
 * firmware forgets every handle in a reset, so no TERMINATE is sent for
 * state of an older mailbox generation (&ember_client.fw_gen).
 *
 * Whenever a record loses its rings (ember_act_free_rings(), after the DBC
 * was stopped) the BO executions still queued on them fail with
 * -ECANCELED (ember_sched_act_lost()).
 */

#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "ember_client.h"
#include "ember_drv.h"
#include "ember_poll.h"
#include "ember_sched.h"
#include "ember_mbox.h"
#include "ember_nnc.h"
#include "ember_workload.h"

/**
 * struct ember_zombie - handle of a closed client the firmware may still
 *	hold state for (its TERMINATE was not confirmed)
 * @node: entry in &ember_device.zombies
 * @handle: the handle, kept allocated until the next device reset
 */
struct ember_zombie {
	struct list_head node;
	u32 handle;
};

static void ember_clients_release(struct drm_device *drm, void *arg)
{
	struct ember_device *edev = arg;
	struct ember_zombie *z, *tmp;

	list_for_each_entry_safe(z, tmp, &edev->zombies, node) {
		list_del(&z->node);
		kfree(z);
	}
	ida_destroy(&edev->handles);
}

/**
 * ember_clients_init() - set up client and DBC bookkeeping of a device
 * @edev: device being probed
 *
 * Initialises the client list and its lock, the DBC lock, the handle
 * allocator and the zombie list; they live as long as the DRM device
 * (files may be closed after the PCI device is gone).
 *
 * Return: 0 or a negative errno.
 */
int ember_clients_init(struct ember_device *edev)
{
	int ret;

	INIT_LIST_HEAD(&edev->clients);
	INIT_LIST_HEAD(&edev->zombies);
	ida_init(&edev->handles);
	ret = drmm_mutex_init(&edev->drm, &edev->clients_lock);
	if (ret)
		return ret;
	ret = drmm_mutex_init(&edev->drm, &edev->dbc_lock);
	if (ret)
		return ret;
	return drmm_add_action_or_reset(&edev->drm, ember_clients_release, edev);
}

/**
 * ember_client_show_fdinfo() - &drm_driver.show_fdinfo
 * @p: printer into the file's fdinfo
 * @file: DRM file of the client
 *
 * After the keys drm_show_fdinfo() prints (drm-driver, drm-client-id,
 * drm-pdev), one drm-engine-dbc<i> line per DBC of the device with the
 * device time of the client's requests on it, then the memory keys of the
 * client's BOs (drm-total-memory, drm-shared-memory, drm-resident-memory),
 * as Documentation/gpu/drm-usage-stats.rst defines them.
 */
void ember_client_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	struct ember_client *client = file->driver_priv;
	u32 i;

	for (i = 0; i < client->edev->info.num_dbcs; i++)
		drm_printf(p, "drm-engine-dbc%u:\t%lld ns\n", i,
			   atomic64_read(&client->busy_ns[i]));
	drm_show_memory_stats(p, file);
}

/**
 * ember_client_open() - a file was opened: make it a client
 * @edev: device
 * @file: the new DRM file
 *
 * Return: 0, -ENOMEM, or -ENOSPC if no handle is free.
 */
int ember_client_open(struct ember_device *edev, struct drm_file *file)
{
	struct ember_client *client;
	int handle;

	client = kzalloc(sizeof(*client), GFP_KERNEL);
	if (!client)
		return -ENOMEM;
	handle = ida_alloc_range(&edev->handles, 1, INT_MAX, GFP_KERNEL);
	if (handle < 0) {
		kfree(client);
		return handle;
	}
	client->edev = edev;
	client->file = file;
	client->handle = handle;
	client->pid = task_tgid_nr(current);
	get_task_comm(client->comm, current);
	mutex_init(&client->lock);
	INIT_LIST_HEAD(&client->acts);
	file->driver_priv = client;

	mutex_lock(&edev->clients_lock);
	client->id = ++edev->client_serial;
	list_add_tail(&client->node, &edev->clients);
	edev->num_clients++;
	mutex_unlock(&edev->clients_lock);
	return 0;
}

static size_t ember_act_bytes(const struct ember_act *act)
{
	return (size_t)act->ring_size *
	       (sizeof(struct ember_dbc_req) + sizeof(struct ember_dbc_rsp));
}

/* Free the rings (no DBC may use them any more). Under dbc_lock. */
static void ember_act_free_rings(struct ember_act *act)
{
	struct ember_device *edev = act->client->edev;
	struct device *dev = &edev->pdev->dev;

	lockdep_assert_held(&edev->dbc_lock);

	if (act->state == EMBER_ACT_LIVE && act->dbc_id >= 0 &&
	    edev->dbcs[act->dbc_id].act == act)
		ember_dbc_set_act(&edev->dbcs[act->dbc_id], NULL);
	ember_sched_act_lost(act);
	if (!act->req_ring)
		return;
	dma_free_coherent(dev, (size_t)act->ring_size * sizeof(struct ember_dbc_req),
			  act->req_ring, act->req_dma);
	dma_free_coherent(dev, (size_t)act->ring_size * sizeof(struct ember_dbc_rsp),
			  act->rsp_ring, act->rsp_dma);
	act->req_ring = NULL;
	act->rsp_ring = NULL;
	edev->ring_bytes -= ember_act_bytes(act);
}

/* Stop DBC @i at once (docs/hardware.md §5.6); flush the posted write. */
static void ember_dbc_hw_reset(struct ember_device *edev, unsigned int i)
{
	void __iomem *regs = edev->dbcs[i].regs;

	writel(EMBER_DBC_CTRL_RESET, regs + EMBER_DBC_CTRL);
	readl(regs + EMBER_DBC_STATUS);
}

/**
 * ember_act_alloc() - allocate the rings of an ACTIVATE
 * @client: the client, whose &ember_client.lock the caller holds
 * @ring_size: entries per ring, a power of two in 2..65536
 *
 * The record is PENDING on the client's list from now on; the caller
 * sends the ACTIVATE and then calls ember_act_activated() (OK reply) or
 * ember_act_release() (the firmware did not take the rings), or leaves it
 * pending when the outcome is unknown.
 *
 * Return: the record, or ERR_PTR(-ENOMEM), or ERR_PTR(-ENODEV) if the
 * device is gone.
 */
struct ember_act *ember_act_alloc(struct ember_client *client, u32 ring_size)
{
	struct ember_device *edev = client->edev;
	struct device *dev = &edev->pdev->dev;
	struct ember_act *act;
	int ret = -ENOMEM;

	act = kzalloc(sizeof(*act), GFP_KERNEL);
	if (!act)
		return ERR_PTR(-ENOMEM);
	act->client = client;
	act->state = EMBER_ACT_PENDING;
	INIT_LIST_HEAD(&act->running);
	act->dbc_id = -1;
	act->ring_size = ring_size;
	act->req_ring = dma_alloc_coherent(dev, (size_t)ring_size *
					   sizeof(struct ember_dbc_req),
					   &act->req_dma, GFP_KERNEL);
	act->rsp_ring = dma_alloc_coherent(dev, (size_t)ring_size *
					   sizeof(struct ember_dbc_rsp),
					   &act->rsp_dma, GFP_KERNEL);
	if (!act->req_ring || !act->rsp_ring)
		goto err_free;

	mutex_lock(&edev->dbc_lock);
	if (edev->dbcs_gone) {
		mutex_unlock(&edev->dbc_lock);
		ret = -ENODEV;
		goto err_free;
	}
	act->serial = ++edev->act_serial;
	list_add_tail(&act->node, &client->acts);
	edev->ring_bytes += ember_act_bytes(act);
	mutex_unlock(&edev->dbc_lock);
	return act;

err_free:
	if (act->req_ring)
		dma_free_coherent(dev, (size_t)ring_size *
				  sizeof(struct ember_dbc_req),
				  act->req_ring, act->req_dma);
	if (act->rsp_ring)
		dma_free_coherent(dev, (size_t)ring_size *
				  sizeof(struct ember_dbc_rsp),
				  act->rsp_ring, act->rsp_dma);
	kfree(act);
	return ERR_PTR(ret);
}

/**
 * ember_act_release() - forget an activation the firmware does not use
 * @act: record; the caller holds its client's &ember_client.lock
 *
 * For an ACTIVATE that was not sent or failed, a DEACTIVATE the firmware
 * confirmed, or a DBC it reports as not active. Frees the rings and the
 * record.
 */
void ember_act_release(struct ember_act *act)
{
	struct ember_device *edev = act->client->edev;

	mutex_lock(&edev->dbc_lock);
	ember_act_free_rings(act);
	list_del(&act->node);
	mutex_unlock(&edev->dbc_lock);
	kfree(act);
}

/*
 * Make the PENDING @act the owner of DBC @dbc_id, under dbc_lock. An owner
 * the driver still had on record for the DBC must have lost it (its
 * DEACTIVATE was executed with the reply lost): the DBC now has the new
 * rings, so the old record's rings are freed and it is forgotten. Records
 * of the same DBC id the client lost to a reset are superseded: moved to
 * @superseded for the caller to free (it holds the client's lock). Records
 * of the DBC it let go of with a DEACTIVATE whose outcome was unknown
 * (LEAVING: the firmware evidently executed it) lose their rings but stay
 * on the list until they are released or the client closes: a MANAGE call
 * in progress may still refer to them.
 */
static void ember_act_install(struct ember_act *act, u32 dbc_id,
			      struct list_head *superseded)
{
	struct ember_client *client = act->client;
	struct ember_device *edev = client->edev;
	struct ember_act *old, *tmp;

	lockdep_assert_held(&edev->dbc_lock);

	old = edev->dbcs[dbc_id].act;
	if (old) {
		dev_dbg(&edev->pdev->dev,
			"NNC: DBC %u given to client %u, forgetting client %u's record\n",
			dbc_id, client->handle, old->client->handle);
		ember_act_free_rings(old);
		old->state = EMBER_ACT_DEAD;
		old->dbc_id = -1;
	}
	list_for_each_entry_safe(old, tmp, &client->acts, node) {
		if (old == act || old->dbc_id != dbc_id)
			continue;
		if (old->state == EMBER_ACT_LEAVING)
			ember_act_free_rings(old);
		else if (old->state == EMBER_ACT_DEAD)
			list_move(&old->node, superseded);
	}
	act->state = EMBER_ACT_LIVE;
	act->dbc_id = dbc_id;
	ember_dbc_set_act(&edev->dbcs[dbc_id], act);
}

/**
 * ember_act_activated() - the firmware activated a DBC with these rings
 * @act: PENDING record; the caller holds its client's &ember_client.lock
 * @dbc_id: the DBC from the OK reply
 *
 * Makes the client the DBC's owner (see ember_act_install()). If a reset
 * or removal happened since the ACTIVATE was sent, the DBC is already gone
 * and the record only remembers its id (DEAD).
 *
 * Return: 0, or -EIO if @dbc_id is not a DBC of the function (the record
 * stays pending: the firmware did something with the rings).
 */
int ember_act_activated(struct ember_act *act, u32 dbc_id)
{
	struct ember_client *client = act->client;
	struct ember_device *edev = client->edev;
	struct ember_act *old, *tmp;
	LIST_HEAD(superseded);

	if (dbc_id >= edev->info.num_dbcs) {
		dev_warn_ratelimited(&edev->pdev->dev,
				     "NNC: ACTIVATE answered with DBC %u, the function has %u\n",
				     dbc_id, edev->info.num_dbcs);
		return -EIO;
	}

	mutex_lock(&edev->dbc_lock);
	if (act->state != EMBER_ACT_PENDING)
		act->dbc_id = dbc_id;
	else
		ember_act_install(act, dbc_id, &superseded);
	mutex_unlock(&edev->dbc_lock);

	list_for_each_entry_safe(old, tmp, &superseded, node)
		kfree(old);
	return 0;
}

/**
 * ember_client_resolve_pending() - find the DBCs of ACTIVATEs whose reply
 *	never came
 * @client: the client, whose &ember_client.lock the caller holds, with
 *	the device entered (drm_dev_enter())
 *
 * The firmware programs the DBC it activates with the rings sent in the
 * ACTIVATE (docs/nnc.md §6.4): a DBC that is enabled with the request ring
 * of one of the client's PENDING records was activated for the client.
 * The record becomes LIVE, so the client can DEACTIVATE the DBC even
 * though the reply was lost. Records without such a DBC stay PENDING (the
 * ACTIVATE failed, or has not been executed yet) until TERMINATE.
 */
void ember_client_resolve_pending(struct ember_client *client)
{
	struct ember_device *edev = client->edev;
	struct ember_act *act, *old, *tmp;
	LIST_HEAD(superseded);
	void __iomem *regs;
	unsigned int i;
	u32 status;
	u64 base;

	mutex_lock(&edev->dbc_lock);
	list_for_each_entry(act, &client->acts, node) {
		if (act->state != EMBER_ACT_PENDING || edev->dbcs_gone)
			continue;
		for (i = 0; i < edev->info.num_dbcs; i++) {
			regs = edev->dbcs[i].regs;
			status = readl(regs + EMBER_DBC_STATUS);
			if (status == U32_MAX || !(status & EMBER_DBC_STATUS_ENABLED))
				continue;
			base = readl(regs + EMBER_DBC_REQ_BASE_LO) |
			       (u64)readl(regs + EMBER_DBC_REQ_BASE_HI) << 32;
			if (base != act->req_dma)
				continue;
			dev_dbg(&edev->pdev->dev,
				"client %u: DBC %u found for an unanswered ACTIVATE\n",
				client->handle, i);
			ember_act_install(act, i, &superseded);
			break;
		}
	}
	mutex_unlock(&edev->dbc_lock);

	list_for_each_entry_safe(old, tmp, &superseded, node)
		kfree(old);
}

/**
 * ember_client_live_act() - the client's LIVE record of a DBC
 * @client: the client, whose &ember_client.lock the caller holds
 * @dbc_id: the DBC
 *
 * Return: the record, or NULL if the client has no LIVE record of it.
 */
struct ember_act *ember_client_live_act(struct ember_client *client,
					u32 dbc_id)
{
	struct ember_device *edev = client->edev;
	struct ember_act *a, *live = NULL;

	mutex_lock(&edev->dbc_lock);
	list_for_each_entry(a, &client->acts, node) {
		if (a->state == EMBER_ACT_LIVE && a->dbc_id == dbc_id) {
			live = a;
			break;
		}
	}
	mutex_unlock(&edev->dbc_lock);
	return live;
}

/**
 * ember_act_leave() - stop serving a DBC the firmware is about to take away
 * @act: the record, whose client's &ember_client.lock the caller holds
 *
 * Called before a DEACTIVATE of the record's DBC or the client's TERMINATE
 * is sent: a LIVE record becomes LEAVING and the DBC has no owner for the
 * data path, so no job is written to its ring and no response is consumed
 * from it any more (see the top of this file). Jobs already in the ring
 * stay there until the outcome is known.
 *
 * Return: true if the record was LIVE (ember_act_stay() can undo this).
 */
bool ember_act_leave(struct ember_act *act)
{
	struct ember_device *edev = act->client->edev;
	bool live;

	mutex_lock(&edev->dbc_lock);
	live = act->state == EMBER_ACT_LIVE;
	if (live) {
		if (edev->dbcs[act->dbc_id].act == act)
			ember_dbc_set_act(&edev->dbcs[act->dbc_id], NULL);
		act->state = EMBER_ACT_LEAVING;
	}
	mutex_unlock(&edev->dbc_lock);
	return live;
}

/**
 * ember_act_stay() - the firmware kept the DBC: serve it again
 * @act: a record ember_act_leave() made LEAVING; the caller holds its
 *	client's &ember_client.lock
 *
 * For a DEACTIVATE that was not sent, or that the firmware refused. The
 * responses that arrived meanwhile are consumed at once: their interrupt
 * may have come and gone while the DBC had no owner.
 */
void ember_act_stay(struct ember_act *act)
{
	struct ember_device *edev = act->client->edev;
	struct ember_dbc *dbc = NULL;
	u32 inflight;

	mutex_lock(&edev->dbc_lock);
	if (act->state == EMBER_ACT_LEAVING && act->req_ring &&
	    !edev->dbcs[act->dbc_id].act) {
		dbc = &edev->dbcs[act->dbc_id];
		act->state = EMBER_ACT_LIVE;
		ember_dbc_set_act(dbc, act);
	}
	mutex_unlock(&edev->dbc_lock);
	if (dbc) {
		ember_sched_drain(dbc, U32_MAX, &inflight);
		ember_poll_kick(dbc);
	}
}

/**
 * ember_act_abandon() - the firmware gave the DBC to another client
 * @act: a LEAVING record; the caller holds its client's &ember_client.lock
 *
 * For a DEACTIVATE the firmware refused because another client has the
 * DBC: it runs that client's rings now, not these, so the jobs in them fail
 * with -ECANCELED. The rings stay with the record until the client's
 * TERMINATE is confirmed or the DBCs are reset (the firmware's view may be
 * the stale one).
 */
void ember_act_abandon(struct ember_act *act)
{
	struct ember_device *edev = act->client->edev;

	mutex_lock(&edev->dbc_lock);
	if (act->state == EMBER_ACT_LEAVING)
		ember_sched_act_lost(act);
	mutex_unlock(&edev->dbc_lock);
}

/**
 * ember_client_find_dbc() - the client's activation of a DBC
 * @client: the client, whose &ember_client.lock the caller holds
 * @dbc_id: DBC id from user space
 * @act: receives the LIVE record, or else the LEAVING one
 *
 * Client isolation: a DBC is usable only by the client it was activated
 * for. A record the client let go of with a DEACTIVATE whose outcome is
 * unknown (LEAVING) is found too, so the DEACTIVATE can be repeated.
 *
 * Return: 0; -EPERM if another client owns the DBC; -ENODEV if the
 * client's DBC was lost to a device reset (reported once: the record is
 * dropped); -ENOENT if the client does not own it (never activated,
 * already deactivated, or no such DBC).
 */
int ember_client_find_dbc(struct ember_client *client, u32 dbc_id,
			  struct ember_act **act)
{
	struct ember_device *edev = client->edev;
	struct ember_act *a, *dead = NULL, *leaving = NULL;
	int ret;

	mutex_lock(&edev->dbc_lock);
	list_for_each_entry(a, &client->acts, node) {
		if (a->dbc_id < 0 || a->dbc_id != dbc_id)
			continue;
		if (a->state == EMBER_ACT_LIVE) {
			*act = a;
			mutex_unlock(&edev->dbc_lock);
			return 0;
		}
		if (a->state == EMBER_ACT_LEAVING && a->req_ring && !leaving)
			leaving = a;
		if (a->state == EMBER_ACT_DEAD && !dead)
			dead = a;
	}
	if (leaving) {
		*act = leaving;
		mutex_unlock(&edev->dbc_lock);
		return 0;
	}
	if (dead) {
		/*
		 * Reported once: the record no longer names the DBC. It stays
		 * on the list until the client closes, because a MANAGE call
		 * in progress may still refer to it.
		 */
		dead->dbc_id = -1;
		ret = -ENODEV;
	} else if (dbc_id < edev->info.num_dbcs && edev->dbcs[dbc_id].act) {
		ret = -EPERM;
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&edev->dbc_lock);
	return ret;
}

/**
 * ember_dbcs_invalidate() - every DBC is (about to be) reset
 * @edev: device, registers still accessible
 * @gone: the device is being removed: DBCs stay reset, later rings are
 *	freed at once
 *
 * Before a reset and at removal, with the mailbox already stopped (so the
 * firmware activates nothing any more): stops every DBC through its
 * registers, frees every client's rings and marks their records DEAD, and
 * forgets every workload (ember_wl_forget_all()). A client learns about
 * its lost DBCs from DEACTIVATE (-ENODEV), about its lost workloads from
 * EXECUTE_BO (-ENODEV), and does not TERMINATE state of before the reset.
 */
void ember_dbcs_invalidate(struct ember_device *edev, bool gone)
{
	struct ember_client *client;
	struct ember_act *act;
	unsigned int i;

	mutex_lock(&edev->clients_lock);
	mutex_lock(&edev->dbc_lock);
	for (i = 0; i < edev->info.num_dbcs; i++)
		ember_dbc_hw_reset(edev, i);
	list_for_each_entry(client, &edev->clients, node) {
		list_for_each_entry(act, &client->acts, node) {
			if (act->state == EMBER_ACT_DEAD)
				continue;
			ember_act_free_rings(act);
			if (act->state == EMBER_ACT_PENDING)
				act->dbc_id = -1;
			act->state = EMBER_ACT_DEAD;
		}
	}
	if (gone)
		edev->dbcs_gone = true;
	mutex_unlock(&edev->dbc_lock);
	mutex_unlock(&edev->clients_lock);

	/* The firmware forgets the workloads too. */
	ember_wl_forget_all(edev);
}

/**
 * ember_clients_reset_done() - the device was reset successfully
 * @edev: device
 *
 * The firmware forgot every handle: those retired because their TERMINATE
 * went unanswered can be used again.
 */
void ember_clients_reset_done(struct ember_device *edev)
{
	struct ember_zombie *z, *tmp;
	LIST_HEAD(zombies);

	mutex_lock(&edev->clients_lock);
	list_splice_init(&edev->zombies, &zombies);
	mutex_unlock(&edev->clients_lock);

	list_for_each_entry_safe(z, tmp, &zombies, node) {
		ida_free(&edev->handles, z->handle);
		kfree(z);
	}
}

/*
 * TERMINATE the client (docs/nnc.md §6.6), uninterruptibly. Returns 0 if
 * the firmware holds nothing for the handle any more (confirmed, or it
 * never held anything in this mailbox generation), -ENODEV if the mailbox
 * is off (reset or removal: the firmware forgets everything), another
 * errno if the firmware's state is unknown.
 */
static int ember_client_terminate(struct ember_client *client)
{
	struct ember_nnc_req req = {
		.type = EMBER_NNC_T_TERMINATE,
		.u.term.handle = client->handle,
	};
	struct ember_device *edev = client->edev;
	struct ember_nnc_rsp rsp;
	u32 gen, features;
	int ret;

	if (!client->fw_used)
		return 0;
	ret = ember_mbox_session(edev, false, &gen, &features);
	if (ret)
		return ret;
	if (gen != client->fw_gen)
		return 0;	/* reset since: the firmware forgot the handle */

	ret = ember_mbox_exchange(edev, client->handle, &req, 1, &rsp,
				  EMBER_MBOX_F_NOSIG, 0);
	if (!ret && rsp.status)
		ret = ember_nnc_status_to_errno(rsp.status) ?: -EIO;
	if (!ret)
		dev_dbg(&edev->pdev->dev, "client %u terminated, %u DBC(s) released\n",
			client->handle, rsp.u.term.released);
	else if (ret != -ENODEV)
		dev_warn(&edev->pdev->dev,
			 "client %u (%s[%d]): TERMINATE failed (%d); stopping its DBCs, handle retired until the next reset\n",
			 client->handle, client->comm, client->pid, ret);
	return ret;
}

/*
 * Stop every DBC programmed with one of the client's rings (the firmware
 * did not confirm TERMINATE; an ACTIVATE whose reply was lost may have
 * given the client a DBC the driver does not know about). Under dbc_lock,
 * registers accessible.
 */
static void ember_client_stop_dbcs(struct ember_client *client)
{
	struct ember_device *edev = client->edev;
	struct ember_act *act;
	void __iomem *regs;
	unsigned int i;
	u64 base;

	for (i = 0; i < edev->info.num_dbcs; i++) {
		regs = edev->dbcs[i].regs;
		/* A stopped DBC runs nobody's rings; it may be given out. */
		if (!(readl(regs + EMBER_DBC_STATUS) & EMBER_DBC_STATUS_ENABLED))
			continue;
		base = readl(regs + EMBER_DBC_REQ_BASE_LO) |
		       (u64)readl(regs + EMBER_DBC_REQ_BASE_HI) << 32;
		list_for_each_entry(act, &client->acts, node) {
			if (act->req_ring && act->req_dma == base) {
				ember_dbc_hw_reset(edev, i);
				break;
			}
		}
	}
}

/* Free every record of a closing client; see the top of this file. */
static void ember_client_free_acts(struct ember_client *client,
				   bool confirmed, bool hw)
{
	struct ember_device *edev = client->edev;
	struct ember_act *act, *tmp;
	bool rings = false;
	LIST_HEAD(gone);

	mutex_lock(&edev->dbc_lock);
	list_for_each_entry(act, &client->acts, node)
		rings |= !!act->req_ring;
	if (rings && !confirmed && !edev->dbcs_gone) {
		if (hw) {
			ember_client_stop_dbcs(client);
		} else {
			/* Cannot happen: removal frees rings before unplug. */
			dev_err(&edev->pdev->dev,
				"client %u: rings leaked, DBCs could not be stopped\n",
				client->handle);
			list_for_each_entry(act, &client->acts, node)
				act->req_ring = NULL;
		}
	}
	list_for_each_entry_safe(act, tmp, &client->acts, node) {
		ember_act_free_rings(act);
		list_move(&act->node, &gone);
	}
	mutex_unlock(&edev->dbc_lock);

	list_for_each_entry_safe(act, tmp, &gone, node)
		kfree(act);
}

/**
 * ember_client_close() - the last reference to a client's file is gone
 * @client: the client (&drm_driver.postclose)
 *
 * Sends TERMINATE and frees everything the client holds; see the top of
 * this file. Not interruptible: when it returns the device no longer
 * touches the client's memory. Bounded by control_resp_timeout_s.
 */
void ember_client_close(struct ember_client *client)
{
	struct ember_device *edev = client->edev;
	struct ember_zombie *zombie = NULL;
	bool hw, retire = false;
	struct ember_act *act;
	int idx, ret = 0;

	mutex_lock(&client->lock);
	/*
	 * Let go of the DBCs and workloads before TERMINATE: once it is
	 * executed the firmware may give them to other clients.
	 */
	list_for_each_entry(act, &client->acts, node)
		ember_act_leave(act);
	ember_wl_client_closing(client);
	hw = drm_dev_enter(&edev->drm, &idx);
	if (hw)
		ret = ember_client_terminate(client);
	if (ret && ret != -ENODEV)
		retire = true;
	ember_client_free_acts(client, hw && !ret, hw);
	if (hw)
		drm_dev_exit(idx);
	/* Unloaded by TERMINATE, or held for a handle nobody gets again. */
	ember_wl_client_close(client);
	mutex_unlock(&client->lock);

	if (retire)
		zombie = kzalloc(sizeof(*zombie), GFP_KERNEL);
	mutex_lock(&edev->clients_lock);
	list_del(&client->node);
	edev->num_clients--;
	if (zombie) {
		zombie->handle = client->handle;
		list_add_tail(&zombie->node, &edev->zombies);
	}
	mutex_unlock(&edev->clients_lock);

	/* Without a zombie record the handle is simply never freed. */
	if (!retire)
		ida_free(&edev->handles, client->handle);
	client->file->driver_priv = NULL;
	mutex_destroy(&client->lock);
	kfree(client);
}
