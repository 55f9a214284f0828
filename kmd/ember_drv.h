/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember accelerator driver: the device structure and what every part of
 * the driver shares.
 */
#ifndef _EMBER_DRV_H_
#define _EMBER_DRV_H_

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/time64.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <drm/drm_device.h>
#include <drm/drm_file.h>
#include <drm/gpu_scheduler.h>

#include "ember_compat.h"
#include "ember_mbox.h"
#include "ember_hw.h"
#include "ember_workload.h"

#define EMBER_DRIVER_NAME		"ember"
#define EMBER_DRIVER_DESC		"ember AI accelerator"

/* Hardware major version this driver implements (EMBER_HW_VERSION). */
#define EMBER_HW_MAJOR_SUPPORTED	1

/* BAR0 must reach the last DBC block (docs/hardware.md §2.6). */
#define EMBER_REGS_MIN_LEN		EMBER_DBC_BASE(EMBER_MAX_DBCS)

/* Interrupt source 0 is management, source 1 + i is DBC i (§4.1). */
#define EMBER_IRQ_SRC_MGMT_IDX		0
#define EMBER_IRQ_SRC_DBC_IDX(i)	(1 + (i))
#define EMBER_MAX_IRQ_SOURCES		(1 + EMBER_MAX_DBCS)

/* How long the device may take to report READY after probe or a reset. */
#define EMBER_READY_TIMEOUT_US		(1000 * USEC_PER_MSEC)

/**
 * enum ember_state - driver view of the device
 * @EMBER_STATE_OFFLINE: not started yet, or being removed
 * @EMBER_STATE_ONLINE: enabled and accepting work
 * @EMBER_STATE_RESETTING: between reset_prepare and reset_done
 * @EMBER_STATE_FAILED: a reset left the device not READY; it stays
 *	disabled until a reset that succeeds
 */
enum ember_state {
	EMBER_STATE_OFFLINE,
	EMBER_STATE_ONLINE,
	EMBER_STATE_RESETTING,
	EMBER_STATE_FAILED,
};

/**
 * enum ember_irq_mode - how interrupt sources map to vectors
 * @EMBER_IRQ_MULTI: one MSI-X vector per source
 * @EMBER_IRQ_SINGLE_MSIX: one MSI-X vector for every source,
 *	EMBER_IRQ_CTRL.SINGLE set
 * @EMBER_IRQ_SINGLE_MSI: one MSI vector for every source
 */
enum ember_irq_mode {
	EMBER_IRQ_MULTI,
	EMBER_IRQ_SINGLE_MSIX,
	EMBER_IRQ_SINGLE_MSI,
};

/**
 * struct ember_hw_info - immutable snapshot of the device, read at probe
 *
 * Everything user space can ask about the device (GET_INFO, sysfs) is
 * answered from here, so such queries never touch or wake the hardware.
 * Written once in probe before the device is registered, read-only after.
 *
 * @pci_vendor: PCI vendor ID
 * @pci_device: PCI device ID (EMBER_PCI_DEVICE_PF or _VF)
 * @pci_revision: PCI revision ID
 * @hw_version: EMBER_HW_VERSION, major in 31:16, minor in 15:0
 * @caps: EMBER_CAPS, EMBER_CAP_* bits
 * @num_dbcs: DBCs owned by this function (EMBER_DBC_INFO.DBC_COUNT)
 * @first_dbc: global index of the first one (EMBER_DBC_INFO.DBC_FIRST)
 * @devmem_size: device memory usable by this function, bytes
 * @is_vf: this function is an SR-IOV VF (EMBER_FUNC_INFO.IS_VF)
 * @vf_index: VF index (EMBER_FUNC_INFO.VF_INDEX), meaningful if @is_vf
 * @serial: board serial number (EMBER_SERIAL_LO/HI)
 * @fw_mgmt: EMBER_FW_MGMT_VERSION (major 31:24, minor 23:16, patch 15:0)
 * @fw_dbc: EMBER_FW_DBC_VERSION, same packing
 * @fw_boot: EMBER_FW_BOOT_VERSION, same packing
 * @fw_nnc: EMBER_FW_NNC_VERSION (major 31:16, minor 15:0)
 * @regs_len: length of BAR0 (registers)
 * @devmem_bar_len: length of BAR2 (device memory window); not mapped
 */
struct ember_hw_info {
	u16 pci_vendor;
	u16 pci_device;
	u8 pci_revision;
	u32 hw_version;
	u32 caps;
	u32 num_dbcs;
	u32 first_dbc;
	u64 devmem_size;
	bool is_vf;
	u32 vf_index;
	u64 serial;
	u32 fw_mgmt;
	u32 fw_dbc;
	u32 fw_boot;
	u32 fw_nnc;
	resource_size_t regs_len;
	resource_size_t devmem_bar_len;
};

struct ember_device;

/**
 * struct ember_irq_vector - one allocated interrupt vector
 * @edev: owning device
 * @index: vector number (0 .. num_vectors - 1); in EMBER_IRQ_MULTI mode
 *	also the interrupt source it serves
 * @irq: Linux IRQ number
 * @name: name shown in /proc/interrupts, "ember@<pci name>:<what>"
 * @received: handler invocations
 * @spurious: invocations that found nothing pending
 * @dbc_pending: DBCs (bit i: DBC i) the hard handler masked and handed to
 *	the vector's thread; set with atomic bit operations, taken with xchg()
 * @cpu: CPU ember_irq_follow() last steered the vector to, -1 before the
 *	first job; written under @follow_lock, read without it
 * @follow_lock: serialises ember_irq_follow()'s moves (EXECUTE_BO and
 *	run_job may steer at once), so @cpu is where the last move went
 */
struct ember_irq_vector {
	struct ember_device *edev;
	unsigned int index;
	int irq;
	const char *name;
	atomic64_t received;
	atomic64_t spurious;
	unsigned long dbc_pending;
	int cpu;
	spinlock_t follow_lock; /* see kernel-doc above */
};

/**
 * struct ember_irq_source - counters of one interrupt source
 * @name: "mgmt" or "dbc<i>"
 * @events: times the source was found pending and dispatched
 * @test: test interrupts seen for it (EMBER_TEST_IRQ_STATUS)
 */
struct ember_irq_source {
	char name[16];
	atomic64_t events;
	atomic64_t test;
};

/**
 * struct ember_irq - interrupt state of a device
 *
 * Set up in probe and constant afterwards except for the counters, which
 * the handlers update with atomic operations and anyone may read.
 *
 * @mode: vector layout in use
 * @num_vectors: vectors allocated (1 + num_dbcs, or 1 in single mode)
 * @num_sources: interrupt sources of the device, 1 + num_dbcs
 * @single_reason: why single mode is in use, NULL in EMBER_IRQ_MULTI
 * @vectors: @num_vectors vectors
 * @sources: @num_sources sources
 * @mgmt_mbox: management interrupts with EMBER_MGMT_CAUSE.MBOX
 * @mgmt_ras: management interrupts with EMBER_MGMT_CAUSE.RAS
 * @mask_lock: protects @dp_mask and @hw_on and orders the writes of
 *	EMBER_IRQ_MASK; taken in hard-IRQ context
 * @dp_mask: EMBER_IRQ_MASK bits of the DBC sources the data path keeps
 *	masked: while a thread services the DBC, and always in polling mode
 * @hw_on: sources enabled (ember_irq_hw_enable()); when false every
 *	source is masked whatever @dp_mask says
 * @polling: polling mode (module parameter datapath_polling at probe): DBC
 *	sources stay masked and response rings are polled
 */
struct ember_irq {
	enum ember_irq_mode mode;
	unsigned int num_vectors;
	unsigned int num_sources;
	const char *single_reason;
	struct ember_irq_vector *vectors;
	struct ember_irq_source *sources;
	atomic64_t mgmt_mbox;
	atomic64_t mgmt_ras;
	spinlock_t mask_lock; /* see kernel-doc above */
	u32 dp_mask;
	bool hw_on;
	bool polling;
};

struct ember_act;

/**
 * struct ember_dbc_stats - data-path counters of one DBC (debugfs
 *	"datapath"); atomic, updated without locks, read by anyone
 * @interrupts: DBC interrupts taken by the hard handler
 * @polls: response-ring checks made without an interrupt (mitigation
 *	polling, polling mode)
 * @responses: responses consumed
 * @completions: executions completed (all their responses arrived)
 * @cancelled: executions failed with -ECANCELED (rings lost)
 * @timeouts: WAIT_BO calls on this DBC that timed out
 * @rearms: times the interrupt was unmasked again after servicing
 * @rechecks: responses a waiter found by re-checking the ring (WAIT_BO),
 *	i.e. that no interrupt or poll had delivered by then: the count of
 *	lost or late interrupts the waiters recovered from
 * @recoveries: times the DBC was reset because its response ring broke
 *	the driver's accounting (more responses than requests in flight, an
 *	index out of range); the jobs in its ring failed with -EIO
 * @irq_drains: interrupts whose hard handler consumed the responses itself
 *	and left nothing in flight, so no thread ran (ember_poll_irq())
 * @irq_moves: times a lone job (EXECUTE_BO or run_job) steered the DBC's
 *	vector to the CPU of a new submitter (ember_irq_follow())
 * @irq_move_failures: times the kernel refused such a move
 * @direct: jobs whose requests EXECUTE_BO wrote itself (direct submission)
 * @poller_runs: polling mode: runs of the poller, i.e. times requests
 *	stayed in flight for datapath_poll_interval_us with no waiter
 *	draining them to the last
 */
struct ember_dbc_stats {
	atomic64_t interrupts;
	atomic64_t polls;
	atomic64_t responses;
	atomic64_t completions;
	atomic64_t cancelled;
	atomic64_t timeouts;
	atomic64_t rearms;
	atomic64_t rechecks;
	atomic64_t recoveries;
	atomic64_t irq_drains;
	atomic64_t irq_moves;
	atomic64_t irq_move_failures;
	atomic64_t direct;
	atomic64_t poller_runs;
};

/**
 * struct ember_dbc - one DMA bridge channel
 *
 * @edev: owning device
 * @id: index local to this function (0 .. num_dbcs - 1)
 * @regs: the DBC's register block in BAR0
 * @vec: the vector that signals this DBC (shared in single mode)
 * @lock: the DBC's data path: the rings, indices, in-flight count and
 *	running jobs of the activation it serves (@act), the execution
 *	results of the BOs running on it, @hw_seqno and @job_ns. Taken by
 *	run_job, by every drain (interrupt thread, poller, polling waiter)
 *	and by the hard interrupt handler, so it is a spinlock taken with
 *	interrupts off; nests inside &ember_device.dbc_lock; no other lock
 *	of the driver is taken while it is held (docs/datapath.md, "Locking")
 * @act: the activation that owns the DBC (the firmware activated it for
 *	that record's client and programmed its rings), or NULL when the
 *	driver knows of no owner; written under &ember_device.dbc_lock and
 *	@lock both (ember_dbc_set_act()), so either lock lets one read it
 * @sched: drm_sched instance of the DBC; its credits are the request ring
 *	(ember_sched.c)
 * @entity: the one entity jobs of the DBC's owner are pushed to (a DBC
 *	has one owner at a time); pushes under &ember_device.dbc_lock
 * @sched_name: name of @sched, "ember-<bdf>-dbc<i>"
 * @fence_ctx: dma_fence context of the hardware fences of the DBC
 * @hw_seqno: last hardware fence seqno (under @lock)
 * @poll_work: polling mode: drains the response ring when @poll_timer
 *	expires (ember_poll.c)
 * @poll_timer: polling mode: armed while requests are in flight (by
 *	run_job or EXECUTE_BO under @lock, and by @poll_work), stopped under
 *	@lock by the drain that leaves nothing in flight
 * @gap_ns: moving average of the time between responses, ns; only the
 *	context servicing the DBC touches it
 * @last_rsp_ns: ktime_get_ns() of the last response seen; same rule
 * @job_ns: moving average of the time from EXECUTE_BO to completion of the
 *	DBC's jobs, ns; written under @lock, read without it
 *	by waiters that poll (ember_poll_wait())
 * @sleep_slack_ns: moving average of how much later than asked the sleep
 *	of a polling waiter ends, ns; a waiter sleeps only through what is
 *	left of half a job after it. Read and written by those waiters
 *	without a lock (a racing update loses one sample)
 * @unwritten: jobs pushed to @sched whose requests run_job has still to
 *	write; under @lock. EXECUTE_BO writes a job itself only while it is
 *	0, so requests enter the ring in the order jobs were pushed
 * @stats: counters
 */
struct ember_dbc {
	struct ember_device *edev;
	unsigned int id;
	void __iomem *regs;
	struct ember_irq_vector *vec;
	spinlock_t lock; /* see kernel-doc above */
	struct ember_act *act;
	struct drm_gpu_scheduler sched;
	struct drm_sched_entity entity;
	char sched_name[32];
	u64 fence_ctx;
	u64 hw_seqno;
	struct work_struct poll_work;
	struct hrtimer poll_timer;
	u64 gap_ns;
	u64 last_rsp_ns;
	u64 job_ns;
	u64 sleep_slack_ns;
	u32 unwritten;
	struct ember_dbc_stats stats;
};

/**
 * enum ember_act_state - life of a DBC activation record
 * @EMBER_ACT_PENDING: rings allocated for an ACTIVATE that is about to
 *	be sent, or was sent and its outcome is unknown (no reply: timeout,
 *	fatal signal, malformed reply). The firmware may have given a DBC
 *	these rings, so they are kept until the firmware confirms the
 *	client's TERMINATE or the DBCs are reset.
 * @EMBER_ACT_LIVE: the firmware activated DBC &ember_act.dbc_id for the
 *	client with these rings; &ember_dbc.act points here
 * @EMBER_ACT_LEAVING: the driver is about to ask, or asked, the firmware
 *	to take the DBC away (DEACTIVATE, TERMINATE): the data path no longer
 *	touches the DBC for this record (&ember_dbc.act is not it), because
 *	the firmware may give the DBC to another client as soon as it
 *	executes the message. The rings are kept until the outcome is known
 *	(docs/datapath.md, "Ownership changes")
 * @EMBER_ACT_DEAD: the DBC was lost to a device reset or removal; the
 *	rings are freed, the record only remembers the DBC id so that the
 *	client learns about it (DEACTIVATE returns -ENODEV once)
 */
enum ember_act_state {
	EMBER_ACT_PENDING,
	EMBER_ACT_LIVE,
	EMBER_ACT_LEAVING,
	EMBER_ACT_DEAD,
};

/**
 * struct ember_act - a DBC activation of a client, and its rings
 *
 * Allocated by MANAGE before it sends an ACTIVATE, on the client's list
 * from then on. Fields under &ember_device.dbc_lock, except that only the
 * owning client, holding &ember_client.lock, ever unlinks and frees the
 * record itself; resets, removal and other clients' activations only
 * change its state and may free its rings (after making sure that no DBC
 * uses them). @req_tail, @rsp_head, @inflight and @running belong to the
 * data path: under &ember_dbc.lock of DBC @dbc_id (they change only while
 * that DBC serves the record, or with &ember_device.dbc_lock held too).
 *
 * @client: the owner
 * @node: entry in &ember_client.acts
 * @state: enum ember_act_state
 * @dbc_id: the DBC (LIVE, LEAVING; DEAD if known and not reported yet),
 *	-1 if unknown
 * @ring_size: entries per ring
 * @req_ring: request ring, @ring_size × 64 bytes, NULL once freed
 * @req_dma: its bus address
 * @rsp_ring: response ring, @ring_size × 32 bytes, NULL once freed
 * @rsp_dma: its bus address
 * @serial: unique id of the record on the device; a job remembers the
 *	serial of the activation it was submitted on, so that a job that
 *	outlived its activation is recognised without a pointer to it
 * @req_tail: next request slot the driver fills (data path)
 * @rsp_head: next response the driver consumes
 * @inflight: requests written and not answered yet
 * @running: &struct ember_job in the ring, in submission order
 */
struct ember_act {
	struct ember_client *client;
	struct list_head node;
	enum ember_act_state state;
	int dbc_id;
	u32 ring_size;
	void *req_ring;
	dma_addr_t req_dma;
	void *rsp_ring;
	dma_addr_t rsp_dma;
	u64 serial;
	u32 req_tail;
	u32 rsp_head;
	u32 inflight;
	struct list_head running;
};

/**
 * struct ember_client - one open file of the accel node
 *
 * @edev: device the file was opened on
 * @file: DRM file
 * @node: entry in &ember_device.clients (under &ember_device.clients_lock)
 * @handle: NNC client handle, non-zero, unique on the device while the
 *	firmware may hold state for it; constant
 * @pid: thread group of the process that opened the file; constant
 * @comm: its command name; constant
 * @id: unique id of the client on the device, never reused; constant
 * @lock: serialises the client's MANAGE calls with each other and with
 *	close, so that a client never has two messages in flight (DMA
 *	continuation, docs/nnc.md §8); protects @next_xfer_id, @fw_used and
 *	@fw_gen
 * @next_xfer_id: last DMA_XFER transfer id used
 * @fw_used: a message of the client reached the firmware in mailbox
 *	generation @fw_gen, so the firmware may hold state for it
 * @fw_gen: &ember_mbox.gen of that message
 * @acts: &struct ember_act of the client (under &ember_device.dbc_lock)
 * @busy_ns: per DBC, the device time of the client's requests, summed
 *	from the responses' device_ns (drm-engine-dbc<i> in fdinfo); added
 *	to under &ember_device.dbc_lock, read without it
 */
struct ember_client {
	struct ember_device *edev;
	struct drm_file *file;
	struct list_head node;
	u32 handle;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	u64 id;
	struct mutex lock; /* see kernel-doc above */
	u32 next_xfer_id;
	bool fw_used;
	u32 fw_gen;
	struct list_head acts;
	atomic64_t busy_ns[EMBER_MAX_DBCS];
};

/**
 * struct ember_device - an ember PCI function bound to this driver
 *
 * Allocated with devm_drm_dev_alloc(): it lives until the last reference
 * to the DRM device is dropped, which can be after remove() when a file is
 * still open. Hardware resources (BAR mapping, IRQs) are devres-managed on
 * the PCI device and released at unbind, after drm_dev_unplug(), so code
 * reachable from user space must check drm_dev_enter() before touching the
 * hardware.
 *
 * @drm: DRM device, /dev/accel/accelN
 * @pdev: PCI function
 * @regs: BAR0 mapping (control registers)
 * @info: immutable snapshot read at probe
 * @irq: interrupt vectors, sources and counters
 * @dbcs: @info.num_dbcs channels
 * @hw_lock: serialises process-context programming of the device (start,
 *	stop, reset, test interrupts, register dumps) and protects @state and
 *	@resets against it. Interrupt handlers do not take it: they only touch
 *	W1C status registers and per-source state.
 * @state: enum ember_state; written under @hw_lock, may be read without it
 *	with READ_ONCE() for a hint
 * @resets: resets handled by the driver since probe (under @hw_lock)
 * @clients_lock: protects @clients, @num_clients, @zombies and
 *	@client_serial
 * @clients: open files, &struct ember_client
 * @num_clients: entries in @clients
 * @zombies: &struct ember_zombie: handles of closed clients whose
 *	TERMINATE the firmware did not confirm; not reused until a reset
 * @client_serial: last &ember_client.id handed out
 * @handles: allocator of client handles (internally locked)
 * @mbox: management mailbox
 * @dbc_lock: the lifetime of activations: protects &ember_dbc.act of
 *	every DBC (together with &ember_dbc.lock), every &struct ember_act
 *	and &ember_client.acts except the data-path fields under
 *	&ember_dbc.lock, the slicing state of BOs, @ring_bytes and
 *	@dbcs_gone. Taken after @clients_lock and &ember_client.lock, before
 *	&ember_dbc.lock, &ember_mbox.lock and &ember_wl_dev.lock of @wl;
 *	never held while waiting for the firmware. The per-job paths (run_job,
 *	draining responses) do not take it.
 * @ring_bytes: DMA memory held in DBC rings of all clients
 * @dbcs_gone: the device was removed: its DBCs are reset and stay so;
 *	rings can be freed at once
 * @act_serial: last &ember_act.serial handed out (under @dbc_lock)
 * @sched_wq: per-CPU workqueue running the run_job and
 *	free_job work of every DBC scheduler
 * @sched_ready: DBCs whose scheduler and entity are initialised
 * @wl: the workloads clients loaded, which bound the device memory their
 *	slices may touch (ember_workload.c); its lock is taken after every
 *	other lock of this structure
 */
struct ember_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	void __iomem *regs;
	struct ember_hw_info info;
	struct ember_irq irq;
	struct ember_dbc *dbcs;
	struct mutex hw_lock; /* see kernel-doc above */
	enum ember_state state;
	unsigned int resets;
	struct mutex clients_lock; /* see kernel-doc above */
	struct list_head clients;
	unsigned int num_clients;
	struct list_head zombies;
	u64 client_serial;
	struct ida handles;
	struct ember_mbox mbox;
	struct mutex dbc_lock; /* see kernel-doc above */
	u64 ring_bytes;
	bool dbcs_gone;
	u64 act_serial;
	struct workqueue_struct *sched_wq;
	unsigned int sched_ready;
	struct ember_wl_dev wl;
};

/**
 * to_ember_device() - the ember device of a DRM device
 * @drm: DRM device embedded in a &struct ember_device
 *
 * Return: the containing &struct ember_device.
 */
static inline struct ember_device *to_ember_device(struct drm_device *drm)
{
	return container_of(drm, struct ember_device, drm);
}

/**
 * ember_rd() - read a BAR0 register
 * @edev: device
 * @reg: register offset
 *
 * Return: the register value (all ones if the device is gone).
 */
static inline u32 ember_rd(const struct ember_device *edev, u32 reg)
{
	return readl(edev->regs + reg);
}

/**
 * ember_wr() - write a BAR0 register
 * @edev: device
 * @reg: register offset
 * @val: value
 */
static inline void ember_wr(const struct ember_device *edev, u32 reg, u32 val)
{
	writel(val, edev->regs + reg);
}

/* ember_drv.c */
extern bool ember_force_single_msi;

const char *ember_state_name(enum ember_state state);
int ember_hw_wait_ready(struct ember_device *edev, u32 *status);
void ember_hw_start(struct ember_device *edev);
void ember_hw_stop(struct ember_device *edev, enum ember_state state);

#endif /* _EMBER_DRV_H_ */
