#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# merge-into-corpus.sh TARGET DIR - add to the committed corpus/TARGET only
# the inputs of DIR that bring coverage its seeds lack (libFuzzer -merge=1 on
# the libfuzzer build, without mutants: committed seeds replay clean).  New
# fuzz_ops seeds are stored as NAME.ops (hvo-cli bytes2text) plus its
# canonical NAME.bin, the pair test_ops_bytes checks.  The committed corpus
# stays small: -set_cover_merge=1 (fewest inputs covering every new feature)
# and at most MERGE_MAX (default 16) new inputs, smallest first.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builds=${HVO_BUILD_ROOT:-$top/build}
[ $# = 2 ] || { echo "usage: merge-into-corpus.sh TARGET DIR" >&2; exit 2; }
target=$1 src=$2 dst=$top/corpus/$1
cli=$builds/gcc/fuzz/hvo-cli
bin=$("$top/fuzz/fuzz-build.sh" libfuzzer "$target")/$("$top/fuzz/target-path.sh" "$target")
max_len=$(sed -n 's/^max_len *= *//p' "$top/corpus/$target.options")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/base"
cp "$dst"/*.bin "$tmp/base/"
ls "$tmp/base" >"$tmp/before"
env -u HVO_MUTANTS "$bin" -set_cover_merge=1 -max_len="$max_len" -artifact_prefix="$tmp/" "$tmp/base" "$src" >"$tmp/merge.log" 2>&1 ||
	{ cat "$tmp/merge.log" >&2; exit 1; }
max=${MERGE_MAX:-16}
added=0 skipped=0
while read -r _ f; do
	name=$(basename "$f")
	grep -qxF "$name" "$tmp/before" && continue
	[ "$added" -lt "$max" ] || { skipped=$((skipped + 1)); continue; }
	new=found-${name:0:12}
	if [ "$target" = fuzz_ops ]; then
		"$cli" bytes2text "$f" >"$dst/$new.ops" 2>/dev/null  # version notes: the decode is total
		"$cli" text2bytes "$dst/$new.ops" "$dst/$new.bin"
	else
		cp "$f" "$dst/$new.bin"
	fi
	added=$((added + 1))
done < <(for f in "$tmp/base"/*; do echo "$(stat -c %s "$f") $f"; done | sort -n)
echo "merge-into-corpus: $added new input(s) in corpus/$target; $skipped more left out (MERGE_MAX=$max)"
