/*
 * ember AI accelerator: the PCI function (docs/hardware.md §1, §2, §6, §7)
 *
 * The PCIe endpoint and what is not a block of its own: config space and
 * capabilities (PM, PCIe with FLR, MSI, MSI-X), the BARs (BAR0 registers,
 * BAR2 device memory, BAR4 MSI-X table and PBA), bus master DMA, the
 * decode of BAR0 into its blocks and the global block itself (§2.1),
 * power management (§6), the resets (§7), properties and realize.
 *
 * Overview of the model:
 *  - BAR0: 64 KiB of registers (global, mailbox, firmware versions,
 *    telemetry, fault injection, RAS and one block per DMA bridge channel)
 *  - BAR2: device memory (RAM), 64-bit prefetchable
 *  - BAR4: MSI-X table and PBA (absent with msix=off)
 *  - DMA bridge channels (ember-dbc.c, ember-exec.c): request and response
 *    rings in host memory, executed by the device's engine thread (at
 *    once with service-ns 0, when the request's service time on the
 *    virtual clock is over with service-ns > 0), never from the MMIO
 *    handler.
 *  - Management mailbox and firmware (ember-mbox.c, ember-fw.c,
 *    ember-workload.c): request and response queues in host memory
 *    carrying NNC messages (docs/nnc.md), served from a bottom half with
 *    the driver's own codec (common/ember_nnc.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/range.h"
#include "qapi/error.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "sysemu/dma.h"
#include "ember.h"
#include "trace.h"

/* ---- Bus master DMA ---- */

MemTxResult ember_host_read(EmberState *s, uint64_t addr, void *buf,
                            uint64_t len)
{
    MemTxResult res;

    if (addr + len < addr) {
        res = MEMTX_DECODE_ERROR;
    } else {
        res = pci_dma_read(PCI_DEVICE(s), addr, buf, len);
    }
    trace_ember_dma_read(addr, len, res);
    return res;
}

MemTxResult ember_host_write(EmberState *s, uint64_t addr, const void *buf,
                             uint64_t len)
{
    MemTxResult res;

    if (addr + len < addr) {
        res = MEMTX_DECODE_ERROR;
    } else {
        res = pci_dma_write(PCI_DEVICE(s), addr, buf, len);
    }
    trace_ember_dma_write(addr, len, res);
    return res;
}

/* ---- Power management (§6) and resets (§7) ---- */

static void ember_pm_set_state(EmberState *s, unsigned state)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint8_t *pmcsr = pdev->config + EMB_PM_CAP_OFF + PCI_PM_CTRL;

    pci_set_word(pmcsr, (pci_get_word(pmcsr) & ~PCI_PM_CTRL_STATE_MASK) |
                 state);
}

static void ember_devmem_zero(EmberState *s)
{
    RAMBlock *rb = s->devmem.ram_block;

    /* Cheap for large memories: the pages read as zero again */
    if (!rb || ram_block_discard_range(rb, 0, s->mem_size) < 0) {
        memset(s->devmem_ptr, 0, s->mem_size);
    }
}

static const char *ember_reset_cause_name(uint32_t cause)
{
    switch (cause) {
    case EMBER_RESET_CAUSE_POWER_ON:
        return "power-on";
    case EMBER_RESET_CAUSE_FLR:
        return "FLR";
    case EMBER_RESET_CAUSE_HOT:
        return "hot";
    case EMBER_RESET_CAUSE_D3:
        return "D3hot->D0";
    case EMBER_RESET_CAUSE_SOFT:
        return "soft";
    default:
        return "?";
    }
}

/* §7.1: what every reset does to the function */
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
    ember_mbox_reset(s);
    ember_fw_reset(s);

    /* Faults are disarmed (except FAIL_FLR), RAS status cleared */
    ember_fault_reset(s);

    if (cause != EMBER_RESET_CAUSE_POWER_ON) {
        s->reset_count++;
    }
    s->reset_cause = cause;
    trace_ember_reset(ember_reset_cause_name(cause), s->reset_count);
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
            trace_ember_fault_fail_flr(s->fi_fail_flr);
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
        if (new_pm != old_pm) {
            trace_ember_pm_state(old_pm, new_pm);
        }
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
    ember_dbc_kick_all(s);
    ember_mbox_kick(s);
}


/* ---- BAR0 ---- */

/* A register of the global block (§2.1) */
static uint32_t ember_global_read(EmberState *s, hwaddr addr)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint32_t caps;

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
        return ember_field_prep(EMBER_DBC_INFO_COUNT, s->num_dbcs) |
               ember_field_prep(EMBER_DBC_INFO_FIRST, 0);
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
        return s->irq_ctrl |
               ember_field_prep(EMBER_IRQ_CTRL_MODE, ember_irq_mode(s));
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
    default:
        return 0;
    }
}

/* Returns false for an offset that is no writable register of the block */
static bool ember_global_write(EmberState *s, hwaddr addr, uint32_t val)
{
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
        ember_dbc_kick_all(s);
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
    default:
        return false;
    }
    return true;
}

static bool ember_is_dbc_block(hwaddr addr)
{
    return addr >= EMBER_DBC_BASE(0) && addr < EMBER_DBC_BASE(EMBER_MAX_DBCS);
}

/*
 * BAR0 decode: the global block, then one block per 0x100 (mailbox,
 * firmware, telemetry), fault injection and RAS, and the DBC blocks from
 * EMBER_DBC_BASE(0). Unassigned offsets read as 0.
 */
static uint64_t ember_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    EmberState *s = opaque;
    uint32_t val;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: %u-byte read at 0x%" HWADDR_PRIx
                      " (only aligned 32-bit accesses)\n", size, addr);
        return 0;
    }

    if (ember_is_dbc_block(addr)) {
        unsigned i = (addr - EMBER_DBC_BASE(0)) / EMB_DBC_BLOCK_SIZE;

        val = i < s->num_dbcs ?
              ember_dbc_read(&s->dbc[i], addr & (EMB_DBC_BLOCK_SIZE - 1)) : 0;
    } else if (addr < EMBER_MBOX_REQ_BASE_LO) {
        val = ember_global_read(s, addr);
    } else if (addr < EMBER_FW_MGMT_VERSION) {
        val = ember_mbox_read(s, addr);
    } else if (addr < EMBER_TEL_TEMP_MC) {
        val = ember_fw_regs_read(s, addr);
    } else if (addr < EMBER_FI_DBC_HANG) {
        val = ember_tel_read(s, addr);
    } else {
        val = ember_fault_read(s, addr);
    }
    trace_ember_mmio_read(addr, val);
    return val;
}

static void ember_mmio_write(void *opaque, hwaddr addr, uint64_t val64,
                             unsigned size)
{
    EmberState *s = opaque;
    uint32_t val = val64;
    bool known;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: %u-byte write at 0x%" HWADDR_PRIx
                      " ignored (only aligned 32-bit accesses)\n", size, addr);
        return;
    }
    trace_ember_mmio_write(addr, val);
    if (!ember_in_d0(s)) {
        /* Quiesced (§6): the function ignores register writes */
        return;
    }

    if (ember_is_dbc_block(addr)) {
        unsigned i = (addr - EMBER_DBC_BASE(0)) / EMB_DBC_BLOCK_SIZE;

        if (i < s->num_dbcs) {
            ember_dbc_write(&s->dbc[i], addr & (EMB_DBC_BLOCK_SIZE - 1),
                            val);
        }
        return;
    }

    if (addr < EMBER_MBOX_REQ_BASE_LO) {
        known = ember_global_write(s, addr, val);
    } else if (addr < EMBER_FW_MGMT_VERSION) {
        known = ember_mbox_write(s, addr, val);
    } else if (addr < EMBER_FI_DBC_HANG) {
        known = false;          /* firmware and telemetry: read-only */
    } else {
        known = ember_fault_write(s, addr, val);
    }
    if (!known) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "ember: write 0x%x to read-only or reserved offset 0x%"
                      HWADDR_PRIx "\n", val, addr);
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

    for (i = 0; i < EMBER_MAX_DBCS; i++) {
        ember_dbc_init(s, &s->dbc[i], i);
    }
    if (!ember_dbc_engine_start(s, errp)) {
        if (s->msix) {
            msix_uninit(pdev, &s->msix_bar, &s->msix_bar);
        }
        goto fail_msi;
    }
    s->bounce = g_malloc(EMB_BOUNCE_SIZE);
    ember_tel_init(s);
    ember_mbox_init(s);
    ember_fw_init(s);

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

    ember_dbc_engine_stop(s);
    g_free(s->bounce);
    s->bounce = NULL;

    ember_mbox_exit(s);
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
