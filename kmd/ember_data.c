// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember data path (docs/datapath.md): BOs sliced for a DBC the client
 * owns, executed through that DBC's rings, completed from the DBC
 * interrupt.
 *
 * ATTACH_SLICE_BO DMA-maps the BO (its pages stay pinned and mapped until
 * the BO is freed) and turns every slice into DBC requests with the bus
 * addresses of the BO pages, split at DMA segment boundaries and at
 * EMBER_REQ_MAX_LEN. EXECUTE_BO copies those requests into the request
 * ring of the caller's activation, all requests of a BO under one cookie,
 * and rings the doorbell; it does not wait. The execution holds a
 * reference to the BO, so a BO closed while queued lives until the
 * execution ends. The DBC interrupt schedules &ember_dbc.rsp_work, which
 * drains the response ring, matches responses to the queued executions
 * (a DBC runs requests in order, so they complete in submission order)
 * and signals each execution's dma_fence when its last response arrives.
 * WAIT_BO waits for that fence.
 *
 * Submission is direct, not through drm_sched: the ring is the queue and
 * EXECUTE_BO returns -EAGAIN when it is full.
 *
 * Locking: every data-path field of &struct ember_act and &struct ember_bo
 * is under &ember_device.dbc_lock, the lock that already guards the rings'
 * lifetime. When a record loses its rings (DEACTIVATE, close, reset,
 * removal: the DBC is stopped first) ember_data_act_lost() fails its
 * queued executions with -ECANCELED.
 *
 * TODO: device-memory ranges are checked against the function's device
 * memory only, not against the regions of the workloads the client
 * loaded.
 */

#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>

#include "ember_accel.h"
#include "ember_data.h"
#include "ember_drv.h"
#include "ember_ioctl.h"

static unsigned int ember_wait_default_ms = 5000;
module_param_named(wait_exec_default_timeout_ms, ember_wait_default_ms,
		   uint, 0644);
MODULE_PARM_DESC(wait_exec_default_timeout_ms,
		 "WAIT_BO timeout when the caller passes 0, ms (default 5000)");

#define EMBER_GEMM_MAX_DIM	4096
/* Requests per BO: bounded by the largest ring anyway. */
#define EMBER_BO_MAX_REQS	65535u

/* ---- fences ---- */

/* A fence with its own lock: it may outlive the rings it was queued on. */
struct ember_fence {
	struct dma_fence base;	/* first: dma_fence_free() frees this */
	spinlock_t lock;	/* the fence's lock */
};

static const char *ember_fence_driver_name(struct dma_fence *fence)
{
	return "ember";
}

static const char *ember_fence_timeline_name(struct dma_fence *fence)
{
	return "ember-dbc";
}

static const struct dma_fence_ops ember_fence_ops = {
	.get_driver_name = ember_fence_driver_name,
	.get_timeline_name = ember_fence_timeline_name,
};

/* ---- completion ---- */

/* The execution of @bo ended (all responses, or its rings are gone). */
static void ember_bo_complete(struct ember_device *edev, struct ember_bo *bo)
{
	struct sg_table *sgt = bo->base.sgt;

	lockdep_assert_held(&edev->dbc_lock);

	list_del_init(&bo->qnode);
	bo->queued = false;
	bo->act = NULL;
	if (sgt)
		dma_sync_sgtable_for_cpu(edev->drm.dev, sgt, DMA_BIDIRECTIONAL);
	if (bo->error)
		dma_fence_set_error(bo->fence, bo->error);
	dma_fence_signal(bo->fence);
	/*
	 * The execution's reference. The BO's free callback does not take
	 * dbc_lock, so a final put here is safe.
	 */
	drm_gem_object_put(&bo->base.base);
}

/**
 * ember_data_act_lost() - a record is about to lose its rings
 * @act: the record; its DBC no longer uses the rings
 *
 * Fails every execution still queued on the rings with -ECANCELED. Under
 * &ember_device.dbc_lock.
 */
void ember_data_act_lost(struct ember_act *act)
{
	struct ember_device *edev = act->client->edev;
	struct ember_bo *bo, *tmp;

	lockdep_assert_held(&edev->dbc_lock);

	list_for_each_entry_safe(bo, tmp, &act->queued, qnode) {
		if (!bo->error)
			bo->error = -ECANCELED;
		ember_bo_complete(edev, bo);
	}
	act->inflight = 0;
}

/* One response of @act's ring. */
static void ember_data_response(struct ember_device *edev,
				struct ember_act *act,
				const struct ember_dbc_rsp *rsp)
{
	u64 cookie = le64_to_cpu(rsp->cookie);
	struct ember_bo *bo, *head;

	head = list_first_entry_or_null(&act->queued, struct ember_bo, qnode);
	if (!head) {
		dev_warn_ratelimited(edev->drm.dev,
				     "DBC %d: response without a queued execution\n",
				     act->dbc_id);
		return;
	}
	bo = head;
	if (cookie != head->seq) {
		/* Cannot happen unless the response is corrupt. */
		dev_warn_ratelimited(edev->drm.dev,
				     "DBC %d: response with unknown cookie %#llx (status %u)\n",
				     act->dbc_id, cookie, rsp->status);
		head->error = -EIO;
	}
	if (rsp->status != EMBER_RSP_OK && !bo->error)
		bo->error = -EIO;
	if (!bo->done)
		bo->queue_level = le32_to_cpu(rsp->queue_level);
	bo->device_ns += le32_to_cpu(rsp->device_ns);
	bo->done_ts = le64_to_cpu(rsp->done_ts);
	if (act->inflight)
		act->inflight--;
	if (++bo->done == bo->sent)
		ember_bo_complete(edev, bo);
}

/* Drain the response ring of @act on DBC @dbc. Under dbc_lock. */
static void ember_data_drain(struct ember_dbc *dbc, struct ember_act *act)
{
	struct ember_device *edev = dbc->edev;
	const struct ember_dbc_rsp *ring = act->rsp_ring;
	u32 mask = act->ring_size - 1;
	u32 head = act->rsp_head;
	u32 status, tail;

	status = readl(dbc->regs + EMBER_DBC_STATUS);
	if (status == U32_MAX || !(status & EMBER_DBC_STATUS_ENABLED))
		return;	/* reset or stopped: the rings are about to go */

	for (;;) {
		tail = readl(dbc->regs + EMBER_DBC_RSP_TAIL);
		if (tail > mask)
			return;
		if (tail == head)
			break;
		if (((tail - head) & mask) > act->inflight) {
			dev_warn_ratelimited(edev->drm.dev,
					     "DBC %u: %u responses for %u requests\n",
					     dbc->id, (tail - head) & mask,
					     act->inflight);
			return;
		}
		/* Read the entries only after the index. */
		dma_rmb();
		while (head != tail) {
			ember_data_response(edev, act, &ring[head]);
			head = (head + 1) & mask;
		}
		act->rsp_head = head;
		/*
		 * A response written after the tail was read does not raise
		 * an interrupt (the ring was not empty, docs/hardware.md
		 * §4.2): look again after moving the head.
		 */
		writel(head, dbc->regs + EMBER_DBC_RSP_HEAD);
	}
}

static void ember_data_rsp_work(struct work_struct *work)
{
	struct ember_dbc *dbc = container_of(work, struct ember_dbc, rsp_work);
	struct ember_device *edev = dbc->edev;
	struct ember_act *act;
	int idx;

	if (!drm_dev_enter(&edev->drm, &idx))
		return;
	mutex_lock(&edev->dbc_lock);
	act = dbc->act;
	if (act && act->rsp_ring && !list_empty(&act->queued))
		ember_data_drain(dbc, act);
	mutex_unlock(&edev->dbc_lock);
	drm_dev_exit(idx);
}

/**
 * ember_data_dbc_irq() - a DBC signalled (hard-IRQ context)
 * @dbc: the DBC
 *
 * Hands the response ring to &ember_dbc.rsp_work.
 */
void ember_data_dbc_irq(struct ember_dbc *dbc)
{
	queue_work(system_highpri_wq, &dbc->rsp_work);
}

static void ember_data_release(struct drm_device *drm, void *arg)
{
	struct ember_device *edev = arg;
	unsigned int i;

	for (i = 0; i < edev->info.num_dbcs; i++)
		cancel_work_sync(&edev->dbcs[i].rsp_work);
}

/**
 * ember_data_init() - set up the data path of the DBCs
 * @edev: device with &ember_device.dbcs allocated
 *
 * Return: 0 or -ENOMEM.
 */
int ember_data_init(struct ember_device *edev)
{
	unsigned int i;

	for (i = 0; i < edev->info.num_dbcs; i++)
		INIT_WORK(&edev->dbcs[i].rsp_work, ember_data_rsp_work);
	return drmm_add_action_or_reset(&edev->drm, ember_data_release, edev);
}

/* ---- DBC lookup ---- */

/*
 * The caller's LIVE activation of DBC @dbc_id, under dbc_lock: -EPERM if
 * another client owns it, -ENODEV if the caller lost it to a reset,
 * -ENOENT otherwise (docs/uapi.md).
 */
static int ember_data_find_act(struct ember_client *client, u32 dbc_id,
			       struct ember_act **out)
{
	struct ember_device *edev = client->edev;
	struct ember_act *act;
	bool dead = false;

	lockdep_assert_held(&edev->dbc_lock);

	list_for_each_entry(act, &client->acts, node) {
		if (act->dbc_id < 0 || act->dbc_id != dbc_id)
			continue;
		if (act->state == EMBER_ACT_LIVE && act->req_ring) {
			*out = act;
			return 0;
		}
		if (act->state == EMBER_ACT_DEAD)
			dead = true;
	}
	if (dead)
		return -ENODEV;
	if (dbc_id < edev->info.num_dbcs && edev->dbcs[dbc_id].act)
		return -EPERM;
	return -ENOENT;
}

/* ---- slicing ---- */

/* [off, off + len) within the function's device memory. */
static bool ember_devmem_ok(const struct ember_device *edev, u64 off, u64 len)
{
	u64 end;

	return !check_add_overflow(off, len, &end) &&
	       end <= edev->info.devmem_size;
}

/*
 * Requests for BO bytes [off, off + len) of a BO mapped by @sgt: one per
 * DMA segment piece of at most EMBER_REQ_MAX_LEN bytes, from @tmpl with
 * the bus address in src (@to_dev) or dst. Writes them to @out when not
 * NULL. Returns the number of requests.
 */
static u32 ember_slice_split(struct sg_table *sgt, u64 off, u64 len,
			     const struct ember_dbc_req *tmpl, bool to_dev,
			     struct ember_bo_req *out)
{
	struct scatterlist *sg;
	u64 seg_start = 0;
	u32 n = 0;
	int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 seg_len = sg_dma_len(sg);
		u64 start = max(off, seg_start);
		u64 end = min(off + len, seg_start + seg_len);

		while (start < end) {
			u64 chunk = min_t(u64, end - start, EMBER_REQ_MAX_LEN);
			u64 bus = sg_dma_address(sg) + (start - seg_start);

			if (out) {
				out[n].req = *tmpl;
				out[n].req.len = cpu_to_le32(chunk);
				if (to_dev)
					out[n].req.src = cpu_to_le64(bus);
				else
					out[n].req.dst = cpu_to_le64(bus);
				out[n].bo_start = start;
				out[n].bo_len = chunk;
				out[n].kind = EMBER_BO_REQ_RANGE;
			}
			n++;
			start += chunk;
		}
		seg_start += seg_len;
		if (seg_start >= off + len)
			break;
	}
	return n;
}

/* Device-only requests of @len bytes from @tmpl, @len split by the max. */
static u32 ember_slice_dev_split(u64 dev_off, u64 len,
				 const struct ember_dbc_req *tmpl,
				 struct ember_bo_req *out)
{
	u32 n = 0;

	while (len) {
		u64 chunk = min_t(u64, len, EMBER_REQ_MAX_LEN);

		if (out) {
			out[n].req = *tmpl;
			out[n].req.len = cpu_to_le32(chunk);
			out[n].req.dst = cpu_to_le64(dev_off);
			out[n].bo_start = 0;
			out[n].bo_len = 0;
			out[n].kind = EMBER_BO_REQ_DEVICE;
		}
		n++;
		dev_off += chunk;
		len -= chunk;
	}
	return n;
}

/* Bus address of BO byte @off (the caller checked it is mapped). */
static u64 ember_bo_bus(struct sg_table *sgt, u64 off, u64 len)
{
	struct scatterlist *sg;
	u64 seg_start = 0;
	int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 seg_len = sg_dma_len(sg);

		if (off >= seg_start && off + len <= seg_start + seg_len)
			return sg_dma_address(sg) + (off - seg_start);
		seg_start += seg_len;
	}
	return 0;
}

/*
 * Check slice @s of a BO of @bo_size bytes and build its requests into
 * @out (when not NULL). Returns the number of requests or -EINVAL.
 */
static long ember_slice_build(struct ember_device *edev,
			      const struct drm_ember_slice *s, u64 bo_size,
			      struct sg_table *sgt, struct ember_bo_req *out)
{
	struct ember_dbc_req tmpl = {};
	u64 end, a, b, c;

	/* FILL TO_DEV does not touch the BO: @size is not bounded by it. */
	if (s->pad || check_add_overflow(s->offset, s->size, &end) ||
	    (end > bo_size && !(s->op == EMBER_SLICE_OP_FILL &&
				s->dir == EMBER_SLICE_TO_DEV)))
		return -EINVAL;
	if (s->dir != EMBER_SLICE_TO_DEV && s->dir != EMBER_SLICE_FROM_DEV)
		return -EINVAL;
	if (s->op != EMBER_SLICE_OP_GEMM_I8 && (s->m || s->n || s->k))
		return -EINVAL;

	switch (s->op) {
	case EMBER_SLICE_OP_COPY:
		if (!s->size || s->dev_aux || s->dev_out ||
		    !ember_devmem_ok(edev, s->dev_offset, s->size))
			return -EINVAL;
		tmpl.opcode = EMBER_OP_COPY;
		if (s->dir == EMBER_SLICE_TO_DEV) {
			tmpl.flags = EMBER_REQ_DST_DEVMEM;
			tmpl.dst = cpu_to_le64(s->dev_offset);
		} else {
			tmpl.flags = EMBER_REQ_SRC_DEVMEM;
			tmpl.src = cpu_to_le64(s->dev_offset);
		}
		if (!out)
			return ember_slice_split(sgt, s->offset, s->size, &tmpl,
						 s->dir == EMBER_SLICE_TO_DEV,
						 NULL);
		/* Each piece moves the device-memory side along with it. */
		a = ember_slice_split(sgt, s->offset, s->size, &tmpl,
				      s->dir == EMBER_SLICE_TO_DEV, out);
		for (b = 0; b < a; b++) {
			c = s->dev_offset + (out[b].bo_start - s->offset);
			if (s->dir == EMBER_SLICE_TO_DEV)
				out[b].req.dst = cpu_to_le64(c);
			else
				out[b].req.src = cpu_to_le64(c);
		}
		return a;
	case EMBER_SLICE_OP_FILL:
		if (!s->size || s->dev_aux > 0xff || s->dev_out)
			return -EINVAL;
		tmpl.opcode = EMBER_OP_FILL;
		tmpl.aux = cpu_to_le64(s->dev_aux);
		if (s->dir == EMBER_SLICE_TO_DEV) {
			/* Device memory only; the BO is not touched. */
			if (s->offset || !ember_devmem_ok(edev, s->dev_offset,
							  s->size))
				return -EINVAL;
			tmpl.flags = EMBER_REQ_DST_DEVMEM;
			return ember_slice_dev_split(s->dev_offset, s->size,
						     &tmpl, out);
		}
		if (s->dev_offset)
			return -EINVAL;
		return ember_slice_split(sgt, s->offset, s->size, &tmpl, false,
					 out);
	case EMBER_SLICE_OP_CRC32:
		if (s->dir != EMBER_SLICE_FROM_DEV || s->size != 4 ||
		    s->offset % 4 || s->dev_out || !s->dev_aux ||
		    s->dev_aux > EMBER_REQ_MAX_LEN ||
		    !ember_devmem_ok(edev, s->dev_offset, s->dev_aux))
			return -EINVAL;
		if (out) {
			out->req.opcode = EMBER_OP_CRC32;
			out->req.flags = EMBER_REQ_SRC_DEVMEM;
			out->req.len = cpu_to_le32(s->dev_aux);
			out->req.src = cpu_to_le64(s->dev_offset);
			out->req.dst = cpu_to_le64(ember_bo_bus(sgt, s->offset,
								4));
			out->bo_start = s->offset;
			out->bo_len = 4;
			out->kind = EMBER_BO_REQ_WHOLE;
		}
		return 1;
	case EMBER_SLICE_OP_GEMM_I8:
		if (s->dir != EMBER_SLICE_TO_DEV || s->offset || s->size ||
		    !s->m || !s->n || !s->k || s->m > EMBER_GEMM_MAX_DIM ||
		    s->n > EMBER_GEMM_MAX_DIM || s->k > EMBER_GEMM_MAX_DIM)
			return -EINVAL;
		a = (u64)s->m * s->k;
		b = (u64)s->k * s->n;
		c = (u64)s->m * s->n * 4;
		if (!ember_devmem_ok(edev, s->dev_offset, a) ||
		    !ember_devmem_ok(edev, s->dev_aux, b) ||
		    !ember_devmem_ok(edev, s->dev_out, c))
			return -EINVAL;
		if (out) {
			out->req.opcode = EMBER_OP_GEMM_I8;
			out->req.flags = EMBER_REQ_SRC_DEVMEM |
					 EMBER_REQ_DST_DEVMEM;
			out->req.src = cpu_to_le64(s->dev_offset);
			out->req.aux = cpu_to_le64(s->dev_aux);
			out->req.dst = cpu_to_le64(s->dev_out);
			out->req.m = cpu_to_le32(s->m);
			out->req.n = cpu_to_le32(s->n);
			out->req.k = cpu_to_le32(s->k);
			out->bo_start = 0;
			out->bo_len = 0;
			out->kind = EMBER_BO_REQ_DEVICE;
		}
		return 1;
	default:
		return -EINVAL;
	}
}

/**
 * ember_ioctl_attach_slice_bo() - DRM_IOCTL_EMBER_ATTACH_SLICE_BO
 * @drm: DRM device
 * @data: &struct drm_ember_attach_slice_bo
 * @file: DRM file of the caller
 *
 * Return: 0; -EINVAL (pad, count, a malformed slice, more requests than
 * the DBC's ring holds); -EFAULT; -ENOENT (BO or DBC not the caller's);
 * -EPERM (DBC of another client); -EBUSY (already sliced); -ENOMEM;
 * -ENODEV.
 */
int ember_ioctl_attach_slice_bo(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	struct ember_device *edev = to_ember_device(drm);
	struct drm_ember_attach_slice_bo *args = data;
	struct ember_client *client = file->driver_priv;
	struct ember_bo_req *reqs = NULL;
	struct drm_ember_slice *slices;
	struct drm_gem_object *obj;
	struct ember_act *act;
	struct sg_table *sgt;
	struct ember_bo *bo;
	u64 total = 0;
	long n;
	u32 i, k;
	int ret;

	if (args->pad || !args->count || args->count > EMBER_SLICE_MAX)
		return -EINVAL;

	slices = memdup_array_user(u64_to_user_ptr(args->slices), args->count,
				   sizeof(*slices));
	if (IS_ERR(slices))
		return PTR_ERR(slices);

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj) {
		ret = -ENOENT;
		goto out_free;
	}
	bo = to_ember_bo(obj);

	/* Pins the pages and DMA-maps them until the BO is freed. */
	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out_put;
	}

	for (i = 0; i < args->count; i++) {
		n = ember_slice_build(edev, &slices[i], obj->size, sgt, NULL);
		if (n < 0) {
			ret = n;
			goto out_put;
		}
		total += n;
		if (total > EMBER_BO_MAX_REQS) {
			ret = -EINVAL;
			goto out_put;
		}
	}
	reqs = kvcalloc(total, sizeof(*reqs), GFP_KERNEL);
	if (!reqs) {
		ret = -ENOMEM;
		goto out_put;
	}
	for (i = 0, k = 0; i < args->count; i++)
		k += ember_slice_build(edev, &slices[i], obj->size, sgt,
				       &reqs[k]);

	mutex_lock(&edev->dbc_lock);
	ret = ember_data_find_act(client, args->dbc_id, &act);
	if (ret)
		goto out_unlock;
	if (total > act->ring_size - 1) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (bo->sliced) {
		ret = -EBUSY;
		goto out_unlock;
	}
	bo->sliced = true;
	bo->dbc_id = args->dbc_id;
	bo->reqs = reqs;
	bo->nreqs = total;
	reqs = NULL;
out_unlock:
	mutex_unlock(&edev->dbc_lock);
out_put:
	kvfree(reqs);
	drm_gem_object_put(obj);
out_free:
	kfree(slices);
	return ret;
}

/**
 * ember_ioctl_detach_slice_bo() - DRM_IOCTL_EMBER_DETACH_SLICE_BO
 * @drm: DRM device
 * @data: &struct drm_ember_detach_slice_bo
 * @file: DRM file of the caller
 *
 * The BO stays DMA-mapped (until it is freed); only its slicing goes.
 *
 * Return: 0; -EINVAL (pad, BO not sliced); -ENOENT; -EBUSY (queued).
 */
int ember_ioctl_detach_slice_bo(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	struct ember_device *edev = to_ember_device(drm);
	struct drm_ember_detach_slice_bo *args = data;
	struct ember_bo_req *reqs = NULL;
	struct drm_gem_object *obj;
	struct ember_bo *bo;
	int ret = 0;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_ember_bo(obj);

	mutex_lock(&edev->dbc_lock);
	if (!bo->sliced) {
		ret = -EINVAL;
	} else if (bo->queued) {
		ret = -EBUSY;
	} else {
		reqs = bo->reqs;
		bo->reqs = NULL;
		bo->nreqs = 0;
		bo->sliced = false;
	}
	mutex_unlock(&edev->dbc_lock);

	kvfree(reqs);
	drm_gem_object_put(obj);
	return ret;
}

/* ---- execution ---- */

/* Requests of @bo that run with @resize (0: all); see the uAPI. */
static u32 ember_bo_count(const struct ember_bo *bo, u64 resize)
{
	u32 i, n = 0;

	for (i = 0; i < bo->nreqs; i++) {
		const struct ember_bo_req *r = &bo->reqs[i];

		if (!resize || r->kind == EMBER_BO_REQ_DEVICE)
			n++;
		else if (r->kind == EMBER_BO_REQ_RANGE && r->bo_start < resize)
			n++;
		else if (r->kind == EMBER_BO_REQ_WHOLE &&
			 r->bo_start + r->bo_len <= resize)
			n++;
	}
	return n;
}

/* Write the requests of @bo into @act's ring; under dbc_lock. */
static void ember_bo_submit(struct ember_act *act, struct ember_bo *bo,
			    u64 resize)
{
	struct ember_dbc_req *ring = act->req_ring;
	u32 mask = act->ring_size - 1;
	u32 i, n = 0;

	bo->seq = ++act->seqno;
	for (i = 0; i < bo->nreqs; i++) {
		const struct ember_bo_req *r = &bo->reqs[i];
		struct ember_dbc_req req = r->req;

		if (resize && r->kind == EMBER_BO_REQ_RANGE) {
			if (r->bo_start >= resize)
				continue;
			if (r->bo_start + r->bo_len > resize)
				req.len = cpu_to_le32(resize - r->bo_start);
		} else if (resize && r->kind == EMBER_BO_REQ_WHOLE &&
			   r->bo_start + r->bo_len > resize) {
			continue;
		}
		req.req_id = cpu_to_le16(act->req_tail);
		req.cookie = cpu_to_le64(bo->seq);
		ring[act->req_tail] = req;
		act->req_tail = (act->req_tail + 1) & mask;
		n++;
	}
	bo->sent = n;
	bo->done = 0;
	bo->error = 0;
	bo->queue_level = 0;
	bo->device_ns = 0;
	bo->done_ts = 0;
	act->inflight += n;
}

static int ember_execute(struct drm_device *drm, struct drm_file *file,
			 struct drm_ember_execute_bo *args, bool partial)
{
	struct ember_device *edev = to_ember_device(drm);
	struct ember_client *client = file->driver_priv;
	struct drm_ember_execute_entry *ents;
	struct drm_gem_object **objs;
	struct ember_fence **fences;
	struct ember_act **acts;
	u32 *counts;
	u32 i, j, need;
	int idx, ret = 0;

	if (args->flags || !args->count || args->count > EMBER_EXEC_MAX)
		return -EINVAL;

	ents = memdup_array_user(u64_to_user_ptr(args->entries), args->count,
				 sizeof(*ents));
	if (IS_ERR(ents))
		return PTR_ERR(ents);
	objs = kcalloc(args->count, sizeof(*objs), GFP_KERNEL);
	fences = kcalloc(args->count, sizeof(*fences), GFP_KERNEL);
	acts = kcalloc(args->count, sizeof(*acts), GFP_KERNEL);
	counts = kcalloc(args->count, sizeof(*counts), GFP_KERNEL);
	if (!objs || !fences || !acts || !counts) {
		ret = -ENOMEM;
		goto out_free;
	}

	for (i = 0; i < args->count; i++) {
		if (!partial && ents[i].resize) {
			ret = -EINVAL;
			goto out_put;
		}
		for (j = 0; j < i; j++) {
			if (ents[j].handle == ents[i].handle) {
				ret = -EINVAL;
				goto out_put;
			}
		}
		objs[i] = drm_gem_object_lookup(file, ents[i].handle);
		if (!objs[i]) {
			ret = -ENOENT;
			goto out_put;
		}
		if (ents[i].resize > objs[i]->size) {
			ret = -EINVAL;
			goto out_put;
		}
		fences[i] = kzalloc(sizeof(*fences[i]), GFP_KERNEL);
		if (!fences[i]) {
			ret = -ENOMEM;
			goto out_put;
		}
		spin_lock_init(&fences[i]->lock);
	}

	if (!drm_dev_enter(drm, &idx)) {
		ret = -ENODEV;
		goto out_put;
	}
	mutex_lock(&edev->dbc_lock);
	/* Check everything first: the call succeeds or changes nothing. */
	for (i = 0; i < args->count; i++) {
		struct ember_bo *bo = to_ember_bo(objs[i]);

		if (!bo->sliced) {
			ret = -EINVAL;
			goto out_unlock;
		}
		if (bo->queued) {
			ret = -EBUSY;
			goto out_unlock;
		}
		ret = ember_data_find_act(client, bo->dbc_id, &acts[i]);
		if (ret)
			goto out_unlock;
		counts[i] = ember_bo_count(bo, ents[i].resize);
		if (!counts[i]) {
			ret = -EINVAL;
			goto out_unlock;
		}
	}
	for (i = 0; i < args->count; i++) {
		need = acts[i]->inflight;
		for (j = 0; j < args->count; j++)
			if (acts[j] == acts[i])
				need += counts[j];
		if (need > acts[i]->ring_size - 1) {
			ret = -EAGAIN;
			goto out_unlock;
		}
	}
	for (i = 0; i < args->count; i++) {
		struct ember_bo *bo = to_ember_bo(objs[i]);
		struct ember_act *act = acts[i];

		dma_fence_init(&fences[i]->base, &ember_fence_ops,
			       &fences[i]->lock, act->fence_ctx, act->seqno + 1);
		dma_fence_put(bo->fence);
		bo->fence = &fences[i]->base;
		fences[i] = NULL;
		dma_sync_sgtable_for_device(drm->dev, bo->base.sgt,
					    DMA_BIDIRECTIONAL);
		ember_bo_submit(act, bo, ents[i].resize);
		bo->submit_ts = ktime_get_ns();
		bo->queued = true;
		bo->act = act;
		list_add_tail(&bo->qnode, &act->queued);
		drm_gem_object_get(objs[i]);	/* the execution's */
		/* Requests visible before the doorbell (writel orders). */
		writel(act->req_tail,
		       edev->dbcs[act->dbc_id].regs + EMBER_DBC_REQ_TAIL);
	}
out_unlock:
	mutex_unlock(&edev->dbc_lock);
	drm_dev_exit(idx);
out_put:
	for (i = 0; i < args->count; i++) {
		if (objs[i])
			drm_gem_object_put(objs[i]);
		kfree(fences[i]);
	}
out_free:
	kfree(counts);
	kfree(acts);
	kfree(fences);
	kfree(objs);
	kfree(ents);
	return ret;
}

/**
 * ember_ioctl_execute_bo() - DRM_IOCTL_EMBER_EXECUTE_BO
 * @drm: DRM device
 * @data: &struct drm_ember_execute_bo
 * @file: DRM file of the caller
 *
 * Queues every BO's requests on its DBC and returns without waiting.
 *
 * Return: 0; -EINVAL (flags, count, resize, a duplicate handle, a BO not
 * sliced); -EFAULT; -ENOENT (BO, or its DBC is not the caller's any
 * more); -EPERM; -EBUSY (a BO is queued); -EAGAIN (a ring is full);
 * -ENOMEM; -ENODEV.
 */
int ember_ioctl_execute_bo(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	return ember_execute(drm, file, data, false);
}

/**
 * ember_ioctl_partial_execute_bo() - DRM_IOCTL_EMBER_PARTIAL_EXECUTE_BO
 * @drm: DRM device
 * @data: &struct drm_ember_execute_bo
 * @file: DRM file of the caller
 *
 * As EXECUTE_BO, with each entry's resize limiting the BO bytes used.
 *
 * Return: as ember_ioctl_execute_bo(); -EINVAL also for a resize over the
 * BO size or one that leaves no request.
 */
int ember_ioctl_partial_execute_bo(struct drm_device *drm, void *data,
				   struct drm_file *file)
{
	return ember_execute(drm, file, data, true);
}

/**
 * ember_ioctl_wait_bo() - DRM_IOCTL_EMBER_WAIT_BO
 * @drm: DRM device
 * @data: &struct drm_ember_wait_bo
 * @file: DRM file of the caller
 *
 * Return: 0 (done, or never executed); -EINVAL (pad, BO not sliced);
 * -ENOENT; -ETIMEDOUT (still queued); -ERESTARTSYS; -EIO (a request
 * failed); -ECANCELED (the DBC was reset or released first).
 */
int ember_ioctl_wait_bo(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct ember_device *edev = to_ember_device(drm);
	struct drm_ember_wait_bo *args = data;
	struct dma_fence *fence = NULL;
	struct drm_gem_object *obj;
	struct ember_bo *bo;
	unsigned int ms;
	long ret = 0;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_ember_bo(obj);

	mutex_lock(&edev->dbc_lock);
	if (!bo->sliced)
		ret = -EINVAL;
	else
		fence = dma_fence_get(bo->fence);
	args->dbc_id = bo->dbc_id;
	mutex_unlock(&edev->dbc_lock);
	drm_gem_object_put(obj);
	if (ret || !fence)
		return ret;

	ms = args->timeout_ms ?: READ_ONCE(ember_wait_default_ms);
	ret = dma_fence_wait_timeout(fence, true, msecs_to_jiffies(ms));
	if (!ret)
		ret = -ETIMEDOUT;
	else if (ret > 0)
		ret = fence->error;
	dma_fence_put(fence);
	return ret;
}

/**
 * ember_ioctl_perf_stats_bo() - DRM_IOCTL_EMBER_PERF_STATS_BO
 * @drm: DRM device
 * @data: &struct drm_ember_perf_stats_bo
 * @file: DRM file of the caller
 *
 * Return: 0; -EINVAL (pad, count); -EFAULT; -ENOENT; -ENOMEM.
 */
int ember_ioctl_perf_stats_bo(struct drm_device *drm, void *data,
			      struct drm_file *file)
{
	struct ember_device *edev = to_ember_device(drm);
	struct drm_ember_perf_stats_bo *args = data;
	struct drm_ember_perf_stats_entry *ents;
	struct drm_gem_object *obj;
	struct ember_bo *bo;
	int ret = 0;
	u32 i;

	if (args->pad || !args->count || args->count > EMBER_EXEC_MAX)
		return -EINVAL;
	ents = memdup_array_user(u64_to_user_ptr(args->entries), args->count,
				 sizeof(*ents));
	if (IS_ERR(ents))
		return PTR_ERR(ents);

	for (i = 0; i < args->count; i++) {
		obj = drm_gem_object_lookup(file, ents[i].handle);
		if (!obj) {
			ret = -ENOENT;
			goto out;
		}
		bo = to_ember_bo(obj);
		mutex_lock(&edev->dbc_lock);
		ents[i].queue_level = bo->queue_level;
		ents[i].submit_ts = bo->submit_ts;
		ents[i].device_ns = bo->device_ns;
		ents[i].done_ts = bo->done_ts;
		mutex_unlock(&edev->dbc_lock);
		drm_gem_object_put(obj);
	}
	if (copy_to_user(u64_to_user_ptr(args->entries), ents,
			 array_size(args->count, sizeof(*ents))))
		ret = -EFAULT;
out:
	kfree(ents);
	return ret;
}
