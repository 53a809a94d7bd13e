#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# fuzz/test_known.sh SRC BUILD - every line of fuzz/known-findings.txt still
# holds: the finding is in reports/findings.md, the repair is a variant of
# hvo-cli, the witness fails on the baseline and replays clean with the
# repair, every target named exists; and fuzz/known.sh gives the repairs
# of a target (none for a target no line names).  Counted plan.
set -uo pipefail
src=$1 build=$2
cli=$build/fuzz/hvo-cli
# shellcheck source=check-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"

variants=$("$cli" variants | awk '$2 != "(baseline)" {print $1}')
lines=0
while read -r finding variant witness targets; do
	lines=$((lines + 1))
	planned=$((planned + 5))
	check 0 "^## $finding[ :]" grep -E "^## $finding[ :]" "$src/reports/findings.md"
	check 0 "^$variant\$" grep -xF -- "$variant" <<<"$variants"
	check 0 "as expected" "$cli" replay --expect-fail "$src/$witness"
	check 0 "PASS" "$cli" replay --mutant "$variant" "$src/$witness"
	bad=
	for t in ${targets//,/ }; do [ -f "$src/corpus/$t.options" ] || bad="$bad $t"; done
	check 0 "^targets ok$" echo "targets ${bad:-ok}"
done < <(grep -v '^#' "$src/fuzz/known-findings.txt" | grep .)

planned=$((planned + 3))
check 0 "^lines [1-9]" echo "lines $lines"
check 0 "^V7-boot-fallback-undo S1$" "$src/fuzz/known.sh" fuzz_boot
check 0 "^$" "$src/fuzz/known.sh" fuzz_sched
check_done test_known
