/*
 * ember AI accelerator: management mailbox (docs/hardware.md §3, §2.3)
 *
 * A request queue and a response queue of EMBER_MBOX_DEPTH slots of
 * EMBER_MBOX_SLOT_SIZE bytes in host memory. Writing REQ_TAIL (the
 * doorbell) or RSP_HEAD schedules a bottom half that takes one request at
 * a time, in order, hands it to the firmware (ember-fw.c) and writes the
 * reply to slot RSP_TAIL, raising source 0 with MGMT_CAUSE.MBOX; a reply
 * needs room in the response queue. The EMBER_FI_MBOX_* faults drop, delay
 * or corrupt replies here.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
#include "ember.h"
#include "trace.h"

static bool ember_mbox_runnable(EmberState *s)
{
    return s->mbox_enabled && !s->fw_fatal && !s->reset_failed &&
           ember_in_d0(s) && ember_bus_master(s);
}

static bool ember_mbox_rsp_full(EmberState *s)
{
    return ((s->mbox_rsp_tail + 1) & (s->mbox_size - 1)) == s->mbox_rsp_head;
}

void ember_mbox_kick(EmberState *s)
{
    if (s->mbox_enabled) {
        qemu_bh_schedule(s->mbox_bh);
    }
}

/* Stop serving; a reply held back by the delay knob is lost */
static void ember_mbox_stop(EmberState *s)
{
    timer_del(&s->mbox_timer);
    qemu_bh_cancel(s->mbox_bh);
    s->mbox_held = false;
    s->mbox_held_due = false;
}

static void ember_mbox_enable(EmberState *s)
{
    uint64_t req = deposit64(s->mbox_req_base_lo, 32, 32,
                             s->mbox_req_base_hi);
    uint64_t rsp = deposit64(s->mbox_rsp_base_lo, 32, 32,
                             s->mbox_rsp_base_hi);
    uint32_t depth = s->mbox_depth;

    if (s->mbox_enabled) {
        return;
    }
    if ((req & (EMBER_MBOX_SLOT_SIZE - 1)) ||
        (rsp & (EMBER_MBOX_SLOT_SIZE - 1)) ||
        depth < EMB_MBOX_DEPTH_MIN || depth > EMB_MBOX_DEPTH_MAX ||
        !is_power_of_2(depth)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: mailbox: bad setup req 0x%" PRIx64
                      " rsp 0x%" PRIx64 " depth %u\n", req, rsp, depth);
        s->mbox_error = true;
        trace_ember_mbox_enable_error(req, rsp, depth);
        return;
    }
    s->mbox_error = false;
    s->mbox_req_base = req;
    s->mbox_rsp_base = rsp;
    s->mbox_size = depth;
    s->mbox_req_head = s->mbox_req_tail = 0;
    s->mbox_rsp_head = s->mbox_rsp_tail = 0;
    s->mbox_enabled = true;
    trace_ember_mbox_enable(req, rsp, depth);
}

static void ember_mbox_disable(EmberState *s)
{
    trace_ember_mbox_disable(s->mbox_enabled);
    ember_mbox_stop(s);
    s->mbox_enabled = false;
}

/* Make a reply fail validation: its CRC, or without one its magic */
static void ember_mbox_corrupt(uint8_t *msg, uint32_t len)
{
    if (lduw_le_p(msg + EMBER_NNC_OFF_FLAGS) & EMBER_NNC_F_CRC) {
        msg[len - 1] ^= 0xff;   /* covered by the CRC, computed before */
    } else {
        msg[EMBER_NNC_OFF_MAGIC] ^= 0xff;
    }
}

/* Write the reply in mbox_rsp to slot RSP_TAIL and signal it */
static void ember_mbox_post(EmberState *s, uint32_t len)
{
    uint64_t addr = s->mbox_rsp_base +
                    (uint64_t)s->mbox_rsp_tail * EMBER_MBOX_SLOT_SIZE;

    if (s->fi_mbox_corrupt) {
        s->fi_mbox_corrupt--;
        trace_ember_fault_mbox_corrupt(s->mbox_rsp_tail, s->fi_mbox_corrupt);
        ember_mbox_corrupt(s->mbox_rsp, len);
    }
    if (ember_host_write(s, addr, s->mbox_rsp, len) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: mailbox: cannot write reply at 0x%" PRIx64 "\n",
                      addr);
        trace_ember_mbox_reply_error(s->mbox_rsp_tail, addr);
        return;
    }
    trace_ember_mbox_reply(s->mbox_rsp_tail, addr, len,
                           ldl_le_p(s->mbox_rsp + EMBER_NNC_OFF_SEQ),
                           ldl_le_p(s->mbox_rsp + EMBER_NNC_OFF_HANDLE),
                           lduw_le_p(s->mbox_rsp + EMBER_NNC_OFF_STATUS));
    s->mbox_rsp_tail = (s->mbox_rsp_tail + 1) & (s->mbox_size - 1);
    s->mgmt_cause |= EMBER_MGMT_CAUSE_MBOX;
    ember_irq_raise(s, 0);
}

/* Consume the request at REQ_HEAD, execute it and reply (or not) */
static void ember_mbox_process(EmberState *s)
{
    uint32_t slot = s->mbox_req_head;
    uint64_t addr = s->mbox_req_base + (uint64_t)slot * EMBER_MBOX_SLOT_SIZE;
    uint32_t len;

    s->mbox_req_head = (s->mbox_req_head + 1) & (s->mbox_size - 1);
    if (ember_host_read(s, addr, s->mbox_req, EMBER_MBOX_SLOT_SIZE) !=
        MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: mailbox: cannot read request at 0x%" PRIx64
                      "\n", addr);
        trace_ember_mbox_request_error(slot, addr);
        memset(s->mbox_req, 0, EMBER_MBOX_SLOT_SIZE);
        len = ember_fw_reject(s, EMBER_NNC_ST_IO);
    } else {
        trace_ember_mbox_request(slot, addr,
                                 ldl_le_p(s->mbox_req + EMBER_NNC_OFF_SEQ),
                                 ldl_le_p(s->mbox_req + EMBER_NNC_OFF_HANDLE),
                                 ldl_le_p(s->mbox_req + EMBER_NNC_OFF_LEN),
                                 ldl_le_p(s->mbox_req + EMBER_NNC_OFF_COUNT));
        len = ember_fw_message(s);
    }
    if (s->fi_mbox_drop) {
        s->fi_mbox_drop--;      /* executed, but the reply is never written */
        trace_ember_fault_mbox_drop(slot, s->fi_mbox_drop);
        return;
    }
    if (s->fi_mbox_delay_ms) {
        trace_ember_fault_mbox_delay(slot, s->fi_mbox_delay_ms);
        s->mbox_held = true;
        s->mbox_held_due = false;
        s->mbox_held_len = len;
        timer_mod(&s->mbox_timer, ember_now() +
                  (int64_t)s->fi_mbox_delay_ms * SCALE_MS);
        return;
    }
    ember_mbox_post(s, len);
}

/* One message at a time, in order; a reply needs room in the queue */
static void ember_mbox_run(EmberState *s)
{
    unsigned n;

    for (n = 0; n < EMB_MBOX_BATCH; n++) {
        if (!ember_mbox_runnable(s) || ember_mbox_rsp_full(s)) {
            return;
        }
        if (s->mbox_held) {
            if (!s->mbox_held_due) {
                return;
            }
            s->mbox_held = false;
            s->mbox_held_due = false;
            ember_mbox_post(s, s->mbox_held_len);
            continue;
        }
        if (s->mbox_req_head == s->mbox_req_tail) {
            return;
        }
        ember_mbox_process(s);
    }
    qemu_bh_schedule(s->mbox_bh);
}

static void ember_mbox_bh(void *opaque)
{
    ember_mbox_run(opaque);
}

static void ember_mbox_timer(void *opaque)
{
    EmberState *s = opaque;

    /* The delayed reply is written from the (guarded) bottom half */
    if (s->mbox_held) {
        s->mbox_held_due = true;
        qemu_bh_schedule(s->mbox_bh);
    }
}


void ember_mbox_init(EmberState *s)
{
    s->mbox_req = g_malloc0(EMBER_MBOX_SLOT_SIZE);
    s->mbox_rsp = g_malloc0(EMBER_MBOX_SLOT_SIZE);
    s->mbox_data = g_malloc0(EMBER_MBOX_SLOT_SIZE);
    timer_init_ns(&s->mbox_timer, QEMU_CLOCK_VIRTUAL, ember_mbox_timer, s);
#ifdef qemu_bh_new_guarded
    s->mbox_bh = qemu_bh_new_guarded(ember_mbox_bh, s,
                                     &DEVICE(s)->mem_reentrancy_guard);
#else
    s->mbox_bh = qemu_bh_new(ember_mbox_bh, s);
#endif
}

void ember_mbox_exit(EmberState *s)
{
    ember_mbox_stop(s);
    if (s->mbox_bh) {
        qemu_bh_delete(s->mbox_bh);
        s->mbox_bh = NULL;
    }
}

/* Function reset: the mailbox stops, its registers read as after power-on */
void ember_mbox_reset(EmberState *s)
{
    ember_mbox_disable(s);
    s->mbox_error = false;
    s->mbox_req_base_lo = s->mbox_req_base_hi = 0;
    s->mbox_rsp_base_lo = s->mbox_rsp_base_hi = 0;
    s->mbox_depth = 0;
    s->mbox_req_tail = s->mbox_rsp_head = 0;
    s->mbox_req_base = s->mbox_rsp_base = 0;
    s->mbox_size = 0;
    s->mbox_req_head = s->mbox_rsp_tail = 0;
}

/* ---- The mailbox block of BAR0 (§2.3) ---- */

uint32_t ember_mbox_read(EmberState *s, hwaddr addr)
{
    switch (addr) {
    case EMBER_MBOX_REQ_BASE_LO:
        return s->mbox_req_base_lo;
    case EMBER_MBOX_REQ_BASE_HI:
        return s->mbox_req_base_hi;
    case EMBER_MBOX_RSP_BASE_LO:
        return s->mbox_rsp_base_lo;
    case EMBER_MBOX_RSP_BASE_HI:
        return s->mbox_rsp_base_hi;
    case EMBER_MBOX_DEPTH:
        return s->mbox_depth;
    case EMBER_MBOX_REQ_TAIL:
        return s->mbox_req_tail;
    case EMBER_MBOX_RSP_HEAD:
        return s->mbox_rsp_head;
    case EMBER_MBOX_REQ_HEAD:
        return s->mbox_req_head;
    case EMBER_MBOX_RSP_TAIL:
        return s->mbox_rsp_tail;
    case EMBER_MBOX_CTRL:
        return s->mbox_enabled ? EMBER_MBOX_CTRL_ENABLE : 0;
    case EMBER_MBOX_STATUS:
        return (s->mbox_enabled ? EMBER_MBOX_STATUS_ENABLED : 0) |
               (s->mbox_error ? EMBER_MBOX_STATUS_ERROR : 0);
    default:
        return 0;
    }
}

/* Returns false for an offset that is no writable register of the block */
bool ember_mbox_write(EmberState *s, hwaddr addr, uint32_t val)
{
    switch (addr) {
    case EMBER_MBOX_REQ_BASE_LO:
        s->mbox_req_base_lo = val;
        break;
    case EMBER_MBOX_REQ_BASE_HI:
        s->mbox_req_base_hi = val;
        break;
    case EMBER_MBOX_RSP_BASE_LO:
        s->mbox_rsp_base_lo = val;
        break;
    case EMBER_MBOX_RSP_BASE_HI:
        s->mbox_rsp_base_hi = val;
        break;
    case EMBER_MBOX_DEPTH:
        s->mbox_depth = val;
        break;
    case EMBER_MBOX_REQ_TAIL:
    case EMBER_MBOX_RSP_HEAD:
        if (!s->mbox_enabled || val >= s->mbox_size) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: mailbox: index %u written to 0x%" HWADDR_PRIx
                          " while disabled or >= depth %u\n", val, addr,
                          s->mbox_size);
            break;
        }
        if (addr == EMBER_MBOX_REQ_TAIL) {
            trace_ember_mbox_doorbell_req_tail(s->mbox_req_tail, val);
            s->mbox_req_tail = val;
        } else {
            trace_ember_mbox_doorbell_rsp_head(s->mbox_rsp_head, val);
            s->mbox_rsp_head = val;
        }
        ember_mbox_kick(s);
        break;
    case EMBER_MBOX_CTRL:
        if (val & ~EMBER_MBOX_CTRL_ENABLE) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: mailbox: reserved CTRL bits 0x%x\n", val);
        }
        if (val & EMBER_MBOX_CTRL_ENABLE) {
            ember_mbox_enable(s);
            ember_mbox_kick(s);
        } else {
            ember_mbox_disable(s);
        }
        break;
    default:
        return false;
    }
    return true;
}
