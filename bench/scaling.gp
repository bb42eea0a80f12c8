# docs/scaling.md's chart: projected efficiency of data-parallel training
# against the number of ranks, from the data bench/scaling_model.py writes.
#   gnuplot -e "data='docs/scaling.dat'; out='docs/scaling.png'" bench/scaling.gp
# data: one block per network (784-128-10, 784-1024-1024-10, 4096-4096-4096),
# columns N, then E at 25 Gb/s (overlapped, no overlap) and 100 Gb/s (same).

if (!exists("data")) data = "docs/scaling.dat"
if (!exists("out")) out = "docs/scaling.png"
if (!exists("note")) note = ""

names = "784-128-10 784-1024-1024-10 4096-4096-4096"
batches = "256 256 512"

set terminal pngcairo size 900,700 noenhanced font "sans,10"
set output out
set grid
set key below
set logscale x 2
set xrange [2:1024]
set yrange [0:1.02]
set xlabel "ranks N (one per machine), per-rank batch fixed"
set ylabel "efficiency: examples/s / (N x one rank's)"
set title "Projected scaling over Ethernet (ring allreduce, alpha 10 us)".note
set arrow from 2,0.8 to 1024,0.8 nohead dashtype 3 lc rgb "gray40"

plot for [i=1:3] data index (i-1) using 1:2 with linespoints lc i lw 2 pt 7 \
         title sprintf("%s b=%s, 25 Gb/s", word(names, i), word(batches, i)), \
     for [i=1:3] data index (i-1) using 1:4 with linespoints lc i lw 2 pt 5 dashtype 2 \
         title sprintf("%s b=%s, 100 Gb/s", word(names, i), word(batches, i)), \
     for [i=1:3] data index (i-1) using 1:3 with lines lc i lw 1 dashtype 3 \
         title sprintf("%s, 25 Gb/s, no overlap", word(names, i))
