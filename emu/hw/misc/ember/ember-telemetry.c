/*
 * ember AI accelerator: telemetry (docs/hardware.md §2.5)
 *
 * Temperature, power and core clock follow how busy the DBCs were over the
 * last ~100 ms, between an idle and a full-load value; the ECC counters
 * count injected RAS errors; the timestamp is device time since power-on.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "ember.h"

void ember_tel_init(EmberState *s)
{
    unsigned i;

    for (i = 0; i < EMB_TEL_BUCKETS; i++) {
        s->tel_bucket_id[i] = -1;
    }
}

/* Account the DBC busy time [@start, @end) (virtual clock, ns) */
void ember_tel_add_busy(EmberState *s, int64_t start, int64_t end)
{
    if (start < end - EMB_TEL_WINDOW_NS) {
        start = end - EMB_TEL_WINDOW_NS;
    }
    if (start < 0) {
        start = 0;
    }
    while (start < end) {
        int64_t id = start / EMB_TEL_BUCKET_NS;
        int64_t seg_end = MIN(end, (id + 1) * EMB_TEL_BUCKET_NS);
        unsigned slot = id % EMB_TEL_BUCKETS;

        if (s->tel_bucket_id[slot] != id) {
            s->tel_bucket_id[slot] = id;
            s->tel_bucket_busy[slot] = 0;
        }
        s->tel_bucket_busy[slot] += seg_end - start;
        start = seg_end;
    }
}

/* Busy fraction of all DBCs over the last ~100 ms, in parts per million */
static uint64_t ember_tel_busy_ppm(EmberState *s)
{
    int64_t now = ember_now();
    int64_t cur_id = now / EMB_TEL_BUCKET_NS;
    int64_t first_id = cur_id - (EMB_TEL_BUCKETS - 1);
    int64_t win_start = MAX(first_id * EMB_TEL_BUCKET_NS, 0);
    uint64_t busy = 0, window, ppm;
    unsigned i;

    for (i = 0; i < EMB_TEL_BUCKETS; i++) {
        if (s->tel_bucket_id[i] >= first_id && s->tel_bucket_id[i] <= cur_id) {
            busy += s->tel_bucket_busy[i];
        }
    }
    for (i = 0; i < s->num_dbcs; i++) {
        EmberDbc *d = &s->dbc[i];

        if (d->busy) {
            int64_t from = MAX(d->cur_start, win_start);

            if (now > from) {
                busy += now - from;
            }
        }
    }
    window = (uint64_t)(now - win_start) * s->num_dbcs;
    if (!window) {
        return 0;
    }
    ppm = busy * 1000000 / window;
    return MIN(ppm, 1000000);
}

static uint32_t ember_tel_scale(EmberState *s, uint32_t idle, uint32_t full)
{
    return idle + (uint64_t)(full - idle) * ember_tel_busy_ppm(s) / 1000000;
}

/* A register of the telemetry block (all read-only) */
uint32_t ember_tel_read(EmberState *s, hwaddr addr)
{
    uint64_t ts;

    switch (addr) {
    case EMBER_TEL_TEMP_MC:
        return ember_tel_scale(s, 40000, 85000);
    case EMBER_TEL_TEMP_CRIT_MC:
        return 95000;
    case EMBER_TEL_POWER_MW:
        return ember_tel_scale(s, 15000, 70000);
    case EMBER_TEL_POWER_CAP_MW:
        return 75000;
    case EMBER_TEL_CORE_CLK_MHZ:
        return ember_tel_scale(s, 300, 1400);
    case EMBER_TEL_MEM_CLK_MHZ:
        return ember_in_d0(s) ? 1600 : 0;
    case EMBER_TEL_ECC_CE:
        return s->ecc_ce;
    case EMBER_TEL_ECC_UE:
        return s->ecc_ue;
    case EMBER_TEL_TIMESTAMP_LO:
        /* Reading LO latches HI: the pair is one 64-bit snapshot */
        ts = ember_dev_time(s);
        s->ts_hi_latch = ts >> 32;
        return ts;
    case EMBER_TEL_TIMESTAMP_HI:
        return s->ts_hi_latch;
    default:
        return 0;
    }
}
