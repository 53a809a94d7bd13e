#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# vm/confirm.sh - ./hvo vm confirm: replay the findings' VM witnesses on the
# pinned kernels (reports/findings-vm.md).  Each finding says on which
# kernel it must show and on which it must not; a witness that behaves
# otherwise means the table is stale.
# Exit: 0 every witness behaved as the table says, 1 one did not,
# 2 usage/IO error, 130 interrupted.
set -uo pipefail
# shellcheck source=vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
usage: ./hvo vm confirm [--finding K1|K2] [--verbose]
  K1  6.12.115+ restore copies the head vmemmap page into the tail vmemmap pages:
      corpus/vm/restore-2m-one.ops, pool-cycle-2m.ops, gigantic-1g.ops must give
      "Bad page state ... corrupted mapping in tail page" and lost memory on the
      current kernel with HVO on, and be clean on the control kernel and on 6.1
  K2  6.12.115+ rollback of a failed 1 GiB optimize restores slot 0 as a tail:
      needs an allocation failure at the second PMD split (fail_page_alloc)
USAGE
}

which=all verbose=
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) usage; exit 0 ;;
	--finding) which=${2:-}; case "$which" in K1|K2) ;; *) vm_die "--finding: K1 or K2" ;; esac; shift 2 ;;
	--verbose) verbose=--verbose; shift ;;
	*) usage >&2; vm_die "unknown argument $1" ;;
	esac
done
vm_traps
c=$vm_top/corpus/vm
rc=0
mkdir -p "$vm_build" && tmp=$(mktemp -d "$vm_build/confirm.XXXXXX") || vm_die "cannot write in $vm_build"
VM_TMP+=("$tmp")
w=(restore-2m-one.ops pool-cycle-2m.ops gigantic-1g.ops)

if [ "$which" != K2 ]; then
	for k in current control old; do
		v=$(vm_pinned "$k")
		args=()
		for s in "${w[@]}"; do
			if [ $k = current ]; then
				args+=(--expect "$s=bad-page,memfree-lost" --expect-text "$s=corrupted mapping in tail page")
			else
				args+=(--expect "$s=clean")
			fi
		done
		# gigantic first: it needs a free 1 GiB-aligned range the 2 MiB leaks could break up
		vm_sub "$tmp/out" "$vm_top/vm/run.sh" --kernel "$k" --hvo on --mem 5G --label "confirm K1" $verbose \
			"${args[@]}" "$c/gigantic-1g.ops" "$c/restore-2m-one.ops" "$c/pool-cycle-2m.ops"
		r=$?
		out=$(cat "$tmp/out")
		echo "$out"
		[ $r = 130 ] && exit 130
		if [ $r = 0 ]; then
			[ $k = current ] && echo "K1 on $v: CONFIRMED (bad-page + memfree-lost, as the table says)" ||
				echo "K1 on $v: not present (clean, as the table says)"
		else
			echo "K1 on $v: the witnesses did NOT behave as reports/findings-vm.md says (exit $r)"
			rc=1
		fi
	done
fi
if [ "$which" != K1 ]; then
	have=
	for k in current control old; do
		v=$(vm_pinned "$k")
		vm_fetch "$v"
		grep -q '^CONFIG_FAIL_PAGE_ALLOC=y' "$vm_build/images/$v/boot/config-$v" && have="$have $v"
	done
	if [ -z "$have" ]; then
		echo "K2: not expressible through real interfaces on the pinned kernels: none has" \
			"CONFIG_FAULT_INJECTION/CONFIG_FAIL_PAGE_ALLOC (their /boot/config-*), so no allocation can be made" \
			"to fail at the second PMD split of a 1 GiB optimize"
	else
		echo "K2: fail_page_alloc exists in$have but no witness is written for it"
	fi
fi
exit $rc
