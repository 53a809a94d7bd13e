#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_traceability.sh TABLE SRCDIR - core/TRACEABILITY.md holds:
#   1. every model function it names (`file.c:function` in the first column)
#      is defined in SRCDIR/file.c;
#   2. every non-static function defined in the HVO algorithm files has a row;
#   3. deviations D1..D13 of issue 13 each have a row with a status
#      (fixed, partly, listed) and a non-empty reason.
# Prints one line per problem; exit 0 when there is none, 1 otherwise,
# 2 on bad arguments.
set -euo pipefail
[ $# = 2 ] && [ -r "$1" ] && [ -d "$2" ] || { echo "usage: test_traceability.sh TABLE SRCDIR" >&2; exit 2; }
table=$1 src=$2
algo_files=(hugetlb_vmemmap.c hugetlb.c boot.c folio.c page.c dax.c sparse_g3.c lockdep.c)
bad=0 named=0 checked=0
problem() { echo "traceability: $*"; bad=$((bad + 1)); }

# A C definition of NAME in FILE: a line that starts at column 0 with a type
# (or "static type") and has NAME( - declarations end in ';' and are not
# definitions.
defined() {
	grep -Eq "^[a-z_][a-z0-9_ *]*[ *]$2\(.*[^;]$|^[a-z_][a-z0-9_ *]*[ *]$2\([^;]*,$" "$src/$1"
}

# 1. the model functions the table names
while IFS= read -r ref; do
	file=${ref%%:*} fn=${ref#*:}
	named=$((named + 1))
	if [ ! -f "$src/$file" ]; then
		problem "$ref: no file core/src/$file"
	elif ! defined "$file" "$fn"; then
		problem "$ref: no function $fn defined in core/src/$file"
	fi
done < <(grep -oE '^\| `[a-z0-9_]+\.c:[A-Za-z0-9_]+`' "$table" | sed 's/^| `//; s/`$//')
[ "$named" -gt 0 ] || problem "no function rows in $table"

# 2. every non-static function of the algorithm files has a row
for file in "${algo_files[@]}"; do
	[ -f "$src/$file" ] || { problem "algorithm file core/src/$file is missing"; continue; }
	while IFS= read -r fn; do
		checked=$((checked + 1))
		grep -q "^| \`$file:$fn\`" "$table" || problem "$file:$fn (non-static) has no row"
	done < <(grep -E '^[a-z_][a-z0-9_ *]*[ *][a-z_][a-z0-9_]*\(' "$src/$file" | grep -v '^static' |
		sed -E 's/^[a-z_][a-z0-9_ *]*[ *]([a-z_][a-z0-9_]*)\(.*/\1/' | sort -u)
done
[ "$checked" -gt 0 ] || problem "no non-static function found in the algorithm files"

# 3. D1..D13, each with a status and a reason
for d in $(seq 1 13); do
	row=$(grep -E "^\| D$d \|" "$table" || true)
	if [ -z "$row" ]; then
		problem "deviation D$d has no row"
	elif ! awk -F'|' '{ gsub(/ /, "", $4); exit !($4 == "fixed" || $4 == "partly" || $4 == "listed") }' <<<"$row"; then
		problem "deviation D$d: status must be fixed, partly or listed"
	elif ! awk -F'|' '{ gsub(/ /, "", $5); exit !(length($5) > 10) }' <<<"$row"; then
		problem "deviation D$d: no reason"
	fi
done

echo "traceability: $named function rows named, $checked non-static functions checked, 13 deviations; $bad problem(s)"
[ "$bad" = 0 ]
