#!/bin/sh
# make bench-chart: the PNG of the last `make bench` table
# ($BUILD/bench/rand/table.dat) with gnuplot: tools/bench/chart.gp.
#   sh tools/bench/chart.sh [OUT.png]
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/host}
dat=$BUILD/bench/rand/table.dat
out=${1:-$BUILD/bench/bench.png}
[ -f "$dat" ] || { echo "bench-chart: no $dat: run make bench first"; exit 1; }
command -v gnuplot >/dev/null || { echo "bench-chart: no gnuplot (apt-get install gnuplot-nox)"; exit 1; }
piv=$BUILD/bench/rand/pivot.dat
# engines in their first order, shapes in theirs; one row per shape
awk -F'"' 'NR > 1 { split($1, a, " "); split($3, b, " "); s = a[1]; e = $2;
        if (!(e in eo)) { eo[e] = ++ne; en[ne] = e }
        if (!(s in so)) { so[s] = ++ns; sn[ns] = s }
        v[s, e] = b[1] " " b[2] " " b[3] }
    END { printf "shape"; for (j = 1; j <= ne; j++) printf " \"%s\" x x", en[j]; printf "\n";
          for (i = 1; i <= ns; i++) { printf "%s", sn[i];
              for (j = 1; j <= ne; j++) printf " %s", ((sn[i], en[j]) in v) ? v[sn[i], en[j]] : "NaN NaN NaN";
              printf "\n" }
          print ne > "/dev/stderr" }' "$dat" >"$piv" 2>"$piv.n"
title=$(head -1 "$BUILD/bench/rand/table.txt" | cut -d';' -f1)
gnuplot -c tools/bench/chart.gp "$piv" "$out" "fieldlm make bench: $title" "$(cat "$piv.n")"
echo "bench-chart: $out"
