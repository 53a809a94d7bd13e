#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_minimize.sh SRC BUILD - ./hvo minimize (fuzz/minimize.py) on a zoo
# witness padded with ops that change nothing: the result must be smaller
# than the padded stream and no larger than the witness, and still fail
# exactly as the witness names (hvo-cli replay --expect) at the same kind of
# op; an input that does not fail is 3, a missing one 2.  A padded
# scheduler witness shrinks to fewer switches and replays exactly.  A crash report
# (fuzz/crash-report.sh) of the witness as a binary fuzz_ops input carries
# the minimized stream, is 0755, and its reproduce.sh uses paths relative
# to the report and a quoted $REPORT, and reproduces.  Counted plan.
set -uo pipefail
src=$1 build=$2 cli=$2/fuzz/hvo-cli
min=$src/fuzz/minimize.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
planned=16 ran=0 failed=0
check() {  # check NAME COND...
	local name=$1
	shift
	ran=$((ran + 1))
	if "$@"; then echo "ok $ran - $name"; else failed=$((failed + 1)); echo "not ok $ran - $name"; fi
}
ops() { grep -cvE '^(#|hvo-ops|ops$|expect|config|node|fail|$)' "$1"; }

# B12d (I11, G3 DAX): pad before, between and after its two dax_add ops
w=$src/corpus/zoo/B12d.ops
awk '/^dax_add/ { for (i = 0; i < 6; i++) print "walk f=" i " index=" i * 3; print "enable 1" }
	{ print } END { print "walk f=0 index=1"; print "enable 0" }' "$w" >"$tmp/padded.ops"
rc=0
python3 "$min" "$cli" "$tmp/padded.ops" --mutant B12d --out "$tmp/min.ops" >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"
check "exit 0" [ "$rc" = 0 ]
check "the same invariant at the same kind of op" grep -q 'still I11 at dax_add' "$tmp/out"
check "smaller than the padded stream ($(ops "$tmp/padded.ops") ops), no larger than the witness ($(ops "$w"))" \
	[ "$(ops "$tmp/min.ops" 2>/dev/null || echo 99)" -lt "$(ops "$tmp/padded.ops")" ] && [ "$(ops "$tmp/min.ops")" -le "$(ops "$w")" ]
check "the result still fails exactly as I11" "$cli" replay --expect I11 --mutant B12d "$tmp/min.ops"
check "and passes without the mutant" "$cli" replay "$tmp/min.ops"
rc=0; python3 "$min" "$cli" "$w" --out "$tmp/x.ops" >/dev/null 2>&1 || rc=$?
check "an input that does not fail (no mutant): exit 3" [ "$rc" = 3 ]
rc=0; python3 "$min" "$cli" "$tmp/missing.ops" >/dev/null 2>&1 || rc=$?
check "a missing input: exit 2" [ "$rc" = 2 ]
# A schedule: B5's witness in its raw form (2 switches) with 12 more
# switches padded at its end, which make its replay diverge; the minimized
# one must fail as I12 again, exactly (no divergence), with fewer switches
sed 's/^switches .*$/schedule 2:0011111111111111111111111111111111111111111111111111111111111111111111100000000000000000000000000000000000000000000000000000000000000000000000000000000010101010101/' \
	"$src/corpus/zoo/sched/B5.sched" >"$tmp/b5.sched"
rc=0
python3 "$min" "$cli" "$tmp/b5.sched" --mutant B5 --out "$tmp/b5.min.sched" >"$tmp/sout" 2>&1 || rc=$?
cat "$tmp/sout"
check "schedule: exit 0, still I12" bash -c '[ "$0" = 0 ] && grep -q "still I12" "$1"' "$rc" "$tmp/sout"
check "schedule: fewer switches than the padded 13" \
	bash -c 'n=$(sed -n "s/.*-> [0-9]* steps, \([0-9]*\) switches.*/\1/p" "$0"); [ -n "$n" ] && [ "$n" -lt 13 ]' "$tmp/sout"
check "schedule: replays exactly as I12" "$build/fuzz/hvo-sched" replay --mutant B5 --expect-fail "$tmp/b5.min.sched"
# Named switches: B5's witness with two more named switches (after its
# race, still I12, clean without the mutant) shrinks to fewer, still I12
sed 's/^switches .*$/switches 0.get_tail.init#1>1 1.pmd_populate#1>0 1.set_pte#1>0 0.set_pte#2>1 1.set_pte#3>0/' \
	"$src/corpus/zoo/sched/B5.sched" >"$tmp/b5n.sched"
rc=0
python3 "$min" "$cli" "$tmp/b5n.sched" --mutant B5 --out "$tmp/b5n.min.sched" >"$tmp/nout" 2>&1 || rc=$?
cat "$tmp/nout"
check "named: exit 0, still I12, fewer than 5 switches" \
	bash -c '[ "$0" = 0 ] && n=$(sed -En "s/.*: 5 named switches -> ([0-9]+) switches, still I12.*/\1/p" "$1") &&
		[ -n "$n" ] && [ "$n" -lt 5 ]' \
	"$rc" "$tmp/nout"
check "named: replays exactly as I12" "$build/fuzz/hvo-sched" replay --mutant B5 --expect-fail "$tmp/b5n.min.sched"

# A crash report of B8's witness as a binary input, under mutant B8
mkdir -p "$tmp/root" "$tmp/reports"
ln -s "$build" "$tmp/root/gcc"
grep -v "^expect" "$src/corpus/zoo/B8.ops" >"$tmp/b8.ops"   # no binary form for expect lines
"$cli" text2bytes "$tmp/b8.ops" "$tmp/crash-b8" >/dev/null
r=$(HVO_BUILD_ROOT=$tmp/root "$src/fuzz/crash-report.sh" fuzz_ops "$tmp/crash-b8" "$tmp/reports" libfuzzer B8 "test" 2>&1)
check "the report has minimized.ops, still I9" grep -qs '^# minimized from input.ops by ./hvo minimize --mutant B8: I9' "$r/minimized.ops"
check "the report folder is 0755" [ "$(stat -c %a "$r" 2>/dev/null)" = 755 ]
check "reproduce.sh: relative paths, quoted \$REPORT" \
	bash -c '! grep -Eq "(^|[ '\''\"=])/[a-z]" "$1/reproduce.sh" && grep -q "\"\$REPORT/crash.bin\"" "$1/reproduce.sh"' _ "$r"
# its build and replay lines (not ./hvo explain: ./hvo would reconfigure the
# build it finds through this test's build root)
grep -v '^HVO_BUILD_ROOT=' "$r/reproduce.sh" >"$r/replay-only.sh"
rc=0; sh "$r/replay-only.sh" >/dev/null 2>&1 || rc=$?
check "reproduce.sh reproduces (replay exit 1)" [ "$rc" = 1 ]

echo "test_minimize: $ran of $planned planned checks ran, $failed failed"
[ "$ran" = "$planned" ] && [ "$failed" = 0 ]
