#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# fuzz-build.sh ENGINE [TARGET...] - configure (once) and build the fuzz
# engine variant ENGINE under $HVO_BUILD_ROOT/fuzz-ENGINE, and print that
# directory.  A TARGET is a fuzz target name or a ninja path (stress/x).  Used by ./hvo fuzz, ./hvo bench fuzz and the time-to-find run.
#   libfuzzer  clang-19, ASan+UBSan, -fsanitize=fuzzer
#   afl        AFL++ 4.04c afl-clang-fast with clang-19 in LLVM-NATIVE mode
#              (fuzz/afl-clang19.ini), ASan+UBSan, libAFLDriver persistent mode
# The sanitizers are the second oracle (architecture rule 5), so both
# engines fuzz the same ASan+UBSan build.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builds=${HVO_BUILD_ROOT:-$top/build}
engine=${1:?usage: fuzz-build.sh libfuzzer|afl [TARGET...]}
shift
dir=$builds/fuzz-$engine
san=(-Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true -Dbuildtype=debugoptimized)
# the kernel lane's trees (fuzz_kernel), when ./hvo setup prepared them
san+=(-Dkernel_trees="$("$top/kernel/trees.sh" spec "$builds")")
case "$engine" in
libfuzzer) setup=(env CC=clang-19 meson setup "$dir" "$top" -Dfuzzing=libfuzzer "${san[@]}") ;;
afl) setup=(env -u CC meson setup "$dir" "$top" --native-file "$top/fuzz/afl-clang19.ini" -Dfuzzing=afl "${san[@]}") ;;
*) echo "fuzz-build: unknown engine '$engine' (libfuzzer or afl)" >&2; exit 2 ;;
esac
mkdir -p "$builds"
if [ ! -f "$dir/build.ninja" ]; then
	"${setup[@]}" >"$builds/setup-fuzz-$engine.log" 2>&1 ||
		{ cat "$builds/setup-fuzz-$engine.log" >&2; echo "fuzz-build: meson setup of $engine failed" >&2; exit 2; }
else
	meson configure "$dir" "${san[-1]}" >"$builds/setup-fuzz-$engine.log" 2>&1 ||
		{ cat "$builds/setup-fuzz-$engine.log" >&2; echo "fuzz-build: meson configure of $engine failed" >&2; exit 2; }
fi
targets=()
for t in "$@"; do targets+=("$("$top/fuzz/target-path.sh" "$t")"); done
ninja -C "$dir" "${targets[@]}" >"$builds/build-fuzz-$engine.log" 2>&1 ||
	{ cat "$builds/build-fuzz-$engine.log" >&2; echo "fuzz-build: build of $engine failed" >&2; exit 2; }
echo "$dir"
