#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test-build.sh DIR [libfuzzer] [afl] - run build.sh here in an emulated
# ClusterFuzzLite environment (the variables base-builder's compile_* scripts
# set) for each engine given (default: both), then check $OUT: every target
# is an executable, has a flat <target>_seed_corpus.zip of its committed
# seeds, a .dict and an .options, and runs clean on its seeds.  DIR holds
# the emulated $SRC, $WORK and $OUT folders.  Exit 0 when all holds.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: test-build.sh DIR [libfuzzer] [afl]" >&2; exit 2; }
dir=$1
shift
engines=("$@")
[ ${#engines[@]} -gt 0 ] || engines=(libfuzzer afl)
fails=0
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

# base-clang's CFLAGS with SANITIZER_FLAGS_address (anchors-fuzzing.md 1.1).
base_cflags="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope"
for engine in "${engines[@]}"; do
	e=$dir/$engine
	rm -rf "$e"
	mkdir -p "$e/src" "$e/work" "$e/out"
	ln -s "$top" "$e/src/hvo-harness"
	case "$engine" in
	libfuzzer)  # compile_libfuzzer: coverage flags in CFLAGS, the engine is a flag
		vars=(CC=clang-19 CXX=clang++-19 "CFLAGS=$base_cflags -fsanitize=fuzzer-no-link"
		      "CXXFLAGS=$base_cflags -fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer) ;;
	afl)        # compile_afl: afl-clang-fast instruments, the engine is a library
		vars=(CC=afl-clang-fast CXX=afl-clang-fast++ AFL_CC=clang-19 AFL_CXX=clang++-19
		      AFL_LLVM_INSTRUMENT=LLVM-NATIVE AFL_QUIET=1 "CFLAGS=$base_cflags" "CXXFLAGS=$base_cflags"
		      LIB_FUZZING_ENGINE=/usr/lib/afl/libAFLDriver.a) ;;
	*) echo "test-build: unknown engine '$engine'" >&2; exit 2 ;;
	esac
	if ! env -i PATH="$PATH" HOME="${HOME:-/root}" "${vars[@]}" SRC="$e/src" WORK="$e/work" OUT="$e/out" \
		bash "$top/.clusterfuzzlite/build.sh" >"$e/build.log" 2>&1; then
		bad "$engine: build.sh failed (log: $e/build.log)"
		tail -20 "$e/build.log"
		continue
	fi
	for opts in "$top"/corpus/*.options; do
		t=$(basename "$opts" .options)
		# fuzz_kernel is built when the checkout has the kernel trees
		if [ "$t" = fuzz_kernel ] && [[ $("$top/kernel/trees.sh" spec "$top/build" 2>/dev/null) != *6.12-fixed=* ]]; then
			echo "skip $engine: fuzz_kernel (no kernel trees in $top/build)"
			continue
		fi
		out=$e/out
		[ -x "$out/$t" ] || { bad "$engine: no executable $t in \$OUT"; continue; }
		for f in "$t.dict" "$t.options" "${t}_seed_corpus.zip"; do
			[ -s "$out/$f" ] || bad "$engine: no $f in \$OUT"
		done
		want=$(ls "$top/corpus/$t"/*.bin | wc -l)
		got=$(unzip -Z1 "$out/${t}_seed_corpus.zip" | grep -vc / || true)
		[ "$got" = "$want" ] || bad "$engine: ${t}_seed_corpus.zip holds $got flat files, corpus/$t has $want seeds"
		mkdir -p "$e/seeds/$t"
		unzip -q -o "$out/${t}_seed_corpus.zip" -d "$e/seeds/$t"
		# libFuzzer: -runs=0 executes the seed corpus and stops; the AFL++
		# driver runs each file named on its command line.
		if [ "$engine" = libfuzzer ]; then
			run=("$out/$t" -runs=0 "$e/seeds/$t")
		else
			run=("$out/$t" "$e/seeds/$t"/*)
		fi
		if "${run[@]}" >"$e/run-$t.log" 2>&1; then
			echo "ok $engine: $t built, packaged, and clean on its $want seeds"
		else
			bad "$engine: $t fails on its seeds (log: $e/run-$t.log)"
			tail -5 "$e/run-$t.log"
		fi
	done
done
[ "$fails" = 0 ]
