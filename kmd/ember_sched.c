// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember job submission through drm_sched (docs/datapath.md, "Submission").
 *
 * Every DBC has a drm_sched instance with a single entity: a DBC has one
 * owner at a time, so there is nothing to arbitrate between entities. An
 * execution of a BO is a &struct ember_job pushed to that entity by
 * EXECUTE_BO. run_job() writes the job's requests into the request ring
 * of the activation that owns the DBC and rings the doorbell; the job's
 * hardware fence is signalled when its last response has been consumed
 * (ember_sched_drain(), called by the interrupt thread or the poller of
 * ember_poll.c). The scheduler's "finished" fence follows from it, and the
 * stable gpu_scheduler tracepoints fire for every job.
 *
 * Direct submission: when no job of the DBC waits in the scheduler to be
 * written and the ring has room, EXECUTE_BO writes the job's requests and
 * rings the doorbell itself before it pushes the job (ember_job_direct());
 * run_job() then only hands the hardware fence to the scheduler, and
 * WAIT_BO waits for that hardware fence, so a waiter never waits for the
 * scheduler's worker. Ordering, credits and cancellation stay the
 * scheduler's (docs/datapath.md, "Fast submission").
 *
 * Flow control: the scheduler's credits are the request ring. A ring of
 * N entries holds N - 1 requests; rings are 2..EMBER_NNC_RING_MAX entries,
 * so a job of r requests takes ceil(r * EMBER_SCHED_CREDITS / (N - 1))
 * credits out of EMBER_SCHED_CREDITS. Jobs that do not fit wait in the
 * entity; EXECUTE_BO never fails because a ring is full.
 *
 * Ownership changes: a job remembers the serial of the activation it was
 * submitted on. If the DBC has lost that activation by the time the job
 * runs (DEACTIVATE, close, reset, removal), run_job() fails it with
 * -ECANCELED without touching the device; jobs already in the ring of a
 * lost activation are failed by ember_sched_act_lost().
 *
 * Locking (docs/datapath.md, "Locking"): each DBC's &ember_dbc.lock, a
 * spinlock, covers what the data path touches per job: the rings and
 * indices of the activation the DBC serves, its running jobs and the
 * execution results of their BOs. run_job() and every drain take only
 * that lock, so DBCs never wait for each other, and the hard interrupt
 * handler can complete a lone job itself (ember_sched_drain_irq()). The
 * device-wide &ember_device.dbc_lock covers the lifetime of activations
 * and the slicing state of BOs; EXECUTE_BO holds it to check and push,
 * and changing &ember_dbc.act takes both (dbc_lock first). A response
 * ring that breaks the accounting is recovered under both as well: the
 * drain that finds it drops its lock and takes them in order
 * (ember_sched_recover()); the hard handler leaves it to the thread.
 */

#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/smp.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_managed.h>

#include "ember_data.h"
#include "ember_drv.h"
#include "ember_irq.h"
#include "ember_nnc.h"
#include "ember_poll.h"
#include "ember_sched.h"
#include "ember_trace.h"

bool ember_dp_direct_submit = true;
module_param_named(datapath_direct_submit, ember_dp_direct_submit, bool, 0644);
MODULE_PARM_DESC(datapath_direct_submit,
		 "EXECUTE_BO writes a job's requests itself when nothing of its DBC waits in the scheduler (default Y; N: always from run_job)");

/* Credits of a scheduler: the largest ring holds this many requests. */
#define EMBER_SCHED_CREDITS	(EMBER_NNC_RING_MAX - 1)

/* A hardware fence with its own lock: it may outlive its rings. */
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

static struct ember_job *to_ember_job(struct drm_sched_job *job)
{
	return container_of(job, struct ember_job, base);
}

static const char *ember_dev_name(const struct ember_dbc *dbc)
{
	return pci_name(dbc->edev->pdev);
}

/* ---- completion ---- */

/* @job ended (all responses, or cancelled); under the DBC's lock. */
static void ember_job_done(struct ember_job *job)
{
	struct ember_dbc *dbc = job->dbc;
	struct ember_bo *bo = job->bo;
	struct sg_table *sgt = bo->base.sgt;
	u64 took;

	lockdep_assert_held(&dbc->lock);

	list_del_init(&job->node);
	/* Read without the DBC's lock by EXECUTE_BO and DETACH_SLICE_BO. */
	WRITE_ONCE(bo->queued, false);
	if (sgt)
		dma_sync_sgtable_for_cpu(dbc->edev->drm.dev, sgt,
					 DMA_BIDIRECTIONAL);
	if (job->error == -ECANCELED)
		atomic64_inc(&dbc->stats.cancelled);
	else
		atomic64_inc(&dbc->stats.completions);
	took = ktime_get_ns() - job->submit_ts;
	if (!job->error)
		WRITE_ONCE(dbc->job_ns, dbc->job_ns ?
			   dbc->job_ns - dbc->job_ns / 8 + took / 8 : took);
	trace_ember_job_complete(ember_dev_name(dbc), dbc->id, job->base.id,
				 job->error, took, bo->device_ns);
	if (job->error)
		dma_fence_set_error(&job->hw->base, job->error);
	/* drm_sched signals the finished fence from this fence's callback. */
	dma_fence_signal(&job->hw->base);
}

/* Fail every job in @act's ring with @error; under the DBC's lock. */
static void ember_sched_fail_running(struct ember_act *act, int error)
{
	struct ember_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, &act->running, node) {
		if (!job->error)
			job->error = error;
		ember_job_done(job);
	}
	act->inflight = 0;
}

/**
 * ember_sched_act_lost() - a record is about to lose its rings
 * @act: the record; its DBC no longer uses the rings
 *
 * Fails every job in the rings with -ECANCELED. Jobs of the record still
 * waiting in the scheduler are failed when they come to run. Under
 * &ember_device.dbc_lock; takes the DBC's lock.
 */
void ember_sched_act_lost(struct ember_act *act)
{
	struct ember_device *edev = act->client->edev;
	struct ember_dbc *dbc;
	unsigned long flags;

	lockdep_assert_held(&edev->dbc_lock);

	/* A record without a DBC never ran a job. */
	if (act->dbc_id < 0 || act->dbc_id >= edev->info.num_dbcs) {
		WARN_ON_ONCE(!list_empty(&act->running));
		return;
	}
	dbc = &edev->dbcs[act->dbc_id];
	spin_lock_irqsave(&dbc->lock, flags);
	ember_sched_fail_running(act, -ECANCELED);
	spin_unlock_irqrestore(&dbc->lock, flags);
}

/**
 * ember_dbc_set_act() - change the activation a DBC serves
 * @dbc: the DBC
 * @act: the new owner's LIVE record, or NULL
 *
 * Under &ember_device.dbc_lock; takes the DBC's lock, so that a drain or
 * run_job() in progress finishes with the old record first.
 */
void ember_dbc_set_act(struct ember_dbc *dbc, struct ember_act *act)
{
	unsigned long flags;

	lockdep_assert_held(&dbc->edev->dbc_lock);

	spin_lock_irqsave(&dbc->lock, flags);
	dbc->act = act;
	spin_unlock_irqrestore(&dbc->lock, flags);
}

/* One response of @act's ring; under the DBC's lock. */
static void ember_job_response(struct ember_dbc *dbc, struct ember_act *act,
			       const struct ember_dbc_rsp *rsp)
{
	u64 cookie = le64_to_cpu(rsp->cookie);
	struct ember_job *job;
	struct ember_bo *bo;

	/* ember_rsp_avail() checked that the response has a request. */
	job = list_first_entry_or_null(&act->running, struct ember_job, node);
	if (!job) {
		dev_err_ratelimited(dbc->edev->drm.dev,
				    "DBC %u: response without a queued execution\n",
				    dbc->id);
		return;
	}
	bo = job->bo;
	if (cookie != job->base.id) {
		/* Cannot happen unless the response is corrupt. */
		dev_warn_ratelimited(dbc->edev->drm.dev,
				     "DBC %u: response with unknown cookie %#llx (status %u)\n",
				     dbc->id, cookie, rsp->status);
		job->error = -EIO;
	}
	if (rsp->status != EMBER_RSP_OK && !job->error)
		job->error = -EIO;
	if (!job->done)
		bo->queue_level = le32_to_cpu(rsp->queue_level);
	bo->device_ns += le32_to_cpu(rsp->device_ns);
	atomic64_add(le32_to_cpu(rsp->device_ns), &act->client->busy_ns[dbc->id]);
	bo->done_ts = le64_to_cpu(rsp->done_ts);
	if (act->inflight)
		act->inflight--;
	if (++job->done == job->nreqs)
		ember_job_done(job);
}

/* Is DBC @dbc programmed with @act's rings? */
static bool ember_dbc_has_rings(struct ember_dbc *dbc,
				const struct ember_act *act)
{
	void __iomem *regs = dbc->regs;
	u64 req, rsp;

	req = readl(regs + EMBER_DBC_REQ_BASE_LO) |
	      (u64)readl(regs + EMBER_DBC_REQ_BASE_HI) << 32;
	rsp = readl(regs + EMBER_DBC_RSP_BASE_LO) |
	      (u64)readl(regs + EMBER_DBC_RSP_BASE_HI) << 32;
	return req == act->req_dma && rsp == act->rsp_dma &&
	       readl(regs + EMBER_DBC_RING_SIZE) == act->ring_size;
}

/*
 * Reset DBC @dbc, whose response ring broke the accounting of @act (its
 * LIVE owner), and start it again on the same rings: the jobs in the ring
 * fail with -EIO, jobs still in the scheduler run afterwards. The firmware
 * still has the DBC activated for the client, so nobody else can have it
 * (docs/datapath.md, "Accounting errors"). If the DBC is not programmed
 * with @act's rings any more, it is not the client's: the data path lets
 * go of it (LEAVING, jobs kept until the client's DEACTIVATE or TERMINATE)
 * and touches nothing. Under &ember_device.dbc_lock and the DBC's lock.
 */
static void ember_dbc_recover(struct ember_dbc *dbc, struct ember_act *act,
			      u32 tail)
{
	void __iomem *regs = dbc->regs;

	lockdep_assert_held(&dbc->edev->dbc_lock);
	lockdep_assert_held(&dbc->lock);

	if (!ember_dbc_has_rings(dbc, act)) {
		dev_err_ratelimited(dbc->edev->drm.dev,
				    "DBC %u: programmed with rings that are not its owner's; not serving it any more\n",
				    dbc->id);
		dbc->act = NULL;
		act->state = EMBER_ACT_LEAVING;
		return;
	}

	dev_warn_ratelimited(dbc->edev->drm.dev,
			     "DBC %u: response tail %u does not match %u request(s) in flight from head %u; resetting the DBC, its queued jobs fail with -EIO\n",
			     dbc->id, tail, act->inflight, act->rsp_head);
	atomic64_inc(&dbc->stats.recoveries);
	writel(EMBER_DBC_CTRL_RESET, regs + EMBER_DBC_CTRL);
	readl(regs + EMBER_DBC_STATUS);
	ember_sched_fail_running(act, -EIO);
	act->req_tail = 0;
	act->rsp_head = 0;
	writel(lower_32_bits(act->req_dma), regs + EMBER_DBC_REQ_BASE_LO);
	writel(upper_32_bits(act->req_dma), regs + EMBER_DBC_REQ_BASE_HI);
	writel(lower_32_bits(act->rsp_dma), regs + EMBER_DBC_RSP_BASE_LO);
	writel(upper_32_bits(act->rsp_dma), regs + EMBER_DBC_RSP_BASE_HI);
	writel(act->ring_size, regs + EMBER_DBC_RING_SIZE);
	writel(EMBER_DBC_CTRL_ENABLE, regs + EMBER_DBC_CTRL);
}

/*
 * Responses waiting in @act's ring, which @dbc serves: 0 when none, or
 * when the DBC is stopped or the device gone (its rings are about to go).
 * A tail out of range or more responses than requests in flight breaks
 * the accounting: 0, and *@broken set (the caller recovers the DBC with
 * ember_sched_recover()). Under the DBC's lock.
 */
static u32 ember_rsp_avail(struct ember_dbc *dbc, struct ember_act *act,
			   u32 *tail, bool *broken)
{
	u32 mask = act->ring_size - 1;
	u32 status, n;

	status = readl(dbc->regs + EMBER_DBC_STATUS);
	if (status == U32_MAX || !(status & EMBER_DBC_STATUS_ENABLED))
		return 0;
	*tail = readl(dbc->regs + EMBER_DBC_RSP_TAIL);
	if (*tail == U32_MAX)
		return 0;
	n = (*tail - act->rsp_head) & mask;
	if (*tail > mask || n > act->inflight) {
		*broken = true;
		return 0;
	}
	return n;
}

/*
 * Consume at most @budget responses of @act's ring; under the DBC's lock.
 * Stops at a broken ring (*@broken).
 */
static u32 ember_rsp_ring_drain(struct ember_dbc *dbc, struct ember_act *act,
				u32 budget, bool *broken)
{
	const struct ember_dbc_rsp *ring = act->rsp_ring;
	u32 mask = act->ring_size - 1;
	u32 head, tail, n = 0;

	while (n < budget && ember_rsp_avail(dbc, act, &tail, broken)) {
		/* Read the entries only after the index. */
		dma_rmb();
		head = act->rsp_head;
		while (head != tail && n < budget) {
			/* Counted before the job it completes is signalled. */
			atomic64_inc(&dbc->stats.responses);
			ember_job_response(dbc, act, &ring[head]);
			head = (head + 1) & mask;
			n++;
		}
		act->rsp_head = head;
		/*
		 * A response written after the tail was read raises no
		 * interrupt (the ring was not empty, docs/hardware.md §4.2):
		 * the caller looks again (the loop here, or the re-check of
		 * ember_poll.c after unmasking).
		 */
		writel(head, dbc->regs + EMBER_DBC_RSP_HEAD);
	}
	if (n && !act->inflight)
		ember_poll_disarm(dbc);
	return n;
}

/*
 * The activation whose rings the data path serves on @dbc, or NULL. Under
 * the DBC's lock (&ember_dbc.act and the rings change only under it too).
 */
static struct ember_act *ember_sched_dbc_act(struct ember_dbc *dbc)
{
	struct ember_act *act = dbc->act;

	lockdep_assert_held(&dbc->lock);

	if (!act || !act->rsp_ring || READ_ONCE(dbc->edev->dbcs_gone))
		return NULL;
	return act;
}

/*
 * A drain found @dbc's response ring broken: look again under both locks
 * and recover the DBC if it still is (ember_dbc_recover()). Process
 * context, no lock held.
 */
static void ember_sched_recover(struct ember_dbc *dbc)
{
	struct ember_device *edev = dbc->edev;
	struct ember_act *act;
	unsigned long flags;
	bool broken = false;
	u32 tail;

	mutex_lock(&edev->dbc_lock);
	spin_lock_irqsave(&dbc->lock, flags);
	act = ember_sched_dbc_act(dbc);
	if (act) {
		ember_rsp_avail(dbc, act, &tail, &broken);
		if (broken)
			ember_dbc_recover(dbc, act, tail);
	}
	spin_unlock_irqrestore(&dbc->lock, flags);
	mutex_unlock(&edev->dbc_lock);
}

/*
 * Drain at most @budget responses of @dbc's ring; recover a broken ring.
 * Process context. Returns the responses consumed, and through @inflight
 * (if not NULL) the requests still in flight.
 */
static u32 ember_sched_drain_locked(struct ember_dbc *dbc, u32 budget,
				    u64 serial, u32 *inflight)
{
	struct ember_act *act;
	unsigned long flags;
	bool broken = false;
	u32 n = 0, left = 0;

	spin_lock_irqsave(&dbc->lock, flags);
	act = ember_sched_dbc_act(dbc);
	if (act && (!serial || act->serial == serial)) {
		n = ember_rsp_ring_drain(dbc, act, budget ?: act->ring_size,
					 &broken);
		left = act->inflight;
	}
	spin_unlock_irqrestore(&dbc->lock, flags);
	if (broken) {
		ember_sched_recover(dbc);
		left = 0;	/* the jobs in the ring failed */
	}
	if (inflight)
		*inflight = left;
	return n;
}

/**
 * ember_sched_drain() - consume responses of a DBC
 * @dbc: the DBC
 * @budget: at most this many responses (a bounded batch); 0: one ring's
 *	worth
 * @inflight: receives the requests still in flight afterwards
 *
 * Completes the jobs whose last response arrived; recovers a response
 * ring that broke the accounting. Process context, no lock held.
 *
 * Return: the number of responses consumed.
 */
u32 ember_sched_drain(struct ember_dbc *dbc, u32 budget, u32 *inflight)
{
	return ember_sched_drain_locked(dbc, budget, 0, inflight);
}

/**
 * ember_sched_drain_irq() - consume responses in the hard interrupt handler
 * @dbc: the DBC that signalled
 * @budget: at most this many responses
 *
 * If the ring holds every response still expected (at most @budget),
 * consumes them and completes their jobs, signalling the fences from
 * hard-IRQ context (not on PREEMPT_RT, where the caller does not come
 * here). Otherwise, and for a broken ring (the thread recovers it in
 * process context), consumes nothing.
 *
 * Return: true if the DBC is idle now (nothing in flight, the ring empty
 * and sound): no thread has to look at it.
 */
bool ember_sched_drain_irq(struct ember_dbc *dbc, u32 budget)
{
	struct ember_act *act;
	bool broken = false, idle = false;
	u32 tail;

	lockdep_assert_in_irq();

	spin_lock(&dbc->lock);
	act = ember_sched_dbc_act(dbc);
	/*
	 * Only when the ring holds every response still expected: then
	 * draining it leaves the DBC idle. With more in flight a stream is
	 * running, and its responses belong to the thread, whose arrival
	 * statistics drive the storm mitigation.
	 */
	if (act && ember_rsp_avail(dbc, act, &tail, &broken) == act->inflight &&
	    !broken && act->inflight <= budget) {
		ember_rsp_ring_drain(dbc, act, budget, &broken);
		idle = !broken && !act->inflight;
	}
	spin_unlock(&dbc->lock);
	return idle;
}

/**
 * ember_sched_rsp_pending() - does the DBC's response ring hold responses?
 * @dbc: the DBC
 *
 * The re-check after unmasking the DBC's interrupt: a response that
 * arrived while it was masked raised no interrupt and will not raise one.
 *
 * Return: true if responses wait to be consumed.
 */
bool ember_sched_rsp_pending(struct ember_dbc *dbc)
{
	struct ember_act *act;
	unsigned long flags;
	bool pending = false, broken = false;
	u32 tail;

	spin_lock_irqsave(&dbc->lock, flags);
	act = ember_sched_dbc_act(dbc);
	if (act && act->inflight)
		pending = ember_rsp_avail(dbc, act, &tail, &broken);
	spin_unlock_irqrestore(&dbc->lock, flags);
	/* A broken ring is serviced on: the drain recovers it. */
	return pending || broken;
}

/**
 * ember_sched_rsp_seen() - has the oldest job's response landed in memory?
 * @dbc: the DBC
 *
 * A poller's cheap look, with no register access: the slot at the response
 * ring's head holds a response for the DBC's oldest running job (the job's
 * cookie, which a slot left over from the ring's previous lap cannot hold:
 * job ids only grow, and a job has fewer requests than the ring slots).
 * Register reads are slow on a bus, and under emulation each one waits for
 * the device model's lock. The drain that follows reads RSP_TAIL, the
 * device's own word on it. Any context.
 *
 * Return: true if a response looks ready, or there is no running job or
 * ring to look at (a drain finds out what is there).
 */
bool ember_sched_rsp_seen(struct ember_dbc *dbc)
{
	const struct ember_dbc_rsp *rsp;
	struct ember_act *act;
	struct ember_job *job;
	unsigned long flags;
	bool seen = true;

	spin_lock_irqsave(&dbc->lock, flags);
	act = ember_sched_dbc_act(dbc);
	job = act ? list_first_entry_or_null(&act->running, struct ember_job,
					     node) : NULL;
	if (job) {
		rsp = (const struct ember_dbc_rsp *)act->rsp_ring + act->rsp_head;
		seen = le64_to_cpu(READ_ONCE(rsp->cookie)) == job->base.id;
	}
	spin_unlock_irqrestore(&dbc->lock, flags);
	return seen;
}

/**
 * ember_sched_recheck() - a waiter looks at the ring itself
 * @dbc: the DBC the waiter's job was submitted to
 * @serial: &ember_act.serial of the activation it was submitted on
 *
 * WAIT_BO calls this when its job has not completed within a re-check
 * interval: if the job's responses are in the ring but no interrupt (lost
 * on the way) or poll delivered them, they are consumed here and the jobs
 * they finish complete. Nothing happens for an activation the DBC no
 * longer serves. Process context.
 *
 * Return: the number of responses consumed.
 */
u32 ember_sched_recheck(struct ember_dbc *dbc, u64 serial)
{
	u32 n;

	/* Drains until the ring is empty: at most ring_size - 1 in flight. */
	n = ember_sched_drain_locked(dbc, 0, serial ?: U64_MAX, NULL);
	if (n)
		atomic64_add(n, &dbc->stats.rechecks);
	return n;
}

/* ---- the scheduler backend ---- */

/* Write @job's requests into @act's ring; under the DBC's lock. */
static void ember_job_write(struct ember_act *act, struct ember_job *job)
{
	struct ember_dbc_req *ring = act->req_ring;
	struct ember_bo *bo = job->bo;
	u32 mask = act->ring_size - 1;
	u64 resize = job->resize;
	u32 i, n = 0;

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
		req.cookie = cpu_to_le64(job->base.id);
		ring[act->req_tail] = req;
		act->req_tail = (act->req_tail + 1) & mask;
		n++;
	}
	job->nreqs = n;	/* ember_bo_count() counted the same */
	job->done = 0;
	bo->queue_level = 0;
	bo->device_ns = 0;
	bo->done_ts = 0;
	act->inflight += n;
}

/*
 * Start @job on @act: initialise its hardware fence, write its requests,
 * arm the poller's timer if @arm (polling mode), ring the doorbell. Under
 * the DBC's lock; returns the fence's reference for the scheduler.
 */
static struct dma_fence *ember_job_start(struct ember_dbc *dbc,
					 struct ember_act *act,
					 struct ember_job *job, bool arm)
{
	lockdep_assert_held(&dbc->lock);

	dma_fence_init(&job->hw->base, &ember_fence_ops, &job->hw->lock,
		       dbc->fence_ctx, ++dbc->hw_seqno);
	job->hw_live = true;
	ember_job_write(act, job);
	list_add_tail(&job->node, &act->running);
	if (arm)
		ember_poll_arm(dbc);
	trace_ember_job_submit(ember_dev_name(dbc), dbc->id, job->base.id,
			       job->nreqs, act->inflight);
	/* Requests visible before the doorbell (writel orders). */
	writel(act->req_tail, dbc->regs + EMBER_DBC_REQ_TAIL);
	/* One reference for the scheduler, the job keeps its own. */
	return dma_fence_get(&job->hw->base);
}

/* @job no longer waits for run_job to write it; under the DBC's lock. */
static void ember_job_unqueue(struct ember_job *job)
{
	lockdep_assert_held(&job->dbc->lock);

	if (job->unwritten) {
		job->unwritten = false;
		job->dbc->unwritten--;
	}
}

static struct dma_fence *ember_job_run(struct drm_sched_job *sched_job)
{
	struct ember_job *job = to_ember_job(sched_job);
	struct ember_dbc *dbc = job->dbc;
	struct ember_device *edev = dbc->edev;
	struct dma_fence *fence = ERR_PTR(-ECANCELED);
	struct ember_act *act;
	unsigned long flags;
	bool entered, lone = false;
	int idx;

	/* EXECUTE_BO started it (ember_job_push()): hand the fence over. */
	if (job->direct)
		return dma_fence_get(&job->hw->base);

	entered = drm_dev_enter(&edev->drm, &idx);
	spin_lock_irqsave(&dbc->lock, flags);
	ember_job_unqueue(job);
	act = ember_sched_dbc_act(dbc);
	if (!entered || !act || act->serial != job->act_serial) {
		/* The activation is gone: fail without touching the device. */
		WRITE_ONCE(job->bo->queued, false);
		atomic64_inc(&dbc->stats.cancelled);
		trace_ember_job_complete(ember_dev_name(dbc), dbc->id,
					 job->base.id, -ECANCELED,
					 ktime_get_ns() - job->submit_ts, 0);
		goto out;
	}
	lone = !act->inflight;
	/* Its waiter may have stopped polling: the timer covers it. */
	fence = ember_job_start(dbc, act, job, true);
out:
	spin_unlock_irqrestore(&dbc->lock, flags);
	if (entered) {
		if (lone)
			ember_irq_follow(dbc, job->submit_cpu);
		drm_dev_exit(idx);
	}
	return fence;
}

/*
 * Jobs are never timed out by the scheduler (the timeout is
 * MAX_SCHEDULE_TIMEOUT): WAIT_BO has its own timeout and leaves the job
 * queued, and a hung DBC is recovered by DEACTIVATE, close or a reset,
 * which cancel its jobs.
 */
static enum drm_gpu_sched_stat ember_job_timedout(struct drm_sched_job *job)
{
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

/* Last reference of a job that was never pushed, or after cleanup. */
static void ember_job_release(struct ember_job *job)
{
	if (job->hw_live)
		dma_fence_put(&job->hw->base);
	else
		kfree(job->hw);
	if (job->bo)
		drm_gem_object_put(&job->bo->base.base);
	kfree(job);
}

static void ember_job_free(struct drm_sched_job *sched_job)
{
	struct ember_job *job = to_ember_job(sched_job);
	unsigned long flags;

	/* A job the scheduler dropped without running it (entity killed). */
	if (job->unwritten) {
		spin_lock_irqsave(&job->dbc->lock, flags);
		ember_job_unqueue(job);
		spin_unlock_irqrestore(&job->dbc->lock, flags);
	}
	drm_sched_job_cleanup(sched_job);
	ember_job_release(to_ember_job(sched_job));
}

static const struct drm_sched_backend_ops ember_sched_ops = {
	.run_job = ember_job_run,
	.timedout_job = ember_job_timedout,
	.free_job = ember_job_free,
};

/**
 * ember_job_alloc() - allocate a job and its hardware fence
 *
 * Return: the job, or NULL.
 */
struct ember_job *ember_job_alloc(void)
{
	struct ember_job *job;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return NULL;
	job->hw = kzalloc(sizeof(*job->hw), GFP_KERNEL);
	if (!job->hw) {
		kfree(job);
		return NULL;
	}
	spin_lock_init(&job->hw->lock);
	INIT_LIST_HEAD(&job->node);
	return job;
}

/**
 * ember_job_init() - make @job a job of a DBC's scheduler
 * @job: from ember_job_alloc()
 * @dbc: the DBC the BO is sliced for (the caller re-checks that under
 *	&ember_device.dbc_lock before ember_job_bind())
 * @client: the caller, the job's owner
 * @file: its DRM file
 *
 * Allocates the scheduler fences; not under &ember_device.dbc_lock (it
 * may sleep). On failure the caller frees @job with
 * ember_job_abort().
 *
 * Return: 0 or -ENOMEM.
 */
int ember_job_init(struct ember_job *job, struct ember_dbc *dbc,
		   struct ember_client *client, struct drm_file *file)
{
	int ret;

	/* Credits are set by ember_job_bind(), before the job is armed. */
	ret = ember_sched_job_init(&job->base, &dbc->entity, 1, client,
				   file->client_id);
	if (ret)
		return ret;
	job->dbc = dbc;
	return 0;
}

/**
 * ember_job_bind() - make an initialised job an execution of @bo on @act
 * @job: from ember_job_init() with the DBC of @act
 * @act: the caller's LIVE activation of the DBC @bo is sliced for
 * @bo: the BO; the job takes a reference
 * @nreqs: requests the execution writes (ember_bo_count()), at most the
 *	ring's capacity
 * @resize: PARTIAL_EXECUTE_BO byte limit, 0 for all
 *
 * Under &ember_device.dbc_lock.
 */
void ember_job_bind(struct ember_job *job, struct ember_act *act,
		    struct ember_bo *bo, u32 nreqs, u64 resize)
{
	lockdep_assert_held(&act->client->edev->dbc_lock);

	job->base.credits = DIV_ROUND_UP_ULL((u64)nreqs * EMBER_SCHED_CREDITS,
					     act->ring_size - 1);
	job->act_serial = act->serial;
	job->nreqs = nreqs;
	job->resize = resize;
	job->bo = bo;
	drm_gem_object_get(&bo->base.base);
}

/*
 * Direct submission (docs/datapath.md, "Fast submission"): write @job's
 * requests now, in EXECUTE_BO, rather than in run_job's work item, when
 * nothing of the DBC waits in the scheduler to be written first, the
 * DBC serves the job's activation and its ring has room. Otherwise mark
 * the job for run_job. Under &ember_device.dbc_lock, before the push.
 */
static void ember_job_direct(struct ember_job *job)
{
	struct ember_dbc *dbc = job->dbc;
	struct ember_act *act;
	unsigned long flags;
	bool entered, direct, lone = false;
	int idx;

	entered = READ_ONCE(ember_dp_direct_submit) &&
		  drm_dev_enter(&dbc->edev->drm, &idx);
	spin_lock_irqsave(&dbc->lock, flags);
	act = ember_sched_dbc_act(dbc);
	direct = entered && !dbc->unwritten && act &&
		 act->serial == job->act_serial &&
		 act->inflight + job->nreqs < act->ring_size;
	if (direct) {
		lone = !act->inflight;
		/* The scheduler gets its reference in run_job. */
		dma_fence_put(ember_job_start(dbc, act, job,
					      !job->waiter_polls));
		job->direct = true;
		atomic64_inc(&dbc->stats.direct);
	} else {
		job->unwritten = true;
		dbc->unwritten++;
	}
	spin_unlock_irqrestore(&dbc->lock, flags);
	if (entered) {
		if (lone)
			ember_irq_follow(dbc, job->submit_cpu);
		drm_dev_exit(idx);
	}
}

/**
 * ember_job_push() - queue an initialised job on its DBC's scheduler
 * @job: from ember_job_init(), bound by ember_job_bind()
 *
 * Arms the job, starts it on the device at once when it can
 * (ember_job_direct()), makes it the BO's execution (&ember_bo.fence is
 * its hardware fence if it started, else the scheduler's finished fence)
 * and pushes it to the DBC's entity. Under
 * &ember_device.dbc_lock; the caller has synced the BO for the device.
 *
 * Return: true if the job started with no poller timer armed for it
 * (&ember_job.waiter_polls): its waiter must poll for it at once, and call
 * ember_poll_cover() if it stops before the job completed.
 */
bool ember_job_push(struct ember_job *job)
{
	struct ember_bo *bo = job->bo;
	bool uncovered;

	lockdep_assert_held(&job->dbc->edev->dbc_lock);

	drm_sched_job_arm(&job->base);
	bo->job_id = job->base.id;
	bo->act_serial = job->act_serial;
	WRITE_ONCE(bo->queued, true);
	job->submit_ts = ktime_get_ns();
	job->submit_cpu = raw_smp_processor_id();
	bo->submit_ts = job->submit_ts;
	ember_job_direct(job);
	/*
	 * WAIT_BO waits for the hardware fence of a job already on the
	 * device: it signals once the BO's results are in place
	 * (ember_job_done()), with no wait for the scheduler's worker to
	 * run run_job and pass the completion on to the finished fence.
	 */
	dma_fence_put(bo->fence);
	if (job->direct)
		bo->fence = dma_fence_get(&job->hw->base);
	else
		bo->fence = dma_fence_get(&job->base.s_fence->finished);
	/* The job may complete and go once it is pushed. */
	uncovered = job->direct && job->waiter_polls;
	drm_sched_entity_push_job(&job->base);
	return uncovered;
}

/**
 * ember_job_abort() - free a job that was not pushed
 * @job: from ember_job_alloc(), maybe initialised by ember_job_init()
 */
void ember_job_abort(struct ember_job *job)
{
	if (job->dbc)
		drm_sched_job_cleanup(&job->base);
	ember_job_release(job);
}

/* ---- setup ---- */

static void ember_sched_release(struct drm_device *drm, void *arg)
{
	struct ember_device *edev = arg;
	unsigned int i;

	for (i = 0; i < edev->sched_ready; i++) {
		drm_sched_entity_destroy(&edev->dbcs[i].entity);
		drm_sched_fini(&edev->dbcs[i].sched);
	}
	ember_poll_fini(edev);
	destroy_workqueue(edev->sched_wq);
}

/**
 * ember_sched_dbcs_init() - a scheduler and an entity for every DBC
 * @edev: device with &ember_device.dbcs allocated
 *
 * The schedulers share one per-CPU workqueue and live as
 * long as the DRM device (files may outlive the PCI device).
 *
 * Return: 0 or a negative errno.
 */
int ember_sched_dbcs_init(struct ember_device *edev)
{
	struct drm_gpu_scheduler *list[1];
	struct ember_sched_params p = {
		.ops = &ember_sched_ops,
		/*
		 * One run queue: a DBC's scheduler has one entity (its
		 * DBC's), so priorities have nothing to order, and every
		 * pass of the run-job work item scans each queue under its
		 * lock, two or three passes a job (docs/datapath.md).
		 */
		.num_rqs = 1,
		.credit_limit = EMBER_SCHED_CREDITS,
		.timeout = MAX_SCHEDULE_TIMEOUT,
		.dev = edev->drm.dev,
	};
	struct ember_dbc *dbc;
	unsigned int i;
	int ret;

	ember_poll_init(edev);
	/*
	 * Per-CPU, normal priority, not ordered: run_job() of a job runs on
	 * the CPU that pushed it, with no wake-up of another CPU, and the
	 * schedulers of different DBCs never wait for each other. Normal
	 * priority: the worker does not preempt the submitter on its way
	 * back to user space or a waiter on its way out of WAIT_BO; for a
	 * job that EXECUTE_BO started itself it has only bookkeeping left
	 * (WAIT_BO waits for the hardware fence), which runs when the CPU
	 * would otherwise idle. Each scheduler's run_job and free_job work
	 * items are still each never run concurrently with themselves,
	 * which is all drm_sched needs: it orders its jobs itself.
	 */
	edev->sched_wq = alloc_workqueue("ember-sched@%s",
					 WQ_MEM_RECLAIM, 0,
					 pci_name(edev->pdev));
	if (!edev->sched_wq)
		return -ENOMEM;
	ret = drmm_add_action_or_reset(&edev->drm, ember_sched_release, edev);
	if (ret)
		return ret;

	p.submit_wq = edev->sched_wq;
	for (i = 0; i < edev->info.num_dbcs; i++) {
		dbc = &edev->dbcs[i];
		snprintf(dbc->sched_name, sizeof(dbc->sched_name),
			 "%s@%s:dbc%u", EMBER_DRIVER_NAME, pci_name(edev->pdev),
			 i);
		dbc->fence_ctx = dma_fence_context_alloc(1);
		p.name = dbc->sched_name;
		ret = ember_sched_init(&dbc->sched, &p);
		if (ret)
			return ret;
		list[0] = &dbc->sched;
		ret = drm_sched_entity_init(&dbc->entity,
					    DRM_SCHED_PRIORITY_KERNEL, list, 1,
					    NULL);
		if (ret) {
			drm_sched_fini(&dbc->sched);
			return ret;
		}
		edev->sched_ready = i + 1;
	}
	return 0;
}
