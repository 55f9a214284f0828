/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember resets: PCI core reset notifications (FLR, bus reset).
 */
#ifndef _EMBER_RESET_H_
#define _EMBER_RESET_H_

struct pci_dev;

void ember_reset_prepare(struct pci_dev *pdev);
void ember_reset_done(struct pci_dev *pdev);

#endif /* _EMBER_RESET_H_ */
