#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# vm/test_oracle.sh - vm/oracle.py on hand-made boots, no QEMU: the agent's
# channel (CONSOLE.agent) carries the records, the kernel console (CONSOLE)
# counts only for a stream that did not end.
#   test_oracle.sh SOURCE_ROOT
set -uo pipefail
top=${1:?usage: test_oracle.sh SOURCE_ROOT}
# shellcheck source=fuzz/check-lib.sh
. "$top/fuzz/check-lib.sh"
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
oracle() { python3 "$top/vm/oracle.py" "$@" --kernel test --streams s.ops; }

op() {  # op IDX KIND H2M MEMFREE TEXT
	echo "@@op $1 $2 st=done rc=0 h2m=$3 f2m=$3 h1g=0 f1g=0 hvo=0 memfree=$4 pcp=0 memmap=0 memmap_boot=0 dmesg=0 ms=1.0 | $5"
}
agent_head() {
	echo "@@agent up=2.000 hvo=1 fail_page_alloc=0 memmap_stat=1 kmsg=1"
	echo "@@stream 0 0000-s.ops ops=2 header_ignored=0 memfree=1000"
	op start start 0 1000 "(stream start)"
	op 0 alloc 1 996 "alloc order=9"
}
agent_end() {
	op 1 free 0 1000 "free f=0"
	op reset reset 0 1000 "(all pools shrunk to 0)"
	echo "@@end 0 0000-s.ops status=done ops=2 done=2 skipped=0 implicit=0 expect_mismatch=0 memfree_before=1000 memfree_after=1000 taint=0 ops_ms=2.0"
	echo "@@summary streams=1 ops=2 done=2 skipped=0 implicit=0 ms=9.0"
}

# 1. an ended stream: kernel console noise, even a protocol-looking line and
# a BUG line, is not the agent's record (the agent relayed the kernel log)
{ agent_head; agent_end; } >"$tmp/a.agent"
printf '%s\n' "[    0.100000] Linux version test" "[    2.500000] @@end 0 0000-s.ops status=bogus" \
	"[    2.600000] BUG: Bad page state in process kworker/0:1  pfn:1234" >"$tmp/a"
planned=$((planned + 1))
check 0 '^PASS s.ops \[test\] clean' oracle "$tmp/a" --boot-status exited

# 2. a stream that crashed (no @@end, no summary): the console from the
# agent's start on is its record, lines before it are the boot's
agent_head >"$tmp/b.agent"
printf '%s\n' "[    1.000000] Kernel panic - not syncing: only a boot line" \
	"[    3.000000] BUG: unable to handle page fault for address: ffffea0000000000" \
	"[    3.000100] Kernel panic - not syncing: Fatal exception" >"$tmp/b"
planned=$((planned + 1))
check 1 '^FAIL s.ops \[test\] crash,oops,panic -- first: oops after op 0 .*\[    3.000000\] BUG: unable' \
	oracle "$tmp/b" --boot-status exited

# 3. a summary that does not list the stream: NOTRUN says so (not "budget")
{ echo "@@agent up=2.000 hvo=1 fail_page_alloc=0 memmap_stat=1 kmsg=1"
  echo "@@summary streams=0 ops=0 done=0 skipped=0 implicit=0 ms=9.0"; } >"$tmp/c.agent"
: >"$tmp/c"
planned=$((planned + 1))
check 3 "^NOTRUN s.ops \[test\] the VM agent's summary does not list it \(streams=0\)" oracle "$tmp/c" --boot-status exited

# 4. no agent channel at all (the agent never came up): exit 2, the console's tail shown
printf '%s\n' "[    0.500000] Kernel panic - not syncing: VFS: Unable to mount root" >"$tmp/d"
planned=$((planned + 1))
check 2 'VFS: Unable to mount root' oracle "$tmp/d" --boot-status exited

check_done test_oracle
