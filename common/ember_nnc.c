// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * ember NNC codec: encode requests, decode replies (driver side), decode
 * requests, encode replies (firmware side), validate everything. The wire
 * format is docs/nnc.md; its §10 lists the checks in the order made here.
 *
 * All wire access goes through the little-endian byte helpers below, so
 * the code is independent of host endianness and never does an unaligned
 * load. Lengths are __u32 and bounded by EMBER_NNC_MSG_MAX before they are
 * added; 64-bit sums (DMA bytes, addresses) are checked against U64 wrap.
 */
#ifdef __KERNEL__
#include <linux/crc32.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "ember_nnc.h"

#define NNC_U64_MAX		(~(__u64)0)

/* Offsets common to every transaction */
#define NNC_T_TYPE		0
#define NNC_T_LEN		4
#define NNC_T_STATUS		8
#define NNC_T_MIN_LEN		16	/* smallest transaction */

/* STATUS */
#define NNC_ST_FEATURES		12
#define NNC_ST_MAJOR		16
#define NNC_ST_MINOR		18
#define NNC_ST_RSVD		20

/* PASSTHROUGH */
#define NNC_PT_RSVD		12
#define NNC_PT_DATA		16

/* DMA_XFER request */
#define NNC_DMA_FLAGS		12
#define NNC_DMA_TAG		16
#define NNC_DMA_XFER_ID		20
#define NNC_DMA_NSEGS		24
#define NNC_DMA_RSVD		28
#define NNC_DMA_OFFSET		32
#define NNC_DMA_TOTAL		40
#define NNC_DMA_SEGS		48

/* DMA_XFER reply */
#define NNC_DMA_R_XFER_ID	12
#define NNC_DMA_R_RECEIVED	16

/* ACTIVATE request / reply */
#define NNC_ACT_RING_SIZE	12
#define NNC_ACT_REQ_BASE	16
#define NNC_ACT_RSP_BASE	24
#define NNC_ACT_R_DBC_ID	12

/* DEACTIVATE, TERMINATE */
#define NNC_DEACT_DBC_ID	12
#define NNC_TERM_HANDLE		12
#define NNC_TERM_R_RELEASED	12

#ifdef __KERNEL__
static __u32 nnc_crc32_le(__u32 crc, const __u8 *p, size_t len)
{
	return crc32_le(crc, p, len);
}
#else
/*
 * Same function as the kernel's crc32_le(): reflected CRC-32, polynomial
 * 0xedb88320, no pre- or post-inversion; four bits per step.
 */
static const __u32 nnc_crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
	0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

static __u32 nnc_crc32_le(__u32 crc, const __u8 *p, size_t len)
{
	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ nnc_crc_nibble[crc & 15];
		crc = (crc >> 4) ^ nnc_crc_nibble[crc & 15];
	}
	return crc;
}
#endif

static __u16 nnc_get16(const __u8 *p)
{
	return (__u16)(p[0] | (__u16)p[1] << 8);
}

static __u32 nnc_get32(const __u8 *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

static __u64 nnc_get64(const __u8 *p)
{
	return (__u64)nnc_get32(p) | (__u64)nnc_get32(p + 4) << 32;
}

static void nnc_put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)v;
	p[1] = (__u8)(v >> 8);
}

static void nnc_put32(__u8 *p, __u32 v)
{
	p[0] = (__u8)v;
	p[1] = (__u8)(v >> 8);
	p[2] = (__u8)(v >> 16);
	p[3] = (__u8)(v >> 24);
}

static void nnc_put64(__u8 *p, __u64 v)
{
	nnc_put32(p, (__u32)v);
	nnc_put32(p + 4, (__u32)(v >> 32));
}

static int nnc_fail(enum ember_nnc_reason *why, enum ember_nnc_reason r,
		    int err)
{
	if (why)
		*why = r;
	return err;
}

static void nnc_ok(enum ember_nnc_reason *why)
{
	if (why)
		*why = EMBER_NNC_OK;
}

/**
 * ember_nnc_crc32() - CRC of a message as carried in its crc32 field
 * @msg: the message, at least EMBER_NNC_HDR_LEN bytes.
 * @len: its length (the header's len field).
 *
 * zlib-compatible CRC-32 (zlib's crc32(0, ...), kernel crc32_le(~0, ...)
 * ^ ~0) of the @len bytes of the message with bytes 28..31 (the crc32
 * field) taken as zero. A @len below EMBER_NNC_HDR_LEN is hashed as is.
 *
 * Return: the CRC.
 */
__u32 ember_nnc_crc32(const void *msg, __u32 len)
{
	static const __u8 zero[4];
	const __u8 *p = msg;
	__u32 crc = ~0u;

	if (len < EMBER_NNC_HDR_LEN)
		return ~nnc_crc32_le(crc, p, len);
	crc = nnc_crc32_le(crc, p, EMBER_NNC_OFF_CRC);
	crc = nnc_crc32_le(crc, zero, sizeof(zero));
	crc = nnc_crc32_le(crc, p + EMBER_NNC_HDR_LEN, len - EMBER_NNC_HDR_LEN);
	return ~crc;
}

static bool nnc_type_known(__u32 type)
{
	return type >= EMBER_NNC_T_STATUS && type <= EMBER_NNC_T_TERMINATE;
}

/* A segment is valid if it is non-empty and does not wrap. */
static bool nnc_seg_ok(__u64 addr, __u64 len)
{
	return len && len <= NNC_U64_MAX - addr;
}

static bool nnc_ring_ok(__u32 size, __u64 req, __u64 rsp)
{
	__u64 req_bytes = (__u64)size * EMBER_NNC_REQ_ELEM;
	__u64 rsp_bytes = (__u64)size * EMBER_NNC_RSP_ELEM;

	if (size < EMBER_NNC_RING_MIN || size > EMBER_NNC_RING_MAX ||
	    (size & (size - 1)))
		return false;
	if (!req || req % EMBER_NNC_REQ_ELEM || !rsp ||
	    rsp % EMBER_NNC_RSP_ELEM)
		return false;
	if (req_bytes > NNC_U64_MAX - req || rsp_bytes > NNC_U64_MAX - rsp)
		return false;
	/* The two rings must not overlap. */
	return req + req_bytes <= rsp || rsp + rsp_bytes <= req;
}

/* Status sequence of one message: OK* [FAIL NOT_RUN*]. */
static bool nnc_status_next(__u32 status, bool *failed)
{
	if (status >= EMBER_NNC_ST_COUNT)
		return false;
	if (*failed)
		return status == EMBER_NNC_ST_NOT_RUN;
	if (status == EMBER_NNC_ST_NOT_RUN)
		return false;
	if (status != EMBER_NNC_ST_OK)
		*failed = true;
	return true;
}

/* ---- request encoder ------------------------------------------------ */

static int nnc_check_req(const struct ember_nnc_req *t, __u32 nreqs, __u32 handle,
			 enum ember_nnc_reason *why)
{
	__u64 sum = 0;
	__u32 i;

	switch (t->type) {
	case EMBER_NNC_T_STATUS:
		return 0;
	case EMBER_NNC_T_PASSTHROUGH:
		if (t->u.pt.len % EMBER_NNC_ALIGN ||
		    t->u.pt.len > EMBER_NNC_PT_DATA_MAX)
			return nnc_fail(why, EMBER_NNC_E_PT_LEN, -EINVAL);
		if (t->u.pt.len && !t->u.pt.data)
			return nnc_fail(why, EMBER_NNC_E_ARG, -EINVAL);
		return 0;
	case EMBER_NNC_T_DMA_XFER:
		if (t->u.dma.flags & ~(__u32)EMBER_NNC_DMA_ABORT)
			return nnc_fail(why, EMBER_NNC_E_DMA_FLAGS, -EINVAL);
		if (!t->u.dma.xfer_id)
			return nnc_fail(why, EMBER_NNC_E_DMA_ID, -EINVAL);
		if (t->u.dma.flags & EMBER_NNC_DMA_ABORT) {
			if (t->u.dma.nsegs)
				return nnc_fail(why, EMBER_NNC_E_DMA_SEGS,
						-EINVAL);
			if (t->u.dma.tag)
				return nnc_fail(why, EMBER_NNC_E_RESERVED,
						-EINVAL);
			return 0;
		}
		if (!t->u.dma.nsegs)
			return nnc_fail(why, EMBER_NNC_E_DMA_SEGS, -EINVAL);
		if (!t->u.dma.segs)
			return nnc_fail(why, EMBER_NNC_E_ARG, -EINVAL);
		for (i = 0; i < t->u.dma.nsegs; i++) {
			const struct ember_nnc_seg *s = &t->u.dma.segs[i];

			if (!nnc_seg_ok(s->addr, s->len))
				return nnc_fail(why, EMBER_NNC_E_DMA_SEG,
						-EINVAL);
			if (s->len > NNC_U64_MAX - sum)
				return nnc_fail(why, EMBER_NNC_E_DMA_RANGE,
						-EINVAL);
			sum += s->len;
		}
		return 0;
	case EMBER_NNC_T_ACTIVATE:
		if (!nnc_ring_ok(t->u.act.ring_size, t->u.act.req_base,
				 t->u.act.rsp_base))
			return nnc_fail(why, EMBER_NNC_E_RING, -EINVAL);
		return 0;
	case EMBER_NNC_T_DEACTIVATE:
		return 0;
	case EMBER_NNC_T_TERMINATE:
		if (nreqs != 1 || !handle || t->u.term.handle != handle)
			return nnc_fail(why, EMBER_NNC_E_TERMINATE, -EINVAL);
		return 0;
	default:
		return nnc_fail(why, EMBER_NNC_E_TYPE, -EINVAL);
	}
}

/**
 * ember_nnc_enc_init() - validate request transactions, start encoding
 * @enc: encoder state to initialise.
 * @reqs: the transactions, in execution order; must stay valid (with the
 *	passthrough data and DMA segment lists they point to) until the last
 *	ember_nnc_enc_next() call.
 * @nreqs: number of @reqs, at least 1.
 * @handle: client handle for every message (0: the driver itself).
 * @flags: EMBER_NNC_F_CRC to protect the messages with a CRC, or 0.
 * @why: if not NULL, receives the reason of a failure (EMBER_NNC_OK else).
 *
 * Everything is checked before anything is encoded, so a bad transaction
 * is refused before any message reaches the firmware.
 *
 * Return: 0, or -EINVAL if a transaction or argument is invalid.
 */
int ember_nnc_enc_init(struct ember_nnc_enc *enc,
		       const struct ember_nnc_req *reqs, __u32 nreqs,
		       __u32 handle, __u32 flags, enum ember_nnc_reason *why)
{
	__u32 i;
	int ret;

	if (!enc || (!reqs && nreqs))
		return nnc_fail(why, EMBER_NNC_E_ARG, -EINVAL);
	if (!nreqs)
		return nnc_fail(why, EMBER_NNC_E_COUNT, -EINVAL);
	if (flags & ~(__u32)EMBER_NNC_F_CRC)
		return nnc_fail(why, EMBER_NNC_E_FLAGS, -EINVAL);
	for (i = 0; i < nreqs; i++) {
		ret = nnc_check_req(&reqs[i], nreqs, handle, why);
		if (ret)
			return ret;
	}
	memset(enc, 0, sizeof(*enc));
	enc->reqs = reqs;
	enc->nreqs = nreqs;
	enc->handle = handle;
	enc->flags = flags;
	nnc_ok(why);
	return 0;
}

/**
 * ember_nnc_enc_done() - whether every transaction has been encoded
 * @enc: encoder state.
 *
 * Return: true when ember_nnc_enc_next() has nothing left to encode.
 */
bool ember_nnc_enc_done(const struct ember_nnc_enc *enc)
{
	return enc->next >= enc->nreqs;
}

static __u32 nnc_req_len(const struct ember_nnc_req *t)
{
	switch (t->type) {
	case EMBER_NNC_T_STATUS:
		return EMBER_NNC_STATUS_LEN;
	case EMBER_NNC_T_PASSTHROUGH:
		return EMBER_NNC_PT_HDR_LEN + t->u.pt.len;
	case EMBER_NNC_T_DMA_XFER:	/* ABORT only: no segments */
		return EMBER_NNC_DMA_HDR_LEN;
	case EMBER_NNC_T_ACTIVATE:
		return EMBER_NNC_ACT_LEN;
	default:			/* DEACTIVATE, TERMINATE */
		return EMBER_NNC_DEACT_LEN;
	}
}

/* Every byte of a transaction is written explicitly by its encoder. */
static void nnc_put_trans_hdr(__u8 *p, __u32 type, __u32 len)
{
	nnc_put32(p + NNC_T_TYPE, type);
	nnc_put32(p + NNC_T_LEN, len);
	nnc_put32(p + NNC_T_STATUS, 0);
}

/* Encode a non-split request transaction of @len bytes at @p. */
static void nnc_put_req(__u8 *p, const struct ember_nnc_req *t, __u32 len,
			__u32 *key)
{
	nnc_put_trans_hdr(p, t->type, len);
	*key = 0;
	switch (t->type) {
	case EMBER_NNC_T_STATUS:
		nnc_put32(p + NNC_ST_FEATURES, t->u.status.features);
		nnc_put16(p + NNC_ST_MAJOR, EMBER_NNC_MAJOR);
		nnc_put16(p + NNC_ST_MINOR, EMBER_NNC_MINOR);
		nnc_put32(p + NNC_ST_RSVD, 0);
		break;
	case EMBER_NNC_T_PASSTHROUGH:
		nnc_put32(p + NNC_PT_RSVD, 0);
		if (t->u.pt.len)
			memcpy(p + NNC_PT_DATA, t->u.pt.data, t->u.pt.len);
		break;
	case EMBER_NNC_T_DMA_XFER:	/* ABORT */
		memset(p + NNC_DMA_FLAGS, 0, EMBER_NNC_DMA_HDR_LEN -
		       NNC_DMA_FLAGS);
		nnc_put32(p + NNC_DMA_FLAGS, EMBER_NNC_DMA_ABORT);
		nnc_put32(p + NNC_DMA_XFER_ID, t->u.dma.xfer_id);
		*key = t->u.dma.xfer_id;
		break;
	case EMBER_NNC_T_ACTIVATE:
		nnc_put32(p + NNC_ACT_RING_SIZE, t->u.act.ring_size);
		nnc_put64(p + NNC_ACT_REQ_BASE, t->u.act.req_base);
		nnc_put64(p + NNC_ACT_RSP_BASE, t->u.act.rsp_base);
		break;
	case EMBER_NNC_T_DEACTIVATE:
		nnc_put32(p + NNC_DEACT_DBC_ID, t->u.deact.dbc_id);
		*key = t->u.deact.dbc_id;
		break;
	default:			/* TERMINATE */
		nnc_put32(p + NNC_TERM_HANDLE, t->u.term.handle);
		break;
	}
}

/*
 * Encode the next chunk of the DMA_XFER @t (at most @room bytes) at @p.
 * Returns the bytes written, 0 if not even one segment fits.
 */
static __u32 nnc_put_dma_chunk(struct ember_nnc_enc *enc, __u8 *p,
			       __u32 room, const struct ember_nnc_req *t,
			       bool *more, __u64 *received)
{
	__u32 left = t->u.dma.nsegs - enc->seg_done;
	__u64 bytes = 0;
	__u32 fit, k, i, len;

	if (room < EMBER_NNC_DMA_HDR_LEN + EMBER_NNC_DMA_SEG_LEN)
		return 0;
	if (!enc->seg_done) {
		enc->byte_done = 0;
		enc->total = 0;
		for (i = 0; i < t->u.dma.nsegs; i++)
			enc->total += t->u.dma.segs[i].len;
	}
	fit = (room - EMBER_NNC_DMA_HDR_LEN) / EMBER_NNC_DMA_SEG_LEN;
	k = fit < left ? fit : left;
	*more = k < left;
	len = EMBER_NNC_DMA_HDR_LEN + k * EMBER_NNC_DMA_SEG_LEN;

	for (i = 0; i < k; i++) {
		const struct ember_nnc_seg *s =
			&t->u.dma.segs[enc->seg_done + i];
		__u8 *q = p + NNC_DMA_SEGS + i * EMBER_NNC_DMA_SEG_LEN;

		nnc_put64(q, s->addr);
		nnc_put64(q + 8, s->len);
		bytes += s->len;
	}
	nnc_put_trans_hdr(p, EMBER_NNC_T_DMA_XFER, len);
	nnc_put32(p + NNC_DMA_FLAGS, *more ? EMBER_NNC_DMA_MORE : 0);
	nnc_put32(p + NNC_DMA_TAG, t->u.dma.tag);
	nnc_put32(p + NNC_DMA_XFER_ID, t->u.dma.xfer_id);
	nnc_put32(p + NNC_DMA_NSEGS, k);
	nnc_put32(p + NNC_DMA_RSVD, 0);
	nnc_put64(p + NNC_DMA_OFFSET, enc->byte_done);
	nnc_put64(p + NNC_DMA_TOTAL, enc->total);

	*received = enc->byte_done + bytes;
	if (*more) {
		enc->seg_done += k;
		enc->byte_done += bytes;
	} else {
		enc->seg_done = 0;
		enc->byte_done = 0;
	}
	return len;
}

static void nnc_put_hdr(__u8 *p, __u32 seq, __u32 len, __u32 count, __u32 handle,
			__u16 flags, __u16 status)
{
	nnc_put32(p + EMBER_NNC_OFF_MAGIC, EMBER_NNC_MAGIC);
	nnc_put16(p + EMBER_NNC_OFF_MAJOR, EMBER_NNC_MAJOR);
	nnc_put16(p + EMBER_NNC_OFF_MINOR, EMBER_NNC_MINOR);
	nnc_put32(p + EMBER_NNC_OFF_SEQ, seq);
	nnc_put32(p + EMBER_NNC_OFF_LEN, len);
	nnc_put32(p + EMBER_NNC_OFF_COUNT, count);
	nnc_put32(p + EMBER_NNC_OFF_HANDLE, handle);
	nnc_put16(p + EMBER_NNC_OFF_FLAGS, flags);
	nnc_put16(p + EMBER_NNC_OFF_STATUS, status);
	nnc_put32(p + EMBER_NNC_OFF_CRC, 0);
	if (flags & EMBER_NNC_F_CRC)
		nnc_put32(p + EMBER_NNC_OFF_CRC, ember_nnc_crc32(p, len));
}

/**
 * ember_nnc_enc_next() - encode the next request message
 * @enc: encoder state from ember_nnc_enc_init().
 * @buf: where to write the message (a mailbox slot).
 * @size: bytes available at @buf; messages are at most
 *	min(@size, EMBER_NNC_MSG_MAX) rounded down to a multiple of 8.
 * @seq: sequence number for this message.
 * @info: if not NULL, receives what ember_nnc_decode_reply() needs to
 *	validate the reply to this message.
 * @why: if not NULL, receives the reason of a failure.
 *
 * Packs the remaining transactions in order, as many as fit (at most
 * EMBER_NNC_MAX_TRANS). A DMA_XFER whose segments do not all fit is split:
 * this message carries as many segments as fit with the MORE flag and
 * ends there; the next message starts with the continuation.
 *
 * Return: the message length (> 0), 0 when all transactions have been
 * encoded, or -EINVAL if @size cannot hold the next transaction.
 */
int ember_nnc_enc_next(struct ember_nnc_enc *enc, void *buf, __u32 size,
		       __u32 seq, struct ember_nnc_msg_info *info,
		       enum ember_nnc_reason *why)
{
	__u32 limit, off = EMBER_NNC_HDR_LEN, count = 0, first;
	bool more = false;
	__u8 *p = buf;

	if (!enc || !buf)
		return nnc_fail(why, EMBER_NNC_E_ARG, -EINVAL);
	nnc_ok(why);
	if (enc->next >= enc->nreqs)
		return 0;
	limit = size < EMBER_NNC_MSG_MAX ? size : EMBER_NNC_MSG_MAX;
	limit &= ~(__u32)(EMBER_NNC_ALIGN - 1);
	if (limit < EMBER_NNC_HDR_LEN)
		return nnc_fail(why, EMBER_NNC_E_NOSPACE, -EINVAL);
	if (info)
		memset(info, 0, sizeof(*info));
	first = enc->next;

	while (enc->next < enc->nreqs && count < EMBER_NNC_MAX_TRANS) {
		const struct ember_nnc_req *t = &enc->reqs[enc->next];
		__u64 received = 0;
		__u32 len, key = 0;

		if (t->type == EMBER_NNC_T_DMA_XFER &&
		    !(t->u.dma.flags & EMBER_NNC_DMA_ABORT)) {
			len = nnc_put_dma_chunk(enc, p + off, limit - off, t,
						&more, &received);
			if (!len)
				break;
			key = t->u.dma.xfer_id;
		} else {
			len = nnc_req_len(t);
			if (len > limit - off)
				break;
			nnc_put_req(p + off, t, len, &key);
		}
		if (info) {
			info->trans[count].type = t->type;
			info->trans[count].len = len;
			info->trans[count].key = key;
			info->trans[count].received = received;
		}
		off += len;
		count++;
		if (more)
			break;
		enc->next++;
	}
	if (!count)
		return nnc_fail(why, EMBER_NNC_E_NOSPACE, -EINVAL);

	nnc_put_hdr(p, seq, off, count, enc->handle, (__u16)enc->flags, 0);
	if (info) {
		info->seq = seq;
		info->handle = enc->handle;
		info->len = off;
		info->flags = enc->flags;
		info->count = count;
		info->first = first;
		info->more = more;
	}
	return (int)off;
}

/* ---- decoders ------------------------------------------------------- */

/*
 * Header checks shared by both decoders, in the order of docs/nnc.md.
 * @info is the request for a reply, NULL for a request. @bad is the errno
 * of a malformed message (-EIO for replies, -EINVAL for requests).
 */
static int nnc_dec_hdr(const __u8 *p, __u32 size,
		       const struct ember_nnc_msg_info *info, __u32 dflags,
		       struct ember_nnc_hdr *h, enum ember_nnc_reason *why)
{
	bool reply = !!info;
	int bad = reply ? -EIO : -EINVAL;
	bool want_crc = dflags & EMBER_NNC_DEC_REQUIRE_CRC;

	if (size < EMBER_NNC_HDR_LEN)
		return nnc_fail(why, EMBER_NNC_E_SHORT, bad);
	if (nnc_get32(p + EMBER_NNC_OFF_MAGIC) != EMBER_NNC_MAGIC)
		return nnc_fail(why, EMBER_NNC_E_MAGIC, bad);
	h->major = nnc_get16(p + EMBER_NNC_OFF_MAJOR);
	h->minor = nnc_get16(p + EMBER_NNC_OFF_MINOR);
	h->seq = nnc_get32(p + EMBER_NNC_OFF_SEQ);
	h->len = nnc_get32(p + EMBER_NNC_OFF_LEN);
	h->count = nnc_get32(p + EMBER_NNC_OFF_COUNT);
	h->handle = nnc_get32(p + EMBER_NNC_OFF_HANDLE);
	h->flags = nnc_get16(p + EMBER_NNC_OFF_FLAGS);
	h->status = nnc_get16(p + EMBER_NNC_OFF_STATUS);
	h->crc = nnc_get32(p + EMBER_NNC_OFF_CRC);

	if (h->major != EMBER_NNC_MAJOR)
		return nnc_fail(why, EMBER_NNC_E_MAJOR, -EOPNOTSUPP);
	if (h->len < EMBER_NNC_HDR_LEN || h->len > EMBER_NNC_MSG_MAX ||
	    h->len > size)
		return nnc_fail(why, EMBER_NNC_E_LEN, bad);
	if (h->len % EMBER_NNC_ALIGN)
		return nnc_fail(why, EMBER_NNC_E_ALIGN, bad);
	if (h->flags & ~(__u32)EMBER_NNC_F_ALL)
		return nnc_fail(why, EMBER_NNC_E_FLAGS, bad);
	if (!(h->flags & EMBER_NNC_F_REPLY) != !reply)
		return nnc_fail(why, EMBER_NNC_E_DIR, bad);
	if (reply && (info->flags & EMBER_NNC_F_CRC))
		want_crc = true;
	if (h->flags & EMBER_NNC_F_CRC) {
		if (h->crc != ember_nnc_crc32(p, h->len))
			return nnc_fail(why, EMBER_NNC_E_CRC, -EIO);
	} else if (h->crc) {
		return nnc_fail(why, EMBER_NNC_E_CRC_FIELD, bad);
	} else if (want_crc) {
		return nnc_fail(why, EMBER_NNC_E_CRC_MISSING, -EIO);
	}
	if (reply && h->seq != info->seq)
		return nnc_fail(why, EMBER_NNC_E_SEQ, bad);
	if (reply && h->handle != info->handle)
		return nnc_fail(why, EMBER_NNC_E_HANDLE, bad);
	if (!reply && h->status)
		return nnc_fail(why, EMBER_NNC_E_MSG_STATUS, bad);
	if (reply && (h->status >= EMBER_NNC_ST_COUNT ||
		      h->status == EMBER_NNC_ST_NOT_RUN))
		return nnc_fail(why, EMBER_NNC_E_MSG_STATUS, bad);
	if (h->status) {
		if (h->count)
			return nnc_fail(why, EMBER_NNC_E_COUNT, bad);
		return 0;
	}
	if (!h->count || h->count > EMBER_NNC_MAX_TRANS)
		return nnc_fail(why, EMBER_NNC_E_COUNT, bad);
	if (reply && h->count != info->count)
		return nnc_fail(why, EMBER_NNC_E_COUNT_MISMATCH, bad);
	return 0;
}

/* Bounds, alignment and type of the transaction at @off. */
static int nnc_dec_trans_hdr(const __u8 *p, __u32 off, __u32 end, __u32 *type,
			     __u32 *len, int bad, enum ember_nnc_reason *why)
{
	if (end - off < NNC_T_MIN_LEN)
		return nnc_fail(why, EMBER_NNC_E_TRANS_LEN, bad);
	*type = nnc_get32(p + off + NNC_T_TYPE);
	*len = nnc_get32(p + off + NNC_T_LEN);
	if (*len < NNC_T_MIN_LEN || *len > end - off)
		return nnc_fail(why, EMBER_NNC_E_TRANS_LEN, bad);
	if (*len % EMBER_NNC_ALIGN)
		return nnc_fail(why, EMBER_NNC_E_TRANS_ALIGN, bad);
	if (!nnc_type_known(*type))
		return nnc_fail(why, EMBER_NNC_E_TYPE, bad);
	return 0;
}

static int nnc_dec_rsp(const __u8 *t, __u32 len, const struct ember_nnc_hdr *h,
		       const struct ember_nnc_expect *e, bool *failed,
		       struct ember_nnc_rsp *r, enum ember_nnc_reason *why)
{
	__u32 type = nnc_get32(t + NNC_T_TYPE);
	__u32 fixed;

	if (type != e->type)
		return nnc_fail(why, EMBER_NNC_E_TYPE_MISMATCH, -EIO);
	r->type = type;
	r->status = nnc_get32(t + NNC_T_STATUS);
	if (r->status >= EMBER_NNC_ST_COUNT)
		return nnc_fail(why, EMBER_NNC_E_STATUS, -EIO);
	if (!nnc_status_next(r->status, failed))
		return nnc_fail(why, EMBER_NNC_E_STATUS_ORDER, -EIO);

	switch (type) {
	case EMBER_NNC_T_STATUS:
		fixed = EMBER_NNC_STATUS_LEN;
		break;
	case EMBER_NNC_T_PASSTHROUGH:
		fixed = 0;
		break;
	case EMBER_NNC_T_DMA_XFER:
		fixed = EMBER_NNC_DMA_RSP_LEN;
		break;
	case EMBER_NNC_T_ACTIVATE:
		fixed = EMBER_NNC_ACT_RSP_LEN;
		break;
	default:			/* DEACTIVATE, TERMINATE */
		fixed = EMBER_NNC_DEACT_LEN;
		break;
	}
	if (fixed && len != fixed)
		return nnc_fail(why, EMBER_NNC_E_TRANS_SIZE, -EIO);

	switch (type) {
	case EMBER_NNC_T_STATUS:
		r->u.status.features = nnc_get32(t + NNC_ST_FEATURES);
		r->u.status.major = nnc_get16(t + NNC_ST_MAJOR);
		r->u.status.minor = nnc_get16(t + NNC_ST_MINOR);
		if (r->u.status.major != h->major)
			return nnc_fail(why, EMBER_NNC_E_VERSION, -EIO);
		if (r->u.status.features & ~(__u32)EMBER_NNC_FEAT_ALL)
			return nnc_fail(why, EMBER_NNC_E_FEATURES, -EIO);
		if (nnc_get32(t + NNC_ST_RSVD))
			return nnc_fail(why, EMBER_NNC_E_RESERVED, -EIO);
		break;
	case EMBER_NNC_T_PASSTHROUGH:
		if (nnc_get32(t + NNC_PT_RSVD))
			return nnc_fail(why, EMBER_NNC_E_RESERVED, -EIO);
		if (len > e->len)
			return nnc_fail(why, EMBER_NNC_E_PT_LEN, -EIO);
		r->u.pt.data = t + NNC_PT_DATA;
		r->u.pt.len = len - EMBER_NNC_PT_HDR_LEN;
		break;
	case EMBER_NNC_T_DMA_XFER:
		r->u.dma.xfer_id = nnc_get32(t + NNC_DMA_R_XFER_ID);
		r->u.dma.received = nnc_get64(t + NNC_DMA_R_RECEIVED);
		if (r->u.dma.xfer_id != e->key)
			return nnc_fail(why, EMBER_NNC_E_DMA_ID, -EIO);
		if (r->status == EMBER_NNC_ST_OK ?
		    r->u.dma.received != e->received :
		    r->u.dma.received > e->received)
			return nnc_fail(why, EMBER_NNC_E_DMA_RECEIVED, -EIO);
		break;
	case EMBER_NNC_T_ACTIVATE:
		r->u.act.dbc_id = nnc_get32(t + NNC_ACT_R_DBC_ID);
		break;
	case EMBER_NNC_T_DEACTIVATE:
		r->u.deact.dbc_id = nnc_get32(t + NNC_DEACT_DBC_ID);
		if (r->u.deact.dbc_id != e->key)
			return nnc_fail(why, EMBER_NNC_E_DBC_ID, -EIO);
		break;
	default:			/* TERMINATE */
		r->u.term.released = nnc_get32(t + NNC_TERM_R_RELEASED);
		break;
	}
	return 0;
}

/**
 * ember_nnc_decode_reply() - validate and decode a reply message
 * @buf: the reply (a mailbox slot).
 * @size: bytes readable at @buf.
 * @info: the bookkeeping ember_nnc_enc_next() returned for the request.
 * @dflags: EMBER_NNC_DEC_REQUIRE_CRC if CRC was negotiated (a request
 *	sent with a CRC always requires one in its reply).
 * @hdr: receives the decoded header.
 * @rsps: receives @hdr->count transactions; data pointers point into @buf.
 * @max: entries available in @rsps, at least @info->count.
 * @why: if not NULL, receives the reason of a failure.
 *
 * Checks everything docs/nnc.md requires of a reply: header, CRC, seq,
 * handle and count against the request, each transaction's bounds,
 * alignment, type, length and fields, and the status sequence. A reply
 * whose message status is not OK (@hdr->status) decodes successfully with
 * no transactions; map it with ember_nnc_status_to_errno().
 *
 * Return: 0; -EIO if the reply is malformed or its CRC is wrong;
 * -EOPNOTSUPP if it is of another protocol major; -EINVAL on bad
 * arguments. @hdr and @rsps are undefined on failure.
 */
int ember_nnc_decode_reply(const void *buf, __u32 size,
			   const struct ember_nnc_msg_info *info, __u32 dflags,
			   struct ember_nnc_hdr *hdr, struct ember_nnc_rsp *rsps,
			   __u32 max, enum ember_nnc_reason *why)
{
	const __u8 *p = buf;
	bool failed = false;
	__u32 off, i, type, len;
	int ret;

	if (!buf || !info || !hdr || (!rsps && max))
		return nnc_fail(why, EMBER_NNC_E_ARG, -EINVAL);
	if (info->count > EMBER_NNC_MAX_TRANS || max < info->count)
		return nnc_fail(why, EMBER_NNC_E_NOSPACE, -EINVAL);
	ret = nnc_dec_hdr(p, size, info, dflags, hdr, why);
	if (ret)
		return ret;

	off = EMBER_NNC_HDR_LEN;
	for (i = 0; i < hdr->count; i++) {
		ret = nnc_dec_trans_hdr(p, off, hdr->len, &type, &len, -EIO,
					why);
		if (ret)
			return ret;
		ret = nnc_dec_rsp(p + off, len, hdr, &info->trans[i], &failed,
				  &rsps[i], why);
		if (ret)
			return ret;
		off += len;
	}
	if (off != hdr->len)
		return nnc_fail(why, EMBER_NNC_E_TRAILING, -EIO);
	nnc_ok(why);
	return 0;
}

static int nnc_dec_dma(const __u8 *t, __u32 len, bool last,
		       struct ember_nnc_req *r, enum ember_nnc_reason *why)
{
	__u64 sum = 0, addr, slen;
	__u32 i;

	if (len < EMBER_NNC_DMA_HDR_LEN)
		return nnc_fail(why, EMBER_NNC_E_TRANS_SIZE, -EINVAL);
	r->u.dma.flags = nnc_get32(t + NNC_DMA_FLAGS);
	r->u.dma.tag = nnc_get32(t + NNC_DMA_TAG);
	r->u.dma.xfer_id = nnc_get32(t + NNC_DMA_XFER_ID);
	r->u.dma.nsegs = nnc_get32(t + NNC_DMA_NSEGS);
	r->u.dma.offset = nnc_get64(t + NNC_DMA_OFFSET);
	r->u.dma.total = nnc_get64(t + NNC_DMA_TOTAL);
	r->u.dma.segs = NULL;
	r->u.dma.wire = t + NNC_DMA_SEGS;

	if (nnc_get32(t + NNC_DMA_RSVD))
		return nnc_fail(why, EMBER_NNC_E_RESERVED, -EINVAL);
	if (r->u.dma.flags & ~(__u32)(EMBER_NNC_DMA_MORE | EMBER_NNC_DMA_ABORT) ||
	    r->u.dma.flags == (EMBER_NNC_DMA_MORE | EMBER_NNC_DMA_ABORT))
		return nnc_fail(why, EMBER_NNC_E_DMA_FLAGS, -EINVAL);
	if (!r->u.dma.xfer_id)
		return nnc_fail(why, EMBER_NNC_E_DMA_ID, -EINVAL);
	/* nsegs < 2^32, so this cannot overflow a __u64 */
	if ((__u64)len != EMBER_NNC_DMA_HDR_LEN +
	    (__u64)r->u.dma.nsegs * EMBER_NNC_DMA_SEG_LEN)
		return nnc_fail(why, EMBER_NNC_E_DMA_SEGS, -EINVAL);
	if (r->u.dma.flags & EMBER_NNC_DMA_ABORT) {
		if (r->u.dma.nsegs)
			return nnc_fail(why, EMBER_NNC_E_DMA_SEGS, -EINVAL);
		if (r->u.dma.tag || r->u.dma.offset || r->u.dma.total)
			return nnc_fail(why, EMBER_NNC_E_RESERVED, -EINVAL);
		return 0;
	}
	if (!r->u.dma.nsegs)
		return nnc_fail(why, EMBER_NNC_E_DMA_SEGS, -EINVAL);
	for (i = 0; i < r->u.dma.nsegs; i++) {
		addr = nnc_get64(r->u.dma.wire + i * EMBER_NNC_DMA_SEG_LEN);
		slen = nnc_get64(r->u.dma.wire + i * EMBER_NNC_DMA_SEG_LEN + 8);
		if (!nnc_seg_ok(addr, slen))
			return nnc_fail(why, EMBER_NNC_E_DMA_SEG, -EINVAL);
		if (slen > NNC_U64_MAX - sum)
			return nnc_fail(why, EMBER_NNC_E_DMA_RANGE, -EINVAL);
		sum += slen;
	}
	if (r->u.dma.offset > r->u.dma.total ||
	    sum > r->u.dma.total - r->u.dma.offset)
		return nnc_fail(why, EMBER_NNC_E_DMA_RANGE, -EINVAL);
	if (r->u.dma.flags & EMBER_NNC_DMA_MORE) {
		if (!last)
			return nnc_fail(why, EMBER_NNC_E_DMA_MORE_LAST,
					-EINVAL);
	} else if (sum != r->u.dma.total - r->u.dma.offset) {
		return nnc_fail(why, EMBER_NNC_E_DMA_RANGE, -EINVAL);
	}
	return 0;
}

static int nnc_dec_req(const __u8 *t, __u32 len, const struct ember_nnc_hdr *h,
		       bool last, struct ember_nnc_req *r,
		       enum ember_nnc_reason *why)
{
	__u32 type = nnc_get32(t + NNC_T_TYPE);

	memset(r, 0, sizeof(*r));
	r->type = type;
	if (nnc_get32(t + NNC_T_STATUS))
		return nnc_fail(why, EMBER_NNC_E_RESERVED, -EINVAL);

	switch (type) {
	case EMBER_NNC_T_STATUS:
		if (len != EMBER_NNC_STATUS_LEN)
			return nnc_fail(why, EMBER_NNC_E_TRANS_SIZE, -EINVAL);
		r->u.status.features = nnc_get32(t + NNC_ST_FEATURES);
		r->u.status.major = nnc_get16(t + NNC_ST_MAJOR);
		r->u.status.minor = nnc_get16(t + NNC_ST_MINOR);
		if (r->u.status.major != h->major)
			return nnc_fail(why, EMBER_NNC_E_VERSION, -EINVAL);
		if (nnc_get32(t + NNC_ST_RSVD))
			return nnc_fail(why, EMBER_NNC_E_RESERVED, -EINVAL);
		return 0;
	case EMBER_NNC_T_PASSTHROUGH:
		if (nnc_get32(t + NNC_PT_RSVD))
			return nnc_fail(why, EMBER_NNC_E_RESERVED, -EINVAL);
		r->u.pt.data = t + NNC_PT_DATA;
		r->u.pt.len = len - EMBER_NNC_PT_HDR_LEN;
		return 0;
	case EMBER_NNC_T_DMA_XFER:
		return nnc_dec_dma(t, len, last, r, why);
	case EMBER_NNC_T_ACTIVATE:
		if (len != EMBER_NNC_ACT_LEN)
			return nnc_fail(why, EMBER_NNC_E_TRANS_SIZE, -EINVAL);
		r->u.act.ring_size = nnc_get32(t + NNC_ACT_RING_SIZE);
		r->u.act.req_base = nnc_get64(t + NNC_ACT_REQ_BASE);
		r->u.act.rsp_base = nnc_get64(t + NNC_ACT_RSP_BASE);
		if (!nnc_ring_ok(r->u.act.ring_size, r->u.act.req_base,
				 r->u.act.rsp_base))
			return nnc_fail(why, EMBER_NNC_E_RING, -EINVAL);
		return 0;
	case EMBER_NNC_T_DEACTIVATE:
		if (len != EMBER_NNC_DEACT_LEN)
			return nnc_fail(why, EMBER_NNC_E_TRANS_SIZE, -EINVAL);
		r->u.deact.dbc_id = nnc_get32(t + NNC_DEACT_DBC_ID);
		return 0;
	default:			/* TERMINATE */
		if (len != EMBER_NNC_TERM_LEN)
			return nnc_fail(why, EMBER_NNC_E_TRANS_SIZE, -EINVAL);
		r->u.term.handle = nnc_get32(t + NNC_TERM_HANDLE);
		if (h->count != 1 || !h->handle ||
		    r->u.term.handle != h->handle)
			return nnc_fail(why, EMBER_NNC_E_TERMINATE, -EINVAL);
		return 0;
	}
}

/**
 * ember_nnc_decode_request() - validate and decode a request message
 * @buf: the request (a mailbox slot).
 * @size: bytes readable at @buf.
 * @dflags: EMBER_NNC_DEC_REQUIRE_CRC if CRC was negotiated.
 * @hdr: receives the decoded header.
 * @reqs: receives @hdr->count transactions; passthrough data and DMA
 *	segments point into @buf.
 * @max: entries available in @reqs (EMBER_NNC_MAX_TRANS always suffices).
 * @why: if not NULL, receives the reason of a failure.
 *
 * Used by the firmware model. Continuation of DMA transfers across
 * messages is checked separately, by ember_nnc_reasm_begin() and
 * ember_nnc_reasm_feed().
 *
 * Return: 0; -EINVAL if the request is malformed; -EIO if its CRC is
 * wrong or missing; -EOPNOTSUPP if it is of another protocol major.
 */
int ember_nnc_decode_request(const void *buf, __u32 size, __u32 dflags,
			     struct ember_nnc_hdr *hdr,
			     struct ember_nnc_req *reqs, __u32 max,
			     enum ember_nnc_reason *why)
{
	const __u8 *p = buf;
	__u32 off, i, type, len;
	int ret;

	if (!buf || !hdr || (!reqs && max))
		return nnc_fail(why, EMBER_NNC_E_ARG, -EINVAL);
	ret = nnc_dec_hdr(p, size, NULL, dflags, hdr, why);
	if (ret)
		return ret;
	if (hdr->count > max)
		return nnc_fail(why, EMBER_NNC_E_NOSPACE, -EINVAL);

	off = EMBER_NNC_HDR_LEN;
	for (i = 0; i < hdr->count; i++) {
		ret = nnc_dec_trans_hdr(p, off, hdr->len, &type, &len, -EINVAL,
					why);
		if (ret)
			return ret;
		ret = nnc_dec_req(p + off, len, hdr, i + 1 == hdr->count,
				  &reqs[i], why);
		if (ret)
			return ret;
		off += len;
	}
	if (off != hdr->len)
		return nnc_fail(why, EMBER_NNC_E_TRAILING, -EINVAL);
	nnc_ok(why);
	return 0;
}

static int nnc_rsp_len(const struct ember_nnc_rsp *r, __u32 *len,
		       enum ember_nnc_reason *why)
{
	switch (r->type) {
	case EMBER_NNC_T_STATUS:
		if (r->u.status.features & ~(__u32)EMBER_NNC_FEAT_ALL)
			return nnc_fail(why, EMBER_NNC_E_FEATURES, -EINVAL);
		*len = EMBER_NNC_STATUS_LEN;
		return 0;
	case EMBER_NNC_T_PASSTHROUGH:
		if (r->u.pt.len % EMBER_NNC_ALIGN ||
		    r->u.pt.len > EMBER_NNC_PT_DATA_MAX)
			return nnc_fail(why, EMBER_NNC_E_PT_LEN, -EINVAL);
		if (r->u.pt.len && !r->u.pt.data)
			return nnc_fail(why, EMBER_NNC_E_ARG, -EINVAL);
		*len = EMBER_NNC_PT_HDR_LEN + r->u.pt.len;
		return 0;
	case EMBER_NNC_T_DMA_XFER:
		*len = EMBER_NNC_DMA_RSP_LEN;
		return 0;
	case EMBER_NNC_T_ACTIVATE:
	case EMBER_NNC_T_DEACTIVATE:
	case EMBER_NNC_T_TERMINATE:
		*len = EMBER_NNC_ACT_RSP_LEN;
		return 0;
	default:
		return nnc_fail(why, EMBER_NNC_E_TYPE, -EINVAL);
	}
}

static void nnc_put_rsp(__u8 *t, const struct ember_nnc_rsp *r, __u32 len)
{
	nnc_put_trans_hdr(t, r->type, len);
	nnc_put32(t + NNC_T_STATUS, r->status);
	switch (r->type) {
	case EMBER_NNC_T_STATUS:
		nnc_put32(t + NNC_ST_FEATURES, r->u.status.features);
		nnc_put16(t + NNC_ST_MAJOR, EMBER_NNC_MAJOR);
		nnc_put16(t + NNC_ST_MINOR, EMBER_NNC_MINOR);
		nnc_put32(t + NNC_ST_RSVD, 0);
		break;
	case EMBER_NNC_T_PASSTHROUGH:
		nnc_put32(t + NNC_PT_RSVD, 0);
		if (r->u.pt.len)
			memcpy(t + NNC_PT_DATA, r->u.pt.data, r->u.pt.len);
		break;
	case EMBER_NNC_T_DMA_XFER:
		nnc_put32(t + NNC_DMA_R_XFER_ID, r->u.dma.xfer_id);
		nnc_put64(t + NNC_DMA_R_RECEIVED, r->u.dma.received);
		break;
	case EMBER_NNC_T_ACTIVATE:
		nnc_put32(t + NNC_ACT_R_DBC_ID, r->u.act.dbc_id);
		break;
	case EMBER_NNC_T_DEACTIVATE:
		nnc_put32(t + NNC_DEACT_DBC_ID, r->u.deact.dbc_id);
		break;
	default:			/* TERMINATE */
		nnc_put32(t + NNC_TERM_R_RELEASED, r->u.term.released);
		break;
	}
}

/**
 * ember_nnc_encode_reply() - encode a reply message (firmware side)
 * @buf: where to write the reply (a mailbox slot).
 * @size: bytes available at @buf.
 * @hdr: @hdr->seq and @hdr->handle to echo from the request, @hdr->flags
 *	(EMBER_NNC_F_CRC to add a CRC; F_REPLY is implied) and @hdr->status
 *	(the message status: non-zero rejects the request as a whole and
 *	then @n must be 0).
 * @rsps: one reply per request transaction, in order.
 * @n: number of @rsps.
 * @why: if not NULL, receives the reason of a failure.
 *
 * Return: the message length, or -EINVAL if an argument is invalid or the
 * reply does not fit min(@size, EMBER_NNC_MSG_MAX) bytes.
 */
int ember_nnc_encode_reply(void *buf, __u32 size,
			   const struct ember_nnc_hdr *hdr,
			   const struct ember_nnc_rsp *rsps, __u32 n,
			   enum ember_nnc_reason *why)
{
	__u32 limit, off = EMBER_NNC_HDR_LEN, i, len = 0;
	bool failed = false;
	__u8 *p = buf;
	int ret;

	if (!buf || !hdr || (!rsps && n))
		return nnc_fail(why, EMBER_NNC_E_ARG, -EINVAL);
	if (hdr->flags & ~(__u32)EMBER_NNC_F_ALL)
		return nnc_fail(why, EMBER_NNC_E_FLAGS, -EINVAL);
	if (hdr->status >= EMBER_NNC_ST_COUNT ||
	    hdr->status == EMBER_NNC_ST_NOT_RUN)
		return nnc_fail(why, EMBER_NNC_E_MSG_STATUS, -EINVAL);
	if (hdr->status ? n != 0 : !n || n > EMBER_NNC_MAX_TRANS)
		return nnc_fail(why, EMBER_NNC_E_COUNT, -EINVAL);
	limit = size < EMBER_NNC_MSG_MAX ? size : EMBER_NNC_MSG_MAX;
	if (limit < EMBER_NNC_HDR_LEN)
		return nnc_fail(why, EMBER_NNC_E_NOSPACE, -EINVAL);

	for (i = 0; i < n; i++) {
		if (!nnc_type_known(rsps[i].type))
			return nnc_fail(why, EMBER_NNC_E_TYPE, -EINVAL);
		if (rsps[i].status >= EMBER_NNC_ST_COUNT)
			return nnc_fail(why, EMBER_NNC_E_STATUS, -EINVAL);
		if (!nnc_status_next(rsps[i].status, &failed))
			return nnc_fail(why, EMBER_NNC_E_STATUS_ORDER, -EINVAL);
		ret = nnc_rsp_len(&rsps[i], &len, why);
		if (ret)
			return ret;
		if (len > limit - off)
			return nnc_fail(why, EMBER_NNC_E_NOSPACE, -EINVAL);
		nnc_put_rsp(p + off, &rsps[i], len);
		off += len;
	}
	nnc_put_hdr(p, hdr->seq, off, n, hdr->handle,
		    (__u16)((hdr->flags & EMBER_NNC_F_CRC) | EMBER_NNC_F_REPLY),
		    hdr->status);
	nnc_ok(why);
	return (int)off;
}

/* ---- DMA reassembly (firmware side) -------------------------------- */

/**
 * ember_nnc_dma_seg() - one segment of a DMA_XFER request
 * @req: a DMA_XFER transaction (encoder input or decoder output).
 * @i: segment index, below @req->u.dma.nsegs.
 *
 * Return: the segment (read from the wire for decoded requests), or a
 * zero segment if @i is out of range.
 */
struct ember_nnc_seg ember_nnc_dma_seg(const struct ember_nnc_req *req, __u32 i)
{
	struct ember_nnc_seg s = { 0, 0 };
	const __u8 *q;

	if (req->type != EMBER_NNC_T_DMA_XFER || i >= req->u.dma.nsegs)
		return s;
	if (req->u.dma.segs)
		return req->u.dma.segs[i];
	if (!req->u.dma.wire)
		return s;
	q = req->u.dma.wire + (size_t)i * EMBER_NNC_DMA_SEG_LEN;
	s.addr = nnc_get64(q);
	s.len = nnc_get64(q + 8);
	return s;
}

/**
 * ember_nnc_reasm_reset() - forget a client's partial DMA transfer
 * @r: reassembly state (also the way to initialise it).
 */
void ember_nnc_reasm_reset(struct ember_nnc_reasm *r)
{
	memset(r, 0, sizeof(*r));
}

/**
 * ember_nnc_reasm_begin() - check a client's new message against its
 *	partial transfer
 * @r: the client's reassembly state.
 * @reqs: the decoded transactions of the message.
 * @n: their number.
 * @why: if not NULL, receives the reason of a failure.
 *
 * While a transfer is partial, the client's next message must start with
 * its continuation (or an ABORT of it). Call before executing a message.
 *
 * Return: 0, or -EINVAL (and @r is reset) if the message does not
 * continue the partial transfer.
 */
int ember_nnc_reasm_begin(struct ember_nnc_reasm *r,
			  const struct ember_nnc_req *reqs, __u32 n,
			  enum ember_nnc_reason *why)
{
	if (!r || (!reqs && n))
		return nnc_fail(why, EMBER_NNC_E_ARG, -EINVAL);
	nnc_ok(why);
	if (!r->active)
		return 0;
	if (!n || reqs[0].type != EMBER_NNC_T_DMA_XFER ||
	    reqs[0].u.dma.xfer_id != r->xfer_id) {
		ember_nnc_reasm_reset(r);
		return nnc_fail(why, EMBER_NNC_E_DMA_CONT, -EINVAL);
	}
	return 0;
}

/**
 * ember_nnc_reasm_feed() - account one received DMA_XFER chunk
 * @r: the client's reassembly state.
 * @chunk: a DMA_XFER transaction from ember_nnc_decode_request().
 * @index: its position in its message.
 * @why: if not NULL, receives the reason of a failure.
 *
 * A first chunk has offset 0; a continuation is first in its message and
 * has the partial transfer's id, tag and total and offset == bytes
 * received so far. After a chunk without MORE the transfer is complete
 * (@r->received == @r->total) and @r no longer active. An ABORT chunk
 * drops the partial transfer.
 *
 * Return: 0; -EINVAL (and @r is reset) if the chunk does not fit the
 * transfer; -ENOENT for an ABORT of a transfer that is not in progress.
 */
int ember_nnc_reasm_feed(struct ember_nnc_reasm *r,
			 const struct ember_nnc_req *chunk, __u32 index,
			 enum ember_nnc_reason *why)
{
	__u64 bytes = 0;
	__u32 i;

	if (!r || !chunk || chunk->type != EMBER_NNC_T_DMA_XFER)
		return nnc_fail(why, EMBER_NNC_E_ARG, -EINVAL);
	if (chunk->u.dma.flags & EMBER_NNC_DMA_ABORT) {
		if (!r->active || index ||
		    chunk->u.dma.xfer_id != r->xfer_id)
			return nnc_fail(why, EMBER_NNC_E_DMA_CONT, -ENOENT);
		ember_nnc_reasm_reset(r);
		nnc_ok(why);
		return 0;
	}
	if (r->active) {
		if (index || chunk->u.dma.xfer_id != r->xfer_id ||
		    chunk->u.dma.tag != r->tag ||
		    chunk->u.dma.total != r->total ||
		    chunk->u.dma.offset != r->received) {
			ember_nnc_reasm_reset(r);
			return nnc_fail(why, EMBER_NNC_E_DMA_CONT, -EINVAL);
		}
	} else {
		if (chunk->u.dma.offset)
			return nnc_fail(why, EMBER_NNC_E_DMA_CONT, -EINVAL);
		r->xfer_id = chunk->u.dma.xfer_id;
		r->tag = chunk->u.dma.tag;
		r->total = chunk->u.dma.total;
		r->received = 0;
		r->chunks = 0;
	}
	/* The decoder bounded the sum by total - offset. */
	for (i = 0; i < chunk->u.dma.nsegs; i++)
		bytes += ember_nnc_dma_seg(chunk, i).len;
	r->received += bytes;
	r->chunks++;
	r->active = chunk->u.dma.flags & EMBER_NNC_DMA_MORE;
	nnc_ok(why);
	return 0;
}

/* ---- status and errno ----------------------------------------------- */

/**
 * ember_nnc_status_to_errno() - errno for a status (docs/uapi.md vocabulary)
 * @status: enum ember_nnc_status.
 *
 * Return: 0 for OK, a negative errno otherwise; -EIO for BADCRC, IO,
 * NOT_RUN (never the first failure of a valid reply) and unknown values.
 */
int ember_nnc_status_to_errno(__u32 status)
{
	switch (status) {
	case EMBER_NNC_ST_OK:
		return 0;
	case EMBER_NNC_ST_INVAL:
		return -EINVAL;
	case EMBER_NNC_ST_NOENT:
		return -ENOENT;
	case EMBER_NNC_ST_PERM:
		return -EPERM;
	case EMBER_NNC_ST_BUSY:
		return -EBUSY;
	case EMBER_NNC_ST_NOSPC:
		return -ENOSPC;
	case EMBER_NNC_ST_NOMEM:
		return -ENOMEM;
	case EMBER_NNC_ST_UNSUPPORTED:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

/**
 * ember_nnc_errno_to_status() - status for an errno (firmware side)
 * @err: 0 or a negative errno.
 *
 * Return: the status; EMBER_NNC_ST_IO for errnos without their own.
 * (Use EMBER_NNC_ST_BADCRC for the CRC reasons of a request decode.)
 */
__u32 ember_nnc_errno_to_status(int err)
{
	switch (err) {
	case 0:
		return EMBER_NNC_ST_OK;
	case -EINVAL:
		return EMBER_NNC_ST_INVAL;
	case -ENOENT:
		return EMBER_NNC_ST_NOENT;
	case -EPERM:
		return EMBER_NNC_ST_PERM;
	case -EBUSY:
		return EMBER_NNC_ST_BUSY;
	case -ENOSPC:
		return EMBER_NNC_ST_NOSPC;
	case -ENOMEM:
		return EMBER_NNC_ST_NOMEM;
	case -EOPNOTSUPP:
		return EMBER_NNC_ST_UNSUPPORTED;
	default:
		return EMBER_NNC_ST_IO;
	}
}

static const char * const nnc_reason_names[EMBER_NNC_E_COUNT_REASONS] = {
	[EMBER_NNC_OK] = "ok",
	[EMBER_NNC_E_ARG] = "bad argument",
	[EMBER_NNC_E_NOSPACE] = "buffer too small",
	[EMBER_NNC_E_SHORT] = "shorter than a header",
	[EMBER_NNC_E_MAGIC] = "bad magic",
	[EMBER_NNC_E_MAJOR] = "unsupported protocol major",
	[EMBER_NNC_E_LEN] = "message length out of range",
	[EMBER_NNC_E_ALIGN] = "message length not 8-byte aligned",
	[EMBER_NNC_E_FLAGS] = "unknown header flag",
	[EMBER_NNC_E_DIR] = "wrong direction",
	[EMBER_NNC_E_CRC] = "CRC mismatch",
	[EMBER_NNC_E_CRC_FIELD] = "crc32 set without CRC flag",
	[EMBER_NNC_E_CRC_MISSING] = "CRC required but absent",
	[EMBER_NNC_E_SEQ] = "sequence number mismatch",
	[EMBER_NNC_E_HANDLE] = "client handle mismatch",
	[EMBER_NNC_E_MSG_STATUS] = "bad message status",
	[EMBER_NNC_E_COUNT] = "bad transaction count",
	[EMBER_NNC_E_COUNT_MISMATCH] = "reply count differs from request",
	[EMBER_NNC_E_TRANS_LEN] = "transaction out of bounds",
	[EMBER_NNC_E_TRANS_ALIGN] = "transaction length not 8-byte aligned",
	[EMBER_NNC_E_TYPE] = "unknown transaction type",
	[EMBER_NNC_E_TYPE_MISMATCH] = "reply type differs from request",
	[EMBER_NNC_E_TRANS_SIZE] = "transaction length wrong for type",
	[EMBER_NNC_E_RESERVED] = "reserved field not zero",
	[EMBER_NNC_E_TRAILING] = "bytes after last transaction",
	[EMBER_NNC_E_STATUS] = "unknown status",
	[EMBER_NNC_E_STATUS_ORDER] = "status after failure not NOT_RUN",
	[EMBER_NNC_E_VERSION] = "STATUS major differs from header",
	[EMBER_NNC_E_FEATURES] = "unknown feature bit",
	[EMBER_NNC_E_PT_LEN] = "bad passthrough length",
	[EMBER_NNC_E_DMA_FLAGS] = "bad DMA_XFER flags",
	[EMBER_NNC_E_DMA_ID] = "bad DMA_XFER transfer id",
	[EMBER_NNC_E_DMA_SEGS] = "bad DMA_XFER segment count",
	[EMBER_NNC_E_DMA_SEG] = "bad DMA_XFER segment",
	[EMBER_NNC_E_DMA_RANGE] = "DMA_XFER bytes outside transfer",
	[EMBER_NNC_E_DMA_MORE_LAST] = "continued chunk not last",
	[EMBER_NNC_E_DMA_RECEIVED] = "bad DMA_XFER received count",
	[EMBER_NNC_E_DMA_CONT] = "continuation mismatch",
	[EMBER_NNC_E_RING] = "bad ACTIVATE rings",
	[EMBER_NNC_E_DBC_ID] = "DEACTIVATE reply for another DBC",
	[EMBER_NNC_E_TERMINATE] = "bad TERMINATE",
};

/**
 * ember_nnc_reason_str() - human-readable name of a failure reason
 * @why: the reason.
 *
 * Return: a static string ("?" for values out of range).
 */
const char *ember_nnc_reason_str(enum ember_nnc_reason why)
{
	if ((unsigned int)why >= EMBER_NNC_E_COUNT_REASONS ||
	    !nnc_reason_names[why])
		return "?";
	return nnc_reason_names[why];
}
