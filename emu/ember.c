/*
 * ember AI accelerator: PCIe device model
 *
 * The hardware is specified in docs/hardware.md of the ember project; this
 * file implements version 1.0 of that specification for the physical
 * function (SR-IOV comes later). Register and field names match
 * docs/hardware.md and kmd/ember_regs.h.
 *
 * Overview:
 *  - BAR0: 64 KiB of registers (global, mailbox storage, firmware versions,
 *    telemetry, fault injection, RAS and one block per DMA bridge channel)
 *  - BAR2: device memory (RAM), 64-bit prefetchable
 *  - BAR4: MSI-X table and PBA (absent with msix=off)
 *  - DMA bridge channels (DBCs): request and response rings in host memory,
 *    executed from a bottom half (service-ns 0) or a per-DBC virtual-clock
 *    timer (service-ns > 0), never from the MMIO handler.
 *  - Management mailbox and firmware: request and response queues in host
 *    memory carrying NNC messages (docs/nnc.md), served from a bottom half.
 *    The firmware decodes and encodes them with the driver's own codec
 *    (kmd/ember_nnc.[ch], copied beside this file by emu/build-qemu.sh),
 *    negotiates version and CRC, hands out DBCs (ACTIVATE/DEACTIVATE),
 *    stages host buffers (DMA_XFER), loads workloads into device memory
 *    (PASSTHROUGH commands) and forgets clients (TERMINATE).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/bswap.h"
#include "qemu/bitops.h"
#include "qemu/range.h"
#include "qemu/host-utils.h"
#include "qemu/cutils.h"
#include "qapi/error.h"
#include "exec/cpu-common.h"
#include "exec/memory.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "sysemu/dma.h"
#include "qom/object.h"
#include "qemu/queue.h"

#include <zlib.h>

/*
 * The NNC codec of the ember driver (kmd/ember_nnc.h, kmd/ember_nnc.c),
 * copied here by emu/build-qemu.sh: the firmware validates requests and
 * builds replies with exactly the code the driver uses. Still one
 * compilation unit.
 */
#include "ember_nnc.h"
#include "ember-nnc.c.inc"

/*
 * Helpers so that the register definitions below can be written exactly as
 * in kmd/ember_regs.h (Linux spelling).
 */
#ifndef GENMASK
#define GENMASK(h, l) \
    (((~0UL) - (1UL << (l)) + 1) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#endif
#ifndef SZ_4K
#define SZ_4K 0x00001000
#endif
#ifndef SZ_64M
#define SZ_64M 0x04000000
#endif

/* ---- Registers and formats (docs/hardware.md, kmd/ember_regs.h) ---- */

#define EMBER_PCI_VENDOR                0x1234
#define EMBER_PCI_DEVICE_PF             0xeb01
#define EMBER_PCI_DEVICE_VF             0xeb02

#define EMBER_BAR_REGS                  0
#define EMBER_BAR_DEVMEM                2
#define EMBER_BAR_MSIX                  4

#define EMBER_ID_MAGIC                  0x454d4252
#define EMBER_MAX_DBCS                  16
#define EMBER_MBOX_SLOT_SIZE            4096
#define EMBER_REQ_MAX_LEN               (SZ_64M + SZ_4K)

/* Global block */
#define EMBER_ID                        0x000
#define EMBER_HW_VERSION                0x004
#define   EMBER_HW_VERSION_MAJOR      GENMASK(31, 16)
#define   EMBER_HW_VERSION_MINOR      GENMASK(15, 0)
#define EMBER_CAPS                      0x008
#define EMBER_DBC_INFO                  0x00c
#define   EMBER_DBC_INFO_COUNT          GENMASK(7, 0)
#define   EMBER_DBC_INFO_FIRST          GENMASK(15, 8)
#define EMBER_DEVMEM_SIZE_LO            0x010
#define EMBER_DEVMEM_SIZE_HI            0x014
#define EMBER_FUNC_INFO                 0x018
#define   EMBER_FUNC_INFO_IS_VF         BIT(0)
#define   EMBER_FUNC_INFO_VF_INDEX      GENMASK(15, 8)
#define   EMBER_FUNC_INFO_NUM_VFS       GENMASK(23, 16)
#define EMBER_SCRATCH                   0x01c
#define EMBER_DEV_CTRL                  0x020
#define   EMBER_DEV_CTRL_ENABLE         BIT(0)
#define   EMBER_DEV_CTRL_SOFT_RESET     BIT(1)
#define EMBER_DEV_STATUS                0x024
#define   EMBER_DEV_STATUS_READY        BIT(0)
#define   EMBER_DEV_STATUS_HALTED       BIT(1)
#define   EMBER_DEV_STATUS_RESET_FAILED BIT(2)
#define   EMBER_DEV_STATUS_QUIESCED     BIT(3)
#define EMBER_IRQ_CTRL                  0x028
#define   EMBER_IRQ_CTRL_SINGLE         BIT(0)
#define   EMBER_IRQ_CTRL_MODE           GENMASK(9, 8)
#define     EMBER_IRQ_MODE_NONE         0
#define     EMBER_IRQ_MODE_MSIX         1
#define     EMBER_IRQ_MODE_MSIX_SINGLE  2
#define     EMBER_IRQ_MODE_MSI          3
#define EMBER_IRQ_STATUS                0x02c
#define EMBER_IRQ_MASK                  0x030
#define   EMBER_IRQ_SRC_MGMT            BIT(0)
#define   EMBER_IRQ_SRC_DBC(i)          BIT(1 + (i))
#define EMBER_TEST_IRQ                  0x034
#define EMBER_TEST_IRQ_STATUS           0x038
#define EMBER_MGMT_CAUSE                0x03c
#define   EMBER_MGMT_CAUSE_MBOX         BIT(0)
#define   EMBER_MGMT_CAUSE_RAS          BIT(1)
#define   EMBER_MGMT_CAUSE_TEST         BIT(2)
#define EMBER_RESET_COUNT               0x040
#define EMBER_RESET_CAUSE               0x044
#define   EMBER_RESET_CAUSE_POWER_ON    0
#define   EMBER_RESET_CAUSE_FLR         1
#define   EMBER_RESET_CAUSE_HOT         2
#define   EMBER_RESET_CAUSE_D3          3
#define   EMBER_RESET_CAUSE_SOFT        4
#define EMBER_SERIAL_LO                 0x048
#define EMBER_SERIAL_HI                 0x04c

/* EMBER_CAPS */
#define EMBER_CAP_MSIX                  BIT(0)
#define EMBER_CAP_SRIOV                 BIT(1)
#define EMBER_CAP_MBOX                  BIT(2)
#define EMBER_CAP_TELEMETRY             BIT(3)
#define EMBER_CAP_FAULT                 BIT(4)
#define EMBER_CAP_GEMM                  BIT(5)

/* Management mailbox */
#define EMBER_MBOX_REQ_BASE_LO          0x100
#define EMBER_MBOX_REQ_BASE_HI          0x104
#define EMBER_MBOX_RSP_BASE_LO          0x108
#define EMBER_MBOX_RSP_BASE_HI          0x10c
#define EMBER_MBOX_DEPTH                0x110
#define EMBER_MBOX_REQ_HEAD             0x114
#define EMBER_MBOX_REQ_TAIL             0x118
#define EMBER_MBOX_RSP_HEAD             0x11c
#define EMBER_MBOX_RSP_TAIL             0x120
#define EMBER_MBOX_CTRL                 0x124
#define   EMBER_MBOX_CTRL_ENABLE        BIT(0)
#define EMBER_MBOX_STATUS               0x128
#define   EMBER_MBOX_STATUS_ENABLED     BIT(0)
#define   EMBER_MBOX_STATUS_ERROR       BIT(1)

/* Firmware versions: major 31:24, minor 23:16, patch 15:0 */
#define EMBER_FW_MGMT_VERSION           0x200
#define EMBER_FW_DBC_VERSION            0x204
#define EMBER_FW_BOOT_VERSION           0x208
#define EMBER_FW_NNC_VERSION            0x20c
#define   EMBER_FW_VER_MAJOR            GENMASK(31, 24)
#define   EMBER_FW_VER_MINOR            GENMASK(23, 16)
#define   EMBER_FW_VER_PATCH            GENMASK(15, 0)
#define   EMBER_NNC_VER_MAJOR           GENMASK(31, 16)
#define   EMBER_NNC_VER_MINOR           GENMASK(15, 0)

/* Telemetry */
#define EMBER_TEL_TEMP_MC               0x300
#define EMBER_TEL_TEMP_CRIT_MC          0x304
#define EMBER_TEL_POWER_MW              0x308
#define EMBER_TEL_POWER_CAP_MW          0x30c
#define EMBER_TEL_CORE_CLK_MHZ          0x310
#define EMBER_TEL_MEM_CLK_MHZ           0x314
#define EMBER_TEL_ECC_CE                0x318
#define EMBER_TEL_ECC_UE                0x31c
#define EMBER_TEL_TIMESTAMP_LO          0x320
#define EMBER_TEL_TIMESTAMP_HI          0x324

/* Fault injection */
#define EMBER_FI_DBC_HANG               0x400
#define EMBER_FI_DROP_IRQ               0x404
#define EMBER_FI_CORRUPT_RSP            0x408
#define EMBER_FI_RAS                    0x40c
#define EMBER_FI_FAIL_FLR               0x410
#define EMBER_FI_MBOX_DROP              0x414
#define EMBER_FI_MBOX_DELAY_MS          0x418
#define EMBER_FI_MBOX_CORRUPT           0x41c
#define EMBER_FI_DUP_RSP                0x420

/* RAS */
#define EMBER_RAS_STATUS                0x480
#define   EMBER_RAS_CE                  BIT(0)
#define   EMBER_RAS_UE                  BIT(1)
#define   EMBER_RAS_DBC_FATAL           BIT(2)
#define   EMBER_RAS_FW_FATAL            BIT(3)
#define EMBER_RAS_DBC                   0x484

/* DBC blocks */
#define EMBER_DBC_BASE(i)               (0x1000 + (i) * 0x100)
#define EMBER_DBC_REQ_BASE_LO           0x00
#define EMBER_DBC_REQ_BASE_HI           0x04
#define EMBER_DBC_RSP_BASE_LO           0x08
#define EMBER_DBC_RSP_BASE_HI           0x0c
#define EMBER_DBC_RING_SIZE             0x10
#define EMBER_DBC_REQ_HEAD              0x14
#define EMBER_DBC_REQ_TAIL              0x18
#define EMBER_DBC_RSP_HEAD              0x1c
#define EMBER_DBC_RSP_TAIL              0x20
#define EMBER_DBC_CTRL                  0x24
#define   EMBER_DBC_CTRL_ENABLE         BIT(0)
#define   EMBER_DBC_CTRL_RESET          BIT(31)
#define EMBER_DBC_STATUS                0x28
#define   EMBER_DBC_STATUS_ENABLED      BIT(0)
#define   EMBER_DBC_STATUS_BUSY         BIT(1)
#define   EMBER_DBC_STATUS_ERROR        BIT(2)
#define   EMBER_DBC_STATUS_HUNG         BIT(3)
#define EMBER_DBC_SERVICE_NS            0x2c
#define EMBER_DBC_COMPLETED_LO          0x30
#define EMBER_DBC_COMPLETED_HI          0x34
#define EMBER_DBC_BUSY_NS_LO            0x38
#define EMBER_DBC_BUSY_NS_HI            0x3c
#define EMBER_DBC_IRQ_COUNT             0x40
#define EMBER_DBC_ERRORS                0x44

/* Request ring entry opcodes and flags */
#define EMBER_OP_NOP                    0
#define EMBER_OP_COPY                   1
#define EMBER_OP_FILL                   2
#define EMBER_OP_CRC32                  3
#define EMBER_OP_GEMM_I8                4

#define EMBER_REQ_FORCE_IRQ             BIT(0)
#define EMBER_REQ_SRC_DEVMEM            BIT(1)
#define EMBER_REQ_DST_DEVMEM            BIT(2)
#define EMBER_REQ_NO_RSP                BIT(3)

/* Response status */
#define EMBER_RSP_OK                    0
#define EMBER_RSP_BAD_OPCODE            1
#define EMBER_RSP_BAD_PARAM             2
#define EMBER_RSP_DMA_ERROR             3
#define EMBER_RSP_ABORTED               4
#define EMBER_RSP_CORRUPT               0xee

/* ---- Model constants (not part of the register interface) ---- */

#define TYPE_EMBER                      "ember"

#ifndef PCI_CLASS_PROCESSING_ACCEL
#define PCI_CLASS_PROCESSING_ACCEL      0x1200
#endif

#define EMB_REVISION                  0x01
#define EMB_BAR0_SIZE                 (64 * KiB)
#define EMB_MSIX_BAR_SIZE             (4 * KiB)
#define EMB_MSIX_TABLE_OFF            0x000
#define EMB_MSIX_PBA_OFF              0x800
#define EMB_DBC_BLOCK_SIZE            0x100

/* Config space layout */
#define EMB_PM_CAP_OFF                0x40
#define EMB_MSI_CAP_OFF               0x50
#define EMB_MSIX_CAP_OFF              0x60
#define EMB_PCIE_CAP_OFF              0x80

#define EMB_HW_VERSION_VALUE          0x00010000      /* 1.0 */
#define EMB_FW_VER(maj, min, pat)     (((maj) << 24) | ((min) << 16) | (pat))
#define EMB_FW_MGMT_VALUE             EMB_FW_VER(1, 2, 0)
#define EMB_FW_DBC_VALUE              EMB_FW_VER(1, 0, 3)
#define EMB_FW_BOOT_VALUE             EMB_FW_VER(0, 9, 1)

#define EMB_REQ_SIZE                  64
#define EMB_RSP_SIZE                  32
#define EMB_RING_MIN                  2
#define EMB_RING_MAX                  65536
#define EMB_REQ_FLAGS_VALID           (EMBER_REQ_FORCE_IRQ | \
                                       EMBER_REQ_SRC_DEVMEM | \
                                       EMBER_REQ_DST_DEVMEM | \
                                       EMBER_REQ_NO_RSP)
#define EMB_GEMM_DIM_MAX              4096
#define EMB_RAS_ALL                   (EMBER_RAS_CE | EMBER_RAS_UE | \
                                       EMBER_RAS_DBC_FATAL | \
                                       EMBER_RAS_FW_FATAL)

/* Bottom-half batching when service time is 0 (§5.4) */
#define EMB_BATCH_REQS                64
#define EMB_BATCH_BYTES               (64 * MiB)
/* Bounce buffer for host<->host streaming */
#define EMB_BOUNCE_SIZE               (64 * KiB)

/* Telemetry: busy fraction over the last 100 ms in 10 buckets of 10 ms */
#define EMB_TEL_BUCKET_NS             (10 * SCALE_MS)
#define EMB_TEL_BUCKETS               10
#define EMB_TEL_WINDOW_NS             (EMB_TEL_BUCKET_NS * EMB_TEL_BUCKETS)

#define EMB_MEM_MIN                   (16 * MiB)
#define EMB_MEM_MAX                   (16 * GiB)

/* Management mailbox (§3) */
#define EMB_MBOX_DEPTH_MIN            2
#define EMB_MBOX_DEPTH_MAX            256
#define EMB_MBOX_BATCH                16      /* messages per bottom half */

/* NNC message header fields the firmware reads or patches raw (nnc.md §2) */
#define EMB_NNC_OFF_MAGIC             0
#define EMB_NNC_OFF_MAJOR             4
#define EMB_NNC_OFF_SEQ               8
#define EMB_NNC_OFF_HANDLE            20
#define EMB_NNC_OFF_FLAGS             24
#define EMB_NNC_OFF_CRC               28

/* Features the firmware supports (nnc.md §3) */
#define EMB_FW_FEATURES               EMBER_NNC_FEAT_CRC

/* Firmware commands carried by PASSTHROUGH (nnc.md §15) */
#define EMB_FW_CMD_ECHO               1
#define EMB_FW_CMD_LOAD_WORKLOAD      2
#define EMB_FW_CMD_UNLOAD_WORKLOAD    3
#define EMB_FW_CMD_QUERY              4
#define EMB_FW_CMD_REPLY              0x8000
#define EMB_FW_CMD_HDR_LEN            8
#define EMB_FW_LOAD_HDR_LEN           48
#define EMB_FW_LOAD_RSP_OFFSETS       24
#define EMB_FW_STEP_LEN               32
#define EMB_FW_UNLOAD_LEN             16
#define EMB_FW_QUERY_LEN              56
#define EMB_FW_NAME_LEN               16
#define EMB_FW_MAX_REGIONS            8
#define EMB_FW_MAX_STEPS              32
#define EMB_FW_MAX_SLICES             16
#define EMB_FW_MAX_WORKLOADS          64
#define EMB_FW_MAX_EXTENTS            (EMB_FW_MAX_WORKLOADS * \
                                       EMB_FW_MAX_REGIONS)
#define EMB_FW_PAGE                   (4 * KiB)
/* Staging memory: per client (§15.2), and all clients of the function */
#define EMB_FW_STAGE_CLIENT_MAX       (256 * MiB)
#define EMB_FW_STAGE_TOTAL_MAX        (1 * GiB)

/* Operand kinds of a workload step (nnc.md §15.3) */
#define EMB_FW_OPND_NONE              0
#define EMB_FW_OPND_INPUT             1
#define EMB_FW_OPND_OUTPUT            2
#define EMB_FW_OPND_REGION            3
#define EMB_FW_SRC                    0       /* operand slots of a step */
#define EMB_FW_DST                    1
#define EMB_FW_AUX                    2
#define EMB_FW_USE_NONE               0       /* how an op uses a slot */
#define EMB_FW_USE_OPTIONAL           1
#define EMB_FW_USE_REQUIRED           2
#define EMB_FW_USE_PATTERN            3       /* kind none, index = FILL byte */

OBJECT_DECLARE_SIMPLE_TYPE(EmberState, EMBER)

/* A request as read from the ring, in host byte order */
typedef struct EmberReq {
    uint16_t req_id;
    uint8_t opcode;
    uint8_t flags;
    uint32_t len;
    uint64_t src;
    uint64_t dst;
    uint64_t aux;
    uint32_t m;
    uint32_t n;
    uint32_t k;
    uint32_t rsvd0;
    uint64_t cookie;
    uint64_t rsvd1;
} EmberReq;

typedef struct EmberDbc {
    EmberState *s;
    unsigned idx;

    /* Registers as written by the host (latched on ENABLE) */
    uint32_t req_base_lo;
    uint32_t req_base_hi;
    uint32_t rsp_base_lo;
    uint32_t rsp_base_hi;
    uint32_t ring_size_reg;
    uint32_t service_ns;

    /* Latched ring setup and indices */
    bool enabled;
    bool setup_error;           /* EMBER_DBC_STATUS_ERROR */
    bool fatal;                 /* RAS DBC_FATAL: hung until reset */
    uint64_t req_base;
    uint64_t rsp_base;
    uint32_t size;
    uint32_t req_head;
    uint32_t req_tail;
    uint32_t rsp_head;
    uint32_t rsp_tail;

    /* Counters */
    uint64_t completed;
    uint64_t busy_ns;
    uint32_t irq_count;
    uint32_t errors;

    /* The request occupying the DBC (service-ns > 0 only) */
    bool busy;
    bool stalled;               /* service time over, waiting to run */
    EmberReq cur;
    uint8_t cur_status;         /* non-OK: failed before execution */
    uint32_t cur_qlevel;
    int64_t cur_start;

    QEMUTimer timer;
    QEMUBH *bh;

    /* Firmware bookkeeping: activated by ACTIVATE for client fw_owner */
    bool fw_active;
    uint32_t fw_owner;
} EmberDbc;

/* One step of a workload program (docs/nnc.md §15.3) */
typedef struct EmberFwStep {
    uint8_t op;
    uint8_t kind[3];            /* EMB_FW_SRC, _DST, _AUX: EMB_FW_OPND_* */
    uint8_t index[3];
    uint32_t len;
    uint32_t m;
    uint32_t n;
    uint32_t k;
} EmberFwStep;

/* A loaded workload; id 0 marks a free slot */
typedef struct EmberWorkload {
    uint32_t id;
    uint32_t handle;            /* the client that loaded it */
    char name[EMB_FW_NAME_LEN + 1];
    uint32_t nregions;
    uint32_t nsteps;
    uint32_t ninputs;
    uint32_t noutputs;
    uint64_t region_size[EMB_FW_MAX_REGIONS];   /* as requested */
    uint64_t region_off[EMB_FW_MAX_REGIONS];    /* in device memory */
    EmberFwStep steps[EMB_FW_MAX_STEPS];
} EmberWorkload;

/* A finished DMA transfer waiting to be consumed (by LOAD_WORKLOAD) */
typedef struct EmberFwXfer {
    QLIST_ENTRY(EmberFwXfer) next;
    uint32_t tag;
    uint64_t size;
    uint8_t *data;
} EmberFwXfer;

/* What the firmware holds for one client handle besides DBCs, workloads */
typedef struct EmberFwClient {
    QLIST_ENTRY(EmberFwClient) next;
    uint32_t handle;
    struct ember_nnc_reasm reasm;       /* the transfer being received */
    uint8_t *partial;                   /* its bytes (partial_size) */
    uint64_t partial_size;
    uint64_t staged;                    /* bytes in xfers */
    QLIST_HEAD(, EmberFwXfer) xfers;
} EmberFwClient;

/* An allocated range of device memory */
typedef struct EmberFwExtent {
    uint64_t off;
    uint64_t size;
} EmberFwExtent;

/* Management firmware state of a function; every reset drops it */
typedef struct EmberFw {
    uint32_t features;          /* NNC features in effect */
    uint32_t next_wl_id;
    uint64_t staged;            /* staging memory held, all clients */
    uint64_t devmem_used;
    unsigned nextents;
    EmberFwExtent ext[EMB_FW_MAX_EXTENTS];      /* sorted by offset */
    EmberWorkload wl[EMB_FW_MAX_WORKLOADS];
    QLIST_HEAD(, EmberFwClient) clients;
} EmberFw;

struct EmberState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    MemoryRegion devmem;
    MemoryRegion msix_bar;
    uint8_t *devmem_ptr;

    /* Properties */
    uint32_t num_dbcs;
    uint64_t mem_size;
    bool msix;
    uint64_t service_ns;
    uint64_t serial;
    uint32_t fail_flr;
    uint32_t total_vfs;
    uint64_t pf_reserve;
    uint16_t nnc_major;

    /* Global registers */
    uint32_t scratch;
    uint32_t dev_ctrl;
    uint32_t irq_ctrl;          /* SINGLE only; MODE is computed */
    uint32_t irq_status;
    uint32_t irq_mask;
    uint32_t test_irq_status;
    uint32_t mgmt_cause;
    uint32_t reset_count;
    uint32_t reset_cause;
    bool halted;
    bool reset_failed;
    bool fw_fatal;              /* RAS FW_FATAL: mailbox stopped until reset */

    /* Mailbox registers as written by the host */
    uint32_t mbox_req_base_lo;
    uint32_t mbox_req_base_hi;
    uint32_t mbox_rsp_base_lo;
    uint32_t mbox_rsp_base_hi;
    uint32_t mbox_depth;
    uint32_t mbox_req_tail;
    uint32_t mbox_rsp_head;

    /* Mailbox: latched setup and the firmware's indices */
    bool mbox_enabled;
    bool mbox_error;            /* EMBER_MBOX_STATUS_ERROR */
    uint64_t mbox_req_base;
    uint64_t mbox_rsp_base;
    uint32_t mbox_size;
    uint32_t mbox_req_head;
    uint32_t mbox_rsp_tail;
    bool mbox_held;             /* a reply waits for EMBER_FI_MBOX_DELAY_MS */
    bool mbox_held_due;         /* ... and its delay is over */
    uint32_t mbox_held_len;
    uint32_t mbox_data_used;    /* of mbox_data, for the current message */
    uint8_t *mbox_req;          /* EMBER_MBOX_SLOT_SIZE: request executing */
    uint8_t *mbox_rsp;          /* EMBER_MBOX_SLOT_SIZE: its reply */
    uint8_t *mbox_data;         /* EMBER_MBOX_SLOT_SIZE: passthrough replies */
    QEMUBH *mbox_bh;
    QEMUTimer mbox_timer;

    /* Management firmware */
    EmberFw fw;

    /* Telemetry */
    uint32_t ecc_ce;
    uint32_t ecc_ue;
    uint32_t ts_hi_latch;
    int64_t power_on_ns;
    int64_t tel_bucket_id[EMB_TEL_BUCKETS];
    uint64_t tel_bucket_busy[EMB_TEL_BUCKETS];

    /* Fault injection */
    uint32_t fi_dbc_hang;
    uint32_t fi_drop_irq;
    uint32_t fi_corrupt_rsp;
    uint32_t fi_dup_rsp;
    uint32_t fi_fail_flr;
    uint32_t fi_mbox_drop;
    uint32_t fi_mbox_delay_ms;
    uint32_t fi_mbox_corrupt;

    /* RAS */
    uint32_t ras_status;
    uint32_t ras_dbc;

    /* Model state */
    bool power_on_pending;      /* next qdev reset is the power-on one */
    uint8_t *bounce;            /* EMB_BOUNCE_SIZE */
    EmberDbc dbc[EMBER_MAX_DBCS];
};

/* ---- Helpers ---- */

static int64_t ember_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static uint64_t ember_dev_time(EmberState *s)
{
    return ember_now() - s->power_on_ns;
}

static uint32_t ember_num_sources(EmberState *s)
{
    return 1 + s->num_dbcs;
}

static uint32_t ember_source_mask(EmberState *s)
{
    return MAKE_64BIT_MASK(0, ember_num_sources(s));
}

static uint32_t ember_dbc_mask(EmberState *s)
{
    return MAKE_64BIT_MASK(0, s->num_dbcs);
}

static unsigned ember_pm_state(EmberState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    return pci_get_word(pdev->config + EMB_PM_CAP_OFF + PCI_PM_CTRL) &
           PCI_PM_CTRL_STATE_MASK;
}

static void ember_pm_set_state(EmberState *s, unsigned state)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint8_t *pmcsr = pdev->config + EMB_PM_CAP_OFF + PCI_PM_CTRL;

    pci_set_word(pmcsr, (pci_get_word(pmcsr) & ~PCI_PM_CTRL_STATE_MASK) |
                 state);
}

static bool ember_in_d0(EmberState *s)
{
    return ember_pm_state(s) == 0;
}

static bool ember_bus_master(EmberState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    return pci_get_word(pdev->config + PCI_COMMAND) & PCI_COMMAND_MASTER;
}

static uint32_t ember_irq_mode(EmberState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (msix_enabled(pdev)) {
        return (s->irq_ctrl & EMBER_IRQ_CTRL_SINGLE) ?
               EMBER_IRQ_MODE_MSIX_SINGLE : EMBER_IRQ_MODE_MSIX;
    }
    if (msi_enabled(pdev)) {
        return EMBER_IRQ_MODE_MSI;
    }
    return EMBER_IRQ_MODE_NONE;
}

static bool ember_devmem_range_ok(EmberState *s, uint64_t off, uint64_t len)
{
    return len <= s->mem_size && off <= s->mem_size - len;
}

static void ember_devmem_zero(EmberState *s)
{
    RAMBlock *rb = s->devmem.ram_block;

    /* Cheap for large memories: the pages read as zero again */
    if (!rb || ram_block_discard_range(rb, 0, s->mem_size) < 0) {
        memset(s->devmem_ptr, 0, s->mem_size);
    }
}

/* ---- Interrupts (§4) ---- */

/*
 * Signal interrupt source @src (0 management, 1 + i DBC i; also used for
 * test interrupts, where @src is the vector number). Sets the status bit
 * unconditionally. Returns true when the device sent the interrupt (it was
 * neither masked nor the function quiesced); an interrupt eaten by
 * EMBER_FI_DROP_IRQ counts as sent: it is lost on the way.
 */
static bool ember_irq_raise(EmberState *s, unsigned src)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    s->irq_status |= BIT(src);
    if (s->irq_mask & BIT(src)) {
        return false;
    }
    if (!ember_in_d0(s)) {
        return false;
    }
    if (s->fi_drop_irq) {
        s->fi_drop_irq--;
        return true;
    }
    if (msix_enabled(pdev)) {
        msix_notify(pdev, (s->irq_ctrl & EMBER_IRQ_CTRL_SINGLE) ? 0 : src);
    } else if (msi_enabled(pdev)) {
        msi_notify(pdev, 0);
    }
    return true;
}

/* ---- Telemetry (§2.5) ---- */

static void ember_tel_add_busy(EmberState *s, int64_t start, int64_t end)
{
    if (start < end - EMB_TEL_WINDOW_NS) {
        start = end - EMB_TEL_WINDOW_NS;
    }
    if (start < 0) {
        start = 0;
    }
    while (start < end) {
        int64_t id = start / EMB_TEL_BUCKET_NS;
        int64_t seg_end = MIN(end, (id + 1) * EMB_TEL_BUCKET_NS);
        unsigned slot = id % EMB_TEL_BUCKETS;

        if (s->tel_bucket_id[slot] != id) {
            s->tel_bucket_id[slot] = id;
            s->tel_bucket_busy[slot] = 0;
        }
        s->tel_bucket_busy[slot] += seg_end - start;
        start = seg_end;
    }
}

/* Busy fraction of all DBCs over the last ~100 ms, in parts per million */
static uint64_t ember_tel_busy_ppm(EmberState *s)
{
    int64_t now = ember_now();
    int64_t cur_id = now / EMB_TEL_BUCKET_NS;
    int64_t first_id = cur_id - (EMB_TEL_BUCKETS - 1);
    int64_t win_start = MAX(first_id * EMB_TEL_BUCKET_NS, 0);
    uint64_t busy = 0, window, ppm;
    unsigned i;

    for (i = 0; i < EMB_TEL_BUCKETS; i++) {
        if (s->tel_bucket_id[i] >= first_id && s->tel_bucket_id[i] <= cur_id) {
            busy += s->tel_bucket_busy[i];
        }
    }
    for (i = 0; i < s->num_dbcs; i++) {
        EmberDbc *d = &s->dbc[i];

        if (d->busy) {
            int64_t from = MAX(d->cur_start, win_start);

            if (now > from) {
                busy += now - from;
            }
        }
    }
    window = (uint64_t)(now - win_start) * s->num_dbcs;
    if (!window) {
        return 0;
    }
    ppm = busy * 1000000 / window;
    return MIN(ppm, 1000000);
}

static uint32_t ember_tel_scale(EmberState *s, uint32_t idle, uint32_t full)
{
    return idle + (uint64_t)(full - idle) * ember_tel_busy_ppm(s) / 1000000;
}

/* ---- DBC engine (§5) ---- */

static bool ember_dbc_hung(EmberDbc *d)
{
    return d->fatal || (d->s->fi_dbc_hang & BIT(d->idx));
}

/* Everything except ring state needed for a DBC to make progress */
static bool ember_dbc_runnable(EmberDbc *d)
{
    EmberState *s = d->s;

    return d->enabled && !ember_dbc_hung(d) &&
           (s->dev_ctrl & EMBER_DEV_CTRL_ENABLE) &&
           !s->halted && !s->reset_failed &&
           ember_in_d0(s) && ember_bus_master(s);
}

static bool ember_dbc_can_fetch(EmberDbc *d)
{
    uint32_t mask = d->size - 1;

    return ember_dbc_runnable(d) && !d->busy &&
           d->req_head != d->req_tail &&
           ((d->rsp_tail + 1) & mask) != d->rsp_head;
}

/* Stop the DBC at once, dropping the request in flight without a response */
static void ember_dbc_stop(EmberDbc *d)
{
    timer_del(&d->timer);
    qemu_bh_cancel(d->bh);
    d->busy = false;
    d->stalled = false;
}

static void ember_dbc_kick(EmberDbc *d)
{
    qemu_bh_schedule(d->bh);
}

static void ember_kick_all(EmberState *s)
{
    unsigned i;

    for (i = 0; i < s->num_dbcs; i++) {
        if (s->dbc[i].enabled) {
            ember_dbc_kick(&s->dbc[i]);
        }
    }
}

static MemTxResult ember_host_read(EmberState *s, uint64_t addr, void *buf,
                                   uint64_t len)
{
    if (addr + len < addr) {
        return MEMTX_DECODE_ERROR;
    }
    return pci_dma_read(PCI_DEVICE(s), addr, buf, len);
}

static MemTxResult ember_host_write(EmberState *s, uint64_t addr,
                                    const void *buf, uint64_t len)
{
    if (addr + len < addr) {
        return MEMTX_DECODE_ERROR;
    }
    return pci_dma_write(PCI_DEVICE(s), addr, buf, len);
}

static uint8_t ember_op_copy(EmberState *s, const EmberReq *r)
{
    bool src_dev = r->flags & EMBER_REQ_SRC_DEVMEM;
    bool dst_dev = r->flags & EMBER_REQ_DST_DEVMEM;
    uint64_t done;

    if (r->len == 0) {
        return EMBER_RSP_OK;
    }
    if ((src_dev && !ember_devmem_range_ok(s, r->src, r->len)) ||
        (dst_dev && !ember_devmem_range_ok(s, r->dst, r->len))) {
        return EMBER_RSP_DMA_ERROR;
    }
    if (src_dev && dst_dev) {
        memmove(s->devmem_ptr + r->dst, s->devmem_ptr + r->src, r->len);
        return EMBER_RSP_OK;
    }
    if (dst_dev) {
        return ember_host_read(s, r->src, s->devmem_ptr + r->dst, r->len) ==
               MEMTX_OK ? EMBER_RSP_OK : EMBER_RSP_DMA_ERROR;
    }
    if (src_dev) {
        return ember_host_write(s, r->dst, s->devmem_ptr + r->src, r->len) ==
               MEMTX_OK ? EMBER_RSP_OK : EMBER_RSP_DMA_ERROR;
    }
    /* host -> host through the bounce buffer */
    if (r->src + r->len < r->src || r->dst + r->len < r->dst) {
        return EMBER_RSP_DMA_ERROR;
    }
    for (done = 0; done < r->len; done += EMB_BOUNCE_SIZE) {
        uint64_t chunk = MIN(EMB_BOUNCE_SIZE, r->len - done);

        if (ember_host_read(s, r->src + done, s->bounce, chunk) != MEMTX_OK ||
            ember_host_write(s, r->dst + done, s->bounce, chunk) != MEMTX_OK) {
            return EMBER_RSP_DMA_ERROR;
        }
    }
    return EMBER_RSP_OK;
}

static uint8_t ember_op_fill(EmberState *s, const EmberReq *r)
{
    uint8_t pattern = r->aux & 0xff;
    uint64_t done;

    if (r->len == 0) {
        return EMBER_RSP_OK;
    }
    if (r->flags & EMBER_REQ_DST_DEVMEM) {
        if (!ember_devmem_range_ok(s, r->dst, r->len)) {
            return EMBER_RSP_DMA_ERROR;
        }
        memset(s->devmem_ptr + r->dst, pattern, r->len);
        return EMBER_RSP_OK;
    }
    if (r->dst + r->len < r->dst) {
        return EMBER_RSP_DMA_ERROR;
    }
    memset(s->bounce, pattern, MIN(EMB_BOUNCE_SIZE, r->len));
    for (done = 0; done < r->len; done += EMB_BOUNCE_SIZE) {
        uint64_t chunk = MIN(EMB_BOUNCE_SIZE, r->len - done);

        if (ember_host_write(s, r->dst + done, s->bounce, chunk) != MEMTX_OK) {
            return EMBER_RSP_DMA_ERROR;
        }
    }
    return EMBER_RSP_OK;
}

static uint8_t ember_op_crc32(EmberState *s, const EmberReq *r,
                              uint32_t *result)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    uint64_t done;
    uint32_t le;

    if (r->flags & EMBER_REQ_SRC_DEVMEM) {
        if (!ember_devmem_range_ok(s, r->src, r->len)) {
            return EMBER_RSP_DMA_ERROR;
        }
    } else if (r->src + r->len < r->src) {
        return EMBER_RSP_DMA_ERROR;
    }
    if (r->dst && (r->flags & EMBER_REQ_DST_DEVMEM) &&
        !ember_devmem_range_ok(s, r->dst, 4)) {
        return EMBER_RSP_DMA_ERROR;
    }
    for (done = 0; done < r->len; done += EMB_BOUNCE_SIZE) {
        uint64_t chunk = MIN(EMB_BOUNCE_SIZE, r->len - done);
        const uint8_t *p;

        if (r->flags & EMBER_REQ_SRC_DEVMEM) {
            p = s->devmem_ptr + r->src + done;
        } else {
            if (ember_host_read(s, r->src + done, s->bounce, chunk) !=
                MEMTX_OK) {
                return EMBER_RSP_DMA_ERROR;
            }
            p = s->bounce;
        }
        crc = crc32(crc, p, chunk);
    }
    *result = crc;
    if (r->dst) {
        le = cpu_to_le32(*result);
        if (r->flags & EMBER_REQ_DST_DEVMEM) {
            memcpy(s->devmem_ptr + r->dst, &le, 4);
        } else if (ember_host_write(s, r->dst, &le, 4) != MEMTX_OK) {
            return EMBER_RSP_DMA_ERROR;
        }
    }
    return EMBER_RSP_OK;
}

static uint8_t ember_op_gemm(EmberState *s, const EmberReq *r)
{
    bool src_dev = r->flags & EMBER_REQ_SRC_DEVMEM;
    bool dst_dev = r->flags & EMBER_REQ_DST_DEVMEM;
    uint64_t m = r->m, n = r->n, k = r->k;
    uint64_t a_size = m * k, b_size = k * n, c_row = n * 4;
    g_autofree int8_t *b_buf = NULL;
    g_autofree int8_t *a_row = NULL;
    g_autofree uint32_t *acc = NULL;
    const int8_t *b, *a;
    uint64_t i, j, kk;

    if (m < 1 || m > EMB_GEMM_DIM_MAX || n < 1 || n > EMB_GEMM_DIM_MAX ||
        k < 1 || k > EMB_GEMM_DIM_MAX) {
        return EMBER_RSP_BAD_PARAM;
    }
    if (src_dev) {
        if (!ember_devmem_range_ok(s, r->src, a_size) ||
            !ember_devmem_range_ok(s, r->aux, b_size)) {
            return EMBER_RSP_DMA_ERROR;
        }
        b = (const int8_t *)(s->devmem_ptr + r->aux);
    } else {
        if (r->src + a_size < r->src) {
            return EMBER_RSP_DMA_ERROR;
        }
        b_buf = g_malloc(b_size);
        if (ember_host_read(s, r->aux, b_buf, b_size) != MEMTX_OK) {
            return EMBER_RSP_DMA_ERROR;
        }
        b = b_buf;
        a_row = g_malloc(k);
    }
    if (dst_dev) {
        if (!ember_devmem_range_ok(s, r->dst, m * c_row)) {
            return EMBER_RSP_DMA_ERROR;
        }
    } else if (r->dst + m * c_row < r->dst) {
        return EMBER_RSP_DMA_ERROR;
    }

    acc = g_malloc(c_row);
    for (i = 0; i < m; i++) {
        if (src_dev) {
            a = (const int8_t *)(s->devmem_ptr + r->src + i * k);
        } else {
            if (ember_host_read(s, r->src + i * k, a_row, k) != MEMTX_OK) {
                return EMBER_RSP_DMA_ERROR;
            }
            a = a_row;
        }
        memset(acc, 0, c_row);
        for (kk = 0; kk < k; kk++) {
            int32_t av = a[kk];
            const int8_t *brow = b + kk * n;

            if (!av) {
                continue;
            }
            for (j = 0; j < n; j++) {
                acc[j] += (uint32_t)(av * (int32_t)brow[j]);
            }
        }
        for (j = 0; j < n; j++) {
            acc[j] = cpu_to_le32(acc[j]);
        }
        if (dst_dev) {
            memcpy(s->devmem_ptr + r->dst + i * c_row, acc, c_row);
        } else if (ember_host_write(s, r->dst + i * c_row, acc, c_row) !=
                   MEMTX_OK) {
            return EMBER_RSP_DMA_ERROR;
        }
    }
    return EMBER_RSP_OK;
}

/* Check the request fields common to all operations */
static uint8_t ember_req_validate(const EmberReq *r)
{
    if (r->opcode > EMBER_OP_GEMM_I8) {
        return EMBER_RSP_BAD_OPCODE;
    }
    if (r->rsvd0 || r->rsvd1 || (r->flags & ~EMB_REQ_FLAGS_VALID)) {
        return EMBER_RSP_BAD_PARAM;
    }
    if (r->opcode != EMBER_OP_GEMM_I8 && r->opcode != EMBER_OP_NOP &&
        r->len > EMBER_REQ_MAX_LEN) {
        return EMBER_RSP_BAD_PARAM;
    }
    return EMBER_RSP_OK;
}

static uint8_t ember_req_execute(EmberState *s, const EmberReq *r,
                                 uint32_t *result)
{
    *result = 0;
    switch (r->opcode) {
    case EMBER_OP_NOP:
        return EMBER_RSP_OK;
    case EMBER_OP_COPY:
        return ember_op_copy(s, r);
    case EMBER_OP_FILL:
        return ember_op_fill(s, r);
    case EMBER_OP_CRC32:
        return ember_op_crc32(s, r, result);
    case EMBER_OP_GEMM_I8:
        return ember_op_gemm(s, r);
    default:
        return EMBER_RSP_BAD_OPCODE;
    }
}

static uint64_t ember_req_bytes(const EmberReq *r)
{
    if (r->opcode == EMBER_OP_GEMM_I8) {
        return (uint64_t)r->m * r->k + (uint64_t)r->k * r->n +
               (uint64_t)r->m * r->n * 4;
    }
    return r->len;
}

/*
 * Fetch the request at REQ_HEAD and advance REQ_HEAD. Returns the status
 * the request already has (non-OK when it could not be read or is
 * malformed).
 */
static uint8_t ember_dbc_fetch(EmberDbc *d, EmberReq *r, uint32_t *qlevel)
{
    EmberState *s = d->s;
    uint8_t raw[EMB_REQ_SIZE];
    uint64_t addr = d->req_base + (uint64_t)d->req_head * EMB_REQ_SIZE;

    d->req_head = (d->req_head + 1) & (d->size - 1);
    *qlevel = (d->req_tail - d->req_head) & (d->size - 1);

    if (ember_host_read(s, addr, raw, sizeof(raw)) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: DBC %u: cannot read request at 0x%" PRIx64 "\n",
                      d->idx, addr);
        d->setup_error = true;
        memset(r, 0, sizeof(*r));
        return EMBER_RSP_DMA_ERROR;
    }
    r->req_id = lduw_le_p(raw + 0);
    r->opcode = raw[2];
    r->flags = raw[3];
    r->len = ldl_le_p(raw + 4);
    r->src = ldq_le_p(raw + 8);
    r->dst = ldq_le_p(raw + 16);
    r->aux = ldq_le_p(raw + 24);
    r->m = ldl_le_p(raw + 32);
    r->n = ldl_le_p(raw + 36);
    r->k = ldl_le_p(raw + 40);
    r->rsvd0 = ldl_le_p(raw + 44);
    r->cookie = ldq_le_p(raw + 48);
    r->rsvd1 = ldq_le_p(raw + 56);
    return ember_req_validate(r);
}

/* Account for a finished request and write its response (§4.2, §5.5) */
static void ember_dbc_complete(EmberDbc *d, const EmberReq *r, uint8_t status,
                               uint32_t result, uint32_t qlevel, int64_t start)
{
    EmberState *s = d->s;
    int64_t now = ember_now();
    uint64_t dev_ns = now > start ? now - start : 0;
    uint8_t raw[EMB_RSP_SIZE];
    uint64_t addr;
    uint32_t old_tail;
    uint16_t req_id = r->req_id;

    if (!d->enabled) {
        /* The DBC was reset or disabled while the request executed */
        return;
    }
    d->completed++;
    d->busy_ns += dev_ns;
    ember_tel_add_busy(s, start, now);

    if (status == EMBER_RSP_OK && (r->flags & EMBER_REQ_NO_RSP)) {
        return;
    }
    if (s->fi_corrupt_rsp) {
        s->fi_corrupt_rsp--;
        req_id = ~req_id;
        status = EMBER_RSP_CORRUPT;
    }
    if (status != EMBER_RSP_OK) {
        d->errors++;
    }

    stw_le_p(raw + 0, req_id);
    raw[2] = r->opcode;
    raw[3] = status;
    stl_le_p(raw + 4, result);
    stq_le_p(raw + 8, r->cookie);
    stl_le_p(raw + 16, qlevel);
    stl_le_p(raw + 20, MIN(dev_ns, UINT32_MAX));
    stq_le_p(raw + 24, now - s->power_on_ns);

    addr = d->rsp_base + (uint64_t)d->rsp_tail * EMB_RSP_SIZE;
    if (ember_host_write(s, addr, raw, sizeof(raw)) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: DBC %u: cannot write response at 0x%" PRIx64
                      "\n", d->idx, addr);
        d->setup_error = true;
        return;
    }
    old_tail = d->rsp_tail;
    d->rsp_tail = (d->rsp_tail + 1) & (d->size - 1);

    /*
     * EMBER_FI_DUP_RSP: a faulty engine writes the response a second time
     * into the next slot, if there is room; the host then finds more
     * responses than it has requests in flight.
     */
    if (s->fi_dup_rsp &&
        ((d->rsp_tail + 1) & (d->size - 1)) != d->rsp_head) {
        addr = d->rsp_base + (uint64_t)d->rsp_tail * EMB_RSP_SIZE;
        if (ember_host_write(s, addr, raw, sizeof(raw)) == MEMTX_OK) {
            s->fi_dup_rsp--;
            d->rsp_tail = (d->rsp_tail + 1) & (d->size - 1);
        }
    }

    if (old_tail == d->rsp_head || (r->flags & EMBER_REQ_FORCE_IRQ)) {
        if (ember_irq_raise(s, 1 + d->idx)) {
            d->irq_count++;
        }
    }
}

/* Execute the request occupying the DBC (service-ns > 0) and finish it */
static void ember_dbc_finish_current(EmberDbc *d)
{
    uint8_t status = d->cur_status;
    uint32_t result = 0;
    EmberReq r = d->cur;

    if (status == EMBER_RSP_OK) {
        status = ember_req_execute(d->s, &r, &result);
    }
    d->busy = false;
    d->stalled = false;
    ember_dbc_complete(d, &r, status, result, d->cur_qlevel, d->cur_start);
}

static void ember_dbc_run(EmberDbc *d)
{
    EmberReq r;
    uint32_t qlevel, result;
    uint64_t bytes = 0;
    unsigned n;
    uint8_t status;
    int64_t start;

    if (d->busy) {
        /* A request whose service time ended while the DBC could not run */
        if (d->stalled && ember_dbc_runnable(d)) {
            ember_dbc_finish_current(d);
        } else {
            return;
        }
    }

    if (d->service_ns) {
        if (!ember_dbc_can_fetch(d)) {
            return;
        }
        d->cur_start = ember_now();
        d->cur_status = ember_dbc_fetch(d, &d->cur, &d->cur_qlevel);
        d->busy = true;
        d->stalled = false;
        timer_mod(&d->timer, d->cur_start + d->service_ns);
        return;
    }

    for (n = 0; n < EMB_BATCH_REQS && bytes < EMB_BATCH_BYTES; n++) {
        if (!ember_dbc_can_fetch(d)) {
            return;
        }
        start = ember_now();
        status = ember_dbc_fetch(d, &r, &qlevel);
        result = 0;
        if (status == EMBER_RSP_OK) {
            status = ember_req_execute(d->s, &r, &result);
            bytes += ember_req_bytes(&r);
        }
        ember_dbc_complete(d, &r, status, result, qlevel, start);
    }
    if (ember_dbc_can_fetch(d)) {
        qemu_bh_schedule(d->bh);
    }
}

static void ember_dbc_bh(void *opaque)
{
    ember_dbc_run(opaque);
}

static void ember_dbc_timer(void *opaque)
{
    EmberDbc *d = opaque;
#ifdef qemu_bh_new_guarded
    MemReentrancyGuard *guard = &DEVICE(d->s)->mem_reentrancy_guard;
    bool engaged = guard->engaged_in_io;
#endif

    if (!d->busy) {
        return;
    }
    if (!ember_dbc_runnable(d)) {
        /* Hung, halted, quiesced or disabled: hold the request */
        d->stalled = true;
        return;
    }
#ifdef qemu_bh_new_guarded
    /* As for the bottom half: DMA must not re-enter our own registers */
    guard->engaged_in_io = true;
#endif
    ember_dbc_finish_current(d);
    ember_dbc_run(d);
#ifdef qemu_bh_new_guarded
    guard->engaged_in_io = engaged;
#endif
}

/* §5.6 DBC reset; with @regs also the whole block (function reset) */
static void ember_dbc_reset(EmberDbc *d, bool regs)
{
    EmberState *s = d->s;

    ember_dbc_stop(d);
    d->enabled = false;
    d->setup_error = false;
    d->fatal = false;
    d->req_head = d->req_tail = d->rsp_head = d->rsp_tail = 0;
    d->completed = 0;
    d->busy_ns = 0;
    d->irq_count = 0;
    d->errors = 0;
    s->fi_dbc_hang &= ~BIT(d->idx);
    if (regs) {
        d->req_base_lo = d->req_base_hi = 0;
        d->rsp_base_lo = d->rsp_base_hi = 0;
        d->ring_size_reg = 0;
        d->req_base = d->rsp_base = 0;
        d->size = 0;
        d->service_ns = s->service_ns;
    }
}

static void ember_dbc_enable(EmberDbc *d)
{
    uint64_t req_base = deposit64(d->req_base_lo, 32, 32, d->req_base_hi);
    uint64_t rsp_base = deposit64(d->rsp_base_lo, 32, 32, d->rsp_base_hi);
    uint32_t size = d->ring_size_reg;

    if (d->enabled) {
        return;
    }
    if ((req_base & (EMB_REQ_SIZE - 1)) || (rsp_base & (EMB_RSP_SIZE - 1)) ||
        size < EMB_RING_MIN || size > EMB_RING_MAX || !is_power_of_2(size)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: DBC %u: bad ring setup req 0x%" PRIx64
                      " rsp 0x%" PRIx64 " size %u\n",
                      d->idx, req_base, rsp_base, size);
        d->setup_error = true;
        return;
    }
    d->setup_error = false;
    d->req_base = req_base;
    d->rsp_base = rsp_base;
    d->size = size;
    d->req_head = d->req_tail = d->rsp_head = d->rsp_tail = 0;
    d->enabled = true;
}

static void ember_dbc_disable(EmberDbc *d)
{
    /* The request in flight, if any, is dropped without a response */
    ember_dbc_stop(d);
    d->enabled = false;
}

/* ---- Management firmware (§3, docs/nnc.md) ---- */

static void ember_dbc_write(EmberDbc *d, hwaddr off, uint32_t val);

/* Device memory the firmware manages for the function */
static uint64_t ember_fw_devmem_size(EmberState *s)
{
    return s->mem_size;
}

/* First fit over the function's device memory; @size is 4 KiB aligned */
static bool ember_fw_alloc(EmberState *s, uint64_t size, uint64_t *off)
{
    EmberFw *fw = &s->fw;
    uint64_t pos = 0, end;
    unsigned i;

    if (fw->nextents >= EMB_FW_MAX_EXTENTS) {
        return false;
    }
    for (i = 0; i <= fw->nextents; i++) {
        end = i < fw->nextents ? fw->ext[i].off : ember_fw_devmem_size(s);
        if (end - pos >= size) {
            memmove(&fw->ext[i + 1], &fw->ext[i],
                    (fw->nextents - i) * sizeof(fw->ext[0]));
            fw->ext[i].off = pos;
            fw->ext[i].size = size;
            fw->nextents++;
            fw->devmem_used += size;
            *off = pos;
            return true;
        }
        if (i < fw->nextents) {
            pos = fw->ext[i].off + fw->ext[i].size;
        }
    }
    return false;
}

static void ember_fw_free(EmberState *s, uint64_t off)
{
    EmberFw *fw = &s->fw;
    unsigned i;

    for (i = 0; i < fw->nextents; i++) {
        if (fw->ext[i].off == off) {
            fw->devmem_used -= fw->ext[i].size;
            fw->nextents--;
            memmove(&fw->ext[i], &fw->ext[i + 1],
                    (fw->nextents - i) * sizeof(fw->ext[0]));
            return;
        }
    }
}

static EmberWorkload *ember_fw_workload(EmberState *s, uint32_t id)
{
    unsigned i;

    for (i = 0; id && i < EMB_FW_MAX_WORKLOADS; i++) {
        if (s->fw.wl[i].id == id) {
            return &s->fw.wl[i];
        }
    }
    return NULL;
}

static void ember_fw_unload(EmberState *s, EmberWorkload *w)
{
    unsigned i;

    for (i = 0; i < w->nregions; i++) {
        ember_fw_free(s, w->region_off[i]);
    }
    memset(w, 0, sizeof(*w));
}

static EmberFwClient *ember_fw_client(EmberState *s, uint32_t handle,
                                      bool create)
{
    EmberFwClient *c;

    QLIST_FOREACH(c, &s->fw.clients, next) {
        if (c->handle == handle) {
            return c;
        }
    }
    if (!create) {
        return NULL;
    }
    c = g_new0(EmberFwClient, 1);
    c->handle = handle;
    QLIST_INIT(&c->xfers);
    QLIST_INSERT_HEAD(&s->fw.clients, c, next);
    return c;
}

static EmberFwXfer *ember_fw_xfer(EmberFwClient *c, uint32_t tag)
{
    EmberFwXfer *x;

    QLIST_FOREACH(x, &c->xfers, next) {
        if (x->tag == tag) {
            return x;
        }
    }
    return NULL;
}

static void ember_fw_drop_xfer(EmberState *s, EmberFwClient *c,
                               EmberFwXfer *x)
{
    QLIST_REMOVE(x, next);
    c->staged -= x->size;
    s->fw.staged -= x->size;
    g_free(x->data);
    g_free(x);
}

/* Forget the client's partial transfer (the codec may have reset it) */
static void ember_fw_drop_partial(EmberState *s, EmberFwClient *c)
{
    ember_nnc_reasm_reset(&c->reasm);
    s->fw.staged -= c->partial_size;
    g_free(c->partial);
    c->partial = NULL;
    c->partial_size = 0;
}

/* Free the client record when it holds nothing any more */
static void ember_fw_client_put(EmberFwClient *c)
{
    if (!c->partial && !c->reasm.active && QLIST_EMPTY(&c->xfers)) {
        QLIST_REMOVE(c, next);
        g_free(c);
    }
}

static void ember_fw_client_free(EmberState *s, EmberFwClient *c)
{
    EmberFwXfer *x, *tmp;

    ember_fw_drop_partial(s, c);
    QLIST_FOREACH_SAFE(x, &c->xfers, next, tmp) {
        ember_fw_drop_xfer(s, c, x);
    }
    ember_fw_client_put(c);
}

/* Everything the firmware holds for @handle (TERMINATE); returns DBCs */
static uint32_t ember_fw_release(EmberState *s, uint32_t handle)
{
    EmberFwClient *c = ember_fw_client(s, handle, false);
    uint32_t released = 0;
    unsigned i;

    for (i = 0; i < s->num_dbcs; i++) {
        EmberDbc *d = &s->dbc[i];

        if (d->fw_active && d->fw_owner == handle) {
            ember_dbc_disable(d);
            d->fw_active = false;
            d->fw_owner = 0;
            released++;
        }
    }
    for (i = 0; i < EMB_FW_MAX_WORKLOADS; i++) {
        if (s->fw.wl[i].id && s->fw.wl[i].handle == handle) {
            ember_fw_unload(s, &s->fw.wl[i]);
        }
    }
    if (c) {
        ember_fw_client_free(s, c);
    }
    return released;
}

/* Drop all firmware state: clients, DBC ownership, workloads, features */
static void ember_fw_reset(EmberState *s)
{
    EmberFwClient *c, *tmp;
    unsigned i;

    QLIST_FOREACH_SAFE(c, &s->fw.clients, next, tmp) {
        ember_fw_client_free(s, c);
    }
    for (i = 0; i < EMBER_MAX_DBCS; i++) {
        s->dbc[i].fw_active = false;
        s->dbc[i].fw_owner = 0;
    }
    memset(s->fw.wl, 0, sizeof(s->fw.wl));
    s->fw.nextents = 0;
    s->fw.devmem_used = 0;
    s->fw.staged = 0;
    s->fw.features = 0;
    s->fw.next_wl_id = 1;
}

/* ---- Firmware: transactions (nnc.md §6) ---- */

static uint32_t ember_fw_status(EmberState *s, uint32_t handle,
                                const struct ember_nnc_req *req,
                                struct ember_nnc_rsp *rsp)
{
    /* Only the driver's own STATUS negotiates; clients see what is on */
    if (!handle) {
        s->fw.features = req->u.status.features & EMB_FW_FEATURES;
    }
    rsp->u.status.major = EMBER_NNC_MAJOR;
    rsp->u.status.minor = EMBER_NNC_MINOR;
    rsp->u.status.features = s->fw.features;
    return EMBER_NNC_ST_OK;
}

/*
 * One chunk of a DMA transfer: the codec checks it continues the client's
 * partial transfer, the firmware reads the host segments into staging
 * memory reserved at the first chunk. A complete transfer is staged under
 * its tag (replacing an older one of the same tag) until LOAD_WORKLOAD
 * consumes it or the client terminates.
 */
static uint32_t ember_fw_dma_xfer(EmberState *s, uint32_t handle,
                                  const struct ember_nnc_req *req,
                                  uint32_t index, struct ember_nnc_rsp *rsp)
{
    EmberFwClient *c = ember_fw_client(s, handle, true);
    bool first = !c->reasm.active;
    enum ember_nnc_reason why;
    EmberFwXfer *x;
    uint64_t pos, total, same;
    uint32_t i;
    int ret;

    rsp->u.dma.xfer_id = req->u.dma.xfer_id;
    rsp->u.dma.received = 0;
    ret = ember_nnc_reasm_feed(&c->reasm, req, index, &why);
    if (req->u.dma.flags & EMBER_NNC_DMA_ABORT) {
        if (ret) {
            ember_fw_client_put(c);
            return EMBER_NNC_ST_NOENT;
        }
        ember_fw_drop_partial(s, c);
        ember_fw_client_put(c);
        return EMBER_NNC_ST_OK;
    }
    if (ret) {
        qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: DMA_XFER %u of client %u: "
                      "%s\n", req->u.dma.xfer_id, handle,
                      ember_nnc_reason_str(why));
        ember_fw_drop_partial(s, c);
        ember_fw_client_put(c);
        return EMBER_NNC_ST_INVAL;
    }
    if (first) {
        total = req->u.dma.total;
        x = ember_fw_xfer(c, req->u.dma.tag);
        same = x ? x->size : 0;
        if (total <= EMB_FW_STAGE_CLIENT_MAX &&
            c->staged - same + total <= EMB_FW_STAGE_CLIENT_MAX &&
            s->fw.staged + total <= EMB_FW_STAGE_TOTAL_MAX) {
            c->partial = g_try_malloc(total);
        }
        if (!c->partial) {
            qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: DMA_XFER %u of client "
                          "%u: no staging memory for %" PRIu64 " bytes\n",
                          req->u.dma.xfer_id, handle, total);
            ember_fw_drop_partial(s, c);
            ember_fw_client_put(c);
            return EMBER_NNC_ST_NOMEM;
        }
        c->partial_size = total;
        s->fw.staged += total;
    }
    /* The codec bounded offset + bytes of the chunk by the total */
    pos = req->u.dma.offset;
    for (i = 0; i < req->u.dma.nsegs; i++) {
        struct ember_nnc_seg seg = ember_nnc_dma_seg(req, i);

        if (ember_host_read(s, seg.addr, c->partial + pos, seg.len) !=
            MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: DMA_XFER %u: cannot "
                          "read 0x%" PRIx64 "+0x%" PRIx64 "\n",
                          req->u.dma.xfer_id, (uint64_t)seg.addr,
                          (uint64_t)seg.len);
            ember_fw_drop_partial(s, c);
            ember_fw_client_put(c);
            return EMBER_NNC_ST_IO;
        }
        pos += seg.len;
    }
    rsp->u.dma.received = c->reasm.received;
    if (!c->reasm.active) {
        x = ember_fw_xfer(c, c->reasm.tag);
        if (x) {
            ember_fw_drop_xfer(s, c, x);
        }
        x = g_new0(EmberFwXfer, 1);
        x->tag = c->reasm.tag;
        x->size = c->partial_size;
        x->data = c->partial;
        QLIST_INSERT_HEAD(&c->xfers, x, next);
        c->staged += x->size;
        c->partial = NULL;      /* its staging memory moves with it */
        c->partial_size = 0;
        ember_nnc_reasm_reset(&c->reasm);
    }
    return EMBER_NNC_ST_OK;
}

/* Pick a free DBC and program it as the driver would (§5.1) */
static uint32_t ember_fw_activate(EmberState *s, uint32_t handle,
                                  const struct ember_nnc_req *req,
                                  struct ember_nnc_rsp *rsp)
{
    uint64_t req_base = req->u.act.req_base, rsp_base = req->u.act.rsp_base;
    EmberDbc *d = NULL;
    unsigned i;

    rsp->u.act.dbc_id = 0;
    if (!handle) {
        return EMBER_NNC_ST_PERM;
    }
    for (i = 0; i < s->num_dbcs; i++) {
        /* A DBC the host enabled by hand is not free either */
        if (!s->dbc[i].fw_active && !s->dbc[i].enabled) {
            d = &s->dbc[i];
            break;
        }
    }
    if (!d) {
        return EMBER_NNC_ST_NOSPC;
    }
    ember_dbc_write(d, EMBER_DBC_REQ_BASE_LO, (uint32_t)req_base);
    ember_dbc_write(d, EMBER_DBC_REQ_BASE_HI, req_base >> 32);
    ember_dbc_write(d, EMBER_DBC_RSP_BASE_LO, (uint32_t)rsp_base);
    ember_dbc_write(d, EMBER_DBC_RSP_BASE_HI, rsp_base >> 32);
    ember_dbc_write(d, EMBER_DBC_RING_SIZE, req->u.act.ring_size);
    ember_dbc_write(d, EMBER_DBC_CTRL, EMBER_DBC_CTRL_ENABLE);
    if (!d->enabled) {
        return EMBER_NNC_ST_INVAL;
    }
    d->fw_active = true;
    d->fw_owner = handle;
    rsp->u.act.dbc_id = i;
    return EMBER_NNC_ST_OK;
}

static uint32_t ember_fw_deactivate(EmberState *s, uint32_t handle,
                                    const struct ember_nnc_req *req,
                                    struct ember_nnc_rsp *rsp)
{
    uint32_t id = req->u.deact.dbc_id;
    EmberDbc *d;

    rsp->u.deact.dbc_id = id;
    if (id >= s->num_dbcs || !s->dbc[id].fw_active) {
        return EMBER_NNC_ST_NOENT;
    }
    d = &s->dbc[id];
    if (d->fw_owner != handle) {
        return EMBER_NNC_ST_PERM;
    }
    /* Stops at once: the request in flight is dropped, the DBC is idle */
    ember_dbc_disable(d);
    d->fw_active = false;
    d->fw_owner = 0;
    return EMBER_NNC_ST_OK;
}

/* ---- Firmware: PASSTHROUGH commands (nnc.md §15) ---- */

static bool ember_fw_opnd_exists(const EmberWorkload *w, uint8_t kind,
                                 uint8_t index)
{
    switch (kind) {
    case EMB_FW_OPND_INPUT:
        return index < w->ninputs;
    case EMB_FW_OPND_OUTPUT:
        return index < w->noutputs;
    case EMB_FW_OPND_REGION:
        return index < w->nregions;
    default:
        return false;
    }
}

/* Does a region operand hold @bytes? Slices are sized at execution. */
static bool ember_fw_opnd_fits(const EmberWorkload *w, const EmberFwStep *st,
                               unsigned slot, uint64_t bytes)
{
    return st->kind[slot] != EMB_FW_OPND_REGION ||
           bytes <= w->region_size[st->index[slot]];
}

/* Bytes of an operand known at load time: a region's size, else 0 */
static uint64_t ember_fw_opnd_size(const EmberWorkload *w,
                                   const EmberFwStep *st, unsigned slot)
{
    return st->kind[slot] == EMB_FW_OPND_REGION ?
           w->region_size[st->index[slot]] : 0;
}

/*
 * The rules libember's validator applies too: operands as the op uses
 * them (an absent one is kind 0 index 0), m, n, k only for GEMM, which
 * has no len, indices in range, inputs never written, region operands
 * large enough (by the requested region sizes).
 */
static bool ember_fw_step_ok(const EmberWorkload *w, const EmberFwStep *st)
{
    static const uint8_t use[EMBER_OP_GEMM_I8 + 1][3] = {
        [EMBER_OP_COPY] = { EMB_FW_USE_REQUIRED, EMB_FW_USE_REQUIRED,
                            EMB_FW_USE_NONE },
        [EMBER_OP_FILL] = { EMB_FW_USE_NONE, EMB_FW_USE_REQUIRED,
                            EMB_FW_USE_PATTERN },
        [EMBER_OP_CRC32] = { EMB_FW_USE_REQUIRED, EMB_FW_USE_OPTIONAL,
                             EMB_FW_USE_NONE },
        [EMBER_OP_GEMM_I8] = { EMB_FW_USE_REQUIRED, EMB_FW_USE_REQUIRED,
                               EMB_FW_USE_REQUIRED },
    };
    uint64_t bytes;
    unsigned j, u;

    if (st->op < EMBER_OP_COPY || st->op > EMBER_OP_GEMM_I8) {
        return false;
    }
    for (j = 0; j < 3; j++) {
        u = use[st->op][j];
        if (st->kind[j] == EMB_FW_OPND_NONE) {
            if (u == EMB_FW_USE_REQUIRED ||
                (u != EMB_FW_USE_PATTERN && st->index[j])) {
                return false;
            }
        } else if (u == EMB_FW_USE_NONE || u == EMB_FW_USE_PATTERN ||
                   !ember_fw_opnd_exists(w, st->kind[j], st->index[j])) {
            return false;
        }
    }
    if (st->kind[EMB_FW_DST] == EMB_FW_OPND_INPUT) {
        return false;           /* inputs are never written */
    }
    if (st->op == EMBER_OP_GEMM_I8 ? st->len != 0 :
        (st->m || st->n || st->k)) {
        return false;
    }
    switch (st->op) {
    case EMBER_OP_COPY:
        bytes = st->len ? st->len : ember_fw_opnd_size(w, st, EMB_FW_SRC);
        return ember_fw_opnd_fits(w, st, EMB_FW_SRC, bytes) &&
               ember_fw_opnd_fits(w, st, EMB_FW_DST, bytes);
    case EMBER_OP_FILL:
        return ember_fw_opnd_fits(w, st, EMB_FW_DST, st->len);
    case EMBER_OP_CRC32:
        return ember_fw_opnd_fits(w, st, EMB_FW_SRC, st->len) &&
               ember_fw_opnd_fits(w, st, EMB_FW_DST, 4);
    default:                    /* GEMM_I8 */
        if (st->m < 1 || st->m > EMB_GEMM_DIM_MAX || st->n < 1 ||
            st->n > EMB_GEMM_DIM_MAX || st->k < 1 ||
            st->k > EMB_GEMM_DIM_MAX) {
            return false;
        }
        return ember_fw_opnd_fits(w, st, EMB_FW_SRC,
                                  (uint64_t)st->m * st->k) &&
               ember_fw_opnd_fits(w, st, EMB_FW_AUX,
                                  (uint64_t)st->k * st->n) &&
               ember_fw_opnd_fits(w, st, EMB_FW_DST,
                                  (uint64_t)st->m * st->n * 4);
    }
}

/* Printable ASCII, then NUL padding */
static bool ember_fw_name_ok(const uint8_t *p)
{
    unsigned i = 0;

    for (; i < EMB_FW_NAME_LEN && p[i]; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e) {
            return false;
        }
    }
    for (; i < EMB_FW_NAME_LEN; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* Parse and check a LOAD_WORKLOAD command into @w (no resources taken) */
static bool ember_fw_parse_load(EmberState *s, const uint8_t *cmd,
                                uint32_t len, EmberWorkload *w)
{
    const uint8_t *p;
    unsigned i, o;

    if (len < EMB_FW_LOAD_HDR_LEN || ldl_le_p(cmd + 44) ||
        !ember_fw_name_ok(cmd + 8)) {
        return false;
    }
    memcpy(w->name, cmd + 8, EMB_FW_NAME_LEN);
    w->nregions = ldl_le_p(cmd + 28);
    w->nsteps = ldl_le_p(cmd + 32);
    w->ninputs = ldl_le_p(cmd + 36);
    w->noutputs = ldl_le_p(cmd + 40);
    if (w->nregions > EMB_FW_MAX_REGIONS || w->nsteps < 1 ||
        w->nsteps > EMB_FW_MAX_STEPS || w->ninputs > EMB_FW_MAX_SLICES ||
        w->noutputs > EMB_FW_MAX_SLICES ||
        len != EMB_FW_LOAD_HDR_LEN + 8 * w->nregions +
               EMB_FW_STEP_LEN * w->nsteps) {
        return false;
    }
    p = cmd + EMB_FW_LOAD_HDR_LEN;
    for (i = 0; i < w->nregions; i++, p += 8) {
        w->region_size[i] = ldq_le_p(p);
        if (!w->region_size[i] ||
            w->region_size[i] > ember_fw_devmem_size(s)) {
            return false;
        }
    }
    for (i = 0; i < w->nsteps; i++, p += EMB_FW_STEP_LEN) {
        EmberFwStep *st = &w->steps[i];

        if (p[7] || ldq_le_p(p + 24)) {
            return false;
        }
        st->op = p[0];
        memcpy(st->kind, p + 1, 3);
        memcpy(st->index, p + 4, 3);
        st->len = ldl_le_p(p + 8);
        st->m = ldl_le_p(p + 12);
        st->n = ldl_le_p(p + 16);
        st->k = ldl_le_p(p + 20);
        if (!ember_fw_step_ok(w, st)) {
            return false;
        }
    }
    /* Every output is written by some step */
    for (o = 0; o < w->noutputs; o++) {
        for (i = 0; i < w->nsteps; i++) {
            if (w->steps[i].kind[EMB_FW_DST] == EMB_FW_OPND_OUTPUT &&
                w->steps[i].index[EMB_FW_DST] == o) {
                break;
            }
        }
        if (i == w->nsteps) {
            return false;
        }
    }
    return true;
}

static uint32_t ember_fw_cmd_load(EmberState *s, uint32_t handle,
                                  const uint8_t *cmd, uint32_t len,
                                  uint8_t *out)
{
    uint32_t image_tag = ldl_le_p(cmd + 24);
    g_autofree EmberWorkload *tmp = g_new0(EmberWorkload, 1);
    EmberFwClient *c = NULL;
    EmberFwXfer *img = NULL;
    EmberWorkload *w = NULL;
    uint64_t room = 0, done = 0, alloc, chunk;
    unsigned i;

    if (!ember_fw_parse_load(s, cmd, len, tmp)) {
        return EMBER_NNC_ST_INVAL;
    }
    for (i = 0; i < tmp->nregions; i++) {
        room += tmp->region_size[i];
    }
    if (image_tag) {
        c = ember_fw_client(s, handle, false);
        img = c ? ember_fw_xfer(c, image_tag) : NULL;
        if (!img) {
            return EMBER_NNC_ST_NOENT;
        }
        if (img->size > room) {
            return EMBER_NNC_ST_INVAL;
        }
    }
    for (i = 0; i < EMB_FW_MAX_WORKLOADS; i++) {
        if (!s->fw.wl[i].id) {
            w = &s->fw.wl[i];
            break;
        }
    }
    if (!w) {
        return EMBER_NNC_ST_NOSPC;
    }
    for (i = 0; i < tmp->nregions; i++) {
        alloc = ROUND_UP(tmp->region_size[i], EMB_FW_PAGE);
        if (!ember_fw_alloc(s, alloc, &tmp->region_off[i])) {
            while (i--) {
                ember_fw_free(s, tmp->region_off[i]);
            }
            return EMBER_NNC_ST_NOSPC;
        }
    }
    /* Zero the regions, then the image fills region 0, 1, ... in order */
    for (i = 0; i < tmp->nregions; i++) {
        alloc = ROUND_UP(tmp->region_size[i], EMB_FW_PAGE);
        memset(s->devmem_ptr + tmp->region_off[i], 0, alloc);
        if (img && done < img->size) {
            chunk = MIN(tmp->region_size[i], img->size - done);
            memcpy(s->devmem_ptr + tmp->region_off[i], img->data + done,
                   chunk);
            done += chunk;
        }
    }
    if (img) {
        ember_fw_drop_xfer(s, c, img);
        ember_fw_client_put(c);
    }
    do {
        tmp->id = s->fw.next_wl_id++;
    } while (!tmp->id || ember_fw_workload(s, tmp->id));
    tmp->handle = handle;
    *w = *tmp;

    stl_le_p(out + 8, w->id);
    stl_le_p(out + 12, w->nregions);
    stq_le_p(out + 16, done);
    for (i = 0; i < w->nregions; i++) {
        stq_le_p(out + EMB_FW_LOAD_RSP_OFFSETS + 8 * i, w->region_off[i]);
    }
    return EMBER_NNC_ST_OK;
}

static uint32_t ember_fw_cmd_unload(EmberState *s, uint32_t handle,
                                    const uint8_t *cmd, uint32_t len,
                                    uint8_t *out)
{
    uint32_t id = ldl_le_p(cmd + 8);
    EmberWorkload *w;

    if (len != EMB_FW_UNLOAD_LEN || ldl_le_p(cmd + 12)) {
        return EMBER_NNC_ST_INVAL;
    }
    w = ember_fw_workload(s, id);
    if (!w) {
        return EMBER_NNC_ST_NOENT;
    }
    if (w->handle != handle) {
        return EMBER_NNC_ST_PERM;
    }
    /* The model executes no workload itself: never BUSY */
    ember_fw_unload(s, w);
    stl_le_p(out + 8, id);
    return EMBER_NNC_ST_OK;
}

static uint32_t ember_fw_cmd_query(EmberState *s, uint32_t handle,
                                   const uint8_t *cmd, uint32_t len,
                                   uint8_t *out)
{
    EmberFwClient *c = ember_fw_client(s, handle, false);
    uint32_t dbcs_free = 0, owned = 0, workloads = 0;
    unsigned i;

    if (len != EMB_FW_QUERY_LEN ||
        !buffer_is_zero(cmd + EMB_FW_CMD_HDR_LEN,
                        len - EMB_FW_CMD_HDR_LEN)) {
        return EMBER_NNC_ST_INVAL;
    }
    for (i = 0; i < s->num_dbcs; i++) {
        if (s->dbc[i].fw_active) {
            owned += s->dbc[i].fw_owner == handle;
        } else if (!s->dbc[i].enabled) {
            dbcs_free++;
        }
    }
    for (i = 0; i < EMB_FW_MAX_WORKLOADS; i++) {
        workloads += s->fw.wl[i].id && s->fw.wl[i].handle == handle;
    }
    stl_le_p(out + 8, s->num_dbcs);
    stl_le_p(out + 12, dbcs_free);
    stq_le_p(out + 16, ember_fw_devmem_size(s));
    stq_le_p(out + 24, ember_fw_devmem_size(s) - s->fw.devmem_used);
    stl_le_p(out + 32, workloads);
    stl_le_p(out + 36, owned);
    stq_le_p(out + 40, c ? c->staged : 0);
    return EMBER_NNC_ST_OK;
}

/*
 * Execute one command. The reply data goes to the message's scratch
 * buffer; it is as long as the command (nnc.md §15) on success and empty
 * on failure.
 */
static uint32_t ember_fw_passthrough(EmberState *s, uint32_t handle,
                                     const struct ember_nnc_req *req,
                                     struct ember_nnc_rsp *rsp)
{
    const uint8_t *cmd = req->u.pt.data;
    uint32_t len = req->u.pt.len, st;
    uint8_t *out = s->mbox_data + s->mbox_data_used;
    uint16_t op;

    rsp->u.pt.data = out;
    rsp->u.pt.len = 0;
    if (len < EMB_FW_CMD_HDR_LEN) {
        return EMBER_NNC_ST_INVAL;
    }
    op = lduw_le_p(cmd);
    if (op < EMB_FW_CMD_ECHO || op > EMB_FW_CMD_QUERY) {
        qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: unknown command 0x%x\n",
                      op);
        return EMBER_NNC_ST_UNSUPPORTED;
    }
    if (lduw_le_p(cmd + 2) || ldl_le_p(cmd + 4) != len) {
        return EMBER_NNC_ST_INVAL;
    }
    memset(out, 0, len);
    switch (op) {
    case EMB_FW_CMD_ECHO:
        memcpy(out, cmd, len);
        st = EMBER_NNC_ST_OK;
        break;
    case EMB_FW_CMD_LOAD_WORKLOAD:
        st = ember_fw_cmd_load(s, handle, cmd, len, out);
        break;
    case EMB_FW_CMD_UNLOAD_WORKLOAD:
        st = ember_fw_cmd_unload(s, handle, cmd, len, out);
        break;
    default:
        st = ember_fw_cmd_query(s, handle, cmd, len, out);
        break;
    }
    if (st != EMBER_NNC_ST_OK) {
        return st;
    }
    stw_le_p(out, op | EMB_FW_CMD_REPLY);
    stw_le_p(out + 2, 0);
    stl_le_p(out + 4, len);
    rsp->u.pt.len = len;
    s->mbox_data_used += len;
    return EMBER_NNC_ST_OK;
}

/* ---- Firmware: messages (nnc.md §7) ---- */

/*
 * Encode the reply into mbox_rsp; returns its length. The codec writes
 * major 1, the only wire format it knows: a firmware set to speak another
 * major (property nnc-major, only ever rejecting) patches it in.
 */
static uint32_t ember_fw_encode(EmberState *s, struct ember_nnc_hdr *rh,
                                const struct ember_nnc_rsp *rsps, uint32_t n)
{
    enum ember_nnc_reason why;
    int len;

    len = ember_nnc_encode_reply(s->mbox_rsp, EMBER_MBOX_SLOT_SIZE, rh, rsps,
                                 n, &why);
    if (len < 0) {
        /* The firmware built a reply its own codec refuses: a model bug */
        qemu_log_mask(LOG_UNIMP, "ember: fw: cannot encode reply: %s\n",
                      ember_nnc_reason_str(why));
        rh->status = EMBER_NNC_ST_IO;
        len = ember_nnc_encode_reply(s->mbox_rsp, EMBER_MBOX_SLOT_SIZE, rh,
                                     NULL, 0, &why);
        assert(len > 0);
    }
    if (s->nnc_major != EMBER_NNC_MAJOR) {
        stw_le_p(s->mbox_rsp + EMB_NNC_OFF_MAJOR, s->nnc_major);
        if (rh->flags & EMBER_NNC_F_CRC) {
            stl_le_p(s->mbox_rsp + EMB_NNC_OFF_CRC,
                     ember_nnc_crc32(s->mbox_rsp, len));
        }
    }
    return len;
}

/*
 * Refuse the request in mbox_req as a whole. Its header may be garbage:
 * echo the raw seq and handle (nnc.md §7.2). The reply has a CRC when CRC
 * is in effect or the request claimed one.
 */
static uint32_t ember_fw_reject(EmberState *s, uint16_t status)
{
    struct ember_nnc_hdr rh = { 0 };
    const uint8_t *req = s->mbox_req;

    rh.seq = ldl_le_p(req + EMB_NNC_OFF_SEQ);
    rh.handle = ldl_le_p(req + EMB_NNC_OFF_HANDLE);
    rh.status = status;
    if ((s->fw.features & EMBER_NNC_FEAT_CRC) ||
        (lduw_le_p(req + EMB_NNC_OFF_FLAGS) & EMBER_NNC_F_CRC)) {
        rh.flags = EMBER_NNC_F_CRC;
    }
    return ember_fw_encode(s, &rh, NULL, 0);
}

static uint32_t ember_fw_execute(EmberState *s, uint32_t handle,
                                 const struct ember_nnc_req *req,
                                 uint32_t index, struct ember_nnc_rsp *rsp)
{
    switch (req->type) {
    case EMBER_NNC_T_STATUS:
        return ember_fw_status(s, handle, req, rsp);
    case EMBER_NNC_T_PASSTHROUGH:
        return ember_fw_passthrough(s, handle, req, rsp);
    case EMBER_NNC_T_DMA_XFER:
        return ember_fw_dma_xfer(s, handle, req, index, rsp);
    case EMBER_NNC_T_ACTIVATE:
        return ember_fw_activate(s, handle, req, rsp);
    case EMBER_NNC_T_DEACTIVATE:
        return ember_fw_deactivate(s, handle, req, rsp);
    case EMBER_NNC_T_TERMINATE:
        rsp->u.term.released = ember_fw_release(s, handle);
        return EMBER_NNC_ST_OK;
    default:
        return EMBER_NNC_ST_UNSUPPORTED;
    }
}

/* Fields a reply echoes whatever its status (the driver checks them) */
static void ember_fw_rsp_init(const struct ember_nnc_req *req,
                              struct ember_nnc_rsp *rsp)
{
    memset(rsp, 0, sizeof(*rsp));
    rsp->type = req->type;
    if (req->type == EMBER_NNC_T_DMA_XFER) {
        rsp->u.dma.xfer_id = req->u.dma.xfer_id;
    } else if (req->type == EMBER_NNC_T_DEACTIVATE) {
        rsp->u.deact.dbc_id = req->u.deact.dbc_id;
    }
}

/* Execute the request in mbox_req, encode its reply; returns the length */
static uint32_t ember_fw_message(EmberState *s)
{
    struct ember_nnc_req reqs[EMBER_NNC_MAX_TRANS];
    struct ember_nnc_rsp rsps[EMBER_NNC_MAX_TRANS];
    struct ember_nnc_hdr hdr, rh = { 0 };
    uint32_t dflags = 0, i, st = EMBER_NNC_ST_OK;
    enum ember_nnc_reason why;
    EmberFwClient *c;
    int ret;

    if (s->nnc_major != EMBER_NNC_MAJOR) {
        /* This firmware speaks no major the codec knows: refuse all */
        return ember_fw_reject(s, ldl_le_p(s->mbox_req + EMB_NNC_OFF_MAGIC) ==
                               EMBER_NNC_MAGIC ? EMBER_NNC_ST_UNSUPPORTED :
                               EMBER_NNC_ST_INVAL);
    }
    if (s->fw.features & EMBER_NNC_FEAT_CRC) {
        dflags |= EMBER_NNC_DEC_REQUIRE_CRC;
    }
    ret = ember_nnc_decode_request(s->mbox_req, EMBER_MBOX_SLOT_SIZE, dflags,
                                   &hdr, reqs, EMBER_NNC_MAX_TRANS, &why);
    if (ret) {
        qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: request refused: %s\n",
                      ember_nnc_reason_str(why));
        return ember_fw_reject(s, ret == -EOPNOTSUPP ?
                               EMBER_NNC_ST_UNSUPPORTED :
                               ret == -EIO ? EMBER_NNC_ST_BADCRC :
                               EMBER_NNC_ST_INVAL);
    }
    /*
     * A client with a partial transfer must continue it (nnc.md §8), except
     * with TERMINATE (always alone), which drops it with everything else.
     */
    c = ember_fw_client(s, hdr.handle, false);
    if (c && reqs[0].type != EMBER_NNC_T_TERMINATE &&
        ember_nnc_reasm_begin(&c->reasm, reqs, hdr.count, &why)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ember: fw: client %u: %s\n",
                      hdr.handle, ember_nnc_reason_str(why));
        ember_fw_drop_partial(s, c);
        ember_fw_client_put(c);
        return ember_fw_reject(s, EMBER_NNC_ST_INVAL);
    }

    s->mbox_data_used = 0;
    for (i = 0; i < hdr.count; i++) {
        ember_fw_rsp_init(&reqs[i], &rsps[i]);
        if (st != EMBER_NNC_ST_OK) {
            rsps[i].status = EMBER_NNC_ST_NOT_RUN;
            continue;
        }
        st = ember_fw_execute(s, hdr.handle, &reqs[i], i, &rsps[i]);
        rsps[i].status = st;
    }

    rh.seq = hdr.seq;
    rh.handle = hdr.handle;
    if ((s->fw.features & EMBER_NNC_FEAT_CRC) ||
        (hdr.flags & EMBER_NNC_F_CRC)) {
        rh.flags = EMBER_NNC_F_CRC;
    }
    return ember_fw_encode(s, &rh, rsps, hdr.count);
}

/* ---- Mailbox (§3) ---- */

static bool ember_mbox_runnable(EmberState *s)
{
    return s->mbox_enabled && !s->fw_fatal && !s->reset_failed &&
           ember_in_d0(s) && ember_bus_master(s);
}

static bool ember_mbox_rsp_full(EmberState *s)
{
    return ((s->mbox_rsp_tail + 1) & (s->mbox_size - 1)) == s->mbox_rsp_head;
}

static void ember_mbox_kick(EmberState *s)
{
    if (s->mbox_enabled) {
        qemu_bh_schedule(s->mbox_bh);
    }
}

/* Stop serving; a reply held back by the delay knob is lost */
static void ember_mbox_stop(EmberState *s)
{
    timer_del(&s->mbox_timer);
    qemu_bh_cancel(s->mbox_bh);
    s->mbox_held = false;
    s->mbox_held_due = false;
}

static void ember_mbox_enable(EmberState *s)
{
    uint64_t req = deposit64(s->mbox_req_base_lo, 32, 32,
                             s->mbox_req_base_hi);
    uint64_t rsp = deposit64(s->mbox_rsp_base_lo, 32, 32,
                             s->mbox_rsp_base_hi);
    uint32_t depth = s->mbox_depth;

    if (s->mbox_enabled) {
        return;
    }
    if ((req & (EMBER_MBOX_SLOT_SIZE - 1)) ||
        (rsp & (EMBER_MBOX_SLOT_SIZE - 1)) ||
        depth < EMB_MBOX_DEPTH_MIN || depth > EMB_MBOX_DEPTH_MAX ||
        !is_power_of_2(depth)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: mailbox: bad setup req 0x%" PRIx64
                      " rsp 0x%" PRIx64 " depth %u\n", req, rsp, depth);
        s->mbox_error = true;
        return;
    }
    s->mbox_error = false;
    s->mbox_req_base = req;
    s->mbox_rsp_base = rsp;
    s->mbox_size = depth;
    s->mbox_req_head = s->mbox_req_tail = 0;
    s->mbox_rsp_head = s->mbox_rsp_tail = 0;
    s->mbox_enabled = true;
}

static void ember_mbox_disable(EmberState *s)
{
    ember_mbox_stop(s);
    s->mbox_enabled = false;
}

/* Make a reply fail validation: its CRC, or without one its magic */
static void ember_mbox_corrupt(uint8_t *msg, uint32_t len)
{
    if (lduw_le_p(msg + EMB_NNC_OFF_FLAGS) & EMBER_NNC_F_CRC) {
        msg[len - 1] ^= 0xff;   /* covered by the CRC, computed before */
    } else {
        msg[EMB_NNC_OFF_MAGIC] ^= 0xff;
    }
}

/* Write the reply in mbox_rsp to slot RSP_TAIL and signal it */
static void ember_mbox_post(EmberState *s, uint32_t len)
{
    uint64_t addr = s->mbox_rsp_base +
                    (uint64_t)s->mbox_rsp_tail * EMBER_MBOX_SLOT_SIZE;

    if (s->fi_mbox_corrupt) {
        s->fi_mbox_corrupt--;
        ember_mbox_corrupt(s->mbox_rsp, len);
    }
    if (ember_host_write(s, addr, s->mbox_rsp, len) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: mailbox: cannot write reply at 0x%" PRIx64 "\n",
                      addr);
        return;
    }
    s->mbox_rsp_tail = (s->mbox_rsp_tail + 1) & (s->mbox_size - 1);
    s->mgmt_cause |= EMBER_MGMT_CAUSE_MBOX;
    ember_irq_raise(s, 0);
}

/* Consume the request at REQ_HEAD, execute it and reply (or not) */
static void ember_mbox_process(EmberState *s)
{
    uint64_t addr = s->mbox_req_base +
                    (uint64_t)s->mbox_req_head * EMBER_MBOX_SLOT_SIZE;
    uint32_t len;

    s->mbox_req_head = (s->mbox_req_head + 1) & (s->mbox_size - 1);
    if (ember_host_read(s, addr, s->mbox_req, EMBER_MBOX_SLOT_SIZE) !=
        MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: mailbox: cannot read request at 0x%" PRIx64
                      "\n", addr);
        memset(s->mbox_req, 0, EMBER_MBOX_SLOT_SIZE);
        len = ember_fw_reject(s, EMBER_NNC_ST_IO);
    } else {
        len = ember_fw_message(s);
    }
    if (s->fi_mbox_drop) {
        s->fi_mbox_drop--;      /* executed, but the reply is never written */
        return;
    }
    if (s->fi_mbox_delay_ms) {
        s->mbox_held = true;
        s->mbox_held_due = false;
        s->mbox_held_len = len;
        timer_mod(&s->mbox_timer, ember_now() +
                  (int64_t)s->fi_mbox_delay_ms * SCALE_MS);
        return;
    }
    ember_mbox_post(s, len);
}

/* One message at a time, in order; a reply needs room in the queue */
static void ember_mbox_run(EmberState *s)
{
    unsigned n;

    for (n = 0; n < EMB_MBOX_BATCH; n++) {
        if (!ember_mbox_runnable(s) || ember_mbox_rsp_full(s)) {
            return;
        }
        if (s->mbox_held) {
            if (!s->mbox_held_due) {
                return;
            }
            s->mbox_held = false;
            s->mbox_held_due = false;
            ember_mbox_post(s, s->mbox_held_len);
            continue;
        }
        if (s->mbox_req_head == s->mbox_req_tail) {
            return;
        }
        ember_mbox_process(s);
    }
    qemu_bh_schedule(s->mbox_bh);
}

static void ember_mbox_bh(void *opaque)
{
    ember_mbox_run(opaque);
}

static void ember_mbox_timer(void *opaque)
{
    EmberState *s = opaque;

    /* The delayed reply is written from the (guarded) bottom half */
    if (s->mbox_held) {
        s->mbox_held_due = true;
        qemu_bh_schedule(s->mbox_bh);
    }
}

/* ---- Resets (§7) ---- */

static void ember_function_reset(EmberState *s, uint32_t cause)
{
    unsigned i;

    for (i = 0; i < EMBER_MAX_DBCS; i++) {
        ember_dbc_reset(&s->dbc[i], true);
    }

    s->scratch = 0;
    s->dev_ctrl = 0;
    s->irq_ctrl = 0;
    s->irq_status = 0;
    s->irq_mask = 0;
    s->test_irq_status = 0;
    s->mgmt_cause = 0;
    s->halted = false;

    s->fw_fatal = false;

    /* The mailbox stops and the firmware forgets everything it held */
    ember_mbox_disable(s);
    s->mbox_error = false;
    s->mbox_req_base_lo = s->mbox_req_base_hi = 0;
    s->mbox_rsp_base_lo = s->mbox_rsp_base_hi = 0;
    s->mbox_depth = 0;
    s->mbox_req_tail = s->mbox_rsp_head = 0;
    s->mbox_req_base = s->mbox_rsp_base = 0;
    s->mbox_size = 0;
    s->mbox_req_head = s->mbox_rsp_tail = 0;
    ember_fw_reset(s);

    s->fi_dbc_hang = 0;
    s->fi_drop_irq = 0;
    s->fi_corrupt_rsp = 0;
    s->fi_dup_rsp = 0;
    s->fi_mbox_drop = 0;
    s->fi_mbox_delay_ms = 0;
    s->fi_mbox_corrupt = 0;
    /* fi_fail_flr survives every reset */

    s->ras_status = 0;
    s->ras_dbc = 0;

    if (cause != EMBER_RESET_CAUSE_POWER_ON) {
        s->reset_count++;
    }
    s->reset_cause = cause;
}

/* qdev reset: power-on, FLR (BCR_FLR set while we run) or hot reset */
static void ember_qdev_reset(DeviceState *dev)
{
    EmberState *s = EMBER(dev);
    PCIDevice *pdev = PCI_DEVICE(s);
    uint16_t devctl = pci_get_word(pdev->config + pdev->exp.exp_cap +
                                   PCI_EXP_DEVCTL);

    if (s->power_on_pending) {
        s->power_on_pending = false;
        s->reset_count = 0;
        s->fi_fail_flr = s->fail_flr;
        s->reset_failed = false;
        s->power_on_ns = ember_now();
        ember_function_reset(s, EMBER_RESET_CAUSE_POWER_ON);
    } else if (devctl & PCI_EXP_DEVCTL_BCR_FLR) {
        ember_function_reset(s, EMBER_RESET_CAUSE_FLR);
        ember_devmem_zero(s);
        if (s->fi_fail_flr) {
            s->fi_fail_flr--;
            s->reset_failed = true;
        } else {
            s->reset_failed = false;
        }
    } else {
        /* Secondary bus reset, or a system reset */
        ember_function_reset(s, EMBER_RESET_CAUSE_HOT);
        ember_devmem_zero(s);
        s->reset_failed = false;
    }
    ember_pm_set_state(s, 0);
}

static void ember_write_config(PCIDevice *pdev, uint32_t addr, uint32_t val,
                               int len)
{
    EmberState *s = EMBER(pdev);
    unsigned old_pm = ember_pm_state(s);
    unsigned new_pm;

    pci_default_write_config(pdev, addr, val, len);

    if (ranges_overlap(addr, len, EMB_PM_CAP_OFF + PCI_PM_CTRL, 2)) {
        new_pm = ember_pm_state(s);
        if (new_pm == 1 || new_pm == 2) {
            /* D1 and D2 are not supported: the write has no effect */
            ember_pm_set_state(s, old_pm);
        } else if (old_pm == 3 && new_pm == 0) {
            /* No_Soft_Reset = 0: D3hot -> D0 resets the function */
            ember_function_reset(s, EMBER_RESET_CAUSE_D3);
        }
        /* Entering D3hot needs no action: DBCs check the power state */
    }

    pcie_cap_flr_write_config(pdev, addr, val, len);

    /* Bus mastering may have been turned on: let the engines look again */
    ember_kick_all(s);
    ember_mbox_kick(s);
}

/* ---- Register access ---- */

static void ember_ras_inject(EmberState *s, uint32_t bits)
{
    bits &= EMB_RAS_ALL;
    if (!bits) {
        return;
    }
    s->ras_status |= bits;
    if (bits & EMBER_RAS_CE) {
        s->ecc_ce++;
    }
    if (bits & EMBER_RAS_UE) {
        s->ecc_ue++;
        s->halted = true;
    }
    if (bits & EMBER_RAS_DBC_FATAL) {
        s->ras_dbc = 0;
        s->dbc[0].fatal = true;
    }
    if (bits & EMBER_RAS_FW_FATAL) {
        s->halted = true;
        s->fw_fatal = true;     /* the mailbox stops too */
    }
    s->mgmt_cause |= EMBER_MGMT_CAUSE_RAS;
    ember_irq_raise(s, 0);
}

static void ember_test_irq(EmberState *s, uint32_t v)
{
    if (v >= ember_num_sources(s)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ember: test IRQ %u out of range\n", v);
        return;
    }
    s->test_irq_status |= BIT(v);
    if (v == 0) {
        s->mgmt_cause |= EMBER_MGMT_CAUSE_TEST;
    }
    ember_irq_raise(s, v);
}

static uint32_t ember_dbc_status(EmberDbc *d)
{
    uint32_t v = 0;

    if (d->enabled) {
        v |= EMBER_DBC_STATUS_ENABLED;
        if (d->busy || d->req_head != d->req_tail) {
            v |= EMBER_DBC_STATUS_BUSY;
        }
    }
    if (d->setup_error) {
        v |= EMBER_DBC_STATUS_ERROR;
    }
    if (ember_dbc_hung(d)) {
        v |= EMBER_DBC_STATUS_HUNG;
    }
    return v;
}

static uint32_t ember_dbc_read(EmberDbc *d, hwaddr off)
{
    switch (off) {
    case EMBER_DBC_REQ_BASE_LO:
        return d->req_base_lo;
    case EMBER_DBC_REQ_BASE_HI:
        return d->req_base_hi;
    case EMBER_DBC_RSP_BASE_LO:
        return d->rsp_base_lo;
    case EMBER_DBC_RSP_BASE_HI:
        return d->rsp_base_hi;
    case EMBER_DBC_RING_SIZE:
        return d->ring_size_reg;
    case EMBER_DBC_REQ_HEAD:
        return d->req_head;
    case EMBER_DBC_REQ_TAIL:
        return d->req_tail;
    case EMBER_DBC_RSP_HEAD:
        return d->rsp_head;
    case EMBER_DBC_RSP_TAIL:
        return d->rsp_tail;
    case EMBER_DBC_CTRL:
        return d->enabled ? EMBER_DBC_CTRL_ENABLE : 0;
    case EMBER_DBC_STATUS:
        return ember_dbc_status(d);
    case EMBER_DBC_SERVICE_NS:
        return d->service_ns;
    case EMBER_DBC_COMPLETED_LO:
        return d->completed;
    case EMBER_DBC_COMPLETED_HI:
        return d->completed >> 32;
    case EMBER_DBC_BUSY_NS_LO:
        return d->busy_ns;
    case EMBER_DBC_BUSY_NS_HI:
        return d->busy_ns >> 32;
    case EMBER_DBC_IRQ_COUNT:
        return d->irq_count;
    case EMBER_DBC_ERRORS:
        return d->errors;
    default:
        return 0;
    }
}

static void ember_dbc_write(EmberDbc *d, hwaddr off, uint32_t val)
{
    switch (off) {
    case EMBER_DBC_REQ_BASE_LO:
        d->req_base_lo = val;
        break;
    case EMBER_DBC_REQ_BASE_HI:
        d->req_base_hi = val;
        break;
    case EMBER_DBC_RSP_BASE_LO:
        d->rsp_base_lo = val;
        break;
    case EMBER_DBC_RSP_BASE_HI:
        d->rsp_base_hi = val;
        break;
    case EMBER_DBC_RING_SIZE:
        d->ring_size_reg = val;
        break;
    case EMBER_DBC_REQ_TAIL:
        if (!d->enabled) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: DBC %u: REQ_TAIL written while disabled\n",
                          d->idx);
            break;
        }
        if (val >= d->size) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: DBC %u: REQ_TAIL %u >= ring size %u\n",
                          d->idx, val, d->size);
            break;
        }
        d->req_tail = val;
        ember_dbc_kick(d);
        break;
    case EMBER_DBC_RSP_HEAD:
        if (!d->enabled) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: DBC %u: RSP_HEAD written while disabled\n",
                          d->idx);
            break;
        }
        if (val >= d->size) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: DBC %u: RSP_HEAD %u >= ring size %u\n",
                          d->idx, val, d->size);
            break;
        }
        d->rsp_head = val;
        ember_dbc_kick(d);
        break;
    case EMBER_DBC_CTRL:
        if (val & ~(EMBER_DBC_CTRL_ENABLE | EMBER_DBC_CTRL_RESET)) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: DBC %u: reserved CTRL bits 0x%x\n",
                          d->idx, val);
        }
        if (val & EMBER_DBC_CTRL_RESET) {
            ember_dbc_reset(d, false);
        } else if (val & EMBER_DBC_CTRL_ENABLE) {
            ember_dbc_enable(d);
            ember_dbc_kick(d);
        } else {
            ember_dbc_disable(d);
        }
        break;
    case EMBER_DBC_SERVICE_NS:
        d->service_ns = val;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: DBC %u: write 0x%x to read-only offset 0x%"
                      HWADDR_PRIx "\n", d->idx, val, off);
        break;
    }
}

static uint64_t ember_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    EmberState *s = opaque;
    PCIDevice *pdev = PCI_DEVICE(s);
    uint32_t caps;
    uint64_t ts;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: %u-byte read at 0x%" HWADDR_PRIx
                      " (only aligned 32-bit accesses)\n", size, addr);
        return 0;
    }

    if (addr >= EMBER_DBC_BASE(0) &&
        addr < EMBER_DBC_BASE(EMBER_MAX_DBCS)) {
        unsigned i = (addr - EMBER_DBC_BASE(0)) / EMB_DBC_BLOCK_SIZE;

        if (i >= s->num_dbcs) {
            return 0;
        }
        return ember_dbc_read(&s->dbc[i], addr & (EMB_DBC_BLOCK_SIZE - 1));
    }

    switch (addr) {
    case EMBER_ID:
        return EMBER_ID_MAGIC;
    case EMBER_HW_VERSION:
        return EMB_HW_VERSION_VALUE;
    case EMBER_CAPS:
        caps = EMBER_CAP_MBOX | EMBER_CAP_TELEMETRY | EMBER_CAP_FAULT |
               EMBER_CAP_GEMM;
        if (msix_present(pdev)) {
            caps |= EMBER_CAP_MSIX;
        }
        return caps;
    case EMBER_DBC_INFO:
        return s->num_dbcs;     /* DBC_FIRST = 0 */
    case EMBER_DEVMEM_SIZE_LO:
        return s->mem_size;
    case EMBER_DEVMEM_SIZE_HI:
        return s->mem_size >> 32;
    case EMBER_FUNC_INFO:
        return 0;
    case EMBER_SCRATCH:
        return s->scratch;
    case EMBER_DEV_CTRL:
        return s->dev_ctrl;
    case EMBER_DEV_STATUS:
        return (s->reset_failed ? EMBER_DEV_STATUS_RESET_FAILED :
                EMBER_DEV_STATUS_READY) |
               (s->halted ? EMBER_DEV_STATUS_HALTED : 0) |
               (ember_in_d0(s) ? 0 : EMBER_DEV_STATUS_QUIESCED);
    case EMBER_IRQ_CTRL:
        return s->irq_ctrl | (ember_irq_mode(s) << 8);
    case EMBER_IRQ_STATUS:
        return s->irq_status;
    case EMBER_IRQ_MASK:
        return s->irq_mask;
    case EMBER_TEST_IRQ:
        return 0;
    case EMBER_TEST_IRQ_STATUS:
        return s->test_irq_status;
    case EMBER_MGMT_CAUSE:
        return s->mgmt_cause;
    case EMBER_RESET_COUNT:
        return s->reset_count;
    case EMBER_RESET_CAUSE:
        return s->reset_cause;
    case EMBER_SERIAL_LO:
        return s->serial;
    case EMBER_SERIAL_HI:
        return s->serial >> 32;

    case EMBER_MBOX_REQ_BASE_LO:
        return s->mbox_req_base_lo;
    case EMBER_MBOX_REQ_BASE_HI:
        return s->mbox_req_base_hi;
    case EMBER_MBOX_RSP_BASE_LO:
        return s->mbox_rsp_base_lo;
    case EMBER_MBOX_RSP_BASE_HI:
        return s->mbox_rsp_base_hi;
    case EMBER_MBOX_DEPTH:
        return s->mbox_depth;
    case EMBER_MBOX_REQ_TAIL:
        return s->mbox_req_tail;
    case EMBER_MBOX_RSP_HEAD:
        return s->mbox_rsp_head;
    case EMBER_MBOX_REQ_HEAD:
        return s->mbox_req_head;
    case EMBER_MBOX_RSP_TAIL:
        return s->mbox_rsp_tail;
    case EMBER_MBOX_CTRL:
        return s->mbox_enabled ? EMBER_MBOX_CTRL_ENABLE : 0;
    case EMBER_MBOX_STATUS:
        return (s->mbox_enabled ? EMBER_MBOX_STATUS_ENABLED : 0) |
               (s->mbox_error ? EMBER_MBOX_STATUS_ERROR : 0);

    case EMBER_FW_MGMT_VERSION:
        return EMB_FW_MGMT_VALUE;
    case EMBER_FW_DBC_VERSION:
        return EMB_FW_DBC_VALUE;
    case EMBER_FW_BOOT_VERSION:
        return EMB_FW_BOOT_VALUE;
    case EMBER_FW_NNC_VERSION:
        return ((uint32_t)s->nnc_major << 16) | EMBER_NNC_MINOR;

    case EMBER_TEL_TEMP_MC:
        return ember_tel_scale(s, 40000, 85000);
    case EMBER_TEL_TEMP_CRIT_MC:
        return 95000;
    case EMBER_TEL_POWER_MW:
        return ember_tel_scale(s, 15000, 70000);
    case EMBER_TEL_POWER_CAP_MW:
        return 75000;
    case EMBER_TEL_CORE_CLK_MHZ:
        return ember_tel_scale(s, 300, 1400);
    case EMBER_TEL_MEM_CLK_MHZ:
        return ember_in_d0(s) ? 1600 : 0;
    case EMBER_TEL_ECC_CE:
        return s->ecc_ce;
    case EMBER_TEL_ECC_UE:
        return s->ecc_ue;
    case EMBER_TEL_TIMESTAMP_LO:
        ts = ember_dev_time(s);
        s->ts_hi_latch = ts >> 32;
        return ts;
    case EMBER_TEL_TIMESTAMP_HI:
        return s->ts_hi_latch;

    case EMBER_FI_DBC_HANG:
        return s->fi_dbc_hang;
    case EMBER_FI_DROP_IRQ:
        return s->fi_drop_irq;
    case EMBER_FI_CORRUPT_RSP:
        return s->fi_corrupt_rsp;
    case EMBER_FI_RAS:
        return 0;
    case EMBER_FI_FAIL_FLR:
        return s->fi_fail_flr;
    case EMBER_FI_MBOX_DROP:
        return s->fi_mbox_drop;
    case EMBER_FI_MBOX_DELAY_MS:
        return s->fi_mbox_delay_ms;
    case EMBER_FI_MBOX_CORRUPT:
        return s->fi_mbox_corrupt;
    case EMBER_FI_DUP_RSP:
        return s->fi_dup_rsp;

    case EMBER_RAS_STATUS:
        return s->ras_status;
    case EMBER_RAS_DBC:
        return s->ras_dbc;

    default:
        return 0;
    }
}

static void ember_mmio_write(void *opaque, hwaddr addr, uint64_t val64,
                             unsigned size)
{
    EmberState *s = opaque;
    uint32_t val = val64;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: %u-byte write at 0x%" HWADDR_PRIx
                      " ignored (only aligned 32-bit accesses)\n", size, addr);
        return;
    }
    if (!ember_in_d0(s)) {
        /* Quiesced (§6): the function ignores register writes */
        return;
    }

    if (addr >= EMBER_DBC_BASE(0) &&
        addr < EMBER_DBC_BASE(EMBER_MAX_DBCS)) {
        unsigned i = (addr - EMBER_DBC_BASE(0)) / EMB_DBC_BLOCK_SIZE;

        if (i < s->num_dbcs) {
            ember_dbc_write(&s->dbc[i], addr & (EMB_DBC_BLOCK_SIZE - 1),
                            val);
        }
        return;
    }

    switch (addr) {
    case EMBER_SCRATCH:
        s->scratch = val;
        break;
    case EMBER_DEV_CTRL:
        if (val & EMBER_DEV_CTRL_SOFT_RESET) {
            ember_function_reset(s, EMBER_RESET_CAUSE_SOFT);
            break;
        }
        s->dev_ctrl = val & EMBER_DEV_CTRL_ENABLE;
        ember_kick_all(s);
        break;
    case EMBER_IRQ_CTRL:
        s->irq_ctrl = val & EMBER_IRQ_CTRL_SINGLE;
        break;
    case EMBER_IRQ_STATUS:
        s->irq_status &= ~val;
        break;
    case EMBER_IRQ_MASK:
        s->irq_mask = val & ember_source_mask(s);
        break;
    case EMBER_TEST_IRQ:
        ember_test_irq(s, val);
        break;
    case EMBER_TEST_IRQ_STATUS:
        s->test_irq_status &= ~val;
        break;
    case EMBER_MGMT_CAUSE:
        s->mgmt_cause &= ~val;
        break;

    case EMBER_MBOX_REQ_BASE_LO:
        s->mbox_req_base_lo = val;
        break;
    case EMBER_MBOX_REQ_BASE_HI:
        s->mbox_req_base_hi = val;
        break;
    case EMBER_MBOX_RSP_BASE_LO:
        s->mbox_rsp_base_lo = val;
        break;
    case EMBER_MBOX_RSP_BASE_HI:
        s->mbox_rsp_base_hi = val;
        break;
    case EMBER_MBOX_DEPTH:
        s->mbox_depth = val;
        break;
    case EMBER_MBOX_REQ_TAIL:
    case EMBER_MBOX_RSP_HEAD:
        if (!s->mbox_enabled || val >= s->mbox_size) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: mailbox: index %u written to 0x%" HWADDR_PRIx
                          " while disabled or >= depth %u\n", val, addr,
                          s->mbox_size);
            break;
        }
        if (addr == EMBER_MBOX_REQ_TAIL) {
            s->mbox_req_tail = val;
        } else {
            s->mbox_rsp_head = val;
        }
        ember_mbox_kick(s);
        break;
    case EMBER_MBOX_CTRL:
        if (val & ~EMBER_MBOX_CTRL_ENABLE) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "ember: mailbox: reserved CTRL bits 0x%x\n", val);
        }
        if (val & EMBER_MBOX_CTRL_ENABLE) {
            ember_mbox_enable(s);
            ember_mbox_kick(s);
        } else {
            ember_mbox_disable(s);
        }
        break;

    case EMBER_FI_DBC_HANG:
        s->fi_dbc_hang = val & ember_dbc_mask(s);
        ember_kick_all(s);
        break;
    case EMBER_FI_DROP_IRQ:
        s->fi_drop_irq = val;
        break;
    case EMBER_FI_CORRUPT_RSP:
        s->fi_corrupt_rsp = val;
        break;
    case EMBER_FI_RAS:
        ember_ras_inject(s, val);
        break;
    case EMBER_FI_FAIL_FLR:
        s->fi_fail_flr = val;
        break;
    case EMBER_FI_MBOX_DROP:
        s->fi_mbox_drop = val;
        break;
    case EMBER_FI_MBOX_DELAY_MS:
        s->fi_mbox_delay_ms = val;
        break;
    case EMBER_FI_MBOX_CORRUPT:
        s->fi_mbox_corrupt = val;
        break;
    case EMBER_FI_DUP_RSP:
        s->fi_dup_rsp = val;
        break;

    case EMBER_RAS_STATUS:
        s->ras_status &= ~val;
        break;

    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: write 0x%x to read-only or reserved offset 0x%"
                      HWADDR_PRIx "\n", val, addr);
        break;
    }
}

static const MemoryRegionOps ember_mmio_ops = {
    .read = ember_mmio_read,
    .write = ember_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

/* ---- Device lifecycle ---- */

static bool ember_check_props(EmberState *s, Error **errp)
{
    if (s->num_dbcs < 1 || s->num_dbcs > EMBER_MAX_DBCS) {
        error_setg(errp, "dbcs must be in 1..%d (got %u)",
                   EMBER_MAX_DBCS, s->num_dbcs);
        return false;
    }
    if (s->mem_size < EMB_MEM_MIN || s->mem_size > EMB_MEM_MAX ||
        !is_power_of_2(s->mem_size)) {
        error_setg(errp, "mem-size must be a power of two in "
                   "16M..16G (got %" PRIu64 ")", s->mem_size);
        return false;
    }
    if (s->service_ns > UINT32_MAX) {
        error_setg(errp, "service-ns must be at most %u (got %" PRIu64
                   ")", UINT32_MAX, s->service_ns);
        return false;
    }
    if (s->total_vfs > EMBER_MAX_DBCS) {
        error_setg(errp, "total-vfs must be at most %d (got %u)",
                   EMBER_MAX_DBCS, s->total_vfs);
        return false;
    }
    if (s->pf_reserve == UINT64_MAX) {
        s->pf_reserve = s->mem_size / 8;
    }
    if (s->pf_reserve >= s->mem_size) {
        error_setg(errp, "pf-reserve must be below mem-size (got %"
                   PRIu64 ")", s->pf_reserve);
        return false;
    }
    if (!s->nnc_major) {
        error_setg(errp, "nnc-major must be at least 1");
        return false;
    }
    return true;
}

static void ember_realize(PCIDevice *pdev, Error **errp)
{
    EmberState *s = EMBER(pdev);
    uint8_t *conf = pdev->config;
    Error *local_err = NULL;
    unsigned i;
    int ret;

    if (!ember_check_props(s, errp)) {
        return;
    }

    pci_config_set_interrupt_pin(conf, 0);

    /* PCI power management: D0 and D3hot, No_Soft_Reset = 0 */
    ret = pci_add_capability(pdev, PCI_CAP_ID_PM, EMB_PM_CAP_OFF,
                             PCI_PM_SIZEOF, errp);
    if (ret < 0) {
        return;
    }
    pci_set_word(conf + EMB_PM_CAP_OFF + PCI_PM_PMC, 0x3); /* version 1.2 */
    pci_set_word(conf + EMB_PM_CAP_OFF + PCI_PM_CTRL, 0);
    pci_set_word(pdev->wmask + EMB_PM_CAP_OFF + PCI_PM_CTRL,
                 PCI_PM_CTRL_STATE_MASK);

    ret = pcie_endpoint_cap_init(pdev, EMB_PCIE_CAP_OFF);
    if (ret < 0) {
        error_setg(errp, "cannot add the PCIe capability");
        return;
    }
    pcie_cap_flr_init(pdev);

    ret = msi_init(pdev, EMB_MSI_CAP_OFF, 1, true, false, &local_err);
    if (ret < 0) {
        error_propagate(errp, local_err);
        goto fail_pcie;
    }

    memory_region_init_io(&s->mmio, OBJECT(s), &ember_mmio_ops, s,
                          "ember-regs", EMB_BAR0_SIZE);
    pci_register_bar(pdev, EMBER_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);

    memory_region_init_ram(&s->devmem, OBJECT(s), "ember-devmem",
                           s->mem_size, &local_err);
    if (local_err) {
        error_propagate(errp, local_err);
        goto fail_msi;
    }
    s->devmem_ptr = memory_region_get_ram_ptr(&s->devmem);
    pci_register_bar(pdev, EMBER_BAR_DEVMEM,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->devmem);

    if (s->msix) {
        memory_region_init(&s->msix_bar, OBJECT(s), "ember-msix",
                           EMB_MSIX_BAR_SIZE);
        ret = msix_init(pdev, ember_num_sources(s),
                        &s->msix_bar, EMBER_BAR_MSIX, EMB_MSIX_TABLE_OFF,
                        &s->msix_bar, EMBER_BAR_MSIX, EMB_MSIX_PBA_OFF,
                        EMB_MSIX_CAP_OFF, &local_err);
        if (ret < 0) {
            error_propagate(errp, local_err);
            goto fail_msi;
        }
        pci_register_bar(pdev, EMBER_BAR_MSIX, PCI_BASE_ADDRESS_SPACE_MEMORY,
                         &s->msix_bar);
        for (i = 0; i < ember_num_sources(s); i++) {
            msix_vector_use(pdev, i);
        }
    }

    s->bounce = g_malloc(EMB_BOUNCE_SIZE);
    for (i = 0; i < EMBER_MAX_DBCS; i++) {
        EmberDbc *d = &s->dbc[i];

        d->s = s;
        d->idx = i;
        d->service_ns = s->service_ns;
        timer_init_ns(&d->timer, QEMU_CLOCK_VIRTUAL, ember_dbc_timer, d);
#ifdef qemu_bh_new_guarded
        d->bh = qemu_bh_new_guarded(ember_dbc_bh, d,
                                    &DEVICE(s)->mem_reentrancy_guard);
#else
        d->bh = qemu_bh_new(ember_dbc_bh, d);
#endif
    }
    for (i = 0; i < EMB_TEL_BUCKETS; i++) {
        s->tel_bucket_id[i] = -1;
    }

    s->mbox_req = g_malloc0(EMBER_MBOX_SLOT_SIZE);
    s->mbox_rsp = g_malloc0(EMBER_MBOX_SLOT_SIZE);
    s->mbox_data = g_malloc0(EMBER_MBOX_SLOT_SIZE);
    timer_init_ns(&s->mbox_timer, QEMU_CLOCK_VIRTUAL, ember_mbox_timer, s);
#ifdef qemu_bh_new_guarded
    s->mbox_bh = qemu_bh_new_guarded(ember_mbox_bh, s,
                                     &DEVICE(s)->mem_reentrancy_guard);
#else
    s->mbox_bh = qemu_bh_new(ember_mbox_bh, s);
#endif
    QLIST_INIT(&s->fw.clients);
    s->fw.next_wl_id = 1;

    s->power_on_ns = ember_now();
    s->power_on_pending = true;
    s->fi_fail_flr = s->fail_flr;
    return;

fail_msi:
    msi_uninit(pdev);
fail_pcie:
    pcie_cap_exit(pdev);
}

static void ember_exit(PCIDevice *pdev)
{
    EmberState *s = EMBER(pdev);
    unsigned i;

    for (i = 0; i < EMBER_MAX_DBCS; i++) {
        EmberDbc *d = &s->dbc[i];

        timer_del(&d->timer);
        if (d->bh) {
            qemu_bh_delete(d->bh);
            d->bh = NULL;
        }
    }
    g_free(s->bounce);
    s->bounce = NULL;

    ember_mbox_stop(s);
    if (s->mbox_bh) {
        qemu_bh_delete(s->mbox_bh);
        s->mbox_bh = NULL;
    }
    ember_fw_reset(s);
    g_free(s->mbox_req);
    g_free(s->mbox_rsp);
    g_free(s->mbox_data);
    s->mbox_req = s->mbox_rsp = s->mbox_data = NULL;
    if (s->msix) {
        msix_uninit(pdev, &s->msix_bar, &s->msix_bar);
    }
    msi_uninit(pdev);
    pcie_cap_exit(pdev);
}

static Property ember_properties[] = {
    DEFINE_PROP_UINT32("dbcs", EmberState, num_dbcs, 4),
    DEFINE_PROP_SIZE("mem-size", EmberState, mem_size, 256 * MiB),
    DEFINE_PROP_BOOL("msix", EmberState, msix, true),
    DEFINE_PROP_UINT64("service-ns", EmberState, service_ns, 0),
    DEFINE_PROP_UINT64("serial", EmberState, serial, 0x454d000000000001ULL),
    DEFINE_PROP_UINT32("fail-flr", EmberState, fail_flr, 0),
    DEFINE_PROP_UINT32("total-vfs", EmberState, total_vfs, 4),
    DEFINE_PROP_SIZE("pf-reserve", EmberState, pf_reserve, UINT64_MAX),
    DEFINE_PROP_UINT16("nnc-major", EmberState, nnc_major, EMBER_NNC_MAJOR),
    DEFINE_PROP_END_OF_LIST(),
};

static const VMStateDescription ember_vmstate = {
    .name = TYPE_EMBER,
    .unmigratable = 1,
};

static void ember_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = ember_realize;
    k->exit = ember_exit;
    k->config_write = ember_write_config;
    k->vendor_id = EMBER_PCI_VENDOR;
    k->device_id = EMBER_PCI_DEVICE_PF;
    k->revision = EMB_REVISION;
    k->class_id = PCI_CLASS_PROCESSING_ACCEL;

    dc->desc = "ember AI accelerator";
    dc->reset = ember_qdev_reset;
    dc->vmsd = &ember_vmstate;
    device_class_set_props(dc, ember_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo ember_info = {
    .name          = TYPE_EMBER,
    .parent        = TYPE_PCI_DEVICE,
    .instance_size = sizeof(EmberState),
    .class_init    = ember_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void ember_register_types(void)
{
    type_register_static(&ember_info);
}

type_init(ember_register_types)
