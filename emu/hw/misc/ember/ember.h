/*
 * ember AI accelerator: PCIe device model, state shared by its files
 *
 * The hardware is specified in docs/hardware.md of the ember project; the
 * model implements version 1.0 of that specification for the physical
 * function (SR-IOV comes later). Registers, ring entry formats, hardware
 * opcodes, the NNC wire format and the firmware commands are not written
 * here: they come from the project's common/ (ember_hw.h, ember_nnc.h,
 * ember_fwcmd.h), which emu/build-qemu.sh copies beside these files.
 *
 * One concern a file, named after the sections of docs/hardware.md:
 *  ember-pci.c        PCI function (§1), BARs, config space, BAR0 decode
 *                     and the global block (§2.1), power management (§6),
 *                     resets (§7), realize
 *  ember-irq.c        interrupts (§4): sources, MSI-X, MSI, test interrupt
 *  ember-dbc.c        DMA bridge channels (§5): rings, doorbells, request
 *                     fetch, responses, the DBC register blocks (§2.6)
 *  ember-exec.c       operations (§5.3): COPY, FILL, CRC32, GEMM_I8
 *  ember-mbox.c       management mailbox (§3, §2.3)
 *  ember-fw.c         management firmware (docs/nnc.md): NNC messages and
 *                     transactions, clients, staged DMA transfers, DBC
 *                     activation, firmware version registers (§2.4)
 *  ember-workload.c   firmware commands (nnc.md §15): workload loader and
 *                     the device-memory allocator
 *  ember-fault.c      fault injection (§2.7) and RAS (§2.8, §8)
 *  ember-telemetry.c  telemetry (§2.5)
 *  ember-nnc.c        the NNC codec of common/, compiled for the firmware
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_EMBER_H
#define HW_MISC_EMBER_H

#include "qemu/units.h"
#include "qemu/timer.h"
#include "qemu/queue.h"
#include "qemu/thread.h"
#include "qemu/event_notifier.h"
#include "exec/memory.h"
#include "hw/pci/pci.h"
#include "qom/object.h"

#include "ember_hw.h"
#include "ember_nnc.h"
#include "ember_fwcmd.h"

/* ---- Model constants (not part of the register interface) ---- */

#define TYPE_EMBER                    "ember"

#ifndef PCI_CLASS_PROCESSING_ACCEL
#define PCI_CLASS_PROCESSING_ACCEL    0x1200
#endif

#define EMB_REVISION                  0x01
#define EMB_BAR0_SIZE                 (64 * KiB)
#define EMB_MSIX_BAR_SIZE             (4 * KiB)
#define EMB_MSIX_TABLE_OFF            0x000
#define EMB_MSIX_PBA_OFF              0x800
#define EMB_DBC_BLOCK_SIZE            (EMBER_DBC_BASE(1) - EMBER_DBC_BASE(0))

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

#define EMB_REQ_FLAGS_VALID           (EMBER_REQ_FORCE_IRQ | \
                                       EMBER_REQ_SRC_DEVMEM | \
                                       EMBER_REQ_DST_DEVMEM | \
                                       EMBER_REQ_NO_RSP)
#define EMB_GEMM_DIM_MAX              4096
#define EMB_RAS_ALL                   (EMBER_RAS_CE | EMBER_RAS_UE | \
                                       EMBER_RAS_DBC_FATAL | \
                                       EMBER_RAS_FW_FATAL)

/* The engine's batch a DBC when service time is 0 (§5.4) */
#define EMB_BATCH_REQS                64
#define EMB_BATCH_BYTES               (64 * MiB)
/* Bounce buffer for host<->host streaming */
#define EMB_BOUNCE_SIZE               (64 * KiB)

/* The host time slice the engine thread asks for (ember-dbc.c), ns */
#define EMB_ENGINE_SLICE_NS           100000

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

/* Features the firmware supports (nnc.md §3) */
#define EMB_FW_FEATURES               EMBER_NNC_FEAT_CRC

/* Allocated ranges of device memory: every region of every workload */
#define EMB_FW_MAX_EXTENTS            (EMBER_FW_MAX_WORKLOADS * \
                                       EMBER_FW_MAX_REGIONS)
/* Staging memory: per client (nnc.md §15.2), and all clients */
#define EMB_FW_STAGE_CLIENT_MAX       (256 * MiB)
#define EMB_FW_STAGE_TOTAL_MAX        (1 * GiB)

/* Operand slots of a workload step, and how an operation uses each */
#define EMB_FW_SRC                    0
#define EMB_FW_DST                    1
#define EMB_FW_AUX                    2
#define EMB_FW_USE_NONE               0
#define EMB_FW_USE_OPTIONAL           1
#define EMB_FW_USE_REQUIRED           2
#define EMB_FW_USE_PATTERN            3       /* kind none, index = FILL byte */

OBJECT_DECLARE_SIMPLE_TYPE(EmberState, EMBER)

/* A request as read from the ring (struct ember_dbc_req), host byte order */
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
    int64_t due;                /* virtual-clock end of its service time */

    /* Firmware bookkeeping: activated by ACTIVATE for client fw_owner */
    bool fw_active;
    uint32_t fw_owner;
} EmberDbc;

/* One step of a workload program (docs/nnc.md §15.3) */
typedef struct EmberFwStep {
    uint8_t op;                 /* EMBER_HW_OP_* */
    uint8_t kind[3];            /* EMB_FW_SRC, _DST, _AUX: EMBER_FW_OPND_* */
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
    char name[EMBER_FW_NAME_LEN + 1];
    uint32_t nregions;
    uint32_t nsteps;
    uint32_t ninputs;
    uint32_t noutputs;
    uint64_t region_size[EMBER_FW_MAX_REGIONS];  /* as requested */
    uint64_t region_off[EMBER_FW_MAX_REGIONS];   /* in device memory */
    EmberFwStep steps[EMBER_FW_MAX_STEPS];
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
    EmberWorkload wl[EMBER_FW_MAX_WORKLOADS];
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

    /*
     * DBC engine (ember-dbc.c): a thread that runs the kicked DBCs, and
     * the DBCs whose service time is over, under the BQL. engine_kicked
     * and engine_quit change under the BQL (atomically: the engine looks
     * at them without it before it sleeps); engine_sleeping is the
     * engine's own.
     */
    QemuThread engine_thread;
    EventNotifier engine_notifier; /* wakes the engine from its sleep */
    bool engine_sleeping;       /* the engine sleeps, or is about to */
    uint32_t engine_kicked;     /* BIT(i): DBC i has something to look at */
    bool engine_quit;           /* the thread exits at its next round */
    VMChangeStateEntry *engine_vmstate; /* wakes it when the VM runs */

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

/* ---- Helpers every part uses ---- */

static inline int64_t ember_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static inline uint64_t ember_dev_time(EmberState *s)
{
    return ember_now() - s->power_on_ns;
}

static inline uint32_t ember_num_sources(EmberState *s)
{
    return 1 + s->num_dbcs;
}

static inline uint32_t ember_source_mask(EmberState *s)
{
    return MAKE_64BIT_MASK(0, ember_num_sources(s));
}

static inline uint32_t ember_dbc_mask(EmberState *s)
{
    return MAKE_64BIT_MASK(0, s->num_dbcs);
}

/* @val placed in the register field @mask (FIELD_PREP of Linux) */
static inline uint32_t ember_field_prep(uint32_t mask, uint32_t val)
{
    return (val << ctz32(mask)) & mask;
}

static inline unsigned ember_pm_state(EmberState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    return pci_get_word(pdev->config + EMB_PM_CAP_OFF + PCI_PM_CTRL) &
           PCI_PM_CTRL_STATE_MASK;
}

static inline bool ember_in_d0(EmberState *s)
{
    return ember_pm_state(s) == 0;
}

static inline bool ember_bus_master(EmberState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    return pci_get_word(pdev->config + PCI_COMMAND) & PCI_COMMAND_MASTER;
}

static inline bool ember_devmem_range_ok(EmberState *s, uint64_t off,
                                         uint64_t len)
{
    return len <= s->mem_size && off <= s->mem_size - len;
}

/* ---- ember-pci.c: bus master DMA of the function ---- */

MemTxResult ember_host_read(EmberState *s, uint64_t addr, void *buf,
                            uint64_t len);
MemTxResult ember_host_write(EmberState *s, uint64_t addr, const void *buf,
                             uint64_t len);

/* ---- ember-irq.c ---- */

bool ember_irq_raise(EmberState *s, unsigned src);
uint32_t ember_irq_mode(EmberState *s);
void ember_test_irq(EmberState *s, uint32_t v);

/* ---- ember-dbc.c ---- */

void ember_dbc_init(EmberState *s, EmberDbc *d, unsigned idx);
bool ember_dbc_engine_start(EmberState *s, Error **errp);
void ember_dbc_engine_stop(EmberState *s);
void ember_dbc_reset(EmberDbc *d, bool regs);
void ember_dbc_disable(EmberDbc *d);
void ember_dbc_kick_all(EmberState *s);
uint32_t ember_dbc_read(EmberDbc *d, hwaddr off);
void ember_dbc_write(EmberDbc *d, hwaddr off, uint32_t val);

/* ---- ember-exec.c ---- */

uint8_t ember_req_validate(const EmberReq *r);
uint8_t ember_req_execute(EmberState *s, const EmberReq *r, uint32_t *result);
uint64_t ember_req_bytes(const EmberReq *r);

/* ---- ember-mbox.c ---- */

void ember_mbox_init(EmberState *s);
void ember_mbox_exit(EmberState *s);
void ember_mbox_reset(EmberState *s);
void ember_mbox_kick(EmberState *s);
uint32_t ember_mbox_read(EmberState *s, hwaddr addr);
bool ember_mbox_write(EmberState *s, hwaddr addr, uint32_t val);

/* ---- ember-fw.c ---- */

void ember_fw_init(EmberState *s);
void ember_fw_reset(EmberState *s);
uint32_t ember_fw_message(EmberState *s);
uint32_t ember_fw_reject(EmberState *s, uint16_t status);
uint32_t ember_fw_regs_read(EmberState *s, hwaddr addr);
EmberFwClient *ember_fw_client(EmberState *s, uint32_t handle, bool create);
void ember_fw_client_put(EmberFwClient *c);
EmberFwXfer *ember_fw_xfer(EmberFwClient *c, uint32_t tag);
void ember_fw_drop_xfer(EmberState *s, EmberFwClient *c, EmberFwXfer *x);

/* ---- ember-workload.c ---- */

uint32_t ember_fw_passthrough(EmberState *s, uint32_t handle,
                              const struct ember_nnc_req *req,
                              struct ember_nnc_rsp *rsp);
void ember_wl_release(EmberState *s, uint32_t handle);
void ember_wl_reset(EmberState *s);

/* ---- ember-fault.c ---- */

void ember_fault_reset(EmberState *s);
uint32_t ember_fault_read(EmberState *s, hwaddr addr);
bool ember_fault_write(EmberState *s, hwaddr addr, uint32_t val);

/* ---- ember-telemetry.c ---- */

void ember_tel_init(EmberState *s);
void ember_tel_add_busy(EmberState *s, int64_t start, int64_t end);
uint32_t ember_tel_read(EmberState *s, hwaddr addr);

#endif /* HW_MISC_EMBER_H */
