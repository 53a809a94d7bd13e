#!/usr/bin/env bash
# merge-into-corpus.sh TARGET DIR - add to the committed corpus/TARGET only
# the inputs of DIR that bring coverage its seeds lack (libFuzzer -merge=1 on
# the libfuzzer build, without mutants: committed seeds replay clean).  New
# fuzz_ops seeds are stored as NAME.ops (hvo-cli bytes2text) plus its
# canonical NAME.bin, the pair test_ops_bytes checks.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builds=${HVO_BUILD_ROOT:-$top/build}
[ $# = 2 ] || { echo "usage: merge-into-corpus.sh TARGET DIR" >&2; exit 2; }
target=$1 src=$2 dst=$top/corpus/$1
cli=$builds/gcc/fuzz/hvo-cli
bin=$("$top/fuzz/fuzz-build.sh" libfuzzer "$target")/fuzz/$target
max_len=$(sed -n 's/^max_len *= *//p' "$top/corpus/$target.options")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/base"
cp "$dst"/*.bin "$tmp/base/"
ls "$tmp/base" >"$tmp/before"
env -u HVO_MUTANTS "$bin" -merge=1 -max_len="$max_len" "$tmp/base" "$src" >"$tmp/merge.log" 2>&1 ||
	{ cat "$tmp/merge.log" >&2; exit 1; }
added=0
for f in "$tmp/base"/*; do
	name=$(basename "$f")
	grep -qxF "$name" "$tmp/before" && continue
	new=found-${name:0:12}
	if [ "$target" = fuzz_ops ]; then
		"$cli" bytes2text "$f" >"$dst/$new.ops"
		"$cli" text2bytes "$dst/$new.ops" "$dst/$new.bin"
	else
		cp "$f" "$dst/$new.bin"
	fi
	added=$((added + 1))
done
echo "merge-into-corpus: $added new input(s) in corpus/$target"
