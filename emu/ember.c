/*
 * ember AI accelerator: PCIe device model
 *
 * The hardware is specified in docs/hardware.md of the ember project; this
 * file implements version 1.0 of that specification for the physical
 * function (SR-IOV and the management mailbox firmware come later).
 * Register and field names match docs/hardware.md and kmd/ember_regs.h.
 *
 * Overview:
 *  - BAR0: 64 KiB of registers (global, mailbox storage, firmware versions,
 *    telemetry, fault injection, RAS and one block per DMA bridge channel)
 *  - BAR2: device memory (RAM), 64-bit prefetchable
 *  - BAR4: MSI-X table and PBA (absent with msix=off)
 *  - DMA bridge channels (DBCs): request and response rings in host memory,
 *    executed from a bottom half (service-ns 0) or a per-DBC virtual-clock
 *    timer (service-ns > 0), never from the MMIO handler.
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

#include <zlib.h>

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
#define EMB_FW_NNC_VALUE              ((1 << 16) | 0)  /* NNC 1.0 */

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
} EmberDbc;

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

    /* Mailbox registers: plain storage for now */
    uint32_t mbox_req_base_lo;
    uint32_t mbox_req_base_hi;
    uint32_t mbox_rsp_base_lo;
    uint32_t mbox_rsp_base_hi;
    uint32_t mbox_depth;
    uint32_t mbox_req_tail;
    uint32_t mbox_rsp_head;
    uint32_t mbox_ctrl;

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

    s->mbox_req_base_lo = s->mbox_req_base_hi = 0;
    s->mbox_rsp_base_lo = s->mbox_rsp_base_hi = 0;
    s->mbox_depth = 0;
    s->mbox_req_tail = s->mbox_rsp_head = 0;
    s->mbox_ctrl = 0;

    s->fi_dbc_hang = 0;
    s->fi_drop_irq = 0;
    s->fi_corrupt_rsp = 0;
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

    /* Bus mastering may have been turned on: let the DBCs look again */
    ember_kick_all(s);
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
        caps = EMBER_CAP_TELEMETRY | EMBER_CAP_FAULT | EMBER_CAP_GEMM;
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
    case EMBER_MBOX_CTRL:
        return s->mbox_ctrl;
    case EMBER_MBOX_REQ_HEAD:
    case EMBER_MBOX_RSP_TAIL:
    case EMBER_MBOX_STATUS:
        return 0;

    case EMBER_FW_MGMT_VERSION:
        return EMB_FW_MGMT_VALUE;
    case EMBER_FW_DBC_VERSION:
        return EMB_FW_DBC_VALUE;
    case EMBER_FW_BOOT_VERSION:
        return EMB_FW_BOOT_VALUE;
    case EMBER_FW_NNC_VERSION:
        return EMB_FW_NNC_VALUE;

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
        s->mbox_req_tail = val;
        break;
    case EMBER_MBOX_RSP_HEAD:
        s->mbox_rsp_head = val;
        break;
    case EMBER_MBOX_CTRL:
        s->mbox_ctrl = val & EMBER_MBOX_CTRL_ENABLE;
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
