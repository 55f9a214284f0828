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
#define EMBER_ABI_MINOR		4
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

/* ==== Data path: buffer objects on DBCs (docs/datapath.md) ==== */
#define DRM_EMBER_CREATE_BO		0x02
#define DRM_EMBER_MMAP_BO		0x03
#define DRM_EMBER_ATTACH_SLICE_BO	0x04
#define DRM_EMBER_EXECUTE_BO		0x05
#define DRM_EMBER_PARTIAL_EXECUTE_BO	0x06
#define DRM_EMBER_WAIT_BO		0x07
#define DRM_EMBER_PERF_STATS_BO		0x08
#define DRM_EMBER_DETACH_SLICE_BO	0x09

#define EMBER_BO_MAX_SIZE	(1ull << 32)	/* bytes per BO */
#define EMBER_SLICE_MAX		256	/* slices per BO */
#define EMBER_EXEC_MAX		64	/* BOs per EXECUTE_BO call */

/* drm_ember_slice.op */
#define EMBER_SLICE_OP_COPY	1	/* copy between the BO and devmem */
#define EMBER_SLICE_OP_FILL	2	/* fill devmem or the BO with a byte */
#define EMBER_SLICE_OP_CRC32	3	/* CRC-32 of devmem into the BO */
#define EMBER_SLICE_OP_GEMM_I8	4	/* int8 GEMM within devmem */

/* drm_ember_slice.dir */
#define EMBER_SLICE_TO_DEV	1	/* source is the BO, target devmem */
#define EMBER_SLICE_FROM_DEV	2	/* source is devmem, target the BO */

/**
 * struct drm_ember_create_bo - allocate a GEM buffer object
 * @size: In: bytes, 1..EMBER_BO_MAX_SIZE, rounded up to whole pages.
 * @handle: Out: GEM handle, valid in this file only.
 * @flags: In: must be 0.
 */
struct drm_ember_create_bo {
	__u64 size;
	__u32 handle;
	__u32 flags;
};

/**
 * struct drm_ember_mmap_bo - get the offset to mmap() a BO at
 * @handle: In: GEM handle of this file.
 * @pad: In: must be 0.
 * @offset: Out: fake offset to pass to mmap() on the accel node.
 */
struct drm_ember_mmap_bo {
	__u32 handle;
	__u32 pad;
	__u64 offset;
};

/**
 * struct drm_ember_slice - one operation of a sliced BO
 *
 * COPY moves @size bytes between BO bytes @offset.. and device memory
 * @dev_offset.. (@dir says which way). FILL writes @size bytes of the
 * pattern @dev_aux, into device memory at @dev_offset (TO_DEV; @offset
 * must be 0 and the BO is not touched) or into the BO at @offset
 * (FROM_DEV; @dev_offset must be 0). CRC32 (FROM_DEV) reads @dev_aux bytes
 * of device memory at @dev_offset and stores their CRC-32 as 4 bytes LE in
 * the BO at @offset (@size 4, @offset a multiple of 4). GEMM_I8 (TO_DEV)
 * computes C = A x B in device memory (A m x k int8 at @dev_offset, B
 * k x n int8 at @dev_aux, C m x n int32 LE at @dev_out); @offset and
 * @size must be 0. Slices of a BO run in order, one after the other.
 *
 * @offset: In: byte offset of the slice in the BO.
 * @size: In: bytes of the slice; @offset + @size must not exceed the BO
 *	(except for FILL TO_DEV, where @size is the device-memory length).
 * @dev_offset: In: device-memory offset (see above).
 * @dev_aux: In: FILL: pattern byte (0..255); CRC32: bytes of device
 *	memory; GEMM: device-memory offset of B; COPY: 0.
 * @dev_out: In: GEMM: device-memory offset of C; otherwise 0.
 * @op: In: EMBER_SLICE_OP_*.
 * @dir: In: EMBER_SLICE_TO_DEV or EMBER_SLICE_FROM_DEV.
 * @m: In: GEMM rows of A and C, 1..4096; otherwise 0.
 * @n: In: GEMM columns of B and C, 1..4096; otherwise 0.
 * @k: In: GEMM columns of A, rows of B, 1..4096; otherwise 0.
 * @pad: In: must be 0.
 */
struct drm_ember_slice {
	__u64 offset;
	__u64 size;
	__u64 dev_offset;
	__u64 dev_aux;
	__u64 dev_out;
	__u32 op;
	__u32 dir;
	__u32 m;
	__u32 n;
	__u32 k;
	__u32 pad;
};

/**
 * struct drm_ember_attach_slice_bo - slice a BO and bind it to a DBC
 * @handle: In: GEM handle of an unsliced BO of this file.
 * @dbc_id: In: a DBC this client activated.
 * @count: In: number of slices, 1..EMBER_SLICE_MAX.
 * @pad: In: must be 0.
 * @slices: In: user pointer to @count &struct drm_ember_slice.
 */
struct drm_ember_attach_slice_bo {
	__u32 handle;
	__u32 dbc_id;
	__u32 count;
	__u32 pad;
	__u64 slices;
};

/**
 * struct drm_ember_execute_entry - one BO to run
 * @handle: In: GEM handle of a sliced BO of this file, not queued.
 * @resize: In: PARTIAL_EXECUTE_BO: only the first @resize bytes of the
 *	BO take part (COPY and FILL parts beyond are dropped, one crossing
 *	it is shortened, a CRC32 result that does not fit is dropped; GEMM
 *	slices always run), 0 = the whole BO, at most the BO size;
 *	EXECUTE_BO: must be 0.
 */
struct drm_ember_execute_entry {
	__u32 handle;
	__u32 resize;
};

/**
 * struct drm_ember_execute_bo - queue sliced BOs (and wait for them)
 * @count: In: entries, 1..EMBER_EXEC_MAX.
 * @flags: In: EMBER_EXECUTE_BO_* (ABI 1.4; 0 before); other bits must
 *	be 0.
 * @entries: In: user pointer to @count &struct drm_ember_execute_entry.
 * @timeout_ms: In: with EMBER_EXECUTE_BO_WAIT, as &drm_ember_wait_bo's
 *	(for the whole call); else must be 0. ABI 1.4: the struct was 16
 *	bytes before, and a caller passing those 16 gets 0 here.
 * @pad: In: must be 0.
 *
 * Without flags the call queues the BOs and returns. With
 * EMBER_EXECUTE_BO_WAIT it then waits, in the same call, until every BO
 * of the call completed or @timeout_ms passed: one system call for a
 * synchronous job, as a read is for a disk. The BOs are queued whatever
 * the wait returns: -ETIMEDOUT and -EINTR (a signal; the call is not
 * restarted, it would find its BOs queued) leave them queued, to be
 * waited for with WAIT_BO; -EIO and -ECANCELED are the first failed BO's
 * (WAIT_BO on each tells which).
 */
struct drm_ember_execute_bo {
	__u32 count;
	__u32 flags;
	__u64 entries;
	__u32 timeout_ms;
	__u32 pad;
};

/* EXECUTE_BO flag: wait for the call's BOs before returning (ABI 1.4). */
#define EMBER_EXECUTE_BO_WAIT	(1u << 0)
/*
 * EXECUTE_BO flag, with EMBER_EXECUTE_BO_WAIT only: wait as WAIT_BO with
 * EMBER_WAIT_BO_POLL does, polling the response ring in the caller.
 */
#define EMBER_EXECUTE_BO_POLL	(1u << 1)

/**
 * struct drm_ember_wait_bo - wait until a BO's execution completes
 * @handle: In: GEM handle of this file.
 * @timeout_ms: In: milliseconds, 0 = module parameter
 *	wait_exec_default_timeout_ms.
 * @dbc_id: Out: DBC the BO is sliced for.
 * @flags: In: EMBER_WAIT_BO_* (ABI 1.3; the @pad of 1.2, which had to be
 *	0); other bits must be 0.
 *
 * Returns 0 at once if the BO was never executed; -EIO if a request of
 * its last execution failed, -ECANCELED if its DBC was reset or released
 * before it completed, -ETIMEDOUT (the execution stays queued).
 */
struct drm_ember_wait_bo {
	__u32 handle;
	__u32 timeout_ms;
	__u32 dbc_id;
	__u32 flags;
};

/*
 * WAIT_BO flag: poll the DBC's response ring in the caller before
 * sleeping (hybrid polling, docs/datapath.md "Polling in the waiter"):
 * first sleep for about half the DBC's recent job time, then busy-poll for
 * at most datapath_busy_poll_us. The default in polling mode
 * (datapath_polling=1), where it is implied.
 */
#define EMBER_WAIT_BO_POLL	(1u << 0)

/**
 * struct drm_ember_perf_stats_entry - timing of a BO's last execution
 * @handle: In: GEM handle of this file.
 * @queue_level: Out: requests waiting in the ring when the BO's first
 *	request was fetched.
 * @submit_ts: Out: host time of submission, ns (CLOCK_MONOTONIC).
 * @device_ns: Out: sum of the device time of the BO's requests, ns.
 * @done_ts: Out: device time of the last completion.
 */
struct drm_ember_perf_stats_entry {
	__u32 handle;
	__u32 queue_level;
	__u64 submit_ts;
	__u64 device_ns;
	__u64 done_ts;
};

/**
 * struct drm_ember_perf_stats_bo - timings of several BOs
 * @count: In: entries, 1..EMBER_EXEC_MAX.
 * @pad: In: must be 0.
 * @entries: In: user pointer to @count &struct drm_ember_perf_stats_entry;
 *	Out: their Out fields filled.
 */
struct drm_ember_perf_stats_bo {
	__u32 count;
	__u32 pad;
	__u64 entries;
};

/**
 * struct drm_ember_detach_slice_bo - remove the slicing of an idle BO
 * @handle: In: GEM handle of a sliced BO of this file, not queued.
 * @pad: In: must be 0.
 */
struct drm_ember_detach_slice_bo {
	__u32 handle;
	__u32 pad;
};

#define DRM_IOCTL_EMBER_CREATE_BO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EMBER_CREATE_BO, struct drm_ember_create_bo)
#define DRM_IOCTL_EMBER_MMAP_BO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EMBER_MMAP_BO, struct drm_ember_mmap_bo)
#define DRM_IOCTL_EMBER_ATTACH_SLICE_BO \
	DRM_IOW(DRM_COMMAND_BASE + DRM_EMBER_ATTACH_SLICE_BO, \
		struct drm_ember_attach_slice_bo)
#define DRM_IOCTL_EMBER_EXECUTE_BO \
	DRM_IOW(DRM_COMMAND_BASE + DRM_EMBER_EXECUTE_BO, struct drm_ember_execute_bo)
#define DRM_IOCTL_EMBER_PARTIAL_EXECUTE_BO \
	DRM_IOW(DRM_COMMAND_BASE + DRM_EMBER_PARTIAL_EXECUTE_BO, \
		struct drm_ember_execute_bo)
#define DRM_IOCTL_EMBER_WAIT_BO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EMBER_WAIT_BO, struct drm_ember_wait_bo)
#define DRM_IOCTL_EMBER_PERF_STATS_BO \
	DRM_IOW(DRM_COMMAND_BASE + DRM_EMBER_PERF_STATS_BO, \
		struct drm_ember_perf_stats_bo)
#define DRM_IOCTL_EMBER_DETACH_SLICE_BO \
	DRM_IOW(DRM_COMMAND_BASE + DRM_EMBER_DETACH_SLICE_BO, \
		struct drm_ember_detach_slice_bo)

/* ==== end of data path ==== */

#if defined(__cplusplus)
}
#endif

#endif /* _EMBER_ACCEL_H_ */
