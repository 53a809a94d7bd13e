#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# stress-catch.sh - does stress mode catch each concurrency mutant, and how
# fast?  For every mutant of kind "conc" (hvo-cli mutants): run the stress
# scenario that reaches it with --mutant, capped at --time S (default 60),
# and record whether hvo-stress failed (checker violation, or a sanitizer
# report in the TSan build) and after how long.  Then the same scenarios
# without mutants must pass: a table that shows a catch is only worth
# something if the correct model runs clean under the same command.
#
#   stress/stress-catch.sh [--time S] [--threads N] [--out FILE] [--mutant ID]...
#
# --mutant: only these mutants (a quick re-check after a change; give
# --out too, or the committed table is overwritten with the subset).
#
# Needs the gcc and tsan builds under $HVO_BUILD_ROOT (./hvo builds them).
# Writes a markdown table (default reports/stress-catch.md).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builds=${HVO_BUILD_ROOT:-$top/build}
time_s=60 threads=2 out=$top/reports/stress-catch.md only=

while [ $# -gt 0 ]; do
	case "$1" in
	--time) time_s=${2:?--time needs seconds}; shift 2 ;;
	--threads) threads=${2:?--threads needs a number}; shift 2 ;;
	--out) out=${2:?--out needs a file}; shift 2 ;;
	--mutant) only="$only ${2:?--mutant needs an ID} "; shift 2 ;;
	*) echo "stress-catch.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
case "$time_s$threads" in *[!0-9]*) echo "stress-catch.sh: --time and --threads take whole numbers" >&2; exit 2 ;; esac

# mutant -> "variant scenario [args]"; a mutant missing here has no stress
# scenario that reaches it (the table says so).
scenario_of() {
	case "$1" in
	B5|B17a|B17d) echo "gcc tail-storm" ;;
	B17e)         echo "tsan tail-storm --walkers 2 --threads 4" ;;  # corpus/zoo/stress/B17e.stress
	B28)          echo "gcc churn" ;;
	B1|B2)        echo "gcc churn --gen g1" ;;
	*) ;;
	esac
}

cli=$builds/gcc/fuzz/hvo-cli
for v in gcc tsan; do
	[ -x "$builds/$v/stress/hvo-stress" ] || { echo "stress-catch.sh: build $builds/$v first (./hvo test)" >&2; exit 2; }
done
mkdir -p "$(dirname "$out")" || { echo "stress-catch.sh: cannot create $(dirname "$out")" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run VARIANT ARGS... -> "rc seconds first-failure-line"
run() {
	local v=$1 t0 t1 rc=0
	shift
	t0=$(date +%s.%N)
	# the scenario's own --threads (after ours) wins; TSan stops at its first report
	TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}halt_on_error=1" nice "$builds/$v/stress/hvo-stress" "$1" \
		--threads "$threads" --time "$time_s" --reports "$tmp" "${@:2}" >"$tmp/out" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	printf '%s %s %s\n' "$rc" "$(python3 -c "print(f'{$t1 - $t0:.1f}')")" \
		"$( (grep -m1 -E 'VIOLATION|ThreadSanitizer|AddressSanitizer' "$tmp/out" || grep -m1 -E 'FAIL|^stress: ' "$tmp/out") |
			tr '|' '/' | cut -c1-110)"
}

[ ! -f "$out" ] || cp "$out" "$out.prev"
{
	echo "# Stress mode against the concurrency mutants"
	echo
	echo "\`stress/stress-catch.sh --time $time_s --threads $threads\` on $(nproc) cores, $(date -u +%Y-%m-%d)."
	echo "Each mutant: its scenario with \`--mutant\`, capped at $time_s s; \"clean\" is the same"
	echo "command without the mutant, which must pass for the catch to count."
	echo
	echo "| mutant | build | scenario | caught | time (s) | first report | clean without it |"
	echo "|---|---|---|---|---|---|---|"
} >"$out"

fails=0
while IFS=$'\t' read -r id kind _; do
	[ "$kind" = conc ] || continue
	[ -z "$only" ] || [[ "$only" == *" $id "* ]] || continue
	spec=$(scenario_of "$id")
	if [ -z "$spec" ]; then
		echo "| $id | | | **no stress scenario** | | | |" >>"$out"
		continue
	fi
	read -r v sc <<<"$spec"
	# shellcheck disable=SC2086
	read -r rc secs line <<<"$(run "$v" $sc --mutant "$id")"
	# shellcheck disable=SC2086
	read -r crc _ cline <<<"$(run "$v" $sc)"
	# a catch is a checker violation (exit 1) or a sanitizer report (TSan's
	# exit 66); a usage error (2), a run that checked nothing (3) or a crash
	# of another kind is not one
	caught=no
	case "$rc:$line" in 1:VIOLATION*|66:*ThreadSanitizer*|*:*AddressSanitizer*) caught=yes ;; esac
	[ "$caught" = yes ] || [ "$rc" = 0 ] || line="not a catch (exit $rc): $line"
	clean=yes; [ "$crc" = 0 ] || { clean="**no**: $cline"; fails=$((fails + 1)); }
	[ "$caught" = yes ] || fails=$((fails + 1))
	echo "| $id | $v | $sc | $caught | $secs | ${line:-} | $clean |" >>"$out"
	echo "stress-catch: $id caught=$caught after ${secs}s, clean=$clean" >&2
done < <("$cli" mutants)
# the hand-written notes of the previous table stay
[ ! -f "$out.prev" ] || sed -n '/^Notes/,$p' "$out.prev" | sed '1s/^/\n/' >>"$out"
rm -f "$out.prev"
echo "stress-catch: table in $out ($fails problems)" >&2
[ "$fails" = 0 ]
