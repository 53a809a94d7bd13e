#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# zoo_stress.sh HVO_STRESS WITNESS clean|caught|wrong-expect SANITIZE
#
# A stress witness (corpus/zoo/stress/<ID>.stress): its mutant on its
# '# witness: ID' line, what it must fail with on its 'expect-fail
# race:FUNCTION' line (a TSan data race with FUNCTION in the report), and
# hvo-stress arguments on the one other line that is not a comment.
# Its oracle is ThreadSanitizer, so where the build has none (SANITIZE, the
# meson b_sanitize option, is not "thread") the test is skipped: exit 77.
# clean: the run passes with no TSan report.  caught: with the mutant on, one
# run (no retry, seed 1) must stop at a TSan data race naming FUNCTION; any
# other end (a checker violation, another sanitizer report, the time running
# out, a usage error) fails.  Real threads make the time to the race vary
# (B17e, seed 1, 2 cores under load: 8 of 9 runs caught within the witness's
# 20 s, at 0.1-17.8 s, one not), so the caught run gets CAUGHT_TIME seconds
# (120, about 15 times the mean) instead of a retry: a miss is a real
# finding to look at, not noise.
# wrong-expect: the caught run judged against a function the race does not
# name; it passes only when that judgement fails (the data race shows, in
# another function), so a wrong expectation cannot pass.
set -u
stress=$1 witness=$2 mode=$3 sanitize=$4
[ "$sanitize" = thread ] || { echo "skipped: $witness needs the TSan build"; exit 77; }
id=$(sed -n 's/^# witness: \([^ ]*\) .*/\1/p' "$witness" | head -1)
func=$(sed -n 's/^expect-fail race:\([A-Za-z_0-9]*\) *$/\1/p' "$witness" | head -1)
args=$(grep -v '^#' "$witness" | grep -v '^expect-fail ' | grep -v '^ *$' | head -1)
[ -n "$id" ] && [ -n "$func" ] && [ -n "$args" ] ||
	{ echo "$witness: no '# witness: ID' line, no 'expect-fail race:FUNCTION' line or no arguments"; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# run [MUTANT_ARGS]: one stress run (seed 1) into $log, its exit status in $rc
run() {
	# shellcheck disable=SC2086
	TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}halt_on_error=1:exitcode=66" \
		"$stress" $args --seed 1 "$@" --reports "${TMPDIR:-/tmp}" >"$log" 2>&1
	rc=$?
	tail -n 40 "$log"
}
# judge FUNCTION: the run stopped at a TSan data race naming FUNCTION
judge() {
	[ $rc = 66 ] && grep -q 'WARNING: ThreadSanitizer: data race' "$log" && grep -q "$1" "$log"
}
case $mode in
clean)
	run
	[ $rc = 0 ] && ! grep -q 'ThreadSanitizer' "$log" && { echo "clean: no TSan report, exit 0"; exit 0; }
	echo "FAIL: the correct model is not clean (exit $rc)"; exit 1 ;;
wrong-expect)
	run --mutant "$id" --time "${CAUGHT_TIME:-120}"
	if judge hvo_no_such_function; then
		echo "FAIL: a wrong expectation (race:hvo_no_such_function) was judged caught"; exit 1
	fi
	if judge "$func"; then
		echo "wrong-expect: race:hvo_no_such_function is not caught, race:$func is: as it must be"; exit 0
	fi
	echo "FAIL: wrong-expect is inconclusive: $id's data race in $func did not show (exit $rc)"; exit 1 ;;
caught)
	run --mutant "$id" --time "${CAUGHT_TIME:-120}"
	if judge "$func"; then
		echo "caught: $id, a TSan data race in $func as expected"; exit 0
	fi
	if [ $rc = 66 ]; then
		echo "FAIL: $id ended at another sanitizer report than a data race in $func"
	else
		echo "FAIL: $id not caught as expected (exit $rc; want a TSan data race in $func)"
	fi
	exit 1 ;;
esac
echo "usage: zoo_stress.sh HVO_STRESS WITNESS clean|caught|wrong-expect SANITIZE"; exit 2
