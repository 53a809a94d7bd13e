#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench_fuzz.sh - ./hvo bench fuzz: exec/s of every fuzz target, each run
# for a fixed time from its committed seeds, without mutants (the known
# findings of fuzz/known-findings.txt run repaired), as a ratio to
# the empty target (stress/bench_fuzz_empty.c) built the same way and
# measured in the same run:
#   libFuzzer, clang-19 ASan+UBSan, one process, -seed=1;
#   AFL++ 4.04c persistent mode (clang-19 LLVM-NATIVE, ASan+UBSan), one
#   instance, with its stability (100% means no state leaks across inputs).
# A benchmark, not a test: it prints figures and, for those with a goal,
# whether this run met it: each target's exec/s goal (issue 16), peak RSS
# of every libFuzzer run at most 512 MiB (issue 15 item 11: ClusterFuzzLite's
# limit is 2 GiB; a long campaign must stay far below), AFL++ stability at
# least 99%.
# BENCH_FUZZ_TIME overrides the seconds per run (default 10); BENCH_FUZZ_AFL=0
# skips the AFL++ half.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HVO_BUILD_ROOT=${HVO_BUILD_ROOT:-$top/build}
secs=${BENCH_FUZZ_TIME:-10}
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "bench fuzz: BENCH_FUZZ_TIME must be a positive integer" >&2; exit 2; }
targets=$(cd "$top/corpus" && ls -- *.options | sed 's/\.options$//')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset HVO_MUTANTS

seeds() {  # the seeds every run starts from; the empty target gets fuzz_ops'
	local t=$1 d=$work/seeds-$1-$2
	mkdir -p "$d"
	cp "$top/corpus/${t/bench_fuzz_empty/fuzz_ops}"/*.bin "$d/"
	echo "$d"
}

# The known findings a target runs repaired (fuzz/known-findings.txt): a
# run that stops at S1 within a second measures nothing.
repairs() { local v; read -r v _ < <("$top/fuzz/known.sh" "$1") || true; echo "${v:-}"; }
repaired_note() {
	local v f
	read -r v f < <("$top/fuzz/known.sh" "$1") || true
	[ -z "${v:-}" ] || echo "  ($f repaired: $v)"
}

libfuzzer_rate() {  # BIN NAME -> "average-exec/s peak-RSS-MiB"
	local d
	d=$(seeds "$2" lf)
	HVO_MUTANTS=$(repairs "$2") "$1" -seed=1 -max_total_time="$secs" -print_final_stats=1 -max_len=1024 "$d" >"$work/lf-$2.log" 2>&1 ||
		{ echo "bench fuzz: $2 failed under libFuzzer (a crash without mutants, known findings repaired):" >&2; tail -20 "$work/lf-$2.log" >&2; exit 1; }
	awk '/^stat::average_exec_per_sec:/{e=$2} /^stat::peak_rss_mb:/{r=$2} END{print e, r}' "$work/lf-$2.log"
}
rss_goal() { awk -v r="$1" 'BEGIN{ print (r != "" && r <= 512) ? "goal<=512MiB met" : "goal<=512MiB NOT met" }'; }
stab_goal() { awk -v s="${1%\%}" 'BEGIN{ print (s != "" && s >= 99) ? "goal>=99% met" : "goal>=99% NOT met" }'; }

afl_stats() {  # BIN NAME -> "exec/s stability"
	local d
	d=$(seeds "$2" afl)
	env HVO_MUTANTS="$(repairs "$2")" AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
		afl-fuzz -i "$d" -o "$work/afl-$2" -V "$secs" -m none -s 1 -- "$1" >"$work/afl-$2.log" 2>&1 ||
		{ echo "bench fuzz: afl-fuzz on $2 failed:" >&2; tail -20 "$work/afl-$2.log" >&2; exit 1; }
	awk '/^execs_per_sec/{e=$3} /^stability/{s=$3} END{print e, s}' "$work/afl-$2/default/fuzzer_stats"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.3g", a / b; else print "n/a" }'; }

# Issue 16's goals (libFuzzer exec/s, ASan+UBSan, one core): op-stream
# targets 10,000, fuzz_geometry 50,000, fuzz_sched 5,000, fuzz_kernel 2,000.
goal() {
	case "$1" in
	fuzz_geometry) echo 50000 ;;
	fuzz_sched) echo 5000 ;;
	fuzz_kernel) echo 2000 ;;
	*) echo 10000 ;;
	esac
}
verdict() { awk -v a="$1" -v g="$2" 'BEGIN{ print (a + 0 >= g + 0) ? "met" : "not met" }'; }

lf=$("$top/fuzz/fuzz-build.sh" libfuzzer $targets stress/bench_fuzz_empty)
afl=
[ "${BENCH_FUZZ_AFL:-1}" = 0 ] || afl=$("$top/fuzz/fuzz-build.sh" afl $targets stress/bench_fuzz_empty)
echo "bench fuzz: ${secs} s per run, from the committed seeds, no mutants (known findings repaired), on $(nproc) core(s) (shared)"
echo
echo "libFuzzer (clang-19, ASan+UBSan, -seed=1)"
read -r base brss <<<"$(libfuzzer_rate "$lf/stress/bench_fuzz_empty" bench_fuzz_empty)"
printf '  %-16s %10s exec/s  baseline          peak RSS %5s MiB  %s\n' empty "$base" "$brss" "$(rss_goal "$brss")"
for t in $targets; do
	read -r r rss <<<"$(libfuzzer_rate "$lf/$("$top/fuzz/target-path.sh" "$t")" "$t")"
	g=$(goal "$t")
	printf '  %-16s %10s exec/s  %s x empty  goal %s: %s  peak RSS %5s MiB  %s%s\n' "$t" "$r" "$(ratio "$r" "$base")" \
		"$g" "$(verdict "$r" "$g")" "$rss" "$(rss_goal "$rss")" "$(repaired_note "$t")"
done
[ -n "$afl" ] || exit 0
echo
echo "AFL++ 4.04c (persistent, clang-19 LLVM-NATIVE, ASan+UBSan, one instance)"
read -r base bstab <<<"$(afl_stats "$afl/stress/bench_fuzz_empty" bench_fuzz_empty)"
printf '  %-16s %10s exec/s  baseline          stability %s  %s\n' empty "$base" "$bstab" "$(stab_goal "$bstab")"
for t in $targets; do
	read -r r stab <<<"$(afl_stats "$afl/$("$top/fuzz/target-path.sh" "$t")" "$t")"
	printf '  %-16s %10s exec/s  %s x empty  stability %s  %s%s\n' "$t" "$r" "$(ratio "$r" "$base")" "$stab" \
		"$(stab_goal "$stab")" "$(repaired_note "$t")"
done
