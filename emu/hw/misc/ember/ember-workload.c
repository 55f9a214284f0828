/*
 * ember AI accelerator: firmware commands (docs/nnc.md §15)
 *
 * The commands a PASSTHROUGH transaction carries: ECHO, LOAD_WORKLOAD,
 * UNLOAD_WORKLOAD and QUERY, with the workload loader they need and the
 * first-fit allocator of the function's device memory. The command format
 * (offsets, sizes, limits) is common/ember_fwcmd.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/cutils.h"
#include "ember.h"
#include "trace.h"

/* ---- Device memory ---- */

/* Device memory the firmware manages for the function */
static uint64_t ember_fw_devmem_size(EmberState *s)
{
    return s->mem_size;
}

/* First fit over the function's device memory; @size is 4 KiB aligned */
static bool ember_fw_alloc(EmberState *s, uint64_t size, uint64_t *off)
{
    EmberFw *fw = &s->fw;
    uint64_t pos = 0, end;
    unsigned i;

    if (fw->nextents >= EMB_FW_MAX_EXTENTS) {
        return false;
    }
    for (i = 0; i <= fw->nextents; i++) {
        end = i < fw->nextents ? fw->ext[i].off : ember_fw_devmem_size(s);
        if (end - pos >= size) {
            memmove(&fw->ext[i + 1], &fw->ext[i],
                    (fw->nextents - i) * sizeof(fw->ext[0]));
            fw->ext[i].off = pos;
            fw->ext[i].size = size;
            fw->nextents++;
            fw->devmem_used += size;
            *off = pos;
            return true;
        }
        if (i < fw->nextents) {
            pos = fw->ext[i].off + fw->ext[i].size;
        }
    }
    return false;
}

static void ember_fw_free(EmberState *s, uint64_t off)
{
    EmberFw *fw = &s->fw;
    unsigned i;

    for (i = 0; i < fw->nextents; i++) {
        if (fw->ext[i].off == off) {
            fw->devmem_used -= fw->ext[i].size;
            fw->nextents--;
            memmove(&fw->ext[i], &fw->ext[i + 1],
                    (fw->nextents - i) * sizeof(fw->ext[0]));
            return;
        }
    }
}

/* ---- Workloads ---- */

static EmberWorkload *ember_fw_workload(EmberState *s, uint32_t id)
{
    unsigned i;

    for (i = 0; id && i < EMBER_FW_MAX_WORKLOADS; i++) {
        if (s->fw.wl[i].id == id) {
            return &s->fw.wl[i];
        }
    }
    return NULL;
}

static void ember_fw_unload(EmberState *s, EmberWorkload *w)
{
    unsigned i;

    for (i = 0; i < w->nregions; i++) {
        ember_fw_free(s, w->region_off[i]);
    }
    memset(w, 0, sizeof(*w));
}

/* Unload every workload of client @handle (TERMINATE) */
void ember_wl_release(EmberState *s, uint32_t handle)
{
    unsigned i;

    for (i = 0; i < EMBER_FW_MAX_WORKLOADS; i++) {
        if (s->fw.wl[i].id && s->fw.wl[i].handle == handle) {
            ember_fw_unload(s, &s->fw.wl[i]);
        }
    }
}

/* Forget every workload and free all device memory (function reset) */
void ember_wl_reset(EmberState *s)
{
    memset(s->fw.wl, 0, sizeof(s->fw.wl));
    s->fw.nextents = 0;
    s->fw.devmem_used = 0;
    s->fw.next_wl_id = 1;
}

/* ---- Commands ---- */

static bool ember_fw_opnd_exists(const EmberWorkload *w, uint8_t kind,
                                 uint8_t index)
{
    switch (kind) {
    case EMBER_FW_OPND_INPUT:
        return index < w->ninputs;
    case EMBER_FW_OPND_OUTPUT:
        return index < w->noutputs;
    case EMBER_FW_OPND_REGION:
        return index < w->nregions;
    default:
        return false;
    }
}

/* Does a region operand hold @bytes? Slices are sized at execution. */
static bool ember_fw_opnd_fits(const EmberWorkload *w, const EmberFwStep *st,
                               unsigned slot, uint64_t bytes)
{
    return st->kind[slot] != EMBER_FW_OPND_REGION ||
           bytes <= w->region_size[st->index[slot]];
}

/* Bytes of an operand known at load time: a region's size, else 0 */
static uint64_t ember_fw_opnd_size(const EmberWorkload *w,
                                   const EmberFwStep *st, unsigned slot)
{
    return st->kind[slot] == EMBER_FW_OPND_REGION ?
           w->region_size[st->index[slot]] : 0;
}

/*
 * The rules libember's validator applies too: operands as the op uses
 * them (an absent one is kind 0 index 0), m, n, k only for GEMM, which
 * has no len, indices in range, inputs never written, region operands
 * large enough (by the requested region sizes).
 */
static bool ember_fw_step_ok(const EmberWorkload *w, const EmberFwStep *st)
{
    static const uint8_t use[EMBER_HW_OP_GEMM_I8 + 1][3] = {
        [EMBER_HW_OP_COPY] = { EMB_FW_USE_REQUIRED, EMB_FW_USE_REQUIRED,
                               EMB_FW_USE_NONE },
        [EMBER_HW_OP_FILL] = { EMB_FW_USE_NONE, EMB_FW_USE_REQUIRED,
                               EMB_FW_USE_PATTERN },
        [EMBER_HW_OP_CRC32] = { EMB_FW_USE_REQUIRED, EMB_FW_USE_OPTIONAL,
                                EMB_FW_USE_NONE },
        [EMBER_HW_OP_GEMM_I8] = { EMB_FW_USE_REQUIRED, EMB_FW_USE_REQUIRED,
                                  EMB_FW_USE_REQUIRED },
    };
    uint64_t bytes;
    unsigned j, u;

    if (st->op < EMBER_HW_OP_COPY || st->op > EMBER_HW_OP_GEMM_I8) {
        return false;
    }
    for (j = 0; j < 3; j++) {
        u = use[st->op][j];
        if (st->kind[j] == EMBER_FW_OPND_NONE) {
            if (u == EMB_FW_USE_REQUIRED ||
                (u != EMB_FW_USE_PATTERN && st->index[j])) {
                return false;
            }
        } else if (u == EMB_FW_USE_NONE || u == EMB_FW_USE_PATTERN ||
                   !ember_fw_opnd_exists(w, st->kind[j], st->index[j])) {
            return false;
        }
    }
    if (st->kind[EMB_FW_DST] == EMBER_FW_OPND_INPUT) {
        return false;           /* inputs are never written */
    }
    if (st->op == EMBER_HW_OP_GEMM_I8 ? st->len != 0 :
        (st->m || st->n || st->k)) {
        return false;
    }
    switch (st->op) {
    case EMBER_HW_OP_COPY:
        bytes = st->len ? st->len : ember_fw_opnd_size(w, st, EMB_FW_SRC);
        return ember_fw_opnd_fits(w, st, EMB_FW_SRC, bytes) &&
               ember_fw_opnd_fits(w, st, EMB_FW_DST, bytes);
    case EMBER_HW_OP_FILL:
        return ember_fw_opnd_fits(w, st, EMB_FW_DST, st->len);
    case EMBER_HW_OP_CRC32:
        return ember_fw_opnd_fits(w, st, EMB_FW_SRC, st->len) &&
               ember_fw_opnd_fits(w, st, EMB_FW_DST, 4);
    default:                    /* GEMM_I8 */
        if (st->m < 1 || st->m > EMB_GEMM_DIM_MAX || st->n < 1 ||
            st->n > EMB_GEMM_DIM_MAX || st->k < 1 ||
            st->k > EMB_GEMM_DIM_MAX) {
            return false;
        }
        return ember_fw_opnd_fits(w, st, EMB_FW_SRC,
                                  (uint64_t)st->m * st->k) &&
               ember_fw_opnd_fits(w, st, EMB_FW_AUX,
                                  (uint64_t)st->k * st->n) &&
               ember_fw_opnd_fits(w, st, EMB_FW_DST,
                                  (uint64_t)st->m * st->n * 4);
    }
}

/* Printable ASCII, then NUL padding */
static bool ember_fw_name_ok(const uint8_t *p)
{
    unsigned i = 0;

    for (; i < EMBER_FW_NAME_LEN && p[i]; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e) {
            return false;
        }
    }
    for (; i < EMBER_FW_NAME_LEN; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* Parse and check a LOAD_WORKLOAD command into @w (no resources taken) */
static bool ember_fw_parse_load(EmberState *s, const uint8_t *cmd,
                                uint32_t len, EmberWorkload *w)
{
    const uint8_t *p;
    unsigned i, o;

    if (len < EMBER_FW_LOAD_FIXED_LEN ||
        ember_fw_get32(cmd, EMBER_FW_LOAD_RSVD) ||
        !ember_fw_name_ok(cmd + EMBER_FW_LOAD_NAME)) {
        return false;
    }
    memcpy(w->name, cmd + EMBER_FW_LOAD_NAME, EMBER_FW_NAME_LEN);
    w->nregions = ember_fw_get32(cmd, EMBER_FW_LOAD_NREGIONS);
    w->nsteps = ember_fw_get32(cmd, EMBER_FW_LOAD_NSTEPS);
    w->ninputs = ember_fw_get32(cmd, EMBER_FW_LOAD_NINPUTS);
    w->noutputs = ember_fw_get32(cmd, EMBER_FW_LOAD_NOUTPUTS);
    if (w->nregions > EMBER_FW_MAX_REGIONS || w->nsteps < 1 ||
        w->nsteps > EMBER_FW_MAX_STEPS || w->ninputs > EMBER_FW_MAX_SLICES ||
        w->noutputs > EMBER_FW_MAX_SLICES ||
        len != EMBER_FW_LOAD_LEN(w->nregions, w->nsteps)) {
        return false;
    }
    p = cmd + EMBER_FW_LOAD_SIZES;
    for (i = 0; i < w->nregions; i++, p += EMBER_FW_REGION_ENTRY_LEN) {
        w->region_size[i] = ember_fw_get64(p, 0);
        if (!w->region_size[i] ||
            w->region_size[i] > ember_fw_devmem_size(s)) {
            return false;
        }
    }
    for (i = 0; i < w->nsteps; i++, p += EMBER_FW_STEP_LEN) {
        EmberFwStep *st = &w->steps[i];

        if (p[EMBER_FW_STEP_RSVD0] || ember_fw_get64(p, EMBER_FW_STEP_RSVD1)) {
            return false;
        }
        st->op = p[EMBER_FW_STEP_OP];
        st->kind[EMB_FW_SRC] = p[EMBER_FW_STEP_SRC_KIND];
        st->kind[EMB_FW_DST] = p[EMBER_FW_STEP_DST_KIND];
        st->kind[EMB_FW_AUX] = p[EMBER_FW_STEP_AUX_KIND];
        st->index[EMB_FW_SRC] = p[EMBER_FW_STEP_SRC_INDEX];
        st->index[EMB_FW_DST] = p[EMBER_FW_STEP_DST_INDEX];
        st->index[EMB_FW_AUX] = p[EMBER_FW_STEP_AUX_INDEX];
        st->len = ember_fw_get32(p, EMBER_FW_STEP_LEN_FIELD);
        st->m = ember_fw_get32(p, EMBER_FW_STEP_M);
        st->n = ember_fw_get32(p, EMBER_FW_STEP_N);
        st->k = ember_fw_get32(p, EMBER_FW_STEP_K);
        if (!ember_fw_step_ok(w, st)) {
            return false;
        }
    }
    /* Every output is written by some step */
    for (o = 0; o < w->noutputs; o++) {
        for (i = 0; i < w->nsteps; i++) {
            if (w->steps[i].kind[EMB_FW_DST] == EMBER_FW_OPND_OUTPUT &&
                w->steps[i].index[EMB_FW_DST] == o) {
                break;
            }
        }
        if (i == w->nsteps) {
            return false;
        }
    }
    return true;
}

/* LOAD_WORKLOAD (§15.3): regions allocated, zeroed, filled by the image */
static uint32_t ember_fw_cmd_load(EmberState *s, uint32_t handle,
                                  const uint8_t *cmd, uint32_t len,
                                  uint8_t *out)
{
    uint32_t image_tag = ember_fw_get32(cmd, EMBER_FW_LOAD_IMAGE_TAG);
    g_autofree EmberWorkload *tmp = g_new0(EmberWorkload, 1);
    EmberFwClient *c = NULL;
    EmberFwXfer *img = NULL;
    EmberWorkload *w = NULL;
    uint64_t room = 0, done = 0, alloc, chunk;
    unsigned i;

    if (!ember_fw_parse_load(s, cmd, len, tmp)) {
        return EMBER_NNC_ST_INVAL;
    }
    for (i = 0; i < tmp->nregions; i++) {
        room += tmp->region_size[i];
    }
    if (image_tag) {
        c = ember_fw_client(s, handle, false);
        img = c ? ember_fw_xfer(c, image_tag) : NULL;
        if (!img) {
            return EMBER_NNC_ST_NOENT;
        }
        if (img->size > room) {
            return EMBER_NNC_ST_INVAL;
        }
    }
    for (i = 0; i < EMBER_FW_MAX_WORKLOADS; i++) {
        if (!s->fw.wl[i].id) {
            w = &s->fw.wl[i];
            break;
        }
    }
    if (!w) {
        return EMBER_NNC_ST_NOSPC;
    }
    for (i = 0; i < tmp->nregions; i++) {
        alloc = ROUND_UP(tmp->region_size[i], EMBER_FW_REGION_ALIGN);
        if (!ember_fw_alloc(s, alloc, &tmp->region_off[i])) {
            while (i--) {
                ember_fw_free(s, tmp->region_off[i]);
            }
            return EMBER_NNC_ST_NOSPC;
        }
    }
    /* Zero the regions, then the image fills region 0, 1, ... in order */
    for (i = 0; i < tmp->nregions; i++) {
        alloc = ROUND_UP(tmp->region_size[i], EMBER_FW_REGION_ALIGN);
        memset(s->devmem_ptr + tmp->region_off[i], 0, alloc);
        if (img && done < img->size) {
            chunk = MIN(tmp->region_size[i], img->size - done);
            memcpy(s->devmem_ptr + tmp->region_off[i], img->data + done,
                   chunk);
            done += chunk;
        }
    }
    if (img) {
        ember_fw_drop_xfer(s, c, img);
        ember_fw_client_put(c);
    }
    do {
        tmp->id = s->fw.next_wl_id++;
    } while (!tmp->id || ember_fw_workload(s, tmp->id));
    tmp->handle = handle;
    *w = *tmp;
    trace_ember_fw_workload_load(handle, w->id, w->name, w->nregions, done);

    ember_fw_put32(out, EMBER_FW_LOAD_RSP_ID, w->id);
    ember_fw_put32(out, EMBER_FW_LOAD_RSP_NREGIONS, w->nregions);
    ember_fw_put64(out, EMBER_FW_LOAD_RSP_IMAGE_BYTES, done);
    for (i = 0; i < w->nregions; i++) {
        ember_fw_put64(out, EMBER_FW_LOAD_RSP_OFFSETS +
                       EMBER_FW_REGION_ENTRY_LEN * i, w->region_off[i]);
    }
    return EMBER_NNC_ST_OK;
}

/* UNLOAD_WORKLOAD (§15.4) */
static uint32_t ember_fw_cmd_unload(EmberState *s, uint32_t handle,
                                    const uint8_t *cmd, uint32_t len,
                                    uint8_t *out)
{
    uint32_t id = ember_fw_get32(cmd, EMBER_FW_UNLOAD_ID);
    EmberWorkload *w;

    if (len != EMBER_FW_UNLOAD_LEN ||
        ember_fw_get32(cmd, EMBER_FW_UNLOAD_RSVD)) {
        return EMBER_NNC_ST_INVAL;
    }
    w = ember_fw_workload(s, id);
    if (!w) {
        return EMBER_NNC_ST_NOENT;
    }
    if (w->handle != handle) {
        return EMBER_NNC_ST_PERM;
    }
    /* The model executes no workload itself: never BUSY */
    trace_ember_fw_workload_unload(handle, id);
    ember_fw_unload(s, w);
    ember_fw_put32(out, EMBER_FW_UNLOAD_ID, id);
    return EMBER_NNC_ST_OK;
}

/* QUERY (§15.5): the function's resources as the client sees them */
static uint32_t ember_fw_cmd_query(EmberState *s, uint32_t handle,
                                   const uint8_t *cmd, uint32_t len,
                                   uint8_t *out)
{
    EmberFwClient *c = ember_fw_client(s, handle, false);
    uint32_t dbcs_free = 0, owned = 0, workloads = 0;
    unsigned i;

    if (len != EMBER_FW_QUERY_LEN ||
        !buffer_is_zero(cmd + EMBER_FW_HDR_LEN,
                        len - EMBER_FW_HDR_LEN)) {
        return EMBER_NNC_ST_INVAL;
    }
    for (i = 0; i < s->num_dbcs; i++) {
        if (s->dbc[i].fw_active) {
            owned += s->dbc[i].fw_owner == handle;
        } else if (!s->dbc[i].enabled) {
            dbcs_free++;
        }
    }
    for (i = 0; i < EMBER_FW_MAX_WORKLOADS; i++) {
        workloads += s->fw.wl[i].id && s->fw.wl[i].handle == handle;
    }
    ember_fw_put32(out, EMBER_FW_QUERY_DBCS_TOTAL, s->num_dbcs);
    ember_fw_put32(out, EMBER_FW_QUERY_DBCS_FREE, dbcs_free);
    ember_fw_put64(out, EMBER_FW_QUERY_DEVMEM_TOTAL, ember_fw_devmem_size(s));
    ember_fw_put64(out, EMBER_FW_QUERY_DEVMEM_FREE,
                   ember_fw_devmem_size(s) - s->fw.devmem_used);
    ember_fw_put32(out, EMBER_FW_QUERY_WORKLOADS, workloads);
    ember_fw_put32(out, EMBER_FW_QUERY_DBCS_OWNED, owned);
    ember_fw_put64(out, EMBER_FW_QUERY_STAGED_BYTES, c ? c->staged : 0);
    return EMBER_NNC_ST_OK;
}

/*
 * Execute one command. The reply data goes to the message's scratch
 * buffer; it is as long as the command (nnc.md §15) on success and empty
 * on failure.
 */
uint32_t ember_fw_passthrough(EmberState *s, uint32_t handle,
                              const struct ember_nnc_req *req,
                              struct ember_nnc_rsp *rsp)
{
    const uint8_t *cmd = req->u.pt.data;
    uint32_t len = req->u.pt.len, st;
    uint8_t *out = s->mbox_data + s->mbox_data_used;
    uint16_t op;

    rsp->u.pt.data = out;
    rsp->u.pt.len = 0;
    if (len < EMBER_FW_HDR_LEN) {
        trace_ember_fw_cmd(handle, 0, len, EMBER_NNC_ST_INVAL);
        return EMBER_NNC_ST_INVAL;
    }
    op = ember_fw_get16(cmd, EMBER_FW_HDR_CMD);
    if (op < EMBER_FW_CMD_ECHO || op > EMBER_FW_CMD_QUERY) {
        qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: unknown command 0x%x\n",
                      op);
        trace_ember_fw_cmd(handle, op, len, EMBER_NNC_ST_UNSUPPORTED);
        return EMBER_NNC_ST_UNSUPPORTED;
    }
    if (ember_fw_get16(cmd, EMBER_FW_HDR_FLAGS) ||
        ember_fw_get32(cmd, EMBER_FW_HDR_LEN_FIELD) != len) {
        trace_ember_fw_cmd(handle, op, len, EMBER_NNC_ST_INVAL);
        return EMBER_NNC_ST_INVAL;
    }
    memset(out, 0, len);
    switch (op) {
    case EMBER_FW_CMD_ECHO:
        memcpy(out, cmd, len);
        st = EMBER_NNC_ST_OK;
        break;
    case EMBER_FW_CMD_LOAD_WORKLOAD:
        st = ember_fw_cmd_load(s, handle, cmd, len, out);
        break;
    case EMBER_FW_CMD_UNLOAD_WORKLOAD:
        st = ember_fw_cmd_unload(s, handle, cmd, len, out);
        break;
    default:
        st = ember_fw_cmd_query(s, handle, cmd, len, out);
        break;
    }
    trace_ember_fw_cmd(handle, op, len, st);
    if (st != EMBER_NNC_ST_OK) {
        return st;
    }
    ember_fw_put_hdr(out, op | EMBER_FW_CMD_REPLY, len);
    rsp->u.pt.len = len;
    s->mbox_data_used += len;
    return EMBER_NNC_ST_OK;
}

