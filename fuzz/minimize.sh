#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# minimize.sh FILE [--mutant NAME]... [--out FILE] - ./hvo minimize: delta
# debugging of a failing op stream (fuzz/minimize.py) with the gcc build's
# hvo-cli.  Exit: 0 written, 2 usage/input error, 3 the input does not fail.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builds=${HVO_BUILD_ROOT:-$top/build}
exec python3 "$top/fuzz/minimize.py" "${HVO_CLI:-$builds/gcc/fuzz/hvo-cli}" "$@"
