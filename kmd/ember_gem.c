// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember buffer objects: GEM objects backed by shmem pages
 * (drm_gem_shmem helpers), created by CREATE_BO and mapped into user space
 * through the fake offset MMAP_BO returns. Handles are per file, so one
 * client cannot name another client's BO (-ENOENT, docs/uapi.md).
 * docs/datapath.md describes the design.
 */

#include <linux/dma-fence.h>
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_vma_manager.h>

#include "ember_accel.h"
#include "ember_data.h"
#include "ember_drv.h"
#include "ember_ioctl.h"
#include "ember_workload.h"

/*
 * Last reference gone: no execution holds the BO (an execution keeps a
 * reference), so no lock is needed. Called with or without
 * &ember_device.dbc_lock held: must not take it. Unpinning the workloads
 * takes &ember_wl_dev.lock, which nests inside dbc_lock.
 */
static void ember_bo_free(struct drm_gem_object *obj)
{
	struct ember_bo *bo = to_ember_bo(obj);

	ember_wl_set_put(bo->wl_set);
	ember_bo_uncharge(bo);
	kvfree(bo->reqs);
	dma_fence_put(bo->fence);
	drm_gem_shmem_free(&bo->base);
}

/*
 * fdinfo memory stats (drm_show_memory_stats()): a BO is resident while
 * its shmem pages exist (from first use to free or purge). Called under
 * &drm_file.table_lock: reads the page pointer without the BO's lock, a
 * snapshot is all fdinfo promises.
 */
static enum drm_gem_object_status ember_bo_status(struct drm_gem_object *obj)
{
	return READ_ONCE(to_ember_bo(obj)->base.pages) ?
	       DRM_GEM_OBJECT_RESIDENT : 0;
}

static size_t ember_bo_rss(struct drm_gem_object *obj)
{
	return READ_ONCE(to_ember_bo(obj)->base.pages) ? obj->size : 0;
}

static const struct drm_gem_object_funcs ember_bo_funcs = {
	.free = ember_bo_free,
	.status = ember_bo_status,
	.rss = ember_bo_rss,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

/**
 * ember_gem_create_object() - &drm_driver.gem_create_object
 * @drm: DRM device
 * @size: object size
 *
 * Return: the GEM object embedded in a new &struct ember_bo, or
 * ERR_PTR(-ENOMEM).
 */
struct drm_gem_object *ember_gem_create_object(struct drm_device *drm,
					       size_t size)
{
	struct ember_bo *bo;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->base.base.funcs = &ember_bo_funcs;
	return &bo->base.base;
}

/**
 * ember_ioctl_create_bo() - DRM_IOCTL_EMBER_CREATE_BO
 * @drm: DRM device
 * @data: &struct drm_ember_create_bo
 * @file: DRM file of the caller
 *
 * Allocates a shmem-backed GEM object of @size bytes rounded up to whole
 * pages (the pages themselves are allocated on first use) and returns a
 * handle of @file to it; the handle holds the only reference.
 *
 * Return: 0; -EINVAL for non-zero flags or a size of 0 or over
 * EMBER_BO_MAX_SIZE; -ENOMEM (also: the size is over what one client may
 * pin, max_pinned_mb, so the BO could never be sliced); -ENODEV if the
 * device was unplugged.
 */
int ember_ioctl_create_bo(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct drm_ember_create_bo *args = data;
	struct drm_gem_shmem_object *shmem;
	u32 handle;
	int idx, ret;

	if (args->flags || !args->size || args->size > EMBER_BO_MAX_SIZE)
		return -EINVAL;
	if (PAGE_ALIGN(args->size) > ember_pin_limit())
		return -ENOMEM;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	shmem = drm_gem_shmem_create(drm, PAGE_ALIGN(args->size));
	if (IS_ERR(shmem)) {
		ret = PTR_ERR(shmem);
		goto out;
	}
	ret = drm_gem_handle_create(file, &shmem->base, &handle);
	/* The handle owns the object now (or nothing does, on failure). */
	drm_gem_object_put(&shmem->base);
	if (!ret)
		args->handle = handle;
out:
	drm_dev_exit(idx);
	return ret;
}

/**
 * ember_ioctl_mmap_bo() - DRM_IOCTL_EMBER_MMAP_BO
 * @drm: DRM device
 * @data: &struct drm_ember_mmap_bo
 * @file: DRM file of the caller
 *
 * Return: 0 with the fake offset to mmap() the BO at; -EINVAL for a
 * non-zero pad; -ENOENT if @handle is not a BO of @file; -ENOMEM.
 */
int ember_ioctl_mmap_bo(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct drm_ember_mmap_bo *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	ret = drm_gem_create_mmap_offset(obj);
	if (!ret)
		args->offset = drm_vma_node_offset_addr(&obj->vma_node);

	drm_gem_object_put(obj);
	return ret;
}
