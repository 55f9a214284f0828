// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember management mailbox (docs/hardware.md §3): the transport of NNC
 * messages (docs/nnc.md) between the driver and the management firmware.
 *
 * Two DMA-coherent queues of EMBER_MBOX_SLOTS slots of 4 KiB. A sender
 * encodes its message with the codec (ember_nnc.c), writes it into slot
 * REQ_TAIL and rings the doorbell by advancing REQ_TAIL. The firmware
 * executes messages in order and writes one reply per message into the
 * reply queue, then raises the management interrupt with MGMT_CAUSE.MBOX.
 * The hard IRQ handler only queues @rsp_work; ember_mbox_poll() (the work
 * item, or a waiter whose wait ran out: the interrupt may have been lost)
 * consumes RSP_HEAD..RSP_TAIL, matches every reply to its message by the
 * seq field, copies the slot into the message and completes it. Replies
 * are validated (CRC included) by whoever sent the message, with the
 * codec, against what was sent.
 *
 * Lifetime of a message in flight: &struct ember_mbox_msg is reference
 * counted. ember_mbox_send() links it into &ember_mbox.pending with a
 * reference of the mailbox's own. A sender that stops waiting (timeout,
 * fatal signal) marks it abandoned and drops only its own reference, so a
 * reply arriving later is copied into a message that still exists and is
 * then discarded (counted as late). The mailbox drops its reference when
 * it retires the message:
 *  - its reply arrived;
 *  - a reply to a later message arrived: the firmware answers in order,
 *    so it consumed this one and will never answer it (counted as lost;
 *    EMBER_FI_MBOX_DROP does exactly this);
 *  - the mailbox was stopped (reset, removal): the firmware forgot it.
 * In each case the firmware can no longer act on the message, so its
 * release callback may then free what the message referred to (pinned and
 * DMA-mapped user memory of a DMA_XFER).
 *
 * A timeout does not mark the mailbox broken: the next reply to anything
 * resynchronises it (older unanswered messages are retired as lost), and
 * every sender has its own deadline.
 */

#include <linux/bitfield.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <drm/drm_managed.h>

#include "ember_drv.h"
#include "ember_mbox.h"
#include "ember_nnc.h"

unsigned int ember_control_resp_timeout_s = 60;
module_param_named(control_resp_timeout_s, ember_control_resp_timeout_s,
		   uint, 0644);
MODULE_PARM_DESC(control_resp_timeout_s,
		 "Timeout for NNC replies from the firmware, in seconds; 0 means 1 (default: 60)");

/* Offset of the seq field, the same in every NNC major (docs/nnc.md §2). */
#define EMBER_MBOX_SEQ_OFF		8

/* A sender waiting for a free request slot rechecks this often. */
#define EMBER_MBOX_SLOT_POLL		(HZ / 100 ? HZ / 100 : 1)

/**
 * ember_mbox_timeout() - control_resp_timeout_s in jiffies
 *
 * Read at every wait, so a change of the parameter applies to the next
 * message.
 *
 * Return: the timeout, at least one second.
 */
unsigned long ember_mbox_timeout(void)
{
	u64 t = (u64)max(READ_ONCE(ember_control_resp_timeout_s), 1U) * HZ;

	return min_t(u64, t, MAX_SCHEDULE_TIMEOUT - 1);
}

static void ember_mbox_work(struct work_struct *work)
{
	struct ember_mbox *mbox = container_of(work, struct ember_mbox,
					       rsp_work);

	ember_mbox_poll(container_of(mbox, struct ember_device, mbox));
}

/**
 * ember_mbox_init() - set up the mailbox state and allocate its queues
 * @edev: device, with &ember_device.info read; before its interrupts
 *	are requested
 *
 * The queues are DMA-coherent memory owned by devres; they are programmed
 * into the device by ember_mbox_start(). A device without
 * EMBER_CAP_MBOX gets no queues and its mailbox stays off.
 *
 * Return: 0 or -ENOMEM.
 */
int ember_mbox_init(struct ember_device *edev)
{
	struct ember_mbox *mbox = &edev->mbox;
	struct device *dev = &edev->pdev->dev;
	size_t bytes;
	int ret;

	ret = drmm_mutex_init(&edev->drm, &mbox->lock);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&mbox->pending);
	init_waitqueue_head(&mbox->slot_wq);
	INIT_WORK(&mbox->rsp_work, ember_mbox_work);
	mbox->state = EMBER_MBOX_OFF;
	atomic_set(&mbox->next_seq, 0);

	if (!(edev->info.caps & EMBER_CAP_MBOX))
		return 0;

	bytes = (size_t)EMBER_MBOX_SLOTS * EMBER_MBOX_SLOT_SIZE;
	mbox->req_q = dmam_alloc_coherent(dev, bytes, &mbox->req_q_dma,
					  GFP_KERNEL);
	mbox->rsp_q = dmam_alloc_coherent(dev, bytes, &mbox->rsp_q_dma,
					  GFP_KERNEL);
	if (!mbox->req_q || !mbox->rsp_q)
		return -ENOMEM;
	mbox->depth = EMBER_MBOX_SLOTS;
	return 0;
}

/**
 * ember_mbox_check_version() - refuse firmware of another NNC major
 * @edev: device
 *
 * Reads EMBER_FW_NNC_VERSION before anything is sent (docs/nnc.md §3):
 * the driver speaks major EMBER_NNC_MAJOR and any minor.
 *
 * Return: 0, or -EOPNOTSUPP (logged) if the firmware speaks another major.
 */
int ember_mbox_check_version(struct ember_device *edev)
{
	u32 ver, major, minor;

	if (!edev->mbox.depth)
		return 0;

	ver = ember_rd(edev, EMBER_FW_NNC_VERSION);
	edev->info.fw_nnc = ver;
	major = FIELD_GET(EMBER_NNC_VER_MAJOR, ver);
	minor = FIELD_GET(EMBER_NNC_VER_MINOR, ver);
	if (major != EMBER_NNC_MAJOR) {
		dev_err(&edev->pdev->dev,
			"NNC protocol %u.%u not supported (driver speaks %u.x)\n",
			major, minor, EMBER_NNC_MAJOR);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Take @msg off the pending list and complete it (under mbox->lock). */
static void ember_mbox_retire(struct ember_mbox_msg *msg, int result,
			      struct list_head *retired)
{
	list_del(&msg->node);
	msg->queued = false;
	msg->result = result;
	complete_all(&msg->done);
	/* The mailbox's reference, dropped by the caller after unlocking. */
	list_add_tail(&msg->node, retired);
}

static void ember_mbox_put_list(struct list_head *retired)
{
	struct ember_mbox_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, retired, node) {
		list_del(&msg->node);
		ember_mbox_msg_put(msg);
	}
}

/**
 * ember_mbox_poll() - consume the replies the firmware has written
 * @edev: device
 *
 * Matches each reply in RSP_HEAD..RSP_TAIL to its message by seq, copies
 * it there and completes the message; messages queued before it that are
 * still waiting were consumed without a reply and are completed with
 * -ETIMEDOUT (the firmware answers in order). Replies that match nothing
 * in flight are dropped and counted as stale. Wakes senders waiting for a
 * free request slot. Sleeps (takes &ember_mbox.lock).
 */
void ember_mbox_poll(struct ember_device *edev)
{
	struct ember_mbox *mbox = &edev->mbox;
	struct ember_mbox_msg *msg, *tmp, *found;
	LIST_HEAD(retired);
	const u8 *slot;
	u32 tail, seq;

	mutex_lock(&mbox->lock);
	if (mbox->state == EMBER_MBOX_OFF)
		goto out;
	tail = ember_rd(edev, EMBER_MBOX_RSP_TAIL);
	if (tail >= mbox->depth)	/* all ones: the device is gone */
		goto out;
	/* The firmware wrote the slots before it advanced RSP_TAIL. */
	dma_rmb();

	while (mbox->rsp_head != tail) {
		slot = mbox->rsp_q + (size_t)mbox->rsp_head * EMBER_MBOX_SLOT_SIZE;
		seq = get_unaligned_le32(slot + EMBER_MBOX_SEQ_OFF);

		found = NULL;
		list_for_each_entry(msg, &mbox->pending, node) {
			if (msg->seq == seq) {
				found = msg;
				break;
			}
		}
		if (!found) {
			mbox->stats.stale++;
			dev_dbg(&edev->pdev->dev,
				"mailbox: dropped reply with unknown seq %u\n",
				seq);
		} else {
			list_for_each_entry_safe(msg, tmp, &mbox->pending, node) {
				if (msg == found)
					break;
				mbox->stats.lost++;
				ember_mbox_retire(msg, -ETIMEDOUT, &retired);
			}
			/* Copy before the slot is handed back to the firmware. */
			memcpy(found->rsp, slot, EMBER_MBOX_SLOT_SIZE);
			if (found->abandoned)
				mbox->stats.late++;
			else
				mbox->stats.replies++;
			ember_mbox_retire(found, 0, &retired);
		}
		mbox->rsp_head = (mbox->rsp_head + 1) & (mbox->depth - 1);
		ember_wr(edev, EMBER_MBOX_RSP_HEAD, mbox->rsp_head);
	}
out:
	mutex_unlock(&mbox->lock);
	wake_up_all(&mbox->slot_wq);
	ember_mbox_put_list(&retired);
}

/**
 * ember_mbox_irq() - the management interrupt reported MGMT_CAUSE.MBOX
 * @edev: device
 *
 * Hard-IRQ context: defers the reply processing to a work item.
 */
void ember_mbox_irq(struct ember_device *edev)
{
	queue_work(system_highpri_wq, &edev->mbox.rsp_work);
}

static int ember_mbox_negotiate(struct ember_device *edev);

/**
 * ember_mbox_start() - enable the mailbox and negotiate with the firmware
 * @edev: device, online, interrupts enabled; caller does not hold
 *	&ember_device.hw_lock (the negotiation waits for the firmware)
 *
 * Programs the queue bases and depth, enables the mailbox and sends the
 * driver's STATUS (handle 0) offering every feature the driver knows
 * (docs/nnc.md §3); the features the firmware enables are in effect from
 * then on. Used at probe and after every reset, which disables the
 * mailbox and makes the firmware forget everything. Clients may send once
 * this succeeded; on failure the mailbox is left off.
 *
 * Return: 0 (also when the device has no mailbox), -EIO if the mailbox
 * does not enable or the reply is malformed, -ETIMEDOUT without a reply,
 * another negative errno from the firmware's answer.
 */
int ember_mbox_start(struct ember_device *edev)
{
	struct ember_mbox *mbox = &edev->mbox;
	struct device *dev = &edev->pdev->dev;
	u32 status;
	int ret;

	if (!mbox->depth)
		return 0;

	mutex_lock(&mbox->lock);
	ember_wr(edev, EMBER_MBOX_CTRL, 0);
	ember_wr(edev, EMBER_MBOX_REQ_BASE_LO, lower_32_bits(mbox->req_q_dma));
	ember_wr(edev, EMBER_MBOX_REQ_BASE_HI, upper_32_bits(mbox->req_q_dma));
	ember_wr(edev, EMBER_MBOX_RSP_BASE_LO, lower_32_bits(mbox->rsp_q_dma));
	ember_wr(edev, EMBER_MBOX_RSP_BASE_HI, upper_32_bits(mbox->rsp_q_dma));
	ember_wr(edev, EMBER_MBOX_DEPTH, mbox->depth);
	ember_wr(edev, EMBER_MBOX_CTRL, EMBER_MBOX_CTRL_ENABLE);
	status = ember_rd(edev, EMBER_MBOX_STATUS);
	if (status == U32_MAX || !(status & EMBER_MBOX_STATUS_ENABLED) ||
	    (status & EMBER_MBOX_STATUS_ERROR)) {
		ember_wr(edev, EMBER_MBOX_CTRL, 0);
		mutex_unlock(&mbox->lock);
		dev_err(dev, "mailbox does not enable (EMBER_MBOX_STATUS %#x)\n",
			status);
		return -EIO;
	}
	mbox->req_tail = 0;
	mbox->rsp_head = 0;
	mbox->gen++;
	mbox->features = 0;
	mbox->fw_minor = 0;
	WRITE_ONCE(mbox->state, EMBER_MBOX_NEGOTIATING);
	mutex_unlock(&mbox->lock);

	ret = ember_mbox_negotiate(edev);

	mutex_lock(&mbox->lock);
	if (!ret && mbox->state == EMBER_MBOX_NEGOTIATING)
		WRITE_ONCE(mbox->state, EMBER_MBOX_READY);
	else if (!ret)
		ret = -ENODEV;	/* stopped meanwhile */
	mutex_unlock(&mbox->lock);

	if (ret)
		ember_mbox_stop(edev, -ENODEV);
	return ret;
}

/**
 * ember_mbox_stop() - disable the mailbox and fail every message in flight
 * @edev: device
 * @err: result for the messages in flight (-ENODEV)
 *
 * Clears EMBER_MBOX_CTRL.ENABLE (the firmware stops consuming requests),
 * completes every pending message with @err and refuses new ones until
 * ember_mbox_start(). Waits for a running reply poller; ember_hw_stop()
 * cancels it again once the interrupts are masked. Used before a reset,
 * at removal and on a failed start.
 */
void ember_mbox_stop(struct ember_device *edev, int err)
{
	struct ember_mbox *mbox = &edev->mbox;
	struct ember_mbox_msg *msg, *tmp;
	LIST_HEAD(retired);

	mutex_lock(&mbox->lock);
	if (mbox->depth)
		ember_wr(edev, EMBER_MBOX_CTRL, 0);
	WRITE_ONCE(mbox->state, EMBER_MBOX_OFF);
	list_for_each_entry_safe(msg, tmp, &mbox->pending, node)
		ember_mbox_retire(msg, err, &retired);
	mutex_unlock(&mbox->lock);

	wake_up_all(&mbox->slot_wq);
	cancel_work_sync(&mbox->rsp_work);
	ember_mbox_put_list(&retired);
}

/* May the driver (@driver) or a client send now? Under mbox->lock. */
static bool ember_mbox_open_for(const struct ember_mbox *mbox, bool driver)
{
	return mbox->state == EMBER_MBOX_READY ||
	       (driver && mbox->state == EMBER_MBOX_NEGOTIATING);
}

/**
 * ember_mbox_session() - may a message be sent now, and how
 * @edev: device
 * @driver: the message is the driver's own (handle 0)
 * @gen: receives the mailbox generation to pass to ember_mbox_send()
 * @features: receives the EMBER_NNC_FEAT_* in effect (CRC on or off)
 *
 * Return: 0, or -ENODEV if the mailbox is off (no mailbox, reset, removal,
 * failed negotiation) or, for a client, still negotiating.
 */
int ember_mbox_session(struct ember_device *edev, bool driver, u32 *gen,
		       u32 *features)
{
	struct ember_mbox *mbox = &edev->mbox;
	int ret = -ENODEV;

	mutex_lock(&mbox->lock);
	if (ember_mbox_open_for(mbox, driver)) {
		*gen = mbox->gen;
		*features = mbox->features;
		ret = 0;
	}
	mutex_unlock(&mbox->lock);
	return ret;
}

/**
 * ember_mbox_next_seq() - a sequence number for the next message
 * @edev: device
 *
 * Return: a number no other message in flight carries.
 */
u32 ember_mbox_next_seq(struct ember_device *edev)
{
	return (u32)atomic_inc_return(&edev->mbox.next_seq);
}

/**
 * ember_mbox_msg_alloc() - allocate a message
 * @release: called with @data when the message is freed (the firmware can
 *	no longer act on it), or NULL
 * @data: argument of @release
 *
 * Return: the message with one reference, or NULL.
 */
struct ember_mbox_msg *ember_mbox_msg_alloc(void (*release)(void *data),
					    void *data)
{
	struct ember_mbox_msg *msg;

	msg = kmalloc(sizeof(*msg), GFP_KERNEL);
	if (!msg)
		return NULL;
	kref_init(&msg->ref);
	INIT_LIST_HEAD(&msg->node);
	init_completion(&msg->done);
	msg->seq = 0;
	msg->result = -EINPROGRESS;
	msg->queued = false;
	msg->abandoned = false;
	msg->release = release;
	msg->data = data;
	return msg;
}

static void ember_mbox_msg_free(struct kref *ref)
{
	struct ember_mbox_msg *msg = container_of(ref, struct ember_mbox_msg,
						  ref);

	if (msg->release)
		msg->release(msg->data);
	kfree(msg);
}

/**
 * ember_mbox_msg_put() - drop a reference to a message
 * @msg: message, or NULL
 */
void ember_mbox_msg_put(struct ember_mbox_msg *msg)
{
	if (msg)
		kref_put(&msg->ref, ember_mbox_msg_free);
}

/* Is there room for a request, or a reason to stop waiting for one? */
static bool ember_mbox_has_room(struct ember_device *edev)
{
	struct ember_mbox *mbox = &edev->mbox;
	u32 head;

	if (READ_ONCE(mbox->state) == EMBER_MBOX_OFF)
		return true;
	head = ember_rd(edev, EMBER_MBOX_REQ_HEAD);
	return head >= mbox->depth ||
	       ((READ_ONCE(mbox->req_tail) + 1) & (mbox->depth - 1)) != head;
}

/**
 * ember_mbox_send() - queue a message
 * @edev: device
 * @msg: a fresh message from ember_mbox_msg_alloc()
 * @buf: the encoded message
 * @len: its length, at most EMBER_MBOX_SLOT_SIZE
 * @gen: generation from ember_mbox_session() when @buf was encoded
 * @seq: the seq written in @buf
 * @flags: EMBER_MBOX_F_DRIVER for the driver's own messages;
 *	EMBER_MBOX_F_INTR if any signal may interrupt the wait for a free
 *	slot (nothing has been sent yet), EMBER_MBOX_F_NOSIG if none may
 *	(close of a killed process), else only a fatal one
 *
 * Waits for a free request slot (the firmware frees slots as it consumes
 * requests) at most control_resp_timeout_s, writes the message and rings
 * the doorbell. On success the mailbox holds a reference to @msg until it
 * retires it; wait for the reply with ember_mbox_wait().
 *
 * Return: 0 (queued); -ENODEV if the mailbox is off or was restarted since
 * @gen, or the device does not respond; -ETIMEDOUT if no slot became free;
 * -ERESTARTSYS (@flags has EMBER_MBOX_F_INTR) or -EINTR (fatal signal).
 * Nothing was queued on error.
 */
int ember_mbox_send(struct ember_device *edev, struct ember_mbox_msg *msg,
		    const void *buf, u32 len, u32 gen, u32 seq,
		    unsigned int flags)
{
	struct ember_mbox *mbox = &edev->mbox;
	unsigned long deadline = jiffies + ember_mbox_timeout();
	bool driver = flags & EMBER_MBOX_F_DRIVER;
	long left, ret;
	u32 head, tail;

	if (len > EMBER_MBOX_SLOT_SIZE)
		return -EINVAL;

	for (;;) {
		mutex_lock(&mbox->lock);
		if (!ember_mbox_open_for(mbox, driver) || mbox->gen != gen) {
			mutex_unlock(&mbox->lock);
			return -ENODEV;
		}
		head = ember_rd(edev, EMBER_MBOX_REQ_HEAD);
		if (head >= mbox->depth) {
			mutex_unlock(&mbox->lock);
			return -ENODEV;
		}
		tail = mbox->req_tail;
		if (((tail + 1) & (mbox->depth - 1)) != head)
			break;
		mbox->stats.queue_full++;
		mutex_unlock(&mbox->lock);

		left = (long)(deadline - jiffies);
		if (left <= 0)
			return -ETIMEDOUT;
		left = min_t(long, left, EMBER_MBOX_SLOT_POLL);
		if (flags & EMBER_MBOX_F_INTR)
			ret = wait_event_interruptible_timeout(mbox->slot_wq,
							       ember_mbox_has_room(edev),
							       left);
		else if (flags & EMBER_MBOX_F_NOSIG)
			ret = wait_event_timeout(mbox->slot_wq,
						 ember_mbox_has_room(edev), left);
		else
			ret = wait_event_killable_timeout(mbox->slot_wq,
							  ember_mbox_has_room(edev),
							  left);
		if (ret < 0)
			return flags & EMBER_MBOX_F_INTR ? -ERESTARTSYS : -EINTR;
	}

	memcpy(mbox->req_q + (size_t)tail * EMBER_MBOX_SLOT_SIZE, buf, len);
	msg->seq = seq;
	msg->result = -EINPROGRESS;
	msg->queued = true;
	kref_get(&msg->ref);
	list_add_tail(&msg->node, &mbox->pending);
	WRITE_ONCE(mbox->req_tail, (tail + 1) & (mbox->depth - 1));
	/* writel() orders the slot's contents before the doorbell. */
	ember_wr(edev, EMBER_MBOX_REQ_TAIL, mbox->req_tail);
	mbox->stats.sent++;
	mutex_unlock(&mbox->lock);
	return 0;
}

/**
 * ember_mbox_wait() - wait for the reply to a queued message
 * @edev: device
 * @msg: message queued with ember_mbox_send()
 * @mode: EMBER_MBOX_WAIT_KILLABLE to let a fatal signal end the wait,
 *	else uninterruptible
 *
 * Waits at most control_resp_timeout_s; if that runs out, polls the reply
 * queue once more (the interrupt may have been lost). A message given up
 * on stays with the mailbox (see the top of this file): its reply, should
 * it come, is discarded.
 *
 * Return: 0 with the reply in @msg->rsp (not validated yet); -ETIMEDOUT
 * (no reply in time, or the firmware consumed the message without
 * replying); -EINTR (fatal signal); -ENODEV (the mailbox was stopped).
 */
int ember_mbox_wait(struct ember_device *edev, struct ember_mbox_msg *msg,
		    unsigned int mode)
{
	struct ember_mbox *mbox = &edev->mbox;
	unsigned long timeout = ember_mbox_timeout();
	long left;
	int ret;

	if (mode & EMBER_MBOX_WAIT_KILLABLE)
		left = wait_for_completion_killable_timeout(&msg->done, timeout);
	else
		left = (long)wait_for_completion_timeout(&msg->done, timeout);
	if (!left)
		ember_mbox_poll(edev);

	mutex_lock(&mbox->lock);
	if (!msg->queued) {
		ret = msg->result;
	} else {
		msg->abandoned = true;
		if (left < 0) {
			mbox->stats.killed++;
			ret = -EINTR;
		} else {
			mbox->stats.timeouts++;
			ret = -ETIMEDOUT;
		}
	}
	mutex_unlock(&mbox->lock);

	if (ret == -ETIMEDOUT)
		dev_warn_ratelimited(&edev->pdev->dev,
				     "mailbox: no reply to message %u within %lu s\n",
				     msg->seq, timeout / HZ);
	return ret;
}

/**
 * ember_mbox_count_decode_error() - count a reply the codec refused
 * @edev: device
 * @reason: enum ember_nnc_reason from ember_nnc_decode_reply()
 */
void ember_mbox_count_decode_error(struct ember_device *edev, int reason)
{
	struct ember_mbox *mbox = &edev->mbox;

	mutex_lock(&mbox->lock);
	if (reason == EMBER_NNC_E_CRC || reason == EMBER_NNC_E_CRC_MISSING)
		mbox->stats.crc_errors++;
	else
		mbox->stats.bad_replies++;
	mutex_unlock(&mbox->lock);
}

/**
 * ember_mbox_exchange() - send one message of driver-made transactions
 *	and wait for its reply
 * @edev: device
 * @handle: client handle, 0 for the driver itself
 * @reqs: the transactions; they must fit one message
 * @n: their number
 * @rsps: receives @n replies (only scalar fields: data pointers point
 *	into a buffer that is freed on return)
 * @flags: EMBER_MBOX_F_* of ember_mbox_send()
 * @wait: 0 to wait uninterruptibly for the reply, EMBER_MBOX_WAIT_KILLABLE,
 *	or -1 not to wait at all (the reply is discarded)
 *
 * Encodes with the CRC in effect, sends, waits at most
 * control_resp_timeout_s and validates the reply with the codec.
 *
 * Return: 0 with @rsps filled (their statuses may be failures); -ENODEV,
 * -ETIMEDOUT, -EINTR, -ENOMEM as for ember_mbox_send() and
 * ember_mbox_wait(); -EIO for a malformed reply (bad CRC included);
 * -EOPNOTSUPP for a reply of another major; the errno of a message status
 * if the firmware refused the message as a whole.
 */
int ember_mbox_exchange(struct ember_device *edev, u32 handle,
			const struct ember_nnc_req *reqs, u32 n,
			struct ember_nnc_rsp *rsps, unsigned int flags, int wait)
{
	bool driver = flags & EMBER_MBOX_F_DRIVER;
	struct ember_nnc_msg_info *info;
	struct ember_mbox_msg *msg;
	enum ember_nnc_reason why;
	struct ember_nnc_rsp *dec;
	struct ember_nnc_enc enc;
	struct ember_nnc_hdr hdr;
	u32 gen, features, seq;
	void *buf;
	int ret, len;
	u32 i;

	ret = ember_mbox_session(edev, driver, &gen, &features);
	if (ret)
		return ret;

	buf = kzalloc(EMBER_NNC_MSG_MAX, GFP_KERNEL);
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	dec = kcalloc(EMBER_NNC_MAX_TRANS, sizeof(*dec), GFP_KERNEL);
	msg = ember_mbox_msg_alloc(NULL, NULL);
	if (!buf || !info || !dec || !msg) {
		ret = -ENOMEM;
		goto out;
	}

	ret = ember_nnc_enc_init(&enc, reqs, n, handle,
				 features & EMBER_NNC_FEAT_CRC ? EMBER_NNC_F_CRC : 0,
				 &why);
	if (ret)
		goto out;
	seq = ember_mbox_next_seq(edev);
	len = ember_nnc_enc_next(&enc, buf, EMBER_NNC_MSG_MAX, seq, info, &why);
	if (len <= 0 || !ember_nnc_enc_done(&enc)) {
		ret = -EINVAL;
		goto out;
	}
	ret = ember_mbox_send(edev, msg, buf, len, gen, seq, flags);
	if (ret)
		goto out;
	if (wait < 0) {
		mutex_lock(&edev->mbox.lock);
		msg->abandoned = msg->queued;
		mutex_unlock(&edev->mbox.lock);
		goto out;
	}
	ret = ember_mbox_wait(edev, msg, wait);
	if (ret)
		goto out;
	ret = ember_nnc_decode_reply(msg->rsp, EMBER_MBOX_SLOT_SIZE, info,
				     features & EMBER_NNC_FEAT_CRC ?
				     EMBER_NNC_DEC_REQUIRE_CRC : 0,
				     &hdr, dec, EMBER_NNC_MAX_TRANS, &why);
	if (ret) {
		ember_mbox_count_decode_error(edev, why);
		dev_warn_ratelimited(&edev->pdev->dev,
				     "mailbox: reply to message %u refused: %s\n",
				     seq, ember_nnc_reason_str(why));
		goto out;
	}
	if (hdr.status) {
		ret = ember_nnc_status_to_errno(hdr.status);
		goto out;
	}
	for (i = 0; i < n; i++) {
		rsps[i] = dec[i];
		if (rsps[i].type == EMBER_NNC_T_PASSTHROUGH)
			rsps[i].u.pt.data = NULL;
	}
out:
	ember_mbox_msg_put(msg);
	kfree(dec);
	kfree(info);
	kfree(buf);
	return ret;
}

/*
 * The driver's STATUS (handle 0, docs/nnc.md §3): offer every feature,
 * without a CRC (none is in effect yet), and record what the firmware
 * enabled.
 */
static int ember_mbox_negotiate(struct ember_device *edev)
{
	struct ember_nnc_req req = {
		.type = EMBER_NNC_T_STATUS,
		.u.status.features = EMBER_NNC_FEAT_ALL,
	};
	struct ember_mbox *mbox = &edev->mbox;
	struct device *dev = &edev->pdev->dev;
	struct ember_nnc_rsp rsp;
	u32 gen, features;
	int ret;

	ret = ember_mbox_session(edev, true, &gen, &features);
	if (ret)
		return ret;
	ret = ember_mbox_exchange(edev, 0, &req, 1, &rsp,
				  EMBER_MBOX_F_DRIVER | EMBER_MBOX_F_NOSIG, 0);
	if (ret) {
		dev_err(dev, "NNC: the driver's STATUS failed (%d)\n", ret);
		return ret;
	}
	if (rsp.status) {
		dev_err(dev, "NNC: the firmware refused the driver's STATUS (status %u)\n",
			rsp.status);
		return ember_nnc_status_to_errno(rsp.status);
	}

	mutex_lock(&mbox->lock);
	if (mbox->gen == gen) {
		mbox->features = rsp.u.status.features;
		mbox->fw_minor = rsp.u.status.minor;
	}
	mutex_unlock(&mbox->lock);
	dev_dbg(dev, "NNC %u.%u negotiated, features %#x\n",
		rsp.u.status.major, rsp.u.status.minor, rsp.u.status.features);
	return 0;
}
