/*
 * ember AI accelerator: interrupts (docs/hardware.md §4)
 *
 * One source per cause: 0 the management block (mailbox, RAS, test), 1 + i
 * DBC i. Each source has a bit in EMBER_IRQ_STATUS and EMBER_IRQ_MASK and,
 * with MSI-X, a vector of its own (or vector 0 for all, IRQ_CTRL.SINGLE);
 * with MSI every source shares the single message.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "ember.h"
#include "trace.h"

uint32_t ember_irq_mode(EmberState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (msix_enabled(pdev)) {
        return (s->irq_ctrl & EMBER_IRQ_CTRL_SINGLE) ?
               EMBER_IRQ_MODE_MSIX_SINGLE : EMBER_IRQ_MODE_MSIX;
    }
    if (msi_enabled(pdev)) {
        return EMBER_IRQ_MODE_MSI;
    }
    return EMBER_IRQ_MODE_NONE;
}

/*
 * Signal interrupt source @src (0 management, 1 + i DBC i; also used for
 * test interrupts, where @src is the vector number). Sets the status bit
 * unconditionally. Returns true when the device sent the interrupt (it was
 * neither masked nor the function quiesced); an interrupt eaten by
 * EMBER_FI_DROP_IRQ counts as sent: it is lost on the way.
 */
bool ember_irq_raise(EmberState *s, unsigned src)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    unsigned vector;

    s->irq_status |= BIT(src);
    if (s->irq_mask & BIT(src)) {
        trace_ember_irq_masked(src, s->irq_status, s->irq_mask);
        return false;
    }
    if (!ember_in_d0(s)) {
        trace_ember_irq_quiesced(src, ember_pm_state(s));
        return false;
    }
    if (s->fi_drop_irq) {
        s->fi_drop_irq--;
        trace_ember_fault_drop_irq(src, s->fi_drop_irq);
        return true;
    }
    if (msix_enabled(pdev)) {
        vector = (s->irq_ctrl & EMBER_IRQ_CTRL_SINGLE) ? 0 : src;
        /* A masked vector is left pending in the PBA by msix_notify() */
        trace_ember_irq_msix(src, vector, msix_is_masked(pdev, vector));
        msix_notify(pdev, vector);
    } else if (msi_enabled(pdev)) {
        trace_ember_irq_msi(src, msi_is_masked(pdev, 0));
        msi_notify(pdev, 0);
    } else {
        trace_ember_irq_none(src);
    }
    return true;
}

/* §4.4: EMBER_TEST_IRQ raises source @v as if its cause had fired */
void ember_test_irq(EmberState *s, uint32_t v)
{
    if (v >= ember_num_sources(s)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ember: test IRQ %u out of range\n", v);
        return;
    }
    trace_ember_irq_test(v);
    s->test_irq_status |= BIT(v);
    if (v == 0) {
        s->mgmt_cause |= EMBER_MGMT_CAUSE_TEST;
    }
    ember_irq_raise(s, v);
}
