/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember response servicing: interrupt storm mitigation with last-chance
 * polling, and polling mode (docs/datapath.md, "Interrupts and polling").
 */
#ifndef _EMBER_POLL_H_
#define _EMBER_POLL_H_

#include <linux/types.h>

struct dma_fence;
struct ember_dbc;
struct ember_device;
struct ember_irq_vector;

/* Module parameters (ember_poll.c), read with READ_ONCE(). */
extern bool ember_dp_polling;
extern unsigned int ember_dp_poll_interval_us;
extern bool ember_dp_mitigation;
extern unsigned int ember_dp_window_max_us;
extern unsigned int ember_dp_poll_coalesce_us;
extern unsigned int ember_dp_busy_poll_us;
extern bool ember_dp_irq_drain;

bool ember_poll_mode(void);
void ember_poll_init(struct ember_device *edev);
void ember_poll_fini(struct ember_device *edev);
void ember_poll_kick(struct ember_dbc *dbc);
void ember_poll_arm(struct ember_dbc *dbc);
void ember_poll_disarm(struct ember_dbc *dbc);
void ember_poll_cover(struct ember_dbc *dbc, struct dma_fence *fence);
void ember_poll_service(struct ember_irq_vector *vec);
bool ember_poll_irq(struct ember_dbc *dbc);
bool ember_poll_wait(struct ember_dbc *dbc, struct dma_fence *fence,
		     u64 submit_ns);

#endif /* _EMBER_POLL_H_ */
