#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""test_oracle_calls.py SRCDIR - the checker calls no model helper that
computes what the model should have produced (architecture: the oracle is
independent of the model).

The checker's files may call a function defined in a model file only if it
is on ALLOWED below: readers of state (memory through the page tables, the
allocator's records, counters, the per-zone tail table) and the reporter.
Anything else, such as geometry.c's formulas, page.c's compound_head() or
dax.c's optimizability test (which carries mutant B25's hook), must be
written again in oracle_*.c from the spec.

Prints one line per problem and "N checker files, M calls into the model,
all allowed"; exit 0 when clean, 1 on a problem, 2 on bad arguments.
"""
import os
import re
import sys

CHECKER = ["check.c", "check_dax.c", "check_pool.c", "check_ro.c", "check_view.c",
           "oracle_image.c", "oracle_geo.c", "oracle_page.c", "shadow.c"]

# name -> why the checker may call it (it reads state, it computes nothing)
ALLOWED = {
    "dax_tail_ref": "reads a ZONE_DEVICE shared tail's reference count",
    "folio_at": "the folio table",
    "folio_optimized": "reads HPG_vmemmap_optimized from the head's bytes",
    "folio_refcount": "reads the head's _refcount bytes",
    "folio_try_get": "I20's judge replays the walker's get on its own view",
    "g2_tail_pfn": "reads the per-zone shared tail table",
    "hvo_violate": "the reporter",
    "hvo_zone_name": "a name for a message",
    "memmap_node": "reads a memmap counter",
    "memmap_total": "reads the memmap counters",
    "observe_begin": "marks the checker's reads as no CPU's accesses",
    "observe_end": "marks the checker's reads as no CPU's accesses",
    "phys_for_each_alloc": "the allocator's records",
    "phys_frame": "a frame's bytes",
    "phys_frame_sealed": "a frame's host seal",
    "phys_frames_by_site": "the allocator's per-site counts",
    "phys_free_frames": "the allocator's free count",
    "phys_lookup": "the allocator's record of a frame",
    "phys_lookup_node": "the allocator's record of a frame and the node it lies on",
    "phys_node_of": "the node a frame lies on",
    "phys_zone_run": "the allocator's zone map: the zone run a frame lies in",
    "tlb_nr_flushes": "the TLB model's counter",
    "tlb_nr_stale": "the TLB model's pending stale translations",
    "tlb_first_stale": "the TLB model's pending stale translations",
    "track_everything": "which folios changed since the last check",
    "track_folio_changed": "which folios changed since the last check",
    "track_folio_set": "which folios changed since the last check",
    "track_mapping_changed": "which folios changed since the last check",
    "track_reset": "which folios changed since the last check",
    "vm_page_bytes": "reads a vmemmap page through the page tables",
    "vm_pte_slot": "reads a PTE",
    "vm_read32": "reads struct page bytes through the page tables",
    "vm_read64": "reads struct page bytes through the page tables",
    "vm_translate": "walks the page tables",
}

DEF = re.compile(r"^(?!static\b)[a-z_][a-z0-9_ *]*?\b([a-z_][a-z0-9_]*)\(", re.M)
CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")


def strip(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print("usage: test_oracle_calls.py SRCDIR", file=sys.stderr)
        return 2
    src = sys.argv[1]
    model = {}
    for name in sorted(os.listdir(src)):
        if name.endswith(".c") and name not in CHECKER:
            with open(os.path.join(src, name), encoding="utf-8") as f:
                for fn in DEF.findall(strip(f.read())):
                    model.setdefault(fn, name)
    problems = calls = 0
    for name in CHECKER:
        with open(os.path.join(src, name), encoding="utf-8") as f:
            body = strip(f.read())
        for lineno, line in enumerate(body.split("\n"), 1):
            for fn in CALL.findall(line):
                if fn not in model:
                    continue
                calls += 1
                if fn not in ALLOWED:
                    print(f"oracle: {name}:{lineno} calls {model[fn]}'s {fn}(), a model helper")
                    problems += 1
    if not model or calls == 0:
        print("oracle: found no model functions or no calls: the scan is broken")
        return 1
    print(f"{len(CHECKER)} checker files, {calls} calls into the model, "
          f"{'all allowed' if not problems else f'{problems} not allowed'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
