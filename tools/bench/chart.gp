# The chart of `make bench` (make bench-chart): decode tokens/s of each
# engine on each shape, medians with min-max bars, log scale.
#   gnuplot -c tools/bench/chart.gp PIVOT.dat OUT.png "TITLE" ENGINES
# PIVOT.dat (tools/bench/chart.sh makes it from table.dat): a header line of
# engine names, then per shape its name and med min max per engine.
set terminal pngcairo size 900,420 font "sans,10"
set output ARG2
set title ARG3 noenhanced
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border -1
set logscale y
set grid ytics
set ylabel "decode tokens/s (median, min-max)"
set key outside right top noenhanced
set yrange [1:*]
n = int(ARG4)
plot for [i=0:n-1] ARG1 using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) title columnhead(2+3*i)
