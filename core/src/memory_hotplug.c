// SPDX-License-Identifier: GPL-2.0-only
/*
 * memory_hotplug.c - mm/memory_hotplug.c around HVO: offline_pages and the
 * hot-remove of a node hot-added with memmap_on_memory=0 (config hotplug=1,
 * issue 13 D4), as offline_and_remove_memory() does for a whole node.
 *
 * offline_pages (6.12): start_isolate_page_range, then the scan that
 * migrates what is movable (a HugeTLB folio in use: the model has no
 * migration, so it is -EBUSY at once, before anything changes), then
 * dissolve_free_hugetlb_folios (each free folio's vmemmap restored, the
 * folio freed; a failed restore is "failure to dissolve huge pages"), then
 * test_pages_isolated (anything else allocated there: -EBUSY) and
 * __offline_isolated_pages.  On failure undo_isolate_page_range; folios
 * already dissolved stay dissolved.  remove_memory then tears the vmemmap
 * down (vmemmap.c:vmemmap_hot_remove).  There is no online op: a removed
 * node stays removed.
 */
#include "internal.h"

static int do_memory_offline(struct hvo_machine *m, unsigned node)
{
	int rc = 0;

	if (node >= m->cfg.nr_nodes || !m->cfg.node[node].hotplug || !phys_node_online(m->phys, node))
		return -HVO_EINVAL;
	for (uint32_t id = 0; id < m->nr_folios; id++) {
		const struct folio *f = folio_at(m, id);

		if (f->live && f->node == node && (f->busy || (f->state != HVO_FOLIO_FREE &&
							       f->state != HVO_FOLIO_SURPLUS)))
			return -HVO_EBUSY;   /* in use: would need migration */
	}
	phys_isolate_node(m->phys, node, true);
	/* dissolve_free_hugetlb_folios */
	for (uint32_t id = 0; id < m->nr_folios && !rc; id++) {
		const struct folio *f = folio_at(m, id);

		if (f->live && f->node == node)
			rc = dissolve_free_hugetlb_folio(m, (int32_t)id);
	}
	if (!rc)
		rc = phys_offline_node(m->phys, node);
	if (rc) {
		phys_isolate_node(m->phys, node, false);
		return rc;
	}
	vmemmap_hot_remove(m, node);
	return 0;
}

int hvo_memory_offline(struct hvo_machine *m, unsigned node)
{
	return API_CALL(m, do_memory_offline(m, node));
}
