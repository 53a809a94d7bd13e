#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# coverage.sh TARGET [CORPUS...] - ./hvo coverage: the source coverage a
# corpus (default: the committed corpus/TARGET) reaches in core/ (and, for
# fuzz_kernel, the kernel lane's kernel/ and its tree's mm/ file).
#
# Builds TARGET_replay with clang-19 source-based coverage
# (-fprofile-instr-generate -fcoverage-mapping) in $HVO_BUILD_ROOT/coverage,
# runs it on every input (each in a child: one profile per process), merges
# with llvm-profdata-19 and writes an llvm-cov-19 HTML report in
# REPORTS/coverage-TARGET/ (--reports DIR, default reports/) and its
# summary.txt, then prints one line:
#   coverage fuzz_ops (24 inputs): lines 71.3% (2890/4054), branches 58.0% (...) in core/
# Inputs that fail (a crash corpus) are counted in the line; one that aborts
# writes no profile, so its own coverage is missing from the figures.
# Exit: 0 done, 2 usage/build/I-O error, 3 no input found.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builds=${HVO_BUILD_ROOT:-$top/build}
die() { echo "hvo coverage: $*" >&2; exit 2; }
usage_text() { echo "usage: ./hvo coverage TARGET [CORPUS...] [--reports DIR]"; }
for a in "$@"; do case "$a" in -h|--help)
	usage_text
	echo "  an llvm-cov HTML report of core/ (fuzz_kernel: also kernel/) for the corpus (default corpus/TARGET)"
	echo "exit: 0 done, 2 usage/build/I-O error, 3 no input found"
	exit 0 ;; esac; done
[ $# -ge 1 ] || { usage_text >&2; exit 2; }
target=$1
shift
[[ $target =~ ^fuzz_[a-z0-9_]+$ ]] && [ -f "$top/corpus/$target.options" ] ||
	die "unknown target '$target' (known: $(cd "$top/corpus" && ls -- *.options | sed 's/\.options$//' | paste -sd " "))"
reports=$top/reports inputs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--reports) [ $# -ge 2 ] || die "--reports needs a folder"; reports=$2; shift ;;
	-*) die "unknown option '$1'" ;;
	*) [ -e "$1" ] || die "no such corpus: $1"; inputs+=("$1") ;;
	esac
	shift
done
[ ${#inputs[@]} -gt 0 ] || inputs=("$top/corpus/$target")
files=()
for i in "${inputs[@]}"; do
	if [ -d "$i" ]; then
		while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$i" -maxdepth 1 -type f ! -name '.*' -print0 | sort -z)
	else
		files+=("$i")
	fi
done
# the committed corpora keep NAME.ops beside NAME.bin: the engine reads the .bin
[ -d "${inputs[0]}" ] && [ "${inputs[0]}" = "$top/corpus/$target" ] &&
	mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -v '\.ops$')
[ ${#files[@]} -gt 0 ] || { echo "hvo coverage: no input in ${inputs[*]}: nothing was measured" >&2; exit 3; }

dir=$builds/coverage
# whatever the build runs (meson's compiler checks, tools) is instrumented
# too: its profiles go to the build folder, not the current one
mkdir -p "$dir"
export LLVM_PROFILE_FILE=$dir/build-%p.profraw
spec=$("$top/kernel/trees.sh" spec "$builds")
[ "$target" != fuzz_kernel ] || [ -n "$spec" ] ||
	die "fuzz_kernel needs the kernel lane's trees: run ./hvo setup first (README \"Kernel lane\")"
if [ ! -f "$dir/build.ninja" ]; then
	rm -rf "$dir"
	echo "hvo coverage: configuring the coverage build in $dir (the first build takes about 40 s)"
	CC=clang-19 meson setup "$dir" "$top" -Dbuildtype=debug -Dwerror=true \
		-Dc_args="-fprofile-instr-generate -fcoverage-mapping" -Dc_link_args=-fprofile-instr-generate \
		-Dkernel_trees="$spec" >"$builds/setup-coverage.log" 2>&1 ||
		{ cat "$builds/setup-coverage.log" >&2; die "meson setup of the coverage build failed"; }
elif [ "$(cat "$dir/.hvo-kernel-trees" 2>/dev/null)" != "$spec" ]; then
	meson configure "$dir" -Dkernel_trees="$spec" >"$builds/setup-coverage.log" 2>&1 ||
		{ cat "$builds/setup-coverage.log" >&2; die "meson configure of the coverage build failed"; }
fi
echo "$spec" >"$dir/.hvo-kernel-trees"
path=$("$top/fuzz/target-path.sh" "${target}_replay")
ninja -C "$dir" "$path" >"$builds/build-coverage.log" 2>&1 ||
	{ cat "$builds/build-coverage.log" >&2; die "build of $path failed (see $builds/build-coverage.log)"; }
bin=$dir/$path

mkdir -p -- "$reports" || die "cannot create $reports"
out=$reports/coverage-$target
prof=$(mktemp -d)
trap 'rm -rf "$prof"' EXIT
failed=0
for f in "${files[@]}"; do
	LLVM_PROFILE_FILE="$prof/%p.profraw" "$bin" "$f" >/dev/null 2>&1 || failed=$((failed + 1))
done
compgen -G "$prof/*.profraw" >/dev/null || die "the replay wrote no profile"
llvm-profdata-19 merge -sparse -o "$prof/all.profdata" "$prof"/*.profraw || die "llvm-profdata-19 merge failed"
srcs=("$top/core")
scope=core/
if [ "$target" = fuzz_kernel ]; then srcs+=("$top/kernel" "$dir/kernel"); scope="core/ and kernel/"; fi
rm -rf -- "$out"
llvm-cov-19 show "$bin" -instr-profile="$prof/all.profdata" -format=html -output-dir="$out" \
	-show-branches=count -show-line-counts-or-regions "${srcs[@]}" >/dev/null ||
	die "llvm-cov-19 show failed writing $out"
total=$(llvm-cov-19 report "$bin" -instr-profile="$prof/all.profdata" "${srcs[@]}" | grep '^TOTAL') ||
	die "llvm-cov-19 report failed"
# TOTAL regions missed cover% functions missed exec% lines missed cover% branches missed cover%
line=$(awk -v t="$target" -v n="${#files[@]}" -v f="$failed" -v s="$scope" '{
	printf "coverage %s (%d inputs%s): lines %s (%d/%d), branches %s (%d/%d) in %s", t, n,
		f ? ", " f " failing" : "", $10, $8 - $9, $8, $13, $11 - $12, $11, s }' <<<"$total")
{
	echo "$line"
	echo "inputs: ${inputs[*]}"
	echo "html: $out/index.html"
	llvm-cov-19 report "$bin" -instr-profile="$prof/all.profdata" "${srcs[@]}"
} >"$out/summary.txt" || die "cannot write $out/summary.txt"
echo "$line"
echo "html: $out/index.html"
