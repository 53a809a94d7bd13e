#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# fuzz/known.sh TARGET - the known findings a fuzz target runs repaired
# (fuzz/known-findings.txt): prints "VARIANT,VARIANT FINDING,FINDING" (two
# words, empty line when none).  Used by campaign.sh and bench_fuzz.sh.
set -euo pipefail
[ $# = 1 ] || { echo "usage: fuzz/known.sh TARGET" >&2; exit 2; }
awk -v t="$1" '!/^#/ && NF >= 4 && ("," $4 ",") ~ ("," t ",") { v = v (v ? "," : "") $2; f = f (f ? "," : "") $1 }
	END { if (v != "") print v, f }' "$(dirname "${BASH_SOURCE[0]}")/known-findings.txt"
