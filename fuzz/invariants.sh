#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# invariants.sh [SPEC] - ./hvo invariants: every invariant ID the checker
# reports (I0 and I20..I23 are the harness's own, not the spec's), one line each: ID, the generations it holds for, its first
# clause from the spec's section 3 table, and the zoo witnesses whose
# expect-fail line names it.  SPEC defaults to ../shared/spec/hvo-kernel-spec.md
# beside the checkout (or $HVO_SPEC).  Exit 0, or 2 when the spec is
# missing or its section 3 lists no invariant.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
spec=${1:-${HVO_SPEC:-$top/../shared/spec/hvo-kernel-spec.md}}
case "$spec" in -h|--help) echo "usage: ./hvo invariants [SPEC.md]  (exit 0, or 2 without the spec)"; exit 0 ;; esac
[ -r "$spec" ] || { echo "hvo: invariants: cannot read the spec $spec" >&2; exit 2; }

# ID -> witnesses naming it (corpus/zoo/*.ops, sched/*.sched, stress/*.oplog)
witnesses() {
	grep -l -x "expect-fail $1" "$top"/corpus/zoo/*.ops "$top"/corpus/zoo/sched/*.sched \
		"$top"/corpus/zoo/stress/*.oplog 2>/dev/null | sed 's|.*/corpus/zoo/||' | paste -sd ' ' || true
}

lines=$(awk '
	/^## 3\./ { on = 1; next }
	on && /^## / { exit }
	on && /^\| I[0-9]+ \|/ {
		row = $0; gsub(/\\\|/, "\001", row)   # an escaped | inside a cell
		n = split(row, c, "|")
		id = c[2]; gsub(/ /, "", id)
		text = c[3]; gens = c[4]
		gsub(/^ +| +$/, "", text); gsub(/^ +| +$/, "", gens)
		gsub(/\*\*|`/, "", text); gsub(/\001/, "|", text)
		# the first clause: up to the first "; " or ". " (or the cell)
		i = index(text, ". "); j = index(text, "; ")
		if (j && (!i || j < i)) i = j
		if (i) text = substr(text, 1, i - 1)
		if (length(text) > 110) text = substr(text, 1, 107) "..."
		printf "%s\t%s\t%s\n", id, gens, text
	}' "$spec")
[ -n "$lines" ] || { echo "hvo: invariants: no invariant table in section 3 of $spec" >&2; exit 2; }
echo "# invariants (spec section 3, $spec); I0: the model's own (locks at quiescent points, liveness of restore)"
printf '%-4s %-24s %s\n' I0 "model" "a lock held or IRQs left off at a quiescent point; restore out of memory while a node has a free page"
w=$(witnesses I0); [ -z "$w" ] || printf '%-4s %-24s witnesses: %s\n' "" "" "$w"
while IFS=$'\t' read -r id gens text; do
	printf '%-4s %-24s %s (spec 3)\n' "$id" "${gens:0:24}" "$text"
	w=$(witnesses "$id")
	[ -z "$w" ] || printf '%-4s %-24s witnesses: %s\n' "" "" "$w"
done <<<"$lines"
# I20: the harness's own (issue 17), judged by core/src/check_view.c
printf '%-4s %-24s %s\n' I20 "G1, G2, G3 (walkers)" "a walker's reference is taken on the head compound_head names, of a live folio holding the pfn, and dropped on the same page; its view (head, PageHead/PageTail, order, node, zone) is one the kernel could see"
w=$(witnesses I20); [ -z "$w" ] || printf '%-4s %-24s witnesses: %s\n' "" "" "$w"
# I21: the harness's own (issue 13, D7), judged by core/src/check_pool.c
printf '%-4s %-24s %s\n' I21 "G1, G2, G3 (pool)" "the hstate's pool counters (nr, free, surplus huge pages per node) equal what the folio table holds at a quiescent point"
w=$(witnesses I21); [ -z "$w" ] || printf '%-4s %-24s witnesses: %s\n' "" "" "$w"
# I22: the harness's own (issue 13, D10: spec B15), judged by core/src/lockdep.c
printf '%-4s %-24s %s\n' I22 "G1, G2, G3 (locks)" "hugetlb_lock is IRQ-safe: never taken with IRQs enabled on its CPU, and no interrupt that frees a hugetlb folio comes while its CPU holds it"
w=$(witnesses I22); [ -z "$w" ] || printf '%-4s %-24s witnesses: %s\n' "" "" "$w"
# I23: the harness's own (issue 13, D4), judged by the allocator (machine.c:mach_free)
printf '%-4s %-24s %s\n' I23 "G1, G2, G3 (allocator)" "a page goes back to the buddy only as the allocation it was handed out as: never a page inside a high-order block nobody split_page()d"
w=$(witnesses I23); [ -z "$w" ] || printf '%-4s %-24s witnesses: %s\n' "" "" "$w"
