#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# vm/run.sh - ./hvo vm run: replay op streams on a real kernel in QEMU, one boot.
set -uo pipefail
# shellcheck source=vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
usage: ./hvo vm run [OPTIONS] FILE.ops|DIR...
  Boot one kernel in QEMU (TCG unless KVM works), replay every stream in order
  (pools shrunk to 0 between them; a stream that taints, crashes or hangs the
  kernel ends the boot and the rest run in a fresh one), print one PASS/FAIL
  line per stream, write a report under reports/vm/.
  --kernel VERSION|ROLE|PATH  a Debian version (fetched with apt-get download), a role of
                              vm/kernels.txt (current, control, old) or any bzImage (default: current)
  --hvo on|off                hugetlb_free_vmemmap= at boot (default on)
  --init-on-alloc 0|1         init_on_alloc= (default 1; its page checks report the bad pages)
  --mem SIZE                  guest RAM, e.g. 1G, 768M (default 1G)
  --numa N                    N NUMA nodes (qemu -numa), RAM split evenly
  --timeout S                 kill QEMU after S seconds of one boot: a hang (default 300)
  --budget S                  stop booting after S seconds in all; streams not reached are NOTRUN
  --verbose                   per-op records under each verdict
  --expect NAME=TAG[,TAG]     the stream is a witness: PASS only with exactly these findings
                              (clean = none; tags: bad-page bug warning oops panic hang crash
                              memfree-lost memmap expect error)
  --expect-text NAME=REGEX    ... and its kernel log must match REGEX
  --label TEXT                added to verdict lines and the report
  --reports DIR               where reports go (default reports/vm)
exit: 0 clean, 1 a finding, 2 usage/input/IO error (or an unbootable kernel), 3 nothing checked,
      130 interrupted
USAGE
}

kernel=current hvo=on ioa=1 mem=1G numa=0 timeout=300 verbose="" label="" reports=$vm_top/reports/vm budget=
files=() oracle_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) usage; exit 0 ;;
	--kernel) kernel=${2:?--kernel needs a value}; shift 2 ;;
	--hvo) case "${2:-}" in on|off) hvo=$2 ;; *) vm_die "--hvo: on or off" ;; esac; shift 2 ;;
	--init-on-alloc) case "${2:-}" in 0|1) ioa=$2 ;; *) vm_die "--init-on-alloc: 0 or 1" ;; esac; shift 2 ;;
	--mem) mem=${2:-}; vm_mem_mib "$mem" >/dev/null || vm_die "--mem: a size like 1G or 768M"; shift 2 ;;
	--numa) numa=${2:-}; [[ "$numa" =~ ^[0-9]+$ ]] && [ "$numa" -le 8 ] || vm_die "--numa: 0..8"; shift 2 ;;
	--timeout) timeout=${2:-}; [[ "$timeout" =~ ^[1-9][0-9]*$ ]] || vm_die "--timeout: seconds"; shift 2 ;;
	--verbose) verbose=--verbose; shift ;;
	--expect) oracle_args+=(--expect "${2:?}"); shift 2 ;;
	--expect-text) oracle_args+=(--expect-text "${2:?}"); shift 2 ;;
	--label) label=${2:?}; shift 2 ;;
	--reports) reports=${2:?}; shift 2 ;;
	--budget) budget=${2:-}; [[ "$budget" =~ ^[1-9][0-9]*$ ]] || vm_die "--budget: seconds"; shift 2 ;;
	-*) usage >&2; vm_die "unknown option $1" ;;
	*) files+=("$1"); shift ;;
	esac
done
[ ${#files[@]} -gt 0 ] || { usage >&2; vm_die "no stream given"; }
streams=()
for f in "${files[@]}"; do
	if [ -d "$f" ]; then
		while IFS= read -r g; do streams+=("$g"); done < <(find "$f" -maxdepth 1 -name '*.ops' | LC_ALL=C sort)
	elif [ -f "$f" ]; then streams+=("$f")
	else vm_die "no such stream file or directory: $f"
	fi
done
[ ${#streams[@]} -gt 0 ] || { echo "hvo vm: no *.ops streams in ${files[*]}: nothing checked" >&2; exit 3; }

vm_traps
vm_install_packages
vm_build_agent
mib=$(vm_mem_mib "$mem")
"$vm_build/agent" --plan "$mib" "${streams[@]}" >/dev/null || exit 2
vm_resolve_kernel "$kernel"

run=$(mktemp -d "$vm_build/run.XXXXXX") || vm_die "cannot create a run directory in $vm_build"
VM_TMP+=("$run")
vm_initramfs "$run/initrd.gz" 0 "${streams[@]}"
vm_probe_accel "$VM_KERNEL" "$run/initrd.gz"

# One boot runs streams until one taints the kernel (the agent stops there:
# a tainted kernel rate-limits its bad-page reports and would blame the next
# stream), crashes it or hangs; the rest go to a fresh boot.
append="console=ttyS0 hugetlb_free_vmemmap=$hvo init_on_alloc=$ioa nokaslr panic=-1 quiet hvo.stop_on_taint=1"
remaining=("${streams[@]}") first=0 boots=0 consoles=() statuses=() secs=() t_start=$(vm_now_ms)
while [ ${#remaining[@]} -gt 0 ]; do
	deadline=
	if [ -n "$budget" ]; then
		left=$(( budget - ($(vm_now_ms) - t_start) / 1000 ))
		[ "$left" -ge 5 ] || break
		deadline="hvo.deadline=$((left - 3))"
	fi
	[ $boots = 0 ] || vm_initramfs "$run/initrd.gz" "$first" "${remaining[@]}"
	con=$run/console.$boots
	vm_boot "$VM_KERNEL" "$run/initrd.gz" "$con" "$timeout" "$mem" "$numa" "$append $deadline"
	boots=$((boots + 1))
	consoles+=("$con") statuses+=("$VM_BOOT_STATUS") secs+=("$VM_BOOT_SECONDS")
	grep -q '@@agent' "$con.agent" || break          # unbootable: the oracle says so
	grep -q '@@deadline' "$con.agent" && break       # out of budget: the rest is not run
	n=$(grep -c '@@end ' "$con.agent")
	grep -q '@@summary' "$con.agent" || n=$((n + 1))  # the crashed or hung stream is done too
	[ "$n" -gt 0 ] || break
	remaining=("${remaining[@]:n}")
	first=$((first + n))
done
opts="kernel=$VM_KLABEL hvo=$hvo init_on_alloc=$ioa mem=$mem numa=$numa accel=$VM_ACCEL timeout=${timeout}s per boot; \
$boots boot(s), VM ran ${secs[*]/%/s} (${statuses[*]}); cmdline: $append"

# keep_consoles FILE: each boot's agent channel, then its kernel console
keep_consoles() {
	local i
	for i in "${!consoles[@]}"; do
		echo "=== boot $i: agent channel (ttyS1)"
		cat "${consoles[$i]}.agent"
		echo "=== boot $i: kernel console (ttyS0)"
		cat "${consoles[$i]}"
	done >"$1" 2>/dev/null
}

report=
rep_err=
if mkdir -p "$reports" 2>/dev/null && [ -w "$reports" ]; then
	report=$(mktemp "$reports/$(date +%Y%m%d-%H%M%S)-${VM_KLABEL//[^A-Za-z0-9.+_-]/_}-XXXX.md" 2>/dev/null) || rep_err=1
	# oracle.py opens it exclusively
	[ -n "$report" ] && rm -f "$report"
else
	rep_err=1
fi
IFS=, ; st_list="${statuses[*]}"; unset IFS
python3 "$vm_top/vm/oracle.py" "${consoles[@]}" --kernel "$VM_KLABEL" --boot-status "$st_list" \
	--options "$opts" ${label:+--label "$label"} $verbose ${report:+--report "$report"} "${oracle_args[@]}" \
	--streams "${streams[@]##*/}"
rc=$?
if [ -n "$report" ] && [ -f "$report" ]; then
	keep_consoles "${report%.md}.console"
	echo "report: ${report#"$vm_top"/}"
fi
if [ -n "$rep_err" ]; then
	echo "hvo vm: cannot write a report under $reports (not writable)" >&2
	# the verdict went to stdout; keep the consoles where we can write
	fallback=$vm_build/unreported/$(date +%Y%m%d-%H%M%S)-${VM_KLABEL//[^A-Za-z0-9.+_-]/_}-$$.console
	if mkdir -p "${fallback%/*}" 2>/dev/null && keep_consoles "$fallback"; then
		echo "hvo vm: consoles kept instead in $fallback" >&2
	fi
	[ $rc = 130 ] || rc=2
fi
if [ $rc = 2 ] && ! grep -q '@@agent' "${consoles[0]}.agent"; then
	echo "hvo vm: the kernel $VM_KLABEL did not boot to the agent" >&2
	# no verdict, so no report: keep the console, the only evidence of why
	if [ -z "$rep_err" ] && [ -n "$report" ] && [ ! -f "$report" ] &&
		keep_consoles "${report%.md}.console"; then
		echo "console: ${report%.md}.console" >&2
	fi
fi
exit $rc
