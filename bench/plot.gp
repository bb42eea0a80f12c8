# One chart of bp-bench's per-operation results against the layer width, one
# line per series. bench/plot.py writes each series from bp-bench's JSON as
# DATADIR/PREFIX + NAME + .dat (columns: width, value) and calls, for example:
#   gnuplot -e "datadir='d'; prefix='gflops-b256-'; \
#               series='forward-openblas forward-naive'; \
#               kind='gflops'; batch='256'; note='core Haswell, 2 threads'; \
#               peak=95.3; out='gflops.png'" bench/plot.gp
# kind is 'gflops' (with the sgemm peak as a dashed line) or 'speedup'.

if (!exists("datadir") || !exists("series") || !exists("kind") || !exists("out")) {
    print "plot.gp: set datadir, series, kind and out (bench/plot.py does)"
    exit status 2
}
if (!exists("prefix")) prefix = ""
if (!exists("batch")) batch = "?"
if (!exists("note")) note = ""
if (!exists("peak")) peak = 0

# One colour per operation; OpenBLAS solid, the naive loops dashed.
op_colour(n) = strstrt(n, "forward") ? 1 : strstrt(n, "weight_grad") ? 2 : strstrt(n, "input_grad") ? 3 : 4
dashes(n) = strstrt(n, "naive") ? 2 : 1

set terminal pngcairo size 960,600 noenhanced font "sans,10"
set output out
set grid
set key outside right top
set logscale x 2
set logscale y 10
set xlabel "layer width (outputs; the standard suite's layers are square)"
set format y "%g"

if (kind eq "gflops") {
    set ylabel "GFLOP/s (2 in out batch per product)"
    set title sprintf("backprop, one layer's products at batch %s: GFLOP/s\n%s", batch, note)
    if (peak > 0) {
        plot for [i = 1:words(series)] datadir."/".prefix.word(series, i).".dat" using 1:2 \
            with linespoints lw 2 pt 7 lc op_colour(word(series, i)) dt dashes(word(series, i)) \
            title word(series, i), \
            peak with lines dt 3 lw 1.5 lc rgb "black" title sprintf("sgemm 2048^3 peak %.1f", peak)
    } else {
        plot for [i = 1:words(series)] datadir."/".prefix.word(series, i).".dat" using 1:2 \
            with linespoints lw 2 pt 7 lc op_colour(word(series, i)) dt dashes(word(series, i)) \
            title word(series, i)
    }
} else {
    set ylabel "speedup: naive time / OpenBLAS time"
    set title sprintf("backprop, one layer's products at batch %s: OpenBLAS over the naive loops\n%s", batch, note)
    plot for [i = 1:words(series)] datadir."/".prefix.word(series, i).".dat" using 1:2 \
            with linespoints lw 2 pt 7 lc op_colour(word(series, i)) dt dashes(word(series, i)) \
            title word(series, i)
}
