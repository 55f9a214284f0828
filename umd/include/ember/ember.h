/* SPDX-License-Identifier: MIT */
/*
 * libember: the ember accelerator user-mode driver, stable C ABI.
 *
 * Conventions (every function follows them):
 *
 * - Every function that can fail returns an ember_status: EMBER_OK (0) or
 *   an EMBER_ERR_* code. Each code stands for exactly one errno of the
 *   ember ioctl vocabulary (docs/uapi.md), see ember_status_to_errno().
 *   After a failure, ember_last_error_message() gives a human-readable
 *   detail for the calling thread.
 * - Every pointer argument is required: NULL is refused with
 *   EMBER_ERR_INVALID, nothing is written and nothing crashes.
 * - Out parameters are written only on success, unless documented
 *   otherwise.
 * - Input structs have "reserved"/"flags" fields that must be zero (so
 *   later versions can give them meaning); output structs have reserved
 *   fields that are written as zero.
 * - Handles are opaque. A device handle may be used from several threads
 *   at once; only ember_device_close() must not race with other calls on
 *   the same handle.
 * - Only symbols starting with "ember_" are exported; the SONAME is
 *   libember.so.0 and the ABI below only grows within major 0.
 */
#ifndef EMBER_EMBER_H_
#define EMBER_EMBER_H_

/* A C header: C++ users get the C types on purpose. */
/* NOLINTBEGIN(modernize-deprecated-headers, modernize-use-using) */
#include <stddef.h>
#include <stdint.h>

#include <ember/ember_version.h>

#if defined(__GNUC__)
#define EMBER_API __attribute__((visibility("default")))
#else
#define EMBER_API
#endif

#if defined(__cplusplus)
extern "C" {
#endif

/* ==== Status codes ==== */

/**
 * enum ember_status - result of every libember call.
 *
 * The values are part of the ABI and never change. Each error stands for
 * one errno (in parentheses); the meanings are those of docs/uapi.md.
 */
typedef enum ember_status {
  EMBER_OK = 0,               /* success (0) */
  EMBER_ERR_INVALID = 1,      /* malformed argument, NULL pointer (EINVAL) */
  EMBER_ERR_FAULT = 2,        /* a buffer could not be read or written (EFAULT) */
  EMBER_ERR_NOENT = 3,        /* no such device/DBC/workload for this client (ENOENT) */
  EMBER_ERR_PERM = 4,         /* object belongs to another client (EPERM) */
  EMBER_ERR_BUSY = 5,         /* object in use (EBUSY) */
  EMBER_ERR_AGAIN = 6,        /* queue full, retry (EAGAIN) */
  EMBER_ERR_TIMEDOUT = 7,     /* no reply in time (ETIMEDOUT) */
  EMBER_ERR_INTR = 8,         /* interrupted by a signal (EINTR) */
  EMBER_ERR_NOMEM = 9,        /* host, kernel or firmware memory exhausted (ENOMEM) */
  EMBER_ERR_NOSPC = 10,       /* no free DBC / device memory / slot (ENOSPC) */
  EMBER_ERR_IO = 11,          /* device error or malformed reply (EIO) */
  EMBER_ERR_NODEV = 12,       /* device removed, offline or failed (ENODEV) */
  EMBER_ERR_UNSUPPORTED = 13, /* not supported by device/firmware (EOPNOTSUPP) */
  EMBER_ERR_NOTTY = 14,       /* not an ember ioctl / not a DRM node (ENOTTY) */
  EMBER_ERR_ACCESS = 15,      /* no permission to open the node (EACCES) */
  EMBER_ERR_NOT_RUN = 16,     /* not run: an earlier transaction failed; cancelled (ECANCELED) */
  EMBER_ERR_UNKNOWN = 17      /* any other errno (detail in the message) */
} ember_status;

/* EMBER_ERR_NOT_RUN under the name the data path uses: the work was
 * cancelled because its DBC went away before it completed (ECANCELED). */
#define EMBER_ERR_CANCELED EMBER_ERR_NOT_RUN

/**
 * ember_strerror() - short English description of a status.
 * @status: any value; unknown values give "unknown ember status".
 *
 * Return: a static, NUL-terminated string; never NULL.
 */
EMBER_API const char *ember_strerror(ember_status status);

/**
 * ember_status_to_errno() - the errno a status stands for.
 * @status: a status.
 *
 * Return: 0 for EMBER_OK, the errno listed at enum ember_status, EIO for
 * EMBER_ERR_UNKNOWN and for values outside the enum.
 */
EMBER_API int ember_status_to_errno(ember_status status);

/**
 * ember_status_from_errno() - the status of an errno.
 * @err: an errno value (positive; a negative value is negated first).
 *
 * Return: the inverse of ember_status_to_errno() for the errnos listed at
 * enum ember_status (ERESTARTSYS maps to EMBER_ERR_INTR, ENXIO to
 * EMBER_ERR_NODEV); EMBER_ERR_UNKNOWN for any other errno.
 */
EMBER_API ember_status ember_status_from_errno(int err);

/**
 * ember_status_from_manage() - the status of a MANAGE transaction status.
 * @trans_status: an EMBER_MANAGE_STATUS_* value (uapi/ember_accel.h), as
 *	written by the kernel into a transaction's status field.
 *
 * Return: EMBER_OK, the matching EMBER_ERR_* (BADCRC gives EMBER_ERR_IO,
 * NOT_RUN gives EMBER_ERR_NOT_RUN), EMBER_ERR_IO for an unknown value.
 */
EMBER_API ember_status ember_status_from_manage(uint32_t trans_status);

/**
 * ember_last_error_message() - detail of the last failure on this thread.
 *
 * Every failing call records a message (e.g. "step 2 (copy): dst input 0:
 * an input slice cannot be a destination"). It stays until the next
 * failing call on the same thread.
 *
 * Return: a NUL-terminated string owned by libember, valid until the next
 * libember call on this thread; "" if nothing failed yet. Never NULL.
 */
EMBER_API const char *ember_last_error_message(void);

/* ==== Library version ==== */

/**
 * ember_version_string() - version of the libember that is running.
 *
 * Return: "MAJOR.MINOR.PATCH" (the project VERSION), static; compare with
 * EMBER_VERSION_STRING from <ember/ember_version.h> to detect a header /
 * library mismatch.
 */
EMBER_API const char *ember_version_string(void);

/**
 * ember_library_version() - version of the running libember as numbers.
 * @major: Out: EMBER_VERSION_MAJOR of the library.
 * @minor: Out: EMBER_VERSION_MINOR.
 * @patch: Out: EMBER_VERSION_PATCH.
 *
 * Return: EMBER_OK, or EMBER_ERR_INVALID if a pointer is NULL.
 */
EMBER_API ember_status ember_library_version(uint32_t *major, uint32_t *minor, uint32_t *patch);

/* ==== Device information and discovery ==== */

/* ember_info.caps bits (= EMBER_INFO_CAP_* of uapi/ember_accel.h) */
#define EMBER_DEV_CAP_MSIX (1u << 0)      /* per-DBC MSI-X vectors */
#define EMBER_DEV_CAP_SRIOV (1u << 1)     /* SR-IOV capable PF */
#define EMBER_DEV_CAP_MBOX (1u << 2)      /* management mailbox / NNC */
#define EMBER_DEV_CAP_TELEMETRY (1u << 3) /* telemetry registers */
#define EMBER_DEV_CAP_FAULT (1u << 4)     /* fault injection block */
#define EMBER_DEV_CAP_GEMM (1u << 5)      /* int8 GEMM kernel */
#define EMBER_DEV_CAP_VF (1u << 16)       /* this function is a VF */

/* ember_info.irq_mode values (= EMBER_INFO_IRQ_*) */
#define EMBER_DEV_IRQ_MSIX 1   /* one vector per DBC plus one */
#define EMBER_DEV_IRQ_SINGLE 2 /* one shared vector */
#define EMBER_DEV_IRQ_POLL 3   /* polling, no interrupts */

/**
 * struct ember_info - what DRM_IOCTL_EMBER_GET_INFO reports (docs/uapi.md).
 * @abi_major: ioctl ABI major of the running driver.
 * @abi_minor: ioctl ABI minor.
 * @abi_patch: ioctl ABI patch.
 * @hw_version: hardware version, major << 16 | minor.
 * @pci_vendor: PCI vendor ID.
 * @pci_device: PCI device ID (PF or VF).
 * @fw_mgmt_version: management firmware, major << 24 | minor << 16 | patch.
 * @fw_dbc_version: DMA bridge firmware, same packing.
 * @fw_boot_version: boot firmware, same packing.
 * @nnc_version: NNC protocol, major << 16 | minor.
 * @num_dbcs: DMA bridge channels of this function.
 * @caps: EMBER_DEV_CAP_* bits.
 * @devmem_size: device memory of this function, bytes.
 * @serial: board serial number.
 * @irq_mode: EMBER_DEV_IRQ_*.
 * @num_irq_vectors: interrupt vectors the driver uses.
 * @vf_index: VF index, 0xffffffff on a PF.
 * @num_vfs: VFs enabled (PF), 0 otherwise.
 * @reserved: zero.
 */
typedef struct ember_info {
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t abi_patch;
  uint32_t hw_version;
  uint32_t pci_vendor;
  uint32_t pci_device;
  uint32_t fw_mgmt_version;
  uint32_t fw_dbc_version;
  uint32_t fw_boot_version;
  uint32_t nnc_version;
  uint32_t num_dbcs;
  uint32_t caps;
  uint64_t devmem_size;
  uint64_t serial;
  uint32_t irq_mode;
  uint32_t num_irq_vectors;
  uint32_t vf_index;
  uint32_t num_vfs;
  uint64_t reserved[4];
} ember_info;

#define EMBER_PATH_MAX 512 /* bytes of a path in ember_device_desc, with NUL */
#define EMBER_BDF_MAX 32   /* bytes of a PCI address, with NUL */

/**
 * struct ember_device_desc - one ember device found by discovery.
 * @node: accel node, e.g. "/dev/accel/accel0" (under EMBER_DEV_ROOT).
 * @sysfs: its class directory, e.g. "/sys/class/accel/accel0".
 * @bdf: PCI address of the function, e.g. "0000:00:03.0"; "" if unknown.
 * @minor: N of accelN.
 * @status: EMBER_OK if the node was opened, confirmed as ember and
 *	answered GET_INFO; otherwise why not (e.g. EMBER_ERR_ACCESS when sysfs
 *	shows an ember device but its node cannot be opened). @info is zero
 *	unless @status is EMBER_OK.
 * @info: GET_INFO of the device.
 * @reserved: zero.
 */
typedef struct ember_device_desc {
  char node[EMBER_PATH_MAX];
  char sysfs[EMBER_PATH_MAX];
  char bdf[EMBER_BDF_MAX];
  uint32_t minor;
  ember_status status;
  ember_info info;
  uint64_t reserved[4];
} ember_device_desc;

/**
 * ember_device_count() - number of ember devices.
 * @count: Out: devices ember_device_list() would return now.
 *
 * Discovery scans $EMBER_SYSFS_ROOT/class/accel/accel* (EMBER_SYSFS_ROOT
 * defaults to "/sys"), skips devices whose PCI driver (the "device/driver"
 * link) is not "ember", opens $EMBER_DEV_ROOT/accel/accelN
 * (EMBER_DEV_ROOT defaults to "/dev") and keeps it if DRM_IOCTL_VERSION
 * names the driver "ember". Devices are ordered by N.
 *
 * Return: EMBER_OK, EMBER_ERR_INVALID (NULL), EMBER_ERR_NOMEM.
 */
EMBER_API ember_status ember_device_count(size_t *count);

/**
 * ember_device_list() - describe the ember devices.
 * @out: Out: up to @capacity descriptions, in discovery order (see
 *	ember_device_count()); the index of an entry is what
 *	ember_device_open() takes.
 * @capacity: entries available at @out.
 * @count: Out: number of devices found; if larger than @capacity, only
 *	the first @capacity were written.
 *
 * Return: EMBER_OK, EMBER_ERR_INVALID (NULL), EMBER_ERR_NOMEM. A device
 * that fails to open is reported through its entry's status, not here.
 */
EMBER_API ember_status ember_device_list(ember_device_desc *out, size_t capacity, size_t *count);

/* ==== Telemetry and monitoring (docs/uapi.md "Telemetry") ====
 *
 * Read-only views of the driver's sysfs, hwmon and DRM fdinfo files
 * (docs/sysfs.md) for monitoring tools: no device node is opened, so they
 * work for any user that can read sysfs (the process list needs
 * permission to read other processes' /proc/<pid>/fdinfo, i.e. root or
 * the same user). Every read is bounded: the driver answers these files
 * without waiting for the device (a device that cannot answer gives
 * "unavailable", never a hang). The device is named by its PCI address
 * (ember_device_desc.bdf). Roots: $EMBER_SYSFS_ROOT (default /sys) and
 * $EMBER_PROC_ROOT (default /proc), for tests.
 */

/**
 * struct ember_driver_status - the loaded ember kernel module.
 * @loaded: 1 if ember.ko is loaded (its driver directory exists).
 * @abi_major: ioctl ABI major of the module (ember_ioctl_version).
 * @abi_minor: ioctl ABI minor.
 * @abi_patch: ioctl ABI patch.
 * @version: driver version ("0.1.0"), from the module; "" if unknown.
 * @reserved: zero.
 */
typedef struct ember_driver_status {
  uint32_t loaded;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t abi_patch;
  char version[32];
  uint64_t reserved[4];
} ember_driver_status;

/**
 * ember_driver_status_read() - whether ember.ko is loaded, and its versions.
 * @out: Out: the status; @out->loaded is 0 (and the rest zero) when the
 *	module is not loaded, which is not an error.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID for a NULL @out; EMBER_ERR_IO if
 * the module's files cannot be parsed.
 */
EMBER_API ember_status ember_driver_status_read(ember_driver_status *out);

/* ember_telemetry.valid bits: which optional fields hold a value. A field
 * whose bit is clear is unavailable (the device does not have it, or could
 * not answer now: resetting, failed) and reads as zero. */
#define EMBER_TEL_TEMP (1u << 0)        /* temp_mc */
#define EMBER_TEL_TEMP_CRIT (1u << 1)   /* temp_crit_mc */
#define EMBER_TEL_POWER (1u << 2)       /* power_uw */
#define EMBER_TEL_POWER_CAP (1u << 3)   /* power_cap_uw */
#define EMBER_TEL_CORE_CLK (1u << 4)    /* core_clk_mhz */
#define EMBER_TEL_MEM_CLK (1u << 5)     /* mem_clk_mhz */
#define EMBER_TEL_ECC (1u << 6)         /* ecc_ce, ecc_ue */
#define EMBER_TEL_DEVMEM (1u << 7)      /* devmem_used, devmem_total */
#define EMBER_TEL_RESET_COUNT (1u << 8) /* reset_count */
#define EMBER_TEL_SERIAL (1u << 9)      /* serial */
#define EMBER_TEL_STATE (1u << 10)      /* state */

/* ember_telemetry.state values (sysfs "state") */
#define EMBER_STATE_UNKNOWN 0
#define EMBER_STATE_ONLINE 1    /* accepting work */
#define EMBER_STATE_RESETTING 2 /* a reset is in progress */
#define EMBER_STATE_FAILED 3    /* a reset failed; disabled until removed */
#define EMBER_STATE_OFFLINE 4   /* being bound or removed */

/**
 * struct ember_telemetry - one device's health and usage now.
 * @valid: EMBER_TEL_* bits of the fields that hold a value.
 * @state: EMBER_STATE_*.
 * @temp_mc: temperature, millidegrees Celsius (hwmon temp1_input).
 * @temp_crit_mc: critical temperature, millidegrees Celsius (temp1_crit).
 * @power_uw: average power, microwatts (hwmon power1_average).
 * @power_cap_uw: power cap, microwatts (power1_cap).
 * @core_clk_mhz: core clock, MHz.
 * @mem_clk_mhz: memory clock, MHz.
 * @ecc_ce: corrected memory errors since power-on.
 * @ecc_ue: uncorrected memory errors since power-on.
 * @devmem_used: device memory held by loaded workloads, bytes.
 * @devmem_total: device memory of the function, bytes.
 * @reset_count: resets the driver handled since the device was bound.
 * @serial: board serial number, 16 hex digits, NUL-terminated.
 * @reserved: zero.
 */
typedef struct ember_telemetry {
  uint32_t valid;
  uint32_t state;
  int64_t temp_mc;
  int64_t temp_crit_mc;
  uint64_t power_uw;
  uint64_t power_cap_uw;
  uint32_t core_clk_mhz;
  uint32_t mem_clk_mhz;
  uint64_t ecc_ce;
  uint64_t ecc_ue;
  uint64_t devmem_used;
  uint64_t devmem_total;
  uint64_t reset_count;
  char serial[24];
  uint64_t reserved[8];
} ember_telemetry;

/**
 * ember_telemetry_read() - read a device's telemetry.
 * @bdf: PCI address, "0000:01:00.0" or "01:00.0".
 * @out: Out: the values; unavailable ones have their @valid bit clear.
 *
 * Return: EMBER_OK (even when some values are unavailable);
 * EMBER_ERR_INVALID for NULL arguments or a malformed @bdf;
 * EMBER_ERR_NOENT when no ember device is bound at @bdf.
 */
EMBER_API ember_status ember_telemetry_read(const char *bdf, ember_telemetry *out);

/**
 * struct ember_dbc_telemetry - one DBC's owner and counters since the
 *	device was bound (sysfs dbc_status and dbc_counters).
 * @index: DBC index on the function.
 * @active: 1 if a client's activation owns it, 0 if free.
 * @owner_pid: process of the owning client, 0 when free.
 * @reserved0: zero.
 * @interrupts: response interrupts handled.
 * @polls: response-ring services by the polling path.
 * @responses: response-ring entries consumed.
 * @completions: jobs the device completed.
 * @cancelled: jobs ended without a response (reset, close).
 * @timeouts: jobs the scheduler timed out.
 * @reserved: zero.
 */
typedef struct ember_dbc_telemetry {
  uint32_t index;
  uint32_t active;
  int32_t owner_pid;
  uint32_t reserved0;
  uint64_t interrupts;
  uint64_t polls;
  uint64_t responses;
  uint64_t completions;
  uint64_t cancelled;
  uint64_t timeouts;
  uint64_t reserved[4];
} ember_dbc_telemetry;

/**
 * ember_dbc_telemetry_read() - read every DBC's state and counters.
 * @bdf: PCI address.
 * @out: Out: up to @capacity entries, by index; may be NULL if @capacity
 *	is 0.
 * @capacity: entries @out can hold.
 * @count: Out: DBCs of the device (may exceed @capacity: call again with
 *	more room).
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID; EMBER_ERR_NOENT (no ember device
 * at @bdf); EMBER_ERR_UNSUPPORTED (a driver without the DBC telemetry
 * files: older than libember 0.2); EMBER_ERR_IO (the driver's files could
 * not be read or parsed).
 */
EMBER_API ember_status ember_dbc_telemetry_read(const char *bdf, ember_dbc_telemetry *out,
                                                size_t capacity, size_t *count);

#define EMBER_COMM_MAX 32 /* bytes of a process name, with NUL */

/**
 * struct ember_process_usage - one process's use of a device, summed over
 *	its open ember files (DRM fdinfo, docs/sysfs.md "fdinfo").
 * @pid: process ID.
 * @clients: open files (DRM clients) of the process on the device.
 * @comm: process name (/proc/<pid>/comm), NUL-terminated.
 * @busy_ns: device time its jobs took on all DBCs (drm-engine-dbc<i>), ns.
 * @memory_total: buffer objects it holds (drm-total-memory), bytes.
 * @memory_resident: of which resident (drm-resident-memory), bytes.
 * @reserved: zero.
 */
typedef struct ember_process_usage {
  int32_t pid;
  uint32_t clients;
  char comm[EMBER_COMM_MAX];
  uint64_t busy_ns;
  uint64_t memory_total;
  uint64_t memory_resident;
  uint64_t reserved[4];
} ember_process_usage;

/**
 * ember_process_list() - the processes that have a device open.
 * @bdf: PCI address.
 * @out: Out: up to @capacity entries, ordered by pid; may be NULL if
 *	@capacity is 0.
 * @capacity: entries @out can hold.
 * @count: Out: processes found (may exceed @capacity).
 *
 * Processes whose fdinfo cannot be read (another user's, without
 * privilege; exited during the scan) are skipped.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID; EMBER_ERR_NOENT (no ember device
 * at @bdf).
 */
EMBER_API ember_status ember_process_list(const char *bdf, ember_process_usage *out,
                                          size_t capacity, size_t *count);

/* ==== Device handles ==== */

/** typedef ember_device - an open accel node: one client of the driver. */
typedef struct ember_device ember_device;

/**
 * ember_device_open() - open the index-th device of ember_device_list().
 * @index: position in discovery order.
 * @out: Out: the new handle; release it with ember_device_close().
 *
 * Each handle is one client of the driver (its own DBCs, workloads and
 * DMA transfers; the kernel frees them when the handle is closed).
 *
 * Return: EMBER_OK; EMBER_ERR_NOENT if there is no such device; the
 * entry's status if it could not be opened (e.g. EMBER_ERR_ACCESS);
 * EMBER_ERR_INVALID (NULL).
 */
EMBER_API ember_status ember_device_open(size_t index, ember_device **out);

/**
 * ember_device_open_bdf() - open the ember device at a PCI address.
 * @bdf: "DDDD:BB:DD.F" or "BB:DD.F" (domain 0), case-insensitive.
 * @out: Out: the new handle.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID (NULL or malformed @bdf);
 * EMBER_ERR_NOENT (no ember device there); open/GET_INFO errors.
 */
EMBER_API ember_status ember_device_open_bdf(const char *bdf, ember_device **out);

/**
 * ember_device_open_path() - open an accel node by path.
 * @node: e.g. "/dev/accel/accel0".
 * @out: Out: the new handle.
 *
 * The node is confirmed with DRM_IOCTL_VERSION; its PCI address is looked
 * up as $EMBER_SYSFS_ROOT/class/accel/<basename of node>/device.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID (NULL); EMBER_ERR_NOENT /
 * EMBER_ERR_ACCESS (open failed); EMBER_ERR_NOTTY (not a DRM node);
 * EMBER_ERR_NODEV (a DRM node of another driver); GET_INFO errors.
 */
EMBER_API ember_status ember_device_open_path(const char *node, ember_device **out);

/**
 * ember_device_close() - close a handle.
 * @dev: a handle from ember_device_open*(); invalid afterwards.
 *
 * The driver then terminates the client: the firmware frees its DBCs,
 * workloads and unconsumed transfers. Must not race with other calls on
 * @dev.
 *
 * Return: EMBER_OK, or EMBER_ERR_INVALID if @dev is NULL.
 */
EMBER_API ember_status ember_device_close(ember_device *dev);

/**
 * ember_device_describe() - where an open device is.
 * @dev: device.
 * @out: Out: node, sysfs, bdf, minor (from the node name), status
 *	EMBER_OK and the GET_INFO taken when the handle was opened.
 *
 * Return: EMBER_OK or EMBER_ERR_INVALID (NULL).
 */
EMBER_API ember_status ember_device_describe(ember_device *dev, ember_device_desc *out);

/**
 * ember_device_get_info() - issue DRM_IOCTL_EMBER_GET_INFO now.
 * @dev: device.
 * @out: Out: the reply.
 *
 * Return: EMBER_OK, EMBER_ERR_INVALID, EMBER_ERR_NODEV (device removed).
 */
EMBER_API ember_status ember_device_get_info(ember_device *dev, ember_info *out);

/**
 * ember_device_fd() - the file descriptor of the accel node.
 * @dev: device.
 * @fd: Out: the descriptor, owned by @dev (do not close it); for ioctls
 *	libember does not wrap yet.
 *
 * Return: EMBER_OK, EMBER_ERR_INVALID (NULL), EMBER_ERR_UNSUPPORTED if
 * the handle has no descriptor (a test double).
 */
EMBER_API ember_status ember_device_fd(ember_device *dev, int *fd);

/* ==== MANAGE: control path (docs/nnc.md §14) ==== */

/**
 * ember_manage() - raw DRM_IOCTL_EMBER_MANAGE.
 * @dev: device.
 * @transactions: In/Out: @count transactions in the uAPI format
 *	(struct drm_ember_manage_trans_* of <ember/ember_accel.h>), back to
 *	back; the kernel fills their Out fields in place.
 * @len: bytes at @transactions (the sum of their hdr.len).
 * @count: number of transactions.
 *
 * libember checks only that @len and @count are non-zero; the kernel
 * validates the rest. If a transaction fails the call returns its status
 * and the Out fields of all transactions are written (later ones
 * NOT_RUN); see ember_status_from_manage() for the per-transaction codes.
 * DMA_XFER tags 0x80000000 and above are used by libember's own helpers.
 *
 * Return: EMBER_OK or the error of the first failed transaction or of the
 * exchange (EMBER_ERR_INVALID, _FAULT, _TIMEDOUT, _IO, _NODEV, ...).
 */
EMBER_API ember_status ember_manage(ember_device *dev, void *transactions, uint32_t len,
                                    uint32_t count);

/* EMBER_NNC_FEAT_* bits of ember_nnc_version.features */
#define EMBER_NNC_FEATURE_CRC (1u << 0) /* mailbox messages carry a CRC32 */

/**
 * struct ember_nnc_version - the firmware's NNC protocol (STATUS).
 * @major: protocol major (wire format).
 * @minor: protocol minor (firmware command set).
 * @features: EMBER_NNC_FEATURE_* in effect on the mailbox.
 * @reserved: zero.
 */
typedef struct ember_nnc_version {
  uint16_t major;
  uint16_t minor;
  uint32_t features;
  uint64_t reserved;
} ember_nnc_version;

/**
 * ember_nnc_status() - ask the firmware for its NNC version and features.
 * @dev: device.
 * @out: Out: the firmware's answer.
 *
 * Return: EMBER_OK or the MANAGE error.
 */
EMBER_API ember_status ember_nnc_status(ember_device *dev, ember_nnc_version *out);

#define EMBER_ECHO_MAX 4040u /* ECHO payload bytes (PASSTHROUGH max - 8) */

/**
 * ember_echo() - firmware liveness check (EMBER_FW_CMD_ECHO).
 * @dev: device.
 * @payload: @size bytes to send.
 * @reply: Out: @size bytes, what the firmware sent back (should equal
 *	@payload).
 * @size: 0..EMBER_ECHO_MAX.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID (NULL, @size too large);
 * EMBER_ERR_IO (malformed reply); MANAGE errors.
 */
EMBER_API ember_status ember_echo(ember_device *dev, const void *payload, void *reply, size_t size);

#define EMBER_DMA_MAX (256ull << 20) /* bytes of one DMA transfer */

/**
 * ember_dma_transfer() - send a host buffer to the firmware (DMA_XFER).
 * @dev: device.
 * @tag: non-zero id of the data for the firmware; below 0x80000000
 *	(higher tags are libember's own).
 * @data: the buffer.
 * @size: 1..EMBER_DMA_MAX bytes.
 * @received: Out: bytes the firmware received.
 *
 * The data is staged in the firmware for this client until a
 * LOAD_WORKLOAD names @tag as its image, or the device is closed.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID; MANAGE errors.
 */
EMBER_API ember_status ember_dma_transfer(ember_device *dev, uint32_t tag, const void *data,
                                          size_t size, uint64_t *received);

/* ==== Operations of slices and of workload steps ====
 *
 * The names are the uAPI's (uapi/ember_accel.h, docs/datapath.md),
 * defined here identically, so that a program may include <ember/ember.h>
 * and <ember/ember_accel.h> in either order. ember_slice.op and
 * ember_step.op take EMBER_SLICE_OP_*; ember_slice.dir takes
 * EMBER_SLICE_TO_DEV or EMBER_SLICE_FROM_DEV. (A workload step is an
 * operation libember turns into a slice; the firmware's step opcodes of
 * docs/nnc.md §15.3 have the same numbers.)
 */
#define EMBER_SLICE_OP_COPY 1    /* copy between the BO (or an operand) and device memory */
#define EMBER_SLICE_OP_FILL 2    /* fill device memory or the BO with a byte */
#define EMBER_SLICE_OP_CRC32 3   /* CRC-32 of device memory into the BO */
#define EMBER_SLICE_OP_GEMM_I8 4 /* int8 GEMM within device memory */
#define EMBER_SLICE_TO_DEV 1     /* the BO (or nothing) is the source, device memory the target */
#define EMBER_SLICE_FROM_DEV 2   /* device memory (or a pattern) is the source, the BO the target */

/*
 * Deprecated names. uAPI names are the names; the old ones are aliases
 * kept for source compatibility, removed no earlier than SONAME 1
 * (libember.so.1). enum ember_op (EMBER_OP_COPY, _FILL, _CRC32, _GEMM_I8)
 * and enum ember_dir (EMBER_DIR_TO_DEV, _FROM_DEV) are libember 0.1's
 * spellings of the values above, identical in value. New code uses
 * EMBER_SLICE_OP_* / EMBER_SLICE_TO_DEV / EMBER_SLICE_FROM_DEV and plain
 * integers (the struct fields are uint32_t / uint8_t, not these enums).
 * Define EMBER_DEPRECATE_OLD_NAMES before including this header to have
 * GCC and Clang warn (-Wdeprecated-declarations) at each use of an old
 * name; without it they compile silently.
 */
#if defined(EMBER_DEPRECATE_OLD_NAMES) && defined(__GNUC__)
#define EMBER_OLD_NAME_(use) __attribute__((__deprecated__("use " #use)))
#else
#define EMBER_OLD_NAME_(use)
#endif

/** enum ember_op - deprecated: the EMBER_SLICE_OP_* values under old names. */
typedef enum ember_op {
  EMBER_OP_COPY EMBER_OLD_NAME_(EMBER_SLICE_OP_COPY) = EMBER_SLICE_OP_COPY,
  EMBER_OP_FILL EMBER_OLD_NAME_(EMBER_SLICE_OP_FILL) = EMBER_SLICE_OP_FILL,
  EMBER_OP_CRC32 EMBER_OLD_NAME_(EMBER_SLICE_OP_CRC32) = EMBER_SLICE_OP_CRC32,
  EMBER_OP_GEMM_I8 EMBER_OLD_NAME_(EMBER_SLICE_OP_GEMM_I8) = EMBER_SLICE_OP_GEMM_I8
} ember_op EMBER_OLD_NAME_(uint32_t);

/** enum ember_dir - deprecated: EMBER_SLICE_TO_DEV / _FROM_DEV under old names. */
typedef enum ember_dir {
  EMBER_DIR_TO_DEV EMBER_OLD_NAME_(EMBER_SLICE_TO_DEV) = EMBER_SLICE_TO_DEV,
  EMBER_DIR_FROM_DEV EMBER_OLD_NAME_(EMBER_SLICE_FROM_DEV) = EMBER_SLICE_FROM_DEV
} ember_dir EMBER_OLD_NAME_(uint32_t);

#undef EMBER_OLD_NAME_

/* ==== Workloads (docs/nnc.md §15.2, §15.3) ==== */

#define EMBER_MAX_REGIONS 8  /* device-memory regions of a workload */
#define EMBER_MAX_STEPS 32   /* steps of a program */
#define EMBER_MAX_SLICES 16  /* input slices, and output slices */
#define EMBER_NAME_MAX 16    /* bytes of a workload name (no NUL needed) */
#define EMBER_GEMM_MAX 4096u /* largest GEMM m, n, k */

/** enum ember_operand_kind - what a step operand names. */
typedef enum ember_operand_kind {
  EMBER_OPERAND_NONE = 0,   /* no operand (index must be 0) */
  EMBER_OPERAND_INPUT = 1,  /* input slice <index>: read only */
  EMBER_OPERAND_OUTPUT = 2, /* output slice <index> */
  EMBER_OPERAND_REGION = 3  /* device-memory region <index> */
} ember_operand_kind;

/**
 * struct ember_step - one step of a program (the wire step of §15.3).
 * @op: EMBER_SLICE_OP_COPY, _FILL, _CRC32 or _GEMM_I8.
 * @src_kind: ember_operand_kind of the source (COPY, CRC32, GEMM's A).
 * @dst_kind: of the destination (COPY, FILL, GEMM's C; optional for CRC32).
 * @aux_kind: of GEMM's B; EMBER_OPERAND_NONE for other ops.
 * @src_index: slice or region number.
 * @dst_index: slice or region number.
 * @aux_index: slice or region number; for FILL the pattern byte.
 * @reserved: must be 0.
 * @len: bytes for COPY, FILL, CRC32; 0 = the whole source operand (FILL:
 *	the whole destination); must be 0 for GEMM.
 * @m: GEMM rows of A and C, 1..EMBER_GEMM_MAX; 0 for other ops.
 * @n: GEMM columns of B and C.
 * @k: GEMM columns of A, rows of B.
 */
typedef struct ember_step {
  uint8_t op;
  uint8_t src_kind;
  uint8_t dst_kind;
  uint8_t aux_kind;
  uint8_t src_index;
  uint8_t dst_index;
  uint8_t aux_index;
  uint8_t reserved;
  uint32_t len;
  uint32_t m;
  uint32_t n;
  uint32_t k;
} ember_step;

/**
 * struct ember_workload_desc - a workload to load.
 * @name: NUL-terminated printable ASCII, at most EMBER_NAME_MAX bytes
 *	(informational); must not be NULL ("" is fine).
 * @region_sizes: @nregions sizes in bytes, each >= 1 (the firmware rounds
 *	them up to 4 KiB); may be NULL only if @nregions is 0.
 * @steps: @nsteps steps; must not be NULL.
 * @nregions: 0..EMBER_MAX_REGIONS.
 * @nsteps: 1..EMBER_MAX_STEPS.
 * @ninputs: input slices the program reads, 0..EMBER_MAX_SLICES.
 * @noutputs: output slices it writes, 0..EMBER_MAX_SLICES; every output
 *	must be the destination of some step.
 * @flags: must be 0.
 * @reserved: must be 0.
 */
typedef struct ember_workload_desc {
  const char *name;
  const uint64_t *region_sizes;
  const ember_step *steps;
  uint32_t nregions;
  uint32_t nsteps;
  uint32_t ninputs;
  uint32_t noutputs;
  uint32_t flags;
  uint32_t reserved;
} ember_workload_desc;

/**
 * struct ember_workload_info - a loaded workload (LOAD_WORKLOAD reply).
 * @workload_id: non-zero id, unique on the function until unloaded.
 * @nregions: regions, as requested.
 * @image_bytes: bytes copied from the image into the regions.
 * @region_offset: device-memory offset of each region (4 KiB aligned);
 *	entries from @nregions on are 0.
 * @image_tag: the DMA_XFER tag libember used for the image, 0 if none.
 * @reserved: zero.
 */
typedef struct ember_workload_info {
  uint32_t workload_id;
  uint32_t nregions;
  uint64_t image_bytes;
  uint64_t region_offset[EMBER_MAX_REGIONS];
  uint32_t image_tag;
  uint32_t reserved[3];
} ember_workload_info;

/**
 * ember_workload_validate() - check a workload description on the host.
 * @desc: the workload.
 *
 * Applies every rule the firmware applies that does not need the device
 * (§15.3): counts, operand kinds and indices, region bounds, inputs never
 * written, every output written, GEMM shapes, reserved fields. The reason
 * of a failure is in ember_last_error_message().
 *
 * Return: EMBER_OK or EMBER_ERR_INVALID.
 */
EMBER_API ember_status ember_workload_validate(const ember_workload_desc *desc);

/**
 * ember_workload_load() - load a workload without an image.
 * @dev: device.
 * @desc: the workload (validated first, as ember_workload_validate()).
 * @out: Out: its id and region offsets; the regions are zero-filled.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID; EMBER_ERR_NOSPC (device memory or
 * workload slots exhausted); EMBER_ERR_IO (malformed reply); MANAGE
 * errors.
 */
EMBER_API ember_status ember_workload_load(ember_device *dev, const ember_workload_desc *desc,
                                           ember_workload_info *out);

/**
 * ember_workload_load_image() - load a workload and fill its regions.
 * @dev: device.
 * @desc: the workload.
 * @image: bytes that fill region 0, then region 1, ...
 * @image_size: 1..EMBER_DMA_MAX, at most the sum of the region sizes.
 * @out: Out: id, region offsets, image bytes copied, the tag used.
 *
 * Sends one MANAGE call: a DMA_XFER of @image under a fresh libember tag,
 * then the LOAD_WORKLOAD naming that tag, so the image is consumed by the
 * load. If the DMA_XFER fails, the load is not run (EMBER_ERR_* of the
 * transfer).
 *
 * Return: as ember_workload_load().
 */
EMBER_API ember_status ember_workload_load_image(ember_device *dev, const ember_workload_desc *desc,
                                                 const void *image, size_t image_size,
                                                 ember_workload_info *out);

/**
 * ember_workload_unload() - unload a workload of this client.
 * @dev: device.
 * @workload_id: from ember_workload_load*().
 *
 * Return: EMBER_OK; EMBER_ERR_NOENT (no such workload); EMBER_ERR_PERM
 * (another client's); EMBER_ERR_BUSY (a DBC is executing it); MANAGE
 * errors.
 */
EMBER_API ember_status ember_workload_unload(ember_device *dev, uint32_t workload_id);

/* ==== Resources (QUERY, §15.5) ==== */

/**
 * struct ember_resources - resources of the function and of this client.
 * @dbcs_total: DBCs of the function.
 * @dbcs_free: DBCs not active.
 * @devmem_total: device memory of the function, bytes.
 * @devmem_free: bytes not allocated to any workload.
 * @workloads: workloads this client has loaded.
 * @dbcs_owned: DBCs this client has activated.
 * @staged_bytes: bytes of finished, unconsumed DMA transfers of this client.
 * @reserved: zero.
 */
typedef struct ember_resources {
  uint32_t dbcs_total;
  uint32_t dbcs_free;
  uint64_t devmem_total;
  uint64_t devmem_free;
  uint32_t workloads;
  uint32_t dbcs_owned;
  uint64_t staged_bytes;
  uint64_t reserved[2];
} ember_resources;

/**
 * ember_query() - ask the firmware for resource accounting (QUERY).
 * @dev: device.
 * @out: Out: the accounting.
 *
 * Return: EMBER_OK; EMBER_ERR_IO (malformed reply); MANAGE errors.
 */
EMBER_API ember_status ember_query(ember_device *dev, ember_resources *out);

/* ==== DMA bridge channels ==== */

#define EMBER_RING_MIN 2u     /* smallest ring, entries */
#define EMBER_RING_MAX 65536u /* largest ring, entries */

/**
 * ember_dbc_activate() - get a DBC with rings of @ring_size entries.
 * @dev: device.
 * @ring_size: a power of two, EMBER_RING_MIN..EMBER_RING_MAX.
 * @dbc_id: Out: the DBC, now owned by this client.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID (bad ring size); EMBER_ERR_NOSPC
 * (no free DBC); MANAGE errors.
 */
EMBER_API ember_status ember_dbc_activate(ember_device *dev, uint32_t ring_size, uint32_t *dbc_id);

/**
 * ember_dbc_deactivate() - release a DBC this client activated.
 * @dev: device.
 * @dbc_id: from ember_dbc_activate().
 *
 * Return: EMBER_OK; EMBER_ERR_NOENT (not a DBC of this client: the kernel
 * does not distinguish other clients' DBCs from missing ones); MANAGE
 * errors.
 */
EMBER_API ember_status ember_dbc_deactivate(ember_device *dev, uint32_t dbc_id);

/* ==== Data path: buffer objects on DBCs (docs/datapath.md) ====
 *
 * A BO (buffer object) is host memory the device reads and writes by DMA.
 * ember_bo_create() allocates one and maps it into the process; the
 * program fills it through that mapping, describes what the device does
 * with it as a list of slices and attaches them for one DBC it activated
 * (ember_bo_attach_slices()), then executes the BO as often as it likes
 * (ember_execute(), ember_bo_execute(), non-blocking) and waits for each
 * execution (ember_bo_wait()). The slices of a BO run in order, and BOs
 * executed on one DBC run in the order they were executed, so one BO can
 * copy operands into device memory, run a GEMM and copy the result out.
 *
 * Device-memory offsets in slices must lie inside the regions of a
 * workload this client loaded (ember_workload_info.region_offset); the
 * driver is being changed to refuse anything else.
 *
 * A BO belongs to the device handle that created it; destroy every BO of
 * a handle before ember_device_close(). A BO may be used from several
 * threads at once (it is immutable in libember; the kernel orders the
 * calls), except ember_bo_destroy(), which must not race with other calls
 * on the same BO.
 */

#define EMBER_BO_SIZE_MAX (1ull << 32)            /* bytes of a BO (before page rounding) */
#define EMBER_BO_SLICES_MAX 256u                  /* slices attached to one BO */
#define EMBER_EXECUTE_MAX 64u                     /* BOs of one ember_execute() call */
#define EMBER_CRC32_LEN_MAX ((64u << 20) + 4096u) /* device bytes one CRC32 slice reads */
#define EMBER_WAIT_DEFAULT 0u /* ember_bo_wait(): the driver's wait_exec_default_timeout_ms */

/**
 * struct ember_slice - one operation of a BO (struct drm_ember_slice).
 * @offset: byte offset of the slice in the BO.
 * @size: bytes of the slice; @offset + @size must not exceed the BO,
 *	except for FILL TO_DEV, where it is the device-memory length.
 * @dev_offset: device-memory offset (COPY: the device side; FILL TO_DEV:
 *	the target; CRC32: the data; GEMM: A).
 * @dev_aux: FILL: the pattern byte (0..255); CRC32: bytes of device
 *	memory, 1..EMBER_CRC32_LEN_MAX; GEMM: device-memory offset of B;
 *	COPY: 0.
 * @dev_out: GEMM: device-memory offset of C; 0 otherwise.
 * @op: EMBER_SLICE_OP_COPY, _FILL, _CRC32 or _GEMM_I8.
 * @dir: EMBER_SLICE_TO_DEV or EMBER_SLICE_FROM_DEV.
 * @m: GEMM rows of A and C, 1..EMBER_GEMM_MAX; 0 otherwise.
 * @n: GEMM columns of B and C; 0 otherwise.
 * @k: GEMM columns of A, rows of B; 0 otherwise.
 * @reserved: must be 0.
 *
 * The operations (unused fields must be 0):
 *
 * - COPY TO_DEV / FROM_DEV: @size bytes between BO bytes @offset.. and
 *   device memory @dev_offset...
 * - FILL TO_DEV: @size bytes of device memory at @dev_offset become the
 *   byte @dev_aux; @offset is 0 and the BO is not touched.
 * - FILL FROM_DEV: BO bytes [@offset, +@size) become @dev_aux;
 *   @dev_offset is 0.
 * - CRC32 FROM_DEV: the CRC-32 (zlib's crc32()) of @dev_aux bytes of device
 *   memory at @dev_offset is stored as 4 bytes little-endian at BO
 *   @offset (@size 4, @offset a multiple of 4).
 * - GEMM_I8 TO_DEV: C (m x n int32 LE at @dev_out) = A (m x k int8 at
 *   @dev_offset) x B (k x n int8 at @dev_aux), all in device memory
 *   (row-major); @offset and @size are 0.
 */
typedef struct ember_slice {
  uint64_t offset;
  uint64_t size;
  uint64_t dev_offset;
  uint64_t dev_aux;
  uint64_t dev_out;
  uint32_t op;
  uint32_t dir;
  uint32_t m;
  uint32_t n;
  uint32_t k;
  uint32_t reserved;
} ember_slice;

/** typedef ember_bo - a buffer object of a device handle, mapped. */
typedef struct ember_bo ember_bo;

/**
 * ember_bo_create() - allocate a BO and map it (CREATE_BO, MMAP_BO, mmap).
 * @dev: device; the BO belongs to this handle (this client).
 * @size: bytes, 1..EMBER_BO_SIZE_MAX; rounded up to whole pages.
 * @flags: must be 0.
 * @out: Out: the new BO; release it with ember_bo_destroy().
 *
 * The BO is zero-filled and mapped read-write and shared (see
 * ember_bo_mapping()); its pages are allocated when first touched.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID (NULL, @flags, @size 0 or too
 * large); EMBER_ERR_NOMEM; EMBER_ERR_NODEV; EMBER_ERR_INVALID or
 * EMBER_ERR_NOTTY from a driver older than ioctl ABI 1.2, which has no
 * data path (the message says so).
 */
EMBER_API ember_status ember_bo_create(ember_device *dev, uint64_t size, uint32_t flags,
                                       ember_bo **out);

/**
 * ember_bo_destroy() - unmap a BO and close its handle (GEM_CLOSE).
 * @bo: from ember_bo_create(); invalid afterwards, also on failure.
 *
 * A BO that is still queued is freed by the driver when its execution
 * ends (or is cancelled); what the device writes into it then is lost.
 * Must not race with other calls on @bo.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID (NULL); the error of GEM_CLOSE
 * (the BO is released anyway).
 */
EMBER_API ember_status ember_bo_destroy(ember_bo *bo);

/**
 * ember_bo_mapping() - where the BO is mapped in this process.
 * @bo: BO.
 * @addr: Out: the first byte; valid until ember_bo_destroy(). The device
 *	reads and writes this memory: do not touch bytes a queued execution
 *	uses until ember_bo_wait() returned.
 * @size: Out: bytes mapped: the BO size, the requested size rounded up to
 *	whole pages.
 *
 * Return: EMBER_OK or EMBER_ERR_INVALID (NULL).
 */
EMBER_API ember_status ember_bo_mapping(ember_bo *bo, void **addr, uint64_t *size);

/**
 * ember_bo_handle() - the BO's GEM handle, for ioctls libember does not wrap.
 * @bo: BO.
 * @handle: Out: the handle, valid on the device's descriptor
 *	(ember_device_fd()) until ember_bo_destroy(); do not close it.
 *
 * Return: EMBER_OK or EMBER_ERR_INVALID (NULL).
 */
EMBER_API ember_status ember_bo_handle(ember_bo *bo, uint32_t *handle);

/**
 * ember_bo_attach_slices() - slice a BO for a DBC (ATTACH_SLICE_BO).
 * @bo: a BO that is not sliced.
 * @dbc_id: a DBC this client activated (ember_dbc_activate()).
 * @slices: @count slices, run in this order by each execution.
 * @count: 1..EMBER_BO_SLICES_MAX.
 *
 * libember checks every slice against the rules of struct ember_slice,
 * the BO size and the device memory first, and names the first broken
 * rule in ember_last_error_message(). The driver pins the BO's pages and
 * prepares its DBC requests once; the BO can then be executed any number
 * of times, until ember_bo_detach_slices().
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID (NULL, @count, a malformed slice,
 * more DBC requests than the DBC's ring holds); EMBER_ERR_NOENT (@dbc_id
 * is not an active DBC of this client); EMBER_ERR_PERM (another client's
 * DBC); EMBER_ERR_NODEV (the DBC was lost to a reset); EMBER_ERR_BUSY
 * (already sliced: detach first); EMBER_ERR_NOMEM.
 */
EMBER_API ember_status ember_bo_attach_slices(ember_bo *bo, uint32_t dbc_id,
                                              const ember_slice *slices, uint32_t count);

/**
 * ember_bo_detach_slices() - remove the slicing of an idle BO (DETACH_SLICE_BO).
 * @bo: a sliced BO that is not queued.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID (NULL, not sliced); EMBER_ERR_BUSY
 * (an execution is queued: wait for it first; also after
 * EMBER_ERR_TIMEDOUT from ember_bo_wait(), until it completes).
 */
EMBER_API ember_status ember_bo_detach_slices(ember_bo *bo);

/**
 * struct ember_execute_entry - one BO of ember_execute().
 * @bo: a sliced BO of the device, not queued.
 * @resize: ember_partial_execute(): only BO bytes [0, @resize) take part
 *	(COPY and FILL parts beyond are dropped, one crossing it is
 *	shortened, a CRC32 result that does not fit is dropped; FILL TO_DEV
 *	and GEMM slices always run); 0 = the whole BO; at most the BO size.
 *	ember_execute(): must be 0.
 * @reserved: must be 0.
 */
typedef struct ember_execute_entry {
  ember_bo *bo;
  uint32_t resize;
  uint32_t reserved;
} ember_execute_entry;

/**
 * ember_execute() - queue sliced BOs on their DBCs (EXECUTE_BO).
 * @dev: the device the BOs belong to.
 * @entries: @count BOs, queued in this order; each BO at most once.
 * @count: 1..EMBER_EXECUTE_MAX.
 *
 * Never blocks: each BO's requests go to its DBC and the call returns;
 * ember_bo_wait() waits for them. All or nothing: a failed call queues
 * nothing. Thread-safe.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID (NULL, @count, a BO of another
 * handle, twice in @entries, not sliced, @resize or @reserved not 0);
 * EMBER_ERR_NOENT (the BO's DBC was deactivated since it was sliced);
 * EMBER_ERR_PERM; EMBER_ERR_BUSY (a BO is still queued);
 * EMBER_ERR_AGAIN (its DBC's ring has no room now: an error like the
 * others, retry later); EMBER_ERR_NOMEM; EMBER_ERR_NODEV.
 */
EMBER_API ember_status ember_execute(ember_device *dev, const ember_execute_entry *entries,
                                     uint32_t count);

/**
 * ember_partial_execute() - queue sliced BOs, each only up to its
 *	@resize byte (PARTIAL_EXECUTE_BO).
 * @dev: the device the BOs belong to.
 * @entries: @count BOs with their resize (struct ember_execute_entry).
 * @count: 1..EMBER_EXECUTE_MAX.
 *
 * Return: as ember_execute(); also EMBER_ERR_INVALID for a @resize over
 * the BO size or one that leaves the BO no request to run.
 */
EMBER_API ember_status ember_partial_execute(ember_device *dev, const ember_execute_entry *entries,
                                             uint32_t count);

/**
 * ember_bo_execute() - ember_execute() of one BO.
 * @bo: a sliced BO, not queued.
 *
 * Return: as ember_execute().
 */
EMBER_API ember_status ember_bo_execute(ember_bo *bo);

/**
 * ember_bo_partial_execute() - ember_partial_execute() of one BO.
 * @bo: a sliced BO, not queued.
 * @resize: bytes [0, @resize) take part; 0 = the whole BO.
 *
 * Return: as ember_partial_execute().
 */
EMBER_API ember_status ember_bo_partial_execute(ember_bo *bo, uint32_t resize);

/**
 * ember_execute_wait() - queue sliced BOs and wait for them, in one call
 *	(EXECUTE_BO with EMBER_EXECUTE_BO_WAIT, ioctl ABI 1.4).
 * @dev: the device the BOs belong to.
 * @entries: as ember_execute().
 * @count: 1..EMBER_EXECUTE_MAX.
 * @timeout_ms: for the whole call, as ember_bo_wait()'s.
 * @flags: 0 or EMBER_WAIT_POLL, as ember_bo_wait_flags()'s.
 *
 * ember_execute() and then ember_bo_wait_flags() on each BO, in one system
 * call instead of 1 + @count: for a thread that runs one job at a time,
 * as a read is for a disk. A driver older than ioctl ABI 1.4 gets the
 * calls one by one. The errors of ember_execute() mean that nothing was
 * queued; after the BOs were queued: EMBER_ERR_TIMEDOUT and
 * EMBER_ERR_INTR (a signal; not retried) leave them queued, wait for
 * them with ember_bo_wait(); EMBER_ERR_IO and EMBER_ERR_CANCELED are
 * those of the first BO that failed (ember_bo_wait() on each tells
 * which).
 *
 * Return: as ember_execute(); EMBER_ERR_INVALID also for an unknown
 * @flags bit; EMBER_ERR_UNSUPPORTED for EMBER_WAIT_POLL with a driver
 * older than ioctl ABI 1.3 (nothing queued); then as
 * ember_bo_wait_flags().
 */
EMBER_API ember_status ember_execute_wait(ember_device *dev, const ember_execute_entry *entries,
                                          uint32_t count, uint32_t timeout_ms, uint32_t flags);

/**
 * ember_bo_execute_wait() - ember_execute_wait() of one BO.
 * @bo: a sliced BO, not queued.
 * @timeout_ms: as ember_bo_wait().
 * @flags: as ember_bo_wait_flags().
 *
 * Return: as ember_execute_wait().
 */
EMBER_API ember_status ember_bo_execute_wait(ember_bo *bo, uint32_t timeout_ms, uint32_t flags);

/**
 * ember_bo_wait() - wait until the BO's last execution completed (WAIT_BO).
 * @bo: a sliced BO.
 * @timeout_ms: milliseconds; EMBER_WAIT_DEFAULT (0) uses the driver's
 *	module parameter wait_exec_default_timeout_ms (5000 by default).
 *
 * Returns at once for a BO never executed. Interrupted by a signal, it
 * returns EMBER_ERR_INTR without retrying (the execution stays queued).
 *
 * Return: EMBER_OK (done, the BO holds the results); EMBER_ERR_TIMEDOUT
 * (still queued: wait again; detach and execute are EMBER_ERR_BUSY until
 * it completes); EMBER_ERR_IO (a request of the execution failed on the
 * device); EMBER_ERR_CANCELED (its DBC was deactivated or reset, or its
 * rings released, before it completed); EMBER_ERR_INTR;
 * EMBER_ERR_INVALID (NULL, not sliced).
 */
EMBER_API ember_status ember_bo_wait(ember_bo *bo, uint32_t timeout_ms);

/* ember_bo_wait_flags() flags (= EMBER_WAIT_BO_* of uapi/ember_accel.h) */
#define EMBER_WAIT_POLL (1u << 0) /* poll the response ring in the waiter */

/**
 * ember_bo_wait_flags() - ember_bo_wait() with flags (WAIT_BO, ioctl ABI 1.3).
 * @bo: a sliced BO.
 * @timeout_ms: as ember_bo_wait().
 * @flags: 0 (the same as ember_bo_wait()) or EMBER_WAIT_POLL: the calling
 *	thread polls the DBC's response ring for its own completion instead
 *	of waiting for the interrupt (EMBER_WAIT_BO_POLL, docs/datapath.md
 *	"Polling in the waiter"): it sleeps for about half of the DBC's
 *	recent job time, then busy-polls for at most the driver's
 *	datapath_busy_poll_us before it sleeps as ember_bo_wait() does. Lower
 *	latency for a lone job, at the price of a CPU kept busy meanwhile.
 *	In the driver's polling mode (datapath_polling=1) every wait polls.
 *
 * Unknown @flags bits are refused by libember, no ioctl is made. A driver
 * older than ioctl ABI 1.3 has no flags (WAIT_BO's pad, which must be 0):
 * libember sees its ABI version (GET_INFO, at open) and returns
 * EMBER_ERR_UNSUPPORTED for a non-zero @flags without calling it, the
 * message naming the driver's ABI; wait again with ember_bo_wait().
 *
 * Return: as ember_bo_wait(); also EMBER_ERR_INVALID (an unknown @flags
 * bit) and EMBER_ERR_UNSUPPORTED (@flags with a driver older than ABI
 * 1.3).
 */
EMBER_API ember_status ember_bo_wait_flags(ember_bo *bo, uint32_t timeout_ms, uint32_t flags);

/**
 * struct ember_perf_stats - timing of a BO's last execution (PERF_STATS_BO).
 * @submit_ts: host time of ember_execute(), CLOCK_MONOTONIC ns.
 * @device_ns: time the device spent on the execution's requests, ns.
 * @done_ts: device time of the last completion (ns since the device
 *	powered on; not the host clock).
 * @queue_level: requests waiting in the DBC's ring when the device took
 *	the execution's first request (the BO's own later requests count).
 * @reserved0: zero.
 * @reserved: zero.
 *
 * All zero before the first execution; @device_ns and @done_ts are final
 * only once ember_bo_wait() returned EMBER_OK.
 */
typedef struct ember_perf_stats {
  uint64_t submit_ts;
  uint64_t device_ns;
  uint64_t done_ts;
  uint32_t queue_level;
  uint32_t reserved0;
  uint64_t reserved[3];
} ember_perf_stats;

/**
 * ember_bo_perf_stats() - timing of the BO's last execution.
 * @bo: BO.
 * @out: Out: its statistics.
 *
 * Return: EMBER_OK; EMBER_ERR_INVALID (NULL).
 */
EMBER_API ember_status ember_bo_perf_stats(ember_bo *bo, ember_perf_stats *out);

#if defined(__cplusplus)
}
#endif

/* NOLINTEND(modernize-deprecated-headers, modernize-use-using) */

#endif /* EMBER_EMBER_H_ */
