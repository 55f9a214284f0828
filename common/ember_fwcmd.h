/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * ember firmware commands carried in NNC PASSTHROUGH transactions
 * (docs/nnc.md §15): command numbers, byte offsets of every field, sizes
 * and limits, and little-endian accessors for them. This is the one
 * definition; libember encodes with it, the firmware model (emu/) decodes
 * and executes, the driver reads the LOAD and UNLOAD fields it follows,
 * and the tests build raw commands with it.
 *
 * Like the rest of NNC the format exists only as byte offsets into a
 * buffer (no structs: nothing depends on the host's layout or alignment).
 * Plain C on the types of <linux/types.h>, shared by the kernel and Linux
 * userspace.
 */
#ifndef _EMBER_FWCMD_H_
#define _EMBER_FWCMD_H_

#include <linux/types.h>

/* §15.1 command header: cmd u16, flags u16, len u32 */
#define EMBER_FW_CMD_ECHO		1
#define EMBER_FW_CMD_LOAD_WORKLOAD	2
#define EMBER_FW_CMD_UNLOAD_WORKLOAD	3
#define EMBER_FW_CMD_QUERY		4
#define EMBER_FW_CMD_REPLY		0x8000	/* set in a reply's cmd */
#define EMBER_FW_HDR_CMD		0
#define EMBER_FW_HDR_FLAGS		2
#define EMBER_FW_HDR_LEN_FIELD		4
#define EMBER_FW_HDR_LEN		8	/* header bytes */
#define EMBER_FW_ALIGN			8	/* len is a multiple */
/* The largest command is a PASSTHROUGH's data: EMBER_NNC_PT_DATA_MAX. */

/* §15.2 workloads */
#define EMBER_FW_NAME_LEN		16
#define EMBER_FW_MAX_REGIONS		8
#define EMBER_FW_MAX_STEPS		32
#define EMBER_FW_MAX_SLICES		16	/* inputs, and outputs */
#define EMBER_FW_MAX_WORKLOADS		64	/* per function */
#define EMBER_FW_REGION_ALIGN		4096	/* region sizes and offsets */

/* §15.3 LOAD_WORKLOAD request */
#define EMBER_FW_LOAD_NAME		8
#define EMBER_FW_LOAD_IMAGE_TAG		24
#define EMBER_FW_LOAD_NREGIONS		28
#define EMBER_FW_LOAD_NSTEPS		32
#define EMBER_FW_LOAD_NINPUTS		36
#define EMBER_FW_LOAD_NOUTPUTS		40
#define EMBER_FW_LOAD_RSVD		44
#define EMBER_FW_LOAD_SIZES		48	/* region sizes, u64 each */
#define EMBER_FW_LOAD_FIXED_LEN		48	/* bytes before the sizes */
#define EMBER_FW_REGION_ENTRY_LEN	8
#define EMBER_FW_STEP_LEN		32

/* Bytes of a LOAD_WORKLOAD request (and its reply) */
#define EMBER_FW_LOAD_LEN(nregions, nsteps)				\
	(EMBER_FW_LOAD_FIXED_LEN +					\
	 EMBER_FW_REGION_ENTRY_LEN * (nregions) +			\
	 EMBER_FW_STEP_LEN * (nsteps))

/* §15.3 a step of the program */
#define EMBER_FW_STEP_OP		0	/* EMBER_HW_OP_* */
#define EMBER_FW_STEP_SRC_KIND		1
#define EMBER_FW_STEP_DST_KIND		2
#define EMBER_FW_STEP_AUX_KIND		3
#define EMBER_FW_STEP_SRC_INDEX		4
#define EMBER_FW_STEP_DST_INDEX		5
#define EMBER_FW_STEP_AUX_INDEX		6
#define EMBER_FW_STEP_RSVD0		7
#define EMBER_FW_STEP_LEN_FIELD		8
#define EMBER_FW_STEP_M			12
#define EMBER_FW_STEP_N			16
#define EMBER_FW_STEP_K			20
#define EMBER_FW_STEP_RSVD1		24

/* Operand kinds of a step */
#define EMBER_FW_OPND_NONE		0
#define EMBER_FW_OPND_INPUT		1
#define EMBER_FW_OPND_OUTPUT		2
#define EMBER_FW_OPND_REGION		3

/* §15.3 LOAD_WORKLOAD reply */
#define EMBER_FW_LOAD_RSP_ID		8
#define EMBER_FW_LOAD_RSP_NREGIONS	12
#define EMBER_FW_LOAD_RSP_IMAGE_BYTES	16
#define EMBER_FW_LOAD_RSP_OFFSETS	24	/* region offsets, u64 each */
#define EMBER_FW_LOAD_RSP_FIXED_LEN	24

/* §15.4 UNLOAD_WORKLOAD request and reply */
#define EMBER_FW_UNLOAD_ID		8
#define EMBER_FW_UNLOAD_RSVD		12
#define EMBER_FW_UNLOAD_LEN		16

/* §15.5 QUERY request (zeros after the header) and reply */
#define EMBER_FW_QUERY_LEN		56
#define EMBER_FW_QUERY_DBCS_TOTAL	8
#define EMBER_FW_QUERY_DBCS_FREE	12
#define EMBER_FW_QUERY_DEVMEM_TOTAL	16
#define EMBER_FW_QUERY_DEVMEM_FREE	24
#define EMBER_FW_QUERY_WORKLOADS	32
#define EMBER_FW_QUERY_DBCS_OWNED	36
#define EMBER_FW_QUERY_STAGED_BYTES	40
#define EMBER_FW_QUERY_RSVD		48

/*
 * Little-endian field access at byte offset @off of @p, independent of the
 * host's endianness and alignment.
 */
static inline __u16 ember_fw_get16(const __u8 *p, unsigned int off)
{
	return (__u16)(p[off] | (p[off + 1] << 8));
}

static inline __u32 ember_fw_get32(const __u8 *p, unsigned int off)
{
	return (__u32)ember_fw_get16(p, off) |
	       ((__u32)ember_fw_get16(p, off + 2) << 16);
}

static inline __u64 ember_fw_get64(const __u8 *p, unsigned int off)
{
	return (__u64)ember_fw_get32(p, off) |
	       ((__u64)ember_fw_get32(p, off + 4) << 32);
}

static inline void ember_fw_put16(__u8 *p, unsigned int off, __u16 v)
{
	p[off] = (__u8)v;
	p[off + 1] = (__u8)(v >> 8);
}

static inline void ember_fw_put32(__u8 *p, unsigned int off, __u32 v)
{
	ember_fw_put16(p, off, (__u16)v);
	ember_fw_put16(p, off + 2, (__u16)(v >> 16));
}

static inline void ember_fw_put64(__u8 *p, unsigned int off, __u64 v)
{
	ember_fw_put32(p, off, (__u32)v);
	ember_fw_put32(p, off + 4, (__u32)(v >> 32));
}

/* Writes a command header: @cmd (with EMBER_FW_CMD_REPLY for a reply). */
static inline void ember_fw_put_hdr(__u8 *p, __u16 cmd, __u32 len)
{
	ember_fw_put16(p, EMBER_FW_HDR_CMD, cmd);
	ember_fw_put16(p, EMBER_FW_HDR_FLAGS, 0);
	ember_fw_put32(p, EMBER_FW_HDR_LEN_FIELD, len);
}

#endif /* _EMBER_FWCMD_H_ */
