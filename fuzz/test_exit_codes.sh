#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_exit_codes.sh SRC BUILD - every tool follows README "Exit codes"
# (0 clean, 1 a finding, 2 usage/input/I-O error, 3 nothing checked, 130
# interrupted), --help prints a usage and runs nothing, replay recognises
# inputs by content, and a witness run with the wrong expectation fails.
# Each case checks the exact exit code and a regex on the output; the plan
# is counted, so a case that never ran fails the test.
set -uo pipefail
src=$1 build=$2
cli=$build/fuzz/hvo-cli sched=$build/fuzz/hvo-sched stress=$build/stress/hvo-stress
ops_replay=$build/fuzz/fuzz_ops_replay
zoo=$src/corpus/zoo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=check-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"

mkdir "$tmp/empty" "$tmp/crashes" "$tmp/mixed"
cp "$src/corpus/fuzz_ops/"*.bin "$tmp/crashes/"
for f in "$tmp"/crashes/*.bin; do mv "$f" "$tmp/crashes/crash-$(basename "$f" .bin)"; done
cp "$zoo/B8.ops" "$zoo/sched/B5.sched" "$zoo/stress/B28.oplog" "$tmp/mixed/"
cp "$src/corpus/fuzz_ops/"*.bin "$tmp/mixed/" 2>/dev/null
sed 's/^expect-fail I9$/expect-fail I1/' "$zoo/B8.ops" >"$tmp/B8-wrong.ops"
sed 's/^expect-fail I12$/expect-fail I3/' "$zoo/sched/B5.sched" >"$tmp/B5-wrong.sched"
grep -v '^expect-fail' "$zoo/B8.ops" >"$tmp/B8-noexpect.ops"
sed 's/^expect-fail I13$/expect-fail I3/' "$zoo/stress/B28.oplog" >"$tmp/B28-wrong.oplog"
grep -v '^expect-fail' "$zoo/stress/B28.oplog" >"$tmp/B28-noexpect.oplog"
printf 'hvo-ops 1\nops\nbogus op\n' >"$tmp/bad.ops"
printf 'hvo-sched 1\nscenario nope\n' >"$tmp/bad.sched"
# the raw form of B5's witness ('schedule N:DIGITS', still read)
sed 's/^switches .*$/schedule 2:0011111111111111111111111111111111111111111111111111111111111111111111100000000000000000000000000000000000000000000000000000000000000000000000000000000/' \
	"$zoo/sched/B5.sched" >"$tmp/B5-raw.sched"
# a decision for a CPU the scenario does not have: the replay leaves its schedule
sed 's/^schedule 2:.*$/schedule 2:2222/' "$tmp/B5-raw.sched" >"$tmp/B5-diverges.sched"
# decisions past the failure: the witness does not record the path the failure took
sed 's/^\(schedule 2:.*\)$/\10000000000/' "$tmp/B5-raw.sched" >"$tmp/B5-longer.sched"
# a named switch at a site the run never reaches: a stale witness
sed 's/get_tail.init#1>1/get_tail.gone#1>1/' "$zoo/sched/B5.sched" >"$tmp/B5-stale.sched"

# --- --help: usage on stdout, exit 0, nothing run (34)
planned=$((planned + 15))
for v in setup test run fuzz stress sched replay explain diff bench geometry mutants invariants coverage minimize; do
	check 0 "usage: \./hvo $v" "$src/hvo" "$v" --help
done
planned=$((planned + 3))
check 0 'usage: \./hvo' "$src/hvo" --help
check 0 'usage: \./hvo kernel' "$src/hvo" kernel --help
check 2 "unknown command 'nope'" "$src/hvo" nope
# the scripts behind ./hvo coverage and ./hvo minimize print their own usage too (2)
planned=$((planned + 2))
check 0 'usage: \./hvo coverage TARGET' "$src/fuzz/coverage.sh" --help
check 0 'usage: \./hvo minimize FILE' env HVO_CLI="$cli" "$src/fuzz/minimize.sh" --help
planned=$((planned + 11))
for v in run replay explain diff geometry mutants zoo-check bytes2text text2bytes; do
	check 0 'usage: hvo-cli' "$cli" "$v" --help
done
check 0 'usage: hvo-cli' "$cli" --help
check 2 'unknown command' "$cli" frobnicate
planned=$((planned + 5))
for v in replay explore bench oplog; do
	check 0 'usage: hvo-sched' "$sched" "$v" --help
done
check 0 'usage: hvo-sched' "$sched" --help
planned=$((planned + 2))
check 0 'usage: .*fuzz_ops_replay' "$ops_replay" --help
check 0 'usage: hvo-stress' "$stress" churn --help

# --- hvo-cli (14)
planned=$((planned + 14))
check 0 'result: PASS' "$cli" run --seed 1 --ops 20
check 3 'nothing was checked' "$cli" run --seed 1 --ops 0
check 2 'bad value' "$cli" run --ops x
check 1 'result: FAIL: .* I9 ' "$cli" explain "$zoo/B8.ops" --mutant B8
check 0 'CAUGHT .*I9 as expected' "$cli" replay --expect-fail --mutant B8 "$zoo/B8.ops"
check 1 'WRONG-FAILURE .*expected I1, got: .* I9 ' "$cli" replay --expect-fail --mutant B8 "$tmp/B8-wrong.ops"
check 1 'WRONG-FAILURE .*expected I3, got: .* I9 ' "$cli" replay --expect I3 --mutant B8 "$zoo/B8.ops"
check 1 'NOT-CAUGHT .*expected I9' "$cli" replay --expect-fail "$zoo/B8.ops"
check 2 "no 'expect-fail ID' line" "$cli" replay --expect-fail --mutant B8 "$tmp/B8-noexpect.ops"
check 2 'ERROR .*bad\.ops' "$cli" replay "$tmp/bad.ops"
check 2 'cannot read' "$cli" replay "$tmp/missing.ops"
check 3 'nothing was checked' "$cli" replay "$tmp/empty"
check 3 'stress witness' "$cli" replay "$zoo/stress/B17e.stress"
check 2 'unknown mutant' "$cli" replay --mutant B99 "$zoo/B8.ops"

# --- replay by content (4), and an op log's expectation (2)
planned=$((planned + 6))
check 0 '[1-9][0-9]* binary op streams' "$cli" replay "$tmp/crashes"
check 0 ' 15 scheduler witnesses' "$cli" replay "$zoo/sched"
check 1 '1 text op streams, [1-9][0-9]* binary op streams, 1 scheduler witnesses, 1 stress op logs' "$cli" replay "$tmp/mixed"
check 0 'expect-fail I13: as expected' "$cli" replay --expect-fail "$zoo/stress/B28.oplog"
check 1 'expect-fail I3: NOT as expected' "$cli" replay --expect-fail "$tmp/B28-wrong.oplog"
check 2 "no 'expect-fail ID' line" "$cli" replay --expect-fail "$tmp/B28-noexpect.oplog"

# --- hvo-sched (14)
planned=$((planned + 14))
check 2 'witness stale: .*switch 1 expects cpu0 at get_tail.gone#1, which the run never reached; re-record with' \
	"$sched" replay --expect-fail --mutant B5 "$tmp/B5-stale.sched"
check 0 'PASS .*I12 .*as expected' "$sched" replay --expect-fail --mutant B5 "$tmp/B5-raw.sched"
check 1 'FAIL .*other decisions than the recorded schedule' "$sched" replay --expect-fail --mutant B5 "$tmp/B5-longer.sched"
check 1 'FAIL .*schedule diverged' "$sched" replay "$tmp/B5-diverges.sched"
check 1 'FAIL .*schedule diverged' "$sched" replay --expect-fail --mutant B5 "$tmp/B5-diverges.sched"
check 0 'PASS .*B5.sched: clean' "$sched" replay "$zoo/sched/B5.sched"
check 0 'PASS .*I12 .*as expected' "$sched" replay --expect-fail --mutant B5 "$zoo/sched/B5.sched"
check 1 'WRONG-FAILURE .*I12 .*expected I3' "$sched" replay --expect-fail --mutant B5 "$tmp/B5-wrong.sched"
check 1 'NOT-CAUGHT' "$sched" replay --expect-fail "$zoo/sched/B5.sched"
check 2 'cannot read' "$sched" replay "$tmp/missing.sched"
check 2 'unknown scenario' "$sched" replay "$tmp/bad.sched"
check 2 'no file' "$sched" replay
check 1 '# found after [0-9]+ runs' "$sched" explore optimize_race --mutant B5 --runs 5000
check 0 'no failing schedule in 20 runs' "$sched" explore optimize_race --runs 20

# --- fuzz replay mains (6): also the boot cache's switch (bad value, on)
planned=$((planned + 6))
check 0 'replay: [1-9][0-9]* inputs, [1-9][0-9]* passed, 0 failed' "$ops_replay" "$src/corpus/fuzz_ops"
check 2 'ERROR .*missing.bin: cannot read' "$ops_replay" "$tmp/missing.bin"
check 3 'no inputs: nothing was checked' "$ops_replay" "$tmp/empty"
check 2 'usage' "$ops_replay"
check 2 'HVO_BOOT_CACHE=yes: 0 \(boot every input\) or 1' env HVO_BOOT_CACHE=yes "$ops_replay" "$src/corpus/fuzz_ops"
check 0 'replay: [1-9][0-9]* inputs, [1-9][0-9]* passed, 0 failed' env HVO_BOOT_CACHE=1 "$ops_replay" "$src/corpus/fuzz_ops"

# --- hvo-stress (3): usage error, a clean short run, an interrupted run
planned=$((planned + 3))
check 2 '--threads x: a thread count from 1 to 64' "$stress" churn --threads x
check 0 'PASS churn' "$stress" churn --threads 2 --time 0.5 --reports "$tmp/reports"
interrupted() {
	local pid rc=0
	"$stress" churn --threads 2 --time 30 --reports "$tmp/reports" &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	return $rc
}
check 130 'interrupted' interrupted
# limits named, refused before the run (no reports folder made): threads, walkers, a negative count (3)
planned=$((planned + 3))
check 2 '--threads 65: a thread count from 1 to 64' "$stress" dax-churn --threads 65 --reports "$tmp/never"
check 2 '--walkers 64: a walker count from 0 to 64' "$stress" churn --walkers 64 --reports "$tmp/never"
check 2 '--ops -1: an op count' "$stress" gather --ops -1 --reports "$tmp/never"
planned=$((planned + 1))
nothing_started() { [ ! -e "$tmp/never" ] && echo "no reports folder"; }
check 0 'no reports folder' nothing_started
# reports: never overwritten, an interrupted run's say so, an unwritable folder is 2 naming the path (3)
planned=$((planned + 3))
check 0 'PASS churn' "$stress" churn --threads 2 --time 0.2 --reports "$tmp/reports"
reports_of_seed1() { ls "$tmp/reports"/stress-churn-g2-1-*.txt | wc -l; grep -l 'interrupted' "$tmp/reports"/*.txt; }
check 0 '^3$' reports_of_seed1
check 2 "cannot write reports in $src/README.md" "$stress" churn --time 0.2 --reports "$src/README.md"

# --- issue 15 item 10's small refusals (7): bytes2text of a text file; oplog
# naming an undeclared folio, a garbage schedule, a negative run count;
# explore's usage names all five scenarios; run --ops 0 checks nothing
planned=$((planned + 6))
check 2 'is a text file' "$cli" bytes2text "$zoo/B8.ops"
printf 'hvo-oplog 1\nscenario churn\ngen g2\nfolio 0 9 0 1\nthread 0\nop optimize 7 0x0 0\n' >"$tmp/undeclared.oplog"
check 2 'line 6: an op on a folio no folio line' "$sched" oplog "$tmp/undeclared.oplog" --runs 10
check 2 'oplog: bad option or value' "$sched" oplog "$zoo/stress/B28.oplog" --schedule garbage
check 2 'oplog: bad option or value' "$sched" oplog "$zoo/stress/B28.oplog" --runs -1
check 0 'SCENARIO: optimize_race, walk, batch, walk_g1, reprep, publish' "$sched" explore --help
check 3 '.' "$cli" run --ops 0

# --- ./hvo fuzz (2): a refusal; a command failing mid-campaign (here the
# engine build, in a build root that cannot be created) is 2, not 1
planned=$((planned + 2))
check 2 'unknown target' "$src/fuzz/campaign.sh" nope
check 2 'a command failed .*I/O error' env HVO_BUILD_ROOT="$src/README.md/build" "$src/fuzz/campaign.sh" fuzz_ops \
	--time 1 --reports "$tmp/campaigns"

# --- ./hvo invariants (7): I0..I23 each on a line, a missing spec is 2
planned=$((planned + 7))
if [ -r "$src/../shared/spec/hvo-kernel-spec.md" ]; then
	check 0 '^I0 +model ' "$src/hvo" invariants
	check 0 '^I19 +G1 .*\(spec 3\)' "$src/hvo" invariants
	check 0 '^I20 .*reference is taken on the head' "$src/hvo" invariants
	check 0 '^I21 .*pool counters' "$src/hvo" invariants
	check 0 '^I22 .*hugetlb_lock is IRQ-safe' "$src/hvo" invariants
	check 0 '^I23 .*split_page' "$src/hvo" invariants
else
	check 2 'cannot read the spec' "$src/hvo" invariants
	check 2 'cannot read the spec' "$src/hvo" invariants
	check 2 'cannot read the spec' "$src/hvo" invariants
	check 2 'cannot read the spec' "$src/hvo" invariants
	check 2 'cannot read the spec' "$src/hvo" invariants
	check 2 'cannot read the spec' "$src/hvo" invariants "$src/../shared/spec/hvo-kernel-spec.md"
fi
check 2 'cannot read the spec' "$src/hvo" invariants "$tmp/missing.md"

# --- --version (4): the baselines, exit 0; the stress report names its baseline
planned=$((planned + 4))
check 0 'baseline G1: Debian linux-source-6.12 6\.12\.118' "$cli" --version
check 0 'baseline G3: Muchun Song' "$cli" --version
check 0 '^G2 \(baseline\).*PATCHv7' "$cli" variants
report_baseline() { grep -h '^baseline G2: .*PATCHv7' "$tmp/reports"/stress-churn-g2-1-*.txt | head -1; }
check 0 'baseline G2' report_baseline
# ./hvo --version runs this build's hvo-cli (the gcc build: ./hvo's own)
if [ "$(basename "$build")" = gcc ]; then
	planned=$((planned + 1))
	check 0 'baseline G2: Kiryl Shutsemau' env HVO_BUILD_ROOT="$(dirname "$build")" "$src/hvo" --version
fi

check_done test_exit_codes
