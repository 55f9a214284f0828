/*
 * ember AI accelerator: management firmware (docs/nnc.md)
 *
 * The firmware behind the mailbox (ember-mbox.c hands it one message at a
 * time): it decodes NNC requests and encodes replies with the codec of
 * common/ (the driver's own), negotiates version and CRC (STATUS), hands
 * out DBCs (ACTIVATE / DEACTIVATE), stages host buffers (DMA_XFER), runs
 * firmware commands (PASSTHROUGH, ember-workload.c) and forgets clients
 * (TERMINATE). It also answers the firmware block of BAR0 (§2.4).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bswap.h"
#include "ember.h"
#include "trace.h"

/* ---- Clients and staged transfers ---- */

/* The record of client @handle; with @create a new one if it has none */
EmberFwClient *ember_fw_client(EmberState *s, uint32_t handle, bool create)
{
    EmberFwClient *c;

    QLIST_FOREACH(c, &s->fw.clients, next) {
        if (c->handle == handle) {
            return c;
        }
    }
    if (!create) {
        return NULL;
    }
    c = g_new0(EmberFwClient, 1);
    c->handle = handle;
    QLIST_INIT(&c->xfers);
    QLIST_INSERT_HEAD(&s->fw.clients, c, next);
    return c;
}

/* The client's finished transfer of tag @tag */
EmberFwXfer *ember_fw_xfer(EmberFwClient *c, uint32_t tag)
{
    EmberFwXfer *x;

    QLIST_FOREACH(x, &c->xfers, next) {
        if (x->tag == tag) {
            return x;
        }
    }
    return NULL;
}

void ember_fw_drop_xfer(EmberState *s, EmberFwClient *c, EmberFwXfer *x)
{
    QLIST_REMOVE(x, next);
    c->staged -= x->size;
    s->fw.staged -= x->size;
    g_free(x->data);
    g_free(x);
}

/* Forget the client's partial transfer (the codec may have reset it) */
static void ember_fw_drop_partial(EmberState *s, EmberFwClient *c)
{
    ember_nnc_reasm_reset(&c->reasm);
    s->fw.staged -= c->partial_size;
    g_free(c->partial);
    c->partial = NULL;
    c->partial_size = 0;
}

/* Free the client record when it holds nothing any more */
void ember_fw_client_put(EmberFwClient *c)
{
    if (!c->partial && !c->reasm.active && QLIST_EMPTY(&c->xfers)) {
        QLIST_REMOVE(c, next);
        g_free(c);
    }
}

static void ember_fw_client_free(EmberState *s, EmberFwClient *c)
{
    EmberFwXfer *x, *tmp;

    ember_fw_drop_partial(s, c);
    QLIST_FOREACH_SAFE(x, &c->xfers, next, tmp) {
        ember_fw_drop_xfer(s, c, x);
    }
    ember_fw_client_put(c);
}

/* Everything the firmware holds for @handle (TERMINATE); returns DBCs */
static uint32_t ember_fw_release(EmberState *s, uint32_t handle)
{
    EmberFwClient *c = ember_fw_client(s, handle, false);
    uint32_t released = 0;
    unsigned i;

    for (i = 0; i < s->num_dbcs; i++) {
        EmberDbc *d = &s->dbc[i];

        if (d->fw_active && d->fw_owner == handle) {
            ember_dbc_disable(d);
            d->fw_active = false;
            d->fw_owner = 0;
            released++;
        }
    }
    ember_wl_release(s, handle);
    if (c) {
        ember_fw_client_free(s, c);
    }
    trace_ember_fw_terminate(handle, released);
    return released;
}

/* Drop all firmware state: clients, DBC ownership, workloads, features */
void ember_fw_reset(EmberState *s)
{
    EmberFwClient *c, *tmp;
    unsigned i;

    QLIST_FOREACH_SAFE(c, &s->fw.clients, next, tmp) {
        ember_fw_client_free(s, c);
    }
    for (i = 0; i < EMBER_MAX_DBCS; i++) {
        s->dbc[i].fw_active = false;
        s->dbc[i].fw_owner = 0;
    }
    ember_wl_reset(s);
    s->fw.staged = 0;
    s->fw.features = 0;
}

/* ---- Transactions (nnc.md §6) ---- */

static uint32_t ember_fw_status(EmberState *s, uint32_t handle,
                                const struct ember_nnc_req *req,
                                struct ember_nnc_rsp *rsp)
{
    /* Only the driver's own STATUS negotiates; clients see what is on */
    if (!handle) {
        s->fw.features = req->u.status.features & EMB_FW_FEATURES;
    }
    rsp->u.status.major = EMBER_NNC_MAJOR;
    rsp->u.status.minor = EMBER_NNC_MINOR;
    rsp->u.status.features = s->fw.features;
    return EMBER_NNC_ST_OK;
}

/*
 * One chunk of a DMA transfer: the codec checks it continues the client's
 * partial transfer, the firmware reads the host segments into staging
 * memory reserved at the first chunk. A complete transfer is staged under
 * its tag (replacing an older one of the same tag) until LOAD_WORKLOAD
 * consumes it or the client terminates.
 */
static uint32_t ember_fw_dma_xfer(EmberState *s, uint32_t handle,
                                  const struct ember_nnc_req *req,
                                  uint32_t index, struct ember_nnc_rsp *rsp)
{
    EmberFwClient *c = ember_fw_client(s, handle, true);
    bool first = !c->reasm.active;
    enum ember_nnc_reason why;
    EmberFwXfer *x;
    uint64_t pos, total, same;
    uint32_t i;
    int ret;

    rsp->u.dma.xfer_id = req->u.dma.xfer_id;
    rsp->u.dma.received = 0;
    ret = ember_nnc_reasm_feed(&c->reasm, req, index, &why);
    if (req->u.dma.flags & EMBER_NNC_DMA_ABORT) {
        if (ret) {
            ember_fw_client_put(c);
            return EMBER_NNC_ST_NOENT;
        }
        ember_fw_drop_partial(s, c);
        ember_fw_client_put(c);
        return EMBER_NNC_ST_OK;
    }
    if (ret) {
        qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: DMA_XFER %u of client %u: "
                      "%s\n", req->u.dma.xfer_id, handle,
                      ember_nnc_reason_str(why));
        ember_fw_drop_partial(s, c);
        ember_fw_client_put(c);
        return EMBER_NNC_ST_INVAL;
    }
    if (first) {
        total = req->u.dma.total;
        x = ember_fw_xfer(c, req->u.dma.tag);
        same = x ? x->size : 0;
        if (total <= EMB_FW_STAGE_CLIENT_MAX &&
            c->staged - same + total <= EMB_FW_STAGE_CLIENT_MAX &&
            s->fw.staged + total <= EMB_FW_STAGE_TOTAL_MAX) {
            c->partial = g_try_malloc(total);
        }
        if (!c->partial) {
            qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: DMA_XFER %u of client "
                          "%u: no staging memory for %" PRIu64 " bytes\n",
                          req->u.dma.xfer_id, handle, total);
            ember_fw_drop_partial(s, c);
            ember_fw_client_put(c);
            return EMBER_NNC_ST_NOMEM;
        }
        c->partial_size = total;
        s->fw.staged += total;
    }
    /* The codec bounded offset + bytes of the chunk by the total */
    pos = req->u.dma.offset;
    for (i = 0; i < req->u.dma.nsegs; i++) {
        struct ember_nnc_seg seg = ember_nnc_dma_seg(req, i);

        if (ember_host_read(s, seg.addr, c->partial + pos, seg.len) !=
            MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: DMA_XFER %u: cannot "
                          "read 0x%" PRIx64 "+0x%" PRIx64 "\n",
                          req->u.dma.xfer_id, (uint64_t)seg.addr,
                          (uint64_t)seg.len);
            ember_fw_drop_partial(s, c);
            ember_fw_client_put(c);
            return EMBER_NNC_ST_IO;
        }
        pos += seg.len;
    }
    rsp->u.dma.received = c->reasm.received;
    if (!c->reasm.active) {
        x = ember_fw_xfer(c, c->reasm.tag);
        if (x) {
            ember_fw_drop_xfer(s, c, x);
        }
        x = g_new0(EmberFwXfer, 1);
        x->tag = c->reasm.tag;
        x->size = c->partial_size;
        x->data = c->partial;
        QLIST_INSERT_HEAD(&c->xfers, x, next);
        c->staged += x->size;
        trace_ember_fw_xfer_staged(handle, x->tag, x->size);
        c->partial = NULL;      /* its staging memory moves with it */
        c->partial_size = 0;
        ember_nnc_reasm_reset(&c->reasm);
    }
    return EMBER_NNC_ST_OK;
}

/* Pick a free DBC and program it as the driver would (§5.1) */
static uint32_t ember_fw_activate(EmberState *s, uint32_t handle,
                                  const struct ember_nnc_req *req,
                                  struct ember_nnc_rsp *rsp)
{
    uint64_t req_base = req->u.act.req_base, rsp_base = req->u.act.rsp_base;
    EmberDbc *d = NULL;
    unsigned i;

    rsp->u.act.dbc_id = 0;
    if (!handle) {
        return EMBER_NNC_ST_PERM;
    }
    for (i = 0; i < s->num_dbcs; i++) {
        /* A DBC the host enabled by hand is not free either */
        if (!s->dbc[i].fw_active && !s->dbc[i].enabled) {
            d = &s->dbc[i];
            break;
        }
    }
    if (!d) {
        return EMBER_NNC_ST_NOSPC;
    }
    ember_dbc_write(d, EMBER_DBC_REQ_BASE_LO, (uint32_t)req_base);
    ember_dbc_write(d, EMBER_DBC_REQ_BASE_HI, req_base >> 32);
    ember_dbc_write(d, EMBER_DBC_RSP_BASE_LO, (uint32_t)rsp_base);
    ember_dbc_write(d, EMBER_DBC_RSP_BASE_HI, rsp_base >> 32);
    ember_dbc_write(d, EMBER_DBC_RING_SIZE, req->u.act.ring_size);
    ember_dbc_write(d, EMBER_DBC_CTRL, EMBER_DBC_CTRL_ENABLE);
    if (!d->enabled) {
        return EMBER_NNC_ST_INVAL;
    }
    d->fw_active = true;
    d->fw_owner = handle;
    rsp->u.act.dbc_id = i;
    trace_ember_fw_activate(handle, i, req->u.act.ring_size);
    return EMBER_NNC_ST_OK;
}

static uint32_t ember_fw_deactivate(EmberState *s, uint32_t handle,
                                    const struct ember_nnc_req *req,
                                    struct ember_nnc_rsp *rsp)
{
    uint32_t id = req->u.deact.dbc_id;
    EmberDbc *d;

    rsp->u.deact.dbc_id = id;
    if (id >= s->num_dbcs || !s->dbc[id].fw_active) {
        return EMBER_NNC_ST_NOENT;
    }
    d = &s->dbc[id];
    if (d->fw_owner != handle) {
        return EMBER_NNC_ST_PERM;
    }
    /* Stops at once: the request in flight is dropped, the DBC is idle */
    trace_ember_fw_deactivate(handle, id);
    ember_dbc_disable(d);
    d->fw_active = false;
    d->fw_owner = 0;
    return EMBER_NNC_ST_OK;
}

/* ---- Messages (nnc.md §7) ---- */

/*
 * Encode the reply into mbox_rsp; returns its length. The codec writes
 * major 1, the only wire format it knows: a firmware set to speak another
 * major (property nnc-major, only ever rejecting) patches it in.
 */
static uint32_t ember_fw_encode(EmberState *s, struct ember_nnc_hdr *rh,
                                const struct ember_nnc_rsp *rsps, uint32_t n)
{
    enum ember_nnc_reason why;
    int len;

    len = ember_nnc_encode_reply(s->mbox_rsp, EMBER_MBOX_SLOT_SIZE, rh, rsps,
                                 n, &why);
    if (len < 0) {
        /* The firmware built a reply its own codec refuses: a model bug */
        qemu_log_mask(LOG_UNIMP, "ember: fw: cannot encode reply: %s\n",
                      ember_nnc_reason_str(why));
        rh->status = EMBER_NNC_ST_IO;
        len = ember_nnc_encode_reply(s->mbox_rsp, EMBER_MBOX_SLOT_SIZE, rh,
                                     NULL, 0, &why);
        assert(len > 0);
    }
    if (s->nnc_major != EMBER_NNC_MAJOR) {
        stw_le_p(s->mbox_rsp + EMBER_NNC_OFF_MAJOR, s->nnc_major);
        if (rh->flags & EMBER_NNC_F_CRC) {
            stl_le_p(s->mbox_rsp + EMBER_NNC_OFF_CRC,
                     ember_nnc_crc32(s->mbox_rsp, len));
        }
    }
    return len;
}

/*
 * Refuse the request in mbox_req as a whole. Its header may be garbage:
 * echo the raw seq and handle (nnc.md §7.2). The reply has a CRC when CRC
 * is in effect or the request claimed one.
 */
uint32_t ember_fw_reject(EmberState *s, uint16_t status)
{
    struct ember_nnc_hdr rh = { 0 };
    const uint8_t *req = s->mbox_req;

    rh.seq = ldl_le_p(req + EMBER_NNC_OFF_SEQ);
    rh.handle = ldl_le_p(req + EMBER_NNC_OFF_HANDLE);
    rh.status = status;
    trace_ember_fw_reject(rh.seq, rh.handle, status);
    if ((s->fw.features & EMBER_NNC_FEAT_CRC) ||
        (lduw_le_p(req + EMBER_NNC_OFF_FLAGS) & EMBER_NNC_F_CRC)) {
        rh.flags = EMBER_NNC_F_CRC;
    }
    return ember_fw_encode(s, &rh, NULL, 0);
}

static uint32_t ember_fw_execute(EmberState *s, uint32_t handle,
                                 const struct ember_nnc_req *req,
                                 uint32_t index, struct ember_nnc_rsp *rsp)
{
    switch (req->type) {
    case EMBER_NNC_T_STATUS:
        return ember_fw_status(s, handle, req, rsp);
    case EMBER_NNC_T_PASSTHROUGH:
        return ember_fw_passthrough(s, handle, req, rsp);
    case EMBER_NNC_T_DMA_XFER:
        return ember_fw_dma_xfer(s, handle, req, index, rsp);
    case EMBER_NNC_T_ACTIVATE:
        return ember_fw_activate(s, handle, req, rsp);
    case EMBER_NNC_T_DEACTIVATE:
        return ember_fw_deactivate(s, handle, req, rsp);
    case EMBER_NNC_T_TERMINATE:
        rsp->u.term.released = ember_fw_release(s, handle);
        return EMBER_NNC_ST_OK;
    default:
        return EMBER_NNC_ST_UNSUPPORTED;
    }
}

/* Fields a reply echoes whatever its status (the driver checks them) */
static void ember_fw_rsp_init(const struct ember_nnc_req *req,
                              struct ember_nnc_rsp *rsp)
{
    memset(rsp, 0, sizeof(*rsp));
    rsp->type = req->type;
    if (req->type == EMBER_NNC_T_DMA_XFER) {
        rsp->u.dma.xfer_id = req->u.dma.xfer_id;
    } else if (req->type == EMBER_NNC_T_DEACTIVATE) {
        rsp->u.deact.dbc_id = req->u.deact.dbc_id;
    }
}

/* Execute the request in mbox_req, encode its reply; returns the length */
uint32_t ember_fw_message(EmberState *s)
{
    struct ember_nnc_req reqs[EMBER_NNC_MAX_TRANS];
    struct ember_nnc_rsp rsps[EMBER_NNC_MAX_TRANS];
    struct ember_nnc_hdr hdr, rh = { 0 };
    uint32_t dflags = 0, i, st = EMBER_NNC_ST_OK;
    enum ember_nnc_reason why;
    EmberFwClient *c;
    int ret;

    if (s->nnc_major != EMBER_NNC_MAJOR) {
        /* This firmware speaks no major the codec knows: refuse all */
        bool magic_ok = ldl_le_p(s->mbox_req + EMBER_NNC_OFF_MAGIC) ==
                        EMBER_NNC_MAGIC;

        return ember_fw_reject(s, magic_ok ? EMBER_NNC_ST_UNSUPPORTED :
                               EMBER_NNC_ST_INVAL);
    }
    if (s->fw.features & EMBER_NNC_FEAT_CRC) {
        dflags |= EMBER_NNC_DEC_REQUIRE_CRC;
    }
    ret = ember_nnc_decode_request(s->mbox_req, EMBER_MBOX_SLOT_SIZE, dflags,
                                   &hdr, reqs, EMBER_NNC_MAX_TRANS, &why);
    if (ret) {
        qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: request refused: %s\n",
                      ember_nnc_reason_str(why));
        return ember_fw_reject(s, ret == -EOPNOTSUPP ?
                               EMBER_NNC_ST_UNSUPPORTED :
                               ret == -EIO ? EMBER_NNC_ST_BADCRC :
                               EMBER_NNC_ST_INVAL);
    }
    /*
     * A client with a partial transfer must continue it (nnc.md §8), except
     * with TERMINATE (always alone), which drops it with everything else.
     */
    c = ember_fw_client(s, hdr.handle, false);
    if (c && reqs[0].type != EMBER_NNC_T_TERMINATE &&
        ember_nnc_reasm_begin(&c->reasm, reqs, hdr.count, &why)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: client %u: %s\n",
                      hdr.handle, ember_nnc_reason_str(why));
        ember_fw_drop_partial(s, c);
        ember_fw_client_put(c);
        return ember_fw_reject(s, EMBER_NNC_ST_INVAL);
    }

    trace_ember_fw_message(hdr.seq, hdr.handle, hdr.count, hdr.flags);
    s->mbox_data_used = 0;
    for (i = 0; i < hdr.count; i++) {
        ember_fw_rsp_init(&reqs[i], &rsps[i]);
        if (st != EMBER_NNC_ST_OK) {
            rsps[i].status = EMBER_NNC_ST_NOT_RUN;
            continue;
        }
        st = ember_fw_execute(s, hdr.handle, &reqs[i], i, &rsps[i]);
        rsps[i].status = st;
        trace_ember_fw_trans(hdr.handle, i, reqs[i].type, st);
    }

    rh.seq = hdr.seq;
    rh.handle = hdr.handle;
    if ((s->fw.features & EMBER_NNC_FEAT_CRC) ||
        (hdr.flags & EMBER_NNC_F_CRC)) {
        rh.flags = EMBER_NNC_F_CRC;
    }
    return ember_fw_encode(s, &rh, rsps, hdr.count);
}

/* ---- Firmware block of BAR0 (§2.4) ---- */

uint32_t ember_fw_regs_read(EmberState *s, hwaddr addr)
{
    switch (addr) {
    case EMBER_FW_MGMT_VERSION:
        return EMB_FW_MGMT_VALUE;
    case EMBER_FW_DBC_VERSION:
        return EMB_FW_DBC_VALUE;
    case EMBER_FW_BOOT_VERSION:
        return EMB_FW_BOOT_VALUE;
    case EMBER_FW_NNC_VERSION:
        return ember_field_prep(EMBER_NNC_VER_MAJOR, s->nnc_major) |
               ember_field_prep(EMBER_NNC_VER_MINOR, EMBER_NNC_MINOR);
    default:
        return 0;
    }
}

void ember_fw_init(EmberState *s)
{
    QLIST_INIT(&s->fw.clients);
    s->fw.next_wl_id = 1;
}
