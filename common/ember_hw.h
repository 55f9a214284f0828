/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * ember hardware: PCI identity, registers, ring entry formats and the
 * hardware opcodes, as specified in docs/hardware.md. This is the one
 * definition; the driver (kmd/), the device model (emu/, built into QEMU
 * from here), libember and the tests include it.
 * tests/unit/regs_consistency_test.py checks it against the document, and
 * tests/unit/one_definition_test.py that nobody defines these names again.
 *
 * Plain C on the types of <linux/types.h>, shared by the kernel and Linux
 * userspace; bit helpers carry the EMBER_ prefix so that no global name is
 * defined.
 */
#ifndef _EMBER_HW_H_
#define _EMBER_HW_H_

#include <linux/types.h>

/* Bit n; bits h..l (h >= l), as 32-bit unsigned constants. */
#define EMBER_BIT(n)			(1u << (n))
#define EMBER_GENMASK(h, l)		((~0u >> (31 - (h))) & (~0u << (l)))

#define EMBER_PCI_VENDOR		0x1234
#define EMBER_PCI_DEVICE_PF		0xeb01
#define EMBER_PCI_DEVICE_VF		0xeb02

#define EMBER_BAR_REGS			0
#define EMBER_BAR_DEVMEM		2
#define EMBER_BAR_MSIX			4

#define EMBER_ID_MAGIC			0x454d4252
#define EMBER_MAX_DBCS			16
#define EMBER_MBOX_SLOT_SIZE		4096
#define EMBER_REQ_MAX_LEN		((64u << 20) + 4096u)

/* Global block */
#define EMBER_ID			0x000
#define EMBER_HW_VERSION		0x004
#define   EMBER_HW_VERSION_MAJOR	EMBER_GENMASK(31, 16)
#define   EMBER_HW_VERSION_MINOR	EMBER_GENMASK(15, 0)
#define EMBER_CAPS			0x008
#define EMBER_DBC_INFO			0x00c
#define   EMBER_DBC_INFO_COUNT		EMBER_GENMASK(7, 0)
#define   EMBER_DBC_INFO_FIRST		EMBER_GENMASK(15, 8)
#define EMBER_DEVMEM_SIZE_LO		0x010
#define EMBER_DEVMEM_SIZE_HI		0x014
#define EMBER_FUNC_INFO			0x018
#define   EMBER_FUNC_INFO_IS_VF		EMBER_BIT(0)
#define   EMBER_FUNC_INFO_VF_INDEX	EMBER_GENMASK(15, 8)
#define   EMBER_FUNC_INFO_NUM_VFS	EMBER_GENMASK(23, 16)
#define EMBER_SCRATCH			0x01c
#define EMBER_DEV_CTRL			0x020
#define   EMBER_DEV_CTRL_ENABLE		EMBER_BIT(0)
#define   EMBER_DEV_CTRL_SOFT_RESET	EMBER_BIT(1)
#define EMBER_DEV_STATUS		0x024
#define   EMBER_DEV_STATUS_READY	EMBER_BIT(0)
#define   EMBER_DEV_STATUS_HALTED	EMBER_BIT(1)
#define   EMBER_DEV_STATUS_RESET_FAILED	EMBER_BIT(2)
#define   EMBER_DEV_STATUS_QUIESCED	EMBER_BIT(3)
#define EMBER_IRQ_CTRL			0x028
#define   EMBER_IRQ_CTRL_SINGLE		EMBER_BIT(0)
#define   EMBER_IRQ_CTRL_MODE		EMBER_GENMASK(9, 8)
#define     EMBER_IRQ_MODE_NONE		0
#define     EMBER_IRQ_MODE_MSIX		1
#define     EMBER_IRQ_MODE_MSIX_SINGLE	2
#define     EMBER_IRQ_MODE_MSI		3
#define EMBER_IRQ_STATUS		0x02c
#define EMBER_IRQ_MASK			0x030
#define   EMBER_IRQ_SRC_MGMT		EMBER_BIT(0)
#define   EMBER_IRQ_SRC_DBC(i)		EMBER_BIT(1 + (i))
#define EMBER_TEST_IRQ			0x034
#define EMBER_TEST_IRQ_STATUS		0x038
#define EMBER_MGMT_CAUSE		0x03c
#define   EMBER_MGMT_CAUSE_MBOX		EMBER_BIT(0)
#define   EMBER_MGMT_CAUSE_RAS		EMBER_BIT(1)
#define   EMBER_MGMT_CAUSE_TEST		EMBER_BIT(2)
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
#define EMBER_CAP_MSIX			EMBER_BIT(0)
#define EMBER_CAP_SRIOV			EMBER_BIT(1)
#define EMBER_CAP_MBOX			EMBER_BIT(2)
#define EMBER_CAP_TELEMETRY		EMBER_BIT(3)
#define EMBER_CAP_FAULT			EMBER_BIT(4)
#define EMBER_CAP_GEMM			EMBER_BIT(5)

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
#define   EMBER_MBOX_CTRL_ENABLE	EMBER_BIT(0)
#define EMBER_MBOX_STATUS		0x128
#define   EMBER_MBOX_STATUS_ENABLED	EMBER_BIT(0)
#define   EMBER_MBOX_STATUS_ERROR	EMBER_BIT(1)

/* Firmware versions: major 31:24, minor 23:16, patch 15:0 */
#define EMBER_FW_MGMT_VERSION		0x200
#define EMBER_FW_DBC_VERSION		0x204
#define EMBER_FW_BOOT_VERSION		0x208
#define EMBER_FW_NNC_VERSION		0x20c
#define   EMBER_FW_VER_MAJOR		EMBER_GENMASK(31, 24)
#define   EMBER_FW_VER_MINOR		EMBER_GENMASK(23, 16)
#define   EMBER_FW_VER_PATCH		EMBER_GENMASK(15, 0)
#define   EMBER_NNC_VER_MAJOR		EMBER_GENMASK(31, 16)
#define   EMBER_NNC_VER_MINOR		EMBER_GENMASK(15, 0)

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
#define   EMBER_RAS_CE			EMBER_BIT(0)
#define   EMBER_RAS_UE			EMBER_BIT(1)
#define   EMBER_RAS_DBC_FATAL		EMBER_BIT(2)
#define   EMBER_RAS_FW_FATAL		EMBER_BIT(3)
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
#define   EMBER_DBC_CTRL_ENABLE		EMBER_BIT(0)
#define   EMBER_DBC_CTRL_RESET		EMBER_BIT(31)
#define EMBER_DBC_STATUS		0x28
#define   EMBER_DBC_STATUS_ENABLED	EMBER_BIT(0)
#define   EMBER_DBC_STATUS_BUSY		EMBER_BIT(1)
#define   EMBER_DBC_STATUS_ERROR	EMBER_BIT(2)
#define   EMBER_DBC_STATUS_HUNG		EMBER_BIT(3)
#define EMBER_DBC_SERVICE_NS		0x2c
#define EMBER_DBC_COMPLETED_LO		0x30
#define EMBER_DBC_COMPLETED_HI		0x34
#define EMBER_DBC_BUSY_NS_LO		0x38
#define EMBER_DBC_BUSY_NS_HI		0x3c
#define EMBER_DBC_IRQ_COUNT		0x40
#define EMBER_DBC_ERRORS		0x44

/* Request ring entry opcodes (hardware; the uAPI has EMBER_SLICE_OP_*) */
#define EMBER_HW_OP_NOP			0
#define EMBER_HW_OP_COPY		1
#define EMBER_HW_OP_FILL		2
#define EMBER_HW_OP_CRC32		3
#define EMBER_HW_OP_GEMM_I8		4

/* Request ring entry flags */
#define EMBER_REQ_FORCE_IRQ		EMBER_BIT(0)
#define EMBER_REQ_SRC_DEVMEM		EMBER_BIT(1)
#define EMBER_REQ_DST_DEVMEM		EMBER_BIT(2)
#define EMBER_REQ_NO_RSP		EMBER_BIT(3)

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
 * @opcode: EMBER_HW_OP_*
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
	__u8 opcode;
	__u8 flags;
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
	__u8 opcode;
	__u8 status;
	__le32 result;
	__le64 cookie;
	__le32 queue_level;
	__le32 device_ns;
	__le64 done_ts;
};

#endif /* _EMBER_HW_H_ */
