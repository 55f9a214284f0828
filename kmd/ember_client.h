/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember clients (open files) and the DBCs they activated.
 */
#ifndef _EMBER_CLIENT_H_
#define _EMBER_CLIENT_H_

#include <linux/types.h>

struct drm_file;
struct drm_printer;
struct ember_act;
struct ember_client;
struct ember_device;

int ember_clients_init(struct ember_device *edev);
int ember_client_open(struct ember_device *edev, struct drm_file *file);
void ember_client_close(struct ember_client *client);
void ember_client_show_fdinfo(struct drm_printer *p, struct drm_file *file);

struct ember_act *ember_act_alloc(struct ember_client *client, u32 ring_size);
void ember_act_release(struct ember_act *act);
int ember_act_activated(struct ember_act *act, u32 dbc_id);
struct ember_act *ember_client_live_act(struct ember_client *client,
					u32 dbc_id);
bool ember_act_leave(struct ember_act *act);
void ember_act_stay(struct ember_act *act);
void ember_act_abandon(struct ember_act *act);
int ember_client_find_dbc(struct ember_client *client, u32 dbc_id,
			  struct ember_act **act);
void ember_client_resolve_pending(struct ember_client *client);

void ember_dbcs_invalidate(struct ember_device *edev, bool gone);
void ember_clients_reset_done(struct ember_device *edev);

#endif /* _EMBER_CLIENT_H_ */
