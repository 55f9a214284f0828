/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember ioctls (uapi/ember_accel.h).
 */
#ifndef _EMBER_IOCTL_H_
#define _EMBER_IOCTL_H_

struct drm_device;
struct drm_file;

int ember_ioctl_get_info(struct drm_device *drm, void *data,
			 struct drm_file *file);
int ember_ioctl_manage(struct drm_device *drm, void *data,
		       struct drm_file *file);

int ember_ioctl_create_bo(struct drm_device *drm, void *data,
			  struct drm_file *file);
int ember_ioctl_mmap_bo(struct drm_device *drm, void *data,
			struct drm_file *file);
int ember_ioctl_attach_slice_bo(struct drm_device *drm, void *data,
				struct drm_file *file);
int ember_ioctl_execute_bo(struct drm_device *drm, void *data,
			   struct drm_file *file);
int ember_ioctl_partial_execute_bo(struct drm_device *drm, void *data,
				   struct drm_file *file);
int ember_ioctl_wait_bo(struct drm_device *drm, void *data,
			struct drm_file *file);
int ember_ioctl_perf_stats_bo(struct drm_device *drm, void *data,
			      struct drm_file *file);
int ember_ioctl_detach_slice_bo(struct drm_device *drm, void *data,
				struct drm_file *file);

#endif /* _EMBER_IOCTL_H_ */
