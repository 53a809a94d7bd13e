// SPDX-License-Identifier: GPL-2.0-only
/*
 * failpolicy.c - the ready-made failure hook: fail the Nth call (per site or
 * overall), runs of failures, and a budget of successful calls.
 */
#include "hvo/hvo.h"

static bool rule_hits(const struct hvo_fail_rule *r, uint64_t n)
{
	if (r->nth == 0 || n < r->nth)
		return false;
	return r->repeat == 0 || n < (uint64_t)r->nth + r->repeat;
}

bool hvo_fail_policy_hook(void *ctx, enum hvo_site site, uint64_t site_call, uint64_t call)
{
	struct hvo_fail_policy *p = ctx;

	for (unsigned i = 0; i < p->nr_rules && i < HVO_FAIL_MAX_RULES; i++) {
		const struct hvo_fail_rule *r = &p->rules[i];

		if (r->site < 0 ? rule_hits(r, call) : (r->site == (int)site && rule_hits(r, site_call)))
			return true;
	}
	if (p->budget >= 0 && (p->budget_sites >> site & 1)) {
		if (p->budget == 0)
			return true;
		p->budget--;
	}
	return false;
}
