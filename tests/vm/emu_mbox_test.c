// SPDX-License-Identifier: GPL-2.0-only
/*
 * emu_mbox_test: tests the management firmware of the ember device model
 * (emu/) through the raw mailbox, with no driver bound, from inside
 * the test VM (scripts/vm-run).
 *
 * Like emu_selftest it maps BAR0 (registers) and BAR2 (device memory)
 * through sysfs and takes DMA memory from 2 MiB hugepages (the guest has
 * no IOMMU: bus address == physical address from /proc/self/pagemap). It
 * speaks NNC (docs/nnc.md) with the driver's own codec (kmd/ember_nnc.c,
 * compiled in) and checks: mailbox setup, STATUS negotiation with and
 * without CRC, message-level rejects, ECHO, the management interrupt,
 * ACTIVATE/DEACTIVATE (and running requests on an activated DBC),
 * DMA_XFER continuation, LOAD/UNLOAD_WORKLOAD against device memory,
 * QUERY accounting, TERMINATE, 1000 activation cycles, the mailbox fault
 * knobs, a full response queue, and resets dropping firmware state.
 *
 * With the device property nnc-major set to another major (vm-run
 * --qemu-dev-opts nnc-major=2) it checks that the firmware refuses every
 * message as UNSUPPORTED in its own major, which the codec turns into
 * -EOPNOTSUPP, and nothing else.
 *
 *   emu_mbox_test [--dbcs N] [--mem SIZE] [--nnc-major N] [--bdf BDF]
 *                 [--seed N] [--cycles N] [-v]
 *
 * Prints "PASS name" or "FAIL name: details" per check, then "N passed,
 * N failed"; exits 1 on any failure.
 *
 * Registers are common/ember_hw.h's, firmware commands
 * common/ember_fwcmd.h's; the BARs, hugepages, rings, checks and waits
 * come from emu_harness. No check sleeps for a fixed time: each waits,
 * with a deadline, for the reply, register or memory write that shows the
 * device got there, and a "nothing happened" check waits for a later
 * request (or a barrier) that proves the device went past that point.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -I common -I tests/vm -o build/emu_mbox_test \
 *            tests/vm/emu_mbox_test.c tests/vm/emu_harness.c common/ember_nnc.c
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember_fwcmd.h"
#include "ember_hw.h"
#include "ember_nnc.h"
#include "emu_harness.h"

/* ---- Options ---- */

static unsigned opt_dbcs;		/* 0: from EMBER_DBC_INFO */
static uint64_t opt_mem;		/* 0: from EMBER_DEVMEM_SIZE */
static unsigned opt_nnc_major;		/* 0: from EMBER_FW_NNC_VERSION */
static const char *opt_bdf;
static unsigned opt_cycles = 1000;

/* ---- The device ---- */

static unsigned n_dbcs;
static uint64_t mem_size;

/* ---- DMA memory from hugepages ---- */

#define HP_COUNT	8

#define HP_MBOX		0	/* request queue at 0, response queue at 1 MiB */
#define HP_RINGS	1	/* DBC rings for ACTIVATE: 64 KiB per slot */
#define HP_MISC		2	/* small buffers, MSI target */
#define HP_DATA		3	/* 5 pages of random data for DMA_XFER */
#define HP_DATA_N	5

#define MSI_TARGET	0x1000	/* in HP_MISC */
#define MSI_DATA	0x4d42

/* Bus address of a byte in the HP_DATA pages (each page is contiguous) */
static uint64_t data_pa(size_t off)
{
	return hp_pa(HP_DATA + off / EMU_HP_SIZE, off % EMU_HP_SIZE);
}

static void setup_hugepages(void)
{
	hugepages_setup(HP_COUNT);
	fill_random(hp(HP_DATA, 0), (size_t)HP_DATA_N * EMU_HP_SIZE);
}

/* ---- Mailbox ---- */

static uint32_t mq_depth, mq_tail, mq_head;
static uint32_t next_seq = 1;
static const unsigned xchg_timeout_ms = 10000;	/* wait for a reply */
static bool crc_on;		/* CRC negotiated: send and require it */

static uint8_t *mq_req(uint32_t slot)
{
	return hp(HP_MBOX, (size_t)slot * EMBER_MBOX_SLOT_SIZE);
}

static uint8_t *mq_rsp(uint32_t slot)
{
	return hp(HP_MBOX, (1u << 20) + (size_t)slot * EMBER_MBOX_SLOT_SIZE);
}

static void mbox_program(uint64_t req, uint64_t rsp, uint32_t depth)
{
	wr(EMBER_MBOX_CTRL, 0);
	wr(EMBER_MBOX_REQ_BASE_LO, (uint32_t)req);
	wr(EMBER_MBOX_REQ_BASE_HI, (uint32_t)(req >> 32));
	wr(EMBER_MBOX_RSP_BASE_LO, (uint32_t)rsp);
	wr(EMBER_MBOX_RSP_BASE_HI, (uint32_t)(rsp >> 32));
	wr(EMBER_MBOX_DEPTH, depth);
	wr(EMBER_MBOX_CTRL, EMBER_MBOX_CTRL_ENABLE);
}

/* Set the mailbox up with @depth slots; true when it is enabled */
static bool mbox_open(uint32_t depth)
{
	mbox_program(hp_pa(HP_MBOX, 0), hp_pa(HP_MBOX, 1u << 20), depth);
	mq_depth = depth;
	mq_tail = mq_head = 0;
	memset(mq_rsp(0), 0xa5, (size_t)depth * EMBER_MBOX_SLOT_SIZE);
	return rd(EMBER_MBOX_STATUS) == EMBER_MBOX_STATUS_ENABLED;
}

static void mbox_post(const void *msg, uint32_t len)
{
	memset(mq_req(mq_tail), 0, EMBER_MBOX_SLOT_SIZE);
	memcpy(mq_req(mq_tail), msg, len);
	mq_tail = (mq_tail + 1) & (mq_depth - 1);
	__sync_synchronize();
	wr(EMBER_MBOX_REQ_TAIL, mq_tail);
}

static uint32_t mbox_avail(void)
{
	return (rd(EMBER_MBOX_RSP_TAIL) - mq_head) & (mq_depth - 1);
}

struct replies {
	uint32_t n, last;
};

static bool replies_there(void *p)
{
	struct replies *c = p;

	c->last = mbox_avail();
	return c->last >= c->n;
}

/* Wait until @n replies are there; returns how many are */
static uint32_t mbox_wait(uint32_t n, unsigned timeout_ms)
{
	struct replies c = { n, 0 };

	wait_until(replies_there, &c, timeout_ms);
	return c.last;
}

/* Consume the next reply into @buf (4096 bytes) */
static void mbox_pop(uint8_t *buf)
{
	__sync_synchronize();
	memcpy(buf, mq_rsp(mq_head), EMBER_MBOX_SLOT_SIZE);
	memset(mq_rsp(mq_head), 0xa5, EMBER_MBOX_SLOT_SIZE);
	mq_head = (mq_head + 1) & (mq_depth - 1);
	wr(EMBER_MBOX_RSP_HEAD, mq_head);
}

/* Send @len bytes and wait for one reply; false on timeout */
static bool mbox_xchg(const void *msg, uint32_t len, uint8_t *rsp, unsigned timeout_ms)
{
	mbox_post(msg, len);
	if (mbox_wait(1, timeout_ms) < 1)
		return false;
	mbox_pop(rsp);
	return true;
}

/* ---- NNC exchanges through the codec ---- */

struct xchg {
	int ret;			/* decode result, or -ETIMEDOUT */
	enum ember_nnc_reason why;
	struct ember_nnc_hdr hdr;
	struct ember_nnc_rsp rsps[EMBER_NNC_MAX_TRANS];
	struct ember_nnc_msg_info info;
	uint32_t msgs;			/* messages sent */
	uint8_t raw[EMBER_MBOX_SLOT_SIZE];		/* the last reply; rsps point here */
};

typedef void (*tamper_fn)(uint8_t *msg, uint32_t *len);

/*
 * Encode @reqs for @handle (messages of at most @limit bytes), send each
 * message and decode its reply. Stops at the first reply that fails to
 * decode, is rejected or has a failed transaction. @tamper, when given,
 * edits each encoded message before it is sent.
 */
static void call_ex(uint32_t handle, const struct ember_nnc_req *reqs, uint32_t n,
		    uint32_t limit, tamper_fn tamper, struct xchg *x)
{
	static uint8_t msg[EMBER_MBOX_SLOT_SIZE];
	struct ember_nnc_enc enc;
	uint32_t i, len;
	int ret;

	memset(x, 0, sizeof(*x));
	ret = ember_nnc_enc_init(&enc, reqs, n, handle, crc_on ? EMBER_NNC_F_CRC : 0, &x->why);
	if (ret) {
		x->ret = ret;
		return;
	}
	for (;;) {
		ret = ember_nnc_enc_next(&enc, msg, limit, next_seq++, &x->info, &x->why);
		if (ret <= 0) {
			x->ret = ret;
			return;
		}
		len = (uint32_t)ret;
		if (tamper)
			tamper(msg, &len);
		x->msgs++;
		if (!mbox_xchg(msg, len, x->raw, xchg_timeout_ms)) {
			x->ret = -ETIMEDOUT;
			return;
		}
		x->ret = ember_nnc_decode_reply(x->raw, EMBER_MBOX_SLOT_SIZE, &x->info,
						crc_on ? EMBER_NNC_DEC_REQUIRE_CRC : 0, &x->hdr,
						x->rsps, EMBER_NNC_MAX_TRANS, &x->why);
		if (x->ret || x->hdr.status)
			return;
		for (i = 0; i < x->hdr.count; i++)
			if (x->rsps[i].status)
				return;
		if (ember_nnc_enc_done(&enc))
			return;
	}
}

static void call(uint32_t handle, const struct ember_nnc_req *reqs, uint32_t n, struct xchg *x)
{
	call_ex(handle, reqs, n, EMBER_MBOX_SLOT_SIZE, NULL, x);
}

/* Status of transaction @i: the message status when rejected, -1 on exchange failure */
static int tstatus(const struct xchg *x, uint32_t i)
{
	if (x->ret)
		return -1;
	if (x->hdr.status)
		return 100 + x->hdr.status;	/* distinguishable from transaction statuses */
	if (i >= x->hdr.count)
		return -2;
	return (int)x->rsps[i].status;
}

static const char *xdesc(const struct xchg *x)
{
	static char buf[160];

	if (x->ret)
		snprintf(buf, sizeof(buf), "exchange failed: %d (%s) %s", x->ret,
			 strerror(-x->ret), ember_nnc_reason_str(x->why));
	else if (x->hdr.status)
		snprintf(buf, sizeof(buf), "message status %u", x->hdr.status);
	else
		snprintf(buf, sizeof(buf), "statuses %d %d %d (count %u)",
			 x->hdr.count > 0 ? (int)x->rsps[0].status : -1,
			 x->hdr.count > 1 ? (int)x->rsps[1].status : -1,
			 x->hdr.count > 2 ? (int)x->rsps[2].status : -1, x->hdr.count);
	return buf;
}

#define MSG_ST(st)	(100 + (st))

static struct ember_nnc_req req_status(uint32_t features)
{
	struct ember_nnc_req r = { .type = EMBER_NNC_T_STATUS };

	r.u.status.features = features;
	return r;
}

static struct ember_nnc_req req_pt(const void *data, uint32_t len)
{
	struct ember_nnc_req r = { .type = EMBER_NNC_T_PASSTHROUGH };

	r.u.pt.data = data;
	r.u.pt.len = len;
	return r;
}

static struct ember_nnc_req req_activate(uint32_t size, uint64_t req_base, uint64_t rsp_base)
{
	struct ember_nnc_req r = { .type = EMBER_NNC_T_ACTIVATE };

	r.u.act.ring_size = size;
	r.u.act.req_base = req_base;
	r.u.act.rsp_base = rsp_base;
	return r;
}

static struct ember_nnc_req req_deactivate(uint32_t dbc)
{
	struct ember_nnc_req r = { .type = EMBER_NNC_T_DEACTIVATE };

	r.u.deact.dbc_id = dbc;
	return r;
}

static struct ember_nnc_req req_terminate(uint32_t handle)
{
	struct ember_nnc_req r = { .type = EMBER_NNC_T_TERMINATE };

	r.u.term.handle = handle;
	return r;
}

static struct ember_nnc_req req_dma(uint32_t tag, uint32_t xfer_id,
				    const struct ember_nnc_seg *segs, uint32_t nsegs)
{
	struct ember_nnc_req r = { .type = EMBER_NNC_T_DMA_XFER };

	r.u.dma.tag = tag;
	r.u.dma.xfer_id = xfer_id;
	r.u.dma.segs = segs;
	r.u.dma.nsegs = nsegs;
	return r;
}

static struct ember_nnc_req req_abort(uint32_t xfer_id)
{
	struct ember_nnc_req r = { .type = EMBER_NNC_T_DMA_XFER };

	r.u.dma.xfer_id = xfer_id;
	r.u.dma.flags = EMBER_NNC_DMA_ABORT;
	return r;
}

/* One transaction, one message: its status (see tstatus) */
static int call1(uint32_t handle, struct ember_nnc_req r, struct xchg *x)
{
	call(handle, &r, 1, x);
	return tstatus(x, 0);
}

/*
 * Encode @r as one message from @handle and post it without waiting;
 * @info (may be NULL) gets what decoding its reply needs.
 */
static void post1(uint32_t handle, const struct ember_nnc_req *r, uint32_t flags,
		  struct ember_nnc_msg_info *info)
{
	static uint8_t msg[EMBER_MBOX_SLOT_SIZE];
	struct ember_nnc_enc enc;
	int len;

	ember_nnc_enc_init(&enc, r, 1, handle, flags, NULL);
	len = ember_nnc_enc_next(&enc, msg, EMBER_MBOX_SLOT_SIZE, next_seq++, info, NULL);
	if (len <= 0)
		fatal("encoding a message failed: %d", len);
	mbox_post(msg, (uint32_t)len);
}

/* ---- Firmware commands (docs/nnc.md §15, common/ember_fwcmd.h) ---- */

struct query {
	uint32_t dbcs_total, dbcs_free;
	uint64_t devmem_total, devmem_free;
	uint32_t workloads, dbcs_owned;
	uint64_t staged;
};

/* QUERY as @handle; returns the PASSTHROUGH status or -1 */
static int query(uint32_t handle, struct query *q)
{
	uint8_t cmd[EMBER_FW_QUERY_LEN] = { 0 };
	const uint8_t *d;
	struct xchg x;
	int st;

	memset(q, 0xff, sizeof(*q));
	ember_fw_put_hdr(cmd, EMBER_FW_CMD_QUERY, sizeof(cmd));
	st = call1(handle, req_pt(cmd, sizeof(cmd)), &x);
	if (st != EMBER_NNC_ST_OK)
		return st;
	d = x.rsps[0].u.pt.data;
	if (x.rsps[0].u.pt.len != EMBER_FW_QUERY_LEN ||
	    ember_fw_get16(d, EMBER_FW_HDR_CMD) != (EMBER_FW_CMD_QUERY | EMBER_FW_CMD_REPLY) ||
	    ember_fw_get32(d, EMBER_FW_HDR_LEN_FIELD) != EMBER_FW_QUERY_LEN ||
	    ember_fw_get64(d, EMBER_FW_QUERY_RSVD))
		return -3;
	q->dbcs_total = ember_fw_get32(d, EMBER_FW_QUERY_DBCS_TOTAL);
	q->dbcs_free = ember_fw_get32(d, EMBER_FW_QUERY_DBCS_FREE);
	q->devmem_total = ember_fw_get64(d, EMBER_FW_QUERY_DEVMEM_TOTAL);
	q->devmem_free = ember_fw_get64(d, EMBER_FW_QUERY_DEVMEM_FREE);
	q->workloads = ember_fw_get32(d, EMBER_FW_QUERY_WORKLOADS);
	q->dbcs_owned = ember_fw_get32(d, EMBER_FW_QUERY_DBCS_OWNED);
	q->staged = ember_fw_get64(d, EMBER_FW_QUERY_STAGED_BYTES);
	return 0;
}

static const char *qdesc(const struct query *q)
{
	static char buf[200];

	snprintf(buf, sizeof(buf),
		 "dbcs %u free %u, devmem %" PRIu64 " free %" PRIu64
		 ", workloads %u, owned %u, staged %" PRIu64,
		 q->dbcs_total, q->dbcs_free, q->devmem_total, q->devmem_free,
		 q->workloads, q->dbcs_owned, q->staged);
	return buf;
}

/* The state of a client that holds nothing on an idle device */
static bool query_is_start(const struct query *q)
{
	return q->dbcs_total == n_dbcs && q->dbcs_free == n_dbcs &&
	       q->devmem_total == mem_size && q->devmem_free == mem_size &&
	       !q->workloads && !q->dbcs_owned && !q->staged;
}

/* One step of a LOAD_WORKLOAD program, field by field (EMBER_FW_STEP_*) */
struct step {
	uint8_t op, src_kind, dst_kind, aux_kind, src_index, dst_index, aux_index, rsvd;
	uint32_t len, m, n, k;
	uint64_t rsvd2;
};

struct load {
	uint32_t image_tag;
	uint32_t nregions, nsteps, ninputs, noutputs;
	uint64_t region_size[EMBER_FW_MAX_REGIONS];
	struct step steps[EMBER_FW_MAX_STEPS];
	uint32_t len_adjust;		/* breaks the command length when non-zero */
	const char *name;		/* EMBER_FW_NAME_LEN bytes at most; NULL: a default */
};

struct load_reply {
	uint32_t workload_id, nregions;
	uint64_t image_bytes;
	uint64_t region_offset[EMBER_FW_MAX_REGIONS];
};

/* LOAD_WORKLOAD as @handle; returns the PASSTHROUGH status or -1 */
static int load(uint32_t handle, const struct load *l, struct load_reply *rep)
{
	static uint8_t cmd[EMBER_NNC_PT_DATA_MAX];
	uint32_t len = EMBER_FW_LOAD_LEN(l->nregions, l->nsteps), i, off;
	const uint8_t *d;
	struct xchg x;
	int st;

	memset(cmd, 0, sizeof(cmd));
	ember_fw_put_hdr(cmd, EMBER_FW_CMD_LOAD_WORKLOAD, len + l->len_adjust);
	if (l->name)
		memcpy(cmd + EMBER_FW_LOAD_NAME, l->name, strnlen(l->name, EMBER_FW_NAME_LEN));
	else
		memcpy(cmd + EMBER_FW_LOAD_NAME, "emu-mbox-test", 13);
	ember_fw_put32(cmd, EMBER_FW_LOAD_IMAGE_TAG, l->image_tag);
	ember_fw_put32(cmd, EMBER_FW_LOAD_NREGIONS, l->nregions);
	ember_fw_put32(cmd, EMBER_FW_LOAD_NSTEPS, l->nsteps);
	ember_fw_put32(cmd, EMBER_FW_LOAD_NINPUTS, l->ninputs);
	ember_fw_put32(cmd, EMBER_FW_LOAD_NOUTPUTS, l->noutputs);
	off = EMBER_FW_LOAD_SIZES;
	for (i = 0; i < l->nregions; i++, off += EMBER_FW_REGION_ENTRY_LEN)
		ember_fw_put64(cmd, off, l->region_size[i]);
	for (i = 0; i < l->nsteps; i++, off += EMBER_FW_STEP_LEN) {
		const struct step *s = &l->steps[i];
		uint8_t *p = cmd + off;

		p[EMBER_FW_STEP_OP] = s->op;
		p[EMBER_FW_STEP_SRC_KIND] = s->src_kind;
		p[EMBER_FW_STEP_DST_KIND] = s->dst_kind;
		p[EMBER_FW_STEP_AUX_KIND] = s->aux_kind;
		p[EMBER_FW_STEP_SRC_INDEX] = s->src_index;
		p[EMBER_FW_STEP_DST_INDEX] = s->dst_index;
		p[EMBER_FW_STEP_AUX_INDEX] = s->aux_index;
		p[EMBER_FW_STEP_RSVD0] = s->rsvd;
		ember_fw_put32(p, EMBER_FW_STEP_LEN_FIELD, s->len);
		ember_fw_put32(p, EMBER_FW_STEP_M, s->m);
		ember_fw_put32(p, EMBER_FW_STEP_N, s->n);
		ember_fw_put32(p, EMBER_FW_STEP_K, s->k);
		ember_fw_put64(p, EMBER_FW_STEP_RSVD1, s->rsvd2);
	}
	st = call1(handle, req_pt(cmd, len), &x);
	if (rep)
		memset(rep, 0, sizeof(*rep));
	if (st != EMBER_NNC_ST_OK) {
		if (st >= 0 && st < 100 && x.rsps[0].u.pt.len)
			return -4;	/* a failed command returns no data */
		return st;
	}
	d = x.rsps[0].u.pt.data;
	if (x.rsps[0].u.pt.len != len ||
	    ember_fw_get16(d, EMBER_FW_HDR_CMD) !=
		    (EMBER_FW_CMD_LOAD_WORKLOAD | EMBER_FW_CMD_REPLY) ||
	    ember_fw_get32(d, EMBER_FW_HDR_LEN_FIELD) != len)
		return -3;
	for (i = EMBER_FW_LOAD_RSP_FIXED_LEN +
		 8 * ember_fw_get32(d, EMBER_FW_LOAD_RSP_NREGIONS); i < len; i++)
		if (d[i])
			return -5;	/* rest of the data must be zero */
	if (rep) {
		rep->workload_id = ember_fw_get32(d, EMBER_FW_LOAD_RSP_ID);
		rep->nregions = ember_fw_get32(d, EMBER_FW_LOAD_RSP_NREGIONS);
		rep->image_bytes = ember_fw_get64(d, EMBER_FW_LOAD_RSP_IMAGE_BYTES);
		for (i = 0; i < rep->nregions && i < EMBER_FW_MAX_REGIONS; i++)
			rep->region_offset[i] =
				ember_fw_get64(d, EMBER_FW_LOAD_RSP_OFFSETS + 8 * i);
	}
	return 0;
}

static int unload(uint32_t handle, uint32_t id)
{
	uint8_t cmd[EMBER_FW_UNLOAD_LEN] = { 0 };
	const uint8_t *d;
	struct xchg x;
	int st;

	ember_fw_put_hdr(cmd, EMBER_FW_CMD_UNLOAD_WORKLOAD, EMBER_FW_UNLOAD_LEN);
	ember_fw_put32(cmd, EMBER_FW_UNLOAD_ID, id);
	st = call1(handle, req_pt(cmd, EMBER_FW_UNLOAD_LEN), &x);
	d = x.rsps[0].u.pt.data;
	if (st == EMBER_NNC_ST_OK &&
	    (x.rsps[0].u.pt.len != EMBER_FW_UNLOAD_LEN ||
	     ember_fw_get16(d, EMBER_FW_HDR_CMD) !=
		     (EMBER_FW_CMD_UNLOAD_WORKLOAD | EMBER_FW_CMD_REPLY) ||
	     ember_fw_get32(d, EMBER_FW_UNLOAD_ID) != id))
		return -3;
	return st;
}

static int terminate(uint32_t handle, uint32_t *released)
{
	struct xchg x;
	int st = call1(handle, req_terminate(handle), &x);

	if (released)
		*released = st == 0 ? x.rsps[0].u.term.released : ~0u;
	return st;
}

/* A minimal valid workload: one 4 KiB region filled by one step */
static struct load tiny_load(void)
{
	struct load l;

	memset(&l, 0, sizeof(l));
	l.nregions = 1;
	l.region_size[0] = EMBER_FW_REGION_ALIGN;
	l.nsteps = 1;
	l.steps[0] = (struct step){ .op = EMBER_HW_OP_FILL, .dst_kind = EMBER_FW_OPND_REGION,
				    .aux_index = 0x5a };
	return l;
}

/* ---- DBC rings for activated DBCs ---- */

#define RING_SLOT	(64u << 10)
#define RING_ENTRIES	16

static uint64_t ring_req_pa(unsigned slot)
{
	return hp_pa(HP_RINGS, slot * RING_SLOT);
}

static uint64_t ring_rsp_pa(unsigned slot)
{
	return hp_pa(HP_RINGS, slot * RING_SLOT + RING_SLOT / 2);
}

static struct ember_nnc_req act_req(unsigned slot)
{
	return req_activate(RING_ENTRIES, ring_req_pa(slot), ring_rsp_pa(slot));
}

/* Run one request on DBC @dbc whose rings are slot @slot; returns its status or -1 */
static int dbc_run(unsigned dbc, unsigned slot, uint8_t op, uint32_t len, uint64_t src,
		   uint64_t dst, uint16_t id)
{
	struct ember_dbc_req r;
	struct ember_dbc_rsp rsp;

	dbc_attach(dbc, RING_ENTRIES, hp(HP_RINGS, slot * RING_SLOT), ring_req_pa(slot),
		   hp(HP_RINGS, slot * RING_SLOT + RING_SLOT / 2), ring_rsp_pa(slot));
	memset(&r, 0, sizeof(r));
	r.req_id = id;
	r.opcode = op;
	r.len = len;
	r.src = src;
	r.dst = dst;
	r.cookie = 0xc0ffee00ull + id;
	if (!dbc_exec(dbc, &r, &rsp))
		return -1;
	if (rsp.req_id != id || rsp.opcode != op || rsp.cookie != 0xc0ffee00ull + id)
		return -2;
	return rsp.status;
}

/*
 * "Nothing happened" settles on the mailbox: a barrier (dbc_barrier()) on
 * the last DBC, set up by hand on a spare ring slot and reset afterwards
 * (DEV_CTRL.ENABLE set, no client holding that DBC). The mailbox is served
 * from the same event loop as the DBCs, so once the barrier's response is
 * there the firmware has looked at every request posted before it.
 */
#define PROBE_SLOT	31

static bool settle(void)
{
	unsigned probe = n_dbcs - 1;
	bool ok;

	ok = dbc_setup(probe, RING_ENTRIES, hp(HP_RINGS, PROBE_SLOT * RING_SLOT),
		       ring_req_pa(PROBE_SLOT), hp(HP_RINGS, PROBE_SLOT * RING_SLOT + RING_SLOT / 2),
		       ring_rsp_pa(PROBE_SLOT)) &&
	     dbc_barrier(probe);
	dwr(probe, EMBER_DBC_CTRL, EMBER_DBC_CTRL_RESET);
	return ok;
}

/* ---- Tests ---- */

static void test_identity(void)
{
	check(rd(EMBER_CAPS) & EMBER_CAP_MBOX, "caps.mbox", "CAPS 0x%x", rd(EMBER_CAPS));
	check(rd(EMBER_FW_NNC_VERSION) == 0x00010000, "fw_nnc_version",
	      "0x%08x, want 1.0", rd(EMBER_FW_NNC_VERSION));
	check(rd(EMBER_MBOX_STATUS) == 0 && rd(EMBER_MBOX_CTRL) == 0, "mbox.disabled_at_start",
	      "STATUS 0x%x CTRL 0x%x", rd(EMBER_MBOX_STATUS), rd(EMBER_MBOX_CTRL));
}

static void test_setup(void)
{
	uint64_t req = hp_pa(HP_MBOX, 0), rsp = hp_pa(HP_MBOX, 1u << 20);
	static const uint32_t bad_depths[] = { 0, 1, 3, 12, 512, 1024 };
	uint32_t st, bad = 0;
	unsigned i;

	wr(EMBER_MBOX_CTRL, 0);
	wr(EMBER_MBOX_REQ_TAIL, 1);
	check(rd(EMBER_MBOX_REQ_TAIL) == 0, "mbox.setup.tail_ignored_while_disabled",
	      "REQ_TAIL %u", rd(EMBER_MBOX_REQ_TAIL));

	mbox_program(req + 2048, rsp, 16);
	st = rd(EMBER_MBOX_STATUS);
	check(st == EMBER_MBOX_STATUS_ERROR && rd(EMBER_MBOX_CTRL) == 0, "mbox.setup.req_misaligned",
	      "STATUS 0x%x CTRL 0x%x", st, rd(EMBER_MBOX_CTRL));
	mbox_program(req, rsp + 64, 16);
	st = rd(EMBER_MBOX_STATUS);
	check(st == EMBER_MBOX_STATUS_ERROR, "mbox.setup.rsp_misaligned", "STATUS 0x%x", st);
	for (i = 0; i < sizeof(bad_depths) / sizeof(bad_depths[0]); i++) {
		mbox_program(req, rsp, bad_depths[i]);
		if (rd(EMBER_MBOX_STATUS) != EMBER_MBOX_STATUS_ERROR)
			bad = bad_depths[i] ? bad_depths[i] : ~0u;
	}
	check(!bad, "mbox.setup.bad_depth", "depth %u accepted or no ERROR", bad);

	mbox_program(req, rsp, 2);
	st = rd(EMBER_MBOX_STATUS);
	mbox_program(req, rsp, 256);
	st |= rd(EMBER_MBOX_STATUS) << 8;
	check(st == (EMBER_MBOX_STATUS_ENABLED | EMBER_MBOX_STATUS_ENABLED << 8) &&
	      rd(EMBER_MBOX_CTRL) == EMBER_MBOX_CTRL_ENABLE && rd(EMBER_MBOX_REQ_HEAD) == 0 &&
	      rd(EMBER_MBOX_RSP_TAIL) == 0 && rd(EMBER_MBOX_DEPTH) == 256,
	      "mbox.setup.ok_clears_error", "STATUS 0x%x (depth 2 | depth 256 << 8) CTRL 0x%x", st,
	      rd(EMBER_MBOX_CTRL));
	wr(EMBER_MBOX_REQ_TAIL, 256);
	check(rd(EMBER_MBOX_REQ_TAIL) == 0 && rd(EMBER_MBOX_REQ_HEAD) == 0,
	      "mbox.setup.tail_out_of_range_ignored", "REQ_TAIL %u", rd(EMBER_MBOX_REQ_TAIL));
	/* ENABLE again while enabled latches nothing */
	wr(EMBER_MBOX_DEPTH, 3);
	wr(EMBER_MBOX_CTRL, EMBER_MBOX_CTRL_ENABLE);
	check(rd(EMBER_MBOX_STATUS) == EMBER_MBOX_STATUS_ENABLED, "mbox.setup.reenable_noop",
	      "STATUS 0x%x", rd(EMBER_MBOX_STATUS));

	check(mbox_open(16), "mbox.setup.open", "STATUS 0x%x", rd(EMBER_MBOX_STATUS));
}

static uint8_t echo_buf[EMBER_NNC_PT_DATA_MAX];

/* An ECHO command of @len bytes (random payload) in echo_buf */
static struct ember_nnc_req echo_req(uint32_t len)
{
	fill_random(echo_buf, len);
	ember_fw_put_hdr(echo_buf, EMBER_FW_CMD_ECHO, len);
	return req_pt(echo_buf, len);
}

static bool echo_ok(const struct xchg *x, uint32_t i, const uint8_t *sent, uint32_t len)
{
	const struct ember_nnc_rsp *r = &x->rsps[i];

	return tstatus(x, i) == 0 && r->u.pt.len == len &&
	       ember_fw_get16(r->u.pt.data, EMBER_FW_HDR_CMD) ==
		       (EMBER_FW_CMD_ECHO | EMBER_FW_CMD_REPLY) &&
	       !memcmp(r->u.pt.data + EMBER_FW_HDR_FLAGS, sent + EMBER_FW_HDR_FLAGS,
		       len - EMBER_FW_HDR_FLAGS);
}

static int echo(uint32_t handle, uint32_t len, struct xchg *x)
{
	struct ember_nnc_req r = echo_req(len);

	call(handle, &r, 1, x);
	if (!x->ret && !x->hdr.status && !echo_ok(x, 0, echo_buf, len))
		return -7;
	return tstatus(x, 0);
}

/* STATUS negotiation without CRC, and what is accepted before negotiation */
static void test_status_nocrc(void)
{
	struct xchg x;
	int st;

	wr(EMBER_MGMT_CAUSE, ~0u);
	wr(EMBER_IRQ_STATUS, ~0u);
	st = call1(0, req_status(0), &x);
	check(st == 0 && x.rsps[0].u.status.features == 0 && x.rsps[0].u.status.major == 1 &&
	      x.rsps[0].u.status.minor == 0 && !(x.hdr.flags & EMBER_NNC_F_CRC) &&
	      x.hdr.major == 1 && x.hdr.handle == 0,
	      "status.no_crc", "%s features 0x%x version %u.%u flags 0x%x", xdesc(&x),
	      x.rsps[0].u.status.features, x.rsps[0].u.status.major, x.rsps[0].u.status.minor,
	      x.hdr.flags);
	check((rd(EMBER_MGMT_CAUSE) & EMBER_MGMT_CAUSE_MBOX) && (rd(EMBER_IRQ_STATUS) & 1),
	      "irq.mgmt_cause_mbox", "MGMT_CAUSE 0x%x IRQ_STATUS 0x%x", rd(EMBER_MGMT_CAUSE),
	      rd(EMBER_IRQ_STATUS));
	wr(EMBER_MGMT_CAUSE, ~0u);
	wr(EMBER_IRQ_STATUS, ~0u);

	st = echo(3, 64, &x);
	check(st == 0 && !(x.hdr.flags & EMBER_NNC_F_CRC), "status.no_crc_messages_accepted",
	      "%s flags 0x%x", xdesc(&x), x.hdr.flags);

	/* A request with a CRC is verified and answered with one, negotiated or not */
	crc_on = true;
	st = echo(3, 64, &x);
	crc_on = false;
	check(st == 0 && (x.hdr.flags & EMBER_NNC_F_CRC), "status.crc_request_before_negotiation",
	      "%s flags 0x%x", xdesc(&x), x.hdr.flags);
}

/*
 * Tampering helpers for message-level rejects: they edit header fields of
 * an encoded NNC message (docs/nnc.md §4).
 * The header offsets are common/ember_nnc.h's EMBER_NNC_OFF_*; the first
 * transaction's type is at EMBER_NNC_HDR_LEN.
 */
static void t_magic(uint8_t *m, uint32_t *len)
{
	(void)len;
	m[EMBER_NNC_OFF_MAGIC] ^= 0xff;
}

static void t_major(uint8_t *m, uint32_t *len)
{
	(void)len;
	ember_fw_put16(m, EMBER_NNC_OFF_MAJOR, 2);
}

static void t_hflags(uint8_t *m, uint32_t *len)
{
	(void)len;
	ember_fw_put16(m, EMBER_NNC_OFF_FLAGS, ember_fw_get16(m, EMBER_NNC_OFF_FLAGS) | 0x0100);
}

static void t_reply_bit(uint8_t *m, uint32_t *len)
{
	(void)len;
	ember_fw_put16(m, EMBER_NNC_OFF_FLAGS, ember_fw_get16(m, EMBER_NNC_OFF_FLAGS) | EMBER_NNC_F_REPLY);
}

static void t_type(uint8_t *m, uint32_t *len)
{
	(void)len;
	ember_fw_put32(m, EMBER_NNC_HDR_LEN, 9);
}

static void t_crc_field(uint8_t *m, uint32_t *len)
{
	(void)len;
	ember_fw_put32(m, EMBER_NNC_OFF_CRC, 0x12345678);
}

static void t_len(uint8_t *m, uint32_t *len)
{
	(void)len;
	ember_fw_put32(m, EMBER_NNC_OFF_LEN, EMBER_NNC_MSG_MAX + 4);
}

/* Flip a payload byte after the CRC was computed (with CRC) */
static void t_bad_crc(uint8_t *m, uint32_t *len)
{
	m[*len - 1] ^= 0x01;
}

/* Strip the CRC: flag and field */
static void t_no_crc(uint8_t *m, uint32_t *len)
{
	(void)len;
	ember_fw_put16(m, EMBER_NNC_OFF_FLAGS, ember_fw_get16(m, EMBER_NNC_OFF_FLAGS) & ~EMBER_NNC_F_CRC);
	ember_fw_put32(m, EMBER_NNC_OFF_CRC, 0);
}

struct reject_case {
	const char *name;
	tamper_fn fn;
	unsigned status;
};

/* A tampered ECHO from handle 0x77 is refused as a whole, seq and handle echoed */
static void check_reject(const struct reject_case *c)
{
	struct ember_nnc_req r = echo_req(32);
	char name[96];
	struct xchg x;

	call_ex(0x77, &r, 1, EMBER_MBOX_SLOT_SIZE, c->fn, &x);
	snprintf(name, sizeof(name), "reject.%s", c->name);
	check(x.ret == 0 && x.hdr.status == c->status && x.hdr.count == 0 && x.hdr.len == 32 &&
	      x.hdr.seq == x.info.seq && x.hdr.handle == 0x77 && x.hdr.major == 1,
	      name, "%s (want message status %u), seq 0x%x/0x%x handle 0x%x", xdesc(&x),
	      c->status, x.hdr.seq, x.info.seq, x.hdr.handle);
}

static void test_rejects_nocrc(void)
{
	static const struct reject_case cases[] = {
		{ "bad_magic", t_magic, EMBER_NNC_ST_INVAL },
		{ "wrong_major", t_major, EMBER_NNC_ST_UNSUPPORTED },
		{ "reserved_flag", t_hflags, EMBER_NNC_ST_INVAL },
		{ "reply_bit_in_request", t_reply_bit, EMBER_NNC_ST_INVAL },
		{ "unknown_type", t_type, EMBER_NNC_ST_INVAL },
		{ "crc_field_without_flag", t_crc_field, EMBER_NNC_ST_INVAL },
		{ "len_over_slot", t_len, EMBER_NNC_ST_INVAL },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_reject(&cases[i]);

	/* Before negotiation: a wrong CRC is still BADCRC */
	crc_on = true;
	{
		static const struct reject_case c = { "bad_crc_before_negotiation", t_bad_crc,
						      EMBER_NNC_ST_BADCRC };
		check_reject(&c);
	}
	crc_on = false;
}

static void test_negotiate_crc(void)
{
	static const struct reject_case cases[] = {
		{ "bad_crc", t_bad_crc, EMBER_NNC_ST_BADCRC },
		{ "bad_magic_with_crc", t_magic, EMBER_NNC_ST_INVAL },
		{ "wrong_major_with_crc", t_major, EMBER_NNC_ST_UNSUPPORTED },
	};
	struct xchg x;
	unsigned i;
	int st;

	st = call1(0, req_status(EMBER_NNC_FEAT_CRC | 0xfff00000u), &x);
	check(st == 0 && x.rsps[0].u.status.features == EMBER_NNC_FEAT_CRC &&
	      (x.hdr.flags & EMBER_NNC_F_CRC), "status.negotiate_crc",
	      "%s features 0x%x flags 0x%x", xdesc(&x), x.rsps[0].u.status.features,
	      x.hdr.flags);
	crc_on = st == 0;

	st = call1(5, req_status(0), &x);
	check(st == 0 && x.rsps[0].u.status.features == EMBER_NNC_FEAT_CRC,
	      "status.client_does_not_renegotiate", "%s features 0x%x", xdesc(&x),
	      x.rsps[0].u.status.features);

	/* Missing CRC after negotiation: BADCRC, and the reply has a CRC */
	{
		struct ember_nnc_req r = echo_req(32);

		call_ex(0x77, &r, 1, EMBER_MBOX_SLOT_SIZE, t_no_crc, &x);
		check(x.ret == 0 && x.hdr.status == EMBER_NNC_ST_BADCRC && !x.hdr.count &&
		      x.hdr.seq == x.info.seq && (x.hdr.flags & EMBER_NNC_F_CRC),
		      "reject.missing_crc_after_negotiation", "%s flags 0x%x", xdesc(&x),
		      x.hdr.flags);
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_reject(&cases[i]);

	st = echo(3, 128, &x);
	check(st == 0 && (x.hdr.flags & EMBER_NNC_F_CRC), "status.crc_messages_accepted",
	      "%s", xdesc(&x));
}

static void test_echo(void)
{
	static uint8_t a[8], b[256], c[3000], big[EMBER_NNC_PT_DATA_MAX], bad[64];
	struct ember_nnc_req r[3];
	struct xchg x;
	int st;

	fill_random(a, sizeof(a));
	fill_random(b, sizeof(b));
	fill_random(c, sizeof(c));
	ember_fw_put_hdr(a, EMBER_FW_CMD_ECHO, sizeof(a));
	ember_fw_put_hdr(b, EMBER_FW_CMD_ECHO, sizeof(b));
	ember_fw_put_hdr(c, EMBER_FW_CMD_ECHO, sizeof(c));
	r[0] = req_pt(a, sizeof(a));
	r[1] = req_pt(b, sizeof(b));
	r[2] = req_pt(c, sizeof(c));
	call(1, r, 3, &x);
	check(x.msgs == 1 && echo_ok(&x, 0, a, sizeof(a)) && echo_ok(&x, 1, b, sizeof(b)) &&
	      echo_ok(&x, 2, c, sizeof(c)), "echo.round_trip", "%s, %u messages", xdesc(&x),
	      x.msgs);

	fill_random(big, sizeof(big));
	ember_fw_put_hdr(big, EMBER_FW_CMD_ECHO, sizeof(big));
	r[0] = req_pt(big, sizeof(big));
	call(1, r, 1, &x);
	check(echo_ok(&x, 0, big, sizeof(big)), "echo.largest", "%s", xdesc(&x));

	/* Malformed and unknown commands */
	memset(bad, 0, sizeof(bad));
	ember_fw_put_hdr(bad, 0x77, sizeof(bad));
	st = call1(1, req_pt(bad, sizeof(bad)), &x);
	check(st == EMBER_NNC_ST_UNSUPPORTED && x.rsps[0].u.pt.len == 0, "echo.unknown_cmd",
	      "%s rsp_len %u", xdesc(&x), x.rsps[0].u.pt.len);
	ember_fw_put_hdr(bad, EMBER_FW_CMD_ECHO | EMBER_FW_CMD_REPLY, sizeof(bad));
	st = call1(1, req_pt(bad, sizeof(bad)), &x);
	check(st == EMBER_NNC_ST_UNSUPPORTED, "echo.reply_bit_is_unknown_cmd", "%s", xdesc(&x));
	ember_fw_put_hdr(bad, EMBER_FW_CMD_ECHO, sizeof(bad));
	ember_fw_put16(bad, EMBER_FW_HDR_FLAGS, 1);
	st = call1(1, req_pt(bad, sizeof(bad)), &x);
	check(st == EMBER_NNC_ST_INVAL, "echo.cmd_flags", "%s", xdesc(&x));
	ember_fw_put_hdr(bad, EMBER_FW_CMD_ECHO, sizeof(bad) - 8);
	st = call1(1, req_pt(bad, sizeof(bad)), &x);
	check(st == EMBER_NNC_ST_INVAL, "echo.cmd_len_mismatch", "%s", xdesc(&x));
	st = call1(1, req_pt(NULL, 0), &x);
	check(st == EMBER_NNC_ST_INVAL, "echo.empty_passthrough", "%s", xdesc(&x));

	/* The first failure stops the message: OK FAIL NOT_RUN */
	r[0] = req_pt(a, sizeof(a));
	r[1] = req_deactivate(15);
	r[2] = req_pt(b, sizeof(b));
	call(1, r, 3, &x);
	check(tstatus(&x, 0) == 0 && tstatus(&x, 1) == EMBER_NNC_ST_NOENT &&
	      tstatus(&x, 2) == EMBER_NNC_ST_NOT_RUN && x.rsps[1].u.deact.dbc_id == 15 &&
	      x.rsps[2].u.pt.len == 0, "echo.stop_at_first_failure", "%s", xdesc(&x));
}

/*
 * The management interrupt reaches the host: point MSI-X entry 0 (or the
 * MSI address) at a word in our memory and watch the message write it.
 */
static volatile uint32_t *msi_word(void)
{
	return (volatile uint32_t *)hp(HP_MISC, MSI_TARGET);
}

static bool msi_written(void *unused)
{
	(void)unused;
	__sync_synchronize();
	return *msi_word() == MSI_DATA;
}

/* An ECHO, and its interrupt message arrives (within a deadline) */
static bool echo_delivered(void)
{
	struct xchg x;

	*msi_word() = 0;
	__sync_synchronize();
	if (echo(2, 16, &x) != 0)
		return false;
	return wait_until(msi_written, NULL, 2000);
}

/*
 * An ECHO, and no interrupt message for it: the firmware signals a reply
 * as it posts it, before it takes the next request, so the reply to a
 * second ECHO proves the first one's signal would have been written.
 */
static bool echo_not_delivered(void)
{
	struct xchg x;

	*msi_word() = 0;
	__sync_synchronize();
	if (echo(2, 16, &x) != 0 || echo(2, 16, &x) != 0)
		return false;
	return !msi_written(NULL);
}

static void test_irq_delivery(void)
{
	unsigned msix = cfg_find_cap(PCI_CAP_ID_MSIX), msi = cfg_find_cap(PCI_CAP_ID_MSI);
	uint64_t pa = hp_pa(HP_MISC, MSI_TARGET);
	uint32_t ctrl;
	bool got, masked, single;

	wr(EMBER_IRQ_MASK, 0);
	if (msix) {
		bar4 = map_resource(4, 4096);
		ctrl = cfg_read(msix + 2, 2);
		cfg_write(msix + 2, 2, (ctrl | 0x8000) & ~0x4000);
		*(volatile uint32_t *)(bar4 + 0) = (uint32_t)pa;
		*(volatile uint32_t *)(bar4 + 4) = (uint32_t)(pa >> 32);
		*(volatile uint32_t *)(bar4 + 8) = MSI_DATA;
		*(volatile uint32_t *)(bar4 + 12) = 0;		/* unmask */
		got = echo_delivered();
		wr(EMBER_IRQ_MASK, 1);
		wr(EMBER_IRQ_STATUS, ~0u);
		masked = echo_not_delivered() && (rd(EMBER_IRQ_STATUS) & 1);
		wr(EMBER_IRQ_MASK, 0);
		wr(EMBER_IRQ_CTRL, EMBER_IRQ_CTRL_SINGLE);
		single = echo_delivered();
		wr(EMBER_IRQ_CTRL, 0);
		*(volatile uint32_t *)(bar4 + 12) = 1;
		cfg_write(msix + 2, 2, ctrl & ~0x8000);
		check(got, "irq.msix_vector0_delivered", "no write of 0x%x at 0x%" PRIx64,
		      MSI_DATA, pa);
		check(masked, "irq.msix_masked_source_not_signalled", "IRQ_STATUS 0x%x",
		      rd(EMBER_IRQ_STATUS));
		check(single, "irq.msix_single_mode_delivered", "no write");
	}
	if (msi) {
		ctrl = cfg_read(msi + 2, 2);
		cfg_write(msi + 4, 4, (uint32_t)pa);
		cfg_write(msi + 8, 4, (uint32_t)(pa >> 32));
		cfg_write(msi + 12, 2, MSI_DATA);
		cfg_write(msi + 2, 2, (ctrl | 1) & ~0x70);	/* enable, 1 vector */
		got = echo_delivered();
		wr(EMBER_IRQ_MASK, 1);
		masked = echo_not_delivered();
		wr(EMBER_IRQ_MASK, 0);
		cfg_write(msi + 2, 2, ctrl & ~1u);
		check(got, "irq.msi_delivered", "no write of 0x%x at 0x%" PRIx64, MSI_DATA, pa);
		check(masked, "irq.msi_masked_source_not_signalled", "written while masked");
	}
	wr(EMBER_IRQ_STATUS, ~0u);
	wr(EMBER_MGMT_CAUSE, ~0u);
}

static void test_activate(void)
{
	struct query q0, q;
	struct xchg x;
	uint32_t d, ids = 0, i, rel;
	uint8_t *src = hp(HP_MISC, 0x10000), *dst = hp(HP_MISC, 0x20000);
	int st, s1, s2;
	bool ok;

	wr(EMBER_DEV_CTRL, EMBER_DEV_CTRL_ENABLE);
	st = query(7, &q0);
	check(st == 0 && query_is_start(&q0), "query.start", "status %d: %s", st, qdesc(&q0));

	st = call1(0, act_req(0), &x);
	check(st == EMBER_NNC_ST_PERM, "activate.handle0_perm", "%s", xdesc(&x));

	st = call1(7, act_req(0), &x);
	d = x.rsps[0].u.act.dbc_id;
	check(st == 0 && d < n_dbcs, "activate.ok", "%s dbc %u", xdesc(&x), d);
	if (st != 0)
		return;
	check(drd(d, EMBER_DBC_REQ_BASE_LO) == (uint32_t)ring_req_pa(0) &&
	      drd(d, EMBER_DBC_REQ_BASE_HI) == (uint32_t)(ring_req_pa(0) >> 32) &&
	      drd(d, EMBER_DBC_RSP_BASE_LO) == (uint32_t)ring_rsp_pa(0) &&
	      drd(d, EMBER_DBC_RSP_BASE_HI) == (uint32_t)(ring_rsp_pa(0) >> 32) &&
	      drd(d, EMBER_DBC_RING_SIZE) == RING_ENTRIES && drd(d, EMBER_DBC_CTRL) == EMBER_DBC_CTRL_ENABLE &&
	      drd(d, EMBER_DBC_STATUS) == EMBER_DBC_STATUS_ENABLED && drd(d, EMBER_DBC_REQ_HEAD) == 0 &&
	      drd(d, EMBER_DBC_RSP_TAIL) == 0, "activate.programs_dbc",
	      "REQ_BASE 0x%x RSP_BASE 0x%x SIZE %u CTRL 0x%x STATUS 0x%x",
	      drd(d, EMBER_DBC_REQ_BASE_LO), drd(d, EMBER_DBC_RSP_BASE_LO), drd(d, EMBER_DBC_RING_SIZE),
	      drd(d, EMBER_DBC_CTRL), drd(d, EMBER_DBC_STATUS));

	/* The rings work: a NOP and a COPY */
	fill_random(src, 8192);
	memset(dst, 0, 8192);
	s1 = dbc_run(d, 0, EMBER_HW_OP_NOP, 0, 0, 0, 1);
	s2 = dbc_run(d, 0, EMBER_HW_OP_COPY, 8192, hp_pa(HP_MISC, 0x10000), hp_pa(HP_MISC, 0x20000), 2);
	check(s1 == 0 && s2 == 0 && !memcmp(src, dst, 8192), "activate.dbc_runs_requests",
	      "NOP %d COPY %d data %s", s1, s2, memcmp(src, dst, 8192) ? "differs" : "ok");

	st = query(7, &q);
	check(st == 0 && q.dbcs_owned == 1 && q.dbcs_free == n_dbcs - 1, "query.owned_after_activate",
	      "%s", qdesc(&q));
	st = query(8, &q);
	check(st == 0 && q.dbcs_owned == 0 && q.dbcs_free == n_dbcs - 1, "query.other_client",
	      "%s", qdesc(&q));

	/* Take every other DBC as client 8, then there is none */
	ok = true;
	ids = 1u << d;
	for (i = 1; i < n_dbcs; i++) {
		st = call1(8, act_req(i), &x);
		if (st != 0 || x.rsps[0].u.act.dbc_id >= n_dbcs ||
		    (ids & (1u << x.rsps[0].u.act.dbc_id)))
			ok = false;
		else
			ids |= 1u << x.rsps[0].u.act.dbc_id;
	}
	check(ok && ids == (1u << n_dbcs) - 1, "activate.all_dbcs", "ids 0x%x", ids);
	st = call1(8, act_req(n_dbcs), &x);
	check(st == EMBER_NNC_ST_NOSPC, "activate.nospc", "%s", xdesc(&x));
	st = query(7, &q);
	check(st == 0 && q.dbcs_free == 0 && q.dbcs_owned == 1, "query.none_free", "%s", qdesc(&q));

	st = call1(8, req_deactivate(d), &x);
	check(st == EMBER_NNC_ST_PERM && x.rsps[0].u.deact.dbc_id == d, "deactivate.other_client_perm",
	      "%s", xdesc(&x));
	st = call1(0, req_deactivate(d), &x);
	check(st == EMBER_NNC_ST_PERM, "deactivate.handle0_perm", "%s", xdesc(&x));
	st = call1(7, req_deactivate(n_dbcs), &x);
	check(st == EMBER_NNC_ST_NOENT && x.rsps[0].u.deact.dbc_id == n_dbcs,
	      "deactivate.no_such_dbc_noent", "%s", xdesc(&x));
	st = call1(7, req_deactivate(d), &x);
	check(st == 0 && drd(d, EMBER_DBC_CTRL) == 0 && !(drd(d, EMBER_DBC_STATUS) & EMBER_DBC_STATUS_ENABLED),
	      "deactivate.ok_disables", "%s CTRL 0x%x", xdesc(&x), drd(d, EMBER_DBC_CTRL));
	st = call1(7, req_deactivate(d), &x);
	check(st == EMBER_NNC_ST_NOENT, "deactivate.not_active_noent", "%s", xdesc(&x));

	st = terminate(8, &rel);
	check(st == 0 && rel == n_dbcs - 1, "terminate.releases_dbcs", "status %d released %u",
	      st, rel);
	st = query(7, &q);
	check(st == 0 && query_is_start(&q), "query.back_to_start", "%s", qdesc(&q));

	/* A DBC the host enabled by hand is not handed out */
	dwr(0, EMBER_DBC_CTRL, EMBER_DBC_CTRL_RESET);
	dwr(0, EMBER_DBC_REQ_BASE_LO, (uint32_t)ring_req_pa(15));
	dwr(0, EMBER_DBC_REQ_BASE_HI, (uint32_t)(ring_req_pa(15) >> 32));
	dwr(0, EMBER_DBC_RSP_BASE_LO, (uint32_t)ring_rsp_pa(15));
	dwr(0, EMBER_DBC_RSP_BASE_HI, (uint32_t)(ring_rsp_pa(15) >> 32));
	dwr(0, EMBER_DBC_RING_SIZE, RING_ENTRIES);
	dwr(0, EMBER_DBC_CTRL, EMBER_DBC_CTRL_ENABLE);
	st = call1(7, act_req(0), &x);
	check(n_dbcs == 1 ? st == EMBER_NNC_ST_NOSPC : st == 0 && x.rsps[0].u.act.dbc_id != 0,
	      "activate.skips_host_enabled_dbc", "%s dbc %u", xdesc(&x), x.rsps[0].u.act.dbc_id);
	terminate(7, NULL);
	dwr(0, EMBER_DBC_CTRL, EMBER_DBC_CTRL_RESET);
}

/* ---- DMA transfers and workloads ---- */

#define IMG_SEGS	700
static struct ember_nnc_seg img_segs[IMG_SEGS];
static uint8_t *img;			/* the expected bytes of the transfer */
static uint64_t img_len;

/* Random segments all over the data pages; img gets their concatenation */
static void build_image(void)
{
	const size_t area = (size_t)HP_DATA_N * EMU_HP_SIZE;
	uint32_t i, len;
	size_t off;

	img = malloc(IMG_SEGS * 4096);
	if (!img)
		fatal("malloc");
	img_len = 0;
	for (i = 0; i < IMG_SEGS; i++) {
		len = 1 + rnd() % 4096;
		off = rnd() % (area - len);
		/* a segment must not cross into the next (discontiguous) hugepage */
		if (off / EMU_HP_SIZE != (off + len - 1) / EMU_HP_SIZE)
			off = (off + len - 1) / EMU_HP_SIZE * EMU_HP_SIZE;
		img_segs[i].addr = data_pa(off);
		img_segs[i].len = len;
		memcpy(img + img_len, hp(HP_DATA, 0) + off, len);
		img_len += len;
	}
}

static bool region_matches(uint64_t off, const uint8_t *want, uint64_t len, uint64_t zeros,
			   char *why, size_t whylen)
{
	uint64_t i;

	for (i = 0; i < len; i++) {
		if (bar2[off + i] != want[i]) {
			snprintf(why, whylen, "byte 0x%" PRIx64 " of region at 0x%" PRIx64
				 " is 0x%02x, image 0x%02x", i, off, bar2[off + i], want[i]);
			return false;
		}
	}
	for (i = len; i < len + zeros; i++) {
		if (bar2[off + i]) {
			snprintf(why, whylen, "byte 0x%" PRIx64 " of region at 0x%" PRIx64
				 " is 0x%02x, want zero fill", i, off, bar2[off + i]);
			return false;
		}
	}
	return true;
}

static uint64_t round4k(uint64_t v)
{
	return (v + 4095) & ~4095ull;
}

static void test_xfer_and_load(void)
{
	const uint32_t h = 9, tag = 0x1234;
	struct ember_nnc_req r = req_dma(tag, 41, img_segs, IMG_SEGS);
	struct load_reply rep;
	struct query q;
	struct load l;
	struct xchg x;
	uint64_t r0, r1, r2, used, base;
	char why[200] = "";
	bool ok;
	int st;
	unsigned i;

	build_image();
	call(h, &r, 1, &x);
	check(tstatus(&x, 0) == 0 && x.msgs == 3 && x.rsps[0].u.dma.received == img_len,
	      "dma_xfer.continuation", "%s, %u messages, received %" PRIu64 " of %" PRIu64,
	      xdesc(&x), x.msgs, (uint64_t)x.rsps[0].u.dma.received, img_len);
	st = query(h, &q);
	check(st == 0 && q.staged == img_len, "query.staged_bytes", "%s, want staged %" PRIu64,
	      qdesc(&q), img_len);

	/* Three regions: the image fills region 0, 1, then part of 2 */
	r0 = img_len / 4 + 3;
	r1 = img_len / 3 + 5;
	r2 = img_len - r0 - r1 + 12345;
	memset(&l, 0, sizeof(l));
	l.image_tag = tag;
	l.nregions = 3;
	l.region_size[0] = r0;
	l.region_size[1] = r1;
	l.region_size[2] = r2;
	l.ninputs = 1;
	l.noutputs = 1;
	l.nsteps = 3;
	l.steps[0] = (struct step){ .op = EMBER_HW_OP_COPY, .src_kind = EMBER_FW_OPND_INPUT, .dst_kind = EMBER_FW_OPND_REGION,
				    .dst_index = 2, .len = 64 };
	l.steps[1] = (struct step){ .op = EMBER_HW_OP_GEMM_I8, .src_kind = EMBER_FW_OPND_REGION, .src_index = 0,
				    .aux_kind = EMBER_FW_OPND_REGION, .aux_index = 1,
				    .dst_kind = EMBER_FW_OPND_OUTPUT, .m = 16, .n = 16, .k = 16 };
	l.steps[2] = (struct step){ .op = EMBER_HW_OP_CRC32, .src_kind = EMBER_FW_OPND_REGION, .len = 4096 };

	used = round4k(r0) + round4k(r1) + round4k(r2);
	memset((void *)bar2, 0xa5, used + (1u << 20));	/* zero fill must be visible */
	st = load(h, &l, &rep);
	ok = st == 0 && rep.workload_id && rep.nregions == 3 && rep.image_bytes == img_len;
	for (i = 0; ok && i < 3; i++)
		ok = !(rep.region_offset[i] & 4095) &&
		     rep.region_offset[i] + round4k(l.region_size[i]) <= mem_size;
	ok = ok && (rep.region_offset[0] + round4k(r0) <= rep.region_offset[1] ||
		    rep.region_offset[1] + round4k(r1) <= rep.region_offset[0]) &&
	     (rep.region_offset[1] + round4k(r1) <= rep.region_offset[2] ||
	      rep.region_offset[2] + round4k(r2) <= rep.region_offset[1]) &&
	     (rep.region_offset[0] + round4k(r0) <= rep.region_offset[2] ||
	      rep.region_offset[2] + round4k(r2) <= rep.region_offset[0]);
	check(ok, "load.ok", "status %d id %u nregions %u image %" PRIu64 " offsets 0x%" PRIx64
	      " 0x%" PRIx64 " 0x%" PRIx64, st, rep.workload_id, rep.nregions, rep.image_bytes,
	      rep.region_offset[0], rep.region_offset[1], rep.region_offset[2]);
	if (!ok)
		return;
	base = img_len - r0 - r1;
	ok = region_matches(rep.region_offset[0], img, r0, round4k(r0) - r0, why, sizeof(why)) &&
	     region_matches(rep.region_offset[1], img + r0, r1, round4k(r1) - r1, why,
			    sizeof(why)) &&
	     region_matches(rep.region_offset[2], img + r0 + r1, base, round4k(r2) - base, why,
			    sizeof(why));
	check(ok, "load.devmem_holds_image", "%s", why);

	st = query(h, &q);
	check(st == 0 && q.workloads == 1 && q.staged == 0 && q.devmem_free == mem_size - used,
	      "query.after_load", "%s, want devmem_free %" PRIu64 ", staged 0 (consumed)", qdesc(&q),
	      mem_size - used);
	st = load(h, &l, NULL);
	check(st == EMBER_NNC_ST_NOENT, "load.image_consumed", "status %d", st);

	st = unload(h + 1, rep.workload_id);
	check(st == EMBER_NNC_ST_PERM, "unload.other_client_perm", "status %d", st);
	st = unload(h, rep.workload_id + 1000);
	check(st == EMBER_NNC_ST_NOENT, "unload.unknown_noent", "status %d", st);
	st = unload(h, rep.workload_id);
	check(st == 0, "unload.ok", "status %d", st);
	st = query(h, &q);
	check(st == 0 && query_is_start(&q), "query.after_unload", "%s", qdesc(&q));
	st = unload(h, rep.workload_id);
	check(st == EMBER_NNC_ST_NOENT, "unload.twice_noent", "status %d", st);
}

/* Stage @len bytes of the data pages under @tag as @handle (one segment per 2 MiB page) */
static int stage(uint32_t handle, uint32_t tag, uint32_t xfer_id, uint64_t len)
{
	struct ember_nnc_seg segs[HP_DATA_N];
	struct xchg x;
	uint32_t n = 0;

	while (len && n < HP_DATA_N) {
		segs[n].addr = hp_pa(HP_DATA + n, 0);
		segs[n].len = len < EMU_HP_SIZE ? len : EMU_HP_SIZE;
		len -= segs[n].len;
		n++;
	}
	if (len)
		return -9;
	return call1(handle, req_dma(tag, xfer_id, segs, n), &x);
}

struct load_case {
	const char *name;
	struct load l;
	int want;
};

static void test_load_validation(void)
{
	const uint32_t h = 11;
	struct query q0, q;
	struct load l;
	int st;
	unsigned i;
	uint32_t ids[64];
	bool ok;
	struct load_case cases[24];
	unsigned n = 0;

	query(h, &q0);
	/* Each case breaks one rule of §15.3 */
	l = tiny_load();
	l.nsteps = 0;
	cases[n++] = (struct load_case){ "load.no_steps", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.noutputs = 1;
	cases[n++] = (struct load_case){ "load.output_never_written", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.ninputs = 1;
	l.steps[0].dst_kind = EMBER_FW_OPND_INPUT;
	cases[n++] = (struct load_case){ "load.input_as_destination", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.steps[0].dst_index = 1;
	cases[n++] = (struct load_case){ "load.region_index_out_of_range", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.steps[0].len = 4097;
	cases[n++] = (struct load_case){ "load.operand_exceeds_region", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.region_size[0] = 0;
	cases[n++] = (struct load_case){ "load.region_size_0", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.region_size[0] = mem_size + 1;
	cases[n++] = (struct load_case){ "load.region_beyond_devmem", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.steps[0].rsvd = 1;
	cases[n++] = (struct load_case){ "load.step_reserved", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.steps[0].op = EMBER_HW_OP_NOP;
	cases[n++] = (struct load_case){ "load.bad_op", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.steps[0] = (struct step){ .op = EMBER_HW_OP_GEMM_I8, .src_kind = EMBER_FW_OPND_REGION,
				    .aux_kind = EMBER_FW_OPND_REGION, .dst_kind = EMBER_FW_OPND_REGION,
				    .m = 0, .n = 1, .k = 1 };
	cases[n++] = (struct load_case){ "load.gemm_shape", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.len_adjust = 8;
	cases[n++] = (struct load_case){ "load.cmd_len_mismatch", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.image_tag = 0x9999;
	cases[n++] = (struct load_case){ "load.unknown_image_noent", l, EMBER_NNC_ST_NOENT };
	l = tiny_load();
	l.nregions = 2;
	l.region_size[0] = mem_size / 8 * 5;
	l.region_size[1] = mem_size / 8 * 5;
	cases[n++] = (struct load_case){ "load.devmem_exhausted_nospc", l, EMBER_NNC_ST_NOSPC };
	l = tiny_load();
	l.steps[0] = (struct step){ .op = EMBER_HW_OP_FILL, .src_kind = EMBER_FW_OPND_REGION,
				    .dst_kind = EMBER_FW_OPND_REGION };
	cases[n++] = (struct load_case){ "load.fill_with_source", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.steps[0].src_index = 1;
	cases[n++] = (struct load_case){ "load.absent_operand_index", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.steps[0].m = 1;
	cases[n++] = (struct load_case){ "load.shape_on_fill", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.steps[0] = (struct step){ .op = EMBER_HW_OP_GEMM_I8, .src_kind = EMBER_FW_OPND_REGION,
				    .aux_kind = EMBER_FW_OPND_REGION, .dst_kind = EMBER_FW_OPND_REGION,
				    .m = 1, .n = 1, .k = 1, .len = 8 };
	cases[n++] = (struct load_case){ "load.gemm_with_len", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.name = "bad\x01name";
	cases[n++] = (struct load_case){ "load.name_not_printable", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.nregions = 1;
	l.ninputs = 17;
	cases[n++] = (struct load_case){ "load.too_many_inputs", l, EMBER_NNC_ST_INVAL };
	l = tiny_load();
	l.name = "sixteen-chars-ok";
	l.steps[0] = (struct step){ .op = EMBER_HW_OP_GEMM_I8, .src_kind = EMBER_FW_OPND_REGION,
				    .aux_kind = EMBER_FW_OPND_REGION, .dst_kind = EMBER_FW_OPND_REGION,
				    .m = 32, .n = 32, .k = 32 };
	cases[n++] = (struct load_case){ "load.gemm_ok", l, 0 };

	for (i = 0; i < n; i++) {
		struct load_reply rep;

		st = load(h, &cases[i].l, &rep);
		check(st == cases[i].want, cases[i].name, "status %d, want %d", st, cases[i].want);
		if (st == 0)
			unload(h, rep.workload_id);
	}
	st = query(h, &q);
	check(st == 0 && q.devmem_free == q0.devmem_free && q.workloads == 0,
	      "load.failures_take_nothing", "%s", qdesc(&q));

	/* An image larger than the regions; it stays staged */
	st = stage(h, 5, 1, 8192);
	l = tiny_load();
	l.image_tag = 5;
	st = st ? st : load(h, &l, NULL);
	check(st == EMBER_NNC_ST_INVAL, "load.image_too_large", "status %d", st);
	st = query(h, &q);
	check(st == 0 && q.staged == 8192, "load.failed_load_keeps_image", "%s", qdesc(&q));
	l.region_size[0] = 8192;
	st = load(h, &l, NULL);
	check(st == 0 && query(h, &q) == 0 && q.staged == 0 && q.workloads == 1,
	      "load.image_exact_fit", "status %d, %s", st, qdesc(&q));

	/* 64 workloads per function */
	ok = true;
	for (i = 1; i < 64; i++) {
		struct load_reply rep;

		l = tiny_load();
		if (load(h, &l, &rep) != 0)
			ok = false;
		ids[i] = rep.workload_id;
	}
	for (i = 2; ok && i < 64; i++)
		ok = ids[i] != ids[i - 1] && ids[i];
	l = tiny_load();
	st = load(h, &l, NULL);
	check(ok && st == EMBER_NNC_ST_NOSPC, "load.64_workloads_then_nospc",
	      "all loaded %d, 65th status %d", ok, st);
	st = query(h, &q);
	check(st == 0 && q.workloads == 64, "query.64_workloads", "%s", qdesc(&q));
	st = terminate(h, NULL);
	check(st == 0 && query(h, &q) == 0 && query_is_start(&q), "terminate.unloads_workloads",
	      "status %d, %s", st, qdesc(&q));
}

static void test_xfer_rules(void)
{
	const uint32_t h = 12;
	struct ember_nnc_seg seg;
	struct ember_nnc_req r;
	struct query q;
	struct xchg x;
	int st;

	/*
	 * A message that does not continue a partial transfer is refused
	 * (INVAL) and the transfer dropped. 128-byte messages carry one
	 * segment each; the chunks are sent by hand.
	 */
	r = req_dma(3, 77, img_segs, 10);
	{
		static uint8_t msg[EMBER_MBOX_SLOT_SIZE], rsp[EMBER_MBOX_SLOT_SIZE];
		struct ember_nnc_enc enc;
		struct ember_nnc_msg_info info;
		struct ember_nnc_hdr hdr;
		struct ember_nnc_rsp rsps[EMBER_NNC_MAX_TRANS];
		int len, ret;

		/* first chunk only */
		ember_nnc_enc_init(&enc, &r, 1, h, crc_on ? EMBER_NNC_F_CRC : 0, NULL);
		len = ember_nnc_enc_next(&enc, msg, 128, next_seq++, &info, NULL);
		ret = mbox_xchg(msg, len, rsp, 10000) ?
		      ember_nnc_decode_reply(rsp, EMBER_MBOX_SLOT_SIZE, &info,
					     crc_on ? EMBER_NNC_DEC_REQUIRE_CRC : 0, &hdr, rsps,
					     32, NULL) : -ETIMEDOUT;
		/* (128 - 32 - 48) / 16 = 3 segments fit a 128-byte message */
		check(ret == 0 && !hdr.status && rsps[0].status == 0 && info.more &&
		      rsps[0].u.dma.received ==
		      img_segs[0].len + img_segs[1].len + img_segs[2].len, "dma_xfer.first_chunk",
		      "ret %d status %u/%u more %d received %" PRIu64, ret, hdr.status,
		      rsps[0].status, info.more, (uint64_t)rsps[0].u.dma.received);
		st = query(h + 100, &q);	/* other clients are not affected */
		check(st == 0, "dma_xfer.other_client_unaffected", "status %d", st);
		st = echo(h, 16, &x);
		check(st == MSG_ST(EMBER_NNC_ST_INVAL), "dma_xfer.no_continuation_inval", "%s",
		      xdesc(&x));
		/* the continuation now has no transfer to continue */
		len = ember_nnc_enc_next(&enc, msg, 128, next_seq++, &info, NULL);
		ret = mbox_xchg(msg, len, rsp, 10000) ?
		      ember_nnc_decode_reply(rsp, EMBER_MBOX_SLOT_SIZE, &info,
					     crc_on ? EMBER_NNC_DEC_REQUIRE_CRC : 0, &hdr, rsps,
					     32, NULL) : -ETIMEDOUT;
		check(ret == 0 && !hdr.status && rsps[0].status == EMBER_NNC_ST_INVAL &&
		      rsps[0].u.dma.received == 0, "dma_xfer.partial_was_dropped",
		      "ret %d status %u/%u", ret, hdr.status, rsps[0].status);
		st = query(h, &q);
		check(st == 0 && q.staged == 0, "dma_xfer.nothing_staged", "%s", qdesc(&q));

		/* ABORT in the middle */
		r = req_dma(3, 78, img_segs, 10);
		ember_nnc_enc_init(&enc, &r, 1, h, crc_on ? EMBER_NNC_F_CRC : 0, NULL);
		len = ember_nnc_enc_next(&enc, msg, 128, next_seq++, &info, NULL);
		mbox_xchg(msg, len, rsp, 10000);
		st = call1(h, req_abort(78), &x);
		check(st == 0 && x.rsps[0].u.dma.received == 0 && x.rsps[0].u.dma.xfer_id == 78,
		      "dma_xfer.abort", "%s", xdesc(&x));
		st = call1(h, req_abort(78), &x);
		check(st == EMBER_NNC_ST_NOENT, "dma_xfer.abort_nothing_noent", "%s", xdesc(&x));
	}

	/* A segment the device cannot read */
	seg.addr = 0xfff000000000ull;
	seg.len = 4096;
	st = call1(h, req_dma(4, 5, &seg, 1), &x);
	check(st == EMBER_NNC_ST_IO && x.rsps[0].u.dma.received == 0, "dma_xfer.unreadable_io",
	      "%s", xdesc(&x));

	/* Staging limit: 256 MiB per client */
	seg.addr = 16u << 20;
	seg.len = (256u << 20) + 4096;
	st = call1(h, req_dma(4, 6, &seg, 1), &x);
	check(st == EMBER_NNC_ST_NOMEM, "dma_xfer.over_256m_nomem", "%s", xdesc(&x));
	seg.len = 200u << 20;
	st = call1(h, req_dma(4, 7, &seg, 1), &x);
	check(st == 0 && x.rsps[0].u.dma.received == seg.len, "dma_xfer.200m_ok", "%s", xdesc(&x));
	seg.len = 100u << 20;
	st = call1(h, req_dma(5, 8, &seg, 1), &x);
	check(st == EMBER_NNC_ST_NOMEM, "dma_xfer.client_limit_nomem", "%s", xdesc(&x));
	st = call1(h, req_dma(4, 9, &seg, 1), &x);
	check(st == 0 && query(h, &q) == 0 && q.staged == seg.len, "dma_xfer.same_tag_replaces",
	      "%s, %s", xdesc(&x), qdesc(&q));
	st = terminate(h, NULL);
	check(st == 0 && query(h, &q) == 0 && query_is_start(&q), "terminate.drops_transfers",
	      "status %d, %s", st, qdesc(&q));
}

static void test_terminate(void)
{
	const uint32_t h = 13;
	struct ember_nnc_req r;
	struct query q;
	struct load l;
	struct xchg x;
	uint32_t rel = 0;
	int st;
	bool setup;

	setup = call1(h, act_req(2), &x) == 0;
	setup &= n_dbcs < 2 || call1(h, act_req(3), &x) == 0;
	setup &= stage(h, 1, 1, 5000) == 0;
	l = tiny_load();
	setup &= load(h, &l, NULL) == 0;
	/* and a partial transfer: first chunk of a split one */
	r = req_dma(2, 10, img_segs, 10);
	{
		static uint8_t msg[EMBER_MBOX_SLOT_SIZE], rsp[EMBER_MBOX_SLOT_SIZE];
		struct ember_nnc_enc enc;
		int len;

		ember_nnc_enc_init(&enc, &r, 1, h, crc_on ? EMBER_NNC_F_CRC : 0, NULL);
		len = ember_nnc_enc_next(&enc, msg, 128, next_seq++, NULL, NULL);
		setup &= mbox_xchg(msg, len, rsp, 10000);
	}
	st = query(h + 1, &q);
	check(setup && st == 0 && q.dbcs_free == n_dbcs - (n_dbcs < 2 ? 1 : 2) &&
	      q.devmem_free == mem_size - 4096, "terminate.setup", "%s", qdesc(&q));

	/* TERMINATE needs no continuation of the partial transfer */
	st = terminate(h, &rel);
	check(st == 0 && rel == (n_dbcs < 2 ? 1u : 2u), "terminate.ok", "status %d released %u",
	      st, rel);
	st = query(h, &q);
	check(st == 0 && query_is_start(&q), "terminate.back_to_start", "%s", qdesc(&q));
	st = terminate(h, &rel);
	check(st == 0 && rel == 0, "terminate.nothing_held", "status %d released %u", st, rel);
	st = terminate(h + 1, &rel);
	check(st == 0 && rel == 0, "terminate.unknown_handle", "status %d released %u", st, rel);
}

static void test_cycles(void)
{
	const uint32_t h = 14;
	struct query q0, q;
	struct xchg x;
	uint64_t t0 = now_ns();
	unsigned i, bad = 0;
	int st;

	query(h, &q0);
	for (i = 0; i < opt_cycles && bad < 5; i++) {
		if (call1(h, act_req(i % 16), &x) != 0) {
			bad++;
			continue;
		}
		if (call1(h, req_deactivate(x.rsps[0].u.act.dbc_id), &x) != 0)
			bad++;
	}
	st = query(h, &q);
	check(!bad && st == 0 && !memcmp(&q, &q0, sizeof(q)) && query_is_start(&q),
	      "cycles.activate_deactivate", "%u failures in %u cycles, %s", bad, i, qdesc(&q));
	info("%u cycles in %" PRIu64 " ms", i, (now_ns() - t0) / 1000000);
}

static void test_fault_knobs(void)
{
	struct query q;
	struct xchg x;
	uint32_t tail, released = 0;
	uint64_t t0, dt;
	int st;

	/*
	 * DROP: the request is consumed (and executed), its reply never comes:
	 * the next request's reply is the first one there (call() decodes it
	 * against its own seq), and the only one.
	 */
	wr(EMBER_FI_MBOX_DROP, 1);
	tail = rd(EMBER_MBOX_RSP_TAIL);
	{
		struct ember_nnc_req r = echo_req(16);

		post1(1, &r, crc_on ? EMBER_NNC_F_CRC : 0, NULL);
	}
	st = echo(1, 16, &x);
	check(st == 0 && rd(EMBER_MBOX_RSP_TAIL) == ((tail + 1) & (mq_depth - 1)) &&
	      rd(EMBER_MBOX_REQ_HEAD) == mq_tail && rd(EMBER_FI_MBOX_DROP) == 0,
	      "fi.drop", "next request: %s; RSP_TAIL %u (was %u, one reply for two requests) "
	      "REQ_HEAD %u tail %u FI %u", xdesc(&x), rd(EMBER_MBOX_RSP_TAIL), tail,
	      rd(EMBER_MBOX_REQ_HEAD), mq_tail, rd(EMBER_FI_MBOX_DROP));
	check(st == 0 && x.hdr.seq == x.info.seq, "fi.drop_next_answered", "%s", xdesc(&x));
	wr(EMBER_FI_MBOX_DROP, 1);
	{
		struct ember_nnc_req r = act_req(4);

		post1(15, &r, crc_on ? EMBER_NNC_F_CRC : 0, NULL);
	}
	/* the QUERY's reply is the first one there: the ACTIVATE's was dropped */
	st = query(15, &q);
	st = st ? st : terminate(15, &released);
	check(q.dbcs_owned == 1 && st == 0 && released == 1, "fi.drop_request_executed",
	      "status %d released %u, %s", st, released, qdesc(&q));

	/* DELAY: every reply, in order */
	wr(EMBER_FI_MBOX_DELAY_MS, 300);
	t0 = now_ns();
	{
		struct ember_nnc_req r = echo_req(16);
		uint32_t early, got;

		post1(1, &r, crc_on ? EMBER_NNC_F_CRC : 0, NULL);
		post1(1, &r, crc_on ? EMBER_NNC_F_CRC : 0, NULL);
		/* Watched all along: a reply within the first 100 ms is early */
		got = mbox_wait(1, 5000);
		dt = (now_ns() - t0) / 1000000;
		early = dt < 100 ? got : 0;
		check(early == 0 && got >= 1 && dt >= 250, "fi.delay",
		      "%u replies after 100 ms, first after %" PRIu64 " ms (want >= 300)", early,
		      dt);
		got = mbox_wait(2, 5000);
		dt = (now_ns() - t0) / 1000000;
		check(got == 2 && dt >= 500, "fi.delay_every_reply",
		      "%u replies, second after %" PRIu64 " ms (want >= 600)", got, dt);
		mbox_pop(x.raw);
		mbox_pop(x.raw);
	}
	wr(EMBER_FI_MBOX_DELAY_MS, 0);
	t0 = now_ns();
	st = echo(1, 16, &x);
	dt = (now_ns() - t0) / 1000000;
	check(st == 0 && dt < 250, "fi.delay_off", "%s after %" PRIu64 " ms", xdesc(&x), dt);

	/* CORRUPT with CRC: the driver's check sees a bad CRC */
	wr(EMBER_FI_MBOX_CORRUPT, 1);
	st = echo(1, 16, &x);
	check(crc_on && x.ret == -EIO && x.why == EMBER_NNC_E_CRC && rd(EMBER_FI_MBOX_CORRUPT) == 0,
	      "fi.corrupt_crc", "crc_on %d %s", crc_on, xdesc(&x));
	st = echo(1, 16, &x);
	check(st == 0, "fi.corrupt_next_fine", "%s", xdesc(&x));
}

/* Reply @buf is the successful reply to the message of @info (its seq, no message status) */
static bool reply_is(const uint8_t *buf, const struct ember_nnc_msg_info *info)
{
	struct ember_nnc_rsp rsps[EMBER_NNC_MAX_TRANS];
	struct ember_nnc_hdr hdr;

	return ember_nnc_decode_reply(buf, EMBER_MBOX_SLOT_SIZE, info,
				      crc_on ? EMBER_NNC_DEC_REQUIRE_CRC : 0, &hdr, rsps,
				      EMBER_NNC_MAX_TRANS, NULL) == 0 &&
	       hdr.seq == info->seq && hdr.status == 0;
}

static void test_rsp_full(void)
{
	static uint8_t rsp[EMBER_MBOX_SLOT_SIZE];
	struct ember_nnc_msg_info infos[6];
	struct ember_nnc_req r;
	uint32_t i, a, head;
	bool order = true, settled, one_more;

	check(mbox_open(4), "rsp_full.open_depth4", "STATUS 0x%x", rd(EMBER_MBOX_STATUS));
	for (i = 0; i < 6; i++) {
		if (i == 3) {
			/* Three requests, three replies: nothing else was posted */
			a = mbox_wait(3, 5000);
			check(a == 3 && rd(EMBER_MBOX_REQ_HEAD) == 3 && rd(EMBER_MBOX_RSP_TAIL) == 3,
			      "rsp_full.three_replies", "%u replies REQ_HEAD %u RSP_TAIL %u", a,
			      rd(EMBER_MBOX_REQ_HEAD), rd(EMBER_MBOX_RSP_TAIL));
		}
		r = echo_req(16);
		post1(1, &r, crc_on ? EMBER_NNC_F_CRC : 0, &infos[i]);
	}
	settled = settle();
	head = rd(EMBER_MBOX_REQ_HEAD);
	check(settled && head == 3 && rd(EMBER_MBOX_RSP_TAIL) == 3, "rsp_full.stalls",
	      "REQ_HEAD %u RSP_TAIL %u (want 3 3: no request consumed while full) %s", head,
	      rd(EMBER_MBOX_RSP_TAIL), settled ? "" : wait_error());
	/* Room for one: exactly one more request is served */
	mbox_pop(rsp);
	order &= reply_is(rsp, &infos[0]);
	one_more = wait_reg(bar0, EMBER_MBOX_RSP_TAIL, ~0u, 0, 5000);
	settled = one_more && settle();
	check(settled && rd(EMBER_MBOX_REQ_HEAD) == 0 && rd(EMBER_MBOX_RSP_TAIL) == 0,
	      "rsp_full.one_more", "REQ_HEAD %u RSP_TAIL %u (want 0 0) %s",
	      rd(EMBER_MBOX_REQ_HEAD), rd(EMBER_MBOX_RSP_TAIL), settled ? "" : wait_error());
	for (i = 1; i < 6; i++) {
		if (mbox_wait(1, 5000) < 1) {
			order = false;
			break;
		}
		mbox_pop(rsp);
		order &= reply_is(rsp, &infos[i]);
	}
	check(order && rd(EMBER_MBOX_REQ_HEAD) == rd(EMBER_MBOX_REQ_TAIL), "rsp_full.all_in_order",
	      "replies out of order or missing");
	check(mbox_open(16), "rsp_full.reopen", "STATUS 0x%x", rd(EMBER_MBOX_STATUS));
}

/* Leave firmware state behind: CRC, a DBC, a workload, a staged transfer */
static bool dirty_fw(uint32_t h)
{
	struct xchg x;
	struct load l = tiny_load();
	bool ok;

	if (!crc_on) {
		ok = call1(0, req_status(EMBER_NNC_FEAT_CRC), &x) == 0;
		crc_on = ok;
	}
	ok = crc_on;
	ok &= call1(h, act_req(5), &x) == 0;
	ok &= load(h, &l, NULL) == 0;
	ok &= stage(h, 7, 1, 10000) == 0;
	return ok;
}

/* After a reset: mailbox off, and the firmware remembers nothing */
static void check_forgotten(const char *what, uint32_t h)
{
	char name[96];
	struct query q;
	struct xchg x;
	int st;

	snprintf(name, sizeof(name), "%s.mbox_disabled", what);
	check(rd(EMBER_MBOX_STATUS) == 0 && rd(EMBER_MBOX_CTRL) == 0 &&
	      rd(EMBER_MBOX_DEPTH) == 0 && rd(EMBER_MBOX_REQ_HEAD) == 0 &&
	      rd(EMBER_MBOX_RSP_TAIL) == 0, name, "STATUS 0x%x CTRL 0x%x DEPTH %u",
	      rd(EMBER_MBOX_STATUS), rd(EMBER_MBOX_CTRL), rd(EMBER_MBOX_DEPTH));
	mbox_open(16);
	crc_on = false;
	st = echo(1, 16, &x);
	snprintf(name, sizeof(name), "%s.crc_forgotten", what);
	check(st == 0 && !(x.hdr.flags & EMBER_NNC_F_CRC), name, "%s", xdesc(&x));
	st = query(h, &q);
	snprintf(name, sizeof(name), "%s.state_dropped", what);
	check(st == 0 && query_is_start(&q), name, "%s", qdesc(&q));
}

static void test_resets(void)
{
	struct xchg x;
	uint32_t head;
	bool ok;
	int ret;

	/* Soft reset */
	ok = dirty_fw(20);
	check(ok, "soft_reset.setup", "could not build firmware state");
	wr(EMBER_DEV_CTRL, EMBER_DEV_CTRL_ENABLE | EMBER_DEV_CTRL_SOFT_RESET);
	check_forgotten("soft_reset", 20);

	/* CORRUPT without CRC: the reply fails validation (bad magic) */
	wr(EMBER_FI_MBOX_CORRUPT, 1);
	echo(1, 16, &x);
	check(!crc_on && x.ret == -EIO && x.why == EMBER_NNC_E_MAGIC, "fi.corrupt_no_crc",
	      "crc_on %d %s", crc_on, xdesc(&x));

	/* RAS FW_FATAL stops the mailbox until a reset */
	wr(EMBER_FI_RAS, EMBER_RAS_FW_FATAL);
	{
		struct ember_nnc_req r = echo_req(16);

		head = rd(EMBER_MBOX_REQ_HEAD);
		post1(1, &r, 0, NULL);
		/*
		 * Quiet window: FW_FATAL halts the function and the mailbox,
		 * so neither a DBC nor a later request can act as a barrier.
		 */
		quiet_window(EMU_QUIET_WINDOW_MS);
		check(rd(EMBER_MBOX_REQ_HEAD) == head && mbox_avail() == 0, "ras.fw_fatal_stops_mbox",
		      "REQ_HEAD %u (was %u), %u replies", rd(EMBER_MBOX_REQ_HEAD), head,
		      mbox_avail());
	}
	wr(EMBER_DEV_CTRL, EMBER_DEV_CTRL_SOFT_RESET);
	wr(EMBER_RAS_STATUS, ~0u);
	check(mbox_open(16) && echo(1, 16, &x) == 0, "ras.fw_fatal_cleared_by_reset", "%s",
	      xdesc(&x));

	/* FLR */
	wr(EMBER_DEV_CTRL, EMBER_DEV_CTRL_ENABLE);
	ok = dirty_fw(21);
	check(ok, "flr.setup", "could not build firmware state");
	ret = sysfs_reset("flr");
	check(ret == 0 && rd(EMBER_RESET_CAUSE) == 1, "flr.done", "reset returned %d, cause %u",
	      ret, rd(EMBER_RESET_CAUSE));
	check_forgotten("flr", 21);
}

/* nnc-major != 1: everything is refused as UNSUPPORTED, in the firmware's major */
static void test_foreign_major(unsigned major)
{
	const struct ember_nnc_hdr *h;
	struct xchg x;
	int st;

	/*
	 * The codec refuses a reply of another major (EMBER_NNC_E_MAJOR) after
	 * it checked the magic and read the header into x.hdr: the header
	 * fields below are the firmware's reply as it wrote them.
	 */
	h = &x.hdr;
	check(rd(EMBER_FW_NNC_VERSION) == (major << 16), "major.fw_nnc_version", "0x%08x, want %u.0",
	      rd(EMBER_FW_NNC_VERSION), major);
	check(mbox_open(16), "major.mbox_open", "STATUS 0x%x", rd(EMBER_MBOX_STATUS));
	st = call1(0, req_status(EMBER_NNC_FEAT_CRC), &x);
	check(st == -1 && x.ret == -EOPNOTSUPP && x.why == EMBER_NNC_E_MAJOR,
	      "major.codec_refuses_reply", "%s", xdesc(&x));
	check(x.why == EMBER_NNC_E_MAJOR && h->major == major && h->seq == x.info.seq &&
	      h->len == EMBER_NNC_HDR_LEN && h->count == 0 && h->handle == 0 &&
	      h->flags == EMBER_NNC_F_REPLY && h->status == EMBER_NNC_ST_UNSUPPORTED,
	      "major.status_unsupported", "%s major %u seq 0x%x len %u count %u flags 0x%x "
	      "status %u", ember_nnc_reason_str(x.why), h->major, h->seq, h->len, h->count,
	      h->flags, h->status);
	/* A message in the firmware's own major is not understood either */
	call_ex(9, (struct ember_nnc_req[]){ echo_req(16) }, 1, EMBER_MBOX_SLOT_SIZE, t_major, &x);
	check(x.ret == -EOPNOTSUPP && x.why == EMBER_NNC_E_MAJOR &&
	      h->status == EMBER_NNC_ST_UNSUPPORTED && h->handle == 9,
	      "major.any_message_unsupported", "%s status %u", xdesc(&x), h->status);
	call_ex(9, (struct ember_nnc_req[]){ echo_req(16) }, 1, EMBER_MBOX_SLOT_SIZE, t_magic, &x);
	check(x.ret == -EOPNOTSUPP && x.why == EMBER_NNC_E_MAJOR && h->status == EMBER_NNC_ST_INVAL,
	      "major.bad_magic_inval", "%s status %u", xdesc(&x), h->status);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: emu_mbox_test [--dbcs N] [--mem SIZE] [--nnc-major N] [--bdf BDF]\n"
		"                     [--seed N] [--cycles N] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dbcs", required_argument, NULL, 'd' },
		{ "mem", required_argument, NULL, 'm' },
		{ "nnc-major", required_argument, NULL, 'M' },
		{ "bdf", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 'S' },
		{ "cycles", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned major;
	int c;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': opt_dbcs = strtoul(optarg, NULL, 0); break;
		case 'm': opt_mem = parse_size(optarg); break;
		case 'M': opt_nnc_major = strtoul(optarg, NULL, 0); break;
		case 'b': opt_bdf = optarg; break;
		case 'S': rnd_seed(strtoull(optarg, NULL, 0)); break;
		case 'c': opt_cycles = strtoul(optarg, NULL, 0); break;
		case 'v': emu_verbose = true; break;
		default: usage();
		}
	}
	if (optind != argc || opt_dbcs > 16)
		usage();

	emu_open_device(opt_bdf);

	n_dbcs = field_get(EMBER_DBC_INFO_COUNT, rd(EMBER_DBC_INFO));
	mem_size = rd64(EMBER_DEVMEM_SIZE_LO);
	if (opt_dbcs && opt_dbcs != n_dbcs)
		fatal("device has %u DBCs, --dbcs says %u", n_dbcs, opt_dbcs);
	if (opt_mem && opt_mem != mem_size)
		fatal("device has %" PRIu64 " bytes of memory, --mem says %" PRIu64, mem_size, opt_mem);
	if (n_dbcs < 1 || mem_size < (32u << 20))
		fatal("need at least 1 DBC and 32 MiB of device memory (%u, %" PRIu64 ")", n_dbcs,
		      mem_size);
	bar2 = map_resource(EMBER_BAR_DEVMEM, mem_size);
	setup_hugepages();

	major = field_get(EMBER_NNC_VER_MAJOR, rd(EMBER_FW_NNC_VERSION));
	if (opt_nnc_major && opt_nnc_major != major)
		check(false, "major.expected", "firmware speaks NNC %u, --nnc-major says %u", major,
		      opt_nnc_major);
	if (major != EMBER_NNC_MAJOR) {
		test_foreign_major(major);
		return emu_finish();
	}

	test_identity();
	test_setup();
	test_status_nocrc();
	test_rejects_nocrc();
	test_negotiate_crc();
	test_echo();
	test_irq_delivery();
	test_activate();
	test_xfer_and_load();
	test_load_validation();
	test_xfer_rules();
	test_terminate();
	test_cycles();
	test_fault_knobs();
	test_rsp_full();
	test_resets();

	return emu_finish();
}
