# SPDX-License-Identifier: GPL-2.0-only
# check-lib.sh - the counted-plan check of the shell tests (sourced by
# fuzz/test_exit_codes.sh and fuzz/test_named_witness.sh).  A test adds to
# $planned before each group, runs `check`, and ends with `check_done NAME`,
# which fails when a planned check never ran.
planned=0 ran=0 failed=0

# check WANT_RC REGEX CMD...: run CMD (stdout+stderr), compare.
check() {
	local want=$1 re=$2 rc=0 out
	shift 2
	ran=$((ran + 1))
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" = "$want" ] && grep -Eq -- "$re" <<<"$out"; then
		echo "ok $ran - exit $rc: $*"
	else
		failed=$((failed + 1))
		echo "not ok $ran - want exit $want and /$re/, got exit $rc: $*"
		sed 's/^/#   /' <<<"$out" | tail -8
	fi
}

# check_done NAME: the summary line; the status is the test's
check_done() {
	echo "$1: $ran of $planned planned checks ran, $failed failed"
	[ "$ran" = "$planned" ] && [ "$failed" = 0 ]
}
