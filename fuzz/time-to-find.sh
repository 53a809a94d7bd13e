#!/usr/bin/env bash
# time-to-find.sh [SECONDS] - the detection table: for every mutant the core
# knows (hvo-cli mutants), one libFuzzer campaign of fuzz_ops with that
# mutant planted, started from the committed seeds corpus/fuzz_ops (not from
# its witness), one process, -seed=1, capped at SECONDS (default 60).
# Writes reports/time-to-find.md (the one committed report); the campaigns
# and their crash reports go to reports/time-to-find/.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HVO_BUILD_ROOT=${HVO_BUILD_ROOT:-$top/build}
cap=${1:-60}
[[ $cap =~ ^[1-9][0-9]*$ ]] || { echo "time-to-find: SECONDS must be a positive integer" >&2; exit 2; }
cli=$HVO_BUILD_ROOT/gcc/fuzz/hvo-cli
runs=$top/reports/time-to-find
mkdir -p "$runs"
table=$(mktemp "$top/reports/.time-to-find-XXXXXX")
trap 'rm -f "$table"' EXIT
missed=0
{
	echo "# Time to find each mutant"
	echo
	echo "libFuzzer (clang-19, ASan+UBSan) on \`fuzz_ops\`, one process, \`-seed=1\`, from the committed"
	echo "seeds \`corpus/fuzz_ops/*.bin\` (not the witnesses), capped at ${cap} s, on a 2-core machine"
	echo "shared with other work; written by \`fuzz/time-to-find.sh\` on $(date -u +%Y-%m-%d)."
	echo "Time: from the engine's start to the crash file; executions: libFuzzer's count at the crash."
	echo "A time near 0 means a committed seed already shows the mutant."
	echo
	echo "| mutant | kind | found | time (s) | executions | first violation |"
	echo "|---|---|---|---|---|---|"
} >"$table"
while IFS=$'\t' read -r name kind _; do
	set +e
	"$top/fuzz/campaign.sh" fuzz_ops --mutant "$name" --time "$cap" --seed 1 --reports "$runs" >"$runs/$name.log" 2>&1
	rc=$?
	set -e
	camp=$(sed -n 's/^hvo fuzz: .*; folder //p' "$runs/$name.log")
	if [ "$rc" = 1 ] && [ -f "$camp/summary.txt" ]; then
		after=$(sed -n 's/^crashes: [0-9]*, first after \(.*\)s$/\1/p' "$camp/summary.txt")
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$camp/engine.log" | tail -1)
		report=$(sed -n 's/^report: //p' "$camp/summary.txt" | head -1)
		viol=$(grep -m1 -o '^VIOLATION I[0-9]*[^:]*' "$report/explain.txt" 2>/dev/null ||
			grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z-]*' "$report/replay.txt" 2>/dev/null || echo "see report")
		echo "| $name | $kind | yes | $after | ${execs:-?} | $viol |" >>"$table"
	elif [ "$rc" = 0 ]; then
		missed=$((missed + 1))
		echo "| $name | $kind | **no** | > $cap | | |" >>"$table"
	else
		echo "time-to-find: the campaign for $name failed (exit $rc); see $runs/$name.log" >&2
		exit 2
	fi
	echo "time-to-find: $name done"
done < <("$cli" mutants)
chmod 644 "$table"
mv "$table" "$top/reports/time-to-find.md"
trap - EXIT
echo "time-to-find: reports/time-to-find.md written ($missed mutant(s) not found within ${cap} s)"
