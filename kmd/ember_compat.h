/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember: kernel API differences, kept in one place.
 *
 * The EMBER_HAVE_* macros come from probes in Kbuild that grep the target
 * kernel's headers. Feature probes, not LINUX_VERSION_CODE, because stable
 * and distribution kernels backport API changes: 6.12.117 already has the
 * drm_sched_init() argument struct that mainline introduced in 6.15 and the
 * drm_sched_job_init() client id of 6.16.
 *
 * Rules: the rest of the driver calls only the ember_* wrappers below, never
 * the raw API whose signature differs; each wrapper states the kernels that
 * need its fallback branch.
 */
#ifndef _EMBER_COMPAT_H_
#define _EMBER_COMPAT_H_

#include <linux/types.h>
#include <drm/gpu_scheduler.h>

/**
 * struct ember_sched_params - arguments of ember_sched_init()
 * @ops: backend operations
 * @submit_wq: submission workqueue, or NULL for one allocated by drm_sched
 * @timeout_wq: timeout workqueue, or NULL for the system workqueue
 * @num_rqs: number of run queues (priorities)
 * @credit_limit: credits the scheduler may hold (jobs in the hardware ring)
 * @timeout: job timeout in jiffies
 * @name: scheduler name, shown by the gpu_scheduler tracepoints
 * @dev: device used for log messages
 */
struct ember_sched_params {
	const struct drm_sched_backend_ops *ops;
	struct workqueue_struct *submit_wq;
	struct workqueue_struct *timeout_wq;
	u32 num_rqs;
	u32 credit_limit;
	long timeout;
	const char *name;
	struct device *dev;
};

/**
 * ember_sched_init() - drm_sched_init() on every supported kernel
 * @sched: scheduler to initialise
 * @p: parameters
 *
 * drm_sched_init() takes a struct drm_sched_init_args from mainline 6.15
 * (and stable kernels that backported it) and eleven scalar arguments
 * before. The deprecated hang limit is always 0 and no score is shared.
 *
 * Return: 0 or a negative errno from drm_sched_init().
 */
static inline int ember_sched_init(struct drm_gpu_scheduler *sched,
				   const struct ember_sched_params *p)
{
#ifdef EMBER_HAVE_DRM_SCHED_INIT_ARGS
	const struct drm_sched_init_args args = {
		.ops = p->ops,
		.submit_wq = p->submit_wq,
		.timeout_wq = p->timeout_wq,
		.num_rqs = p->num_rqs,
		.credit_limit = p->credit_limit,
		.hang_limit = 0,
		.timeout = p->timeout,
		.score = NULL,
		.name = p->name,
		.dev = p->dev,
	};

	return drm_sched_init(sched, &args);
#else
	return drm_sched_init(sched, p->ops, p->submit_wq, p->num_rqs,
			      p->credit_limit, 0, p->timeout, p->timeout_wq,
			      NULL, p->name, p->dev);
#endif
}

/**
 * ember_sched_job_init() - drm_sched_job_init() on every supported kernel
 * @job: job to initialise
 * @entity: scheduler entity the job is pushed to
 * @credits: credits the job takes from the scheduler
 * @owner: job owner, for debugging
 * @client_id: DRM client id (drm_file->client_id) for the tracepoints
 *
 * drm_sched_job_init() gained the client id argument in mainline 6.16
 * (backported to 6.12.y); on older kernels @client_id is unused.
 *
 * Return: 0 or a negative errno from drm_sched_job_init().
 */
static inline int ember_sched_job_init(struct drm_sched_job *job,
				       struct drm_sched_entity *entity,
				       u32 credits, void *owner, u64 client_id)
{
#ifdef EMBER_HAVE_DRM_SCHED_JOB_CLIENT_ID
	return drm_sched_job_init(job, entity, credits, owner, client_id);
#else
	return drm_sched_job_init(job, entity, credits, owner);
#endif
}

/*
 * struct drm_driver.date: unused and then removed by mainline 6.14 (and
 * 6.12.y), but older kernels warn in DRM_IOCTL_VERSION when it is NULL. The
 * driver sets it to this value when the field exists
 * (EMBER_HAVE_DRM_DRIVER_DATE).
 */
#define EMBER_DRM_DRIVER_DATE		"20261101"

#endif /* _EMBER_COMPAT_H_ */
