#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# crash-report.sh TARGET CRASH REPORTS ENGINE MUTANTS NOTE - write one crash
# report REPORTS/<TARGET>-<date>-<n>/ and print its path:
#   crash.bin      the input the engine saved
#   input.ops      fuzz_ops: the decoded op stream (hvo-cli bytes2text);
#                  fuzz_boot, fuzz_dax, fuzz_diff: the stream the target
#                  printed (fuzz_stream.c), its campaign mutants included
#   decoded.txt    fuzz_geometry: the decoded geometry case
#   explain.txt    fuzz_ops, fuzz_boot, fuzz_dax: hvo-cli explain (trace,
#                  violated invariant, state dump); fuzz_diff: hvo-cli diff;
#                  fuzz_geometry: the failed check and state dump
#   minimized.ops  op-stream targets (not fuzz_diff): the smallest stream
#                  that still fails the same way (./hvo minimize), and
#                  minimize.txt, its one-line result
#   reproduce.sh   the exact commands that reproduce it (paths relative to
#                  the report, so the tree can move)
#   found.txt      engine, mutants, NOTE (campaign, time to find), baselines
# The report is written in a temporary folder under REPORTS and renamed onto
# its reserved name, so a report either exists whole or not at all; on any write error
# the crash input stays where the engine left it and the exit status is 1.
# MUTANTS is a comma list (may be empty).  Needs the gcc build of ./hvo.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builds=${HVO_BUILD_ROOT:-$top/build}
[ $# = 6 ] || { echo "usage: crash-report.sh TARGET CRASH REPORTS ENGINE MUTANTS NOTE" >&2; exit 2; }
target=$1 crash=$2 reports=$3 engine=$4 mutants=$5 note=$6
cli=$builds/gcc/fuzz/hvo-cli
replay=$builds/gcc/$("$top/fuzz/target-path.sh" "${target}_replay")

lost() { echo "crash-report: cannot write a report in $reports; the input stays at $crash" >&2; exit 1; }
# Reserve the name (mkdir is atomic: another campaign the same day takes the
# next number), build the report beside it, then rename it into place.
stamp=$(date +%Y%m%d)
n=1
until mkdir -- "$reports/$target-$stamp-$n" 2>/dev/null; do
	[ -w "$reports" ] && [ "$n" -lt 100000 ] || lost
	n=$((n + 1))
done
final=$reports/$target-$stamp-$n
tmp=$(mktemp -d "$reports/.report-XXXXXX") || { rmdir "$final"; lost; }
trap 'rm -rf "$tmp"; rmdir "$final" 2>/dev/null' EXIT
cp "$crash" "$tmp/crash.bin" || lost

# The replay main runs the input in a child: its exit status says whether the
# failure reproduces outside the engine.
set +e
HVO_MUTANTS=$mutants "$replay" "$tmp/crash.bin" >"$tmp/replay.txt" 2>&1
replay_rc=$?
set -e
mut_args=()
IFS=, read -r -a mlist <<<"$mutants"
for m in "${mlist[@]}"; do mut_args+=(--mutant "$m"); done
case "$target" in
fuzz_ops)
	"$cli" bytes2text "$tmp/crash.bin" >"$tmp/input.ops" 2>"$tmp/bytes2text.err"
	set +e
	"$cli" explain "$tmp/input.ops" "${mut_args[@]}" >"$tmp/explain.txt" 2>&1
	set -e
	sed -i "s#$tmp#$final#g" "$tmp/explain.txt"
	[ -s "$tmp/bytes2text.err" ] || rm "$tmp/bytes2text.err"
	explain="./hvo explain REPORT/input.ops ${mut_args[*]}"
	;;
fuzz_boot|fuzz_dax|fuzz_diff)
	sed -n '/^---- input.ops ----$/,/^---- end of input.ops ----$/{//!p}' "$tmp/replay.txt" >"$tmp/input.ops"
	verb=(explain) explain="./hvo explain REPORT/input.ops"
	[ "$target" = fuzz_diff ] && verb=(diff --gens g2,g1,g3) explain="$cli diff --gens g2,g1,g3 REPORT/input.ops"
	set +e
	"$cli" "${verb[@]}" "$tmp/input.ops" >"$tmp/explain.txt" 2>&1
	set -e
	sed -i "s#$tmp#$final#g" "$tmp/explain.txt"
	;;
*)
	grep "^$target: input:" "$tmp/replay.txt" >"$tmp/decoded.txt" || echo "(no failure on replay)" >"$tmp/decoded.txt"
	mv "$tmp/replay.txt" "$tmp/explain.txt"
	explain=""
	;;
esac

# The smallest stream that still fails the same way (./hvo minimize): the
# same invariant at the same kind of op, clean without the mutants.
if [ -n "$explain" ] && [ "$target" != fuzz_diff ] && [ -s "$tmp/input.ops" ]; then
	set +e
	timeout 300 python3 "$top/fuzz/minimize.py" "$cli" "$tmp/input.ops" "${mut_args[@]}" --out "$tmp/minimized.ops" \
		>"$tmp/minimize.txt" 2>&1
	set -e
	sed -i "s#$tmp#$final#g" "$tmp/minimize.txt"
fi

# Paths relative to the report folder, so the report can move with the tree
# (reports/ inside it) and be read by anyone (0755).
rel_top=$(realpath -m --relative-to="$final" "$top")
rel_builds=$(realpath -m --relative-to="$top" "$builds")
rel_replay=$rel_builds/gcc/$("$top/fuzz/target-path.sh" "${target}_replay")
{
	echo "#!/bin/sh"
	echo "# Reproduces this report (replay exit status when written: $replay_rc)."
	echo "REPORT=\$(cd \"\$(dirname \"\$0\")\" && pwd)"
	echo "cd \"\$REPORT/$rel_top\" || exit 2"
	echo "ninja -C '$rel_builds/gcc' $("$top/fuzz/target-path.sh" "${target}_replay") >/dev/null || exit 2"
	echo "HVO_MUTANTS='$mutants' './$rel_replay' \"\$REPORT/crash.bin\""
	[ -z "$explain" ] || echo "HVO_BUILD_ROOT=\"\$PWD/$rel_builds\" ${explain//REPORT\/input.ops/\"\$REPORT/input.ops\"}"
	[ ! -s "$tmp/minimized.ops" ] || echo "# the minimized stream: ./hvo replay ${mut_args[*]} \"\$REPORT/minimized.ops\""
} >"$tmp/reproduce.sh"
chmod +x "$tmp/reproduce.sh"
printf 'target: %s\nengine: %s\nmutants: %s\n%s\nreplay exit status: %s\n' \
	"$target" "$engine" "${mutants:-none}" "$note" "$replay_rc" >"$tmp/found.txt"
chmod 755 "$tmp"
# the kernel revisions the model mirrored (hvo-cli --version)
"$cli" --version | grep '^baseline ' >>"$tmp/found.txt" || lost
# rename(2) onto the reserved, still empty folder: the report appears whole.
mv -T "$tmp" "$final" || lost
trap - EXIT
echo "$final"
