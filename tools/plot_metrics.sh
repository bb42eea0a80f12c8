#!/bin/sh
# Plots the metrics JSON of `backprop train --metrics FILE` (loss and accuracy
# per epoch, training and test) to a PNG with gnuplot.
#   usage: plot_metrics.sh METRICS.json [OUT.png]    (default: METRICS.png)
set -eu

usage() { echo "usage: plot_metrics.sh METRICS.json [OUT.png]" >&2; exit 2; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
case $1 in -h | --help) echo "usage: plot_metrics.sh METRICS.json [OUT.png]"; exit 0 ;; esac
json=$1
png=${2:-${json%.json}.png}
command -v gnuplot >/dev/null || { echo "plot_metrics.sh: gnuplot is not installed (Debian: gnuplot-nox)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "plot_metrics.sh: python3 is not installed" >&2; exit 1; }

data=$(mktemp)
trap 'rm -f "$data"' EXIT

# gnuplot reads columns, not JSON: one line per epoch, NaN for a null.
python3 - "$json" >"$data" <<'PY'
import json, sys
try:
    epochs = json.load(open(sys.argv[1]))["epochs"]
except (OSError, ValueError, KeyError, TypeError) as e:
    sys.exit(f"plot_metrics.sh: {sys.argv[1]}: not a backprop metrics file ({e})")
if not epochs:
    sys.exit(f"plot_metrics.sh: {sys.argv[1]}: no epochs")
keys = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
for e in epochs:
    print(" ".join("NaN" if e.get(k) is None else repr(float(e[k])) for k in keys))
PY

# pngcairo draws smoother lines; the libgd png terminal is the fallback.
terminal=png
gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo && terminal=pngcairo

gnuplot <<GP
set terminal $terminal size 1000,420
set output '$png'
set multiplot layout 1,2 title 'backprop: $(basename "$json")'
set xlabel 'epoch'
set grid
set key top right
set title 'loss'
plot '$data' using 1:2 with linespoints title 'train', '$data' using 1:3 with linespoints title 'test'
set title 'accuracy'
set key bottom right
plot '$data' using 1:4 with linespoints title 'train', '$data' using 1:5 with linespoints title 'test'
unset multiplot
GP
echo "$png"
