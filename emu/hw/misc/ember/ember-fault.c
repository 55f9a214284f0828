/*
 * ember AI accelerator: fault injection (docs/hardware.md §2.7) and RAS
 * (§2.8, §8)
 *
 * The EMBER_FI_* registers arm faults; the parts of the model that suffer
 * them consume the counts (DBC engine, interrupts, mailbox, FLR). Writing
 * EMBER_FI_RAS raises RAS errors at once, with their effects.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "ember.h"
#include "trace.h"

/* Every reset disarms the faults, except EMBER_FI_FAIL_FLR (§7.1) */
void ember_fault_reset(EmberState *s)
{
    s->fi_dbc_hang = 0;
    s->fi_drop_irq = 0;
    s->fi_corrupt_rsp = 0;
    s->fi_dup_rsp = 0;
    s->fi_mbox_drop = 0;
    s->fi_mbox_delay_ms = 0;
    s->fi_mbox_corrupt = 0;
    /* fi_fail_flr survives every reset */

    s->ras_status = 0;
    s->ras_dbc = 0;
}

static void ember_ras_inject(EmberState *s, uint32_t bits)
{
    bits &= EMB_RAS_ALL;
    if (!bits) {
        return;
    }
    trace_ember_fault_ras(bits);
    s->ras_status |= bits;
    if (bits & EMBER_RAS_CE) {
        s->ecc_ce++;
    }
    if (bits & EMBER_RAS_UE) {
        s->ecc_ue++;
        s->halted = true;
    }
    if (bits & EMBER_RAS_DBC_FATAL) {
        s->ras_dbc = 0;
        s->dbc[0].fatal = true;
    }
    if (bits & EMBER_RAS_FW_FATAL) {
        s->halted = true;
        s->fw_fatal = true;     /* the mailbox stops too */
    }
    s->mgmt_cause |= EMBER_MGMT_CAUSE_RAS;
    ember_irq_raise(s, 0);
}

/* A register of the fault-injection or RAS block */
uint32_t ember_fault_read(EmberState *s, hwaddr addr)
{
    switch (addr) {
    case EMBER_FI_DBC_HANG:
        return s->fi_dbc_hang;
    case EMBER_FI_DROP_IRQ:
        return s->fi_drop_irq;
    case EMBER_FI_CORRUPT_RSP:
        return s->fi_corrupt_rsp;
    case EMBER_FI_RAS:
        return 0;
    case EMBER_FI_FAIL_FLR:
        return s->fi_fail_flr;
    case EMBER_FI_MBOX_DROP:
        return s->fi_mbox_drop;
    case EMBER_FI_MBOX_DELAY_MS:
        return s->fi_mbox_delay_ms;
    case EMBER_FI_MBOX_CORRUPT:
        return s->fi_mbox_corrupt;
    case EMBER_FI_DUP_RSP:
        return s->fi_dup_rsp;

    case EMBER_RAS_STATUS:
        return s->ras_status;
    case EMBER_RAS_DBC:
        return s->ras_dbc;
    default:
        return 0;
    }
}

/* Returns false for an offset that is no writable register of the blocks */
bool ember_fault_write(EmberState *s, hwaddr addr, uint32_t val)
{
    switch (addr) {
    case EMBER_FI_DBC_HANG:
        trace_ember_fault_arm("DBC_HANG", val);
        s->fi_dbc_hang = val & ember_dbc_mask(s);
        ember_dbc_kick_all(s);
        break;
    case EMBER_FI_DROP_IRQ:
        trace_ember_fault_arm("DROP_IRQ", val);
        s->fi_drop_irq = val;
        break;
    case EMBER_FI_CORRUPT_RSP:
        trace_ember_fault_arm("CORRUPT_RSP", val);
        s->fi_corrupt_rsp = val;
        break;
    case EMBER_FI_RAS:
        trace_ember_fault_arm("RAS", val);
        ember_ras_inject(s, val);
        break;
    case EMBER_FI_FAIL_FLR:
        trace_ember_fault_arm("FAIL_FLR", val);
        s->fi_fail_flr = val;
        break;
    case EMBER_FI_MBOX_DROP:
        trace_ember_fault_arm("MBOX_DROP", val);
        s->fi_mbox_drop = val;
        break;
    case EMBER_FI_MBOX_DELAY_MS:
        trace_ember_fault_arm("MBOX_DELAY_MS", val);
        s->fi_mbox_delay_ms = val;
        break;
    case EMBER_FI_MBOX_CORRUPT:
        trace_ember_fault_arm("MBOX_CORRUPT", val);
        s->fi_mbox_corrupt = val;
        break;
    case EMBER_FI_DUP_RSP:
        trace_ember_fault_arm("DUP_RSP", val);
        s->fi_dup_rsp = val;
        break;

    case EMBER_RAS_STATUS:
        s->ras_status &= ~val;
        break;
    default:
        return false;
    }
    return true;
}
