// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember response servicing (docs/datapath.md, "Interrupts and polling").
 *
 * Interrupt mode with storm mitigation (the default). The DBC raises an
 * interrupt when its response ring goes from empty to non-empty. The
 * hard handler (ember_irq.c) first looks at the ring itself
 * (ember_poll_irq()): when it holds every response still expected (at
 * most EMBER_IRQ_DRAIN_BUDGET) - a lone job, the last of a burst - it
 * consumes them, the jobs complete and their waiters wake with no thread
 * in between, and the source stays unmasked. Otherwise more responses
 * are coming: it leaves them in the ring, masks
 * the DBC's source and wakes the vector's thread, which runs
 * ember_poll_service(): it drains the ring in
 * bounded batches and, while requests are still in flight, keeps polling
 * the ring with the source masked for as long as responses keep coming
 * at the rate observed so far (the poll window, below). When the DBC has
 * nothing in flight, or no response came within the window, the thread
 * unmasks the source and then looks at the ring once more: a response
 * that arrived while the source was masked raised no interrupt and would
 * raise none later (the ring is not empty), so it is serviced at once.
 *
 * The poll window adapts to the arrival rate. The thread keeps a moving
 * average of the time between responses (&ember_dbc.gap_ns); the window
 * is twice that, at least EMBER_POLL_WINDOW_MIN_US, and between polls it
 * sleeps for half the average gap (at most datapath_poll_interval_us).
 * With many requests in flight it sleeps longer, coalescing responses
 * the way a NIC's rx-usecs or NVMe's aggregation time do: until about a
 * quarter of them (EMBER_POLL_COALESCE_DIV) can have completed, at most
 * datapath_poll_coalesce_us (and half the longest window). The window is
 * then at least two such sleeps. The device keeps three quarters of its queue
 * meanwhile, so the stream loses no throughput, and one pass (one thread
 * wake-up, one wake-up of each waiter, one free_job run) serves several
 * responses instead of one.
 * When responses are further apart than datapath_poll_window_max_us allows,
 * the window is zero: interrupts are cheaper than polling then. A lone
 * job is never held back: its completion is taken from its interrupt, and
 * with nothing in flight the thread re-enables the interrupt at once.
 * With datapath_irq_mitigation=0 the thread drains and re-enables at once
 * after every interrupt (for comparison). With datapath_irq_drain=0, and
 * always on PREEMPT_RT (where fences cannot be signalled from a hard
 * handler), the hard handler leaves every response to the thread.
 *
 * Polling mode (datapath_polling=1 at load): DBC sources stay masked;
 * every WAIT_BO polls the ring itself (below). Writing requests arms a
 * timer of datapath_poll_interval_us, which a drain that leaves nothing in
 * flight stops; when it expires, a work item drains the ring and arms it
 * again while requests are in flight, so jobs nobody waits for complete
 * too, within about one interval.
 *
 * Polling in the waiter (ember_poll_wait()): a WAIT_BO with
 * EMBER_WAIT_BO_POLL, and every WAIT_BO in polling mode, services the
 * ring itself before it sleeps on the fence: it sleeps through about half
 * of the DBC's recent job time (&ember_dbc.job_ns), then busy-polls the
 * ring for at most datapath_busy_poll_us. The io_uring IOPOLL / hybrid
 * polling idea: the waiter that is about to run again anyway finds its
 * own completion, with no interrupt, thread or work item in between. It
 * polls the ring's memory, as NVMe's poll does its completion queue's
 * phase bits, and reads RSP_TAIL only when its job's response is there
 * (ember_sched_rsp_seen()).
 */

#include <linux/bitops.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>

#include "ember_drv.h"
#include "ember_irq.h"
#include "ember_poll.h"
#include "ember_sched.h"
#include "ember_trace.h"

bool ember_dp_polling;
module_param_named(datapath_polling, ember_dp_polling, bool, 0444);
MODULE_PARM_DESC(datapath_polling,
		 "Poll DBC response rings instead of using DBC interrupts (default N)");

unsigned int ember_dp_poll_interval_us = 100;
module_param_named(datapath_poll_interval_us, ember_dp_poll_interval_us,
		   uint, 0644);
MODULE_PARM_DESC(datapath_poll_interval_us,
		 "Polling mode period, and the longest sleep between last-chance polls, us (default 100)");

unsigned int ember_dp_poll_coalesce_us = 500;
module_param_named(datapath_poll_coalesce_us, ember_dp_poll_coalesce_us, uint,
		   0644);
MODULE_PARM_DESC(datapath_poll_coalesce_us,
		 "Longest sleep between last-chance polls that lets responses accumulate while many requests are in flight; 0: sleep half the gap between responses only, us (default 500)");

bool ember_dp_mitigation = true;
module_param_named(datapath_irq_mitigation, ember_dp_mitigation, bool, 0644);
MODULE_PARM_DESC(datapath_irq_mitigation,
		 "Keep polling with the DBC interrupt masked while responses keep coming (default Y)");

unsigned int ember_dp_window_max_us = 2000;
module_param_named(datapath_poll_window_max_us, ember_dp_window_max_us, uint,
		   0644);
MODULE_PARM_DESC(datapath_poll_window_max_us,
		 "Longest last-chance poll window; 0 disables last-chance polling, us (default 2000)");

unsigned int ember_dp_busy_poll_us = 500;
module_param_named(datapath_busy_poll_us, ember_dp_busy_poll_us, uint, 0644);
MODULE_PARM_DESC(datapath_busy_poll_us,
		 "Longest busy-poll of a waiter that polls (WAIT_BO with EMBER_WAIT_BO_POLL; every WAIT_BO in polling mode), us; 0: waiters never poll (default 500)");

bool ember_dp_irq_drain = true;
module_param_named(datapath_irq_drain, ember_dp_irq_drain, bool, 0644);
MODULE_PARM_DESC(datapath_irq_drain,
		 "Complete jobs in the hard interrupt handler when that leaves the DBC idle, with no thread hand-off (default Y; ignored on PREEMPT_RT)");

/* Responses consumed per lock hold before the thread looks elsewhere. */
#define EMBER_DRAIN_BATCH		64u
/* Responses the hard handler consumes before it hands the DBC on. */
#define EMBER_IRQ_DRAIN_BUDGET		8u
/* Shortest poll window and sleep between polls. */
#define EMBER_POLL_WINDOW_MIN_US	50u
#define EMBER_POLL_SLEEP_MIN_US		5u
/*
 * A waiter that skips its sleep because sleeps overshoot by more than
 * they would save lowers the overshoot estimate by 1/EMBER_POLL_SLACK_DECAY,
 * so that now and then one sleeps again and measures it anew.
 */
#define EMBER_POLL_SLACK_DECAY		64u
/*
 * A busy-polling waiter looks at the response ring in memory; every
 * EMBER_POLL_LOOKS_PER_READ-th look it also reads the ring's registers.
 */
#define EMBER_POLL_LOOKS_PER_READ	32u
/*
 * Coalescing: sleep until at most 1/EMBER_POLL_COALESCE_DIV of the requests
 * in flight can have completed; only with more than that many in flight.
 */
#define EMBER_POLL_COALESCE_DIV		4u

/**
 * ember_poll_mode() - is polling mode requested?
 *
 * Return: the datapath_polling module parameter.
 */
bool ember_poll_mode(void)
{
	return ember_dp_polling;
}

/*
 * Note @n responses seen at @now in the DBC's moving average. A sample
 * counts for at most twice the average (or the shortest window, when the
 * average is smaller): one long gap, the device or this thread not running
 * for a while on a busy host, then moves the average by an eighth at most
 * instead of pushing it past the longest window at once, which would turn
 * last-chance polling off (one interrupt per response) until the average
 * came down again. A stream that really slows down still raises the
 * average by up to an eighth per response.
 */
static void ember_poll_note(struct ember_dbc *dbc, u32 n, u64 now)
{
	u64 gap, cap;

	if (!n)
		return;
	if (dbc->last_rsp_ns) {
		gap = div_u64(now - dbc->last_rsp_ns, n);
		cap = max_t(u64, 2 * dbc->gap_ns,
			    EMBER_POLL_WINDOW_MIN_US * NSEC_PER_USEC);
		if (!dbc->gap_ns)
			dbc->gap_ns = gap;
		else
			dbc->gap_ns = dbc->gap_ns - dbc->gap_ns / 8 +
				      min(gap, cap) / 8;
	}
	dbc->last_rsp_ns = now;
}

/* How long to keep polling without a response; 0: do not poll. */
static u64 ember_poll_window_ns(const struct ember_dbc *dbc)
{
	u64 max = (u64)READ_ONCE(ember_dp_window_max_us) * NSEC_PER_USEC;
	u64 win = max_t(u64, 2 * dbc->gap_ns,
			EMBER_POLL_WINDOW_MIN_US * NSEC_PER_USEC);

	return win > max ? 0 : win;
}

/*
 * Sleep between two polls of the DBC with @inflight requests in flight, us:
 * half the average gap (a response is due about then), or, with more than
 * EMBER_POLL_COALESCE_DIV requests in flight, the time a quarter of them
 * take at that gap, at most datapath_poll_coalesce_us and half of
 * datapath_poll_window_max_us (the window is at least two sleeps and must
 * stay within its bound).
 */
static u32 ember_poll_sleep_us(const struct ember_dbc *dbc, u32 inflight)
{
	u32 max = max(READ_ONCE(ember_dp_poll_interval_us),
		      EMBER_POLL_SLEEP_MIN_US);
	u32 coalesce = min(READ_ONCE(ember_dp_poll_coalesce_us),
			   READ_ONCE(ember_dp_window_max_us) / 2);
	u32 us = clamp_t(u64, div_u64(dbc->gap_ns / 2, NSEC_PER_USEC),
			 EMBER_POLL_SLEEP_MIN_US, max);
	u64 hold;

	if (inflight > EMBER_POLL_COALESCE_DIV && coalesce > us) {
		hold = div_u64(dbc->gap_ns * (inflight / EMBER_POLL_COALESCE_DIV),
			       NSEC_PER_USEC);
		us = clamp_t(u64, hold, us, coalesce);
	}
	return us;
}

enum ember_poll_step {
	EMBER_POLL_MORE,	/* a full batch: drain again at once */
	EMBER_POLL_WAIT,	/* in the window: poll again after a sleep */
	EMBER_POLL_IDLE,	/* done: re-enable the interrupt */
};

/*
 * One pass over DBC @dbc in its interrupt thread: drain a batch and decide
 * what next. @since is when the DBC was last seen making progress (the
 * interrupt, or its last response); @polled: this pass was not prompted
 * by an interrupt. For EMBER_POLL_WAIT, *@sleep_us is how long to sleep
 * before the next pass.
 */
static enum ember_poll_step ember_poll_step(struct ember_dbc *dbc, u64 *since,
					    bool polled, u32 *sleep_us)
{
	struct ember_device *edev = dbc->edev;
	u32 inflight, n;
	u64 now, win;

	n = ember_sched_drain(dbc, EMBER_DRAIN_BATCH, &inflight);
	now = ktime_get_ns();
	if (polled) {
		atomic64_inc(&dbc->stats.polls);
		trace_ember_poll(pci_name(edev->pdev), dbc->id, n, inflight);
	}
	ember_poll_note(dbc, n, now);
	if (n)
		*since = now;
	if (n == EMBER_DRAIN_BATCH)
		return EMBER_POLL_MORE;
	if (!inflight) {
		/* Idle: the next burst does not measure this pause. */
		dbc->last_rsp_ns = 0;
		return EMBER_POLL_IDLE;
	}
	if (!READ_ONCE(ember_dp_mitigation) ||
	    READ_ONCE(edev->state) != EMBER_STATE_ONLINE)
		return EMBER_POLL_IDLE;
	win = ember_poll_window_ns(dbc);
	if (!win)
		return EMBER_POLL_IDLE;
	/* A coalescing sleep may be longer than the window: two of them. */
	*sleep_us = ember_poll_sleep_us(dbc, inflight);
	win = max_t(u64, win, 2ULL * *sleep_us * NSEC_PER_USEC);
	if (now - *since > win)
		return EMBER_POLL_IDLE;
	return EMBER_POLL_WAIT;
}

/*
 * The DBC is done for now: unmask its interrupt, then look at the ring
 * once more. Returns true if responses arrived meanwhile (the source is
 * masked again and the DBC must be serviced on).
 */
static bool ember_poll_rearm(struct ember_dbc *dbc)
{
	atomic64_inc(&dbc->stats.rearms);
	ember_irq_dbc_unmask(dbc);
	if (!ember_sched_rsp_pending(dbc))
		return false;
	ember_irq_dbc_mask(dbc);
	return true;
}

/**
 * ember_poll_service() - the interrupt thread of a vector: service the
 *	DBCs its hard handler masked
 * @vec: the vector; &ember_irq_vector.dbc_pending has the DBCs
 *
 * Runs until every DBC it took is idle and unmasked again. In single
 * mode one thread serves all DBCs, so each DBC keeps its own window and
 * DBCs signalled meanwhile join in.
 */
void ember_poll_service(struct ember_irq_vector *vec)
{
	struct ember_device *edev = vec->edev;
	u64 since[EMBER_MAX_DBCS];
	unsigned long active = 0, fresh;
	unsigned int i;
	u32 sleep_us, us;
	bool busy;
	int idx;

	if (!drm_dev_enter(&edev->drm, &idx))
		return;
	for (;;) {
		fresh = xchg(&vec->dbc_pending, 0) & ~active;
		for_each_set_bit(i, &fresh, edev->info.num_dbcs)
			since[i] = ktime_get_ns();
		active |= fresh;
		if (!active)
			break;

		busy = false;
		sleep_us = U32_MAX;
		for_each_set_bit(i, &active, edev->info.num_dbcs) {
			struct ember_dbc *dbc = &edev->dbcs[i];

			switch (ember_poll_step(dbc, &since[i],
						!(fresh & BIT(i)), &us)) {
			case EMBER_POLL_MORE:
				busy = true;
				break;
			case EMBER_POLL_WAIT:
				sleep_us = min(sleep_us, us);
				break;
			case EMBER_POLL_IDLE:
				if (ember_poll_rearm(dbc))
					busy = true;
				else
					active &= ~BIT(i);
				break;
			}
		}
		fresh = 0;
		if (busy || READ_ONCE(vec->dbc_pending))
			cond_resched();
		else if (active)
			usleep_range(sleep_us, sleep_us + sleep_us / 2);
	}
	drm_dev_exit(idx);
}

/**
 * ember_poll_irq() - the hard handler's look at a DBC that signalled
 * @dbc: the DBC; its interrupt source is not masked by the data path
 *
 * Consumes the ring's responses if they are all the DBC still expects, up
 * to EMBER_IRQ_DRAIN_BUDGET (ember_sched_drain_irq()), unless the thread
 * is servicing the DBC (its source masked by the data path: in single
 * mode the handler sees the latched events of masked sources too),
 * datapath_irq_drain is off, or the kernel is PREEMPT_RT.
 * Hard-IRQ context.
 *
 * Return: true if the DBC is idle now and needs no thread; false: mask it
 * and wake the thread.
 */
bool ember_poll_irq(struct ember_dbc *dbc)
{
	struct ember_irq *irq = &dbc->edev->irq;

	if (IS_ENABLED(CONFIG_PREEMPT_RT) || !READ_ONCE(ember_dp_irq_drain))
		return false;
	if (READ_ONCE(irq->dp_mask) & EMBER_IRQ_SRC_DBC(dbc->id))
		return false;
	if (!ember_sched_drain_irq(dbc, EMBER_IRQ_DRAIN_BUDGET))
		return false;
	atomic64_inc(&dbc->stats.irq_drains);
	return true;
}

/**
 * ember_poll_wait() - a waiter polls the ring of its job's DBC
 * @dbc: the DBC the job was submitted to
 * @fence: the job's finished fence
 * @submit_ns: ktime_get_ns() of the job's EXECUTE_BO
 *
 * Sleeps until about half of the DBC's recent job time has passed since
 * @submit_ns, then drains the DBC's response ring until @fence signals,
 * for at most datapath_busy_poll_us or until a signal is pending.
 * Safe against the hard handler, the interrupt thread and the poller:
 * every drain takes &ember_dbc.lock.
 *
 * Return: true if @fence has signalled.
 */
bool ember_poll_wait(struct ember_dbc *dbc, struct dma_fence *fence,
		     u64 submit_ns)
{
	u64 budget = (u64)READ_ONCE(ember_dp_busy_poll_us) * NSEC_PER_USEC;
	u64 half = READ_ONCE(dbc->job_ns) / 2;
	u64 slack = READ_ONCE(dbc->sleep_slack_ns);
	u64 now = ktime_get_ns(), deadline, left, slept;
	u32 inflight, n, us, looks;

	if (!budget || dma_fence_is_signaled(fence))
		return dma_fence_is_signaled(fence);
	/*
	 * Sleep through the first half of the job, less what a sleep
	 * overshoots by: a wake-up later than the response costs more
	 * than polling from the start.
	 */
	if (submit_ns + half > now) {
		left = submit_ns + half - now;
		us = left > slack ? div_u64(left - slack, NSEC_PER_USEC) : 0;
		if (us >= EMBER_POLL_SLEEP_MIN_US) {
			usleep_range(us, us + EMBER_POLL_SLEEP_MIN_US);
			slept = ktime_get_ns() - now;
			now += slept;
			slept = slept > (u64)us * NSEC_PER_USEC ?
				slept - (u64)us * NSEC_PER_USEC : 0;
			WRITE_ONCE(dbc->sleep_slack_ns,
				   slack - slack / 8 + slept / 8);
		} else if (slack) {
			/* Try a sleep again now and then: hosts change. */
			WRITE_ONCE(dbc->sleep_slack_ns,
				   slack - slack / EMBER_POLL_SLACK_DECAY);
		}
	}
	deadline = now + budget;
	for (looks = 1;; looks++) {
		if (dma_fence_is_signaled(fence))
			return true;
		/*
		 * Look at the ring in memory; read the registers only when a
		 * response seems to be there, or now and then anyway (a
		 * response the look cannot match, such as a DMA error's).
		 */
		if (!ember_sched_rsp_seen(dbc) &&
		    looks % EMBER_POLL_LOOKS_PER_READ)
			n = 0;
		else
			n = ember_sched_drain(dbc, EMBER_DRAIN_BATCH, &inflight);
		if (n) {
			/* Only the polls that found responses are counted. */
			atomic64_inc(&dbc->stats.polls);
			trace_ember_poll(pci_name(dbc->edev->pdev), dbc->id,
					 n, inflight);
			continue;
		}
		if (ktime_get_ns() >= deadline || signal_pending(current))
			break;
		cond_resched();
		cpu_relax();
	}
	return dma_fence_is_signaled(fence);
}

/* ---- polling mode ---- */

/* The poller's period, datapath_poll_interval_us (at least 1 us). */
static ktime_t ember_poll_interval(void)
{
	return ns_to_ktime((u64)max(READ_ONCE(ember_dp_poll_interval_us), 1u) *
			   NSEC_PER_USEC);
}

static void ember_poll_work(struct work_struct *work)
{
	struct ember_dbc *dbc = container_of(work, struct ember_dbc, poll_work);
	struct ember_device *edev = dbc->edev;
	u32 inflight, n;
	int idx;

	if (!drm_dev_enter(&edev->drm, &idx))
		return;
	atomic64_inc(&dbc->stats.poller_runs);
	for (;;) {
		n = ember_sched_drain(dbc, EMBER_DRAIN_BATCH, &inflight);
		atomic64_inc(&dbc->stats.polls);
		trace_ember_poll(pci_name(edev->pdev), dbc->id, n, inflight);
		if (n < EMBER_DRAIN_BATCH || !inflight)
			break;
		cond_resched();
	}
	/*
	 * Still in flight: poll again after the interval. Without the DBC's
	 * lock: a drain that empties the DBC meanwhile stops the timer only
	 * if it is queued already, and one more poll finds nothing.
	 */
	if (inflight && READ_ONCE(edev->state) == EMBER_STATE_ONLINE)
		hrtimer_start(&dbc->poll_timer, ember_poll_interval(),
			      HRTIMER_MODE_REL);
	drm_dev_exit(idx);
}

/* Requests stayed in flight for the interval: poll the ring. */
static enum hrtimer_restart ember_poll_timer_fn(struct hrtimer *t)
{
	struct ember_dbc *dbc = container_of(t, struct ember_dbc, poll_timer);

	queue_work(system_highpri_wq, &dbc->poll_work);
	return HRTIMER_NORESTART;
}

/**
 * ember_poll_arm() - requests were written into a DBC's ring
 * @dbc: the DBC; the caller holds its &ember_dbc.lock
 *
 * In polling mode, arms the poller's timer (datapath_poll_interval_us)
 * unless it is armed already. A waiter that polls (every WAIT_BO in polling
 * mode) usually consumes the responses first; the drain that leaves
 * nothing in flight then stops the timer (ember_poll_disarm()), so a
 * lone job whose owner waits for it costs no timer interrupt and no work
 * item. The timer is only the guarantee that requests nobody waits for
 * still complete. A job whose submitter polls for it at once
 * (&ember_job.waiter_polls) starts without it, which saves two
 * reprogrammings of the CPU's timer a job; its waiter arms it if it
 * stops polling first (ember_poll_cover()).
 */
void ember_poll_arm(struct ember_dbc *dbc)
{
	lockdep_assert_held(&dbc->lock);

	if (dbc->edev->irq.polling && !hrtimer_is_queued(&dbc->poll_timer))
		hrtimer_start(&dbc->poll_timer, ember_poll_interval(),
			      HRTIMER_MODE_REL);
}

/**
 * ember_poll_disarm() - a drain left the DBC with nothing in flight
 * @dbc: the DBC; the caller holds its &ember_dbc.lock
 *
 * Arming and disarming under the DBC's lock keep the rule that every
 * request in flight is covered by the timer or a running poller.
 */
void ember_poll_disarm(struct ember_dbc *dbc)
{
	lockdep_assert_held(&dbc->lock);

	if (dbc->edev->irq.polling)
		hrtimer_try_to_cancel(&dbc->poll_timer);
}

/**
 * ember_poll_cover() - a waiter stops polling for a job no timer covers
 * @dbc: the job's DBC
 * @fence: the job's hardware fence (&ember_bo.fence of a direct start)
 *
 * In polling mode, a job its submitter polls for at once starts without
 * the poller's timer (ember_job_push()). When the waiter stops polling
 * before the job completed (its busy-poll time ran out, or a signal
 * came), it arms the timer here, so that the job completes without it.
 * Drains signal the fence under the DBC's lock, so a fence unsignalled
 * under it is a job still in the ring.
 */
void ember_poll_cover(struct ember_dbc *dbc, struct dma_fence *fence)
{
	unsigned long flags;
	int idx;

	if (!drm_dev_enter(&dbc->edev->drm, &idx))
		return;
	spin_lock_irqsave(&dbc->lock, flags);
	if (!dma_fence_is_signaled(fence))
		ember_poll_arm(dbc);
	spin_unlock_irqrestore(&dbc->lock, flags);
	drm_dev_exit(idx);
}

/**
 * ember_poll_kick() - start the poller of a DBC now
 * @dbc: the DBC
 *
 * In polling mode, for a DBC that may have requests in flight without a
 * timer armed (it was just given back to its owner).
 */
void ember_poll_kick(struct ember_dbc *dbc)
{
	if (dbc->edev->irq.polling)
		queue_work(system_highpri_wq, &dbc->poll_work);
}

/**
 * ember_poll_init() - set up the pollers of the DBCs
 * @edev: device with &ember_device.dbcs allocated
 */
void ember_poll_init(struct ember_device *edev)
{
	struct ember_dbc *dbc;
	unsigned int i;

	for (i = 0; i < edev->info.num_dbcs; i++) {
		dbc = &edev->dbcs[i];
		INIT_WORK(&dbc->poll_work, ember_poll_work);
		hrtimer_init(&dbc->poll_timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL);
		dbc->poll_timer.function = ember_poll_timer_fn;
	}
}

/**
 * ember_poll_fini() - wait for the pollers (the device is unplugged)
 * @edev: device
 */
void ember_poll_fini(struct ember_device *edev)
{
	unsigned int i;

	for (i = 0; i < edev->info.num_dbcs; i++) {
		hrtimer_cancel(&edev->dbcs[i].poll_timer);
		cancel_work_sync(&edev->dbcs[i].poll_work);
	}
}
