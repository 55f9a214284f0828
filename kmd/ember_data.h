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

#include "ember_regs.h"

struct dma_fence;
struct ember_act;
struct ember_dbc;
struct ember_device;

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
 * @dbc_id: DBC the BO is sliced for
 * @reqs: @nreqs requests of the slices, in order
 * @nreqs: entries in @reqs
 * @queued: an execution is in flight; the execution holds a reference
 * @act: activation (rings) the execution was queued on
 * @qnode: entry in &ember_act.queued while @queued
 * @seq: cookie of the execution's requests
 * @sent: requests of the execution
 * @done: responses received for it
 * @error: first error of the execution
 * @fence: fence of the last execution, signalled at its completion
 * @submit_ts: ktime_get_ns() at submission
 * @queue_level: queue_level of the first response
 * @device_ns: sum of device_ns of the responses
 * @done_ts: done_ts of the last response
 */
struct ember_bo {
	struct drm_gem_shmem_object base;
	bool sliced;
	u32 dbc_id;
	struct ember_bo_req *reqs;
	u32 nreqs;
	bool queued;
	struct ember_act *act;
	struct list_head qnode;
	u64 seq;
	u32 sent;
	u32 done;
	int error;
	struct dma_fence *fence;
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

int ember_data_init(struct ember_device *edev);
void ember_data_dbc_irq(struct ember_dbc *dbc);
void ember_data_act_lost(struct ember_act *act);

#endif /* _EMBER_DATA_H_ */
