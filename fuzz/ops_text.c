// SPDX-License-Identifier: GPL-2.0-only
/*
 * ops_text.c - the op stream's text form (version 1): building, parsing,
 * printing and comparing streams.  No execution here: this file needs only
 * the core's name lookups and hvo_config_default, so its tests build alone.
 *
 * Parsing is strict (every malformed line is an error naming file:line) and
 * total over well-formed input; printing is canonical: every argument is
 * written, so parse(print(s)) == s.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

#define MAX_TOKS 64

static const char *const kind_names[HVO_NR_OP_KINDS] = {
	[HVO_OP_ALLOC] = "alloc", [HVO_OP_ALLOC_BATCH] = "alloc_batch",
	[HVO_OP_OPTIMIZE] = "optimize", [HVO_OP_RESTORE] = "restore",
	[HVO_OP_OPTIMIZE_BATCH] = "optimize_batch", [HVO_OP_RESTORE_BATCH] = "restore_batch",
	[HVO_OP_FREE] = "free", [HVO_OP_DISSOLVE] = "dissolve", [HVO_OP_DEMOTE] = "demote",
	[HVO_OP_GET] = "get", [HVO_OP_PUT] = "put", [HVO_OP_WALK] = "walk",
	[HVO_OP_ENABLE] = "enable", [HVO_OP_CHECK] = "check", [HVO_OP_INJECT] = "inject",
	[HVO_OP_EXPECT] = "expect", [HVO_OP_DAX_ADD] = "dax_add", [HVO_OP_DAX_REMOVE] = "dax_remove",
	[HVO_OP_FREE_BULK] = "free_bulk", [HVO_OP_HWPOISON] = "hwpoison",
	[HVO_OP_DEMOTE_BATCH] = "demote_batch", [HVO_OP_HPAGE_WORK] = "hpage_work",
	[HVO_OP_OFFLINE] = "offline",
};

const char *hvo_op_kind_name(enum hvo_op_kind kind)
{
	return (unsigned)kind < HVO_NR_OP_KINDS ? kind_names[kind] : "?";
}

static int kind_by_name(const char *name)
{
	for (int k = 0; k < HVO_NR_OP_KINDS; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return -1;
}

/* ================================================================ building */

void hvo_ops_init(struct hvo_opstream *s)
{
	memset(s, 0, sizeof(*s));
	hvo_config_default(&s->config);
	s->config.fail = NULL;
	s->config.fail_ctx = NULL;
	s->config.sync = NULL;
	s->config.log = NULL;
	s->config.log_ctx = NULL;
	s->fail.budget = -1;
	s->expect_fail_inv = -1;
}

void hvo_ops_free(struct hvo_opstream *s)
{
	free(s->ops);
	free(s->sel);
	free(s->injects);
	hvo_ops_init(s);
}

/* Make room for one more element of an array (doubling). */
static int grow(void **arr, size_t *cap, size_t nr, size_t elsz)
{
	size_t ncap;
	void *p;

	if (nr < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, ncap * elsz);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct hvo_op *hvo_ops_add(struct hvo_opstream *s, enum hvo_op_kind kind)
{
	struct hvo_op *op;

	if (s->nr_ops >= HVO_OPS_MAX_OPS || grow((void **)&s->ops, &s->cap_ops, s->nr_ops, sizeof(*op)))
		return NULL;
	op = &s->ops[s->nr_ops++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

int hvo_ops_set_sel(struct hvo_opstream *s, struct hvo_op *op, const uint32_t *sel, unsigned n)
{
	if (n > HVO_OPS_MAX_BATCH)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (grow((void **)&s->sel, &s->cap_sel, s->nr_sel + i, sizeof(*sel)))
			return -1;
	op->f = (uint32_t)s->nr_sel;
	op->n = n;
	memcpy(s->sel + s->nr_sel, sel, n * sizeof(*sel));
	s->nr_sel += n;
	return 0;
}

struct hvo_inject *hvo_ops_set_inject(struct hvo_opstream *s, struct hvo_op *op, const struct hvo_op *nested)
{
	struct hvo_inject *inj;

	if (grow((void **)&s->injects, &s->cap_injects, s->nr_injects, sizeof(*inj)))
		return NULL;
	inj = &s->injects[s->nr_injects];
	memset(inj, 0, sizeof(*inj));
	inj->op = *nested;
	inj->hit = 1;
	memset(op, 0, sizeof(*op));
	op->kind = HVO_OP_INJECT;
	op->f = (uint32_t)s->nr_injects++;
	return inj;
}

/* ================================================================= parsing */

struct pstate {
	struct hvo_opstream *s;
	const char *name;
	unsigned long line;
	bool have_version, in_ops;
	unsigned nr_node_lines;
	char *err;
	size_t errlen;
};

static int perr(struct pstate *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct pstate *ps, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (!ps->err || !ps->errlen)
		return -1;
	k = snprintf(ps->err, ps->errlen, "%s:%lu: ", ps->name, ps->line ? ps->line : 1);
	if (k >= 0 && (size_t)k < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + k, ps->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ------------------------------------------------------------- numbers */

/* Decimal or 0x hex, no sign, no overflow. */
static bool parse_u64(const char *p, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return false;
	for (; *p; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

static bool parse_i64(const char *p, int64_t *out)
{
	bool neg = *p == '-';
	uint64_t v;

	if (!parse_u64(p + neg, &v))
		return false;
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static int num_u64(struct pstate *ps, const char *key, const char *val, uint64_t min, uint64_t max,
		   uint64_t *out)
{
	if (!parse_u64(val, out))
		return perr(ps, "bad number '%s' for %s (decimal or 0x hex)", val, key);
	if (*out < min || *out > max)
		return perr(ps, "%s=%s out of range [%" PRIu64 ", %" PRIu64 "]", key, val, min, max);
	return 0;
}

static int num_i64(struct pstate *ps, const char *key, const char *val, int64_t min, int64_t max,
		   int64_t *out)
{
	if (!parse_i64(val, out))
		return perr(ps, "bad number '%s' for %s (decimal or 0x hex)", val, key);
	if (*out < min || *out > max)
		return perr(ps, "%s=%s out of range [%" PRId64 ", %" PRId64 "]", key, val, min, max);
	return 0;
}

/* ------------------------------------------------------- key=value args */

struct kvs {
	const char *what;  /* the directive, for messages */
	unsigned n;
	char *key[MAX_TOKS], *val[MAX_TOKS];
	bool used[MAX_TOKS];
};

/* Split tokens "k=v" in place. */
static int kv_split(struct pstate *ps, const char *what, char **t, unsigned n, struct kvs *kv)
{
	kv->what = what;
	kv->n = 0;
	for (unsigned i = 0; i < n; i++) {
		char *eq = strchr(t[i], '=');

		if (!eq || eq == t[i])
			return perr(ps, "%s: expected key=value, got '%s'", what, t[i]);
		*eq = '\0';
		for (unsigned j = 0; j < kv->n; j++)
			if (!strcmp(kv->key[j], t[i]))
				return perr(ps, "%s: duplicate argument '%s'", what, t[i]);
		kv->key[kv->n] = t[i];
		kv->val[kv->n] = eq + 1;
		kv->used[kv->n++] = false;
	}
	return 0;
}

static char *kv_get(struct kvs *kv, const char *key)
{
	for (unsigned i = 0; i < kv->n; i++)
		if (!strcmp(kv->key[i], key)) {
			kv->used[i] = true;
			return kv->val[i];
		}
	return NULL;
}

static int kv_done(struct pstate *ps, const struct kvs *kv)
{
	for (unsigned i = 0; i < kv->n; i++)
		if (!kv->used[i])
			return perr(ps, "%s: unknown argument '%s'", kv->what, kv->key[i]);
	return 0;
}

/* Unsigned argument; absent: *out = def, or an error when required. */
static int kv_u64(struct pstate *ps, struct kvs *kv, const char *key, bool required, uint64_t def,
		  uint64_t max, uint64_t *out)
{
	const char *v = kv_get(kv, key);

	if (!v) {
		*out = def;
		return required ? perr(ps, "%s: missing %s=", kv->what, key) : 0;
	}
	return num_u64(ps, key, v, 0, max, out);
}

static int kv_uint(struct pstate *ps, struct kvs *kv, const char *key, bool required, unsigned def,
		   unsigned max, unsigned *out)
{
	uint64_t v;
	int rc = kv_u64(ps, kv, key, required, def, max, &v);

	*out = (unsigned)v;
	return rc;
}

static int kv_bool(struct pstate *ps, struct kvs *kv, const char *key, bool def, bool *out)
{
	uint64_t v;
	int rc = kv_u64(ps, kv, key, false, def, 1, &v);

	*out = v != 0;
	return rc;
}

int hvo_gen_by_name(const char *name)
{
	if ((name[0] != 'g' && name[0] != 'G') || name[1] < '1' || name[1] > '3' || name[2])
		return -1;
	return name[1] - '0';
}

/* gen=g1|g2|g3 (spec section 0); absent: def. */
static int kv_gen(struct pstate *ps, struct kvs *kv, enum hvo_gen def, enum hvo_gen *out)
{
	const char *v = kv_get(kv, "gen");

	*out = def;
	if (!v)
		return 0;
	if (hvo_gen_by_name(v) < 0)
		return perr(ps, "config: unknown generation '%s' (valid: g1 g2 g3)", v);
	*out = (enum hvo_gen)hvo_gen_by_name(v);
	return 0;
}

/* boot=deferred|early (spec 2.8). */
static int kv_boot(struct pstate *ps, struct kvs *kv, enum hvo_boot_design def, enum hvo_boot_design *out)
{
	const char *v = kv_get(kv, "boot");

	*out = def;
	if (!v)
		return 0;
	if (!strcmp(v, "deferred") || !strcmp(v, "early")) {
		*out = v[0] == 'e' ? HVO_BOOT_EARLY : HVO_BOOT_DEFERRED;
		return 0;
	}
	return perr(ps, "config: unknown boot design '%s' (valid: deferred early)", v);
}

/* ------------------------------------------------------------ names */

static int zone_by_name(struct pstate *ps, const char *name, int *out)
{
	if (!strcmp(name, "any")) {
		*out = -1;
		return 0;
	}
	for (int z = 0; z < HVO_NR_ZONES; z++)
		if (!strcmp(name, hvo_zone_name(z))) {
			*out = z;
			return 0;
		}
	return perr(ps, "unknown zone '%s' (valid: dma32 normal movable device any)", name);
}

static int site_by_name(struct pstate *ps, const char *name, int *out)
{
	char valid[256] = "any";

	if (!strcmp(name, "any")) {
		*out = -1;
		return 0;
	}
	*out = hvo_site_by_name(name);
	if (*out >= 0)
		return 0;
	for (int i = 0; i < HVO_NR_SITES; i++)
		snprintf(valid + strlen(valid), sizeof(valid) - strlen(valid), " %s", hvo_site_name(i));
	return perr(ps, "unknown site '%s' (valid: %s)", name, valid);
}

static int sync_point_by_name(struct pstate *ps, const char *name, int *out)
{
	char valid[256] = "";

	for (int i = 0; i < HVO_NR_SYNC_POINTS; i++)
		if (!strcmp(name, hvo_sync_point_name(i))) {
			*out = i;
			return 0;
		}
	for (int i = 0; i < HVO_NR_SYNC_POINTS; i++)
		snprintf(valid + strlen(valid), sizeof(valid) - strlen(valid), "%s%s", i ? " " : "",
			 hvo_sync_point_name(i));
	return perr(ps, "unknown sync point '%s' (valid: %s)", name, valid);
}

static int mutant_by_name(struct pstate *ps, const char *name, int *out)
{
	char valid[256] = "";

	*out = hvo_mutant_by_name(name);
	if (*out >= 0)
		return 0;
	for (int i = 0; i < HVO_NR_MUTANTS; i++)
		snprintf(valid + strlen(valid), sizeof(valid) - strlen(valid), "%s%s", i ? " " : "",
			 hvo_mutant_info(i)->name);
	return perr(ps, "unknown mutant '%s' (valid: %s)", name, valid);
}

/* ------------------------------------------------------- header lines */

static int parse_version(struct pstate *ps, char **t, unsigned n)
{
	uint64_t v;

	if (strcmp(t[0], "hvo-ops"))
		return perr(ps, "missing version line 'hvo-ops %d' (got '%s')", HVO_OPS_VERSION, t[0]);
	if (n != 2)
		return perr(ps, "version line must be 'hvo-ops %d'", HVO_OPS_VERSION);
	if (!parse_u64(t[1], &v))
		return perr(ps, "bad version number '%s'", t[1]);
	if (v != HVO_OPS_VERSION)
		return perr(ps, "unsupported version %s (this build reads version %d)", t[1], HVO_OPS_VERSION);
	ps->have_version = true;
	return 0;
}

/* deferred_init=0|1: CONFIG_DEFERRED_STRUCT_PAGE_INIT (default 1). */
static int kv_deferred(struct pstate *ps, struct kvs *kv, struct hvo_config *c)
{
	bool on = !c->no_deferred_init;

	if (kv_bool(ps, kv, "deferred_init", on, &on))
		return -1;
	c->no_deferred_init = !on;
	return 0;
}

static int parse_config(struct pstate *ps, char **t, unsigned n)
{
	struct hvo_config *c = &ps->s->config;
	struct kvs kv;

	if (kv_split(ps, "config", t + 1, n - 1, &kv) ||
	    kv_gen(ps, &kv, c->gen, &c->gen) ||
	    kv_boot(ps, &kv, c->boot_design, &c->boot_design) ||
	    kv_uint(ps, &kv, "page_shift", false, c->page_shift, 63, &c->page_shift) ||
	    kv_uint(ps, &kv, "struct_page_size", false, c->struct_page_size, 65535, &c->struct_page_size) ||
	    kv_bool(ps, &kv, "hvo", c->hvo_enabled, &c->hvo_enabled) ||
	    kv_deferred(ps, &kv, c) ||
	    kv_u64(ps, &kv, "base", false, c->vmemmap_base, UINT64_MAX, &c->vmemmap_base))
		return -1;
	return kv_done(ps, &kv);
}

/* mirror=START+PAGES[,START+PAGES...]: kernelcore=mirror's mirrored pfn
 * ranges of the node (issue 13 D11; hvo_config_validate checks them). */
static int kv_mirror(struct pstate *ps, struct kvs *kv, struct hvo_node_config *nc)
{
	char *v = kv_get(kv, "mirror"), *save = NULL, *tok;

	nc->nr_mirror = 0;
	if (!v)
		return 0;
	for (tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *plus = strchr(tok, '+');
		struct hvo_pfn_range *r = &nc->mirror[nc->nr_mirror];

		if (nc->nr_mirror == HVO_MAX_MIRROR)
			return perr(ps, "node: more than %d mirror ranges", HVO_MAX_MIRROR);
		if (!plus)
			return perr(ps, "node: mirror range '%s' is not START+PAGES", tok);
		*plus = '\0';
		if (num_u64(ps, "mirror start", tok, 0, UINT64_MAX, &r->start_pfn) ||
		    num_u64(ps, "mirror pages", plus + 1, 1, UINT64_MAX, &r->nr_pages))
			return -1;
		nc->nr_mirror++;
	}
	if (!nc->nr_mirror)
		return perr(ps, "node: mirror= with no range (START+PAGES[,START+PAGES...])");
	return 0;
}

static int parse_node(struct pstate *ps, char **t, unsigned n)
{
	struct hvo_config *c = &ps->s->config;
	struct hvo_node_config *nc;
	struct kvs kv;
	uint64_t id;

	if (n < 2 || strchr(t[1], '='))
		return perr(ps, "node: missing node number (node <id> start=.. pages=..)");
	if (num_u64(ps, "node", t[1], 0, UINT64_MAX, &id))
		return -1;
	if (ps->nr_node_lines >= HVO_MAX_NODES)
		return perr(ps, "too many nodes (max %d)", HVO_MAX_NODES);
	if (id != ps->nr_node_lines)
		return perr(ps, "node %" PRIu64 " out of order (expected node %u)", id, ps->nr_node_lines);
	if (ps->nr_node_lines == 0)
		memset(c->node, 0, sizeof(c->node));
	nc = &c->node[id];
	if (kv_split(ps, "node", t + 2, n - 2, &kv) ||
	    kv_u64(ps, &kv, "start", false, 0, UINT64_MAX, &nc->start_pfn) ||
	    kv_u64(ps, &kv, "pages", true, 0, UINT64_MAX, &nc->nr_pages) ||
	    kv_u64(ps, &kv, "movable_start", false, 0, UINT64_MAX, &nc->movable_start_pfn) ||
	    kv_bool(ps, &kv, "movable_only", false, &nc->movable_only) ||
	    kv_bool(ps, &kv, "memmap_on_memory", false, &nc->memmap_on_memory) ||
	    kv_bool(ps, &kv, "hotplug", false, &nc->hotplug) ||
	    kv_u64(ps, &kv, "dax_start", false, 0, UINT64_MAX, &nc->dax_start_pfn) ||
	    kv_u64(ps, &kv, "dax_pages", false, 0, UINT64_MAX, &nc->dax_nr_pages) ||
	    kv_mirror(ps, &kv, nc))
		return -1;
	c->nr_nodes = ++ps->nr_node_lines;
	return kv_done(ps, &kv);
}

/* bootmem pfn=.. order=..: a gigantic page reserved at boot (spec 2.8). */
static int parse_bootmem(struct pstate *ps, char **t, unsigned n)
{
	struct hvo_config *c = &ps->s->config;
	struct hvo_bootmem *b;
	struct kvs kv;

	if (c->nr_bootmem == HVO_MAX_BOOTMEM)
		return perr(ps, "bootmem: at most %d bootmem lines", HVO_MAX_BOOTMEM);
	b = &c->bootmem[c->nr_bootmem];
	if (kv_split(ps, "bootmem", t + 1, n - 1, &kv) ||
	    kv_u64(ps, &kv, "pfn", true, 0, UINT64_MAX, &b->pfn) ||
	    kv_uint(ps, &kv, "order", true, 0, 63, &b->order))
		return -1;
	c->nr_bootmem++;
	return kv_done(ps, &kv);
}

static int parse_mutant(struct pstate *ps, char **t, unsigned n)
{
	int mut;

	if (n != 2)
		return perr(ps, "mutant: expected one mutant name (mutant <name>)");
	if (mutant_by_name(ps, t[1], &mut))
		return -1;
	ps->s->config.mutants |= 1ull << mut;
	return 0;
}

static int parse_fail(struct pstate *ps, char **t, unsigned n)
{
	struct hvo_fail_policy *p = &ps->s->fail;
	struct hvo_fail_rule r = { 0 };
	struct kvs kv;
	const char *site;
	uint64_t nth, repeat;

	if (p->nr_rules >= HVO_FAIL_MAX_RULES)
		return perr(ps, "too many fail rules (max %d)", HVO_FAIL_MAX_RULES);
	if (kv_split(ps, "fail", t + 1, n - 1, &kv))
		return -1;
	site = kv_get(&kv, "site");
	if (!site)
		return perr(ps, "fail: missing site= (a site name or any)");
	if (site_by_name(ps, site, &r.site))
		return -1;
	if (kv_u64(ps, &kv, "nth", true, 0, UINT32_MAX, &nth) ||
	    kv_u64(ps, &kv, "repeat", false, 1, UINT32_MAX, &repeat))
		return -1;
	if (nth == 0)
		return perr(ps, "fail: nth counts calls from 1");
	r.nth = (uint32_t)nth;
	r.repeat = (uint32_t)repeat;
	p->rules[p->nr_rules++] = r;
	return kv_done(ps, &kv);
}

static int parse_site_mask(struct pstate *ps, char *list, uint32_t *mask)
{
	*mask = 0;
	if (!strcmp(list, "any") || !strcmp(list, "all")) {
		*mask = (1u << HVO_NR_SITES) - 1;
		return 0;
	}
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int site;

		if (site_by_name(ps, tok, &site))
			return -1;
		if (site < 0)
			return perr(ps, "budget: 'any' must stand alone in sites=");
		*mask |= 1u << site;
	}
	return *mask ? 0 : perr(ps, "budget: empty sites=");
}

static int parse_budget(struct pstate *ps, char **t, unsigned n)
{
	struct hvo_fail_policy *p = &ps->s->fail;
	struct kvs kv;
	const char *v;
	char *sites;

	if (kv_split(ps, "budget", t + 1, n - 1, &kv))
		return -1;
	v = kv_get(&kv, "n");
	if (!v)
		return perr(ps, "budget: missing n= (successful calls allowed, -1 = unlimited)");
	if (num_i64(ps, "n", v, -1, INT64_MAX, &p->budget))
		return -1;
	sites = kv_get(&kv, "sites");
	p->budget_sites = 0;
	if (sites && parse_site_mask(ps, sites, &p->budget_sites))
		return -1;
	return kv_done(ps, &kv);
}

static int parse_expect_setup(struct pstate *ps, char **t, unsigned n)
{
	if (n != 2 || strcmp(t[1], "setup-error"))
		return perr(ps, "in the header, 'expect' takes exactly 'setup-error'");
	ps->s->expect_setup_error = true;
	return 0;
}

/* "expect-fail I<N>": the invariant a witness fails with under its mutant. */
static int parse_expect_fail(struct pstate *ps, char **t, unsigned n)
{
	uint64_t v;

	const char *f = n == 3 ? t[2] + 10 : "";

	if ((n != 2 && n != 3) || t[1][0] != 'I' || !parse_u64(t[1] + 1, &v) || v > 23 || (t[1][1] == '0' && t[1][2]))
		return perr(ps, "'expect-fail' takes an invariant ID, I0..I23, and optionally sanitizer:FUNCTION");
	if (n == 3 && (strncmp(t[2], "sanitizer:", 10) || !*f || strlen(f) >= sizeof(ps->s->expect_sanitizer) ||
		       strspn(f, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != strlen(f)))
		return perr(ps, "'expect-fail': the second word must be sanitizer:FUNCTION");
	if (ps->s->expect_fail_inv >= 0)
		return perr(ps, "duplicate 'expect-fail' line");
	ps->s->expect_fail_inv = (int)v;
	snprintf(ps->s->expect_sanitizer, sizeof(ps->s->expect_sanitizer), "%s", f);
	return 0;
}

static int parse_ops_line(struct pstate *ps, char **t, unsigned n)
{
	(void)t;
	if (n != 1)
		return perr(ps, "'ops' takes no arguments");
	ps->in_ops = true;
	return 0;
}

struct directive {
	const char *name;
	int (*parse)(struct pstate *ps, char **t, unsigned n);
};

static const struct directive header_directives[] = {
	{ "config", parse_config }, { "node", parse_node }, { "bootmem", parse_bootmem }, { "mutant", parse_mutant },
	{ "fail", parse_fail }, { "budget", parse_budget }, { "expect", parse_expect_setup },
	{ "expect-fail", parse_expect_fail },
	{ "ops", parse_ops_line },
};

/* ------------------------------------------------------------ op lines */

static int parse_folio_sel(struct pstate *ps, struct kvs *kv, struct hvo_op *op)
{
	uint64_t f;

	if (kv_u64(ps, kv, "f", true, 0, UINT32_MAX, &f))
		return -1;
	op->f = (uint32_t)f;
	return 0;
}

static int parse_alloc_args(struct pstate *ps, struct kvs *kv, struct hvo_op *op)
{
	const char *zone = kv_get(kv, "zone");

	op->zone = -1;
	if (kv_uint(ps, kv, "order", true, 0, 63, &op->order) ||
	    kv_uint(ps, kv, "node", false, 0, HVO_OPS_MAX_NODE, &op->node) ||
	    (zone && zone_by_name(ps, zone, &op->zone)))
		return -1;
	if (op->kind == HVO_OP_ALLOC_BATCH)
		return kv_uint(ps, kv, "n", true, 0, HVO_OPS_MAX_ALLOC_BATCH, &op->n);
	return 0;
}

static int parse_sel_list(struct pstate *ps, struct kvs *kv, struct hvo_op *op)
{
	uint32_t sel[HVO_OPS_MAX_BATCH];
	unsigned n = 0;
	char *list = kv_get(kv, "f");

	if (!list)
		return perr(ps, "%s: missing f= (a comma list of folio selectors)", kv->what);
	for (char *p = list, *comma; p; p = comma ? comma + 1 : NULL) {
		uint64_t v;

		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (n >= HVO_OPS_MAX_BATCH)
			return perr(ps, "%s: too many folios (max %d)", kv->what, HVO_OPS_MAX_BATCH);
		if (num_u64(ps, "f", p, 0, UINT32_MAX, &v))
			return -1;
		sel[n++] = (uint32_t)v;
	}
	if (hvo_ops_set_sel(ps->s, op, sel, n))
		return perr(ps, "out of memory");
	return 0;
}

static int parse_walk_args(struct pstate *ps, struct kvs *kv, struct hvo_op *op)
{
	bool has_pfn = kv_get(kv, "pfn"), has_f = kv_get(kv, "f"), has_index = kv_get(kv, "index");

	if (has_pfn && (has_f || has_index))
		return perr(ps, "walk: give pfn= or f= [index=], not both");
	if (has_pfn)
		return kv_u64(ps, kv, "pfn", true, 0, UINT64_MAX, &op->pfn);
	if (!has_f)
		return perr(ps, "walk: missing pfn= or f=");
	op->by_folio = true;
	return parse_folio_sel(ps, kv, op) || kv_u64(ps, kv, "index", false, 0, UINT64_MAX, &op->index);
}

static int parse_dax_add(struct pstate *ps, struct kvs *kv, struct hvo_op *op)
{
	return kv_u64(ps, kv, "pfn", true, 0, UINT64_MAX, &op->pfn) ||
	       kv_u64(ps, kv, "pages", true, 0, UINT64_MAX, &op->pages) ||
	       kv_uint(ps, kv, "order", true, 0, 63, &op->order) ||
	       kv_uint(ps, kv, "node", false, 0, HVO_OPS_MAX_NODE, &op->node) ||
	       kv_bool(ps, kv, "altmap", false, &op->altmap);
}

static int parse_op_kv(struct pstate *ps, struct kvs *kv, struct hvo_op *op)
{
	uint64_t range;

	switch (op->kind) {
	case HVO_OP_DAX_ADD:
		return parse_dax_add(ps, kv, op);
	case HVO_OP_DAX_REMOVE:
		if (kv_u64(ps, kv, "range", true, 0, UINT32_MAX, &range))
			return -1;
		op->f = (uint32_t)range;
		return 0;
	case HVO_OP_ALLOC:
	case HVO_OP_ALLOC_BATCH:
		return parse_alloc_args(ps, kv, op);
	case HVO_OP_OPTIMIZE_BATCH:
	case HVO_OP_RESTORE_BATCH:
	case HVO_OP_FREE_BULK:
		return parse_sel_list(ps, kv, op);
	case HVO_OP_HWPOISON:
		return parse_folio_sel(ps, kv, op) || kv_u64(ps, kv, "index", false, 0, UINT64_MAX, &op->index);
	case HVO_OP_DEMOTE:
		return parse_folio_sel(ps, kv, op) || kv_uint(ps, kv, "order", true, 0, 63, &op->order);
	case HVO_OP_DEMOTE_BATCH:
		return parse_sel_list(ps, kv, op) || kv_uint(ps, kv, "order", true, 0, 63, &op->order);
	case HVO_OP_WALK:
		return parse_walk_args(ps, kv, op);
	case HVO_OP_EXPECT:
		if (!kv_get(kv, "rc"))
			return perr(ps, "expect: missing rc=");
		return num_i64(ps, "rc", kv_get(kv, "rc"), INT64_MIN, INT64_MAX, &op->rc);
	case HVO_OP_CHECK:
	case HVO_OP_HPAGE_WORK:
		return 0;
	case HVO_OP_OFFLINE:
		return kv_uint(ps, kv, "node", true, 0, HVO_OPS_MAX_NODE, &op->node);
	default:
		return parse_folio_sel(ps, kv, op);
	}
}

/* Parse one op (not inject) from its name and argument tokens. */
static int parse_op(struct pstate *ps, int kind, char **t, unsigned n, struct hvo_op *op)
{
	struct kvs kv;
	uint64_t on;

	memset(op, 0, sizeof(*op));
	op->kind = (enum hvo_op_kind)kind;
	if (kind == HVO_OP_ENABLE) {
		if (n != 1)
			return perr(ps, "enable: expected 0 or 1 (enable <0|1>)");
		if (num_u64(ps, "enable", t[0], 0, 1, &on))
			return -1;
		op->n = (unsigned)on;
		return 0;
	}
	if ((kind == HVO_OP_CHECK || kind == HVO_OP_HPAGE_WORK) && n)
		return perr(ps, "%s takes no arguments", kind_names[kind]);
	if (kv_split(ps, kind_names[kind], t, n, &kv) || parse_op_kv(ps, &kv, op))
		return -1;
	return kv_done(ps, &kv);
}

static int is_inject_key(const char *tok)
{
	return !strncmp(tok, "at=", 3) || !strncmp(tok, "where=", 6) || !strncmp(tok, "hit=", 4);
}

static int parse_inject_keys(struct pstate *ps, char **t, unsigned n, struct hvo_inject *inj)
{
	struct kvs kv;
	const char *at, *where;
	uint64_t hit;

	if (kv_split(ps, "inject", t, n, &kv))
		return -1;
	at = kv_get(&kv, "at");
	if (!at)
		return perr(ps, "inject: missing at= (a sync point name)");
	if (sync_point_by_name(ps, at, &inj->at) || kv_u64(ps, &kv, "hit", false, 1, UINT32_MAX, &hit))
		return -1;
	if (hit == 0)
		return perr(ps, "inject: hit counts from 1");
	inj->hit = (uint32_t)hit;
	where = kv_get(&kv, "where");
	if (where && strlen(where) >= HVO_OPS_WHERE_LEN)
		return perr(ps, "inject: where= longer than %d bytes", HVO_OPS_WHERE_LEN - 1);
	snprintf(inj->where, sizeof(inj->where), "%s", where ? where : "");
	return kv_done(ps, &kv);
}

static int parse_inject(struct pstate *ps, char **t, unsigned n)
{
	struct hvo_inject tmp = { 0 }, *inj;
	struct hvo_op nested, *op;
	unsigned k = 1;
	int kind;

	while (k < n && is_inject_key(t[k]))
		k++;
	if (k == n)
		return perr(ps, "inject: missing the op to inject (inject at=<sync point> [where=..] [hit=N] <op>)");
	kind = kind_by_name(t[k]);
	if (kind < 0)
		return perr(ps, "inject: unknown op '%s'", t[k]);
	if (kind == HVO_OP_INJECT || kind == HVO_OP_EXPECT || kind == HVO_OP_OFFLINE)
		return perr(ps, "inject: cannot inject '%s'", t[k]);
	if (parse_inject_keys(ps, t + 1, k - 1, &tmp) || parse_op(ps, kind, t + k + 1, n - k - 1, &nested))
		return -1;
	op = hvo_ops_add(ps->s, HVO_OP_INJECT);
	inj = op ? hvo_ops_set_inject(ps->s, op, &nested) : NULL;
	if (!inj)
		return perr(ps, "out of memory");
	inj->at = tmp.at;
	inj->hit = tmp.hit;
	memcpy(inj->where, tmp.where, sizeof(inj->where));
	return 0;
}

static int parse_op_line(struct pstate *ps, int kind, char **t, unsigned n)
{
	struct hvo_op op, *slot;

	if (!ps->in_ops)
		return perr(ps, "op '%s' before the 'ops' line", t[0]);
	if (ps->s->nr_ops >= HVO_OPS_MAX_OPS)
		return perr(ps, "too many ops (max %d)", HVO_OPS_MAX_OPS);
	if (kind == HVO_OP_INJECT)
		return parse_inject(ps, t, n);
	if (parse_op(ps, kind, t + 1, n - 1, &op))
		return -1;
	slot = hvo_ops_add(ps->s, op.kind);
	if (!slot)
		return perr(ps, "out of memory");
	*slot = op;
	return 0;
}

/* ------------------------------------------------------------ lines */

static int parse_tokens(struct pstate *ps, char **t, unsigned n)
{
	int kind;

	if (!ps->have_version)
		return parse_version(ps, t, n);
	if (!strcmp(t[0], "hvo-ops"))
		return perr(ps, "duplicate version line");
	for (size_t i = 0; i < sizeof(header_directives) / sizeof(header_directives[0]); i++)
		if (!strcmp(t[0], header_directives[i].name) && !(ps->in_ops && !strcmp(t[0], "expect"))) {
			if (ps->in_ops)
				return perr(ps, "header directive '%s' after the 'ops' line", t[0]);
			return header_directives[i].parse(ps, t, n);
		}
	kind = kind_by_name(t[0]);
	if (kind < 0)
		return perr(ps, "unknown directive or op '%s'", t[0]);
	return parse_op_line(ps, kind, t, n);
}

/* Strip the comment, split on blanks, parse. */
static int parse_line(struct pstate *ps, char *buf)
{
	char *t[MAX_TOKS], *save = NULL, *hash = strchr(buf, '#');
	unsigned n = 0;

	if (hash)
		*hash = '\0';
	for (char *tok = strtok_r(buf, " \t\r\v\f", &save); tok; tok = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (n == MAX_TOKS)
			return perr(ps, "too many words on one line (max %d)", MAX_TOKS);
		t[n++] = tok;
	}
	return n ? parse_tokens(ps, t, n) : 0;
}

static int parse_all(struct pstate *ps, const char *text, size_t len)
{
	char buf[HVO_OPS_MAX_LINE + 1];

	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);

		ps->line++;
		if (l > HVO_OPS_MAX_LINE)
			return perr(ps, "line too long (%zu bytes, max %d)", l, HVO_OPS_MAX_LINE);
		if (memchr(p, '\0', l))
			return perr(ps, "NUL byte in line (not a text file?)");
		memcpy(buf, p, l);
		buf[l] = '\0';
		if (parse_line(ps, buf))
			return -1;
		p = nl ? nl + 1 : end;
	}
	if (!ps->have_version)
		return perr(ps, "missing version line 'hvo-ops %d'", HVO_OPS_VERSION);
	if (!ps->in_ops)
		return perr(ps, "missing 'ops' line (end of the header)");
	return 0;
}

int hvo_ops_parse(const char *text, size_t len, const char *name, struct hvo_opstream *out,
		  char *err, size_t errlen)
{
	struct pstate ps = { .s = out, .name = name ? name : "<input>", .err = err, .errlen = errlen };

	hvo_ops_init(out);
	if (err && errlen)
		err[0] = '\0';
	if (!text && len)
		return perr(&ps, "no input");
	if (parse_all(&ps, text ? text : "", len)) {
		hvo_ops_free(out);
		return -1;
	}
	return 0;
}

/* ================================================================ printing */

static const char *zone_str(int zone)
{
	return zone < 0 ? "any" : hvo_zone_name(zone);
}

static void print_sites(uint32_t mask, FILE *f)
{
	const char *sep = " sites=";

	for (int i = 0; i < HVO_NR_SITES; i++)
		if (mask >> i & 1) {
			fprintf(f, "%s%s", sep, hvo_site_name(i));
			sep = ",";
		}
}

static void print_policy(const struct hvo_fail_policy *p, FILE *f)
{
	for (unsigned i = 0; i < p->nr_rules && i < HVO_FAIL_MAX_RULES; i++) {
		const struct hvo_fail_rule *r = &p->rules[i];

		fprintf(f, "fail site=%s nth=%" PRIu32 " repeat=%" PRIu32 "\n",
			r->site < 0 ? "any" : hvo_site_name(r->site), r->nth, r->repeat);
	}
	if (p->budget != -1 || p->budget_sites) {
		fprintf(f, "budget n=%" PRId64, p->budget);
		print_sites(p->budget_sites, f);
		fputc('\n', f);
	}
}

void hvo_ops_print_header(const struct hvo_opstream *s, uint64_t extra_mutants, FILE *f)
{
	const struct hvo_config *c = &s->config;
	uint64_t mutants = c->mutants | extra_mutants;

	fprintf(f, "hvo-ops %d\n", HVO_OPS_VERSION);
	/* gen, boot and the dax keys only when not the default, so G2 streams print as before */
	fputs("config ", f);
	if (c->gen != HVO_G2)
		fprintf(f, "gen=g%d ", (int)c->gen);
	if (c->boot_design == HVO_BOOT_EARLY)
		fputs("boot=early ", f);
	if (c->no_deferred_init)
		fputs("deferred_init=0 ", f);
	fprintf(f, "page_shift=%u struct_page_size=%u hvo=%d base=0x%" PRIx64 "\n", c->page_shift,
		c->struct_page_size, c->hvo_enabled, c->vmemmap_base);
	for (unsigned i = 0; i < c->nr_nodes && i < HVO_MAX_NODES; i++) {
		fprintf(f, "node %u start=0x%" PRIx64 " pages=0x%" PRIx64 " movable_start=0x%" PRIx64
			" movable_only=%d", i, c->node[i].start_pfn, c->node[i].nr_pages,
			c->node[i].movable_start_pfn, c->node[i].movable_only);
		if (c->node[i].memmap_on_memory)
			fprintf(f, " memmap_on_memory=1");
		if (c->node[i].hotplug)
			fprintf(f, " hotplug=1");
		if (c->node[i].dax_start_pfn || c->node[i].dax_nr_pages)
			fprintf(f, " dax_start=0x%" PRIx64 " dax_pages=0x%" PRIx64, c->node[i].dax_start_pfn,
				c->node[i].dax_nr_pages);
		for (unsigned k = 0; k < c->node[i].nr_mirror && k < HVO_MAX_MIRROR; k++)
			fprintf(f, "%s0x%" PRIx64 "+0x%" PRIx64, k ? "," : " mirror=", c->node[i].mirror[k].start_pfn,
				c->node[i].mirror[k].nr_pages);
		fputc('\n', f);
	}
	for (unsigned i = 0; i < c->nr_bootmem && i < HVO_MAX_BOOTMEM; i++)
		fprintf(f, "bootmem pfn=0x%" PRIx64 " order=%u\n", c->bootmem[i].pfn, c->bootmem[i].order);
	for (int i = 0; i < HVO_NR_MUTANTS; i++)
		if (mutants >> i & 1)
			fprintf(f, "mutant %s\n", hvo_mutant_info(i)->name);
	print_policy(&s->fail, f);
	if (s->expect_setup_error)
		fputs("expect setup-error\n", f);
	if (s->expect_fail_inv >= 0)
		fprintf(f, "expect-fail I%d%s%s\n", s->expect_fail_inv, s->expect_sanitizer[0] ? " sanitizer:" : "",
			s->expect_sanitizer);
	fputs("ops\n", f);
}

static void print_sel(const struct hvo_opstream *s, const struct hvo_op *op, FILE *f)
{
	fputs(" f=", f);
	for (unsigned i = 0; i < op->n; i++)
		fprintf(f, "%s%" PRIu32, i ? "," : "", op->f + i < s->nr_sel ? s->sel[op->f + i] : 0);
}

static void print_inject(const struct hvo_opstream *s, const struct hvo_op *op, FILE *f)
{
	const struct hvo_inject *inj;

	if (op->f >= s->nr_injects) {
		fputs(" ?", f);
		return;
	}
	inj = &s->injects[op->f];
	fprintf(f, " at=%s", hvo_sync_point_name(inj->at));
	if (inj->where[0])
		fprintf(f, " where=%s", inj->where);
	fprintf(f, " hit=%" PRIu32 " ", inj->hit);
	if (inj->op.kind != HVO_OP_INJECT)
		hvo_ops_print_op(s, &inj->op, f);
}

void hvo_ops_print_op(const struct hvo_opstream *s, const struct hvo_op *op, FILE *f)
{
	fputs(hvo_op_kind_name(op->kind), f);
	switch (op->kind) {
	case HVO_OP_ALLOC:
	case HVO_OP_ALLOC_BATCH:
		fprintf(f, " order=%u node=%u zone=%s", op->order, op->node, zone_str(op->zone));
		if (op->kind == HVO_OP_ALLOC_BATCH)
			fprintf(f, " n=%u", op->n);
		break;
	case HVO_OP_OPTIMIZE_BATCH:
	case HVO_OP_RESTORE_BATCH:
	case HVO_OP_FREE_BULK:
		print_sel(s, op, f);
		break;
	case HVO_OP_HWPOISON:
		fprintf(f, " f=%" PRIu32 " index=%" PRIu64, op->f, op->index);
		break;
	case HVO_OP_DEMOTE:
		fprintf(f, " f=%" PRIu32 " order=%u", op->f, op->order);
		break;
	case HVO_OP_DEMOTE_BATCH:
		print_sel(s, op, f);
		fprintf(f, " order=%u", op->order);
		break;
	case HVO_OP_WALK:
		if (op->by_folio)
			fprintf(f, " f=%" PRIu32 " index=%" PRIu64, op->f, op->index);
		else
			fprintf(f, " pfn=0x%" PRIx64, op->pfn);
		break;
	case HVO_OP_ENABLE:
		fprintf(f, " %u", op->n);
		break;
	case HVO_OP_CHECK:
	case HVO_OP_HPAGE_WORK:
		break;
	case HVO_OP_INJECT:
		print_inject(s, op, f);
		break;
	case HVO_OP_EXPECT:
		fprintf(f, " rc=%" PRId64, op->rc);
		break;
	case HVO_OP_DAX_ADD:
		fprintf(f, " pfn=0x%" PRIx64 " pages=0x%" PRIx64 " order=%u node=%u altmap=%d", op->pfn, op->pages,
			op->order, op->node, op->altmap);
		break;
	case HVO_OP_DAX_REMOVE:
		fprintf(f, " range=%" PRIu32, op->f);
		break;
	case HVO_OP_OFFLINE:
		fprintf(f, " node=%u", op->node);
		break;
	default:
		fprintf(f, " f=%" PRIu32, op->f);
		break;
	}
}

int hvo_ops_print(const struct hvo_opstream *s, FILE *f)
{
	hvo_ops_print_header(s, 0, f);
	for (size_t i = 0; i < s->nr_ops; i++) {
		hvo_ops_print_op(s, &s->ops[i], f);
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}

/* =============================================================== comparing */

static bool config_equal(const struct hvo_config *a, const struct hvo_config *b)
{
	if (a->gen != b->gen || a->page_shift != b->page_shift || a->struct_page_size != b->struct_page_size ||
	    a->nr_nodes != b->nr_nodes || a->vmemmap_base != b->vmemmap_base ||
	    a->hvo_enabled != b->hvo_enabled || a->mutants != b->mutants || a->skip_op_checks != b->skip_op_checks ||
	    a->boot_design != b->boot_design || a->no_deferred_init != b->no_deferred_init ||
	    a->nr_bootmem != b->nr_bootmem)
		return false;
	for (unsigned i = 0; i < a->nr_bootmem && i < HVO_MAX_BOOTMEM; i++)
		if (a->bootmem[i].pfn != b->bootmem[i].pfn || a->bootmem[i].order != b->bootmem[i].order)
			return false;
	for (unsigned i = 0; i < HVO_MAX_NODES; i++) {
		const struct hvo_node_config *x = &a->node[i], *y = &b->node[i];

		if (x->start_pfn != y->start_pfn || x->nr_pages != y->nr_pages ||
		    x->movable_start_pfn != y->movable_start_pfn || x->movable_only != y->movable_only ||
		    x->memmap_on_memory != y->memmap_on_memory || x->hotplug != y->hotplug || x->dax_start_pfn != y->dax_start_pfn || x->dax_nr_pages != y->dax_nr_pages ||
		    x->nr_mirror != y->nr_mirror)
			return false;
		for (unsigned k = 0; k < x->nr_mirror && k < HVO_MAX_MIRROR; k++)
			if (x->mirror[k].start_pfn != y->mirror[k].start_pfn || x->mirror[k].nr_pages != y->mirror[k].nr_pages)
				return false;
	}
	return true;
}

static bool policy_equal(const struct hvo_fail_policy *a, const struct hvo_fail_policy *b)
{
	if (a->nr_rules != b->nr_rules || a->budget != b->budget || a->budget_sites != b->budget_sites)
		return false;
	for (unsigned i = 0; i < a->nr_rules && i < HVO_FAIL_MAX_RULES; i++)
		if (a->rules[i].site != b->rules[i].site || a->rules[i].nth != b->rules[i].nth ||
		    a->rules[i].repeat != b->rules[i].repeat)
			return false;
	return true;
}

static bool sel_equal(const struct hvo_opstream *sa, const struct hvo_op *a,
		      const struct hvo_opstream *sb, const struct hvo_op *b)
{
	if (a->n != b->n || a->f + (size_t)a->n > sa->nr_sel || b->f + (size_t)b->n > sb->nr_sel)
		return false;
	return !memcmp(sa->sel + a->f, sb->sel + b->f, a->n * sizeof(uint32_t));
}

static bool op_equal(const struct hvo_opstream *sa, const struct hvo_op *a,
		     const struct hvo_opstream *sb, const struct hvo_op *b)
{
	const struct hvo_inject *x, *y;

	if (a->kind != b->kind || a->order != b->order || a->zone != b->zone || a->node != b->node ||
	    a->by_folio != b->by_folio || a->pfn != b->pfn || a->altmap != b->altmap || a->pages != b->pages)
		return false;
	if (a->kind == HVO_OP_OPTIMIZE_BATCH || a->kind == HVO_OP_RESTORE_BATCH || a->kind == HVO_OP_FREE_BULK ||
	    a->kind == HVO_OP_DEMOTE_BATCH)
		return sel_equal(sa, a, sb, b);
	if (a->kind == HVO_OP_HWPOISON && a->index != b->index)
		return false;
	if (a->n != b->n)
		return false;
	if (a->kind != HVO_OP_INJECT)
		return a->f == b->f;
	if (a->f >= sa->nr_injects || b->f >= sb->nr_injects)
		return false;
	x = &sa->injects[a->f];
	y = &sb->injects[b->f];
	return x->at == y->at && x->hit == y->hit && !strcmp(x->where, y->where) &&
	       x->op.kind != HVO_OP_INJECT && op_equal(sa, &x->op, sb, &y->op);
}

bool hvo_ops_equal(const struct hvo_opstream *a, const struct hvo_opstream *b)
{
	if (!config_equal(&a->config, &b->config) || !policy_equal(&a->fail, &b->fail) || a->nr_ops != b->nr_ops ||
	    a->expect_setup_error != b->expect_setup_error || a->expect_fail_inv != b->expect_fail_inv ||
	    strcmp(a->expect_sanitizer, b->expect_sanitizer))
		return false;
	for (size_t i = 0; i < a->nr_ops; i++)
		if (!op_equal(a, &a->ops[i], b, &b->ops[i]))
			return false;
	return true;
}
