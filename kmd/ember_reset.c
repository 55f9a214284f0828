// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember resets (docs/hardware.md §7).
 *
 * The PCI core calls reset_prepare before and reset_done after a reset it
 * performs: FLR through /sys/bus/pci/devices/<bdf>/reset, a bus reset, and
 * resets requested by other drivers (vfio). Both run under the device lock,
 * so they never race with probe or remove. Between the two the device's
 * memory space is disabled and its registers are reset: the driver keeps
 * its hands off, and reprograms everything afterwards.
 *
 * A reset disables the mailbox and the firmware forgets everything it held
 * (clients, DBC activations, transfers): before it, messages in flight are
 * failed with -ENODEV, every DBC is stopped and the clients' rings are
 * freed (their records stay, DEAD, so DEACTIVATE reports the loss); after
 * it, the mailbox is enabled and negotiated again.
 *
 * Reset escalation (VF FLR -> PF FLR -> hot reset), ONLINE/OFFLINE uevents
 * and aborting in-flight data-path work come with the data path.
 */

#include <linux/pci.h>

#include "ember_client.h"
#include "ember_drv.h"
#include "ember_mbox.h"
#include "ember_reset.h"

static const char *ember_reset_cause_name(u32 cause)
{
	switch (cause) {
	case EMBER_RESET_CAUSE_POWER_ON:
		return "power-on";
	case EMBER_RESET_CAUSE_FLR:
		return "FLR";
	case EMBER_RESET_CAUSE_HOT:
		return "hot reset";
	case EMBER_RESET_CAUSE_D3:
		return "D3hot->D0";
	case EMBER_RESET_CAUSE_SOFT:
		return "soft reset";
	default:
		return "unknown";
	}
}

/**
 * ember_reset_prepare() - &pci_error_handlers.reset_prepare
 * @pdev: PCI function about to be reset
 *
 * Fails the mailbox messages in flight, marks the device as resetting,
 * stops it from processing work, masks its interrupts, waits for running
 * handlers, then stops every DBC and frees the clients' rings.
 */
void ember_reset_prepare(struct pci_dev *pdev)
{
	struct ember_device *edev = pci_get_drvdata(pdev);

	ember_mbox_stop(edev, -ENODEV);
	mutex_lock(&edev->hw_lock);
	ember_hw_stop(edev, EMBER_STATE_RESETTING);
	mutex_unlock(&edev->hw_lock);
	ember_dbcs_invalidate(edev, false);

	dev_info(&pdev->dev, "reset: device quiesced\n");
}

/**
 * ember_reset_done() - &pci_error_handlers.reset_done
 * @pdev: PCI function that was reset (config space already restored)
 *
 * Waits for EMBER_DEV_STATUS.READY, then programs the interrupt routing
 * again (EMBER_IRQ_CTRL.SINGLE in single MSI-X mode), unmasks the sources
 * and sets EMBER_DEV_CTRL.ENABLE, then enables the mailbox and negotiates
 * with the firmware again. A device that does not become ready is left
 * disabled in EMBER_STATE_FAILED; another reset can recover it. A mailbox
 * that does not come back leaves MANAGE failing with -ENODEV.
 */
void ember_reset_done(struct pci_dev *pdev)
{
	struct ember_device *edev = pci_get_drvdata(pdev);
	u32 status, count, cause;
	int ret;

	mutex_lock(&edev->hw_lock);
	ret = ember_hw_wait_ready(edev, &status);
	if (ret) {
		WRITE_ONCE(edev->state, EMBER_STATE_FAILED);
		mutex_unlock(&edev->hw_lock);
		dev_err(&pdev->dev,
			"reset failed: device not ready (EMBER_DEV_STATUS %#x%s), left disabled\n",
			status,
			status & EMBER_DEV_STATUS_RESET_FAILED ? ", RESET_FAILED" : "");
		return;
	}
	count = ember_rd(edev, EMBER_RESET_COUNT);
	cause = ember_rd(edev, EMBER_RESET_CAUSE);
	ember_hw_start(edev);
	edev->resets++;
	mutex_unlock(&edev->hw_lock);

	ret = ember_mbox_check_version(edev);
	if (!ret)
		ret = ember_mbox_start(edev);
	if (ret)
		dev_err(&pdev->dev, "reset: management mailbox unusable: %d\n",
			ret);
	else
		ember_clients_reset_done(edev);

	dev_info(&pdev->dev, "reset done: cause %s, device reset count %u, device online\n",
		 ember_reset_cause_name(cause), count);
}
