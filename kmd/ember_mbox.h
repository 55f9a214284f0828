/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember management mailbox: transport of NNC messages between the driver
 * and the management firmware (docs/hardware.md §3, docs/nnc.md §7).
 */
#ifndef _EMBER_MBOX_H_
#define _EMBER_MBOX_H_

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "ember_nnc.h"
#include "ember_hw.h"

struct ember_device;

/* Slots per mailbox queue: 16 × 4 KiB requests, as many replies. */
#define EMBER_MBOX_SLOTS		16

/**
 * enum ember_mbox_state - what the mailbox may be used for
 * @EMBER_MBOX_OFF: disabled: no mailbox capability, not started yet,
 *	stopped for a reset or removal, or its negotiation failed
 * @EMBER_MBOX_NEGOTIATING: enabled; only the driver's own messages
 *	(handle 0) may be sent until the STATUS negotiation is answered
 * @EMBER_MBOX_READY: negotiated; clients may send
 */
enum ember_mbox_state {
	EMBER_MBOX_OFF,
	EMBER_MBOX_NEGOTIATING,
	EMBER_MBOX_READY,
};

/**
 * struct ember_mbox_stats - mailbox counters since probe (debugfs "mbox")
 * @sent: messages written to the request queue
 * @replies: replies matched to a message that was waiting for one
 * @late: replies to a message whose sender had given up (timeout or
 *	fatal signal); the reply is discarded
 * @stale: replies whose seq matches no message in flight; discarded
 * @lost: messages whose reply never came: a reply to a later message
 *	arrived first (the firmware answers in order, so it consumed them)
 * @timeouts: waits that ended after control_resp_timeout_s
 * @killed: waits ended by a fatal signal
 * @crc_errors: replies refused because of a wrong or missing CRC
 * @bad_replies: replies refused for any other wire-format reason
 * @queue_full: times a sender found the request queue full
 */
struct ember_mbox_stats {
	u64 sent;
	u64 replies;
	u64 late;
	u64 stale;
	u64 lost;
	u64 timeouts;
	u64 killed;
	u64 crc_errors;
	u64 bad_replies;
	u64 queue_full;
};

/**
 * struct ember_mbox - the management mailbox of a device
 *
 * Every field below @lock is protected by it. The queues themselves are
 * DMA-coherent memory allocated at probe (devres) and reused after every
 * reset.
 *
 * @lock: serialises writers of the request queue, the reply poller,
 *	start and stop, and protects the fields below. A mutex: the poller
 *	runs from a work item or from a waiting thread, never in IRQ context.
 * @state: enum ember_mbox_state
 * @gen: generation, incremented at every start (probe, after a reset):
 *	a sender that prepared a message for an older generation is refused
 * @features: EMBER_NNC_FEAT_* negotiated for @gen (0 until answered)
 * @fw_minor: NNC minor reported by the firmware's STATUS reply
 * @req_tail: next request slot to fill (shadow of EMBER_MBOX_REQ_TAIL)
 * @rsp_head: next reply slot to read (shadow of EMBER_MBOX_RSP_HEAD)
 * @pending: messages written to the queue and not retired yet, in queue
 *	order (&struct ember_mbox_msg.node); each holds a reference
 * @stats: counters
 * @depth: slots per queue; constant after probe
 * @req_q: request queue, @depth × EMBER_MBOX_SLOT_SIZE bytes; constant
 * @req_q_dma: its bus address; constant
 * @rsp_q: reply queue, same size; constant
 * @rsp_q_dma: its bus address; constant
 * @next_seq: sequence number of the next message (atomic, no lock)
 * @slot_wq: senders waiting for room in the request queue (no lock)
 * @rsp_work: runs the reply poller after a mailbox interrupt (no lock)
 */
struct ember_mbox {
	struct mutex lock; /* see kernel-doc above */
	enum ember_mbox_state state;
	u32 gen;
	u32 features;
	u16 fw_minor;
	u32 req_tail;
	u32 rsp_head;
	struct list_head pending;
	struct ember_mbox_stats stats;
	u32 depth;
	void *req_q;
	dma_addr_t req_q_dma;
	void *rsp_q;
	dma_addr_t rsp_q_dma;
	atomic_t next_seq;
	wait_queue_head_t slot_wq;
	struct work_struct rsp_work;
};

/**
 * struct ember_mbox_msg - one request message in flight and its reply
 *
 * Reference counted: the sender holds one reference, and the mailbox
 * holds one from ember_mbox_send() until it retires the message (reply
 * received, reply known to be lost, or mailbox stopped). A sender that
 * gives up (timeout, fatal signal) just drops its reference: the message
 * stays valid until the mailbox is done with it, so a late reply is
 * written into memory that still exists, and @release runs only when the
 * firmware can no longer act on the request (e.g. read a DMA buffer it
 * describes).
 *
 * @ref: references
 * @node: entry in &ember_mbox.pending while queued (under &ember_mbox.lock)
 * @done: completed when the message is retired
 * @seq: sequence number written in the message
 * @result: 0 if @rsp holds the reply, else why there is none: -ETIMEDOUT
 *	(the firmware consumed the message without replying), -ENODEV
 *	(mailbox stopped); valid once @done is complete
 * @queued: on &ember_mbox.pending (under &ember_mbox.lock)
 * @abandoned: the sender gave up waiting (under &ember_mbox.lock)
 * @release: called with @data when the last reference is dropped
 * @data: argument of @release
 * @rsp: the reply slot, copied when the reply arrived
 */
struct ember_mbox_msg {
	struct kref ref;
	struct list_head node;
	struct completion done;
	u32 seq;
	int result;
	bool queued;
	bool abandoned;
	void (*release)(void *data);
	void *data;
	u8 rsp[EMBER_MBOX_SLOT_SIZE];
};

/* ember_mbox_send() flags */
#define EMBER_MBOX_F_DRIVER	BIT(0)	/* handle 0: allowed while negotiating */
#define EMBER_MBOX_F_INTR	BIT(1)	/* any signal interrupts the slot wait */
#define EMBER_MBOX_F_NOSIG	BIT(2)	/* no signal does (close, probe, reset) */

/* ember_mbox_wait() modes */
#define EMBER_MBOX_WAIT_KILLABLE	BIT(0)	/* fatal signals end the wait */

extern unsigned int ember_control_resp_timeout_s;

unsigned long ember_mbox_timeout(void);
int ember_mbox_init(struct ember_device *edev);
int ember_mbox_check_version(struct ember_device *edev);
int ember_mbox_start(struct ember_device *edev);
void ember_mbox_stop(struct ember_device *edev, int err);
void ember_mbox_irq(struct ember_device *edev);
void ember_mbox_poll(struct ember_device *edev);

int ember_mbox_session(struct ember_device *edev, bool driver, u32 *gen,
		       u32 *features);
u32 ember_mbox_next_seq(struct ember_device *edev);
struct ember_mbox_msg *ember_mbox_msg_alloc(void (*release)(void *data),
					    void *data);
void ember_mbox_msg_put(struct ember_mbox_msg *msg);
int ember_mbox_send(struct ember_device *edev, struct ember_mbox_msg *msg,
		    const void *buf, u32 len, u32 gen, u32 seq,
		    unsigned int flags);
int ember_mbox_wait(struct ember_device *edev, struct ember_mbox_msg *msg,
		    unsigned int mode);
void ember_mbox_count_decode_error(struct ember_device *edev, int reason);
int ember_mbox_exchange(struct ember_device *edev, u32 handle,
			const struct ember_nnc_req *reqs, u32 n,
			struct ember_nnc_rsp *rsps, unsigned int flags, int wait);

#endif /* _EMBER_MBOX_H_ */
