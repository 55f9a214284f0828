// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember data path (docs/datapath.md): BOs sliced for a DBC the client
 * owns, executed through that DBC's scheduler and rings.
 *
 * ATTACH_SLICE_BO DMA-maps the BO (its pages stay pinned and mapped until
 * the BO is freed) and turns every slice into DBC requests with the bus
 * addresses of the BO pages, split at DMA segment boundaries and at
 * EMBER_REQ_MAX_LEN. EXECUTE_BO makes each BO's execution a drm_sched job
 * (ember_sched.c) and returns without waiting; the job holds a reference
 * to the BO, so a BO closed while queued lives until the execution ends.
 * WAIT_BO waits for the job's hardware fence (or, for a job still waiting
 * in the scheduler when it was pushed, its finished fence).
 *
 * Locking: the slicing state of &struct ember_bo is under
 * &ember_device.dbc_lock, the lock that already guards the rings'
 * lifetime; the results of its last execution are under the lock of the
 * DBC it is sliced for, which completes it (ember_sched.c). &ember_bo.queued
 * is set under dbc_lock before the job can run and cleared under the DBC's
 * lock when it ends, so dbc_lock holders read it with READ_ONCE().
 *
 * Device memory: every range a slice touches must lie inside one region of
 * a workload the caller loaded; the sliced BO pins those workloads
 * (ember_workload.c).
 *
 * Shared BOs: a BO belongs to the client that sliced it until it is
 * detached. Another file holding a handle to it (PRIME import) may read
 * its state (WAIT_BO, PERF_STATS_BO) but not execute, detach or re-slice
 * it (-EPERM), unless the slicing client has closed: then anyone holding
 * the BO may detach it.
 *
 * Pinned memory: slicing pins the BO's shmem pages (they cannot be
 * swapped or reclaimed until the BO is freed). The process that first
 * pins a BO is charged its pages in its mm's pinned_vm (VmPin, as RDMA and
 * VFIO do) against max_pinned_mb until the BO is freed, even if the file
 * closes first; the pages themselves are allocated in the caller's
 * context, so the kernel charges them to its memory cgroup.
 */

#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
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
#include "ember_poll.h"
#include "ember_ioctl.h"
#include "ember_sched.h"
#include "ember_trace.h"
#include "ember_workload.h"

/* Ring entry sizes of docs/hardware.md §5.2 and §5.5 */
static_assert(sizeof(struct ember_dbc_req) == 64);
static_assert(sizeof(struct ember_dbc_rsp) == 32);

static unsigned int ember_wait_default_ms = 5000;
module_param_named(wait_exec_default_timeout_ms, ember_wait_default_ms,
		   uint, 0644);
MODULE_PARM_DESC(wait_exec_default_timeout_ms,
		 "WAIT_BO timeout when the caller passes 0, ms (default 5000)");

static unsigned int ember_max_pinned_mb;
module_param_named(max_pinned_mb, ember_max_pinned_mb, uint, 0644);
MODULE_PARM_DESC(max_pinned_mb,
		 "Most memory one process may have pinned (VmPin) for slicing BOs, MiB; 0: half of the system's RAM (default 0)");

/* WAIT_BO looks at the ring itself after these intervals (doubling). */
#define EMBER_WAIT_RECHECK_MIN_US	1000
#define EMBER_WAIT_RECHECK_MAX_US	16000

#define EMBER_GEMM_MAX_DIM	4096
/* Requests per BO: bounded by the largest ring anyway. */
#define EMBER_BO_MAX_REQS	65535u

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

/* Is the client with &ember_client.id @id still open? */
static bool ember_client_alive(struct ember_device *edev, u64 id)
{
	struct ember_client *client;
	bool alive = false;

	mutex_lock(&edev->clients_lock);
	list_for_each_entry(client, &edev->clients, node) {
		if (client->id == id) {
			alive = true;
			break;
		}
	}
	mutex_unlock(&edev->clients_lock);
	return alive;
}

/* ---- pinned memory ---- */

/**
 * ember_pin_limit() - bytes one process may pin (max_pinned_mb)
 *
 * Return: the limit in bytes.
 */
u64 ember_pin_limit(void)
{
	unsigned int mb = READ_ONCE(ember_max_pinned_mb);

	if (mb)
		return (u64)mb << 20;
	return ((u64)totalram_pages() << PAGE_SHIFT) / 2;
}

/**
 * ember_bo_uncharge() - a BO is freed: its pinned pages go
 * @bo: the BO
 *
 * Process context; takes no lock of the driver.
 */
void ember_bo_uncharge(struct ember_bo *bo)
{
	if (!bo->pin_mm)
		return;
	atomic64_sub(bo->base.base.size >> PAGE_SHIFT, &bo->pin_mm->pinned_vm);
	mmdrop(bo->pin_mm);
	bo->pin_mm = NULL;
}

/*
 * Charge @bo's pages to the calling process (mm_struct.pinned_vm, VmPin in
 * /proc/<pid>/status) before they are pinned, once per BO: -ENOMEM if that
 * takes the process over max_pinned_mb. A kernel thread cannot pin.
 */
static int ember_bo_charge(struct ember_device *edev, struct ember_bo *bo)
{
	u64 pages = bo->base.base.size >> PAGE_SHIFT;
	struct mm_struct *mm = current->mm;
	int ret = 0;

	if (!mm)
		return -EPERM;
	mutex_lock(&edev->dbc_lock);
	if (!bo->pin_mm) {
		if ((u64)atomic64_add_return(pages, &mm->pinned_vm) >
		    ember_pin_limit() >> PAGE_SHIFT) {
			atomic64_sub(pages, &mm->pinned_vm);
			ret = -ENOMEM;
		} else {
			mmgrab(mm);
			bo->pin_mm = mm;
		}
	}
	mutex_unlock(&edev->dbc_lock);
	return ret;
}

/* ---- slicing ---- */

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
 * @out (when not NULL). Every device-memory range must lie inside a region
 * of a workload of @wls, the caller's (ember_wl_range_ok()). Returns the
 * number of requests or -EINVAL.
 */
static long ember_slice_build(struct ember_wl_set *wls,
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
		    !ember_wl_range_ok(wls, s->dev_offset, s->size))
			return -EINVAL;
		tmpl.opcode = EMBER_HW_OP_COPY;
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
		tmpl.opcode = EMBER_HW_OP_FILL;
		tmpl.aux = cpu_to_le64(s->dev_aux);
		if (s->dir == EMBER_SLICE_TO_DEV) {
			/* Device memory only; the BO is not touched. */
			if (s->offset || !ember_wl_range_ok(wls, s->dev_offset,
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
		    !ember_wl_range_ok(wls, s->dev_offset, s->dev_aux))
			return -EINVAL;
		if (out) {
			out->req.opcode = EMBER_HW_OP_CRC32;
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
		if (!ember_wl_range_ok(wls, s->dev_offset, a) ||
		    !ember_wl_range_ok(wls, s->dev_aux, b) ||
		    !ember_wl_range_ok(wls, s->dev_out, c))
			return -EINVAL;
		if (out) {
			out->req.opcode = EMBER_HW_OP_GEMM_I8;
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
 * Every device-memory range of the slices must lie inside one region of a
 * workload the caller loaded; the BO pins those workloads until it is
 * detached or freed, so they cannot be unloaded meanwhile. The BO's pages
 * are pinned and charged to the calling process (max_pinned_mb) the first
 * time it is sliced; they stay pinned, and charged, until the BO is freed,
 * also when the call fails after pinning them.
 *
 * Return: 0; -EINVAL (pad, count, a malformed slice, a device-memory range
 * outside the caller's workload regions, more requests than the DBC's ring
 * holds); -EFAULT; -ENOENT (BO or DBC not the caller's); -EPERM (DBC of
 * another client, or the BO is sliced by another client); -EBUSY (already
 * sliced by the caller); -ENOMEM (also: pinning the BO would take the
 * calling process over max_pinned_mb); -ENODEV (the DBC, or a workload a slice
 * names, was lost to a device reset; the device is gone).
 */
int ember_ioctl_attach_slice_bo(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	struct ember_device *edev = to_ember_device(drm);
	struct drm_ember_attach_slice_bo *args = data;
	struct ember_client *client = file->driver_priv;
	struct ember_bo_req *reqs = NULL;
	struct drm_ember_slice *slices;
	struct ember_wl_set *wls = NULL;
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

	/* The DBC first: a DBC lost to a reset is -ENODEV whatever the slices. */
	mutex_lock(&edev->dbc_lock);
	ret = ember_data_find_act(client, args->dbc_id, &act);
	if (!ret && bo->sliced)
		ret = bo->slicer == client->id ? -EBUSY : -EPERM;
	mutex_unlock(&edev->dbc_lock);
	if (ret)
		goto out_put;

	ret = ember_bo_charge(edev, bo);
	if (ret)
		goto out_put;
	/* Pins the pages and DMA-maps them until the BO is freed. */
	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out_put;
	}

	/* The caller's workloads: the device memory the slices may touch. */
	wls = ember_wl_set_get(client);
	if (IS_ERR(wls)) {
		ret = PTR_ERR(wls);
		wls = NULL;
		goto out_put;
	}
	for (i = 0; i < args->count; i++) {
		n = ember_slice_build(wls, &slices[i], obj->size, sgt, NULL);
		if (n == -EINVAL && ember_wl_set_lost(wls))
			n = -ENODEV;
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
		k += ember_slice_build(wls, &slices[i], obj->size, sgt,
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
		ret = bo->slicer == client->id ? -EBUSY : -EPERM;
		goto out_unlock;
	}
	/* Fails if one of them is being unloaded meanwhile. */
	ret = ember_wl_set_pin(wls);
	if (ret)
		goto out_unlock;
	bo->sliced = true;
	bo->slicer = client->id;
	bo->dbc_id = args->dbc_id;
	bo->reqs = reqs;
	bo->nreqs = total;
	bo->wl_set = wls;
	reqs = NULL;
	wls = NULL;
out_unlock:
	mutex_unlock(&edev->dbc_lock);
out_put:
	ember_wl_set_put(wls);
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
 * The BO stays DMA-mapped (until it is freed); only its slicing goes,
 * and with it the pins on the caller's workloads. Only the client that
 * sliced the BO may detach it, or anyone holding it once that client has
 * closed.
 *
 * Return: 0; -EINVAL (pad, BO not sliced); -ENOENT; -EPERM (sliced by
 * another client that is still open); -EBUSY (queued).
 */
int ember_ioctl_detach_slice_bo(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	struct ember_device *edev = to_ember_device(drm);
	struct drm_ember_detach_slice_bo *args = data;
	struct ember_client *client = file->driver_priv;
	struct ember_bo_req *reqs = NULL;
	struct ember_wl_set *wls = NULL;
	struct drm_gem_object *obj;
	struct ember_bo *bo;
	bool orphan;
	u64 slicer;
	int ret = 0;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_ember_bo(obj);

	mutex_lock(&edev->dbc_lock);
	slicer = bo->slicer;
	mutex_unlock(&edev->dbc_lock);
	/* clients_lock comes before dbc_lock: look the slicer up first. */
	orphan = slicer && slicer != client->id &&
		 !ember_client_alive(edev, slicer);

	mutex_lock(&edev->dbc_lock);
	if (!bo->sliced) {
		ret = -EINVAL;
	} else if (bo->slicer != client->id &&
		   !(orphan && bo->slicer == slicer)) {
		ret = -EPERM;
	} else if (READ_ONCE(bo->queued)) {
		ret = -EBUSY;
	} else {
		reqs = bo->reqs;
		bo->reqs = NULL;
		bo->nreqs = 0;
		wls = bo->wl_set;
		bo->wl_set = NULL;
		bo->sliced = false;
		bo->slicer = 0;
	}
	mutex_unlock(&edev->dbc_lock);

	ember_wl_set_put(wls);
	kvfree(reqs);
	drm_gem_object_put(obj);
	return ret;
}

/* ---- execution ---- */

/**
 * ember_bo_count() - requests of an execution of a BO
 * @bo: sliced BO
 * @resize: PARTIAL_EXECUTE_BO byte limit, 0 for all
 *
 * See docs/uapi.md: RANGE requests are dropped or shortened past @resize,
 * WHOLE ones dropped unless they fit, DEVICE ones always sent.
 *
 * Return: the number of requests the execution writes.
 */
u32 ember_bo_count(const struct ember_bo *bo, u64 resize)
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

/**
 * struct ember_wait - what a waiter needs of a BO's last execution
 * @fence: its fence (&ember_bo.fence), referenced; NULL: never executed.
 * @job_id: the job's id, for the timeout tracepoint.
 * @serial: the activation it was submitted on (ember_sched_recheck()).
 * @submit_ns: when it was submitted (hybrid polling's sleep).
 * @dbc_id: its DBC.
 * @cover: its job started with no poller timer armed for it
 *	(ember_job_push()): a wait that stops polling before it completed
 *	arms one (ember_poll_cover()).
 *
 * Taken from the BO under &ember_device.dbc_lock (ember_wait_get()), used
 * without it: WAIT_BO and EXECUTE_BO with EMBER_EXECUTE_BO_WAIT wait alike.
 */
struct ember_wait {
	struct dma_fence *fence;
	u64 job_id;
	u64 serial;
	u64 submit_ns;
	u32 dbc_id;
	bool cover;
};

static void ember_wait_get(struct ember_bo *bo, struct ember_wait *w)
{
	lockdep_assert_held(&to_ember_device(bo->base.base.dev)->dbc_lock);
	w->fence = dma_fence_get(bo->fence);
	w->job_id = bo->job_id;
	w->serial = bo->act_serial;
	w->submit_ns = bo->submit_ts;
	w->dbc_id = bo->dbc_id;
	w->cover = false;
}

/*
 * Wait for @w's execution to complete, for at most *@left jiffies (of a
 * wait of @ms ms), which it reduces by the time it slept. With @poll, and
 * always in polling mode, it first polls the DBC's response ring itself
 * (ember_poll_wait()). While it sleeps it looks at the ring after 1, 2,
 * 4, 8 and then every 16 ms (ember_sched_recheck()), so a job whose
 * interrupt was lost completes within one such interval instead of timing
 * out. Returns the execution's error (0, -EIO, -ECANCELED), -ETIMEDOUT
 * (still queued; counted and traced) or -ERESTARTSYS.
 */
static long ember_wait(struct ember_device *edev, struct ember_wait *w,
		       bool poll, unsigned int ms, unsigned long *left)
{
	struct ember_dbc *dbc = &edev->dbcs[w->dbc_id];
	unsigned long slice, step;
	long ret;

	if ((poll || edev->irq.polling) &&
	    ember_poll_wait(dbc, w->fence, w->submit_ns))
		return w->fence->error;
	if (w->cover)
		ember_poll_cover(dbc, w->fence);

	step = usecs_to_jiffies(EMBER_WAIT_RECHECK_MIN_US);
	for (;;) {
		slice = min(step, *left);
		ret = dma_fence_wait_timeout(w->fence, true, slice);
		if (ret > 0)
			*left -= min(slice - ret, *left);
		if (ret)
			break;
		*left -= slice;
		/* A lost interrupt: the responses may be in the ring. */
		ember_sched_recheck(dbc, w->serial);
		if (dma_fence_is_signaled(w->fence)) {
			ret = 1;
			break;
		}
		if (!*left)
			break;
		step = min(2 * step,
			   usecs_to_jiffies(EMBER_WAIT_RECHECK_MAX_US));
	}
	if (ret > 0)
		return w->fence->error;
	if (ret)
		return ret;
	/* The job stays queued and is counted where it runs. */
	atomic64_inc(&dbc->stats.timeouts);
	trace_ember_job_timeout(pci_name(edev->pdev), w->dbc_id, w->job_id, ms);
	return -ETIMEDOUT;
}

/*
 * Check BO @i of an EXECUTE_BO under dbc_lock: sliced, not queued, for a
 * DBC the caller owns, with requests that fit its ring. Returns the
 * activation through @act and the request count through @count.
 */
static int ember_execute_check(struct ember_client *client,
			       struct ember_bo *bo, u64 resize,
			       struct ember_act **act, u32 *count)
{
	int ret;

	if (!bo->sliced)
		return -EINVAL;
	if (bo->slicer != client->id)
		return -EPERM;
	if (READ_ONCE(bo->queued))
		return -EBUSY;
	ret = ember_data_find_act(client, bo->dbc_id, act);
	if (ret)
		return ret;
	/* Its device memory must still be the caller's workloads'. */
	ret = ember_wl_set_check(bo->wl_set, client);
	if (ret)
		return ret;
	*count = ember_bo_count(bo, resize);
	/* Sliced for an earlier activation of the DBC with a larger ring? */
	if (!*count || *count > (*act)->ring_size - 1)
		return -EINVAL;
	return 0;
}

/*
 * EMBER_EXECUTE_BO_WAIT: wait for every BO the call queued (@w, one per
 * entry, each holding a fence reference it drops), with one deadline for
 * all. Returns the first failed BO's error, or -ETIMEDOUT / -EINTR at the
 * first BO still queued when time ran out or a signal came: the call is
 * not restarted, as its BOs are queued now, and the caller waits for them
 * with WAIT_BO.
 */
static int ember_execute_wait(struct ember_device *edev, struct ember_wait *w,
			      const struct drm_ember_execute_bo *args)
{
	unsigned int ms = args->timeout_ms ?: READ_ONCE(ember_wait_default_ms);
	bool poll = args->flags & EMBER_EXECUTE_BO_POLL;
	unsigned long left = msecs_to_jiffies(ms);
	long err, ret = 0;
	u32 i;

	for (i = 0; i < args->count; i++) {
		if (!ret || ret == -EIO || ret == -ECANCELED) {
			err = ember_wait(edev, &w[i], poll, ms, &left);
			if (err == -ERESTARTSYS)
				err = -EINTR;
			/* Past a timeout or a signal, only drop the rest. */
			if (err == -ETIMEDOUT || err == -EINTR || !ret)
				ret = err;
		}
		dma_fence_put(w[i].fence);
	}
	return ret;
}

/*
 * EXECUTE_BO calls with at most this many BOs (every QD1 job) keep their
 * entries, objects and jobs on the stack: three allocations less a job.
 */
#define EMBER_EXEC_SMALL	4

static int ember_execute(struct drm_device *drm, struct drm_file *file,
			 struct drm_ember_execute_bo *args, bool partial)
{
	struct ember_device *edev = to_ember_device(drm);
	struct ember_client *client = file->driver_priv;
	struct drm_ember_execute_entry ents_small[EMBER_EXEC_SMALL];
	struct drm_gem_object *objs_small[EMBER_EXEC_SMALL] = {};
	struct ember_job *jobs_small[EMBER_EXEC_SMALL] = {};
	struct ember_wait waits_small[EMBER_EXEC_SMALL];
	struct drm_ember_execute_entry *ents = ents_small;
	struct drm_gem_object **objs = objs_small;
	struct ember_job **jobs = jobs_small;
	struct ember_wait *waits = waits_small;
	void __user *uents = u64_to_user_ptr(args->entries);
	bool small = args->count <= EMBER_EXEC_SMALL;
	bool wait = args->flags & EMBER_EXECUTE_BO_WAIT;
	bool uncovered;
	struct ember_act *act;
	struct ember_bo *bo;
	u32 i, j, count, dbc_id;
	int idx, ret = 0;

	if ((args->flags & ~(EMBER_EXECUTE_BO_WAIT | EMBER_EXECUTE_BO_POLL)) ||
	    (!wait && (args->flags || args->timeout_ms)) || args->pad ||
	    !args->count || args->count > EMBER_EXEC_MAX)
		return -EINVAL;
	if (!edev->info.num_dbcs)
		return -ENOENT;

	if (small) {
		if (copy_from_user(ents, uents, args->count * sizeof(*ents)))
			return -EFAULT;
	} else {
		ents = memdup_array_user(uents, args->count, sizeof(*ents));
		if (IS_ERR(ents))
			return PTR_ERR(ents);
		objs = kcalloc(args->count, sizeof(*objs), GFP_KERNEL);
		jobs = kcalloc(args->count, sizeof(*jobs), GFP_KERNEL);
		waits = wait ? kcalloc(args->count, sizeof(*waits),
				       GFP_KERNEL) : NULL;
		if (!objs || !jobs || (wait && !waits)) {
			ret = -ENOMEM;
			goto out_free;
		}
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
		jobs[i] = ember_job_alloc();
		if (!jobs[i]) {
			ret = -ENOMEM;
			goto out_put;
		}
		/* Checked again under dbc_lock: a racing re-slice fails. */
		bo = to_ember_bo(objs[i]);
		dbc_id = min(READ_ONCE(bo->dbc_id), edev->info.num_dbcs - 1);
		ret = ember_job_init(jobs[i], &edev->dbcs[dbc_id], client,
				     file);
		if (ret)
			goto out_put;
	}

	if (!drm_dev_enter(drm, &idx)) {
		ret = -ENODEV;
		goto out_put;
	}
	mutex_lock(&edev->dbc_lock);
	/* Check and prepare everything: the call succeeds or changes nothing. */
	for (i = 0; i < args->count; i++) {
		bo = to_ember_bo(objs[i]);
		ret = ember_execute_check(client, bo, ents[i].resize, &act,
					  &count);
		if (!ret && jobs[i]->dbc != &edev->dbcs[bo->dbc_id])
			ret = -EINVAL;
		if (ret)
			goto out_unlock;
		ember_job_bind(jobs[i], act, bo, count, ents[i].resize);
		/* It polls for a lone BO at once (ember_wait()). */
		jobs[i]->waiter_polls = wait && args->count == 1 &&
					edev->irq.polling;
	}
	for (i = 0; i < args->count; i++) {
		bo = to_ember_bo(objs[i]);
		dma_sync_sgtable_for_device(drm->dev, bo->base.sgt,
					    DMA_BIDIRECTIONAL);
		uncovered = ember_job_push(jobs[i]);
		jobs[i] = NULL;
		if (wait) {
			ember_wait_get(bo, &waits[i]);
			waits[i].cover = uncovered;
		}
	}
out_unlock:
	mutex_unlock(&edev->dbc_lock);
	drm_dev_exit(idx);
out_put:
	for (i = 0; i < args->count; i++) {
		if (jobs[i])
			ember_job_abort(jobs[i]);
		if (objs[i])
			drm_gem_object_put(objs[i]);
	}
	if (wait && !ret)
		ret = ember_execute_wait(edev, waits, args);
out_free:
	if (!small) {
		kfree(waits);
		kfree(jobs);
		kfree(objs);
		kfree(ents);
	}
	return ret;
}

/**
 * ember_ioctl_execute_bo() - DRM_IOCTL_EMBER_EXECUTE_BO
 * @drm: DRM device
 * @data: &struct drm_ember_execute_bo
 * @file: DRM file of the caller
 *
 * Queues every BO's requests on its DBC and returns without waiting, or
 * with EMBER_EXECUTE_BO_WAIT once they completed (ember_execute_wait()).
 *
 * Return: 0; -EINVAL (flags, timeout without EMBER_EXECUTE_BO_WAIT, pad,
 * count, resize, a duplicate handle, a BO not sliced); -EFAULT; -ENOENT
 * (BO, or its DBC is not the caller's any more); -EPERM (the BO is sliced
 * by another client; the DBC, or a workload the BO's slices touch, is
 * another client's); -EBUSY (a BO is queued); -ENOMEM; -ENODEV (also: a
 * workload the slices touch was lost to a device reset). Nothing is
 * queued after these. With EMBER_EXECUTE_BO_WAIT, after the BOs were
 * queued: -ETIMEDOUT, -EINTR (still queued), -EIO, -ECANCELED.
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
 * Waits for the BO's last execution (ember_wait(): polling first with
 * EMBER_WAIT_BO_POLL or in polling mode, the ring looked at while it
 * sleeps).
 *
 * Return: 0 (done, or never executed); -EINVAL (unknown flags, BO not
 * sliced);
 * -ENOENT; -ETIMEDOUT (still queued); -ERESTARTSYS; -EIO (a request
 * failed, or the DBC was reset after an accounting error); -ECANCELED
 * (the DBC was reset or released first).
 */
int ember_ioctl_wait_bo(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct ember_device *edev = to_ember_device(drm);
	struct drm_ember_wait_bo *args = data;
	struct ember_wait w = {};
	struct drm_gem_object *obj;
	struct ember_bo *bo;
	unsigned long left;
	unsigned int ms;
	long ret = 0;

	if (args->flags & ~EMBER_WAIT_BO_POLL)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_ember_bo(obj);

	mutex_lock(&edev->dbc_lock);
	if (!bo->sliced)
		ret = -EINVAL;
	else
		ember_wait_get(bo, &w);
	args->dbc_id = bo->dbc_id;
	mutex_unlock(&edev->dbc_lock);
	drm_gem_object_put(obj);
	if (ret || !w.fence)
		return ret;

	ms = args->timeout_ms ?: READ_ONCE(ember_wait_default_ms);
	left = msecs_to_jiffies(ms);
	ret = ember_wait(edev, &w, args->flags & EMBER_WAIT_BO_POLL, ms, &left);
	dma_fence_put(w.fence);
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
	struct ember_dbc *dbc;
	unsigned long flags;
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
		/* submit_ts is EXECUTE_BO's, the rest its DBC's completion's. */
		mutex_lock(&edev->dbc_lock);
		dbc = edev->info.num_dbcs ?
		      &edev->dbcs[min(bo->dbc_id, edev->info.num_dbcs - 1)] : NULL;
		if (dbc)
			spin_lock_irqsave(&dbc->lock, flags);
		ents[i].queue_level = bo->queue_level;
		ents[i].submit_ts = bo->submit_ts;
		ents[i].device_ns = bo->device_ns;
		ents[i].done_ts = bo->done_ts;
		if (dbc)
			spin_unlock_irqrestore(&dbc->lock, flags);
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
