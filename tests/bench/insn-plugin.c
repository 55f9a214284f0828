// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest instructions executed, by translation block, over a wall-clock
 * window: a QEMU TCG plugin for tests/bench/insn-profile.sh
 * (docs/performance.md, "2026-12-07 (later)").
 *
 * Every translated block gets an inline counter that adds its instruction
 * count each time the block is entered (no callback, so the guest runs
 * nearly at its usual speed). A thread snapshots every counter START
 * seconds after QEMU loaded the plugin and again LEN seconds later, and
 * writes one line per block executed in between: its guest virtual
 * address, its instruction count and the instructions it executed in the
 * window. Entering a block counts all of it even when an interrupt or
 * exception leaves it early, so the figures are exact for straight-line
 * code and close otherwise. The inline add is not atomic: a block that
 * both vCPUs run at the same moment may lose a count (the QD1 loops
 * profiled keep one vCPU busy and the other idle). Blocks of different
 * processes at the same user address share a line (the report lumps user
 * space together anyway).
 *
 * With period=SECONDS it writes a snapshot every SECONDS instead, from the
 * start, for tests/bench/qd1-modes.sh: FILE.00000, FILE.00001 and so on,
 * each the line "T <host's real time, s>" and then the blocks executed
 * since the snapshot before, in the same form.
 *
 * Arguments: start=SECONDS (default 15), len=SECONDS (default 8),
 * period=SECONDS (default 0: one window), out=FILE (default
 * insn-profile.txt).
 */
#include <glib.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct block {
	uint64_t pc;
	uint64_t insns;		/* executed, added inline by the guest's vCPUs */
	uint64_t start;		/* @insns at the window's opening or last snapshot */
	unsigned int n;		/* instructions in the block */
};

static GMutex lock;		/* protects @blocks (not the counters) */
static GHashTable *blocks;	/* (pc, n) -> struct block */
static double start_s = 15, len_s = 8, period_s;
static char *out_path;

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t pc = qemu_plugin_tb_vaddr(tb);
	size_t n = qemu_plugin_tb_n_insns(tb);
	uint64_t key = pc ^ ((uint64_t)n << 56);
	struct block *b;

	g_mutex_lock(&lock);
	b = g_hash_table_lookup(blocks, &key);
	if (!b) {
		uint64_t *k = g_new(uint64_t, 1);

		*k = key;
		b = g_new0(struct block, 1);
		b->pc = pc;
		b->n = n;
		g_hash_table_insert(blocks, k, b);
	}
	g_mutex_unlock(&lock);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->insns, n);
}

static void open_window(gpointer key, gpointer value, gpointer data)
{
	struct block *b = value;

	b->start = __atomic_load_n(&b->insns, __ATOMIC_RELAXED);
}

static void write_block(gpointer key, gpointer value, gpointer data)
{
	struct block *b = value;
	uint64_t d = __atomic_load_n(&b->insns, __ATOMIC_RELAXED) - b->start;

	if (d)
		fprintf(data, "%016" PRIx64 " %u %" PRIu64 "\n", b->pc, b->n, d);
}

/* A block's line for a snapshot: what it executed since the one before */
static void snap_block(gpointer key, gpointer value, gpointer data)
{
	struct block *b = value;
	uint64_t v = __atomic_load_n(&b->insns, __ATOMIC_RELAXED);
	uint64_t d = v - b->start;

	b->start = v;
	if (d)
		fprintf(data, "%016" PRIx64 " %u %" PRIu64 "\n", b->pc, b->n, d);
}

/* period=: a snapshot every @period_s until QEMU exits */
static void *snapshots(void *arg)
{
	char *path;
	unsigned int i;
	FILE *f;

	for (i = 0;; i++) {
		g_usleep((gulong)(period_s * G_USEC_PER_SEC));
		path = g_strdup_printf("%s.%05u", out_path, i);
		f = fopen(path, "w");
		if (!f) {
			perror(path);
			g_free(path);
			return NULL;
		}
		g_free(path);
		fprintf(f, "T %.6f\n", g_get_real_time() / 1e6);
		g_mutex_lock(&lock);
		g_hash_table_foreach(blocks, snap_block, f);
		g_mutex_unlock(&lock);
		fclose(f);
	}
	return NULL;
}

static void *window(void *arg)
{
	FILE *f;

	g_usleep((gulong)(start_s * G_USEC_PER_SEC));
	g_mutex_lock(&lock);
	g_hash_table_foreach(blocks, open_window, NULL);
	g_mutex_unlock(&lock);
	fprintf(stderr, "insn-plugin: window open\n");
	g_usleep((gulong)(len_s * G_USEC_PER_SEC));
	f = fopen(out_path, "w");
	if (!f) {
		perror(out_path);
		return NULL;
	}
	g_mutex_lock(&lock);
	g_hash_table_foreach(blocks, write_block, f);
	g_mutex_unlock(&lock);
	fclose(f);
	fprintf(stderr, "insn-plugin: window closed, %s written\n", out_path);
	return NULL;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	pthread_t thread;
	int i;

	out_path = g_strdup("insn-profile.txt");
	for (i = 0; i < argc; i++) {
		if (g_str_has_prefix(argv[i], "start=")) {
			start_s = g_ascii_strtod(argv[i] + 6, NULL);
		} else if (g_str_has_prefix(argv[i], "len=")) {
			len_s = g_ascii_strtod(argv[i] + 4, NULL);
		} else if (g_str_has_prefix(argv[i], "period=")) {
			period_s = g_ascii_strtod(argv[i] + 7, NULL);
		} else if (g_str_has_prefix(argv[i], "out=")) {
			g_free(out_path);
			out_path = g_strdup(argv[i] + 4);
		} else {
			fprintf(stderr, "insn-plugin: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	blocks = g_hash_table_new(g_int64_hash, g_int64_equal);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	if (pthread_create(&thread, NULL, period_s > 0 ? snapshots : window,
			   NULL))
		return -1;
	pthread_detach(thread);
	return 0;
}
