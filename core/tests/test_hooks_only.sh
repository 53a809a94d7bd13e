#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_hooks_only.sh SRCDIR - mutants and variants depart from the baseline
# only through the named hooks of SRCDIR/hooks.h:
#   1. no file but hooks.h calls mut() (internal.h defines it);
#   2. no file but hooks.h and names.c (the table of names) names a mutant
#      or variant (HVO_MUT_*).
# Comments are not code: a line whose text starts with /*, * or // is
# skipped.  Prints one line per offence and a count; exit 0 when there is
# none, 1 otherwise, 2 on bad arguments.
set -euo pipefail
[ $# = 1 ] && [ -r "$1/hooks.h" ] || { echo "usage: test_hooks_only.sh SRCDIR (holding hooks.h)" >&2; exit 2; }
src=$1
bad=0 files=0 hooks=0
for f in "$src"/*.c "$src"/*.h; do
	name=${f##*/}
	files=$((files + 1))
	[ "$name" = hooks.h ] && continue
	while IFS= read -r hit; do
		[ -n "$hit" ] || continue
		echo "hooks-only: $name:$hit"
		bad=$((bad + 1))
	done < <(awk -v n="$name" '
		/^[ \t]*(\/\*|\*|\/\/)/ { next }
		n != "internal.h" && /(^|[^a-z_])mut\(/ { print FNR ": calls mut(): " $0; next }
		n == "internal.h" && /(^|[^a-z_])mut\(/ && !/^static inline bool mut\(/ { print FNR ": calls mut(): " $0; next }
		n != "names.c" && /HVO_MUT_[A-Z0-9_]+/ { print FNR ": names a mutant: " $0 }
	' "$f")
done
hooks=$(grep -c '^static inline [a-z ]*hook_[a-z0-9_]*(' "$src/hooks.h" || true)
[ "$hooks" -gt 0 ] || { echo "hooks-only: hooks.h defines no hook"; bad=$((bad + 1)); }
echo "hooks-only: $files files, $hooks hooks, $bad offences"
[ $bad = 0 ]
