#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# target-path.sh NAME - the ninja path of a fuzz target or replay binary in
# a build folder: fuzz/NAME, except the kernel lane's (kernel/meson.build).
case "${1:?usage: target-path.sh NAME}" in
fuzz_kernel|fuzz_kernel_replay) echo "kernel/$1" ;;
*/*) echo "$1" ;;
*) echo "fuzz/$1" ;;
esac
