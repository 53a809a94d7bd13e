// SPDX-License-Identifier: GPL-2.0-only
/*
 * machine_reset.c - snapshot and reset of a machine (issue 16): a copy of
 * a machine, made once after its boot, is what every later run of the same
 * configuration starts from, instead of booting again (for fuzz_boot the
 * boot pipeline of its gigantic bootmem pages is a quarter of an input).
 *
 * The copy is the machine's whole state, each part copied by the file that
 * owns it: the allocator's records, free lists and frame bytes with their
 * seals (phys_clone), the page tables and the lists of stale translations
 * (vmemmap_clone), the CPU TLBs, the folio table, the shadow, the change
 * log, the per-zone tail arrays, counters, violation and G1/RCU state (the
 * machine struct).  Host buffers and caches are the copy's own: which host
 * buffer holds a frame is no part of the model.  A run on the copy must be
 * the run on a fresh boot, byte for byte of its result: test_reuse checks
 * it, and hvo_reset_break_set (test_reuse --break NAME) breaks one part of
 * the copy so that test shows it can fail.
 *
 * Not covered (-EINVAL, the caller boots instead): G3 device DAX state,
 * B5's orphaned PTE tables, and a machine inside an API call (a batch's
 * registered grace-period counter).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MACHINE_SIZE ((sizeof(struct hvo_machine) + 63) & ~(size_t)63)

static enum hvo_reset_break reset_break;

static const char *const break_names[HVO_NR_RESET_BREAKS] = {
	[HVO_RESET_BREAK_NONE] = "none",
	[HVO_RESET_BREAK_FRAMES] = "skip-frame",
	[HVO_RESET_BREAK_FOLIOS] = "skip-folio-table",
	[HVO_RESET_BREAK_COUNTERS] = "skip-counters",
	[HVO_RESET_BREAK_FAIL_CALLS] = "skip-fail-calls",
};

int hvo_reset_break_by_name(const char *name)
{
	for (int i = 0; i < HVO_NR_RESET_BREAKS; i++)
		if (!strcmp(name, break_names[i]))
			return i;
	return -1;
}

const char *hvo_reset_break_name(enum hvo_reset_break b)
{
	return b >= 0 && b < HVO_NR_RESET_BREAKS ? break_names[b] : "?";
}

void hvo_reset_break_set(enum hvo_reset_break b) { reset_break = b; }

bool hvo_machine_clonable(const struct hvo_machine *s)
{
	if (s->dax || s->orphan_tables || api_depth(s))
		return false;
	for (unsigned c = 0; c < GP_CPUS; c++)
		for (unsigned d = 0; d < GP_DEPTHS; d++)
			if (s->gp_count[c][d])
				return false;
	return true;
}

/* Every host pointer of the machine struct, before anything is copied:
 * a failed copy then destroys only what is its own. */
static void clear_pointers(struct hvo_machine *m)
{
	m->phys = NULL;
	m->pmd = NULL;
	for (unsigned n = 0; n < HVO_MAX_NODES; n++) {
		m->tlb[n].stale = NULL;
		for (int z = 0; z < HVO_NR_ZONES; z++)
			m->zhvo[n][z].tails = NULL;
	}
	m->orphan_tables = NULL;
	memset(m->cpu_tlb, 0, sizeof(m->cpu_tlb));
	m->folio_chunks = NULL;
	m->nr_folios = 0;  /* the chunks destroy frees */
	m->shadow = NULL;
	m->dax = NULL;
	memset(m->gp_count, 0, sizeof(m->gp_count));
	m->track = NULL;
	memset(m->snap_pool, 0, sizeof(m->snap_pool));  /* scratch buffers: the copy makes its own */
	m->stage = NULL;                                  /* write_pages' staging buffer, made on demand */
	m->nr_snap_pool = 0;
}

static int clone_folios(struct hvo_machine *m, const struct hvo_machine *s)
{
	uint32_t chunks = (s->nr_folios + FOLIO_CHUNK - 1) / FOLIO_CHUNK;

	if (!chunks)
		return 0;
	m->folio_chunks = calloc(chunks, sizeof(*m->folio_chunks));
	if (!m->folio_chunks)
		return -HVO_ENOMEM;
	for (uint32_t i = 0; i < chunks; i++) {
		m->folio_chunks[i] = hpool_alloc(m->cfg.host_pool, FOLIO_CHUNK_SIZE, _Alignof(struct folio), true);
		if (!m->folio_chunks[i])
			return -HVO_ENOMEM;  /* nr_folios counts the chunks made */
		if (reset_break != HVO_RESET_BREAK_FOLIOS)
			memcpy(m->folio_chunks[i], s->folio_chunks[i], FOLIO_CHUNK_SIZE);
		m->nr_folios = (i + 1) * FOLIO_CHUNK < s->nr_folios ? (i + 1) * FOLIO_CHUNK : s->nr_folios;
	}
	return 0;
}

static int clone_tails(struct hvo_machine *m, const struct hvo_machine *s)
{
	size_t nr = m->geo.nr_vmemmap_tails ? m->geo.nr_vmemmap_tails : 1;

	for (unsigned n = 0; n < HVO_MAX_NODES; n++)
		for (int z = 0; z < HVO_NR_ZONES; z++) {
			if (!s->zhvo[n][z].tails)
				continue;
			/* sized exactly, as at creation (B18's overflow) */
			m->zhvo[n][z].tails = malloc(nr * sizeof(uint64_t));
			if (!m->zhvo[n][z].tails)
				return -HVO_ENOMEM;
			memcpy(m->zhvo[n][z].tails, s->zhvo[n][z].tails, nr * sizeof(uint64_t));
		}
	return 0;
}

uint64_t hvo_machine_frame_bytes(const struct hvo_machine *m)
{
	return phys_frames_with_bytes(m->phys) * m->geo.page_size;
}

static int clone_machine(const struct hvo_machine *s, const struct hvo_config *hooks, bool snapshot,
			 struct hvo_machine **out)
{
	struct hvo_machine *m;
	int rc;

	*out = NULL;
	if (!hvo_machine_clonable(s))
		return -HVO_EINVAL;
	m = hpool_alloc(hooks->host_pool, MACHINE_SIZE, _Alignof(struct hvo_machine), false);
	if (!m)
		return -HVO_ENOMEM;
	memcpy(m, s, MACHINE_SIZE);
	clear_pointers(m);
	m->cfg.fail = hooks->fail;
	m->cfg.fail_ctx = hooks->fail_ctx;
	m->cfg.sync = hooks->sync;
	m->cfg.log = hooks->log;
	m->cfg.log_ctx = hooks->log_ctx;
	m->cfg.host_pool = hooks->host_pool;
	if (reset_break == HVO_RESET_BREAK_COUNTERS) {
		memset(m->memmap, 0, sizeof(m->memmap));
		memset(m->hstate, 0, sizeof(m->hstate));
	}
	if (reset_break == HVO_RESET_BREAK_FAIL_CALLS) {
		m->fail_calls = 0;
		memset(m->site_calls, 0, sizeof(m->site_calls));
	}
	rc = phys_clone(s->phys, m->cfg.host_pool, m->cfg.sync, reset_break == HVO_RESET_BREAK_FRAMES, snapshot,
			&m->phys);
	if (!rc)
		rc = vmemmap_clone(m, s);
	if (!rc)
		rc = clone_tails(m, s);
	if (!rc)
		rc = clone_folios(m, s);
	if (!rc && !(m->shadow = shadow_clone(s->shadow)))
		rc = -HVO_ENOMEM;
	if (!rc)
		rc = track_clone(m, s);
	if (rc) {
		hvo_machine_destroy(m);
		return rc;
	}
	*out = m;
	return 0;
}

int hvo_machine_clone(const struct hvo_machine *s, const struct hvo_config *hooks, struct hvo_machine **out)
{
	return clone_machine(s, hooks, false, out);
}

int hvo_machine_snapshot(const struct hvo_machine *s, struct hvo_machine **out)
{
	struct hvo_config none = s->cfg;

	none.fail = NULL;
	none.fail_ctx = NULL;
	none.sync = NULL;
	none.log = NULL;
	none.log_ctx = NULL;
	none.host_pool = NULL;
	return clone_machine(s, &none, true, out);
}
