#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_front.sh HVO_KERNEL_BIN TOP - the kernel lane's front door: the exit
# code rule (README "Exit codes") and one clear line for each kind of bad
# input.  Each check names the code and the text it expects.
set -u
bin=$1 top=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 planned=15

check() {  # NAME CODE REGEX -- CMD...
	local name=$1 want=$2 re=$3 out rc
	shift 4
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$re" <<<"$out"; then
		pass=$((pass + 1)); echo "ok $name (exit $rc)"
	else
		fail=$((fail + 1)); echo "FAIL $name: exit $rc (want $want), output:"; sed 's/^/  /' <<<"$out" | head -5
	fi
}

printf 'hvo-ops 1\nconfig page_shift=16\nops\nalloc order=9 node=0 zone=normal\n' >"$tmp/64k.ops"
printf 'hvo-ops 1\nops\ndemote f=0 order=0\nwalk pfn=0x1000\n' >"$tmp/skipped.ops"
printf 'hvo-ops 1\nops\nfrobnicate f=0\n' >"$tmp/bad.ops"
mkdir -p "$tmp/empty" "$tmp/notree" "$tmp/tree/mm"
printf '#include <linux/hvo_no_such_header.h>\nint x;\n' >"$tmp/tree/mm/hugetlb_vmemmap.c"
printf '/* empty */\n' >"$tmp/tree/mm/hugetlb_vmemmap.h"

check help 0 'usage: hvo-kernel' -- "$bin" --help
check unknown-option 2 "unknown option '--frobnicate'" -- "$bin" --frobnicate
check missing-file 2 'cannot read .*nope.ops' -- "$bin" "$tmp/nope.ops"
check malformed-stream 2 'bad.ops:3' -- "$bin" "$tmp/bad.ops"
check empty-dir 3 'nothing checked' -- "$bin" "$tmp/empty"
check page-size 2 'unsupported page size' -- "$bin" "$tmp/64k.ops"
check all-skipped 3 'every op was skipped' -- "$bin" "$tmp/skipped.ops"
check wrong-expect 1 'expected I12' -- "$bin" --expect I12 "$top/corpus/zoo/kernel/K1-restore-copies-head.ops"
# the witness's own per-tree line (--expect-file): a wrong one fails, a
# missing or malformed one is an input error (which tree is in the binary)
tree=$("$bin" --help | sed -n 's/.*this binary.s TREE: \([^)]*\)).*/\1/p')
w=$top/corpus/zoo/kernel/K1-restore-copies-head.ops
sed "s/^# kernel-expect $tree .*/# kernel-expect $tree I12/" "$w" >"$tmp/wrong-line.ops"
grep -v "^# kernel-expect $tree " "$w" >"$tmp/no-line.ops"
sed "s/^# kernel-expect $tree .*/# kernel-expect $tree/" "$w" >"$tmp/bad-line.ops"
check wrong-file-expect 1 'expected I12|but the run is clean' -- "$bin" --expect-file "$tmp/wrong-line.ops"
check no-file-expect 2 "no \"# kernel-expect $tree" -- "$bin" --expect-file "$tmp/no-line.ops"
check bad-file-expect 2 'bad line' -- "$bin" --expect-file "$tmp/bad-line.ops"
check both-expects 2 'exclude each other' -- "$bin" --expect I1 --expect-file "$w"
check not-a-tree 2 'has no mm/hugetlb_vmemmap.c' -- "$top/kernel/trees.sh" check "$tmp/notree"
check verb-help 0 'usage: ./hvo kernel' -- "$top/hvo" kernel --help
check shim-gap 2 'does not cover .*hvo_no_such_header.h' -- env HVO_BUILD_ROOT="$tmp/build" "$top/hvo" kernel --src "$tmp/tree" run "$top/corpus/kernel"
[ $((pass + fail)) = "$planned" ] || { echo "ran $((pass + fail)) of $planned checks"; fail=$((fail + 1)); }
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
