#!/bin/sh
# The cost of --metrics: `backprop train` for 6000 epochs of one batch (240
# generated examples of 8 features, 8-16-3) without and with a metrics file,
# in alternating rounds; prints each round's seconds, the medians and the
# OpenBLAS core. The metrics file goes to DIR (its file system is named).
# With OTHER (another build of backprop, say an older one), its --metrics
# runs alternate with the others too.
#   usage: metrics_timing.sh path/to/backprop [DIR] [ROUNDS] [OTHER]
set -eu
bp=${1:?usage: metrics_timing.sh path/to/backprop [DIR] [ROUNDS]}
case $bp in /*) ;; *) bp=$PWD/$bp ;; esac
dir=${2:-$(mktemp -d)}
rounds=${3:-5}
other=${4:-}
case $other in /* | '') ;; *) other=$PWD/$other ;; esac
cd "$dir"
python3 - <<'PY'
import random, struct
rng = random.Random(7)
xs = [[rng.randrange(0, 256) for _ in range(8)] for _ in range(240)]
ys = [i % 3 for i in range(240)]
for name, n in (("img", 240), ("tst", 60)):
    open(name, "wb").write(struct.pack(">IIII", 0x803, n, 2, 4) + bytes(v for x in xs[:n] for v in x))
    open(name + "-lab", "wb").write(struct.pack(">II", 0x801, n) + bytes(ys[:n]))
PY
run() {
    "${program:-$bp}" train --train-images img --train-labels img-lab --test-images tst --test-labels tst-lab \
        --layers 8,16,3 --batch 240 --epochs 6000 --threads 1 "$@"
}
echo "core: $(run --epochs 1 | sed -n 's/^kernels: OpenBLAS, core \([^,]*\),.*/\1/p')"
echo "file system of $dir: $(stat -f -c %T .)"
: >without
: >with
: >other
modes="without with${other:+ other}"
for round in $(seq 1 "$rounds"); do
    for mode in $modes; do
        rm -f m.json
        start=$(date +%s%N)
        case $mode in
        without) run --quiet >/dev/null ;;
        with) run --quiet --metrics m.json >/dev/null ;;
        other)
            program=$other
            run --quiet --metrics m.json >/dev/null
            program=
            ;;
        esac
        ms=$(( ($(date +%s%N) - start) / 1000000 ))
        echo "$ms" >>"$mode"
        echo "round $round: $mode --metrics: $ms ms"
    done
done
python3 -c 'import json; assert len(json.load(open("m.json"))["epochs"]) == 6000'
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
a=$(median without)
b=$(median with)
echo "median: without $a ms, with $b ms, ratio $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", b / a }')"
if [ -n "$other" ]; then
    c=$(median other)
    echo "median: OTHER with $c ms, ratio to this build's $(awk -v b="$b" -v c="$c" 'BEGIN { printf "%.2f", c / b }')"
fi
