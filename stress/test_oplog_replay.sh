#!/usr/bin/env bash
# test_oplog_replay.sh HVO-STRESS HVO-SCHED - a stress failure becomes a
# deterministic reproducer: churn with B28 (which hvo-stress catches) dumps
# its op logs, hvo-sched oplog replays them to a violation and prints a
# schedule that replays it exactly; the logs of clean runs replay clean.
set -euo pipefail
stress=$1 sched=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "test_oplog_replay: $*" >&2; exit 1; }

# Under ASan the write B28 lets through can land on a frame the optimizer
# has just freed, and ASan aborts on it before the checker reports and the
# op log is written: a catch too, but not the one under test; run again.
for attempt in 1 2 3; do
	if "$stress" churn --threads 2 --time 20 --seed 7 --mutant B28 --reports "$dir/bad" >"$dir/bad.out" 2>&1; then
		fail "hvo-stress did not catch B28"
	fi
	grep -q 'ERROR: AddressSanitizer' "$dir/bad.out" || break
	echo "test_oplog_replay: attempt $attempt: ASan caught B28 first, again"
done
cmd=$(sed -n 's/^deterministic reproducer: hvo-sched oplog \([^ ]*\) .*/\1/p' "$dir/bad.out")
[ -f "$cmd" ] || { cat "$dir/bad.out"; fail "no op log named in the failure report"; }
"$sched" oplog "$cmd" --runs 20000 >"$dir/replay.out" || { cat "$dir/replay.out"; fail "the B28 op log did not replay to a violation"; }
cat "$dir/replay.out"
schedule=$(sed -n 's/^deterministic witness: .* --schedule \(.*\)$/\1/p' "$dir/replay.out")
"$sched" oplog "$cmd" --schedule "$schedule" | grep -q '^VIOLATION' || fail "the witness schedule does not replay the violation"
# the same ops without the mutant, on the witness schedule: clean (the mutant is the cause)
grep -v '^mutant ' "$cmd" >"$dir/nomutant.oplog"
"$sched" oplog "$dir/nomutant.oplog" --schedule "$schedule" --expect-clean || fail "without B28 the witness still fails"

for args in "churn" "churn --gen g1" "tail-storm"; do
	# shellcheck disable=SC2086
	"$stress" $args --threads 2 --time 1 --reports "$dir/good" >/dev/null || fail "clean $args run failed"
	log=$(ls -t "$dir"/good/*.oplog | head -1)
	"$sched" oplog "$log" --runs 1000 --expect-clean || fail "the op log of a clean $args run replays to a violation"
done
echo "test_oplog_replay: ok"
