// SPDX-License-Identifier: GPL-2.0-only
/*
 * DRM_IOCTL_EMBER_MANAGE (docs/nnc.md §14): NNC transactions from user
 * space to the firmware, on behalf of the calling client.
 *
 * Three kinds of structure are kept apart, as in QAIC: the uAPI
 * transactions (uapi/ember_accel.h), copied in whole and written back in
 * place with their Out fields filled; the codec's host views (struct
 * ember_nnc_req / ember_nnc_rsp, ember_nnc.h), which carry what only the
 * kernel knows (bus addresses of pinned user memory and of the DBC rings
 * it allocated, the client handle, sequence numbers, the CRC); and this
 * file's bookkeeping per transaction (struct ember_manage_trans).
 *
 * A call: validate every rule of the uAPI (nothing is allocated or sent
 * for a malformed call), take the client's lock (one MANAGE of a client
 * at a time, docs/nnc.md §8), check DBC ownership for DEACTIVATE, allocate
 * ACTIVATE rings and pin and map DMA_XFER buffers, then encode, send and
 * wait message by message (the codec splits a long segment list across
 * messages with MORE). The replies are decoded and validated by the codec
 * and applied: an OK ACTIVATE makes the client the owner of its DBC, an
 * OK DEACTIVATE frees the rings. The first failed transaction stops the
 * call; transactions after it report NOT_RUN.
 *
 * PASSTHROUGH data is passed through, except that LOAD_WORKLOAD and
 * UNLOAD_WORKLOAD are followed to keep the client's workload records
 * (ember_workload.c), which bound the device memory its slices may touch.
 * An UNLOAD_WORKLOAD of a workload a sliced BO pins is refused before
 * anything of the call is sent: the call fails with -EBUSY, that
 * transaction's status is BUSY and every other one's NOT_RUN.
 *
 * Signals: before the first message is queued any signal interrupts the
 * call (-ERESTARTSYS, nothing happened). Once a message is queued only a
 * fatal signal ends the wait (-EINTR; the process is dying and its file's
 * TERMINATE cleans up), because any other return would hide effects that
 * already took place. Pinned memory of a message given up on stays pinned
 * until the mailbox retires the message (ember_mbox.c); ACTIVATE rings of
 * a message whose outcome is unknown stay with the client (ember_client.c).
 */

#include <linux/bitops.h>
#include <linux/dma-mapping.h>
#include <linux/kref.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "ember_accel.h"
#include "ember_client.h"
#include "ember_drv.h"
#include "ember_ioctl.h"
#include "ember_mbox.h"
#include "ember_nnc.h"
#include "ember_workload.h"

/*
 * The uAPI uses the wire's type and status numbers (docs/nnc.md §14.2), and
 * a call fits the codec's limits.
 */
static_assert(EMBER_MANAGE_MAX_TRANS <= EMBER_NNC_MAX_TRANS);
static_assert(EMBER_MANAGE_PT_MAX == EMBER_NNC_PT_DATA_MAX);
static_assert(EMBER_NNC_T_STATUS == EMBER_MANAGE_TRANS_STATUS);
static_assert(EMBER_NNC_T_PASSTHROUGH == EMBER_MANAGE_TRANS_PASSTHROUGH);
static_assert(EMBER_NNC_T_DMA_XFER == EMBER_MANAGE_TRANS_DMA_XFER);
static_assert(EMBER_NNC_T_ACTIVATE == EMBER_MANAGE_TRANS_ACTIVATE);
static_assert(EMBER_NNC_T_DEACTIVATE == EMBER_MANAGE_TRANS_DEACTIVATE);
static_assert(EMBER_NNC_ST_OK == EMBER_MANAGE_STATUS_OK);
static_assert(EMBER_NNC_ST_BADCRC == EMBER_MANAGE_STATUS_BADCRC);
static_assert(EMBER_NNC_ST_NOT_RUN == EMBER_MANAGE_STATUS_NOT_RUN);

/* The smallest transaction (DEACTIVATE) is the smallest call. */
#define EMBER_MANAGE_MIN_LEN	sizeof(struct drm_ember_manage_trans_deactivate)

/**
 * struct ember_manage_dma - the user memory of a DMA_XFER, pinned and
 *	mapped for the device
 * @pages: pinned pages
 * @npages: entries of @pages pinned
 * @sgt: scatter-gather table of @pages
 * @sgt_alloc: @sgt was allocated
 * @mapped: @sgt is DMA-mapped
 * @segs: the mapped segments (adjacent ones merged), as the codec wants
 * @nsegs: entries of @segs
 */
struct ember_manage_dma {
	struct page **pages;
	unsigned long npages;
	struct sg_table sgt;
	bool sgt_alloc;
	bool mapped;
	struct ember_nnc_seg *segs;
	u32 nsegs;
};

/**
 * enum ember_manage_sent - how far a transaction got
 * @EMBER_MANAGE_UNSENT: not in a message the firmware received (or it
 *	refused the message as a whole)
 * @EMBER_MANAGE_UNKNOWN: in a message the firmware may have executed, but
 *	its reply never came or was malformed
 * @EMBER_MANAGE_ANSWERED: its final reply arrived
 */
enum ember_manage_sent {
	EMBER_MANAGE_UNSENT,
	EMBER_MANAGE_UNKNOWN,
	EMBER_MANAGE_ANSWERED,
};

/**
 * struct ember_manage_trans - kernel bookkeeping of one uAPI transaction
 * @type: EMBER_MANAGE_TRANS_*
 * @off: its offset in &ember_manage_call.buf
 * @len: its length (hdr.len)
 * @sent: enum ember_manage_sent
 * @status: NNC status to report (EMBER_NNC_ST_*)
 * @rsp: its reply (scalar fields; passthrough data is copied at once)
 * @act: ACTIVATE: the rings, until the outcome is known
 * @deact: DEACTIVATE: the client's record of the DBC, LEAVING until the
 *	outcome is known (ember_act_leave())
 * @left: DEACTIVATE: this transaction made @deact LEAVING
 * @dma: DMA_XFER: the pinned memory
 * @wl: PASSTHROUGH of a LOAD_WORKLOAD or of an UNLOAD_WORKLOAD of a
 *	recorded workload: what the workload records need afterwards
 */
struct ember_manage_trans {
	u32 type;
	u32 off;
	u32 len;
	enum ember_manage_sent sent;
	u32 status;
	struct ember_nnc_rsp rsp;
	struct ember_act *act;
	struct ember_act *deact;
	bool left;
	struct ember_manage_dma *dma;
	struct ember_wl_op *wl;
};

/**
 * struct ember_manage_call - one MANAGE call
 *
 * Reference counted: the ioctl holds one reference and every message
 * queued for it one more, because the firmware may still read the pinned
 * memory of a message after the ioctl gave up on it (ember_mbox.c).
 *
 * @ref: references
 * @edev: device
 * @len: bytes of transactions
 * @count: number of transactions
 * @wl_epoch: ember_wl_epoch() once the mailbox session was known
 * @buf: copy of the user's transactions, Out fields filled in place
 * @trans: bookkeeping per transaction
 * @reqs: the codec's view of each transaction
 */
struct ember_manage_call {
	struct kref ref;
	struct ember_device *edev;
	u32 len;
	u32 count;
	u32 wl_epoch;
	u8 *buf;
	struct ember_manage_trans trans[EMBER_MANAGE_MAX_TRANS];
	struct ember_nnc_req reqs[EMBER_MANAGE_MAX_TRANS];
};

/**
 * struct ember_manage_work - scratch space for the messages of a call
 * @enc: encoder state
 * @info: what the codec needs to validate the reply to a message
 * @hdr: decoded reply header
 * @rsps: decoded reply transactions
 * @wire: the encoded request message
 */
struct ember_manage_work {
	struct ember_nnc_enc enc;
	struct ember_nnc_msg_info info;
	struct ember_nnc_hdr hdr;
	struct ember_nnc_rsp rsps[EMBER_NNC_MAX_TRANS];
	u8 wire[EMBER_NNC_MSG_MAX];
};

static void ember_manage_unpin(struct device *dev, struct ember_manage_dma *d)
{
	if (d->mapped)
		dma_unmap_sgtable(dev, &d->sgt, DMA_TO_DEVICE, 0);
	if (d->sgt_alloc)
		sg_free_table(&d->sgt);
	if (d->npages)
		unpin_user_pages(d->pages, d->npages);
	kvfree(d->segs);
	kvfree(d->pages);
	kfree(d);
}

static void ember_manage_call_free(struct kref *ref)
{
	struct ember_manage_call *call = container_of(ref, struct ember_manage_call,
						      ref);
	u32 i;

	for (i = 0; i < call->count; i++)
		if (call->trans[i].dma)
			ember_manage_unpin(&call->edev->pdev->dev,
					   call->trans[i].dma);
	kfree(call->buf);
	kfree(call);
}

/* Release callback of a message: the firmware is done with it. */
static void ember_manage_call_put(void *data)
{
	struct ember_manage_call *call = data;

	kref_put(&call->ref, ember_manage_call_free);
}

/* Check one transaction against the uAPI rules (docs/nnc.md §14.2). */
static int ember_manage_check_trans(const void *p, u32 type, u32 len)
{
	const struct drm_ember_manage_trans_status *st = p;
	const struct drm_ember_manage_trans_dma_xfer *dma = p;
	const struct drm_ember_manage_trans_activate *act = p;

	switch (type) {
	case EMBER_MANAGE_TRANS_STATUS:
		if (len != sizeof(*st) || st->pad)
			return -EINVAL;
		return 0;
	case EMBER_MANAGE_TRANS_PASSTHROUGH:
		if (len < sizeof(struct drm_ember_manage_trans_passthrough) ||
		    len - sizeof(struct drm_ember_manage_trans_passthrough) >
		    EMBER_MANAGE_PT_MAX)
			return -EINVAL;
		return 0;
	case EMBER_MANAGE_TRANS_DMA_XFER:
		if (len != sizeof(*dma) || !dma->size ||
		    dma->size > EMBER_MANAGE_DMA_MAX ||
		    dma->size - 1 > U64_MAX - dma->addr)
			return -EINVAL;
		return 0;
	case EMBER_MANAGE_TRANS_ACTIVATE:
		if (len != sizeof(*act) || act->flags ||
		    act->ring_size < EMBER_NNC_RING_MIN ||
		    act->ring_size > EMBER_NNC_RING_MAX ||
		    !is_power_of_2(act->ring_size))
			return -EINVAL;
		return 0;
	case EMBER_MANAGE_TRANS_DEACTIVATE:
		if (len != sizeof(struct drm_ember_manage_trans_deactivate))
			return -EINVAL;
		return 0;
	default:		/* including TERMINATE: the kernel's own */
		return -EINVAL;
	}
}

/* Walk the transactions: lengths, alignment, types, fields, totals. */
static int ember_manage_parse(struct ember_manage_call *call)
{
	const struct drm_ember_manage_trans_hdr *hdr;
	u32 off = 0, i;
	int ret;

	for (i = 0; i < call->count; i++) {
		if (call->len - off < sizeof(*hdr))
			return -EINVAL;
		hdr = (const void *)(call->buf + off);
		if (hdr->len < sizeof(*hdr) || hdr->len % EMBER_NNC_ALIGN ||
		    hdr->len > call->len - off)
			return -EINVAL;
		ret = ember_manage_check_trans(hdr, hdr->type, hdr->len);
		if (ret)
			return ret;
		call->trans[i].type = hdr->type;
		call->trans[i].off = off;
		call->trans[i].len = hdr->len;
		call->trans[i].status = EMBER_NNC_ST_NOT_RUN;
		off += hdr->len;
	}
	return off == call->len ? 0 : -EINVAL;
}

/* Pin and map [addr, addr + size) of the caller for the device to read. */
static int ember_manage_pin(struct ember_device *edev, u64 addr, u64 size,
			    struct ember_manage_dma **out)
{
	struct device *dev = &edev->pdev->dev;
	unsigned long start = addr & PAGE_MASK;
	unsigned int offset = offset_in_page(addr);
	unsigned long npages = DIV_ROUND_UP(offset + size, PAGE_SIZE);
	struct ember_manage_dma *d;
	struct scatterlist *sg;
	unsigned int i;
	long pinned;
	u32 n = 0;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	*out = d;
	d->pages = kvmalloc_array(npages, sizeof(*d->pages), GFP_KERNEL);
	if (!d->pages)
		return -ENOMEM;
	while (d->npages < npages) {
		pinned = pin_user_pages_fast(start + d->npages * PAGE_SIZE,
					     npages - d->npages, 0,
					     d->pages + d->npages);
		if (pinned <= 0)
			return pinned == -ENOMEM ? -ENOMEM : -EFAULT;
		d->npages += pinned;
	}
	ret = sg_alloc_table_from_pages_segment(&d->sgt, d->pages, npages,
						offset, size, UINT_MAX,
						GFP_KERNEL);
	if (ret)
		return ret;
	d->sgt_alloc = true;
	ret = dma_map_sgtable(dev, &d->sgt, DMA_TO_DEVICE, 0);
	if (ret)
		return ret;
	d->mapped = true;

	d->segs = kvmalloc_array(d->sgt.nents, sizeof(*d->segs), GFP_KERNEL);
	if (!d->segs)
		return -ENOMEM;
	for_each_sgtable_dma_sg(&d->sgt, sg, i) {
		dma_addr_t a = sg_dma_address(sg);
		u32 l = sg_dma_len(sg);

		if (n && d->segs[n - 1].addr + d->segs[n - 1].len == a &&
		    d->segs[n - 1].len + l <= UINT_MAX) {
			d->segs[n - 1].len += l;
		} else {
			d->segs[n].addr = a;
			d->segs[n].len = l;
			n++;
		}
	}
	d->nsegs = n;
	return 0;
}

/*
 * DBCs of earlier ACTIVATEs whose reply was lost, ownership of DEACTIVATE
 * targets, UNLOADs of pinned workloads (*@refused: the statuses say which),
 * then rings and pinned memory. Under the client's lock. What was allocated
 * is released by ember_manage_finish().
 */
static int ember_manage_prepare(struct ember_client *client,
				struct ember_manage_call *call, bool *refused)
{
	struct ember_device *edev = client->edev;
	struct drm_ember_manage_trans_passthrough *pt;
	struct ember_manage_trans *t;
	struct ember_act *act;
	void *p;
	u32 i;
	int ret;

	ember_client_resolve_pending(client);
	for (i = 0; i < call->count; i++) {
		t = &call->trans[i];
		p = call->buf + t->off;
		if (t->type != EMBER_MANAGE_TRANS_DEACTIVATE)
			continue;
		ret = ember_client_find_dbc(client,
					    ((struct drm_ember_manage_trans_deactivate *)p)->dbc_id,
					    &t->deact);
		if (ret)
			return ret;
	}
	for (i = 0; i < call->count; i++) {
		t = &call->trans[i];
		p = call->buf + t->off;
		if (t->type != EMBER_MANAGE_TRANS_PASSTHROUGH)
			continue;
		pt = p;
		ret = ember_wl_op_prepare(client, pt->data,
					  t->len - sizeof(*pt), &t->wl);
		if (ret == -EBUSY) {
			t->status = EMBER_NNC_ST_BUSY;
			*refused = true;
		}
		if (ret)
			return ret;
	}
	for (i = 0; i < call->count; i++) {
		t = &call->trans[i];
		p = call->buf + t->off;
		if (t->type == EMBER_MANAGE_TRANS_ACTIVATE) {
			struct drm_ember_manage_trans_activate *a = p;

			act = ember_act_alloc(client, a->ring_size);
			if (IS_ERR(act))
				return PTR_ERR(act);
			t->act = act;
		} else if (t->type == EMBER_MANAGE_TRANS_DMA_XFER) {
			struct drm_ember_manage_trans_dma_xfer *d = p;

			ret = ember_manage_pin(edev, d->addr, d->size, &t->dma);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* The codec's view of the transactions. */
static void ember_manage_build(struct ember_client *client,
			       struct ember_manage_call *call, u32 features)
{
	struct ember_manage_trans *t;
	struct ember_nnc_req *r;
	void *p;
	u32 i;

	for (i = 0; i < call->count; i++) {
		t = &call->trans[i];
		r = &call->reqs[i];
		p = call->buf + t->off;
		memset(r, 0, sizeof(*r));
		r->type = t->type;
		switch (t->type) {
		case EMBER_MANAGE_TRANS_STATUS:
			/* A client's STATUS offers what is in effect (§6.1). */
			r->u.status.features = features;
			break;
		case EMBER_MANAGE_TRANS_PASSTHROUGH:
			r->u.pt.data = ((struct drm_ember_manage_trans_passthrough *)p)->data;
			r->u.pt.len = t->len -
				      sizeof(struct drm_ember_manage_trans_passthrough);
			break;
		case EMBER_MANAGE_TRANS_DMA_XFER:
			client->next_xfer_id = client->next_xfer_id + 1 ?: 1;
			r->u.dma.tag = ((struct drm_ember_manage_trans_dma_xfer *)p)->tag;
			r->u.dma.xfer_id = client->next_xfer_id;
			r->u.dma.nsegs = t->dma->nsegs;
			r->u.dma.segs = t->dma->segs;
			break;
		case EMBER_MANAGE_TRANS_ACTIVATE:
			r->u.act.ring_size = t->act->ring_size;
			r->u.act.req_base = t->act->req_dma;
			r->u.act.rsp_base = t->act->rsp_dma;
			break;
		default:	/* DEACTIVATE */
			r->u.deact.dbc_id =
				((struct drm_ember_manage_trans_deactivate *)p)->dbc_id;
			break;
		}
	}
}

/*
 * The firmware stopped DBC @dbc_id for @client (DEACTIVATE answered OK, or
 * NOENT: it holds no such DBC): every record of the client on that DBC
 * loses it, @act (the transaction's target) and any record an ACTIVATE
 * earlier in the same call installed on it.
 */
static void ember_manage_release_dbc(struct ember_client *client,
				     struct ember_manage_call *call,
				     struct ember_act *act, u32 dbc_id)
{
	struct ember_act *a, *tmp;
	u32 j;

	list_for_each_entry_safe(a, tmp, &client->acts, node) {
		if (a != act && (a->dbc_id < 0 || a->dbc_id != dbc_id ||
				 (a->state != EMBER_ACT_LIVE &&
				  a->state != EMBER_ACT_LEAVING)))
			continue;
		for (j = 0; j < call->count; j++)
			if (call->trans[j].deact == a)
				call->trans[j].deact = NULL;
		ember_act_release(a);
	}
}

/*
 * Apply the decoded reply to a message: record statuses and Out values,
 * take ownership of activated DBCs, free deactivated ones. Returns the
 * errno of the first failed transaction, 0 if none failed.
 */
static int ember_manage_apply(struct ember_client *client,
			      struct ember_manage_call *call,
			      struct ember_manage_work *w)
{
	struct ember_manage_trans *t;
	struct ember_nnc_rsp *r;
	struct drm_ember_manage_trans_deactivate *deact;
	int err = 0;
	u32 i;

	for (i = 0; i < w->hdr.count; i++) {
		t = &call->trans[w->info.first + i];
		r = &w->rsps[i];
		t->status = r->status;
		t->rsp = *r;
		/* An accepted chunk of a continued DMA_XFER is not final. */
		if (w->info.more && i == w->hdr.count - 1 &&
		    r->status == EMBER_NNC_ST_OK)
			continue;
		t->sent = EMBER_MANAGE_ANSWERED;

		switch (t->type) {
		case EMBER_MANAGE_TRANS_PASSTHROUGH:
			memcpy(call->buf + t->off +
			       sizeof(struct drm_ember_manage_trans_passthrough),
			       r->u.pt.data, r->u.pt.len);
			t->rsp.u.pt.data = NULL;
			break;
		case EMBER_MANAGE_TRANS_ACTIVATE:
			if (r->status != EMBER_NNC_ST_OK)
				break;	/* rings freed by ember_manage_finish() */
			if (ember_act_activated(t->act, r->u.act.dbc_id)) {
				/* Not a DBC of ours: outcome unknown. */
				t->status = EMBER_NNC_ST_IO;
				t->sent = EMBER_MANAGE_UNKNOWN;
			} else {
				t->act = NULL;	/* the client's now */
			}
			break;
		case EMBER_MANAGE_TRANS_DEACTIVATE:
			if (r->status != EMBER_NNC_ST_OK &&
			    r->status != EMBER_NNC_ST_NOENT)
				break;
			/* The firmware no longer uses the DBC's rings. */
			deact = (void *)(call->buf + t->off);
			if (t->deact)
				ember_manage_release_dbc(client, call, t->deact,
							 deact->dbc_id);
			break;
		default:
			break;
		}
		if (!err && t->status != EMBER_NNC_ST_OK &&
		    t->status != EMBER_NNC_ST_NOT_RUN)
			err = ember_nnc_status_to_errno(t->status) ?: -EIO;
	}
	return err;
}

/* Drop a partial transfer the firmware may hold (docs/nnc.md §8.5). */
static void ember_manage_abort(struct ember_client *client, u32 xfer_id)
{
	struct ember_nnc_req req = {
		.type = EMBER_NNC_T_DMA_XFER,
		.u.dma.flags = EMBER_NNC_DMA_ABORT,
		.u.dma.xfer_id = xfer_id,
	};
	struct ember_nnc_rsp rsp;

	/* Queued behind the failed message; its reply does not matter. */
	ember_mbox_exchange(client->edev, client->handle, &req, 1, &rsp, 0, -1);
}

/* Out fields of one transaction, in place in the call's buffer. */
static void ember_manage_write_out(struct ember_manage_call *call,
				   const struct ember_manage_trans *t)
{
	bool ok = t->sent == EMBER_MANAGE_ANSWERED &&
		  t->status == EMBER_NNC_ST_OK;
	void *p = call->buf + t->off;

	switch (t->type) {
	case EMBER_MANAGE_TRANS_STATUS: {
		struct drm_ember_manage_trans_status *s = p;

		s->status = t->status;
		s->features = ok ? t->rsp.u.status.features : 0;
		s->major = ok ? t->rsp.u.status.major : 0;
		s->minor = ok ? t->rsp.u.status.minor : 0;
		break;
	}
	case EMBER_MANAGE_TRANS_PASSTHROUGH: {
		struct drm_ember_manage_trans_passthrough *pt = p;

		pt->status = t->status;
		pt->rsp_len = t->sent == EMBER_MANAGE_ANSWERED ?
			      t->rsp.u.pt.len : 0;
		break;
	}
	case EMBER_MANAGE_TRANS_DMA_XFER: {
		struct drm_ember_manage_trans_dma_xfer *d = p;

		d->status = t->status;
		d->received = t->sent == EMBER_MANAGE_ANSWERED ?
			      t->rsp.u.dma.received : 0;
		break;
	}
	case EMBER_MANAGE_TRANS_ACTIVATE: {
		struct drm_ember_manage_trans_activate *a = p;

		a->status = t->status;
		a->dbc_id = ok ? t->rsp.u.act.dbc_id : 0;
		break;
	}
	default: {
		struct drm_ember_manage_trans_deactivate *d = p;

		d->status = t->status;
		break;
	}
	}
}

/*
 * Send the call's transactions message by message and apply the replies.
 * Under the client's lock. Returns the call's result (docs/nnc.md §14.3);
 * *@executed tells whether the firmware executed any message of it (then
 * the Out fields must be written back).
 */
/*
 * The DBCs that DEACTIVATEs among transactions @first .. @first + @count - 1
 * name: the data path lets go of them now, right before the message that
 * carries them is queued, because the firmware may give a DBC to another
 * client as soon as it executes the DEACTIVATE (ember_act_leave()). The
 * target is looked up again: an ACTIVATE earlier in the call may have
 * installed a record on the DBC since prepare found the old one.
 */
static void ember_manage_leave(struct ember_client *client,
			       struct ember_manage_call *call, u32 first,
			       u32 count)
{
	struct drm_ember_manage_trans_deactivate *d;
	struct ember_manage_trans *t;
	struct ember_act *live;
	u32 i;

	for (i = first; i < first + count; i++) {
		t = &call->trans[i];
		if (t->type != EMBER_MANAGE_TRANS_DEACTIVATE || !t->deact)
			continue;
		d = (void *)(call->buf + t->off);
		live = ember_client_live_act(client, d->dbc_id);
		if (live)
			t->deact = live;
		if (ember_act_leave(t->deact))
			t->left = true;
	}
}

static int ember_manage_run(struct ember_client *client,
			    struct ember_manage_call *call,
			    struct ember_manage_work *w, bool *executed)
{
	struct ember_device *edev = client->edev;
	u32 gen, features, seq, i, fail_at = U32_MAX, fail_status = 0;
	bool crc, first = true, partial = false, queued;
	struct ember_mbox_msg *msg;
	enum ember_nnc_reason why;
	int ret, len, err = 0;

	ret = ember_mbox_session(edev, false, &gen, &features);
	if (ret)
		return ret;
	/* A reset from now on makes the call's LOADs stale. */
	call->wl_epoch = ember_wl_epoch(edev);
	crc = features & EMBER_NNC_FEAT_CRC;
	ember_manage_build(client, call, features);
	ret = ember_nnc_enc_init(&w->enc, call->reqs, call->count,
				 client->handle, crc ? EMBER_NNC_F_CRC : 0, &why);
	if (ret) {
		/* The uAPI checks are at least as strict as the codec's. */
		dev_dbg(&edev->pdev->dev, "MANAGE: codec refused: %s\n",
			ember_nnc_reason_str(why));
		return -EINVAL;
	}

	while (!ember_nnc_enc_done(&w->enc)) {
		queued = false;
		seq = ember_mbox_next_seq(edev);
		len = ember_nnc_enc_next(&w->enc, w->wire, EMBER_NNC_MSG_MAX,
					 seq, &w->info, &why);
		if (len <= 0) {
			ret = -EINVAL;
			break;
		}
		fail_at = w->info.first;
		msg = ember_mbox_msg_alloc(ember_manage_call_put, call);
		if (!msg) {
			ret = -ENOMEM;
			break;
		}
		kref_get(&call->ref);
		ember_manage_leave(client, call, w->info.first, w->info.count);
		ret = ember_mbox_send(edev, msg, w->wire, len, gen, seq,
				      first ? EMBER_MBOX_F_INTR : 0);
		if (!ret) {
			queued = true;
			client->fw_used = true;
			client->fw_gen = gen;
			for (i = 0; i < w->info.count; i++)
				call->trans[w->info.first + i].sent =
					EMBER_MANAGE_UNKNOWN;
			ret = ember_mbox_wait(edev, msg, EMBER_MBOX_WAIT_KILLABLE);
		}
		if (!ret) {
			ret = ember_nnc_decode_reply(msg->rsp, EMBER_MBOX_SLOT_SIZE,
						     &w->info,
						     crc ? EMBER_NNC_DEC_REQUIRE_CRC : 0,
						     &w->hdr, w->rsps,
						     EMBER_NNC_MAX_TRANS, &why);
			if (ret) {
				ember_mbox_count_decode_error(edev, why);
				dev_warn_ratelimited(&edev->pdev->dev,
						     "MANAGE: reply to message %u refused: %s\n",
						     seq, ember_nnc_reason_str(why));
			}
		}
		if (!ret && w->hdr.status) {
			/* Refused as a whole: nothing of it was executed. */
			for (i = 0; i < w->info.count; i++)
				call->trans[w->info.first + i].sent =
					EMBER_MANAGE_UNSENT;
			fail_status = w->hdr.status;
			ret = ember_nnc_status_to_errno(w->hdr.status) ?: -EIO;
		}
		if (ret) {
			ember_mbox_msg_put(msg);
			/* A partial transfer may be left in the firmware. */
			if ((partial || (queued && w->info.more)) &&
			    ret != -EINTR && ret != -ENODEV)
				ember_manage_abort(client,
						   call->reqs[queued && w->info.more ?
						   w->info.first + w->info.count - 1 :
						   w->info.first].u.dma.xfer_id);
			break;
		}
		*executed = true;
		err = ember_manage_apply(client, call, w);
		partial = w->info.more;
		ember_mbox_msg_put(msg);
		first = false;
		if (err)
			break;
	}

	/* Statuses of what was not answered (docs/nnc.md §14.3). */
	for (i = 0; i < call->count; i++) {
		struct ember_manage_trans *t = &call->trans[i];

		if (t->sent == EMBER_MANAGE_ANSWERED)
			continue;
		if (ret && i == fail_at)
			t->status = fail_status ?: EMBER_NNC_ST_IO;
		else
			t->status = EMBER_NNC_ST_NOT_RUN;
	}
	return ret ?: err;
}

/*
 * A DEACTIVATE whose DBC was not freed by ember_manage_apply(): the DBC is
 * served again if the firmware certainly kept it (not sent, or refused
 * for a reason other than the DBC being another client's); its jobs fail
 * if another client has it; the record stays LEAVING, jobs and all, if
 * the outcome is unknown (the DBC may still run them).
 */
static void ember_manage_deact_finish(struct ember_manage_trans *t)
{
	if (t->sent == EMBER_MANAGE_ANSWERED && t->status == EMBER_NNC_ST_PERM)
		ember_act_abandon(t->deact);
	else if (t->sent != EMBER_MANAGE_UNKNOWN && t->left)
		ember_act_stay(t->deact);
	t->deact = NULL;
}

/*
 * Apply the outcome of workload commands to the client's records, release
 * what the call allocated and no longer needs.
 */
static void ember_manage_finish(struct ember_client *client,
				struct ember_manage_call *call)
{
	struct ember_manage_trans *t;
	bool answered;
	u32 i;

	for (i = 0; i < call->count; i++) {
		t = &call->trans[i];
		if (t->deact)
			ember_manage_deact_finish(t);
		if (t->wl) {
			answered = t->sent == EMBER_MANAGE_ANSWERED;
			/* An answered PASSTHROUGH holds its reply in place. */
			ember_wl_op_finish(client, t->wl, call->wl_epoch,
					   answered ? t->status : EMBER_NNC_ST_NOT_RUN,
					   t->sent == EMBER_MANAGE_UNKNOWN,
					   call->buf + t->off +
					   sizeof(struct drm_ember_manage_trans_passthrough),
					   answered ? t->rsp.u.pt.len : 0);
			t->wl = NULL;
		}
		if (!t->act)
			continue;
		/* Unknown outcome: the rings stay PENDING with the client. */
		if (t->sent != EMBER_MANAGE_UNKNOWN)
			ember_act_release(t->act);
		t->act = NULL;
	}
}

/**
 * ember_ioctl_manage() - DRM_IOCTL_EMBER_MANAGE
 * @drm: DRM device
 * @data: &struct drm_ember_manage_msg, copied in and out by the DRM core
 * @file: DRM file of the caller (the client)
 *
 * Blocks until the firmware answered every message of the call, at most
 * control_resp_timeout_s per message. See the top of this file and
 * docs/nnc.md §14.3 for the result.
 *
 * Return: 0 if every transaction succeeded; the errno of the first failed
 * transaction (every Out field written), including -EBUSY for an
 * UNLOAD_WORKLOAD of a workload a sliced BO pins (then nothing was sent);
 * or, with nothing written unless an earlier message of the call was
 * executed: -EINVAL (malformed call),
 * -EFAULT, -ENOMEM, -ENOENT / -EPERM / -ENODEV (DEACTIVATE of a DBC the
 * client does not own / another client owns / lost to a reset),
 * -EOPNOTSUPP (no mailbox, or a reply of another NNC major), -EIO
 * (malformed reply, bad CRC, message refused), -ETIMEDOUT, -ENODEV
 * (device offline or resetting), -ERESTARTSYS or -EINTR (signal).
 */
int ember_ioctl_manage(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct ember_device *edev = to_ember_device(drm);
	struct ember_client *client = file->driver_priv;
	struct drm_ember_manage_msg *args = data;
	struct ember_manage_call *call;
	struct ember_manage_work *w = NULL;
	bool executed = false, refused = false;
	int idx, ret;

	if (args->flags || args->pad)
		return -EINVAL;
	if (!args->count || args->count > EMBER_MANAGE_MAX_TRANS ||
	    args->len < EMBER_MANAGE_MIN_LEN || args->len > EMBER_MANAGE_MAX_LEN)
		return -EINVAL;
	if (!edev->mbox.depth)
		return -EOPNOTSUPP;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	call = kzalloc(sizeof(*call), GFP_KERNEL);
	if (!call) {
		drm_dev_exit(idx);
		return -ENOMEM;
	}
	kref_init(&call->ref);
	call->edev = edev;
	call->len = args->len;
	call->count = args->count;
	call->buf = kmalloc(args->len, GFP_KERNEL);
	if (!call->buf) {
		ret = -ENOMEM;
		goto out_put;
	}
	if (copy_from_user(call->buf, u64_to_user_ptr(args->data), args->len)) {
		ret = -EFAULT;
		goto out_put;
	}
	ret = ember_manage_parse(call);
	if (ret)
		goto out_put;
	w = kmalloc(sizeof(*w), GFP_KERNEL);
	if (!w) {
		ret = -ENOMEM;
		goto out_put;
	}

	if (mutex_lock_interruptible(&client->lock)) {
		ret = -ERESTARTSYS;
		goto out_put;
	}
	ret = ember_manage_prepare(client, call, &refused);
	if (!ret)
		ret = ember_manage_run(client, call, w, &executed);
	ember_manage_finish(client, call);
	mutex_unlock(&client->lock);

	if (executed || refused) {
		u32 i;

		for (i = 0; i < call->count; i++)
			ember_manage_write_out(call, &call->trans[i]);
		if (copy_to_user(u64_to_user_ptr(args->data), call->buf,
				 call->len) && !ret)
			ret = -EFAULT;
	}
out_put:
	kfree(w);
	kref_put(&call->ref, ember_manage_call_free);
	drm_dev_exit(idx);
	return ret;
}
