/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember interrupts: vector allocation, single-MSI fallback, handlers and
 * test interrupts.
 */
#ifndef _EMBER_IRQ_H_
#define _EMBER_IRQ_H_

#include <linux/types.h>

struct ember_dbc;
struct ember_device;

/* Module parameter (ember_irq.c), read with READ_ONCE(). */
extern bool ember_dp_irq_follow;

int ember_irq_init(struct ember_device *edev);
void ember_irq_hw_setup(struct ember_device *edev);
void ember_irq_hw_enable(struct ember_device *edev);
void ember_irq_state_init(struct ember_device *edev);
void ember_irq_hw_disable(struct ember_device *edev);
void ember_irq_synchronize(struct ember_device *edev);
int ember_irq_fire_test(struct ember_device *edev, unsigned int source);
const char *ember_irq_mode_name(const struct ember_device *edev);
void ember_irq_dbc_mask(struct ember_dbc *dbc);
void ember_irq_dbc_unmask(struct ember_dbc *dbc);
void ember_irq_follow(struct ember_dbc *dbc, int cpu);

#endif /* _EMBER_IRQ_H_ */
