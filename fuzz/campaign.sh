#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# campaign.sh - ./hvo fuzz: one fuzzing campaign of one target.
#
#   campaign.sh TARGET [--engine libfuzzer|afl] [--time S] [--jobs N]
#               [--mutant NAME]... [--seed N] [--merge-into-corpus] [--reports DIR]
#               [--progress S] [--keep-known] [-- ENGINE-FLAGS...]
#
# --mutant takes a catalogue mutant or a variant (./hvo variants).  The
# known findings of fuzz/known-findings.txt run with their repair variant
# unless --keep-known: the banner and summary.txt name them.
# Flags after -- go to the engine as they are (libFuzzer -runs=, -max_len=;
# afl-fuzz -p explore), after the campaign's own, so they win.  Every
# --progress seconds (default 5) a progress line: seconds, execs, exec/s,
# coverage (libFuzzer cov, AFL++ edges_found), corpus size and crashes, also
# appended to progress.csv; at the end plot-coverage.png, plot-execs.png and
# plot-corpus.png (fuzz/plot-campaign.sh, gnuplot) from progress.csv
# (libFuzzer's status lines) or AFL++'s plot_data.  SIGINT/SIGTERM stop the
# engine, and the campaign still merges, reports crashes and writes the
# summary, then exits 130.  summary.txt has the coverage of the merged
# corpus (libFuzzer -merge's edges; AFL++'s edges_found and bitmap_cvg).
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
	echo "                         [--seed N] [--merge-into-corpus] [--reports DIR] [--progress S] [--keep-known]"
	echo "                         [-- ENGINE-FLAGS...]   (e.g. -- -runs=100000 -max_len=512, or -- -p explore)"
}
usage() { usage_text >&2; exit 2; }
posint() { [[ $2 =~ ^[1-9][0-9]{0,6}$ ]] || die "$1 needs a positive integer, not '$2'"; }

for a in "$@"; do
	[ "$a" != -- ] || break
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
engine=libfuzzer time=60 jobs=1 seed="" merge=0 reports=$top/reports mutants=() every=5 engine_flags=() keep_known=0
while [ $# -gt 0 ]; do
	case "$1" in
	--) shift; engine_flags=("$@"); break ;;
	--engine|--time|--jobs|--mutant|--seed|--reports|--progress) [ $# -ge 2 ] || die "$1 needs a value" ;;&
	--progress) posint "$1" "$2"; every=$2; shift ;;
	--engine) engine=$2; shift ;;
	--time) posint "$1" "$2"; time=$2; shift ;;
	--jobs) posint "$1" "$2"; jobs=$2; shift ;;
	--seed) posint "$1" "$2"; seed=$2; shift ;;
	--mutant) mutants+=("$2"); shift ;;
	--reports) reports=$2; shift ;;
	--merge-into-corpus) merge=1 ;;
	--keep-known) keep_known=1 ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done
case "$engine" in libfuzzer|afl) ;; *) die "unknown engine '$engine' (libfuzzer or afl)" ;; esac
[ "$jobs" -le 64 ] || die "--jobs $jobs: at most 64 (AFL++ scales to 32-64 instances per machine)"
if [ ${#mutants[@]} -gt 0 ]; then
	known=$({ "$cli" mutants; "$cli" variants; } | awk '$2 != "(baseline)" {print $1}')
	for m in "${mutants[@]}"; do
		grep -qixF -- "$m" <<<"$known" || die "unknown mutant or variant '$m' (known: $(echo $known))"
	done
fi
# Known findings (fuzz/known-findings.txt) run repaired unless --keep-known:
# a campaign that re-finds S1 in seconds finds nothing else.
repaired=
if [ "$keep_known" = 0 ]; then
	read -r known_v known_f < <("$top/fuzz/known.sh" "$target") || true
	if [ -n "${known_v:-}" ]; then
		IFS=, read -ra kv <<<"$known_v"
		mutants+=("${kv[@]}")
		repaired="$known_f ($known_v)"
	fi
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
# An I/O error names what could not be written and why (a full disk
# among them), never a raw cp message followed by a truncated corpus.
full_hint() {
	local avail
	avail=$(df -Pk -- "$camp" 2>/dev/null | awk 'NR == 2 {print $4}')
	[ -z "$avail" ] || [ "$avail" -gt 64 ] || echo " (the disk holding $camp is full)"
}
io() {
	local what=$1 err
	shift
	err=$("$@" 2>&1 >/dev/null) || die "I/O error: $what: ${err:-failed}$(full_hint)"
}
io "cannot create the campaign folders in $camp" mkdir "$camp/seeds" "$camp/corpus" "$camp/crashes"
io "cannot copy the seeds into $camp/seeds" cp "$top/corpus/$target"/*.bin "$camp/seeds/"
cd "$camp"  # engines drop stray files (fork logs, merge artifacts) in the cwd

echo "hvo fuzz: $target, $engine, ${time}s, $jobs job(s), mutants: ${HVO_MUTANTS:-none}${engine_flags[*]:+, engine flags: ${engine_flags[*]}}; folder $camp"
[ -z "$repaired" ] || echo "hvo fuzz: known findings run repaired: $repaired; --keep-known fuzzes the plain baseline"
start=$(date +%s.%N)

# --- progress: one sample every $every seconds while the engine runs
# Each engine runs in a process group of its own (setsid): a stop reaches
# libFuzzer's -fork workers and their merges too.  libFuzzer stops on
# SIGTERM (exit 72) and afl-fuzz writes its stats; a -fork parent that
# keeps going gets SIGKILL after 10 s.
interrupted=0 pids=() stop_at=
stop_engines() {
	for p in "${pids[@]}"; do kill "-$1" -- "-$p" 2>/dev/null || true; done
}
on_signal() {
	interrupted=1
	stop_at=${stop_at:-$((SECONDS + 10))}
	stop_engines TERM
}
count_crashes() {
	if [ "$engine" = libfuzzer ]; then
		# the kinds the report step reports; slow-unit-* is not a failure
		{ compgen -G "$camp/crashes/crash-*" || true; compgen -G "$camp/crashes/leak-*" || true
		  compgen -G "$camp/crashes/timeout-*" || true; compgen -G "$camp/crashes/oom-*" || true; } | wc -l
	else
		{ compgen -G "$camp/sync/*/crashes/id:*" || true; } | wc -l
	fi
}
# AFL++ plot_data, by column name: the last row of one instance
afl_col() {
	awk -F', *' -v want="$2" 'NR == 1 { sub(/^# */, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
		/^[0-9]/ { last = $0 } END { if (last == "" || !(want in col)) exit; split(last, f, /, */); print f[col[want]] }' "$1"
}
# afl_stat DIR STATS-KEY PLOT-COLUMN: a figure of one instance, from
# whichever of fuzzer_stats and plot_data was written last
afl_stat() {
	local st=$1/fuzzer_stats pd=$1/plot_data
	if [ -f "$st" ] && { [ ! -f "$pd" ] || [ "$st" -nt "$pd" ] || [ -z "$(afl_col "$pd" "$3")" ]; }; then
		awk -v k="$2" '$1 == k {v = $3} END {if (v != "") print v}' "$st"
	elif [ -f "$pd" ]; then
		afl_col "$pd" "$3"
	fi
}
# The resident size of the engine's largest process, MiB (libFuzzer's
# -fork workers, afl-fuzz's target): what must stay flat over a long run.
max_rss_mib() {
	local sids
	sids=$(IFS=,; echo "${pids[*]}")
	ps -o rss= --sid "$sids" 2>/dev/null | awk '$1 > m { m = $1 } END { if (m) printf "%.1f", m / 1024 }'
}
# seconds,execs,execs_per_s,coverage,corpus,crashes,max_rss_mib (empty: not yet known)
sample() {
	local t execs= eps= cov= corp= line p n
	t=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN{printf "%.0f", a - b}')
	if [ "$engine" = libfuzzer ]; then
		# libFuzzer's status lines: "#N ... cov: C ... corp: K/... exec/s: E" (-fork: "exec/s E")
		line=$(tail -c 65536 "$camp/engine.log" 2>/dev/null | grep -a -E '^#[0-9]+' | tail -1 || true)
		execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$line")
		cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
		corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$line")
		eps=$(sed -n 's/.* exec\/s:\{0,1\} \([0-9]*\).*/\1/p' <<<"$line")
	else
		# afl-fuzz's fuzzer_stats and plot_data (both written now and then
		# with AFL_NO_UI: the newer of the two), summed over the instances;
		# the corpus is main's queue as it is now
		for p in "$camp"/sync/*/; do
			n=$(afl_stat "$p" execs_per_sec execs_per_sec)
			[ -z "$n" ] || eps=$(awk -v a="${eps:-0}" -v b="$n" 'BEGIN{printf "%.0f", a + b}')
			n=$(afl_stat "$p" execs_done total_execs)
			[ -z "$n" ] || execs=$((${execs:-0} + n))
		done
		cov=$(afl_stat "$camp/sync/main/" edges_found edges_found)
		corp=$({ compgen -G "$camp/sync/main/queue/id:*" || true; } | wc -l)
	fi
	echo "$t,$execs,$eps,$cov,$corp,$(count_crashes),$(max_rss_mib)"
}
watch_engine() {
	local next=$every row alive p t x e c k n r
	echo "seconds,execs,execs_per_s,coverage,corpus,crashes,max_rss_mib" >"$camp/progress.csv" ||
		{ on_signal; die "I/O error: cannot write $camp/progress.csv$(full_hint)"; }
	while :; do
		alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 1 ] || break
		sleep 1 & wait $! || true   # wakes for a signal at once
		if [ "$interrupted" = 1 ]; then
			[ "$SECONDS" -lt "$stop_at" ] || stop_engines KILL
			continue
		fi
		[ "$SECONDS" -ge "$next" ] || continue
		next=$((SECONDS + every))
		row=$(sample)
		echo "$row" >>"$camp/progress.csv" || { on_signal; die "I/O error: cannot write $camp/progress.csv$(full_hint)"; }
		IFS=, read -r t x e c k n r <<<"$row"
		echo "hvo fuzz: [${t}s] execs ${x:-?}, exec/s ${e:-?}, coverage ${c:-?}, corpus ${k:-?}, crashes $n, rss ${r:-?} MiB"
	done
	row=$(sample)
	echo "$row" >>"$camp/progress.csv" || die "I/O error: cannot write $camp/progress.csv$(full_hint)"
}

SECONDS=0
trap on_signal INT TERM
if [ "$engine" = libfuzzer ]; then
	args=(-dict="$dict" -max_len="$max_len" -timeout="$timeout" -max_total_time="$time"
	      -artifact_prefix="$camp/crashes/" -print_final_stats=1)
	[ -z "$seed" ] || args+=(-seed="$seed")
	[ "$jobs" = 1 ] || args+=(-fork="$jobs" -ignore_crashes=1)
	io "cannot create $camp/work" mkdir "$camp/work"
	rc=0
	setsid "$bin" "${args[@]}" "${engine_flags[@]}" "$camp/work" "$camp/seeds" >"$camp/engine.log" 2>&1 &
	pids=($!)
	watch_engine
	wait "${pids[0]}" || rc=$?
	crashes=("$camp"/crashes/{crash,leak,timeout,oom}-*)
	# stopped by us: libFuzzer's 72 (-interrupted_exitcode) or SIGKILL's 137
	[ "$rc" = 0 ] || [ -f "${crashes[0]}" ] || compgen -G "$camp/crashes/*-*" >/dev/null ||
		[ "$interrupted" = 1 ] ||
		die "libFuzzer exited $rc without a crash file$(full_hint); see $camp/engine.log"
	"$bin" -merge=1 -max_len="$max_len" -artifact_prefix="$camp/merge-" "$camp/corpus" "$camp/seeds" "$camp/work" >"$camp/merge.log" 2>&1 ||
		die "libFuzzer -merge=1 failed$(full_hint); see $camp/merge.log"
	speed=$(grep -Eho 'exec/s:? [0-9]+' "$camp/engine.log" | tail -1 || true)  # -fork prints "exec/s N"
	# the merged corpus from nothing: all its edges are "new"
	coverage=$(sed -n 's/.*MERGE-OUTER: .* \([0-9][0-9]*\) new coverage edges.*/\1 edges (libFuzzer -merge of the working corpus)/p' "$camp/merge.log" | tail -1)
	cov_now=$(tail -1 "$camp/progress.csv" | cut -d, -f4)
	[ -z "$cov_now" ] || coverage="${coverage:-unknown}; the engine's last cov: $cov_now"
else
	afl_env=(env AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1)
	for ((i = 0; i < jobs; i++)); do
		role=(-S "s$i")
		[ "$i" = 0 ] && role=(-M main)
		args=(-i "$camp/seeds" -o "$camp/sync" "${role[@]}" -V "$time" -x "$dict" -m none -t "$((timeout * 1000))")
		[ -z "$seed" ] || args+=(-s "$((seed + i))")
		setsid "${afl_env[@]}" afl-fuzz "${args[@]}" "${engine_flags[@]}" -- "$bin" >"$camp/afl-$i.log" 2>&1 &
		pids+=($!)
	done
	watch_engine
	rc=0
	for p in "${pids[@]}"; do wait "$p" || rc=$?; done
	shopt -s nullglob
	crashes=("$camp"/sync/*/crashes/id:*)
	queue=("$camp"/sync/*/queue/id:*)
	shopt -u nullglob
	[ ${#queue[@]} -gt 0 ] || die "afl-fuzz ran no queue (exit $rc)$(full_hint); see $camp/afl-*.log"
	io "cannot create $camp/queue-all" mkdir "$camp/queue-all"
	k=0
	for q in "${queue[@]}"; do io "cannot copy the queue into $camp/queue-all" cp "$q" "$camp/queue-all/q$((k++))"; done
	# AFL_ALLOW_TMP: afl-cmin refuses /tmp paths (shared, predictable names);
	# these folders are the campaign's own.
	AFL_ALLOW_TMP=1 AFL_NO_AFFINITY=1 afl-cmin -i "$camp/queue-all" -o "$camp/corpus" -m none -t "$((timeout * 1000))" -- "$bin" \
		>"$camp/merge.log" 2>&1 || die "afl-cmin failed$(full_hint); see $camp/merge.log"
	rm -rf "$camp/queue-all"
	speed=$(for s in "$camp"/sync/*/fuzzer_stats; do
		awk -v d="$(basename "$(dirname "$s")")" \
			'/^execs_per_sec/{e=$3} /^stability/{st=$3} END{printf "%s: %s exec/s, stability %s; ", d, e, st}' "$s"
	done)
	coverage=$(awk '/^edges_found/{e=$3} /^bitmap_cvg/{b=$3} END{if (e != "") printf "%s edges, bitmap %s (AFL++ main)", e, b}' \
		"$camp/sync/main/fuzzer_stats" 2>/dev/null || true)
fi
trap 'echo "hvo fuzz: interrupted" >&2; exit 130' INT TERM

# The plots (fuzz/plot-campaign.sh): AFL++'s own plot_data when there is one.
plot_src=$camp/progress.csv
if [ "$engine" = afl ] && [ "$(grep -c '^[0-9]' "$camp/sync/main/plot_data" 2>/dev/null)" -ge 3 ]; then
	plot_src=$camp/plot-data.csv
	awk -F', *' 'NR == 1 { sub(/^# */, ""); for (i = 1; i <= NF; i++) col[$i] = i;
		print "seconds,execs,execs_per_s,coverage,corpus,crashes"; next }
		/^[0-9]/ { t = $col["relative_time"]; if (t > 1e9) { if (!t0) t0 = t; t -= t0 }
		print t "," $col["total_execs"] "," $col["execs_per_sec"] "," $col["edges_found"] "," $col["corpus_count"] "," $col["saved_crashes"] }' \
		"$camp/sync/main/plot_data" >"$plot_src" || die "I/O error: cannot write $plot_src$(full_hint)"
fi
plots=$("$top/fuzz/plot-campaign.sh" "$plot_src" "$camp" "$target ($engine)") || plots="none ($plots)"

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
	echo "engine: $engine, ${time}s, $jobs job(s), seed ${seed:-random}${engine_flags[*]:+, flags: ${engine_flags[*]}}"
	echo "mutants: ${HVO_MUTANTS:-none}"
	[ -z "$repaired" ] || echo "known findings run repaired: $repaired (--keep-known fuzzes the plain baseline)"
	echo "speed: ${speed:-unknown}"
	echo "coverage: ${coverage:-unknown}"
	[ "$interrupted" = 0 ] || echo "interrupted: after $(tail -1 "$camp/progress.csv" | cut -d, -f1)s of ${time}s (SIGINT/SIGTERM); merged and reported what it had"
	echo "progress: $camp/progress.csv ($(($(wc -l <"$camp/progress.csv") - 1)) samples)"
	awk -F, 'NR > 1 && $7 != "" { if (!n++) f = $7; l = $7; if ($7 > m) m = $7 }
		END { if (n) printf "rss: largest engine process %s MiB at the first sample, %s at the last, peak %s\n", f, l, m }' \
		"$camp/progress.csv"
	echo "plots: $plots"
	echo "working corpus: $(ls "$camp/corpus" | wc -l) inputs in $camp/corpus"
	echo "crashes: $found${first:+, first after ${first}s}"
	slow=$({ compgen -G "$camp/crashes/slow-unit-*" || true; } | wc -l)
	[ "$slow" = 0 ] || echo "slow inputs: $slow (libFuzzer slow-unit-*, kept in $camp/crashes; not failures)"
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
[ "$interrupted" = 0 ] || exit 130
exit 0
