/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ember hardware registers and in-memory formats, as specified in
 * docs/hardware.md. Names and values here must match that document and the
 * device model (emu/ember.c); tests/unit/regs_consistency_test.py checks it.
 */
#ifndef _EMBER_REGS_H_
#define _EMBER_REGS_H_

#include <linux/bits.h>
#include <linux/sizes.h>
#include <linux/types.h>

#define EMBER_PCI_VENDOR		0x1234
#define EMBER_PCI_DEVICE_PF		0xeb01
#define EMBER_PCI_DEVICE_VF		0xeb02

#define EMBER_BAR_REGS			0
#define EMBER_BAR_DEVMEM		2
#define EMBER_BAR_MSIX			4

#define EMBER_ID_MAGIC			0x454d4252
#define EMBER_MAX_DBCS			16
#define EMBER_MBOX_SLOT_SIZE		4096
#define EMBER_REQ_MAX_LEN		(SZ_64M + SZ_4K)

/* Global block */
#define EMBER_ID			0x000
#define EMBER_HW_VERSION		0x004
#define   EMBER_HW_VERSION_MAJOR	GENMASK(31, 16)
#define   EMBER_HW_VERSION_MINOR	GENMASK(15, 0)
#define EMBER_CAPS			0x008
#define EMBER_DBC_INFO			0x00c
#define   EMBER_DBC_INFO_COUNT		GENMASK(7, 0)
#define   EMBER_DBC_INFO_FIRST		GENMASK(15, 8)
#define EMBER_DEVMEM_SIZE_LO		0x010
#define EMBER_DEVMEM_SIZE_HI		0x014
#define EMBER_FUNC_INFO			0x018
#define   EMBER_FUNC_INFO_IS_VF		BIT(0)
#define   EMBER_FUNC_INFO_VF_INDEX	GENMASK(15, 8)
#define   EMBER_FUNC_INFO_NUM_VFS	GENMASK(23, 16)
#define EMBER_SCRATCH			0x01c
#define EMBER_DEV_CTRL			0x020
#define   EMBER_DEV_CTRL_ENABLE		BIT(0)
#define   EMBER_DEV_CTRL_SOFT_RESET	BIT(1)
#define EMBER_DEV_STATUS		0x024
#define   EMBER_DEV_STATUS_READY	BIT(0)
#define   EMBER_DEV_STATUS_HALTED	BIT(1)
#define   EMBER_DEV_STATUS_RESET_FAILED	BIT(2)
#define   EMBER_DEV_STATUS_QUIESCED	BIT(3)
#define EMBER_IRQ_CTRL			0x028
#define   EMBER_IRQ_CTRL_SINGLE		BIT(0)
#define   EMBER_IRQ_CTRL_MODE		GENMASK(9, 8)
#define     EMBER_IRQ_MODE_NONE		0
#define     EMBER_IRQ_MODE_MSIX		1
#define     EMBER_IRQ_MODE_MSIX_SINGLE	2
#define     EMBER_IRQ_MODE_MSI		3
#define EMBER_IRQ_STATUS		0x02c
#define EMBER_IRQ_MASK			0x030
#define   EMBER_IRQ_SRC_MGMT		BIT(0)
#define   EMBER_IRQ_SRC_DBC(i)		BIT(1 + (i))
#define EMBER_TEST_IRQ			0x034
#define EMBER_TEST_IRQ_STATUS		0x038
#define EMBER_MGMT_CAUSE		0x03c
#define   EMBER_MGMT_CAUSE_MBOX		BIT(0)
#define   EMBER_MGMT_CAUSE_RAS		BIT(1)
#define   EMBER_MGMT_CAUSE_TEST		BIT(2)
#define EMBER_RESET_COUNT		0x040
#define EMBER_RESET_CAUSE		0x044
#define   EMBER_RESET_CAUSE_POWER_ON	0
#define   EMBER_RESET_CAUSE_FLR		1
#define   EMBER_RESET_CAUSE_HOT		2
#define   EMBER_RESET_CAUSE_D3		3
#define   EMBER_RESET_CAUSE_SOFT	4
#define EMBER_SERIAL_LO			0x048
#define EMBER_SERIAL_HI			0x04c

/* EMBER_CAPS */
#define EMBER_CAP_MSIX			BIT(0)
#define EMBER_CAP_SRIOV			BIT(1)
#define EMBER_CAP_MBOX			BIT(2)
#define EMBER_CAP_TELEMETRY		BIT(3)
#define EMBER_CAP_FAULT			BIT(4)
#define EMBER_CAP_GEMM			BIT(5)

/* Management mailbox */
#define EMBER_MBOX_REQ_BASE_LO		0x100
#define EMBER_MBOX_REQ_BASE_HI		0x104
#define EMBER_MBOX_RSP_BASE_LO		0x108
#define EMBER_MBOX_RSP_BASE_HI		0x10c
#define EMBER_MBOX_DEPTH		0x110
#define EMBER_MBOX_REQ_HEAD		0x114
#define EMBER_MBOX_REQ_TAIL		0x118
#define EMBER_MBOX_RSP_HEAD		0x11c
#define EMBER_MBOX_RSP_TAIL		0x120
#define EMBER_MBOX_CTRL			0x124
#define   EMBER_MBOX_CTRL_ENABLE	BIT(0)
#define EMBER_MBOX_STATUS		0x128
#define   EMBER_MBOX_STATUS_ENABLED	BIT(0)
#define   EMBER_MBOX_STATUS_ERROR	BIT(1)

/* Firmware versions: major 31:24, minor 23:16, patch 15:0 */
#define EMBER_FW_MGMT_VERSION		0x200
#define EMBER_FW_DBC_VERSION		0x204
#define EMBER_FW_BOOT_VERSION		0x208
#define EMBER_FW_NNC_VERSION		0x20c
#define   EMBER_FW_VER_MAJOR		GENMASK(31, 24)
#define   EMBER_FW_VER_MINOR		GENMASK(23, 16)
#define   EMBER_FW_VER_PATCH		GENMASK(15, 0)
#define   EMBER_NNC_VER_MAJOR		GENMASK(31, 16)
#define   EMBER_NNC_VER_MINOR		GENMASK(15, 0)

/* Telemetry */
#define EMBER_TEL_TEMP_MC		0x300
#define EMBER_TEL_TEMP_CRIT_MC		0x304
#define EMBER_TEL_POWER_MW		0x308
#define EMBER_TEL_POWER_CAP_MW		0x30c
#define EMBER_TEL_CORE_CLK_MHZ		0x310
#define EMBER_TEL_MEM_CLK_MHZ		0x314
#define EMBER_TEL_ECC_CE		0x318
#define EMBER_TEL_ECC_UE		0x31c
#define EMBER_TEL_TIMESTAMP_LO		0x320
#define EMBER_TEL_TIMESTAMP_HI		0x324

/* Fault injection */
#define EMBER_FI_DBC_HANG		0x400
#define EMBER_FI_DROP_IRQ		0x404
#define EMBER_FI_CORRUPT_RSP		0x408
#define EMBER_FI_RAS			0x40c
#define EMBER_FI_FAIL_FLR		0x410
#define EMBER_FI_MBOX_DROP		0x414
#define EMBER_FI_MBOX_DELAY_MS		0x418
#define EMBER_FI_MBOX_CORRUPT		0x41c
#define EMBER_FI_DUP_RSP		0x420

/* RAS */
#define EMBER_RAS_STATUS		0x480
#define   EMBER_RAS_CE			BIT(0)
#define   EMBER_RAS_UE			BIT(1)
#define   EMBER_RAS_DBC_FATAL		BIT(2)
#define   EMBER_RAS_FW_FATAL		BIT(3)
#define EMBER_RAS_DBC			0x484

/* DBC blocks */
#define EMBER_DBC_BASE(i)		(0x1000 + (i) * 0x100)
#define EMBER_DBC_REQ_BASE_LO		0x00
#define EMBER_DBC_REQ_BASE_HI		0x04
#define EMBER_DBC_RSP_BASE_LO		0x08
#define EMBER_DBC_RSP_BASE_HI		0x0c
#define EMBER_DBC_RING_SIZE		0x10
#define EMBER_DBC_REQ_HEAD		0x14
#define EMBER_DBC_REQ_TAIL		0x18
#define EMBER_DBC_RSP_HEAD		0x1c
#define EMBER_DBC_RSP_TAIL		0x20
#define EMBER_DBC_CTRL			0x24
#define   EMBER_DBC_CTRL_ENABLE		BIT(0)
#define   EMBER_DBC_CTRL_RESET		BIT(31)
#define EMBER_DBC_STATUS		0x28
#define   EMBER_DBC_STATUS_ENABLED	BIT(0)
#define   EMBER_DBC_STATUS_BUSY		BIT(1)
#define   EMBER_DBC_STATUS_ERROR	BIT(2)
#define   EMBER_DBC_STATUS_HUNG		BIT(3)
#define EMBER_DBC_SERVICE_NS		0x2c
#define EMBER_DBC_COMPLETED_LO		0x30
#define EMBER_DBC_COMPLETED_HI		0x34
#define EMBER_DBC_BUSY_NS_LO		0x38
#define EMBER_DBC_BUSY_NS_HI		0x3c
#define EMBER_DBC_IRQ_COUNT		0x40
#define EMBER_DBC_ERRORS		0x44

/* Request ring entry opcodes and flags */
#define EMBER_OP_NOP			0
#define EMBER_OP_COPY			1
#define EMBER_OP_FILL			2
#define EMBER_OP_CRC32			3
#define EMBER_OP_GEMM_I8		4

#define EMBER_REQ_FORCE_IRQ		BIT(0)
#define EMBER_REQ_SRC_DEVMEM		BIT(1)
#define EMBER_REQ_DST_DEVMEM		BIT(2)
#define EMBER_REQ_NO_RSP		BIT(3)

/* Response status */
#define EMBER_RSP_OK			0
#define EMBER_RSP_BAD_OPCODE		1
#define EMBER_RSP_BAD_PARAM		2
#define EMBER_RSP_DMA_ERROR		3
#define EMBER_RSP_ABORTED		4
#define EMBER_RSP_CORRUPT		0xee

/**
 * struct ember_dbc_req - DBC request ring entry (docs/hardware.md §5.2)
 * @req_id: echoed in the response
 * @opcode: EMBER_OP_*
 * @flags: EMBER_REQ_*
 * @len: byte count for COPY, FILL and CRC32
 * @src: source bus address or device-memory offset
 * @dst: destination bus address or device-memory offset
 * @aux: GEMM: address of B; FILL: pattern in bits 7:0
 * @m: GEMM rows of A and C
 * @n: GEMM columns of B and C
 * @k: GEMM columns of A, rows of B
 * @rsvd0: must be zero
 * @cookie: opaque, echoed in the response
 * @rsvd1: must be zero
 */
struct ember_dbc_req {
	__le16 req_id;
	u8 opcode;
	u8 flags;
	__le32 len;
	__le64 src;
	__le64 dst;
	__le64 aux;
	__le32 m;
	__le32 n;
	__le32 k;
	__le32 rsvd0;
	__le64 cookie;
	__le64 rsvd1;
};

/**
 * struct ember_dbc_rsp - DBC response ring entry (docs/hardware.md §5.5)
 * @req_id: from the request
 * @opcode: from the request
 * @status: EMBER_RSP_*
 * @result: per opcode (CRC32 value)
 * @cookie: from the request
 * @queue_level: requests waiting when this one was fetched
 * @device_ns: time the request occupied the DBC, ns
 * @done_ts: device timestamp at completion, ns
 */
struct ember_dbc_rsp {
	__le16 req_id;
	u8 opcode;
	u8 status;
	__le32 result;
	__le64 cookie;
	__le32 queue_level;
	__le32 device_ns;
	__le64 done_ts;
};

static_assert(sizeof(struct ember_dbc_req) == 64);
static_assert(sizeof(struct ember_dbc_rsp) == 32);

#endif /* _EMBER_REGS_H_ */
