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
#define EMBER_ABI_MINOR		0
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

#if defined(__cplusplus)
}
#endif

#endif /* _EMBER_ACCEL_H_ */
