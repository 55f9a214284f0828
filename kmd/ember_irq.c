// SPDX-License-Identifier: GPL-2.0-only
/*
 * ember interrupts (docs/hardware.md §4).
 *
 * The device has 1 + num_dbcs interrupt sources: source 0 is management
 * (mailbox replies, RAS, test), source 1 + i is DBC i. The driver asks for
 * one MSI-X vector per source. When that is not possible it falls back to
 * exactly one vector that every source signals (QAIC's single-MSI mode):
 * MSI-X entry 0 with EMBER_IRQ_CTRL.SINGLE set, or the one MSI vector. The
 * handler then reads EMBER_IRQ_STATUS to learn which sources fired.
 *
 * Hard handlers acknowledge and count, and hand mailbox replies to
 * ember_mbox.c (a work item consumes them). A DBC event first lets
 * ember_poll_irq() consume the responses; if that leaves the DBC idle,
 * nothing else happens. Otherwise it masks the DBC's source in
 * EMBER_IRQ_MASK and wakes the vector's thread, which services the
 * response ring with last-chance polling and unmasks the source when
 * done (ember_poll.c). In polling mode DBC sources stay masked.
 *
 * EMBER_IRQ_MASK is written only here, under &ember_irq.mask_lock: the
 * sources the data path holds masked (&ember_irq.dp_mask) while the
 * device is enabled, every source while it is stopped.
 *
 * A DBC's vector follows its submitter (datapath_irq_follow, MSI-X with a
 * vector per DBC): a job written to an idle DBC steers the vector to the
 * CPU the job was submitted on whenever that CPU changes
 * (ember_irq_follow()), so the completion interrupt lands where the
 * waiter sleeps and wakes it with no cross-CPU wake-up - the idea of
 * accelerated RFS in networking, and what NVMe gets from a queue per CPU.
 * A DBC has one owner at a time, which rarely migrates, so the vector
 * rarely moves.
 */

#include <linux/bitfield.h>
#include <linux/bitops.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/pci.h>

#include <drm/drm_managed.h>

#include "ember_drv.h"
#include "ember_irq.h"
#include "ember_mbox.h"
#include "ember_poll.h"
#include "ember_trace.h"

bool ember_dp_irq_follow = true;
module_param_named(datapath_irq_follow, ember_dp_irq_follow, bool, 0644);
MODULE_PARM_DESC(datapath_irq_follow,
		 "Steer each DBC's MSI-X vector to the CPU its jobs are submitted on (default Y; N leaves affinity to the administrator and irqbalance)");

static const char *const ember_irq_mode_names[] = {
	[EMBER_IRQ_MULTI] = "msix",
	[EMBER_IRQ_SINGLE_MSIX] = "msix-single",
	[EMBER_IRQ_SINGLE_MSI] = "msi",
};

/**
 * ember_irq_mode_name() - printable name of the interrupt mode in use
 * @edev: device
 *
 * Return: "msix", "msix-single" or "msi".
 */
const char *ember_irq_mode_name(const struct ember_device *edev)
{
	return ember_irq_mode_names[edev->irq.mode];
}

/* EMBER_IRQ_STATUS / EMBER_IRQ_MASK bits of every source of the device. */
static u32 ember_irq_source_bits(const struct ember_device *edev)
{
	return GENMASK(edev->info.num_dbcs, 0);
}

/* Write EMBER_IRQ_MASK from the state; under mask_lock. */
static void ember_irq_write_mask(struct ember_device *edev)
{
	struct ember_irq *irq = &edev->irq;

	lockdep_assert_held(&irq->mask_lock);
	ember_wr(edev, EMBER_IRQ_MASK,
		 irq->hw_on ? irq->dp_mask : ember_irq_source_bits(edev));
}

/**
 * ember_irq_dbc_mask() - keep a DBC's interrupt source masked
 * @dbc: the DBC
 *
 * Any context.
 */
void ember_irq_dbc_mask(struct ember_dbc *dbc)
{
	struct ember_irq *irq = &dbc->edev->irq;
	unsigned long flags;

	spin_lock_irqsave(&irq->mask_lock, flags);
	irq->dp_mask |= EMBER_IRQ_SRC_DBC(dbc->id);
	ember_irq_write_mask(dbc->edev);
	spin_unlock_irqrestore(&irq->mask_lock, flags);
}

/**
 * ember_irq_dbc_unmask() - let a DBC signal again
 * @dbc: the DBC, whose response ring the caller has just drained
 *
 * Clears the source's EMBER_IRQ_STATUS bit latched while it was masked
 * (the caller looks at the ring after this anyway). Nothing in polling
 * mode. Any context.
 */
void ember_irq_dbc_unmask(struct ember_dbc *dbc)
{
	struct ember_device *edev = dbc->edev;
	struct ember_irq *irq = &edev->irq;
	u32 bit = EMBER_IRQ_SRC_DBC(dbc->id);
	unsigned long flags;

	if (irq->polling)
		return;
	spin_lock_irqsave(&irq->mask_lock, flags);
	irq->dp_mask &= ~bit;
	if (irq->hw_on)
		ember_wr(edev, EMBER_IRQ_STATUS, bit);
	ember_irq_write_mask(edev);
	spin_unlock_irqrestore(&irq->mask_lock, flags);
}

/**
 * ember_irq_follow() - steer a DBC's vector to the submitting CPU
 * @dbc: the DBC a lone job was just written to
 * @cpu: the CPU the job was submitted on (EXECUTE_BO)
 *
 * Moves the DBC's own vector (EMBER_IRQ_MULTI mode only: a shared vector
 * would follow every DBC's submitter in turn) to @cpu when that is not
 * where it was last steered to, unless datapath_irq_follow is off or the
 * device is in polling mode. A move that fails (CPU going offline, an
 * interrupt remapping limit) is not retried until the submitter moves
 * again. Called by EXECUTE_BO (direct submission) and run_job for a job
 * written to an idle DBC only: a lone job's completion interrupt wakes
 * its waiter, while a stream's responses are collected by the thread's
 * polling, and a busy DBC shared by submitters on several CPUs would move
 * back and forth. Process context, no DBC lock held.
 */
void ember_irq_follow(struct ember_dbc *dbc, int cpu)
{
	struct ember_irq_vector *vec = dbc->vec;
	struct ember_irq *irq = &dbc->edev->irq;
	int ret;

	if (irq->mode != EMBER_IRQ_MULTI || irq->polling ||
	    !READ_ONCE(ember_dp_irq_follow) || READ_ONCE(vec->cpu) == cpu)
		return;
	spin_lock(&vec->follow_lock);
	if (vec->cpu != cpu) {
		WRITE_ONCE(vec->cpu, cpu);
		ret = irq_set_affinity(vec->irq, cpumask_of(cpu));
		atomic64_inc(ret ? &dbc->stats.irq_move_failures :
			     &dbc->stats.irq_moves);
	}
	spin_unlock(&vec->follow_lock);
}

/*
 * ember_dbc_irq() - a DBC signalled (hard-IRQ context)
 *
 * Completes a lone job at once (ember_poll_irq()), or masks the DBC's
 * source and hands it to the thread of @vec.
 */
static irqreturn_t ember_dbc_irq(struct ember_irq_vector *vec,
				 struct ember_dbc *dbc)
{
	struct ember_device *edev = dbc->edev;

	atomic64_inc(&dbc->stats.interrupts);
	trace_ember_irq(pci_name(edev->pdev), dbc->id);
	if (edev->irq.polling)
		return IRQ_HANDLED;	/* a stale event: the poller has it */
	if (ember_poll_irq(dbc))
		return IRQ_HANDLED;
	ember_irq_dbc_mask(dbc);
	set_bit(dbc->id, &vec->dbc_pending);
	return IRQ_WAKE_THREAD;
}

/* The management source fired: read and acknowledge its causes. */
static void ember_mgmt_irq(struct ember_device *edev)
{
	u32 cause = ember_rd(edev, EMBER_MGMT_CAUSE);

	if (!cause || cause == U32_MAX)
		return;
	ember_wr(edev, EMBER_MGMT_CAUSE, cause);

	if (cause & EMBER_MGMT_CAUSE_MBOX) {
		atomic64_inc(&edev->irq.mgmt_mbox);
		ember_mbox_irq(edev);
	}
	if (cause & EMBER_MGMT_CAUSE_RAS)
		atomic64_inc(&edev->irq.mgmt_ras);
	/* EMBER_MGMT_CAUSE_TEST is counted from EMBER_TEST_IRQ_STATUS. */
}

/*
 * Handle the sources in @pending, whose EMBER_IRQ_STATUS bits the caller
 * has already cleared. Test interrupts are counted first, from
 * EMBER_TEST_IRQ_STATUS, and acknowledged there.
 */
static irqreturn_t ember_irq_dispatch(struct ember_irq_vector *vec,
				      u32 pending)
{
	struct ember_device *edev = vec->edev;
	struct ember_irq *irq = &edev->irq;
	unsigned long bits = pending;
	irqreturn_t ret = IRQ_HANDLED;
	unsigned int src;
	u32 test;

	test = ember_rd(edev, EMBER_TEST_IRQ_STATUS) & pending;
	if (test) {
		unsigned long test_bits = test;

		ember_wr(edev, EMBER_TEST_IRQ_STATUS, test);
		for_each_set_bit(src, &test_bits, irq->num_sources)
			atomic64_inc(&irq->sources[src].test);
	}

	for_each_set_bit(src, &bits, irq->num_sources) {
		atomic64_inc(&irq->sources[src].events);
		if (src == EMBER_IRQ_SRC_MGMT_IDX)
			ember_mgmt_irq(edev);
		else if (ember_dbc_irq(vec, &edev->dbcs[src - 1]) ==
			 IRQ_WAKE_THREAD)
			ret = IRQ_WAKE_THREAD;
	}
	return ret;
}

/* EMBER_IRQ_MULTI: vector v serves source v only. */
static irqreturn_t ember_irq_vector_handler(int irq, void *arg)
{
	struct ember_irq_vector *vec = arg;
	struct ember_device *edev = vec->edev;
	u32 bit = BIT(vec->index);
	u32 status;

	atomic64_inc(&vec->received);

	status = ember_rd(edev, EMBER_IRQ_STATUS);
	if (status == U32_MAX || !(status & bit)) {
		atomic64_inc(&vec->spurious);
		return IRQ_NONE;
	}
	/* Acknowledge before handling: a new event re-signals. */
	ember_wr(edev, EMBER_IRQ_STATUS, bit);

	return ember_irq_dispatch(vec, bit);
}

/* Single mode: the one vector serves every source. */
static irqreturn_t ember_irq_single_handler(int irq, void *arg)
{
	struct ember_irq_vector *vec = arg;
	struct ember_device *edev = vec->edev;
	u32 status;

	atomic64_inc(&vec->received);

	status = ember_rd(edev, EMBER_IRQ_STATUS);
	if (status == U32_MAX)
		status = 0;
	status &= ember_irq_source_bits(edev);
	if (!status) {
		atomic64_inc(&vec->spurious);
		return IRQ_NONE;
	}
	ember_wr(edev, EMBER_IRQ_STATUS, status);

	return ember_irq_dispatch(vec, status);
}

/* Thread of a vector that serves DBCs. */
static irqreturn_t ember_irq_thread(int irq, void *arg)
{
	ember_poll_service(arg);
	return IRQ_HANDLED;
}

/*
 * Allocate one vector per source. MSI-X only: with MSI the hardware routes
 * every source to vector 0 (§4.3), so multi-message MSI would not help.
 * Returns NULL on success, or why single mode has to be used.
 */
static const char *ember_irq_alloc_multi(struct ember_device *edev,
					 char *why, size_t len)
{
	struct pci_dev *pdev = edev->pdev;
	unsigned int want = edev->irq.num_sources;
	int table, ret;

	if (ember_force_single_msi)
		return "requested by module parameter force_single_msi";
	if (!pdev->msix_cap)
		return "the device has no MSI-X capability";

	table = pci_msix_vec_count(pdev);
	if (table >= 0 && table < want) {
		snprintf(why, len, "the device offers %d MSI-X vectors, %u needed",
			 table, want);
		return why;
	}

	ret = pci_alloc_irq_vectors(pdev, want, want, PCI_IRQ_MSIX);
	if (ret < 0) {
		snprintf(why, len, "allocating %u MSI-X vectors failed (%d)",
			 want, ret);
		return why;
	}
	return NULL;
}

static int ember_irq_request(struct ember_device *edev, unsigned int v,
			     irq_handler_t handler, irq_handler_t thread,
			     const char *what)
{
	struct ember_irq_vector *vec = &edev->irq.vectors[v];
	struct device *dev = &edev->pdev->dev;
	int ret;

	vec->edev = edev;
	vec->index = v;
	vec->cpu = -1;
	spin_lock_init(&vec->follow_lock);
	vec->irq = pci_irq_vector(edev->pdev, v);
	if (vec->irq < 0)
		return vec->irq;

	vec->name = devm_kasprintf(dev, GFP_KERNEL, "%s@%s:%s",
				   EMBER_DRIVER_NAME, pci_name(edev->pdev), what);
	if (!vec->name)
		return -ENOMEM;

	ret = devm_request_threaded_irq(dev, vec->irq, handler, thread, 0,
					vec->name, vec);
	if (ret)
		dev_err(dev, "cannot request IRQ %d (%s): %d\n",
			vec->irq, vec->name, ret);
	return ret;
}

/**
 * ember_irq_init() - allocate vectors and install the handlers
 * @edev: device, with &ember_device.info read and all sources masked
 *
 * Asks for 1 + num_dbcs MSI-X vectors; on failure (or with the
 * force_single_msi parameter) falls back to exactly one MSI-X or MSI
 * vector and logs why. Vectors are released by pcim (the device was
 * enabled with pcim_enable_device()) and IRQs by devres, IRQs first.
 * Nothing signals until ember_hw_start() programs the routing and unmasks.
 *
 * Return: 0 or a negative errno.
 */
int ember_irq_init(struct ember_device *edev)
{
	struct ember_irq *irq = &edev->irq;
	struct pci_dev *pdev = edev->pdev;
	struct device *dev = &pdev->dev;
	const char *reason;
	unsigned int i;
	char why[80];
	int ret;

	irq->num_sources = 1 + edev->info.num_dbcs;
	irq->polling = ember_poll_mode();
	if (irq->polling)
		irq->dp_mask = ember_irq_source_bits(edev) &
			       ~EMBER_IRQ_SRC_MGMT;
	irq->sources = drmm_kcalloc(&edev->drm, irq->num_sources,
				    sizeof(*irq->sources), GFP_KERNEL);
	if (!irq->sources)
		return -ENOMEM;
	strscpy(irq->sources[0].name, "mgmt");
	for (i = 0; i < edev->info.num_dbcs; i++)
		snprintf(irq->sources[1 + i].name, sizeof(irq->sources[0].name),
			 "dbc%u", i);

	reason = ember_irq_alloc_multi(edev, why, sizeof(why));
	if (!reason) {
		irq->mode = EMBER_IRQ_MULTI;
		irq->num_vectors = irq->num_sources;
	} else {
		ret = pci_alloc_irq_vectors(pdev, 1, 1,
					    PCI_IRQ_MSIX | PCI_IRQ_MSI);
		if (ret < 0) {
			dev_err(dev, "cannot allocate an MSI-X or MSI vector (%d); single-MSI fallback needed because %s\n",
				ret, reason);
			return ret;
		}
		irq->mode = pdev->msix_enabled ? EMBER_IRQ_SINGLE_MSIX :
						 EMBER_IRQ_SINGLE_MSI;
		irq->num_vectors = 1;
		irq->single_reason = drmm_kstrdup(&edev->drm, reason, GFP_KERNEL);
		if (!irq->single_reason)
			return -ENOMEM;
		if (ember_force_single_msi)
			dev_info(dev, "single-MSI mode (one %s vector for %u sources): %s\n",
				 pdev->msix_enabled ? "MSI-X" : "MSI",
				 irq->num_sources, reason);
		else
			dev_warn(dev, "single-MSI mode (one %s vector for %u sources), DBC interrupts are shared: %s\n",
				 pdev->msix_enabled ? "MSI-X" : "MSI",
				 irq->num_sources, reason);
	}

	irq->vectors = drmm_kcalloc(&edev->drm, irq->num_vectors,
				    sizeof(*irq->vectors), GFP_KERNEL);
	if (!irq->vectors)
		return -ENOMEM;

	if (irq->mode != EMBER_IRQ_MULTI) {
		ret = ember_irq_request(edev, 0, ember_irq_single_handler,
					ember_irq_thread, "single");
		if (ret)
			return ret;
		for (i = 0; i < edev->info.num_dbcs; i++)
			edev->dbcs[i].vec = &irq->vectors[0];
		return 0;
	}

	ret = ember_irq_request(edev, 0, ember_irq_vector_handler, NULL,
				"mgmt");
	if (ret)
		return ret;
	for (i = 0; i < edev->info.num_dbcs; i++) {
		ret = ember_irq_request(edev, 1 + i, ember_irq_vector_handler,
					ember_irq_thread,
					irq->sources[1 + i].name);
		if (ret)
			return ret;
		edev->dbcs[i].vec = &irq->vectors[1 + i];
	}
	return 0;
}

/**
 * ember_irq_hw_setup() - program the interrupt routing of the device
 * @edev: device
 *
 * Sets EMBER_IRQ_CTRL.SINGLE in single MSI-X mode, clears events left from
 * before the driver took over, and checks that EMBER_IRQ_CTRL.MODE agrees
 * with what was allocated. Sources stay masked. Called at probe and after
 * every reset (which clears EMBER_IRQ_CTRL).
 */
void ember_irq_hw_setup(struct ember_device *edev)
{
	static const u8 expect[] = {
		[EMBER_IRQ_MULTI] = EMBER_IRQ_MODE_MSIX,
		[EMBER_IRQ_SINGLE_MSIX] = EMBER_IRQ_MODE_MSIX_SINGLE,
		[EMBER_IRQ_SINGLE_MSI] = EMBER_IRQ_MODE_MSI,
	};
	u32 sources = ember_irq_source_bits(edev);
	u32 mode;

	ember_wr(edev, EMBER_IRQ_CTRL,
		 edev->irq.mode == EMBER_IRQ_SINGLE_MSIX ? EMBER_IRQ_CTRL_SINGLE : 0);

	ember_wr(edev, EMBER_IRQ_STATUS, sources);
	ember_wr(edev, EMBER_TEST_IRQ_STATUS, sources);
	ember_wr(edev, EMBER_MGMT_CAUSE, EMBER_MGMT_CAUSE_MBOX |
		 EMBER_MGMT_CAUSE_RAS | EMBER_MGMT_CAUSE_TEST);

	mode = FIELD_GET(EMBER_IRQ_CTRL_MODE, ember_rd(edev, EMBER_IRQ_CTRL));
	if (mode != expect[edev->irq.mode])
		dev_warn(&edev->pdev->dev,
			 "EMBER_IRQ_CTRL.MODE is %u, expected %u for %s mode\n",
			 mode, expect[edev->irq.mode], ember_irq_mode_name(edev));
}

/**
 * ember_irq_state_init() - initialise the interrupt state of a new device
 * @edev: device being probed, interrupts not requested yet
 *
 * Every source is masked in the state (&ember_irq.hw_on false); the
 * caller masks the hardware with ember_irq_hw_disable().
 */
void ember_irq_state_init(struct ember_device *edev)
{
	spin_lock_init(&edev->irq.mask_lock);
	edev->irq.hw_on = false;
}

/**
 * ember_irq_hw_enable() - unmask the interrupt sources
 * @edev: device
 *
 * Every source except the DBCs the data path holds masked (being
 * serviced, or polling mode).
 */
void ember_irq_hw_enable(struct ember_device *edev)
{
	unsigned long flags;

	spin_lock_irqsave(&edev->irq.mask_lock, flags);
	edev->irq.hw_on = true;
	ember_irq_write_mask(edev);
	spin_unlock_irqrestore(&edev->irq.mask_lock, flags);
}

/**
 * ember_irq_hw_disable() - mask every interrupt source
 * @edev: device
 *
 * Masked sources do not signal (§4.2); handlers already running are not
 * waited for, see ember_irq_synchronize().
 */
void ember_irq_hw_disable(struct ember_device *edev)
{
	unsigned long flags;

	spin_lock_irqsave(&edev->irq.mask_lock, flags);
	edev->irq.hw_on = false;
	ember_irq_write_mask(edev);
	spin_unlock_irqrestore(&edev->irq.mask_lock, flags);
}

/**
 * ember_irq_synchronize() - wait for running handlers of every vector
 * @edev: device
 */
void ember_irq_synchronize(struct ember_device *edev)
{
	unsigned int v;

	for (v = 0; v < edev->irq.num_vectors; v++)
		if (edev->irq.vectors[v].irq > 0)
			synchronize_irq(edev->irq.vectors[v].irq);
}

/**
 * ember_irq_fire_test() - make the device raise a test interrupt
 * @edev: device
 * @source: interrupt source (= vector in EMBER_IRQ_MULTI mode)
 *
 * Writes EMBER_TEST_IRQ (§4.4). The interrupt arrives asynchronously; the
 * handler counts it in &ember_irq_source.test.
 *
 * Return: 0, -EINVAL for a source the device does not have, -EBUSY if the
 * device is not online.
 */
int ember_irq_fire_test(struct ember_device *edev, unsigned int source)
{
	int ret = 0;

	if (source >= edev->irq.num_sources)
		return -EINVAL;

	mutex_lock(&edev->hw_lock);
	if (edev->state == EMBER_STATE_ONLINE)
		ember_wr(edev, EMBER_TEST_IRQ, source);
	else
		ret = -EBUSY;
	mutex_unlock(&edev->hw_lock);
	return ret;
}
