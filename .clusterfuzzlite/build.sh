#!/bin/bash -eu
# SPDX-License-Identifier: GPL-2.0-only
# ClusterFuzzLite / OSS-Fuzz build: every fuzz target into $OUT with
# <target>_seed_corpus.zip (flat, the committed *.bin seeds), <target>.dict
# and <target>.options.  Reads only the contract's variables: $CC $CXX
# $CFLAGS $CXXFLAGS (coverage and sanitizer flags, picked up by meson setup),
# $LIB_FUZZING_ENGINE (passed verbatim: -fsanitize=fuzzer for libFuzzer, a
# library such as libAFLDriver.a for AFL++), $SRC (the tree is
# $SRC/hvo-harness), $OUT, and $WORK for the build folder.
top=$SRC/hvo-harness
build=${WORK:-/tmp}/hvo-build
rm -rf "$build"
# buildtype=plain: the optimisation level is $CFLAGS'; b_lundef=false: the
# sanitizer runtimes resolve at the final link; static: nothing outside $OUT
# exists when the fuzzers run.
# fuzz_kernel needs a kernel tree (never in the repository): $KERNEL_TREES
# (meson's kernel_trees value), or the trees ./hvo setup extracted into the
# checkout's build/ before the image was built.  Without one it is left out.
trees=${KERNEL_TREES:-$("$top/kernel/trees.sh" spec "$top/build" 2>/dev/null || true)}
meson setup "$build" "$top" --buildtype=plain -Db_lundef=false -Ddefault_library=static \
	-Dfuzzing=oss-fuzz -Dfuzzer_ldflags="$LIB_FUZZING_ENGINE" -Dkernel_trees="$trees"
# A target is what has seeds and options: corpus/<target>.options.
targets=$(cd "$top/corpus" && ls -- *.options | sed 's/\.options$//')
if [[ $trees != *6.12-fixed=* ]]; then
	echo "build.sh: no kernel tree for fuzz_kernel (run ./hvo setup in the checkout, or set KERNEL_TREES): left out" >&2
	targets=$(echo "$targets" | grep -vx fuzz_kernel)
fi
ninja -C "$build" $(for t in $targets; do "$top/fuzz/target-path.sh" "$t"; done)
for t in $targets; do
	cp "$build/$("$top/fuzz/target-path.sh" "$t")" "$OUT/$t"
	rm -f "$OUT/${t}_seed_corpus.zip"
	zip -q -j "$OUT/${t}_seed_corpus.zip" "$top/corpus/$t"/*.bin
	cp "$top/corpus/$t.dict" "$top/corpus/$t.options" "$OUT/"
done
