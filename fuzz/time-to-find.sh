#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# time-to-find.sh [SECONDS [MUTANT...]] - the detection table: for every
# mutant the core knows (hvo-cli mutants), or only the MUTANTs named, one
# libFuzzer campaign of the target that reaches it (the boot mutants
# fuzz_boot, the DAX mutants fuzz_dax, the others fuzz_ops) with that mutant
# planted, started from the target's committed seeds corpus/TARGET (not from
# its witness), one process, -seed=1, capped at SECONDS (default 60).
# Writes reports/time-to-find.md (the one committed report); with MUTANTs
# named, the other mutants keep their rows.  The campaigns and their crash
# reports go to reports/time-to-find/.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HVO_BUILD_ROOT=${HVO_BUILD_ROOT:-$top/build}
cap=${1:-60}
[[ $cap =~ ^[1-9][0-9]*$ ]] || { echo "time-to-find: SECONDS must be a positive integer" >&2; exit 2; }
[ $# = 0 ] || shift
only=" $* "
cli=$HVO_BUILD_ROOT/gcc/fuzz/hvo-cli
runs=$top/reports/time-to-find
old=$top/reports/time-to-find.md
mkdir -p "$runs"
table=$(mktemp "$top/reports/.time-to-find-XXXXXX")
trap 'rm -f "$table"' EXIT

target_of() {
	case "$1" in
	B9|B10|B11|B16) echo fuzz_boot ;;
	B20a|B20b|B21|B12d|B25) echo fuzz_dax ;;
	B7-G1|B3) echo fuzz_diff ;;          # G1-only: the G1 lane of the lockstep diff
	B1|B2|B24|B28|B1-gp|W1) echo fuzz_sched ;; # the scheduler's scenarios
	B17e|B17f|B6) ;;                      # weak memory: hvo-sched --weak (fuzz_sched is SC), TSan
	*) echo fuzz_ops ;;
	esac
}

# The row of a mutant not re-run; rows written before the target column
# were all fuzz_ops campaigns.
old_row() {
	[ -f "$old" ] || return 0
	awk -F'|' -v n=" $1 " 'BEGIN { OFS = "|" } $2 == n { if (NF == 8) $3 = $3 "| fuzz_ops "; print }' "$old"
}

missed=0
{
	echo "# Time to find each mutant"
	echo
	echo "libFuzzer (clang-19, ASan+UBSan) on the target that reaches each mutant, one process, \`-seed=1\`,"
	echo "from the committed seeds \`corpus/TARGET/*.bin\` (not the witnesses), capped at ${cap} s, on a"
	echo "2-core machine shared with other work; written by \`fuzz/time-to-find.sh\` (last run $(date -u +%Y-%m-%d))."
	echo "Time: from the engine's start to the crash file; executions: libFuzzer's count at the crash."
	echo "A time near 0 means a committed seed already shows the mutant."
	echo
	echo "| mutant | kind | target | found | time (s) | executions | first violation |"
	echo "|---|---|---|---|---|---|---|"
} >"$table"
while IFS=$'\t' read -r name kind _; do
	if [ "$only" != "  " ] && [[ $only != *" $name "* ]]; then
		old_row "$name" >>"$table"
		continue
	fi
	t=$(target_of "$name")
	if [ -z "$t" ]; then
		# the fiber scheduler is sequentially consistent: no fuzz target can show it
		echo "| $name | $kind | none | n/a | | | corpus/zoo/stress/$name.stress (TSan) |" >>"$table"
		continue
	fi
	set +e
	"$top/fuzz/campaign.sh" "$t" --mutant "$name" --time "$cap" --seed 1 --reports "$runs" >"$runs/$name.log" 2>&1
	rc=$?
	set -e
	camp=$(sed -n 's/^hvo fuzz: .*; folder //p' "$runs/$name.log")
	if [ "$rc" = 1 ] && [ -f "$camp/summary.txt" ]; then
		after=$(sed -n 's/^crashes: [0-9]*, first after \(.*\)s$/\1/p' "$camp/summary.txt")
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$camp/engine.log" | tail -1)
		report=$(sed -n 's/^report: //p' "$camp/summary.txt" | head -1)
		viol=$(grep -m1 -o '^VIOLATION I[0-9]*[^:]*' "$report/explain.txt" 2>/dev/null ||
			grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z-]*' "$report/replay.txt" 2>/dev/null || echo "see report")
		echo "| $name | $kind | $t | yes | $after | ${execs:-?} | $viol |" >>"$table"
	elif [ "$rc" = 0 ]; then
		missed=$((missed + 1))
		echo "| $name | $kind | $t | **no** | > $cap | | |" >>"$table"
	else
		echo "time-to-find: the campaign for $name failed (exit $rc); see $runs/$name.log" >&2
		exit 2
	fi
	echo "time-to-find: $name done"
done < <("$cli" mutants)
[ ! -f "$old" ] || sed -n '/^Notes/,$p' "$old" | sed '1s/^/\n/' >>"$table"
chmod 644 "$table"
mv "$table" "$old"
trap - EXIT
echo "time-to-find: reports/time-to-find.md written ($missed mutant(s) run and not found within ${cap} s)"
