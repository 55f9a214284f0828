/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember data path: buffer objects sliced for a DBC, executed through its
 * rings (docs/datapath.md).
 */
#ifndef _EMBER_DATA_H_
#define _EMBER_DATA_H_

#include <linux/list.h>
#include <linux/types.h>
#include <drm/drm_gem_shmem_helper.h>

#include "ember_hw.h"

struct dma_fence;
struct ember_act;
struct ember_dbc;
struct ember_device;
struct mm_struct;
struct ember_wl_set;

/**
 * struct ember_bo_req - a DBC request prepared when the BO was sliced
 * @req: the request; req_id and cookie are set at execution
 * @bo_start: first BO byte the request reads or writes
 * @bo_len: BO bytes it covers (0: it does not touch the BO)
 * @kind: EMBER_BO_REQ_*, how PARTIAL_EXECUTE_BO treats it
 */
struct ember_bo_req {
	struct ember_dbc_req req;
	u64 bo_start;
	u64 bo_len;
	u32 kind;
};

/* struct ember_bo_req.kind */
#define EMBER_BO_REQ_RANGE	0	/* dropped or shortened past resize */
#define EMBER_BO_REQ_WHOLE	1	/* dropped unless it fits in resize */
#define EMBER_BO_REQ_DEVICE	2	/* always sent */

/**
 * struct ember_bo - an ember buffer object
 *
 * Fields after @base are protected by &ember_device.dbc_lock.
 *
 * @base: shmem GEM object
 * @sliced: ATTACH_SLICE_BO succeeded and DETACH_SLICE_BO was not called
 * @slicer: &ember_client.id of the client that sliced it, 0 when not
 *	sliced
 * @pin_mm: the process charged for the BO's pinned pages (the first to
 *	slice it; a reference to its mm_struct) until the BO is freed, NULL
 *	before
 * @dbc_id: DBC the BO is sliced for
 * @reqs: @nreqs requests of the slices, in order
 * @nreqs: entries in @reqs
 * @wl_set: the caller's workloads whose regions the slices touch, pinned
 *	while @sliced (ember_workload.c); NULL when not sliced
 * @queued: an execution is queued in the scheduler or running in the
 *	ring; its &struct ember_job holds a reference to the BO
 * @fence: what WAIT_BO waits for: the last execution's hardware fence if
 *	EXECUTE_BO started it on the device itself, else its scheduler
 *	"finished" fence; NULL before the first execution
 * @job_id: drm_sched job id of the last execution (tracepoints)
 * @act_serial: &ember_act.serial of the activation it was submitted on
 * @submit_ts: ktime_get_ns() when the last execution was submitted
 *	(EXECUTE_BO)
 * @queue_level: queue_level of its first response
 * @device_ns: sum of device_ns of its responses
 * @done_ts: done_ts of its last response
 */
struct ember_bo {
	struct drm_gem_shmem_object base;
	bool sliced;
	u64 slicer;
	struct mm_struct *pin_mm;
	u32 dbc_id;
	struct ember_bo_req *reqs;
	u32 nreqs;
	struct ember_wl_set *wl_set;
	bool queued;
	struct dma_fence *fence;
	u64 job_id;
	u64 act_serial;
	u64 submit_ts;
	u32 queue_level;
	u64 device_ns;
	u64 done_ts;
};

static inline struct ember_bo *to_ember_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct ember_bo, base.base);
}

struct drm_gem_object *ember_gem_create_object(struct drm_device *drm,
					       size_t size);

u32 ember_bo_count(const struct ember_bo *bo, u64 resize);

u64 ember_pin_limit(void);
void ember_bo_uncharge(struct ember_bo *bo);

#endif /* _EMBER_DATA_H_ */
