#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# vm/test.sh - the VM step of ./hvo test: one boot per configuration, several
# streams per boot, every verdict a test; then the runner's exit codes.
# Last line: "vm lane: N passed, N failed, N skipped".  No retries.
set -uo pipefail
# shellcheck source=vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
vm_traps

run=$vm_top/vm/run.sh
c=$vm_top/corpus/vm
K1_TEXT='corrupted mapping in tail page'
K1_TAGS=bad-page,memfree-lost
passed=0 failed=0 skipped=0
t0=$(vm_now_ms)

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# boot NAME RUN-ARGS... : each PASS/FAIL/NOTRUN line of the runner is a test
boot() {
	local name=$1 out rc p f
	shift
	vm_sub "$tmp/out" "$run" --reports "$vm_build/test-reports" "$@"
	rc=$?
	out=$(cat "$tmp/out")
	echo "$out" | sed -n 's/^\(PASS\|FAIL\|NOTRUN\) /  \1 /p'
	p=$(grep -c '^PASS ' <<<"$out")
	f=$(grep -c '^\(FAIL\|NOTRUN\) ' <<<"$out")
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		bad "$name: no verdict (exit $rc): $(tail -3 <<<"$out" | tr '\n' ' ')"
	elif [ $rc != 0 ] && [ "$f" = 0 ]; then
		bad "$name: exit $rc with every stream passing"
	else
		local r
		r=$(ls -t "$vm_build"/test-reports/*.md | head -1)
		echo "boot $name: $p passed, $f failed (agent $(grep -o 'up at [^(]*' "$r" | head -1);" \
			"$(grep -o '[0-9]* boot(s), VM ran [0-9.s ]*' "$r" | head -1))"
	fi
}

# expect_rc NAME RC CMD... : the exit code (and nothing of it on a PASS line)
expect_rc() {
	local name=$1 want=$2 out rc
	shift 2
	vm_sub "$tmp/out" "$@"
	rc=$?
	out=$(cat "$tmp/out")
	if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"; else bad "$name: exit $rc, expected $want: $(tail -2 <<<"$out" | tr '\n' ' ')"; fi
}

rm -rf "$vm_build/test-reports"
mkdir -p "$vm_build/test-reports"
tmp=$(mktemp -d "$vm_build/test.XXXXXX") || vm_die "cannot write in $vm_build"
VM_TMP+=("$tmp")
for k in current control old; do vm_resolve_kernel "$k" >/dev/null; done

# 1 GiB streams come first in a boot and the VM has 5G: a 1 GiB page needs a
# free 1 GiB-aligned range, and the unmovable vmemmap pages that 2 MiB
# restores allocate can break the only one a 3G VM has (demote-1g got ENOMEM
# on 6.1 after the 2 MiB streams in one run of ./hvo test).
echo "-- 6.12 current, HVO on: clean controls first, then the K1 witnesses (the bug taints the kernel)"
boot current-hvo-on --kernel current --hvo on --mem 5G \
	--expect "gigantic-1g.ops=$K1_TAGS" --expect-text "gigantic-1g.ops=$K1_TEXT" \
	--expect "restore-2m-one.ops=$K1_TAGS" --expect-text "restore-2m-one.ops=$K1_TEXT" \
	--expect "pool-cycle-2m.ops=$K1_TAGS" --expect-text "pool-cycle-2m.ops=$K1_TEXT" \
	--expect "pool-cycle-2m-hvo-runtime.ops=$K1_TAGS" --expect-text "pool-cycle-2m-hvo-runtime.ops=$K1_TEXT" \
	--expect "demote-1g.ops=$K1_TAGS,memmap,warning" --expect-text "demote-1g.ops=$K1_TEXT" \
	--expect-text "demote-1g.ops=WARNING: .* at kernel/jump_label.c" \
	"$c/pool-cycle-2m-hvo-off.ops" "$c/get-put.ops" "$c/gigantic-1g.ops" "$c/demote-1g.ops" \
	"$c/restore-2m-one.ops" "$c/pool-cycle-2m.ops" "$c/pool-cycle-2m-hvo-runtime.ops"
echo "-- 6.12 current, HVO off at boot: clean"
boot current-hvo-off --kernel current --hvo off --mem 1G \
	"$c/pool-cycle-2m.ops" "$c/restore-2m-one.ops" "$c/get-put.ops"
echo "-- 6.12 current, HVO on, init_on_alloc=0: the free path's page checks are off, K1's 2 MiB free is"
echo "   silent (a pinned blind spot); demote still shows it (memmap, the static key WARNING, lost vmemmap pages)"
boot current-ioa0 --kernel current --hvo on --init-on-alloc 0 --mem 5G \
	--expect "restore-2m-one.ops=clean" \
	--expect "demote-1g.ops=memfree-lost,memmap,warning" --expect-text "demote-1g.ops=WARNING: .* at kernel/jump_label.c" \
	"$c/demote-1g.ops" "$c/restore-2m-one.ops"
for k in control old; do
	echo "-- $(vm_pinned $k) ($k), HVO on: every stream clean (K1 not caught)"
	boot "$k-hvo-on" --kernel "$k" --hvo on --mem 5G \
		"$c/gigantic-1g.ops" "$c/demote-1g.ops" "$c/pool-cycle-2m-hvo-off.ops" "$c/get-put.ops" \
		"$c/restore-2m-one.ops" "$c/pool-cycle-2m.ops" "$c/pool-cycle-2m-hvo-runtime.ops"
done

echo "-- $(vm_pinned control) (control), 2 NUMA nodes: per-node pools clean"
boot control-numa2 --kernel control --numa 2 --mem 1G "$c/numa-2m.ops"

echo "-- K2 (1 GiB optimize rollback): needs fail_page_alloc"
have=
for k in current control old; do
	v=$(vm_pinned "$k")
	grep -q '^CONFIG_FAIL_PAGE_ALLOC=y' "$vm_build/images/$v/boot/config-$v" && have="$have $v"
done
if [ -z "$have" ]; then
	skipped=$((skipped + 1)); echo "skip K2: none of the pinned kernels has CONFIG_FAIL_PAGE_ALLOC (not expressible)"
else
	skipped=$((skipped + 1)); echo "skip K2: fail_page_alloc in$have, but no witness is written for it yet"
fi

echo "-- fuzz smoke (20 s, control kernel)"
expect_rc "vm fuzz --time 20 --kernel control is clean" 0 "$vm_top/vm/fuzz.sh" --time 20 --kernel control --seed 1 \
	--reports "$vm_build/test-reports"

echo "-- exit codes"
printf 'hvo-ops 1\nops\nalloc_batch order=9 n=1000\n' >"$tmp/too-big.ops"
printf 'hvo-ops 1\nops\nfrobnicate f=0\n' >"$tmp/bad.ops"
mkdir "$tmp/empty"
expect_rc "--help" 0 "$vm_top/vm/vm.sh" --help
expect_rc "run --help" 0 "$run" --help
expect_rc "missing kernel image" 2 "$run" --kernel /nonexistent/bzImage "$c/get-put.ops"
expect_rc "not a bzImage" 2 "$run" --kernel "$vm_top/vm/kernels.txt" "$c/get-put.ops"
expect_rc "stream larger than the VM, refused before boot" 2 "$run" --mem 1G "$tmp/too-big.ops"
expect_rc "malformed stream" 2 "$run" "$tmp/bad.ops"
expect_rc "unknown option" 2 "$run" --frob "$c/get-put.ops"
expect_rc "no streams in a directory" 3 "$run" "$tmp/empty"
printf 'hvo-ops 1\nops\nwalk pfn=0\ninject at=cmpxchg alloc order=9\n' >"$tmp/nothing.ops"
expect_rc "a stream with no op the kernel can do: nothing checked" 3 "$run" --kernel control "$tmp/nothing.ops"
# a VM too small to reach the agent: no verdict (2), and its console kept as the report
printf 'hvo-ops 1\nops\nwalk pfn=0x1000\n' >"$tmp/walk.ops"
mkdir "$tmp/unbootable"
vm_sub "$tmp/out" "$run" --kernel control --mem 40M --timeout 60 --reports "$tmp/unbootable" "$tmp/walk.ops"; rc=$?
out=$(cat "$tmp/out")
if [ $rc = 2 ] && grep -q 'did not boot to the agent' <<<"$out" && ls "$tmp"/unbootable/*.console >/dev/null 2>&1 &&
	grep -q "console: $tmp/unbootable/.*\.console" <<<"$out"; then
	ok "unbootable VM: exit 2, its console kept under the reports folder"
else
	bad "unbootable VM: exit $rc: $(tail -3 <<<"$out" | tr '\n' ' ')"
fi
# a stream far longer than the timeout (3000 ops): a hang with the last op record, then the next stream in a new boot
{ printf 'hvo-ops 1\nops\n'; for _ in $(seq 1 1500); do printf 'alloc order=9\nfree f=0\n'; done; } >"$tmp/long.ops"
vm_sub "$tmp/out" "$run" --kernel control --timeout 8 "$tmp/long.ops" "$c/get-put.ops"; rc=$?
out=$(cat "$tmp/out")
if [ $rc = 1 ] && grep -q '^FAIL long.ops .* hang -- first: hang last record: op [0-9]' <<<"$out" &&
	grep -q '^PASS get-put.ops' <<<"$out"; then
	ok "hang: FAIL with the last op, exit 1, the next stream still run"
else
	bad "hang: exit $rc: $(tr '\n' ' ' <<<"$out")"
fi
vm_sub "$tmp/out" "$run" --kernel control --reports /etc/hostname/vm "$c/restore-2m-one.ops"; rc=$?
out=$(cat "$tmp/out")
kept=$(sed -n 's/^hvo vm: consoles kept instead in //p' <<<"$out")
if [ $rc = 2 ] && grep -q '^PASS restore-2m-one.ops' <<<"$out" && grep -q 'cannot write a report' <<<"$out" &&
	[ -n "$kept" ] && grep -q '@@stream' "$kept"; then
	ok "unwritable report folder: verdict printed, consoles kept in the build tree, exit 2"
else
	bad "unwritable report folder: exit $rc: $(tr '\n' ' ' <<<"$out")"
fi
# SIGTERM while QEMU runs (under run and under fuzz): exit 130, no QEMU left behind
for what in run fuzz; do
	if [ $what = run ]; then
		"$run" --kernel control --reports "$vm_build/test-reports" "$c/pool-cycle-2m.ops" >/dev/null 2>&1 &
	else
		"$vm_top/vm/fuzz.sh" --kernel control --time 60 --reports "$vm_build/test-reports" >/dev/null 2>&1 &
	fi
	rpid=$!
	for _ in $(seq 1 80); do pgrep -f -- "-initrd $vm_build/run\." >/dev/null && break; sleep 0.25; done
	sleep 1
	kill -TERM "$rpid"
	wait "$rpid"; rc=$?
	sleep 0.5
	if [ $rc = 130 ] && ! pgrep -f -- "-initrd $vm_build/run\." >/dev/null; then
		ok "SIGTERM to vm $what: exit 130, no QEMU left"
	else
		bad "SIGTERM to vm $what: exit $rc, QEMU left: $(pgrep -f -- "-initrd $vm_build/run\." | tr '\n' ' ')"
	fi
done

now=$(vm_now_ms)
echo "vm step took $(( (now - t0) / 1000 )) s"
echo "vm lane: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
