#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_named_witness.sh SRC BUILD - scheduler witnesses by named switches
# (issue 17 item 6, sched.h).  A refactor that adds a sync point (simulated
# by hvo-sched replay --extra-point SITE: one more sync point before every
# hit of SITE) shifts every raw step index after it: the old 'schedule
# N:DIGITS' form of B2 and B17a then loses its catch, the named form of
# every zoo witness still fails exactly as it names, and stays clean
# without its mutant.  A switch the run never reaches (a site renamed, a hit
# count past the last, a load's choice the CPU never makes) is a stale
# witness: its own message and exit 2,
# neither caught nor not caught.  The old form still replays, and
# --print-named converts it to the committed switches.  explore --save
# writes named switches that replay.  Counted plan.
set -uo pipefail
src=$1 build=$2
sched=$build/fuzz/hvo-sched
zoo=$src/corpus/zoo/sched
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=check-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"

# the raw form each witness had before the conversion (B2 with the
# hugetlb_lock point get gained later: raw digits are positional)
raw() {  # raw ID DIGITS
	sed "s/^switches .*$/schedule 2:$2/" "$zoo/$1.sched" >"$tmp/$1-raw.sched"
}
raw B2 0000011110100000000100000000001110
raw B17a 11111111111111111111111111111100000000011111111111111111111111111111111111111111111111111
raw B5 0011111111111111111111111111111111111111111111111111111111111111111111100000000000000000000000000000000000000000000000000000000000000000000000000000000

# B17f (weak memory): its raw form has a 'reads' line, one letter per load
sed -e 's/^switches .*$/schedule 3:000000000000000000000000000000000000000000000000000000000000000000000000000002222222111111111111000/' \
	-e '$a reads abaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' \
	"$zoo/B17f.sched" >"$tmp/B17f-raw.sched"

# --- the old form: still replays; --print-named gives the committed switches,
# the weak witness's loads' choices among them (8)
planned=$((planned + 8))
for m in B2 B17a B5 B17f; do
	check 0 "PASS .*as expected" "$sched" replay --expect-fail --mutant "$m" "$tmp/$m-raw.sched"
	want=$(grep '^switches ' "$zoo/$m.sched")
	check 0 "^$want\$" "$sched" replay --expect-fail --mutant "$m" --print-named "$tmp/$m-raw.sched"
done

# --- a refactor adds a sync point: raw indices lose the catch, names keep it
planned=$((planned + 2))
check 1 "NOT-CAUGHT" "$sched" replay --extra-point set_pte --expect-fail --mutant B2 "$tmp/B2-raw.sched"
check 1 "FAIL .*other decisions" "$sched" replay --extra-point get_tail.init --expect-fail --mutant B17a \
	"$tmp/B17a-raw.sched"
for site in set_pte get_tail.init compound_head page_table_lock; do
	for f in "$zoo"/*.sched; do
		m=$(basename "$f" .sched)
		planned=$((planned + 1))
		if grep -q '^expect-fail' "$f"; then
			check 0 "PASS .*as expected" "$sched" replay --extra-point "$site" --expect-fail --mutant "$m" "$f"
			planned=$((planned + 1))
		fi
		check 0 "PASS .*clean" "$sched" replay --extra-point "$site" "$f"
	done
done

# --- stale witnesses (9)
planned=$((planned + 9))
sed 's/get_tail.init#1>1/get_tail.gone#1>1/' "$zoo/B5.sched" >"$tmp/B5-gone.sched"
sed 's/1.pmd_populate#1>0/1.pmd_populate#99>0/' "$zoo/B5.sched" >"$tmp/B5-hits.sched"
sed 's/get_tail.init#29>0/get_tail.gone#29>0/' "$zoo/B29.sched" >"$tmp/B29-gone.sched"
re="re-record with: \./hvo sched explore optimize_race --cpus 2 --param 0 --mutant B5 --save $tmp/B5-gone.sched"
check 2 "^witness stale: $tmp/B5-gone.sched: switch 1 expects cpu0 at get_tail.gone#1, which the run never reached; $re" \
	"$sched" replay --expect-fail --mutant B5 "$tmp/B5-gone.sched"
check 2 "witness stale: .*switch 2 expects cpu1 at pmd_populate#99, which the run never reached" \
	"$sched" replay --expect-fail --mutant B5 "$tmp/B5-hits.sched"
# a positive witness (no expect-fail line) is its own run: stale too
check 2 "witness stale: .*switch 2 expects cpu1 at get_tail.gone#29, .*--mutant <ID> --save" \
	"$sched" replay "$tmp/B29-gone.sched"
# the correct model on a mutant's witness may leave the mutant's path: said, not judged
check 0 "PASS .*clean \(left the witness's path: switch 2 expects cpu1 at page_ref_add_unless.undo#1" \
	"$sched" replay "$zoo/B28.sched"
sed 's/^switches .*$/switches 0.get_tail.init>1/' "$zoo/B5.sched" >"$tmp/B5-syntax.sched"
sed 's/^switches .*$/switches 0.get_tail.init#1>2/' "$zoo/B5.sched" >"$tmp/B5-cpu.sched"
check 2 "line [0-9]+: switch 1: '0.get_tail.init>1' is not CPU.SITE#HIT" "$sched" replay "$tmp/B5-syntax.sched"
check 2 "CPUs 0..1" "$sched" replay "$tmp/B5-cpu.sched"
check 2 "needs a sync point name" "$sched" replay --extra-point
# a load's choice by name (weak memory): one past the loads the CPU makes there
sed 's|2.compound_head#4/0=b|2.compound_head#4/9=b|' "$zoo/B17f.sched" >"$tmp/B17f-load.sched"
check 2 "witness stale: .*switch 3 expects cpu2's load 9 after compound_head#4 to read 'b', which the run never reached" \
	"$sched" replay --expect-fail --mutant B17f "$tmp/B17f-load.sched"
cat "$zoo/B17f.sched" - <<<"reads ab" >"$tmp/B17f-both.sched"
check 2 "a 'reads' line goes with 'schedule', not 'switches'" "$sched" replay "$tmp/B17f-both.sched"

# --- explore saves named switches, which replay (3)
planned=$((planned + 3))
check 1 "# found after" "$sched" explore optimize_race --mutant B17a --runs 5000 --save "$tmp/found.sched"
check 0 "^switches [0-9-]\." cat "$tmp/found.sched"
check 0 "PASS .*I3 .*as expected" "$sched" replay --mutant B17a --expect I3 "$tmp/found.sched"

check_done test_named_witness
