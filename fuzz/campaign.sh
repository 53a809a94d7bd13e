#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# campaign.sh - ./hvo fuzz: one fuzzing campaign of one target.
#
#   campaign.sh TARGET [--engine libfuzzer|afl] [--time S] [--jobs N]
#               [--mutant NAME]... [--seed N] [--merge-into-corpus] [--reports DIR]
#
# Works in REPORTS/campaign-TARGET-<date>-<n>/: seeds/ (the committed
# corpus/TARGET/*.bin), the engine's folders and log, corpus/ (the merged,
# minimised working corpus: libFuzzer -merge=1 or afl-cmin) and summary.txt.
# Every crash gets a report REPORTS/TARGET-<date>-<n>/ (crash-report.sh).
# --merge-into-corpus also adds the inputs with new coverage to corpus/TARGET
# (fuzz_ops: as NAME.ops + canonical NAME.bin, the form test_ops_bytes checks).
#
# libFuzzer: one process, or -fork=N with -ignore_crashes=1 for --jobs N.
# AFL++: one main (-M) and N-1 secondaries (-S) over one sync folder; afl-fuzz
# exits 0 even when it saved crashes, so the crashes folders decide.
# Exit status (README "Exit codes"): 0 no crash, 1 crashes found (reports
# written or not), 2 bad options, a setup failure or an I/O error (a full
# disk: any command failing unexpectedly), 130 interrupted.  --help: the
# usage on stdout, exit 0.
set -euo pipefail
# set -e alone would pass on the failing command's status (often 1, which
# reads as "crashes found"); an unexpected failure is an error.
trap 'echo "hvo fuzz: line $LINENO: a command failed (exit $?): an I/O error (disk full?) or a setup failure" >&2; exit 2' ERR
trap 'echo "hvo fuzz: interrupted" >&2; exit 130' INT TERM
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builds=${HVO_BUILD_ROOT:-$top/build}
cli=$builds/gcc/fuzz/hvo-cli

die() { echo "hvo fuzz: $*" >&2; exit 2; }
usage_text() {
	echo "usage: ./hvo fuzz TARGET [--engine libfuzzer|afl] [--time S] [--jobs N] [--mutant NAME]..."
	echo "                         [--seed N] [--merge-into-corpus] [--reports DIR]"
}
usage() { usage_text >&2; exit 2; }
posint() { [[ $2 =~ ^[1-9][0-9]{0,6}$ ]] || die "$1 needs a positive integer, not '$2'"; }

for a in "$@"; do
	case "$a" in -h|--help)
		usage_text
		echo "exit: 0 no crash, 1 crashes found, 2 bad options or I/O error, 130 interrupted"
		exit 0 ;;
	esac
done
[ $# -ge 1 ] || usage
target=$1
shift
[[ $target =~ ^[a-z0-9_]+$ ]] && [ -d "$top/corpus/$target" ] && [ -f "$top/corpus/$target.options" ] ||
	die "unknown target '$target' (known: $(cd "$top/corpus" && ls -- *.options | sed 's/\.options$//' | paste -sd " "))"
engine=libfuzzer time=60 jobs=1 seed="" merge=0 reports=$top/reports mutants=()
while [ $# -gt 0 ]; do
	case "$1" in
	--engine|--time|--jobs|--mutant|--seed|--reports) [ $# -ge 2 ] || die "$1 needs a value" ;;&
	--engine) engine=$2; shift ;;
	--time) posint "$1" "$2"; time=$2; shift ;;
	--jobs) posint "$1" "$2"; jobs=$2; shift ;;
	--seed) posint "$1" "$2"; seed=$2; shift ;;
	--mutant) mutants+=("$2"); shift ;;
	--reports) reports=$2; shift ;;
	--merge-into-corpus) merge=1 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done
case "$engine" in libfuzzer|afl) ;; *) die "unknown engine '$engine' (libfuzzer or afl)" ;; esac
[ "$jobs" -le 64 ] || die "--jobs $jobs: at most 64 (AFL++ scales to 32-64 instances per machine)"
if [ ${#mutants[@]} -gt 0 ]; then
	known=$("$cli" mutants | awk '{print $1}')
	for m in "${mutants[@]}"; do
		grep -qixF -- "$m" <<<"$known" || die "unknown mutant '$m' (known: $(echo $known))"
	done
fi
export HVO_MUTANTS
HVO_MUTANTS=$(IFS=,; echo "${mutants[*]}")

# The campaign folder is the writability probe: fail before fuzzing, never
# after, when reports cannot be written.
mkdir -p -- "$reports" 2>/dev/null && [ -w "$reports" ] || die "reports folder '$reports' is not writable"
reports=$(cd "$reports" && pwd)
stamp=$(date +%Y%m%d)
n=1
until mkdir -- "$reports/campaign-$target-$stamp-$n" 2>/dev/null; do
	[ -w "$reports" ] || die "cannot create a campaign folder in '$reports'"
	n=$((n + 1))
done
camp=$reports/campaign-$target-$stamp-$n
# absolute: the engines run in the campaign folder
builds=$(mkdir -p "$builds" && cd "$builds" && pwd)
export HVO_BUILD_ROOT=$builds
bin=$("$top/fuzz/fuzz-build.sh" "$engine" "$target")/$("$top/fuzz/target-path.sh" "$target")
opt() { sed -n "s/^$1 *= *//p" "$top/corpus/$target.options"; }
max_len=$(opt max_len) timeout=$(opt timeout)
dict=$top/corpus/$target.dict
mkdir "$camp/seeds" "$camp/corpus" "$camp/crashes"
cp "$top/corpus/$target"/*.bin "$camp/seeds/"
cd "$camp"  # engines drop stray files (fork logs, merge artifacts) in the cwd

echo "hvo fuzz: $target, $engine, ${time}s, $jobs job(s), mutants: ${HVO_MUTANTS:-none}; folder $camp"
start=$(date +%s.%N)
if [ "$engine" = libfuzzer ]; then
	args=(-dict="$dict" -max_len="$max_len" -timeout="$timeout" -max_total_time="$time"
	      -artifact_prefix="$camp/crashes/" -print_final_stats=1)
	[ -z "$seed" ] || args+=(-seed="$seed")
	[ "$jobs" = 1 ] || args+=(-fork="$jobs" -ignore_crashes=1)
	mkdir "$camp/work"
	rc=0
	"$bin" "${args[@]}" "$camp/work" "$camp/seeds" >"$camp/engine.log" 2>&1 || rc=$?
	crashes=("$camp"/crashes/{crash,leak,timeout,oom}-*)
	[ "$rc" = 0 ] || [ -f "${crashes[0]}" ] || compgen -G "$camp/crashes/*-*" >/dev/null ||
		die "libFuzzer exited $rc without a crash file; see $camp/engine.log"
	"$bin" -merge=1 -max_len="$max_len" -artifact_prefix="$camp/merge-" "$camp/corpus" "$camp/seeds" "$camp/work" >"$camp/merge.log" 2>&1 ||
		die "libFuzzer -merge=1 failed; see $camp/merge.log"
	speed=$(grep -Eho 'exec/s:? [0-9]+' "$camp/engine.log" | tail -1 || true)  # -fork prints "exec/s N"
else
	afl_env=(env AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1)
	pids=()
	for ((i = 0; i < jobs; i++)); do
		role=(-S "s$i")
		[ "$i" = 0 ] && role=(-M main)
		args=(-i "$camp/seeds" -o "$camp/sync" "${role[@]}" -V "$time" -x "$dict" -m none -t "$((timeout * 1000))")
		[ -z "$seed" ] || args+=(-s "$((seed + i))")
		"${afl_env[@]}" afl-fuzz "${args[@]}" -- "$bin" >"$camp/afl-$i.log" 2>&1 &
		pids+=($!)
	done
	rc=0
	for p in "${pids[@]}"; do wait "$p" || rc=$?; done
	shopt -s nullglob
	crashes=("$camp"/sync/*/crashes/id:*)
	queue=("$camp"/sync/*/queue/id:*)
	shopt -u nullglob
	[ ${#queue[@]} -gt 0 ] || die "afl-fuzz ran no queue (exit $rc); see $camp/afl-*.log"
	mkdir "$camp/queue-all"
	k=0
	for q in "${queue[@]}"; do cp "$q" "$camp/queue-all/q$((k++))"; done
	# AFL_ALLOW_TMP: afl-cmin refuses /tmp paths (shared, predictable names);
	# these folders are the campaign's own.
	AFL_ALLOW_TMP=1 AFL_NO_AFFINITY=1 afl-cmin -i "$camp/queue-all" -o "$camp/corpus" -m none -t "$((timeout * 1000))" -- "$bin" \
		>"$camp/merge.log" 2>&1 || die "afl-cmin failed; see $camp/merge.log"
	rm -rf "$camp/queue-all"
	speed=$(for s in "$camp"/sync/*/fuzzer_stats; do
		awk -v d="$(basename "$(dirname "$s")")" \
			'/^execs_per_sec/{e=$3} /^stability/{st=$3} END{printf "%s: %s exec/s, stability %s; ", d, e, st}' "$s"
	done)
fi

# One report per crash file, in the order found.
found=0 failed=0 first=""
reported=()
for c in "${crashes[@]}"; do
	[ -f "$c" ] || continue
	after=$(awk -v a="$(stat -c %.3Y "$c")" -v b="$start" 'BEGIN{printf "%.1f", a - b}')
	[ -n "$first" ] || first=$after
	found=$((found + 1))
	if r=$("$top/fuzz/crash-report.sh" "$target" "$c" "$reports" "$engine" "$HVO_MUTANTS" \
		"campaign: $camp"$'\n'"found after: ${after}s"); then
		reported+=("$r")
	else
		failed=$((failed + 1))
	fi
done

if [ "$merge" = 1 ]; then
	"$top/fuzz/merge-into-corpus.sh" "$target" "$camp/corpus" || die "merge into corpus/$target failed"
fi

summary=$({
	echo "target: $target"
	echo "engine: $engine, ${time}s, $jobs job(s), seed ${seed:-random}"
	echo "mutants: ${HVO_MUTANTS:-none}"
	echo "speed: ${speed:-unknown}"
	echo "working corpus: $(ls "$camp/corpus" | wc -l) inputs in $camp/corpus"
	echo "crashes: $found${first:+, first after ${first}s}"
	for r in "${reported[@]}"; do echo "report: $r"; done
	[ "$failed" = 0 ] || echo "UNREPORTED: $failed crash(es) left in the engine folders under $camp"
})
echo "$summary"
# a summary that cannot be written is an I/O error, whatever was found
if ! echo "$summary" >"$camp/summary.txt"; then
	[ "$found" = 0 ] && die "cannot write $camp/summary.txt (disk full?)"
	echo "hvo fuzz: cannot write $camp/summary.txt (disk full?)" >&2
fi
[ "$failed" = 0 ] || exit 1
[ "$found" = 0 ] || exit 1
exit 0
