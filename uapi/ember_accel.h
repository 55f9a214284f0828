/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * ember accelerator ioctl ABI.
 *
 * Rules (docs/uapi.md): every struct has a fixed size with no implicit
 * padding, explicit pads must be zero (the kernel returns -EINVAL
 * otherwise), arrays are passed as a count plus a __u64 user pointer, and
 * every field is marked In (read by the kernel) or Out (written by it).
 */
#ifndef _EMBER_ACCEL_H_
#define _EMBER_ACCEL_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* ioctl ABI version: major = incompatible change, minor = new ioctls or
 * fields, patch = fixes. Reported by GET_INFO and sysfs ember_ioctl_version.
 */
#define EMBER_ABI_MAJOR		1
#define EMBER_ABI_MINOR		1
#define EMBER_ABI_PATCH		0

#define DRM_EMBER_GET_INFO	0x00

/* Capability bits reported in drm_ember_get_info.caps */
#define EMBER_INFO_CAP_MSIX	(1u << 0)	/* per-DBC MSI-X vectors */
#define EMBER_INFO_CAP_SRIOV	(1u << 1)	/* SR-IOV capable PF */
#define EMBER_INFO_CAP_MBOX	(1u << 2)	/* management mailbox / NNC */
#define EMBER_INFO_CAP_TELEMETRY (1u << 3)	/* telemetry registers */
#define EMBER_INFO_CAP_FAULT	(1u << 4)	/* fault injection block */
#define EMBER_INFO_CAP_GEMM	(1u << 5)	/* int8 GEMM kernel */
#define EMBER_INFO_CAP_VF	(1u << 16)	/* this function is a VF */

/* Interrupt modes reported in drm_ember_get_info.irq_mode */
#define EMBER_INFO_IRQ_MSIX	1	/* one vector per DBC plus one */
#define EMBER_INFO_IRQ_SINGLE	2	/* one shared vector (MSI or MSI-X) */
#define EMBER_INFO_IRQ_POLL	3	/* no interrupts used (polling) */

/**
 * struct drm_ember_get_info - identity and resources of a device
 * @flags: In: must be 0.
 * @pad: In: must be 0.
 * @abi_major: Out: EMBER_ABI_MAJOR of the running driver.
 * @abi_minor: Out: EMBER_ABI_MINOR of the running driver.
 * @abi_patch: Out: EMBER_ABI_PATCH of the running driver.
 * @hw_version: Out: hardware version, major << 16 | minor.
 * @pci_vendor: Out: PCI vendor ID.
 * @pci_device: Out: PCI device ID (PF or VF).
 * @fw_mgmt_version: Out: management firmware, major << 24 | minor << 16 |
 *	patch.
 * @fw_dbc_version: Out: DMA bridge firmware, same packing.
 * @fw_boot_version: Out: boot firmware, same packing.
 * @nnc_version: Out: NNC protocol, major << 16 | minor.
 * @num_dbcs: Out: DMA bridge channels owned by this function.
 * @caps: Out: EMBER_INFO_CAP_* bits.
 * @devmem_size: Out: device memory of this function, bytes.
 * @serial: Out: board serial number (VFs: PF serial + 1 + VF index).
 * @irq_mode: Out: EMBER_INFO_IRQ_*.
 * @num_irq_vectors: Out: interrupt vectors the driver is using.
 * @vf_index: Out: VF index, or 0xffffffff for a PF.
 * @num_vfs: Out: VFs currently enabled (PF), 0 otherwise.
 * @reserved: Out: zero; room for later minor versions.
 */
struct drm_ember_get_info {
	__u32 flags;
	__u32 pad;
	__u32 abi_major;
	__u32 abi_minor;
	__u32 abi_patch;
	__u32 hw_version;
	__u32 pci_vendor;
	__u32 pci_device;
	__u32 fw_mgmt_version;
	__u32 fw_dbc_version;
	__u32 fw_boot_version;
	__u32 nnc_version;
	__u32 num_dbcs;
	__u32 caps;
	__u64 devmem_size;
	__u64 serial;
	__u32 irq_mode;
	__u32 num_irq_vectors;
	__u32 vf_index;
	__u32 num_vfs;
	__u64 reserved[4];
};

#define DRM_IOCTL_EMBER_GET_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EMBER_GET_INFO, struct drm_ember_get_info)

/* ==== MANAGE: NNC transactions to the firmware (docs/nnc.md "uAPI") ====
 *
 * DRM_IOCTL_EMBER_MANAGE takes a struct drm_ember_manage_msg pointing at a
 * buffer of transactions packed back to back. Each starts with a
 * struct drm_ember_manage_trans_hdr whose len covers the whole transaction
 * (a multiple of 8). Replies are written in place: the kernel fills the
 * Out fields of each transaction and never changes a transaction's size.
 */
#define DRM_EMBER_MANAGE	0x01

#define EMBER_MANAGE_MAX_LEN	4096	/* bytes of transactions per call */
#define EMBER_MANAGE_MAX_TRANS	32	/* transactions per call */
#define EMBER_MANAGE_PT_MAX	4048	/* passthrough data bytes */
#define EMBER_MANAGE_DMA_MAX	(256ull << 20)	/* DMA_XFER size, bytes */

/* drm_ember_manage_trans_hdr.type (TERMINATE is sent by the kernel only) */
#define EMBER_MANAGE_TRANS_STATUS	1
#define EMBER_MANAGE_TRANS_PASSTHROUGH	2
#define EMBER_MANAGE_TRANS_DMA_XFER	3
#define EMBER_MANAGE_TRANS_ACTIVATE	4
#define EMBER_MANAGE_TRANS_DEACTIVATE	5

/* Per-transaction status (Out), errno in docs/nnc.md */
#define EMBER_MANAGE_STATUS_OK		0
#define EMBER_MANAGE_STATUS_INVAL	1	/* EINVAL */
#define EMBER_MANAGE_STATUS_NOENT	2	/* ENOENT */
#define EMBER_MANAGE_STATUS_PERM	3	/* EPERM */
#define EMBER_MANAGE_STATUS_BUSY	4	/* EBUSY */
#define EMBER_MANAGE_STATUS_NOSPC	5	/* ENOSPC */
#define EMBER_MANAGE_STATUS_NOMEM	6	/* ENOMEM */
#define EMBER_MANAGE_STATUS_UNSUPPORTED	7	/* EOPNOTSUPP */
#define EMBER_MANAGE_STATUS_IO		8	/* EIO */
#define EMBER_MANAGE_STATUS_BADCRC	9	/* EIO */
#define EMBER_MANAGE_STATUS_NOT_RUN	10	/* an earlier one failed */

/* drm_ember_manage_trans_status.features */
#define EMBER_MANAGE_FEAT_CRC	(1u << 0)	/* messages carry a CRC32 */

/**
 * struct drm_ember_manage_trans_hdr - start of every MANAGE transaction
 * @type: In: EMBER_MANAGE_TRANS_*.
 * @len: In: bytes of the transaction including this header, a multiple
 *	of 8; fixed per type except PASSTHROUGH.
 */
struct drm_ember_manage_trans_hdr {
	__u32 type;
	__u32 len;
};

/**
 * struct drm_ember_manage_trans_status - ask the firmware for its NNC
 *	version and the features in effect
 * @hdr: In: type EMBER_MANAGE_TRANS_STATUS, len 24.
 * @status: Out: EMBER_MANAGE_STATUS_*.
 * @features: Out: EMBER_MANAGE_FEAT_* in effect on the mailbox.
 * @major: Out: firmware NNC protocol major.
 * @minor: Out: firmware NNC protocol minor (its command set).
 * @pad: In: must be 0.
 */
struct drm_ember_manage_trans_status {
	struct drm_ember_manage_trans_hdr hdr;
	__u32 status;
	__u32 features;
	__u16 major;
	__u16 minor;
	__u32 pad;
};

/**
 * struct drm_ember_manage_trans_passthrough - opaque firmware command
 * @hdr: In: type EMBER_MANAGE_TRANS_PASSTHROUGH, len 16 + data bytes
 *	(data bytes a multiple of 8, at most EMBER_MANAGE_PT_MAX).
 * @status: Out: EMBER_MANAGE_STATUS_*.
 * @rsp_len: Out: bytes of reply data written over @data (at most
 *	hdr.len - 16, a multiple of 8).
 * @data: In: the command, little-endian and 64-bit aligned by userspace;
 *	Out: the firmware's reply data.
 */
struct drm_ember_manage_trans_passthrough {
	struct drm_ember_manage_trans_hdr hdr;
	__u32 status;
	__u32 rsp_len;
	__u8 data[];
};

/**
 * struct drm_ember_manage_trans_dma_xfer - send a host buffer to the
 *	firmware (e.g. a workload image)
 * @hdr: In: type EMBER_MANAGE_TRANS_DMA_XFER, len 40.
 * @tag: In: opaque id of the data for the firmware.
 * @status: Out: EMBER_MANAGE_STATUS_*.
 * @addr: In: user virtual address of the data.
 * @size: In: bytes, 1..EMBER_MANAGE_DMA_MAX; @addr + @size must not wrap.
 * @received: Out: bytes the firmware received.
 */
struct drm_ember_manage_trans_dma_xfer {
	struct drm_ember_manage_trans_hdr hdr;
	__u32 tag;
	__u32 status;
	__u64 addr;
	__u64 size;
	__u64 received;
};

/**
 * struct drm_ember_manage_trans_activate - get a DBC with rings set up
 * @hdr: In: type EMBER_MANAGE_TRANS_ACTIVATE, len 24.
 * @ring_size: In: entries per ring, a power of two, 2..65536; the kernel
 *	allocates the rings.
 * @flags: In: must be 0.
 * @status: Out: EMBER_MANAGE_STATUS_*.
 * @dbc_id: Out: the DBC now owned by this client.
 */
struct drm_ember_manage_trans_activate {
	struct drm_ember_manage_trans_hdr hdr;
	__u32 ring_size;
	__u32 flags;
	__u32 status;
	__u32 dbc_id;
};

/**
 * struct drm_ember_manage_trans_deactivate - release an activated DBC
 * @hdr: In: type EMBER_MANAGE_TRANS_DEACTIVATE, len 16.
 * @dbc_id: In: a DBC this client activated.
 * @status: Out: EMBER_MANAGE_STATUS_*.
 */
struct drm_ember_manage_trans_deactivate {
	struct drm_ember_manage_trans_hdr hdr;
	__u32 dbc_id;
	__u32 status;
};

/**
 * struct drm_ember_manage_msg - argument of DRM_IOCTL_EMBER_MANAGE
 * @len: In: bytes of transactions at @data, 16..EMBER_MANAGE_MAX_LEN,
 *	equal to the sum of their hdr.len.
 * @count: In: number of transactions, 1..EMBER_MANAGE_MAX_TRANS.
 * @data: In: user pointer to the transactions; Out: the
 *	same buffer with every transaction's Out fields filled.
 * @flags: In: must be 0.
 * @pad: In: must be 0.
 */
struct drm_ember_manage_msg {
	__u32 len;
	__u32 count;
	__u64 data;
	__u32 flags;
	__u32 pad;
};

#define DRM_IOCTL_EMBER_MANAGE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EMBER_MANAGE, struct drm_ember_manage_msg)

/* ==== end of MANAGE ==== */

#if defined(__cplusplus)
}
#endif

#endif /* _EMBER_ACCEL_H_ */
