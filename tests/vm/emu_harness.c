// SPDX-License-Identifier: GPL-2.0-only
/*
 * emu_harness: the shared part of the in-guest raw-device tests; see
 * emu_harness.h.
 */
#define _GNU_SOURCE
#include "emu_harness.h"

#include <ctype.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- Reporting ---- */

bool emu_verbose;
static int n_pass, n_fail;

void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS %s\n", name);
		n_pass++;
	} else {
		printf("FAIL %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		n_fail++;
	}
	fflush(stdout);
}

void info(const char *fmt, ...)
{
	va_list ap;

	if (!emu_verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "# ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL setup: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n%d passed, %d failed\n", n_pass, n_fail + 1);
	exit(1);
}

int emu_finish(void)
{
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}

/* ---- Random numbers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

void rnd_seed(uint64_t seed)
{
	rng_state = seed | 1;
}

uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

void fill_random(void *p, size_t len)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)rnd();
}

/* ---- Time and waits ---- */

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static char wait_msg[256];

const char *wait_error(void)
{
	return wait_msg;
}

/*
 * Poll pacing, not synchronisation: spin first (a device answer usually
 * takes microseconds), then yield the CPU for 50 us between polls.
 */
static void poll_pause(unsigned *spins)
{
	struct timespec ts = { 0, 50000 };

	if (++*spins > 200)
		nanosleep(&ts, NULL);
}

static bool wait_timed_out(const char *what, unsigned timeout_ms)
{
	snprintf(wait_msg, sizeof(wait_msg), "timeout after %u ms waiting for %s", timeout_ms,
		 what);
	fprintf(stderr, "# timeout: %s\n", wait_msg);
	return false;
}

/* Polls @cond until true or the deadline passed (checked once more then) */
static bool poll_until(bool (*cond)(void *ctx), void *ctx, unsigned timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	unsigned spins = 0;

	for (;;) {
		bool late = now_ns() > end;

		if (cond(ctx))
			return true;
		if (late)
			return false;
		poll_pause(&spins);
	}
}

bool wait_until_named(const char *what, bool (*cond)(void *ctx), void *ctx, unsigned timeout_ms)
{
	return poll_until(cond, ctx, timeout_ms) || wait_timed_out(what, timeout_ms);
}

struct reg_cond {
	const volatile uint8_t *bar;
	uint32_t off, mask, want, last;
	bool ge;
};

static bool reg_cond(void *p)
{
	struct reg_cond *c = p;

	c->last = *(const volatile uint32_t *)(c->bar + c->off);
	if (c->ge)
		return (int32_t)(c->last - c->want) >= 0;
	return (c->last & c->mask) == c->want;
}

bool wait_reg(const volatile uint8_t *bar, uint32_t off, uint32_t mask, uint32_t want,
	      unsigned timeout_ms)
{
	struct reg_cond c = { bar, off, mask, want, 0, false };
	char what[128];

	if (poll_until(reg_cond, &c, timeout_ms))
		return true;
	snprintf(what, sizeof(what), "register 0x%x & 0x%x == 0x%x (last read 0x%x)", off, mask,
		 want, c.last);
	return wait_timed_out(what, timeout_ms);
}

bool wait_reg_ge(const volatile uint8_t *bar, uint32_t off, uint32_t want, unsigned timeout_ms)
{
	struct reg_cond c = { bar, off, ~0u, want, 0, true };
	char what[128];

	if (poll_until(reg_cond, &c, timeout_ms))
		return true;
	snprintf(what, sizeof(what), "counter at 0x%x >= %u (last read %u)", off, want, c.last);
	return wait_timed_out(what, timeout_ms);
}

void quiet_window(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- Options ---- */

uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (toupper((unsigned char)*end)) {
	case 'K': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	case 'T': v <<= 40; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end) {
		fprintf(stderr, "%s: bad size '%s'\n", program_invocation_short_name, s);
		exit(2);
	}
	return v;
}

/* ---- The device ---- */

char dev_path[384];
volatile uint8_t *bar0;
volatile uint8_t *bar2;
volatile uint8_t *bar4;
static int cfg_fd = -1;

int sysfs_write(const char *file, const char *val)
{
	char path[512];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dev_path, file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int sysfs_read(const char *file, char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dev_path, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

int sysfs_reset(const char *method)
{
	int ret;

	ret = sysfs_write("reset_method", method);
	if (ret < 0)
		return ret;
	ret = sysfs_write("reset", "1");
	sysfs_write("reset_method", "default");
	/* the PCI core restored config space (BARs, COMMAND) */
	return ret;
}

uint32_t cfg_read(unsigned off, unsigned size)
{
	uint32_t v = 0;

	if (pread(cfg_fd, &v, size, off) != (ssize_t)size)
		fatal("config read at 0x%x: %s", off, strerror(errno));
	return le32toh(v);
}

void cfg_write(unsigned off, unsigned size, uint32_t val)
{
	uint32_t v = htole32(val);

	if (pwrite(cfg_fd, &v, size, off) != (ssize_t)size)
		fatal("config write at 0x%x: %s", off, strerror(errno));
}

unsigned cfg_find_cap(unsigned id)
{
	unsigned pos = cfg_read(PCI_CAPABILITY_LIST, 1) & ~3u, guard = 0;

	while (pos && guard++ < 48) {
		if (cfg_read(pos + PCI_CAP_LIST_ID, 1) == id)
			return pos;
		pos = cfg_read(pos + PCI_CAP_LIST_NEXT, 1) & ~3u;
	}
	return 0;
}

void cfg_bus_master(bool on)
{
	uint32_t cmd = cfg_read(PCI_COMMAND, 2);

	if (on)
		cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	else
		cmd &= ~PCI_COMMAND_MASTER;
	cfg_write(PCI_COMMAND, 2, cmd);
}

void *map_resource(int bar, size_t size)
{
	char path[512];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/resource%d", dev_path, bar);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		fatal("open %s: %s", path, strerror(errno));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		fatal("mmap %s (%zu bytes): %s", path, size, strerror(errno));
	return p;
}

off_t resource_size(int bar)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/resource%d", dev_path, bar);
	if (stat(path, &st) < 0)
		return -1;
	return st.st_size;
}

static bool read_hex_file(const char *path, unsigned *val)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%x", val) == 1;
	fclose(f);
	return ok;
}

static void find_device(const char *bdf)
{
	DIR *dir;
	struct dirent *de;
	char path[512];
	unsigned vendor, device;

	if (bdf) {
		snprintf(dev_path, sizeof(dev_path), "/sys/bus/pci/devices/%s", bdf);
		return;
	}
	dir = opendir("/sys/bus/pci/devices");
	if (!dir)
		fatal("opendir /sys/bus/pci/devices: %s", strerror(errno));
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", de->d_name);
		if (!read_hex_file(path, &vendor) || vendor != EMBER_PCI_VENDOR)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", de->d_name);
		if (!read_hex_file(path, &device) || device != EMBER_PCI_DEVICE_PF)
			continue;
		snprintf(dev_path, sizeof(dev_path), "/sys/bus/pci/devices/%s", de->d_name);
		closedir(dir);
		return;
	}
	closedir(dir);
	fatal("no PCI device %04x:%04x found", EMBER_PCI_VENDOR, EMBER_PCI_DEVICE_PF);
}

void emu_open_device(const char *bdf)
{
	char path[512];

	find_device(bdf);
	info("device %s", dev_path);
	snprintf(path, sizeof(path), "%s/driver", dev_path);
	if (access(path, F_OK) == 0)
		fatal("a driver is bound to %s: unbind it first", dev_path);
	snprintf(path, sizeof(path), "%s/config", dev_path);
	cfg_fd = open(path, O_RDWR);
	if (cfg_fd < 0)
		fatal("open %s: %s", path, strerror(errno));
	if (sysfs_write("enable", "1") < 0)
		fatal("enable: %s", strerror(errno));
	cfg_bus_master(true);
	bar0 = map_resource(EMBER_BAR_REGS, 65536);
}

/* ---- DMA memory from hugepages ---- */

static uint8_t *hp_base;
static uint64_t *hp_phys;
static unsigned hp_count;

void *hp(unsigned page, size_t off)
{
	return hp_base + (size_t)page * EMU_HP_SIZE + off;
}

uint64_t hp_pa(unsigned page, size_t off)
{
	return hp_phys[page] + off;
}

void hugepages_setup(unsigned count)
{
	size_t len = (size_t)count * EMU_HP_SIZE;
	unsigned long have = 0;
	char buf[64];
	unsigned i;
	FILE *f;
	int fd;

	hp_count = count;
	hp_phys = calloc(count, sizeof(*hp_phys));
	if (!hp_phys)
		fatal("malloc");
	f = fopen("/proc/sys/vm/nr_hugepages", "r");
	if (f) {
		if (fscanf(f, "%lu", &have) != 1)
			have = 0;
		fclose(f);
	}
	if (have < count + 2) {
		fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY);
		if (fd < 0)
			fatal("open nr_hugepages: %s", strerror(errno));
		snprintf(buf, sizeof(buf), "%u\n", count + 2);
		if (write(fd, buf, strlen(buf)) < 0)
			fatal("write nr_hugepages: %s", strerror(errno));
		close(fd);
	}
	hp_base = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (hp_base == MAP_FAILED)
		fatal("mmap %u hugepages: %s (HugePages_Free too low?)", count, strerror(errno));
	if (mlock(hp_base, len) < 0)
		fatal("mlock: %s", strerror(errno));
	memset(hp_base, 0, len);

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		fatal("open pagemap: %s", strerror(errno));
	for (i = 0; i < count; i++) {
		uint64_t va = (uint64_t)(uintptr_t)hp(i, 0), ent;

		if (pread(fd, &ent, 8, (va / 4096) * 8) != 8)
			fatal("read pagemap: %s", strerror(errno));
		if (!(ent & (1ull << 63)) || !(ent & ((1ull << 55) - 1)))
			fatal("pagemap: hugepage %u not present or PFN hidden (0x%" PRIx64 ")", i,
			      ent);
		hp_phys[i] = (ent & ((1ull << 55) - 1)) * 4096;
		if (hp_phys[i] & (EMU_HP_SIZE - 1))
			fatal("hugepage %u at 0x%" PRIx64 " not 2 MiB aligned", i, hp_phys[i]);
	}
	close(fd);
	info("hugepages: %u at phys 0x%" PRIx64 "...", count, hp_phys[0]);
}

/* ---- DBC rings ---- */

struct emu_dbc dbcs[EMBER_MAX_DBCS];

static void dbc_init(unsigned i, uint32_t size, void *req, uint64_t req_pa, void *rsp,
		     uint64_t rsp_pa)
{
	struct emu_dbc *d = &dbcs[i];

	d->idx = i;
	d->size = size;
	d->req = req;
	d->rsp = rsp;
	d->req_pa = req_pa;
	d->rsp_pa = rsp_pa;
}

bool dbc_setup(unsigned i, uint32_t size, void *req, uint64_t req_pa, void *rsp,
	       uint64_t rsp_pa)
{
	struct emu_dbc *d = &dbcs[i];

	dwr(i, EMBER_DBC_CTRL, EMBER_DBC_CTRL_RESET);
	dbc_init(i, size, req, req_pa, rsp, rsp_pa);
	d->tail = d->head = 0;
	memset(d->req, 0, (size_t)size * sizeof(struct ember_dbc_req));
	memset(d->rsp, 0xa5, (size_t)size * sizeof(struct ember_dbc_rsp));
	dwr(i, EMBER_DBC_REQ_BASE_LO, (uint32_t)req_pa);
	dwr(i, EMBER_DBC_REQ_BASE_HI, (uint32_t)(req_pa >> 32));
	dwr(i, EMBER_DBC_RSP_BASE_LO, (uint32_t)rsp_pa);
	dwr(i, EMBER_DBC_RSP_BASE_HI, (uint32_t)(rsp_pa >> 32));
	dwr(i, EMBER_DBC_RING_SIZE, size);
	dwr(i, EMBER_DBC_CTRL, EMBER_DBC_CTRL_ENABLE);
	return (drd(i, EMBER_DBC_STATUS) & (EMBER_DBC_STATUS_ENABLED | EMBER_DBC_STATUS_ERROR)) ==
	       EMBER_DBC_STATUS_ENABLED;
}

void dbc_attach(unsigned i, uint32_t size, void *req, uint64_t req_pa, void *rsp,
		uint64_t rsp_pa)
{
	dbc_init(i, size, req, req_pa, rsp, rsp_pa);
	dbcs[i].tail = drd(i, EMBER_DBC_REQ_TAIL);
	dbcs[i].head = drd(i, EMBER_DBC_RSP_HEAD);
}

void dbc_push(unsigned i, const struct ember_dbc_req *r)
{
	struct emu_dbc *d = &dbcs[i];

	memcpy(d->req + (size_t)d->tail * sizeof(*r), r, sizeof(*r));
	d->tail = (d->tail + 1) & (d->size - 1);
}

void dbc_ring(unsigned i)
{
	__sync_synchronize();
	dwr(i, EMBER_DBC_REQ_TAIL, dbcs[i].tail);
}

uint32_t dbc_avail(unsigned i)
{
	return (drd(i, EMBER_DBC_RSP_TAIL) - dbcs[i].head) & (dbcs[i].size - 1);
}

struct avail_cond {
	unsigned i;
	uint32_t n, last;
};

static bool avail_cond(void *p)
{
	struct avail_cond *c = p;

	c->last = dbc_avail(c->i);
	return c->last >= c->n;
}

uint32_t dbc_wait(unsigned i, uint32_t n, unsigned timeout_ms)
{
	struct avail_cond c = { i, n, 0 };
	char what[96];

	if (!poll_until(avail_cond, &c, timeout_ms)) {
		snprintf(what, sizeof(what), "%u responses on DBC %u (%u there)", n, i, c.last);
		wait_timed_out(what, timeout_ms);
	}
	return c.last;
}

void dbc_pop(unsigned i, struct ember_dbc_rsp *out)
{
	struct emu_dbc *d = &dbcs[i];

	__sync_synchronize();
	memcpy(out, d->rsp + (size_t)d->head * sizeof(*out), sizeof(*out));
	d->head = (d->head + 1) & (d->size - 1);
	dwr(i, EMBER_DBC_RSP_HEAD, d->head);
}

void dbc_drain(unsigned i)
{
	struct ember_dbc_rsp r;

	while (dbc_avail(i))
		dbc_pop(i, &r);
}

bool dbc_exec(unsigned i, const struct ember_dbc_req *r, struct ember_dbc_rsp *rsp)
{
	dbc_push(i, r);
	dbc_ring(i);
	if (dbc_wait(i, 1, 20000) < 1)
		return false;
	dbc_pop(i, rsp);
	return true;
}

static uint16_t next_id = 1;

struct ember_dbc_req mkreq(uint8_t op, uint8_t flags)
{
	struct ember_dbc_req r;

	memset(&r, 0, sizeof(r));
	r.req_id = next_id++;
	r.opcode = op;
	r.flags = flags;
	r.cookie = rnd();
	return r;
}

bool dbc_barrier(unsigned probe)
{
	uint32_t bit = EMBER_IRQ_SRC_DBC(probe), was = rd(EMBER_IRQ_STATUS) & bit;
	struct ember_dbc_req r = mkreq(EMBER_HW_OP_NOP, 0);
	struct ember_dbc_rsp rsp;
	bool ok;

	ok = dbc_exec(probe, &r, &rsp);	/* a timeout leaves its message */
	if (ok && (rsp.status != EMBER_RSP_OK || rsp.req_id != r.req_id)) {
		snprintf(wait_msg, sizeof(wait_msg), "barrier NOP on DBC %u: status %u id %u/%u",
			 probe, rsp.status, rsp.req_id, r.req_id);
		ok = false;
	}
	if (!was)
		wr(EMBER_IRQ_STATUS, bit);
	return ok;
}
