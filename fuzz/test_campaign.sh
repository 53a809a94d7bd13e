#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_campaign.sh SRC BUILD - short ./hvo fuzz campaigns (fuzz/campaign.sh,
# libFuzzer, fuzz_ops) and what they leave: progress lines with exec/s,
# coverage, corpus and crashes; progress.csv and the three PNG plots; a
# summary.txt with a coverage figure; engine flags after -- reach the
# engine; SIGTERM and SIGINT stop the engine and still merge and summarise
# (exit 130); a full disk is exit 2 naming what could not be written.
# BUILD is the plain gcc build (hvo-cli for the reports); the libFuzzer
# variant is built beside it, in BUILD/test-campaign-libfuzzer.  The plan is
# counted: a check that never ran fails the test.
set -uo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root" "$build/test-campaign-libfuzzer"
ln -s "$build" "$tmp/root/gcc"
ln -s "$build/test-campaign-libfuzzer" "$tmp/root/fuzz-libfuzzer"
export HVO_BUILD_ROOT=$tmp/root
camp=$src/fuzz/campaign.sh
planned=0 ran=0 failed=0

ok() { ran=$((ran + 1)); echo "ok $ran - $1"; }
notok() { ran=$((ran + 1)); failed=$((failed + 1)); echo "not ok $ran - $1"; [ -z "${2:-}" ] || tail -15 "$2" | sed 's/^/#   /'; }
# expect WANT_RC LOG REGEX...: the last run's exit code and each regex in LOG
expect() {
	local want=$1 log=$2 re
	shift 2
	[ "$rc" = "$want" ] || { notok "exit $rc, want $want" "$log"; return; }
	for re in "$@"; do
		grep -Eq -- "$re" "$log" || { notok "no /$re/ in $log" "$log"; return; }
	done
	ok "exit $want, $*"
}
folder() { sed -n 's/.*; folder \(.*\)$/\1/p' "$1" | head -1; }
is_png() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '211PNG' ]; }

# 1. a clean short campaign (the first also builds the libFuzzer variant) (4)
planned=$((planned + 4))
rc=0
"$camp" fuzz_ops --time 6 --progress 2 --reports "$tmp/r" >"$tmp/a.log" 2>&1 || rc=$?
expect 0 "$tmp/a.log" '\[[0-9]+s\] execs [0-9]+, exec/s [0-9]+, coverage [0-9]+, corpus [0-9]+, crashes 0, rss [0-9.]+ MiB' \
	'^coverage: [1-9][0-9]* edges' '^crashes: 0$'
d=$(folder "$tmp/a.log")
if [ -n "$d" ] && grep -Eq '^coverage: [1-9][0-9]* edges \(libFuzzer -merge' "$d/summary.txt"; then
	ok "summary.txt has the coverage figure"
else
	notok "summary.txt in '$d' lacks a coverage figure" "$d/summary.txt"
fi
if [ "$(grep -cE '^[0-9]+,[0-9]+,[0-9]+,[0-9]+,[0-9]+,0,[0-9.]+$' "$d/progress.csv" 2>/dev/null)" -ge 2 ]; then
	ok "progress.csv has samples with every figure"
else
	notok "progress.csv has fewer than 2 full samples" "$d/progress.csv"
fi
pngs=0
for p in coverage execs corpus rss; do is_png "$d/plot-$p.png" 2>/dev/null && pngs=$((pngs + 1)); done
if [ "$pngs" = 4 ] && grep -q "^plots: .*plot-coverage.png" "$d/summary.txt" &&
	grep -qE "^rss: largest engine process [0-9.]+ MiB at the first sample" "$d/summary.txt"; then
	ok "plot-coverage.png, plot-execs.png, plot-corpus.png, plot-rss.png are PNGs; summary names them and the RSS"
else
	notok "$pngs of 4 plots are PNG files in '$d', or no rss line" "$d/summary.txt"
fi

# 2. engine flags after -- reach libFuzzer: -runs=200 ends a 120 s campaign (2)
planned=$((planned + 2))
rc=0
"$camp" fuzz_ops --time 120 --reports "$tmp/r" -- -runs=200 >"$tmp/b.log" 2>&1 || rc=$?
expect 0 "$tmp/b.log" 'engine flags: -runs=200' '^engine: .*flags: -runs=200'
d=$(folder "$tmp/b.log")
if grep -q '^Done 200 runs' "$d/engine.log" 2>/dev/null; then ok "libFuzzer did 200 runs"; else notok "libFuzzer did not stop at -runs=200" "$d/engine.log"; fi

# 3. SIGTERM, then SIGINT (a shell's background job ignores SIGINT: restore
# it first, as an interactive shell would) once sampling started: the engine
# stops, the corpus is merged, the summary says so, exit 130 (2 x 2)
interrupt() {
	local sig=$1 log=$2 pid i
	python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
		"$camp" fuzz_ops --time 120 --progress 1 --reports "$tmp/r" >"$log" 2>&1 &
	pid=$!
	for ((i = 0; i < 600; i++)); do grep -q '^hvo fuzz: \[' "$log" && break; sleep 0.1; done
	sleep 1
	kill "-$sig" "$pid"
	rc=0
	wait "$pid" || rc=$?
}
for sig in TERM INT; do
	planned=$((planned + 2))
	interrupt "$sig" "$tmp/$sig.log"
	expect 130 "$tmp/$sig.log" '^interrupted: after [0-9]+s of 120s' '^coverage: [1-9][0-9]* edges' '^working corpus: [1-9][0-9]* inputs'
	d=$(folder "$tmp/$sig.log")
	if grep -q '^interrupted:' "$d/summary.txt" 2>/dev/null && [ -s "$d/merge.log" ] &&
	   [ -n "$(ls "$d/corpus" 2>/dev/null)" ] && ! pgrep -f -- "$d/work" >/dev/null; then
		ok "SIG$sig: summary.txt, merged corpus, no engine left"
	else
		notok "SIG$sig: summary, merge or engine stop missing in '$d'" "$tmp/$sig.log"
	fi
done

# 4. a full disk: reports on a 16 KiB tmpfs (a user and mount namespace of
# its own: no root needed where unprivileged user namespaces are allowed) (1)
if unshare -rm true 2>/dev/null; then
	planned=$((planned + 1))
	mkdir "$tmp/full"
	rc=0
	unshare -rm bash -c 'mount -t tmpfs -o size=16k none "$1" && shift && exec "$@"' _ "$tmp/full" \
		"$camp" fuzz_ops --time 5 --reports "$tmp/full" >"$tmp/full.log" 2>&1 || rc=$?
	expect 2 "$tmp/full.log" 'I/O error: cannot copy the seeds into .*: .*(No space left|disk .* is full)'
else
	echo "# skipped: the full-disk case needs unprivileged user namespaces (unshare -rm)"
fi

echo "test_campaign: $ran of $planned planned checks ran, $failed failed"
[ "$ran" = "$planned" ] && [ "$failed" = 0 ]
