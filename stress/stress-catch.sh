#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# stress-catch.sh - does stress mode catch each concurrency mutant, and how
# fast?  For every mutant of kind "conc" (hvo-cli mutants): run the stress
# scenario that reaches it with --mutant, capped at --time S (default 60),
# and record whether hvo-stress failed the way the mutant's witness says
# and after how long.  Then the same scenarios without mutants must pass: a
# table that shows a catch is only worth something if the correct model
# runs clean under the same command.
#
# Expectations come from the mutant's witness: the 'expect-fail
# race:FUNCTION' line of corpus/zoo/stress/ID.stress (a TSan data race
# naming FUNCTION, TSan's exit 66), else the 'expect-fail IN' line of
# corpus/zoo/sched/ID.sched (the checker's violation IN, exit 1, as the
# first report), unless expect_of below names another symptom.  Any other end is not a catch: another invariant, another
# sanitizer report, a crash, a usage error, the time running out.
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
	-h|--help) sed -n '3,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
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
	B17f)         echo "tsan publish-race --threads 4" ;;            # corpus/zoo/stress/B17f.stress
	B28|W1)       echo "gcc churn" ;;  # W1: the in-use folio the G2 churn walkers walk too
	B1|B2)        echo "gcc churn --gen g1" ;;
	*) ;;
	esac
}

# mutant -> its expectation (see above), or nothing.  A stress run may
# meet another symptom of the mutant than the one interleaving of its
# scheduler witness; such a mutant is named here with the reason.
expect_of() {
	local f
	case "$1" in
	# spec B5: the second split overwrites the first one's PTE table, which
	# leaks (I17, conservation); B5.sched's interleaving also frees a page
	# the new table still maps, so it reports I12 first
	B5) echo I17; return ;;
	esac
	for f in "$top/corpus/zoo/stress/$1.stress" "$top/corpus/zoo/sched/$1.sched"; do
		[ -f "$f" ] || continue
		sed -n 's/^expect-fail \(race:[A-Za-z_0-9]*\|I[0-9]*\)\( .*\)\{0,1\}$/\1/p' "$f" | head -1
		return
	done
}

cli=$builds/gcc/fuzz/hvo-cli
for v in gcc tsan; do
	[ -x "$builds/$v/stress/hvo-stress" ] || { echo "stress-catch.sh: build $builds/$v first (./hvo test)" >&2; exit 2; }
done
mkdir -p "$(dirname "$out")" || { echo "stress-catch.sh: cannot create $(dirname "$out")" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run VARIANT ARGS... -> "rc seconds first-failure-line"; the output stays in $tmp/out
run() {
	local v=$1 t0 t1 rc=0
	shift
	t0=$(date +%s.%N)
	# the scenario's own --threads (after ours) wins; TSan stops at its first report
	TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}halt_on_error=1:exitcode=66" nice "$builds/$v/stress/hvo-stress" "$1" \
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
	echo "command without the mutant, which must pass for the catch to count.  \"expected\" is"
	echo "the failure the mutant's witness names (expect_of in the script); any other failure is a"
	echo "wrong failure, not a catch."
	echo
	echo "| mutant | build | scenario | expected | caught | time (s) | first report | clean without it |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$out"

fails=0
while IFS=$'\t' read -r id kind _; do
	[ "$kind" = conc ] || continue
	[ -z "$only" ] || [[ "$only" == *" $id "* ]] || continue
	spec=$(scenario_of "$id")
	want=$(expect_of "$id")
	if [ -z "$spec" ]; then
		echo "| $id | | | $want | **no stress scenario** | | | |" >>"$out"
		continue
	fi
	if [ -z "$want" ]; then
		echo "stress-catch.sh: $id has a scenario but no witness with an expect-fail line" >&2
		exit 2
	fi
	read -r v sc <<<"$spec"
	# shellcheck disable=SC2086
	read -r rc secs line <<<"$(run "$v" $sc --mutant "$id")"
	# a catch is exactly the expected failure: the checker's violation
	# (exit 1, the first report names it) or a TSan data race naming the
	# function (exit 66); anything else is a wrong failure
	caught=no
	case $want in
	race:*)
		[ "$rc" = 66 ] && grep -q 'WARNING: ThreadSanitizer: data race' "$tmp/out" &&
			grep -q "${want#race:}" "$tmp/out" && caught=yes ;;
	*)
		[ "$rc" = 1 ] && grep -m1 -E '^VIOLATION|ThreadSanitizer|AddressSanitizer' "$tmp/out" |
			grep -Eq "^VIOLATION \(seed [0-9]+\): $want " && caught=yes ;;
	esac
	if [ "$caught" = no ] && [ "$rc" != 0 ]; then
		caught="**wrong failure**"
		line="exit $rc, not $want: $line"
	fi
	# shellcheck disable=SC2086
	read -r crc _ cline <<<"$(run "$v" $sc)"
	clean=yes; [ "$crc" = 0 ] || { clean="**no**: $cline"; fails=$((fails + 1)); }
	[ "$caught" = yes ] || fails=$((fails + 1))
	echo "| $id | $v | $sc | $want | $caught | $secs | ${line:-} | $clean |" >>"$out"
	echo "stress-catch: $id caught=$caught after ${secs}s, clean=$clean" >&2
done < <("$cli" mutants)
# the hand-written notes of the previous table stay
[ ! -f "$out.prev" ] || sed -n '/^Notes/,$p' "$out.prev" | sed '1s/^/\n/' >>"$out"
rm -f "$out.prev"
echo "stress-catch: table in $out ($fails problems)" >&2
[ "$fails" = 0 ]
