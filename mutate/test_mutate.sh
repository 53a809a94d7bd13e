#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_mutate.sh WORKDIR - ./hvo mutate on the planted fixture (mutate/fixture.json:
# the identity "mutant" and one that turns B7 on for every run) plus one
# generated mutant, zoo engine only.  Checks the kill matrix format, that the
# planted mutant is killed by the zoo, that the identity is not killed, and
# the exit codes of bad usage.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=${1:?usage: test_mutate.sh WORKDIR}
fail=0
bad() { echo "FAIL: $*"; fail=1; }

python3 "$here/mutate.py" --count 0 --engines nosuch >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || bad "unknown engine: exit $rc, want 2"
python3 "$here/mutate.py" --help >/dev/null 2>&1; rc=$?
[ $rc = 0 ] || bad "--help: exit $rc, want 0"
python3 "$here/mutate.py" --mutants /nonexistent/fixture.json >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || bad "missing fixture: exit $rc, want 2"

out=$(python3 "$here/mutate.py" --count 1 --seed 7 --engines zoo --mutants "$here/fixture.json" \
	--equivalent /dev/null --work "$work" 2>&1); rc=$?
echo "$out"
[ $rc = 0 ] || bad "exit $rc, want 0"
rows=$(grep -cE '^M[0-9]{3} +[a-z-]+ +[a-z_0-9]+\.c:[0-9]+ +[.KTC] +(killed|SURVIVED|equiv) +[0-9.]+$' <<<"$out")
[ "$rows" = 3 ] || bad "$rows matrix rows, want 3"
grep -qE '^id +operator +site +zoo +result +secs$' <<<"$out" || bad "no matrix header"
grep -qE '^M001 +identity +hugetlb_vmemmap\.c:[0-9]+ +\. +SURVIVED ' <<<"$out" || bad "the identity mutant was not a survivor"
grep -qE '^M002 +planted +hugetlb_vmemmap\.c:[0-9]+ +K +killed ' <<<"$out" || bad "the planted B7-everywhere mutant was not killed by the zoo"
grep -qE '^score: killed / \(total - stillborn - equivalent\) = [0-9]+ / 3 = [0-9.]+%$' <<<"$out" || bad "no score line"
grep -qE '^  M001 identity core/src/hugetlb_vmemmap\.c:[0-9]+ key=[0-9a-f]{12}$' <<<"$out" || bad "the identity is not in the survivors list"
[ $fail = 0 ] && echo "test_mutate: ok"
exit $fail
