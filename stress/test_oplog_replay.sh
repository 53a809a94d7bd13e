#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_oplog_replay.sh HVO-STRESS HVO-SCHED WITNESS.oplog - a stress failure
# becomes a deterministic reproducer.  No step is retried:
#
# 1. hvo-stress churn with B28 catches it (one run; B28 shows within the
#    first epochs) and writes an op log that hvo-sched can read.  Under ASan
#    the write B28 lets through may land on a frame the optimizer freed, so
#    ASan may abort before the checker reports: a catch all the same, and
#    the log is written from the death callback.  Under TSan the race B28
#    opens is reported too, and TSan turns the exit status into 66.
# 2. The committed witness log (corpus/zoo/stress/B28.oplog, from such a
#    catch) replays under the deterministic scheduler: a search from seed 1
#    is a fixed computation, so it must reach the invariant of its
#    'expect-fail' line every time, and print a --schedule that replays it
#    exactly; the same ops without the mutant stay clean on that schedule.
# 3. Whether the fresh log of step 1 replays within 20000 runs is printed,
#    not tested: a log keeps each thread's last ops only, and some catches'
#    logs do not hold the interleaving (1-2 in 80 on a loaded 2-core box).
# 4. The op logs of clean runs replay clean.
set -euo pipefail
stress=$1 sched=$2 witness=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "test_oplog_replay: FAIL: $*" >&2; exit 1; }
checks=0
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }

# 1
rc=0
"$stress" churn --threads 2 --time 20 --seed 7 --mutant B28 --reports "$dir/bad" >"$dir/bad.out" 2>&1 || rc=$?
# caught: the checker's violation (exit 1; in the TSan build exit 66 when
# TSan also reported the race B28 opens), or ASan's abort (see above)
if ! { [ "$rc" = 1 ] && grep -q '^VIOLATION' "$dir/bad.out"; } &&
   ! { [ "$rc" = 66 ] && grep -q '^VIOLATION' "$dir/bad.out" && grep -q 'WARNING: ThreadSanitizer' "$dir/bad.out"; } &&
   ! grep -q 'ERROR: AddressSanitizer' "$dir/bad.out"; then
	cat "$dir/bad.out"; fail "hvo-stress did not catch B28 (exit $rc)"
fi
log=$(sed -n 's/^deterministic reproducer: hvo-sched oplog \([^ ]*\) .*/\1/p' "$dir/bad.out" | head -1)
[ -f "$log" ] || { cat "$dir/bad.out"; fail "no op log named in the failure report"; }
rc=0
"$sched" oplog "$log" --runs 1 >/dev/null || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "hvo-sched cannot read the op log $log (exit $rc)"
ok "hvo-stress caught B28 and wrote a readable op log"

# 2
want=$(sed -n 's/^expect-fail \(I[0-9]*\)$/\1/p' "$witness")
[ -n "$want" ] || fail "$witness has no 'expect-fail ID' line"
rc=0
"$sched" oplog "$witness" --runs 20000 --seed 1 >"$dir/replay.out" || rc=$?
cat "$dir/replay.out"
[ "$rc" = 1 ] || fail "the witness log did not replay to a violation (exit $rc)"
grep -q "^reproduced after .*: $want " "$dir/replay.out" || fail "the witness log replayed to another failure than $want"
ok "the witness log replays to $want"
schedule=$(sed -n 's/^deterministic witness: .* --schedule \(.*\)$/\1/p' "$dir/replay.out")
rc=0
"$sched" oplog "$witness" --schedule "$schedule" >"$dir/fixed.out" || rc=$?
[ "$rc" = 1 ] && grep -q "^VIOLATION: $want " "$dir/fixed.out" || { cat "$dir/fixed.out"; fail "the printed schedule does not replay $want (exit $rc)"; }
ok "the printed schedule replays $want exactly"
grep -v '^mutant ' "$witness" >"$dir/nomutant.oplog"
"$sched" oplog "$dir/nomutant.oplog" --schedule "$schedule" || fail "without B28 the witness schedule still fails"
ok "without the mutant the same ops are clean on that schedule"

# 3 (information only, see above)
rc=0
"$sched" oplog "$log" --runs 20000 >"$dir/fresh.out" 2>&1 || rc=$?
echo "info: this run's fresh B28 log: $([ "$rc" = 1 ] && echo "replayed: $(head -1 "$dir/fresh.out")" || echo "did not replay in 20000 runs (exit $rc)")"

# 4
for args in "churn" "churn --gen g1" "tail-storm"; do
	# shellcheck disable=SC2086
	"$stress" $args --threads 2 --time 1 --reports "$dir/good" >/dev/null || fail "clean $args run failed"
	log=$(ls -t "$dir"/good/*.oplog | head -1)
	"$sched" oplog "$log" --runs 1000 >/dev/null || fail "the op log of a clean $args run replays to a violation"
	ok "the op log of a clean '$args' run replays clean"
done
[ "$checks" = 7 ] || fail "ran $checks checks of 7"
echo "test_oplog_replay: ok ($checks checks)"
