/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember job submission through drm_sched (docs/datapath.md).
 */
#ifndef _EMBER_SCHED_H_
#define _EMBER_SCHED_H_

#include <linux/list.h>
#include <linux/types.h>
#include <drm/gpu_scheduler.h>

struct drm_file;
struct ember_act;
struct ember_bo;
struct ember_client;
struct ember_dbc;
struct ember_device;
struct ember_fence;

/**
 * struct ember_job - one execution of a BO: a drm_sched job
 *
 * Created by EXECUTE_BO, run by the DBC's scheduler (which writes its
 * requests into the ring of the DBC's owner), completed when its last
 * response arrives. Fields after @base are under &ember_device.dbc_lock
 * once the job is pushed.
 *
 * @base: the scheduler job
 * @bo: the BO; the job holds a GEM reference until it is freed
 * @dbc: DBC the BO is sliced for
 * @act_serial: &ember_act.serial of the activation it was submitted on;
 *	the job is cancelled if the DBC has another owner when it runs
 * @resize: PARTIAL_EXECUTE_BO byte limit, 0 for the whole BO
 * @nreqs: requests it writes into the ring
 * @hw: hardware fence, signalled when the last response arrived;
 *	allocated with the job, initialised when it runs
 * @hw_live: @hw was initialised (and is then freed by reference count)
 * @node: entry in &ember_act.running while its requests are in the ring
 * @done: responses received
 * @error: first error (-EIO for a failed request, -ECANCELED)
 * @submit_ts: ktime_get_ns() at EXECUTE_BO
 * @submit_cpu: the CPU EXECUTE_BO ran on (ember_irq_follow())
 * @direct: EXECUTE_BO wrote the requests itself (ember_job_push()); run_job
 *	only hands the hardware fence to the scheduler. Set before the push
 * @waiter_polls: set by EXECUTE_BO before the push: in polling mode, its
 *	caller polls the ring for it at once (EMBER_EXECUTE_BO_WAIT of this
 *	job alone), so a direct start arms no poller timer for it
 *	(ember_job_push() returns true; ember_poll_cover())
 * @unwritten: counted in &ember_dbc.unwritten until run_job (or free_job,
 *	for a job the scheduler dropped) takes it out; under &ember_dbc.lock
 */
struct ember_job {
	struct drm_sched_job base;
	struct ember_bo *bo;
	struct ember_dbc *dbc;
	u64 act_serial;
	u64 resize;
	u32 nreqs;
	struct ember_fence *hw;
	bool hw_live;
	struct list_head node;
	u32 done;
	int error;
	u64 submit_ts;
	int submit_cpu;
	bool direct;
	bool waiter_polls;
	bool unwritten;
};

/* Module parameter (ember_sched.c), read with READ_ONCE(). */
extern bool ember_dp_direct_submit;

int ember_sched_dbcs_init(struct ember_device *edev);
struct ember_job *ember_job_alloc(void);
int ember_job_init(struct ember_job *job, struct ember_dbc *dbc,
		   struct ember_client *client, struct drm_file *file);
void ember_job_bind(struct ember_job *job, struct ember_act *act,
		    struct ember_bo *bo, u32 nreqs, u64 resize);
bool ember_job_push(struct ember_job *job);
void ember_job_abort(struct ember_job *job);
u32 ember_sched_drain(struct ember_dbc *dbc, u32 budget, u32 *inflight);
bool ember_sched_drain_irq(struct ember_dbc *dbc, u32 budget);
bool ember_sched_rsp_pending(struct ember_dbc *dbc);
bool ember_sched_rsp_seen(struct ember_dbc *dbc);
u32 ember_sched_recheck(struct ember_dbc *dbc, u64 serial);
void ember_sched_act_lost(struct ember_act *act);
void ember_dbc_set_act(struct ember_dbc *dbc, struct ember_act *act);

#endif /* _EMBER_SCHED_H_ */
