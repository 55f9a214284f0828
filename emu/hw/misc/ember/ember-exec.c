/*
 * ember AI accelerator: execution kernels (docs/hardware.md §5.3)
 *
 * The operations a DBC request asks for: NOP, COPY, FILL, CRC32 and
 * GEMM_I8, each between host memory (bus master DMA) and device memory
 * (BAR2) in either direction. Every kernel checks its ranges first and
 * returns the response status (EMBER_RSP_*); none keeps state.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "ember.h"

#include <zlib.h>

static uint8_t ember_op_copy(EmberState *s, const EmberReq *r)
{
    bool src_dev = r->flags & EMBER_REQ_SRC_DEVMEM;
    bool dst_dev = r->flags & EMBER_REQ_DST_DEVMEM;
    uint64_t done;

    if (r->len == 0) {
        return EMBER_RSP_OK;
    }
    if ((src_dev && !ember_devmem_range_ok(s, r->src, r->len)) ||
        (dst_dev && !ember_devmem_range_ok(s, r->dst, r->len))) {
        return EMBER_RSP_DMA_ERROR;
    }
    if (src_dev && dst_dev) {
        memmove(s->devmem_ptr + r->dst, s->devmem_ptr + r->src, r->len);
        return EMBER_RSP_OK;
    }
    if (dst_dev) {
        return ember_host_read(s, r->src, s->devmem_ptr + r->dst, r->len) ==
               MEMTX_OK ? EMBER_RSP_OK : EMBER_RSP_DMA_ERROR;
    }
    if (src_dev) {
        return ember_host_write(s, r->dst, s->devmem_ptr + r->src, r->len) ==
               MEMTX_OK ? EMBER_RSP_OK : EMBER_RSP_DMA_ERROR;
    }
    /* host -> host through the bounce buffer */
    if (r->src + r->len < r->src || r->dst + r->len < r->dst) {
        return EMBER_RSP_DMA_ERROR;
    }
    for (done = 0; done < r->len; done += EMB_BOUNCE_SIZE) {
        uint64_t chunk = MIN(EMB_BOUNCE_SIZE, r->len - done);

        if (ember_host_read(s, r->src + done, s->bounce, chunk) != MEMTX_OK ||
            ember_host_write(s, r->dst + done, s->bounce, chunk) != MEMTX_OK) {
            return EMBER_RSP_DMA_ERROR;
        }
    }
    return EMBER_RSP_OK;
}

static uint8_t ember_op_fill(EmberState *s, const EmberReq *r)
{
    uint8_t pattern = r->aux & 0xff;
    uint64_t done;

    if (r->len == 0) {
        return EMBER_RSP_OK;
    }
    if (r->flags & EMBER_REQ_DST_DEVMEM) {
        if (!ember_devmem_range_ok(s, r->dst, r->len)) {
            return EMBER_RSP_DMA_ERROR;
        }
        memset(s->devmem_ptr + r->dst, pattern, r->len);
        return EMBER_RSP_OK;
    }
    if (r->dst + r->len < r->dst) {
        return EMBER_RSP_DMA_ERROR;
    }
    memset(s->bounce, pattern, MIN(EMB_BOUNCE_SIZE, r->len));
    for (done = 0; done < r->len; done += EMB_BOUNCE_SIZE) {
        uint64_t chunk = MIN(EMB_BOUNCE_SIZE, r->len - done);

        if (ember_host_write(s, r->dst + done, s->bounce, chunk) != MEMTX_OK) {
            return EMBER_RSP_DMA_ERROR;
        }
    }
    return EMBER_RSP_OK;
}

static uint8_t ember_op_crc32(EmberState *s, const EmberReq *r,
                              uint32_t *result)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    uint64_t done;
    uint32_t le;

    if (r->flags & EMBER_REQ_SRC_DEVMEM) {
        if (!ember_devmem_range_ok(s, r->src, r->len)) {
            return EMBER_RSP_DMA_ERROR;
        }
    } else if (r->src + r->len < r->src) {
        return EMBER_RSP_DMA_ERROR;
    }
    if (r->dst && (r->flags & EMBER_REQ_DST_DEVMEM) &&
        !ember_devmem_range_ok(s, r->dst, 4)) {
        return EMBER_RSP_DMA_ERROR;
    }
    for (done = 0; done < r->len; done += EMB_BOUNCE_SIZE) {
        uint64_t chunk = MIN(EMB_BOUNCE_SIZE, r->len - done);
        const uint8_t *p;

        if (r->flags & EMBER_REQ_SRC_DEVMEM) {
            p = s->devmem_ptr + r->src + done;
        } else {
            if (ember_host_read(s, r->src + done, s->bounce, chunk) !=
                MEMTX_OK) {
                return EMBER_RSP_DMA_ERROR;
            }
            p = s->bounce;
        }
        crc = crc32(crc, p, chunk);
    }
    *result = crc;
    if (r->dst) {
        le = cpu_to_le32(*result);
        if (r->flags & EMBER_REQ_DST_DEVMEM) {
            memcpy(s->devmem_ptr + r->dst, &le, 4);
        } else if (ember_host_write(s, r->dst, &le, 4) != MEMTX_OK) {
            return EMBER_RSP_DMA_ERROR;
        }
    }
    return EMBER_RSP_OK;
}

static uint8_t ember_op_gemm(EmberState *s, const EmberReq *r)
{
    bool src_dev = r->flags & EMBER_REQ_SRC_DEVMEM;
    bool dst_dev = r->flags & EMBER_REQ_DST_DEVMEM;
    uint64_t m = r->m, n = r->n, k = r->k;
    uint64_t a_size = m * k, b_size = k * n, c_row = n * 4;
    g_autofree int8_t *b_buf = NULL;
    g_autofree int8_t *a_row = NULL;
    g_autofree uint32_t *acc = NULL;
    const int8_t *b, *a;
    uint64_t i, j, kk;

    if (m < 1 || m > EMB_GEMM_DIM_MAX || n < 1 || n > EMB_GEMM_DIM_MAX ||
        k < 1 || k > EMB_GEMM_DIM_MAX) {
        return EMBER_RSP_BAD_PARAM;
    }
    if (src_dev) {
        if (!ember_devmem_range_ok(s, r->src, a_size) ||
            !ember_devmem_range_ok(s, r->aux, b_size)) {
            return EMBER_RSP_DMA_ERROR;
        }
        b = (const int8_t *)(s->devmem_ptr + r->aux);
    } else {
        if (r->src + a_size < r->src) {
            return EMBER_RSP_DMA_ERROR;
        }
        b_buf = g_malloc(b_size);
        if (ember_host_read(s, r->aux, b_buf, b_size) != MEMTX_OK) {
            return EMBER_RSP_DMA_ERROR;
        }
        b = b_buf;
        a_row = g_malloc(k);
    }
    if (dst_dev) {
        if (!ember_devmem_range_ok(s, r->dst, m * c_row)) {
            return EMBER_RSP_DMA_ERROR;
        }
    } else if (r->dst + m * c_row < r->dst) {
        return EMBER_RSP_DMA_ERROR;
    }

    acc = g_malloc(c_row);
    for (i = 0; i < m; i++) {
        if (src_dev) {
            a = (const int8_t *)(s->devmem_ptr + r->src + i * k);
        } else {
            if (ember_host_read(s, r->src + i * k, a_row, k) != MEMTX_OK) {
                return EMBER_RSP_DMA_ERROR;
            }
            a = a_row;
        }
        memset(acc, 0, c_row);
        for (kk = 0; kk < k; kk++) {
            int32_t av = a[kk];
            const int8_t *brow = b + kk * n;

            if (!av) {
                continue;
            }
            for (j = 0; j < n; j++) {
                acc[j] += (uint32_t)(av * (int32_t)brow[j]);
            }
        }
        for (j = 0; j < n; j++) {
            acc[j] = cpu_to_le32(acc[j]);
        }
        if (dst_dev) {
            memcpy(s->devmem_ptr + r->dst + i * c_row, acc, c_row);
        } else if (ember_host_write(s, r->dst + i * c_row, acc, c_row) !=
                   MEMTX_OK) {
            return EMBER_RSP_DMA_ERROR;
        }
    }
    return EMBER_RSP_OK;
}

/* Check the request fields common to all operations (§5.2) */
uint8_t ember_req_validate(const EmberReq *r)
{
    if (r->opcode > EMBER_HW_OP_GEMM_I8) {
        return EMBER_RSP_BAD_OPCODE;
    }
    if (r->rsvd0 || r->rsvd1 || (r->flags & ~EMB_REQ_FLAGS_VALID)) {
        return EMBER_RSP_BAD_PARAM;
    }
    if (r->opcode != EMBER_HW_OP_GEMM_I8 && r->opcode != EMBER_HW_OP_NOP &&
        r->len > EMBER_REQ_MAX_LEN) {
        return EMBER_RSP_BAD_PARAM;
    }
    return EMBER_RSP_OK;
}

uint8_t ember_req_execute(EmberState *s, const EmberReq *r, uint32_t *result)
{
    *result = 0;
    switch (r->opcode) {
    case EMBER_HW_OP_NOP:
        return EMBER_RSP_OK;
    case EMBER_HW_OP_COPY:
        return ember_op_copy(s, r);
    case EMBER_HW_OP_FILL:
        return ember_op_fill(s, r);
    case EMBER_HW_OP_CRC32:
        return ember_op_crc32(s, r, result);
    case EMBER_HW_OP_GEMM_I8:
        return ember_op_gemm(s, r);
    default:
        return EMBER_RSP_BAD_OPCODE;
    }
}

/* Bytes a request moves, for batching (§5.4) */
uint64_t ember_req_bytes(const EmberReq *r)
{
    if (r->opcode == EMBER_HW_OP_GEMM_I8) {
        return (uint64_t)r->m * r->k + (uint64_t)r->k * r->n +
               (uint64_t)r->m * r->n * 4;
    }
    return r->len;
}
