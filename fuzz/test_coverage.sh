#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_coverage.sh SRC BUILD - ./hvo coverage (fuzz/coverage.sh): the
# committed fuzz_geometry seeds give an llvm-cov HTML report and a one-line
# summary with line and branch figures above zero; a folder with no input
# is 3, an unknown target 2.  Builds its own coverage variant under
# BUILD/test-coverage (about 40 s the first time).  Counted plan.
set -uo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HVO_BUILD_ROOT=$build/test-coverage
mkdir -p "$HVO_BUILD_ROOT" "$tmp/empty"
planned=4 ran=0 failed=0
check() {
	local name=$1
	shift
	ran=$((ran + 1))
	if "$@"; then echo "ok $ran - $name"; else failed=$((failed + 1)); echo "not ok $ran - $name"; fi
}
rc=0
"$src/fuzz/coverage.sh" fuzz_geometry --reports "$tmp/r" >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"
check "exit 0 and the summary line" \
	grep -Eq '^coverage fuzz_geometry \([1-9][0-9]* inputs\): lines [0-9.]+% \([1-9][0-9]*/[1-9][0-9]*\), branches [0-9.]+% \([1-9][0-9]*/[1-9][0-9]*\) in core/$' "$tmp/out"
check "an HTML report of core/ sources" \
	bash -c '[ "$0" = 0 ] && [ -s "$1/index.html" ] && grep -rqs "core/src/" "$1"' "$rc" "$tmp/r/coverage-fuzz_geometry"
rc=0; "$src/fuzz/coverage.sh" fuzz_geometry "$tmp/empty" --reports "$tmp/r" >/dev/null 2>&1 || rc=$?
check "no input: exit 3" [ "$rc" = 3 ]
rc=0; "$src/fuzz/coverage.sh" fuzz_nope --reports "$tmp/r" >/dev/null 2>&1 || rc=$?
check "unknown target: exit 2" [ "$rc" = 2 ]
echo "test_coverage: $ran of $planned planned checks ran, $failed failed"
[ "$ran" = "$planned" ] && [ "$failed" = 0 ]
