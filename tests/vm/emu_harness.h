/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * emu_harness: what the in-guest raw-device tests (emu_selftest.c,
 * emu_mbox_test.c) share. They drive the ember device model with no driver
 * bound: BARs mapped through sysfs, DMA memory from 2 MiB hugepages (the
 * guest has no IOMMU: bus address == physical address from
 * /proc/self/pagemap), the registers, rings and firmware commands of
 * common/ (ember_hw.h, ember_fwcmd.h).
 *
 * Reporting: every check prints exactly one line, "PASS name" or
 * "FAIL name: details" (tests/vm/lib.sh's prefixed() parses them), and
 * emu_finish() prints "N passed, N failed".
 *
 * Waiting: nothing sleeps for a fixed time to synchronise with the device.
 * wait_until() polls a condition and wait_reg() a register, both with a
 * deadline; on timeout they return false, print "# timeout: ..." on stderr
 * and leave the same text in wait_error() for the FAIL line.
 */
#ifndef EMU_HARNESS_H
#define EMU_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ember_hw.h"

/*
 * Ring entries are struct ember_dbc_req / ember_dbc_rsp of ember_hw.h,
 * written and read in place: the host must be little-endian like them.
 */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ring entries are little-endian");
_Static_assert(sizeof(struct ember_dbc_req) == 64, "request entry is 64 bytes");
_Static_assert(sizeof(struct ember_dbc_rsp) == 32, "response entry is 32 bytes");

/* ---- Reporting ---- */

extern bool emu_verbose;	/* info() prints */

/* One PASS or FAIL line; @fmt gives the details of a failure. */
void check(bool ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "# ..." on stderr with -v */
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "FAIL setup: ...", the summary, exit 1 */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Prints "N passed, N failed"; returns the exit status (1 on any failure). */
int emu_finish(void);

/* ---- Random numbers (xorshift64*, reproducible with --seed) ---- */

void rnd_seed(uint64_t seed);
uint64_t rnd(void);
void fill_random(void *p, size_t len);

/* ---- Time and waits ---- */

uint64_t now_ns(void);	/* CLOCK_MONOTONIC */
/* A field of a register value: (v & mask) shifted down to bit 0. */
static inline uint32_t field_get(uint32_t mask, uint32_t v)
{
	return (v & mask) / (mask & -mask);
}

/*
 * Polls @cond(@ctx) until it is true or @timeout_ms passed (checked once
 * more at the deadline); true when it became true. @what names the
 * condition in the timeout message; wait_until() names it after @cond.
 */
bool wait_until_named(const char *what, bool (*cond)(void *ctx), void *ctx, unsigned timeout_ms);
#define wait_until(cond, ctx, timeout_ms) wait_until_named(#cond, cond, ctx, timeout_ms)
/* Until (BAR @bar at @off & @mask) == @want. */
bool wait_reg(const volatile uint8_t *bar, uint32_t off, uint32_t mask, uint32_t want,
	      unsigned timeout_ms);
/* Until the counter at BAR @bar + @off has reached @want (wrap-safe). */
bool wait_reg_ge(const volatile uint8_t *bar, uint32_t off, uint32_t want, unsigned timeout_ms);
/* The message of the last timeout ("" when none yet). */
const char *wait_error(void);

/*
 * A window of time in which something must NOT happen, for the few checks
 * where no observable event can bound it (each caller says why). The only
 * fixed wait left in the tests.
 */
#define EMU_QUIET_WINDOW_MS 50
void quiet_window(unsigned ms);

/* ---- Options ---- */

/* A size with an optional K/M/G/T suffix (and B); exits 2 when malformed. */
uint64_t parse_size(const char *s);

/* ---- The device: sysfs, config space, BARs ---- */

extern char dev_path[384];		/* /sys/bus/pci/devices/<bdf> */
extern volatile uint8_t *bar0;		/* registers */
extern volatile uint8_t *bar2;		/* device memory */
extern volatile uint8_t *bar4;		/* MSI-X table and PBA, when mapped */

/*
 * Finds the PF (or takes @bdf), refuses a bound driver, opens config space,
 * enables the device with memory decoding and bus mastering, maps BAR0.
 */
void emu_open_device(const char *bdf);
void *map_resource(int bar, size_t size);
off_t resource_size(int bar);	/* -1 when absent */
int sysfs_read(const char *file, char *buf, size_t len);
int sysfs_write(const char *file, const char *val);
/* Resets the function through sysfs with reset_method @method; 0 or -errno. */
int sysfs_reset(const char *method);
uint32_t cfg_read(unsigned off, unsigned size);
void cfg_write(unsigned off, unsigned size, uint32_t val);
unsigned cfg_find_cap(unsigned id);	/* capability offset, 0 when absent */
void cfg_bus_master(bool on);		/* PCI_COMMAND memory + bus master */

/* ---- Registers (BAR0) ---- */

static inline uint32_t rd(uint32_t off)
{
	return *(volatile uint32_t *)(bar0 + off);
}

static inline void wr(uint32_t off, uint32_t val)
{
	__sync_synchronize();
	*(volatile uint32_t *)(bar0 + off) = val;
}

/* A _LO/_HI pair */
static inline uint64_t rd64(uint32_t lo)
{
	uint32_t l = rd(lo);

	return ((uint64_t)rd(lo + 4) << 32) | l;
}

/* DBC @i's register @off (EMBER_DBC_*) */
static inline uint32_t drd(unsigned i, uint32_t off)
{
	return rd(EMBER_DBC_BASE(i) + off);
}

static inline void dwr(unsigned i, uint32_t off, uint32_t val)
{
	wr(EMBER_DBC_BASE(i) + off, val);
}

/* ---- DMA memory from hugepages ---- */

#define EMU_HP_SIZE (2u << 20)

/* Maps, locks and zeroes @count hugepages and finds their bus addresses. */
void hugepages_setup(unsigned count);
void *hp(unsigned page, size_t off);		/* virtual address */
uint64_t hp_pa(unsigned page, size_t off);	/* bus address */

/* ---- DBC rings ---- */

/* The host's view of one DBC's rings */
struct emu_dbc {
	unsigned idx;
	uint32_t size;
	uint8_t *req, *rsp;
	uint64_t req_pa, rsp_pa;
	uint32_t tail;	/* next request slot we fill */
	uint32_t head;	/* next response we consume */
};

extern struct emu_dbc dbcs[EMBER_MAX_DBCS];

/*
 * Resets DBC @i and sets it up with rings of @size entries at the given
 * memory (request ring poisoned 0, response ring 0xa5); true when enabled.
 */
bool dbc_setup(unsigned i, uint32_t size, void *req, uint64_t req_pa, void *rsp,
	       uint64_t rsp_pa);
/* Rings programmed by someone else (the firmware): indices from the DBC. */
void dbc_attach(unsigned i, uint32_t size, void *req, uint64_t req_pa, void *rsp,
		uint64_t rsp_pa);
void dbc_push(unsigned i, const struct ember_dbc_req *r);
void dbc_ring(unsigned i);		/* doorbell: REQ_TAIL */
uint32_t dbc_avail(unsigned i);	/* responses waiting */
/* Waits until at least @n responses are waiting; returns how many are. */
uint32_t dbc_wait(unsigned i, uint32_t n, unsigned timeout_ms);
void dbc_pop(unsigned i, struct ember_dbc_rsp *out);
void dbc_drain(unsigned i);
/* Pushes one request, rings, waits for and pops its response; false on timeout. */
bool dbc_exec(unsigned i, const struct ember_dbc_req *r, struct ember_dbc_rsp *rsp);
/* A request with a fresh req_id and a random cookie */
struct ember_dbc_req mkreq(uint8_t op, uint8_t flags);

/*
 * A barrier through the device's event loop: a NOP on DBC @probe (set up,
 * idle, runnable) and its response. The model does all DBC and mailbox
 * work in bottom halves of one event loop under the big QEMU lock, run in
 * the order they were scheduled; once the probe's response is seen through
 * a register, every doorbell written before the probe's has been served as
 * far as the device could serve it. Leaves EMBER_IRQ_STATUS as it found it
 * for the probe's bit. False (and a message in wait_error()) on timeout.
 */
bool dbc_barrier(unsigned probe);

#endif /* EMU_HARNESS_H */
