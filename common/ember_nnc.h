/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * ember NNC (neural network control) codec: the wire format of the
 * messages that travel through the management mailbox, see docs/nnc.md.
 *
 * Plain C with the fixed-width types of <linux/types.h>, which the kernel
 * and Linux userspace share (no typedefs of its own), so the one file
 * builds in the kernel module, in userspace (host unit tests, fuzzers) and
 * in the QEMU device model (common/, docs/architecture.md). Nothing here maps
 * memory, allocates or sleeps; every function works on caller buffers.
 *
 * Three kinds of structure are kept apart:
 *  - the wire format exists only as byte offsets (the message header's
 *    EMBER_NNC_OFF_* here, the transactions' in ember_nnc.c) read and
 *    written with little-endian byte helpers;
 *  - the uAPI structs (uapi/ember_accel.h) are never seen here;
 *  - struct ember_nnc_req / ember_nnc_rsp are host-endian views that the
 *    driver fills from the uAPI transactions plus its own bookkeeping
 *    (DMA-mapped segments, ring bus addresses, handle, sequence number).
 */
#ifndef _EMBER_NNC_H_
#define _EMBER_NNC_H_

#include <linux/types.h>	/* __u8 .. __u64, kernel and userspace alike */
#ifndef __KERNEL__
#include <stdbool.h>
#include <stddef.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Message header */
#define EMBER_NNC_MAGIC		0x434e4e45u	/* "ENNC" as LE bytes */
#define EMBER_NNC_MAJOR		1		/* wire format */
#define EMBER_NNC_MINOR		0		/* command set */
#define EMBER_NNC_HDR_LEN	32		/* message header bytes */
#define EMBER_NNC_MSG_MAX	4096		/* one mailbox slot */
#define EMBER_NNC_ALIGN		8		/* lengths are multiples */
#define EMBER_NNC_MAX_TRANS	32		/* transactions/message */

/* Message header field offsets (docs/nnc.md §2) */
#define EMBER_NNC_OFF_MAGIC	0	/* u32 EMBER_NNC_MAGIC */
#define EMBER_NNC_OFF_MAJOR	4	/* u16 */
#define EMBER_NNC_OFF_MINOR	6	/* u16 */
#define EMBER_NNC_OFF_SEQ	8	/* u32 */
#define EMBER_NNC_OFF_LEN	12	/* u32 */
#define EMBER_NNC_OFF_COUNT	16	/* u32 */
#define EMBER_NNC_OFF_HANDLE	20	/* u32 */
#define EMBER_NNC_OFF_FLAGS	24	/* u16 EMBER_NNC_F_* */
#define EMBER_NNC_OFF_STATUS	26	/* u16 */
#define EMBER_NNC_OFF_CRC	28	/* u32 */

/* Message header flags */
#define EMBER_NNC_F_CRC		0x0001u	/* crc32 field is valid */
#define EMBER_NNC_F_REPLY	0x0002u	/* firmware -> driver */
#define EMBER_NNC_F_ALL		(EMBER_NNC_F_CRC | EMBER_NNC_F_REPLY)

/* Transaction types */
#define EMBER_NNC_T_STATUS	1
#define EMBER_NNC_T_PASSTHROUGH	2
#define EMBER_NNC_T_DMA_XFER	3
#define EMBER_NNC_T_ACTIVATE	4
#define EMBER_NNC_T_DEACTIVATE	5
#define EMBER_NNC_T_TERMINATE	6

/* Transaction lengths (request / reply), bytes including the header */
#define EMBER_NNC_STATUS_LEN	24
#define EMBER_NNC_PT_HDR_LEN	16	/* passthrough without its data */
#define EMBER_NNC_PT_DATA_MAX	(EMBER_NNC_MSG_MAX - EMBER_NNC_HDR_LEN - \
				 EMBER_NNC_PT_HDR_LEN)
#define EMBER_NNC_DMA_HDR_LEN	48	/* DMA_XFER request without segments */
#define EMBER_NNC_DMA_SEG_LEN	16	/* one (addr, len) pair */
#define EMBER_NNC_DMA_RSP_LEN	24
#define EMBER_NNC_ACT_LEN	32
#define EMBER_NNC_ACT_RSP_LEN	16
#define EMBER_NNC_DEACT_LEN	16
#define EMBER_NNC_TERM_LEN	16

/* DMA_XFER flags */
#define EMBER_NNC_DMA_MORE	0x0001u	/* continued in the next message */
#define EMBER_NNC_DMA_ABORT	0x0002u	/* drop a partial transfer */

/* STATUS feature bits */
#define EMBER_NNC_FEAT_CRC	0x0001u
#define EMBER_NNC_FEAT_ALL	EMBER_NNC_FEAT_CRC

/* ACTIVATE ring limits (docs/hardware.md §5.1) */
#define EMBER_NNC_RING_MIN	2
#define EMBER_NNC_RING_MAX	65536
#define EMBER_NNC_REQ_ELEM	64	/* request entry bytes, base alignment */
#define EMBER_NNC_RSP_ELEM	32	/* response entry bytes, base alignment */

/* Decoder flags */
#define EMBER_NNC_DEC_REQUIRE_CRC 0x0001u	/* CRC was negotiated */

/**
 * enum ember_nnc_status - status of a reply transaction or message
 * @EMBER_NNC_ST_OK: done.
 * @EMBER_NNC_ST_INVAL: malformed request or invalid argument (EINVAL).
 * @EMBER_NNC_ST_NOENT: no such DBC, transfer or object (ENOENT).
 * @EMBER_NNC_ST_PERM: the object belongs to another client (EPERM).
 * @EMBER_NNC_ST_BUSY: the object is in use (EBUSY).
 * @EMBER_NNC_ST_NOSPC: no free DBC or device resource (ENOSPC).
 * @EMBER_NNC_ST_NOMEM: firmware memory exhausted (ENOMEM).
 * @EMBER_NNC_ST_UNSUPPORTED: unknown version, type or command (EOPNOTSUPP).
 * @EMBER_NNC_ST_IO: internal firmware or device error (EIO).
 * @EMBER_NNC_ST_BADCRC: the request's CRC did not match (EIO).
 * @EMBER_NNC_ST_NOT_RUN: not executed because an earlier transaction of
 *	the same message failed.
 * @EMBER_NNC_ST_COUNT: number of status codes.
 */
enum ember_nnc_status {
	EMBER_NNC_ST_OK = 0,
	EMBER_NNC_ST_INVAL = 1,
	EMBER_NNC_ST_NOENT = 2,
	EMBER_NNC_ST_PERM = 3,
	EMBER_NNC_ST_BUSY = 4,
	EMBER_NNC_ST_NOSPC = 5,
	EMBER_NNC_ST_NOMEM = 6,
	EMBER_NNC_ST_UNSUPPORTED = 7,
	EMBER_NNC_ST_IO = 8,
	EMBER_NNC_ST_BADCRC = 9,
	EMBER_NNC_ST_NOT_RUN = 10,
	EMBER_NNC_ST_COUNT
};

/**
 * enum ember_nnc_reason - why an encode or decode call failed
 * @EMBER_NNC_OK: no failure.
 * @EMBER_NNC_E_ARG: bad argument from the caller of the codec.
 * @EMBER_NNC_E_NOSPACE: caller buffer or output array too small.
 * @EMBER_NNC_E_SHORT: buffer shorter than a message header.
 * @EMBER_NNC_E_MAGIC: wrong magic number.
 * @EMBER_NNC_E_MAJOR: protocol major number not ours.
 * @EMBER_NNC_E_LEN: message length out of range or beyond the buffer.
 * @EMBER_NNC_E_ALIGN: message length not a multiple of 8.
 * @EMBER_NNC_E_FLAGS: unknown header flag.
 * @EMBER_NNC_E_DIR: REPLY flag set on a request or clear on a reply.
 * @EMBER_NNC_E_CRC: CRC mismatch.
 * @EMBER_NNC_E_CRC_FIELD: non-zero crc32 field without the CRC flag.
 * @EMBER_NNC_E_CRC_MISSING: CRC negotiated but the message has none.
 * @EMBER_NNC_E_SEQ: reply sequence number differs from the request's.
 * @EMBER_NNC_E_HANDLE: reply client handle differs from the request's.
 * @EMBER_NNC_E_MSG_STATUS: bad message status (non-zero in a request,
 *	unknown or NOT_RUN in a reply).
 * @EMBER_NNC_E_COUNT: transaction count 0, over the maximum, or non-zero
 *	in a rejected reply.
 * @EMBER_NNC_E_COUNT_MISMATCH: reply count differs from the request's.
 * @EMBER_NNC_E_TRANS_LEN: transaction header or length runs past the end.
 * @EMBER_NNC_E_TRANS_ALIGN: transaction length not a multiple of 8.
 * @EMBER_NNC_E_TYPE: unknown transaction type.
 * @EMBER_NNC_E_TYPE_MISMATCH: reply transaction type differs from the
 *	request's.
 * @EMBER_NNC_E_TRANS_SIZE: transaction length wrong for its type.
 * @EMBER_NNC_E_RESERVED: reserved field (or a request's status) non-zero.
 * @EMBER_NNC_E_TRAILING: bytes after the last transaction.
 * @EMBER_NNC_E_STATUS: unknown transaction status code.
 * @EMBER_NNC_E_STATUS_ORDER: statuses not of the form OK* [FAIL NOT_RUN*].
 * @EMBER_NNC_E_VERSION: STATUS major differs from the header's.
 * @EMBER_NNC_E_FEATURES: unknown feature bit in a STATUS reply.
 * @EMBER_NNC_E_PT_LEN: passthrough data too long, not a multiple of 8,
 *	or a reply longer than its request.
 * @EMBER_NNC_E_DMA_FLAGS: unknown or contradictory DMA_XFER flags.
 * @EMBER_NNC_E_DMA_ID: transfer id 0, or a reply's id differs.
 * @EMBER_NNC_E_DMA_SEGS: segment count 0 or not matching the length.
 * @EMBER_NNC_E_DMA_SEG: zero-length segment or address + length overflow.
 * @EMBER_NNC_E_DMA_RANGE: offset + bytes beyond the total, overflow, or a
 *	last chunk that does not end the transfer.
 * @EMBER_NNC_E_DMA_MORE_LAST: a chunk with MORE is not last in its message.
 * @EMBER_NNC_E_DMA_RECEIVED: reply's received byte count inconsistent.
 * @EMBER_NNC_E_DMA_CONT: continuation does not match the partial transfer.
 * @EMBER_NNC_E_RING: ACTIVATE ring size, alignment or overlap invalid.
 * @EMBER_NNC_E_DBC_ID: DEACTIVATE reply names another DBC.
 * @EMBER_NNC_E_TERMINATE: TERMINATE not alone or for another handle.
 * @EMBER_NNC_E_COUNT_REASONS: number of reasons.
 *
 * The errno a call returns is fixed per reason and call, see docs/nnc.md.
 */
enum ember_nnc_reason {
	EMBER_NNC_OK = 0,
	EMBER_NNC_E_ARG,
	EMBER_NNC_E_NOSPACE,
	EMBER_NNC_E_SHORT,
	EMBER_NNC_E_MAGIC,
	EMBER_NNC_E_MAJOR,
	EMBER_NNC_E_LEN,
	EMBER_NNC_E_ALIGN,
	EMBER_NNC_E_FLAGS,
	EMBER_NNC_E_DIR,
	EMBER_NNC_E_CRC,
	EMBER_NNC_E_CRC_FIELD,
	EMBER_NNC_E_CRC_MISSING,
	EMBER_NNC_E_SEQ,
	EMBER_NNC_E_HANDLE,
	EMBER_NNC_E_MSG_STATUS,
	EMBER_NNC_E_COUNT,
	EMBER_NNC_E_COUNT_MISMATCH,
	EMBER_NNC_E_TRANS_LEN,
	EMBER_NNC_E_TRANS_ALIGN,
	EMBER_NNC_E_TYPE,
	EMBER_NNC_E_TYPE_MISMATCH,
	EMBER_NNC_E_TRANS_SIZE,
	EMBER_NNC_E_RESERVED,
	EMBER_NNC_E_TRAILING,
	EMBER_NNC_E_STATUS,
	EMBER_NNC_E_STATUS_ORDER,
	EMBER_NNC_E_VERSION,
	EMBER_NNC_E_FEATURES,
	EMBER_NNC_E_PT_LEN,
	EMBER_NNC_E_DMA_FLAGS,
	EMBER_NNC_E_DMA_ID,
	EMBER_NNC_E_DMA_SEGS,
	EMBER_NNC_E_DMA_SEG,
	EMBER_NNC_E_DMA_RANGE,
	EMBER_NNC_E_DMA_MORE_LAST,
	EMBER_NNC_E_DMA_RECEIVED,
	EMBER_NNC_E_DMA_CONT,
	EMBER_NNC_E_RING,
	EMBER_NNC_E_DBC_ID,
	EMBER_NNC_E_TERMINATE,
	EMBER_NNC_E_COUNT_REASONS
};

/**
 * struct ember_nnc_seg - one DMA-mapped piece of a host buffer
 * @addr: bus address.
 * @len: bytes, non-zero; @addr + @len must not exceed 2^64 - 1.
 */
struct ember_nnc_seg {
	__u64 addr;
	__u64 len;
};

/**
 * struct ember_nnc_hdr - host-endian view of a message header
 * @major: protocol major of the sender (decode output).
 * @minor: protocol minor of the sender (decode output).
 * @flags: EMBER_NNC_F_* (reply encode input: only F_CRC is looked at).
 * @status: message status, enum ember_nnc_status; 0 in requests.
 * @seq: sequence number; a reply echoes its request's.
 * @len: message length in bytes (decode output).
 * @count: number of transactions (decode output).
 * @handle: client handle; 0 is the driver itself.
 * @crc: crc32 field as found (decode output).
 */
struct ember_nnc_hdr {
	__u16 major;
	__u16 minor;
	__u16 flags;
	__u16 status;
	__u32 seq;
	__u32 len;
	__u32 count;
	__u32 handle;
	__u32 crc;
};

/**
 * struct ember_nnc_req - one request transaction, host-endian
 * @type: EMBER_NNC_T_*.
 * @u: type-specific fields, the member named after @type.
 * @u.status: STATUS: the sender's version and the features it offers.
 *	The encoder writes EMBER_NNC_MAJOR/MINOR and ignores the input.
 * @u.status.major: protocol major.
 * @u.status.minor: protocol minor.
 * @u.status.features: EMBER_NNC_FEAT_* offered (unknown bits allowed).
 * @u.pt: PASSTHROUGH: opaque command bytes.
 * @u.pt.data: the bytes (decode: points into the message).
 * @u.pt.len: byte count, a multiple of 8, at most EMBER_NNC_PT_DATA_MAX.
 * @u.dma: DMA_XFER: host buffer as a list of segments.
 * @u.dma.tag: opaque id of the data for the firmware.
 * @u.dma.xfer_id: non-zero id of this transfer, unique per client while
 *	it is in progress; chosen by the driver.
 * @u.dma.flags: encode: 0, or EMBER_NNC_DMA_ABORT with @nsegs 0 to drop a
 *	partial transfer; decode: the chunk's flags.
 * @u.dma.nsegs: encode: segments in @segs; decode: segments in this chunk.
 * @u.dma.segs: encode input: the whole segment list (the encoder splits it
 *	across messages); NULL after decode.
 * @u.dma.wire: decode output: this chunk's segments, still in wire format
 *	inside the message; read them with ember_nnc_dma_seg().
 * @u.dma.offset: decode output: byte offset of this chunk in the transfer.
 * @u.dma.total: decode output: bytes of the whole transfer.
 * @u.act: ACTIVATE: rings the driver allocated for the DBC.
 * @u.act.ring_size: entries per ring, power of two, 2..65536.
 * @u.act.req_base: bus address of the request ring, 64-byte aligned.
 * @u.act.rsp_base: bus address of the response ring, 32-byte aligned.
 * @u.deact: DEACTIVATE.
 * @u.deact.dbc_id: DBC to release.
 * @u.term: TERMINATE.
 * @u.term.handle: the departing client; equals the message handle.
 */
struct ember_nnc_req {
	__u32 type;
	union {
		struct {
			__u16 major;
			__u16 minor;
			__u32 features;
		} status;
		struct {
			const __u8 *data;
			__u32 len;
		} pt;
		struct {
			__u32 tag;
			__u32 xfer_id;
			__u32 flags;
			__u32 nsegs;
			const struct ember_nnc_seg *segs;
			const __u8 *wire;
			__u64 offset;
			__u64 total;
		} dma;
		struct {
			__u32 ring_size;
			__u64 req_base;
			__u64 rsp_base;
		} act;
		struct {
			__u32 dbc_id;
		} deact;
		struct {
			__u32 handle;
		} term;
	} u;
};

/**
 * struct ember_nnc_rsp - one reply transaction, host-endian
 * @type: EMBER_NNC_T_*, the type of the request it answers.
 * @status: enum ember_nnc_status.
 * @u: type-specific fields.
 * @u.status: STATUS: the firmware's version and the enabled features.
 * @u.status.major: protocol major, equals the header's.
 * @u.status.minor: protocol minor (the firmware's command set).
 * @u.status.features: features enabled from now on (offered & supported).
 * @u.pt: PASSTHROUGH reply data, no longer than the request's.
 * @u.pt.data: the bytes (decode: points into the message).
 * @u.pt.len: byte count, a multiple of 8.
 * @u.dma: DMA_XFER chunk reply.
 * @u.dma.xfer_id: echoes the request's transfer id.
 * @u.dma.received: bytes of the transfer the firmware holds so far.
 * @u.act: ACTIVATE reply.
 * @u.act.dbc_id: the DBC assigned (meaningful if @status is OK).
 * @u.deact: DEACTIVATE reply.
 * @u.deact.dbc_id: echoes the request's DBC id.
 * @u.term: TERMINATE reply.
 * @u.term.released: DBCs the firmware released for the client.
 */
struct ember_nnc_rsp {
	__u32 type;
	__u32 status;
	union {
		struct {
			__u16 major;
			__u16 minor;
			__u32 features;
		} status;
		struct {
			const __u8 *data;
			__u32 len;
		} pt;
		struct {
			__u32 xfer_id;
			__u64 received;
		} dma;
		struct {
			__u32 dbc_id;
		} act;
		struct {
			__u32 dbc_id;
		} deact;
		struct {
			__u32 released;
		} term;
	} u;
};

/**
 * struct ember_nnc_expect - what the reply to one request transaction
 *	must look like (filled by the encoder, checked by the reply decoder)
 * @received: DMA_XFER: offset + bytes of the chunk sent.
 * @type: EMBER_NNC_T_* of the request.
 * @len: wire length of the request transaction; a passthrough reply is
 *	no longer than this.
 * @key: DMA_XFER: transfer id; DEACTIVATE: DBC id; otherwise 0.
 */
struct ember_nnc_expect {
	__u64 received;
	__u32 type;
	__u32 len;
	__u32 key;
};

/**
 * struct ember_nnc_msg_info - bookkeeping of one encoded request message,
 *	needed to validate its reply
 * @seq: sequence number written.
 * @handle: client handle written.
 * @len: message length.
 * @flags: EMBER_NNC_F_* written.
 * @count: transactions in the message.
 * @first: index in the encoder input of the first transaction (which may
 *	be the continuation of a DMA_XFER begun in the previous message).
 * @more: the last transaction is a DMA_XFER chunk with MORE set: the
 *	transfer continues in the next message of this encoder.
 * @trans: per transaction, in message order.
 */
struct ember_nnc_msg_info {
	__u32 seq;
	__u32 handle;
	__u32 len;
	__u32 flags;
	__u32 count;
	__u32 first;
	bool more;
	struct ember_nnc_expect trans[EMBER_NNC_MAX_TRANS];
};

/**
 * struct ember_nnc_enc - request encoder state; treat as opaque
 * @reqs: the transactions to send (caller memory, must stay valid).
 * @nreqs: number of @reqs.
 * @handle: client handle of every message.
 * @flags: EMBER_NNC_F_CRC or 0.
 * @next: index of the next transaction to encode.
 * @seg_done: DMA_XFER @next: segments already encoded.
 * @byte_done: DMA_XFER @next: bytes already encoded.
 * @total: DMA_XFER @next: bytes of the whole transfer.
 */
struct ember_nnc_enc {
	const struct ember_nnc_req *reqs;
	__u32 nreqs;
	__u32 handle;
	__u32 flags;
	__u32 next;
	__u32 seg_done;
	__u64 byte_done;
	__u64 total;
};

/**
 * struct ember_nnc_reasm - firmware-side state of one client's
 *	partially received DMA transfer
 * @active: a transfer is in progress (its last chunk had MORE).
 * @xfer_id: its id.
 * @tag: its tag.
 * @total: its total bytes.
 * @received: bytes received so far.
 * @chunks: chunks received so far.
 */
struct ember_nnc_reasm {
	bool active;
	__u32 xfer_id;
	__u32 tag;
	__u64 total;
	__u64 received;
	__u32 chunks;
};

__u32 ember_nnc_crc32(const void *msg, __u32 len);

int ember_nnc_enc_init(struct ember_nnc_enc *enc,
		       const struct ember_nnc_req *reqs, __u32 nreqs,
		       __u32 handle, __u32 flags, enum ember_nnc_reason *why);
int ember_nnc_enc_next(struct ember_nnc_enc *enc, void *buf, __u32 size,
		       __u32 seq, struct ember_nnc_msg_info *info,
		       enum ember_nnc_reason *why);
bool ember_nnc_enc_done(const struct ember_nnc_enc *enc);

int ember_nnc_decode_reply(const void *buf, __u32 size,
			   const struct ember_nnc_msg_info *info, __u32 dflags,
			   struct ember_nnc_hdr *hdr, struct ember_nnc_rsp *rsps,
			   __u32 max, enum ember_nnc_reason *why);

int ember_nnc_decode_request(const void *buf, __u32 size, __u32 dflags,
			     struct ember_nnc_hdr *hdr,
			     struct ember_nnc_req *reqs, __u32 max,
			     enum ember_nnc_reason *why);
int ember_nnc_encode_reply(void *buf, __u32 size,
			   const struct ember_nnc_hdr *hdr,
			   const struct ember_nnc_rsp *rsps, __u32 n,
			   enum ember_nnc_reason *why);

struct ember_nnc_seg ember_nnc_dma_seg(const struct ember_nnc_req *req,
				       __u32 i);
int ember_nnc_reasm_begin(struct ember_nnc_reasm *r,
			  const struct ember_nnc_req *reqs, __u32 n,
			  enum ember_nnc_reason *why);
int ember_nnc_reasm_feed(struct ember_nnc_reasm *r,
			 const struct ember_nnc_req *chunk, __u32 index,
			 enum ember_nnc_reason *why);
void ember_nnc_reasm_reset(struct ember_nnc_reasm *r);

int ember_nnc_status_to_errno(__u32 status);
__u32 ember_nnc_errno_to_status(int err);
const char *ember_nnc_reason_str(enum ember_nnc_reason why);

#ifdef __cplusplus
}
#endif

#endif /* _EMBER_NNC_H_ */
