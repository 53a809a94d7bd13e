#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# vm/fuzz.sh - ./hvo vm fuzz: random op streams on a real kernel for a time
# budget.  Streams come from a seed (agent --gen SEED INDEX), so a finding is
# replayable; the VM stays booted across streams (the agent shrinks every
# pool to 0 between them) and is rebooted after a stream that tainted the
# kernel (the agent stops there) or crashed it.  A failing stream is saved
# under reports/vm/ next to the boot's report.
set -uo pipefail
# shellcheck source=vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
usage: ./hvo vm fuzz [--time S] [--kernel V|ROLE|PATH] [--seed X] [--hvo on|off] [--mem SIZE] [--1g]
                     [--reports DIR]
  --time S     budget in seconds (default 60)
  --seed X     stream seed (default: from the clock; printed)
  --1g         also 1 GiB pages and demote (needs --mem 3G or more)
  Other options as ./hvo vm run.  Exit: 0 every stream clean, 1 a finding,
  2 usage/IO error, 3 no stream ran, 130 interrupted.
USAGE
}

budget=60 kernel=current seed=$(( $(date +%s%N) % 1000000007 )) hvo=on mem=1G gig="" reports=$vm_top/reports/vm
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) usage; exit 0 ;;
	--time) budget=${2:-}; [[ "$budget" =~ ^[1-9][0-9]*$ ]] || vm_die "--time: seconds"; shift 2 ;;
	--kernel) kernel=${2:?--kernel needs a value}; shift 2 ;;
	--seed) seed=${2:-}; [[ "$seed" =~ ^(0x[0-9a-fA-F]+|[0-9]+)$ ]] || vm_die "--seed: a number"; shift 2 ;;
	--hvo) case "${2:-}" in on|off) hvo=$2 ;; *) vm_die "--hvo: on or off" ;; esac; shift 2 ;;
	--mem) mem=${2:-}; vm_mem_mib "$mem" >/dev/null || vm_die "--mem: a size like 1G"; shift 2 ;;
	--1g) gig=1g; shift ;;
	--reports) reports=${2:?}; shift 2 ;;
	*) usage >&2; vm_die "unknown argument $1" ;;
	esac
done
vm_traps
vm_install_packages
vm_build_agent
vm_resolve_kernel "$kernel"
mib=$(vm_mem_mib "$mem")
cap=$(( mib - (mib / 4 > 256 ? mib / 4 : 256) ))
[ "$cap" -gt 0 ] || vm_die "--mem $mem leaves no room for huge pages"
[ -z "$gig" ] || [ "$cap" -ge 1100 ] || vm_die "--1g needs --mem 3G or more"
mkdir -p "$reports" 2>/dev/null && [ -w "$reports" ] || vm_die "cannot write reports under $reports"

echo "vm fuzz: kernel $VM_KLABEL hvo=$hvo mem=$mem seed=$seed budget ${budget}s"
start=$(vm_now_ms) idx=0 streams=0 fails=0 boots=0 ops=0 rc=0 batch=150
while :; do
	left=$(( budget - ($(vm_now_ms) - start) / 1000 ))
	[ "$left" -ge 8 ] || break
	dir=$(mktemp -d "$vm_build/fuzz.XXXXXX") || vm_die "cannot create a directory in $vm_build"
	VM_TMP+=("$dir")
	for ((i = idx; i < idx + batch; i++)); do
		"$vm_build/agent" --gen "$seed" "$i" "$cap" $gig >"$dir/$(printf 's%06d' $i).ops"
	done
	VM_TMP+=("$dir.out")
	vm_sub "$dir.out" "$vm_top/vm/run.sh" --kernel "$kernel" --hvo "$hvo" --mem "$mem" --timeout $((left + 60)) \
		--budget "$left" --label "fuzz seed=$seed" --reports "$reports" "$dir"
	r=$?
	out=$(cat "$dir.out")
	boots=$((boots + 1))
	[ $r = 130 ] && exit 130
	if [ $r = 2 ] || [ $r = 3 ]; then echo "$out" >&2; exit $r; fi
	report=$(sed -n 's/^report: //p' <<<"$out")
	ran=0
	while read -r verdict name _; do
		case "$verdict" in
		PASS) ran=$((ran + 1)) ;;
		FAIL)
			ran=$((ran + 1)); fails=$((fails + 1)); rc=1
			keep="${report%.md}-$name"
			cp "$dir/$name" "$keep"
			grep "^FAIL $name " <<<"$out"
			echo "  stream: ${keep#"$vm_top"/} (replay: ./hvo vm run --kernel $kernel --hvo $hvo --mem $mem ${keep#"$vm_top"/})" ;;
		esac
	done < <(grep -E '^(PASS|FAIL) ' <<<"$out")
	for n_ops in $(grep -h '@@summary' "${report%.md}.console" 2>/dev/null | sed -n 's/.* ops=\([0-9]*\).*/\1/p'); do
		ops=$((ops + n_ops))
	done
	boots=$((boots + $(grep -c '@@agent' "${report%.md}.console" 2>/dev/null) - 1))
	streams=$((streams + ran))
	idx=$((idx + ran))
	rm -rf "$dir"
	[ "$ran" -gt 0 ] || break
	grep -q '^NOTRUN ' <<<"$out" && break      # the budget ran out inside this batch
done
el=$(( ($(vm_now_ms) - start) / 1000 ))
echo "vm fuzz: $streams streams ($ops ops) in $boots boots, ${el}s, $fails failing; seed=$seed next index=$idx"
[ "$streams" -gt 0 ] || exit 3
exit $rc
