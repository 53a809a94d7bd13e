#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# time-to-find.sh [SECONDS [MUTANT...]] - the detection table
# reports/time-to-find.md: fuzz/time-to-find.py --time SECONDS (default 20),
# libFuzzer from an empty corpus and from the committed seeds without the
# near-copies of zoo witnesses (fuzz/near_copies.py).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cap=${1:-20}
[[ $cap =~ ^[1-9][0-9]*$ ]] || { echo "time-to-find: SECONDS must be a positive integer" >&2; exit 2; }
[ $# = 0 ] || shift
exec python3 "$top/fuzz/time-to-find.py" --time "$cap" "$@"
