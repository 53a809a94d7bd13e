#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# plot-campaign.sh CSV OUTDIR TITLE - a campaign's pictures (README
# "Fuzzing engines and campaigns"): OUTDIR/plot-coverage.png,
# plot-execs.png, plot-corpus.png and (with a 7th column) plot-rss.png over
# time, from CSV with the columns
# seconds,execs,execs_per_s,coverage,corpus,crashes[,max_rss_mib]
# (campaign.sh's progress.csv, or AFL++'s plot_data converted to it).  Prints the PNG file
# names on one line.  Exit 2 when gnuplot is missing (./hvo installs
# gnuplot-nox) or the CSV has no sample with a value.
set -euo pipefail
[ $# = 3 ] || { echo "usage: plot-campaign.sh CSV OUTDIR TITLE" >&2; exit 2; }
csv=$1 out=$2 title=$3
command -v gnuplot >/dev/null || { echo "gnuplot not installed (apt-get install gnuplot-nox)" >&2; exit 2; }
[ "$(awk -F, 'NR > 1 && $4 != "" {n++} END {print n + 0}' "$csv")" -gt 0 ] ||
	{ echo "$csv: no sample with a coverage figure to plot" >&2; exit 2; }
# gnuplot strings are single-quoted: keep the title's quotes out
title=${title//\'/}
names=()
plots=("coverage:4:coverage (edges)" "execs:3:exec/s" "corpus:5:corpus size (inputs)")
# the 7th column (campaign.sh's progress.csv, not AFL++'s plot_data)
[ "$(awk -F, 'NR > 1 && $7 != "" {n++} END {print n + 0}' "$csv")" = 0 ] ||
	plots+=("rss:7:largest engine process RSS (MiB)")
for what in "${plots[@]}"; do
	IFS=: read -r name col label <<<"$what"
	png=$out/plot-$name.png
	gnuplot 2>"$out/plot-$name.log" <<GP || { cat "$out/plot-$name.log" >&2; echo "gnuplot failed on $csv" >&2; exit 2; }
set terminal png size 800,400 noenhanced
set output '$png'
set datafile separator ','
set datafile missing ''
set key off
set grid
set title '$title: $label'
set xlabel 'seconds'
set ylabel '$label'
set yrange [0:*]
plot '$csv' every ::1 using 1:$col with linespoints pointsize 0.5
GP
	[ -s "$png" ] || { echo "gnuplot wrote no $png" >&2; exit 2; }
	rm -f "$out/plot-$name.log"   # warnings only (a single sample's empty x range)
	names+=("$png")
done
echo "${names[*]}"
