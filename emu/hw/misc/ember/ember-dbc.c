/*
 * ember AI accelerator: DMA bridge channels (docs/hardware.md §5)
 *
 * A DBC is a request ring and a response ring in host memory with their
 * head and tail registers (§2.6). Writing REQ_TAIL (the doorbell), or
 * RSP_HEAD when the response ring was full, kicks the engine; it never
 * runs from the MMIO handler. The
 * engine is one thread per device (ember_dbc_engine()) that runs the kicked
 * DBCs under the BQL and lets go of it after each batch, so that a vCPU
 * taking the interrupt the batch raised waits for the batch only, never
 * for the rest of a main-loop iteration (docs/performance.md, "The
 * completion interrupt waited for QEMU's main loop"). With service-ns 0 it
 * executes requests in batches (§5.4); with service-ns > 0 each request
 * occupies the DBC for that long on the virtual clock: the engine sleeps
 * until the earliest such end and then finishes the request, with no
 * timer in QEMU's main loop to wait for in between (docs/performance.md,
 * "The storm test and the device's pace"). A response is
 * written for every request (unless NO_RSP and OK), and the DBC's interrupt
 * source is raised when the response ring goes from empty to non-empty, or
 * on FORCE_IRQ (§4.2).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/rcu.h"
#include "qemu/thread.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
#include "sysemu/runstate.h"
#ifdef CONFIG_LINUX
#include <sys/resource.h>
#include <sys/syscall.h>
#endif
#include "ember.h"
#include "trace.h"

/* The big QEMU lock, under its name before and after QEMU 8.2 */
#ifdef bql_lock
#define ember_bql_lock()    bql_lock()
#define ember_bql_unlock()  bql_unlock()
#else
#define ember_bql_lock()    qemu_mutex_lock_iothread()
#define ember_bql_unlock()  qemu_mutex_unlock_iothread()
#endif

QEMU_BUILD_BUG_ON(sizeof(struct ember_dbc_req) != EMBER_NNC_REQ_ELEM);
QEMU_BUILD_BUG_ON(sizeof(struct ember_dbc_rsp) != EMBER_NNC_RSP_ELEM);

static bool ember_dbc_hung(EmberDbc *d)
{
    return d->fatal || (d->s->fi_dbc_hang & BIT(d->idx));
}

/* Everything except ring state needed for a DBC to make progress */
static bool ember_dbc_runnable(EmberDbc *d)
{
    EmberState *s = d->s;

    return d->enabled && !ember_dbc_hung(d) &&
           (s->dev_ctrl & EMBER_DEV_CTRL_ENABLE) &&
           !s->halted && !s->reset_failed &&
           ember_in_d0(s) && ember_bus_master(s);
}

static bool ember_dbc_can_fetch(EmberDbc *d)
{
    uint32_t mask = d->size - 1;

    return ember_dbc_runnable(d) && !d->busy &&
           d->req_head != d->req_tail &&
           ((d->rsp_tail + 1) & mask) != d->rsp_head;
}

/* Stop the DBC at once, dropping the request in flight without a response */
static void ember_dbc_stop(EmberDbc *d)
{
    qatomic_and(&d->s->engine_kicked, ~BIT(d->idx));
    d->busy = false;
    d->stalled = false;
}

/*
 * Wake the engine if it sleeps (any thread). The barrier pairs with the
 * engine's between setting engine_sleeping and looking at engine_kicked:
 * either the engine sees the kick, or this sees it sleeping.
 */
static void ember_engine_wake(EmberState *s)
{
    /* The kick before it, then engine_sleeping: see ember_engine_sleep() */
    smp_mb();
    if (qatomic_read(&s->engine_sleeping)) {
        event_notifier_set(&s->engine_notifier);
    }
}

/* Have the engine look at @d's rings (under the BQL, any thread) */
static void ember_dbc_kick(EmberDbc *d)
{
    EmberState *s = d->s;

    qatomic_or(&s->engine_kicked, BIT(d->idx));
    ember_engine_wake(s);
}

/* Let every enabled DBC look at its rings again (a condition changed) */
void ember_dbc_kick_all(EmberState *s)
{
    unsigned i;

    for (i = 0; i < s->num_dbcs; i++) {
        if (s->dbc[i].enabled) {
            ember_dbc_kick(&s->dbc[i]);
        }
    }
}

/*
 * Fetch the request at REQ_HEAD and advance REQ_HEAD. Returns the status
 * the request already has (non-OK when it could not be read or is
 * malformed).
 */
static uint8_t ember_dbc_fetch(EmberDbc *d, EmberReq *r, uint32_t *qlevel)
{
    EmberState *s = d->s;
    struct ember_dbc_req raw;
    uint32_t head = d->req_head;
    uint64_t addr = d->req_base + (uint64_t)head * sizeof(raw);
    uint8_t status;

    d->req_head = (d->req_head + 1) & (d->size - 1);
    *qlevel = (d->req_tail - d->req_head) & (d->size - 1);

    if (ember_host_read(s, addr, &raw, sizeof(raw)) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: DBC %u: cannot read request at 0x%" PRIx64 "\n",
                      d->idx, addr);
        d->setup_error = true;
        memset(r, 0, sizeof(*r));
        trace_ember_dbc_fetch_error(d->idx, head, addr);
        return EMBER_RSP_DMA_ERROR;
    }
    r->req_id = le16_to_cpu(raw.req_id);
    r->opcode = raw.opcode;
    r->flags = raw.flags;
    r->len = le32_to_cpu(raw.len);
    r->src = le64_to_cpu(raw.src);
    r->dst = le64_to_cpu(raw.dst);
    r->aux = le64_to_cpu(raw.aux);
    r->m = le32_to_cpu(raw.m);
    r->n = le32_to_cpu(raw.n);
    r->k = le32_to_cpu(raw.k);
    r->rsvd0 = le32_to_cpu(raw.rsvd0);
    r->cookie = le64_to_cpu(raw.cookie);
    r->rsvd1 = le64_to_cpu(raw.rsvd1);
    status = ember_req_validate(r);
    trace_ember_dbc_fetch(d->idx, head, r->req_id, r->opcode, r->flags,
                          r->len, r->src, r->dst, *qlevel, status);
    return status;
}

/* Account for a finished request and write its response (§4.2, §5.5) */
static void ember_dbc_complete(EmberDbc *d, const EmberReq *r, uint8_t status,
                               uint32_t result, uint32_t qlevel, int64_t start)
{
    EmberState *s = d->s;
    int64_t now = ember_now();
    uint64_t dev_ns = now > start ? now - start : 0;
    struct ember_dbc_rsp rsp;
    uint64_t addr;
    uint32_t old_tail;
    uint16_t req_id = r->req_id;

    if (!d->enabled) {
        /* The DBC was reset or disabled while the request executed */
        trace_ember_dbc_complete_dropped(d->idx, r->req_id);
        return;
    }
    d->completed++;
    d->busy_ns += dev_ns;
    ember_tel_add_busy(s, start, now);

    if (status == EMBER_RSP_OK && (r->flags & EMBER_REQ_NO_RSP)) {
        trace_ember_dbc_no_rsp(d->idx, r->req_id);
        return;
    }
    if (s->fi_corrupt_rsp) {
        s->fi_corrupt_rsp--;
        req_id = ~req_id;
        status = EMBER_RSP_CORRUPT;
        trace_ember_fault_corrupt_rsp(d->idx, r->req_id, s->fi_corrupt_rsp);
    }
    if (status != EMBER_RSP_OK) {
        d->errors++;
    }

    rsp = (struct ember_dbc_rsp) {
        .req_id = cpu_to_le16(req_id),
        .opcode = r->opcode,
        .status = status,
        .result = cpu_to_le32(result),
        .cookie = cpu_to_le64(r->cookie),
        .queue_level = cpu_to_le32(qlevel),
        .device_ns = cpu_to_le32(MIN(dev_ns, UINT32_MAX)),
        .done_ts = cpu_to_le64(now - s->power_on_ns),
    };

    addr = d->rsp_base + (uint64_t)d->rsp_tail * sizeof(rsp);
    if (ember_host_write(s, addr, &rsp, sizeof(rsp)) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: DBC %u: cannot write response at 0x%" PRIx64
                      "\n", d->idx, addr);
        d->setup_error = true;
        trace_ember_dbc_response_error(d->idx, d->rsp_tail, addr);
        return;
    }
    trace_ember_dbc_response(d->idx, d->rsp_tail, addr, req_id, status,
                             result, dev_ns);
    old_tail = d->rsp_tail;
    d->rsp_tail = (d->rsp_tail + 1) & (d->size - 1);

    /*
     * EMBER_FI_DUP_RSP: a faulty engine writes the response a second time
     * into the next slot, if there is room; the host then finds more
     * responses than it has requests in flight.
     */
    if (s->fi_dup_rsp &&
        ((d->rsp_tail + 1) & (d->size - 1)) != d->rsp_head) {
        addr = d->rsp_base + (uint64_t)d->rsp_tail * sizeof(rsp);
        if (ember_host_write(s, addr, &rsp, sizeof(rsp)) == MEMTX_OK) {
            s->fi_dup_rsp--;
            trace_ember_fault_dup_rsp(d->idx, d->rsp_tail, req_id,
                                      s->fi_dup_rsp);
            d->rsp_tail = (d->rsp_tail + 1) & (d->size - 1);
        }
    }

    if (old_tail == d->rsp_head || (r->flags & EMBER_REQ_FORCE_IRQ)) {
        if (ember_irq_raise(s, 1 + d->idx)) {
            d->irq_count++;
        }
    }
}

/* Execute the request occupying the DBC (service-ns > 0) and finish it */
static void ember_dbc_finish_current(EmberDbc *d)
{
    uint8_t status = d->cur_status;
    uint32_t result = 0;
    EmberReq r = d->cur;

    if (status == EMBER_RSP_OK) {
        status = ember_req_execute(d->s, &r, &result);
    }
    d->busy = false;
    d->stalled = false;
    ember_dbc_complete(d, &r, status, result, d->cur_qlevel, d->cur_start);
}

static void ember_dbc_run(EmberDbc *d)
{
    EmberReq r;
    uint32_t qlevel, result;
    uint64_t bytes = 0;
    unsigned n;
    uint8_t status;
    int64_t start;

    if (d->busy) {
        if (!d->stalled) {
            if (ember_now() < d->due) {
                return;
            }
            d->stalled = true;
            if (!ember_dbc_runnable(d)) {
                /* Hung, halted, quiesced or disabled: held for a kick */
                trace_ember_dbc_stalled(d->idx, d->cur.req_id);
            }
        }
        if (!ember_dbc_runnable(d)) {
            return;
        }
        ember_dbc_finish_current(d);
    }

    if (d->service_ns) {
        if (!ember_dbc_can_fetch(d)) {
            return;
        }
        d->cur_start = ember_now();
        d->cur_status = ember_dbc_fetch(d, &d->cur, &d->cur_qlevel);
        d->due = d->cur_start + d->service_ns;
        d->busy = true;
        d->stalled = false;
        return;
    }

    for (n = 0; n < EMB_BATCH_REQS && bytes < EMB_BATCH_BYTES; n++) {
        if (!ember_dbc_can_fetch(d)) {
            return;
        }
        start = ember_now();
        status = ember_dbc_fetch(d, &r, &qlevel);
        result = 0;
        if (status == EMBER_RSP_OK) {
            status = ember_req_execute(d->s, &r, &result);
            bytes += ember_req_bytes(&r);
        }
        ember_dbc_complete(d, &r, status, result, qlevel, start);
    }
    if (ember_dbc_can_fetch(d)) {
        /* The next batch after the engine has let go of the BQL once */
        ember_dbc_kick(d);
    }
}

/* Is a request of @d in service, its time running? (under the BQL) */
static bool ember_dbc_serving(EmberDbc *d)
{
    return d->busy && !d->stalled;
}

/* Is the service time of the request occupying @d over? (under the BQL) */
static bool ember_dbc_due(EmberDbc *d, int64_t now)
{
    return ember_dbc_serving(d) && d->due <= now;
}

/* When the earliest request in service is due, or INT64_MAX (under the BQL) */
static int64_t ember_dbc_next_due(EmberState *s)
{
    int64_t due = INT64_MAX;
    unsigned i;

    for (i = 0; i < s->num_dbcs; i++) {
        if (ember_dbc_serving(&s->dbc[i])) {
            due = MIN(due, s->dbc[i].due);
        }
    }
    return due;
}

/*
 * Sleep until a kick, the stop, or @due on the virtual clock, whichever
 * comes first (without the BQL). While the VM is stopped the virtual clock
 * stands still: the engine sleeps until a kick (ember_engine_vm_state()
 * gives one when it runs again).
 */
static void ember_engine_sleep(EmberState *s, int64_t due)
{
    GPollFD pfd = {
        .fd = event_notifier_get_fd(&s->engine_notifier),
        .events = G_IO_IN,
    };
    int64_t now, timeout = -1;

    qatomic_set(&s->engine_sleeping, true);
    /* engine_sleeping, then the kicks: see ember_engine_wake() */
    smp_mb();
    if (!qatomic_read(&s->engine_kicked) && !qatomic_read(&s->engine_quit)) {
        if (due != INT64_MAX && runstate_is_running()) {
            now = ember_now();
            timeout = due > now ? due - now : 0;
        }
        if (timeout) {
            qemu_poll_ns(&pfd, 1, timeout);
        }
    }
    qatomic_set(&s->engine_sleeping, false);
    if (pfd.revents & G_IO_IN) {
        /* A wake that comes later leaves it set: one spurious round */
        event_notifier_test_and_clear(&s->engine_notifier);
    }
}

/*
 * Ask the host's scheduler for a short time slice for the calling thread
 * (the engine): SCHED_OTHER with sched_runtime set, which Linux 6.12 and
 * later honour for fair tasks (EEVDF's custom slice; older kernels ignore
 * the field). A thread that asks for a short slice gets an earlier
 * deadline, so when it wakes it can preempt a vCPU thread that is in the
 * middle of a long one, instead of waiting for it to end: traced on a
 * busy 2-CPU host, that cut the engine's wake-ups over 1 ms late about
 * three times (docs/performance.md, "The storm test and the device's
 * pace"). It needs no privilege and does not change the thread's
 * priority or nice value; a failure changes nothing and is ignored.
 */
static void ember_engine_short_slice(void)
{
#if defined(CONFIG_LINUX) && defined(SYS_sched_setattr)
    struct {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime;
        uint64_t sched_deadline;
        uint64_t sched_period;
    } attr = {
        .size = sizeof(attr),
        .sched_policy = 0,              /* SCHED_OTHER */
        .sched_nice = getpriority(PRIO_PROCESS, 0),
        .sched_runtime = EMB_ENGINE_SLICE_NS,
    };

    if (syscall(SYS_sched_setattr, 0, &attr, 0)) {
        trace_ember_engine_slice(EMB_ENGINE_SLICE_NS, errno);
        return;
    }
    trace_ember_engine_slice(EMB_ENGINE_SLICE_NS, 0);
#endif
}

/*
 * The DBC engine: sleeps until a kick or the end of a request's service
 * time, then runs each kicked or due DBC once, holding the BQL for one
 * round (at most EMB_BATCH_REQS requests a DBC) and letting go of it in
 * between. A DBC with more to do kicks itself again. Everything it
 * touches is under the BQL, as it was for the bottom half it replaces; a
 * stop or reset clears the DBC's kick and request under the BQL too.
 * It times service itself instead of arming a QEMU timer: that timer
 * fires in the main loop, which is one more thread to wake and one more
 * taker of the BQL, and on a busy host it was the largest part of the
 * device's lateness.
 */
static void *ember_dbc_engine(void *opaque)
{
    EmberState *s = opaque;
#ifdef qemu_bh_new_guarded
    MemReentrancyGuard *guard = &DEVICE(s)->mem_reentrancy_guard;
    bool engaged;
#endif
    int64_t due = INT64_MAX, now;
    uint32_t kicked;
    bool quit;
    unsigned i;

    rcu_register_thread();
    ember_engine_short_slice();
    for (;;) {
        ember_engine_sleep(s, due);
        ember_bql_lock();
        quit = qatomic_read(&s->engine_quit);
        kicked = qatomic_xchg(&s->engine_kicked, 0);
        if (quit) {
            kicked = 0;
        }
#ifdef qemu_bh_new_guarded
        /* DMA must not re-enter our own registers (as a guarded BH) */
        engaged = guard->engaged_in_io;
        guard->engaged_in_io = true;
#endif
        now = ember_now();
        for (i = 0; i < s->num_dbcs && !quit; i++) {
            if ((kicked & BIT(i)) || ember_dbc_due(&s->dbc[i], now)) {
                ember_dbc_run(&s->dbc[i]);
            }
        }
#ifdef qemu_bh_new_guarded
        guard->engaged_in_io = engaged;
#endif
        due = ember_dbc_next_due(s);
        ember_bql_unlock();
        if (quit) {
            break;
        }
    }
    rcu_unregister_thread();
    return NULL;
}

/* The VM runs again: its virtual clock does, so the engine's timing too */
static void ember_engine_vm_state(void *opaque, bool running, RunState state)
{
    if (running) {
        ember_engine_wake(opaque);
    }
}

/* Start the DBC engine (realize) */
bool ember_dbc_engine_start(EmberState *s, Error **errp)
{
    int ret = event_notifier_init(&s->engine_notifier, false);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "ember: cannot create the engine's "
                         "event notifier");
        return false;
    }
    qatomic_set(&s->engine_kicked, 0);
    qatomic_set(&s->engine_quit, false);
    qatomic_set(&s->engine_sleeping, false);
    s->engine_vmstate = qemu_add_vm_change_state_handler(ember_engine_vm_state,
                                                         s);
    qemu_thread_create(&s->engine_thread, "ember-engine", ember_dbc_engine,
                       s, QEMU_THREAD_JOINABLE);
    return true;
}

/*
 * Stop the DBC engine (unrealize, under the BQL): the thread may be waiting
 * for the BQL, so it is let go of while the thread finishes.
 */
void ember_dbc_engine_stop(EmberState *s)
{
    qatomic_set(&s->engine_quit, true);
    event_notifier_set(&s->engine_notifier);
    ember_bql_unlock();
    qemu_thread_join(&s->engine_thread);
    ember_bql_lock();
    qemu_del_vm_change_state_handler(s->engine_vmstate);
    event_notifier_cleanup(&s->engine_notifier);
}

/* §5.6 DBC reset; with @regs also the whole block (function reset) */
void ember_dbc_reset(EmberDbc *d, bool regs)
{
    EmberState *s = d->s;

    trace_ember_dbc_reset(d->idx, regs);
    ember_dbc_stop(d);
    d->enabled = false;
    d->setup_error = false;
    d->fatal = false;
    d->req_head = d->req_tail = d->rsp_head = d->rsp_tail = 0;
    d->completed = 0;
    d->busy_ns = 0;
    d->irq_count = 0;
    d->errors = 0;
    s->fi_dbc_hang &= ~BIT(d->idx);
    if (regs) {
        d->req_base_lo = d->req_base_hi = 0;
        d->rsp_base_lo = d->rsp_base_hi = 0;
        d->ring_size_reg = 0;
        d->req_base = d->rsp_base = 0;
        d->size = 0;
        d->service_ns = s->service_ns;
    }
}

static void ember_dbc_enable(EmberDbc *d)
{
    uint64_t req_base = deposit64(d->req_base_lo, 32, 32, d->req_base_hi);
    uint64_t rsp_base = deposit64(d->rsp_base_lo, 32, 32, d->rsp_base_hi);
    uint32_t size = d->ring_size_reg;

    if (d->enabled) {
        return;
    }
    if ((req_base & (sizeof(struct ember_dbc_req) - 1)) ||
        (rsp_base & (sizeof(struct ember_dbc_rsp) - 1)) ||
        size < EMBER_NNC_RING_MIN || size > EMBER_NNC_RING_MAX ||
        !is_power_of_2(size)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: DBC %u: bad ring setup req 0x%" PRIx64
                      " rsp 0x%" PRIx64 " size %u\n",
                      d->idx, req_base, rsp_base, size);
        d->setup_error = true;
        trace_ember_dbc_enable_error(d->idx, req_base, rsp_base, size);
        return;
    }
    d->setup_error = false;
    d->req_base = req_base;
    d->rsp_base = rsp_base;
    d->size = size;
    d->req_head = d->req_tail = d->rsp_head = d->rsp_tail = 0;
    d->enabled = true;
    trace_ember_dbc_enable(d->idx, req_base, rsp_base, size);
}

void ember_dbc_disable(EmberDbc *d)
{
    /* The request in flight, if any, is dropped without a response */
    trace_ember_dbc_disable(d->idx, d->busy);
    ember_dbc_stop(d);
    d->enabled = false;
}

void ember_dbc_init(EmberState *s, EmberDbc *d, unsigned idx)
{
    d->s = s;
    d->idx = idx;
    d->service_ns = s->service_ns;
}

/* ---- The DBC register block (§2.6) ---- */

static uint32_t ember_dbc_status(EmberDbc *d)
{
    uint32_t v = 0;

    if (d->enabled) {
        v |= EMBER_DBC_STATUS_ENABLED;
        if (d->busy || d->req_head != d->req_tail) {
            v |= EMBER_DBC_STATUS_BUSY;
        }
    }
    if (d->setup_error) {
        v |= EMBER_DBC_STATUS_ERROR;
    }
    if (ember_dbc_hung(d)) {
        v |= EMBER_DBC_STATUS_HUNG;
    }
    return v;
}

uint32_t ember_dbc_read(EmberDbc *d, hwaddr off)
{
    switch (off) {
    case EMBER_DBC_REQ_BASE_LO:
        return d->req_base_lo;
    case EMBER_DBC_REQ_BASE_HI:
        return d->req_base_hi;
    case EMBER_DBC_RSP_BASE_LO:
        return d->rsp_base_lo;
    case EMBER_DBC_RSP_BASE_HI:
        return d->rsp_base_hi;
    case EMBER_DBC_RING_SIZE:
        return d->ring_size_reg;
    case EMBER_DBC_REQ_HEAD:
        return d->req_head;
    case EMBER_DBC_REQ_TAIL:
        return d->req_tail;
    case EMBER_DBC_RSP_HEAD:
        return d->rsp_head;
    case EMBER_DBC_RSP_TAIL:
        return d->rsp_tail;
    case EMBER_DBC_CTRL:
        return d->enabled ? EMBER_DBC_CTRL_ENABLE : 0;
    case EMBER_DBC_STATUS:
        return ember_dbc_status(d);
    case EMBER_DBC_SERVICE_NS:
        return d->service_ns;
    case EMBER_DBC_COMPLETED_LO:
        return d->completed;
    case EMBER_DBC_COMPLETED_HI:
        return d->completed >> 32;
    case EMBER_DBC_BUSY_NS_LO:
        return d->busy_ns;
    case EMBER_DBC_BUSY_NS_HI:
        return d->busy_ns >> 32;
    case EMBER_DBC_IRQ_COUNT:
        return d->irq_count;
    case EMBER_DBC_ERRORS:
        return d->errors;
    default:
        return 0;
    }
}

void ember_dbc_write(EmberDbc *d, hwaddr off, uint32_t val)
{
    bool full;

    switch (off) {
    case EMBER_DBC_REQ_BASE_LO:
        d->req_base_lo = val;
        break;
    case EMBER_DBC_REQ_BASE_HI:
        d->req_base_hi = val;
        break;
    case EMBER_DBC_RSP_BASE_LO:
        d->rsp_base_lo = val;
        break;
    case EMBER_DBC_RSP_BASE_HI:
        d->rsp_base_hi = val;
        break;
    case EMBER_DBC_RING_SIZE:
        d->ring_size_reg = val;
        break;
    case EMBER_DBC_REQ_TAIL:
        if (!d->enabled) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: DBC %u: REQ_TAIL written while disabled\n",
                          d->idx);
            break;
        }
        if (val >= d->size) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: DBC %u: REQ_TAIL %u >= ring size %u\n",
                          d->idx, val, d->size);
            break;
        }
        trace_ember_dbc_doorbell_req_tail(d->idx, d->req_tail, val);
        d->req_tail = val;
        ember_dbc_kick(d);
        break;
    case EMBER_DBC_RSP_HEAD:
        if (!d->enabled) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: DBC %u: RSP_HEAD written while disabled\n",
                          d->idx);
            break;
        }
        if (val >= d->size) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: DBC %u: RSP_HEAD %u >= ring size %u\n",
                          d->idx, val, d->size);
            break;
        }
        trace_ember_dbc_doorbell_rsp_head(d->idx, d->rsp_head, val);
        full = ((d->rsp_tail + 1) & (d->size - 1)) == d->rsp_head;
        d->rsp_head = val;
        if (full) {
            /* Only a full response ring holds the engine back */
            ember_dbc_kick(d);
        }
        break;
    case EMBER_DBC_CTRL:
        if (val & ~(EMBER_DBC_CTRL_ENABLE | EMBER_DBC_CTRL_RESET)) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: DBC %u: reserved CTRL bits 0x%x\n",
                          d->idx, val);
        }
        if (val & EMBER_DBC_CTRL_RESET) {
            ember_dbc_reset(d, false);
        } else if (val & EMBER_DBC_CTRL_ENABLE) {
            ember_dbc_enable(d);
            ember_dbc_kick(d);
        } else {
            ember_dbc_disable(d);
        }
        break;
    case EMBER_DBC_SERVICE_NS:
        d->service_ns = val;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: DBC %u: write 0x%x to read-only offset 0x%"
                      HWADDR_PRIx "\n", d->idx, val, off);
        break;
    }
}
