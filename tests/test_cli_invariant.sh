#!/bin/sh
# backprop predict and eval give each row the same answer whatever rows are
# computed beside it: predictions of 300 rows one at a time (--batch 1), in
# batches of every size from 2 to 300, and in reverse order must be the same
# bytes (regression outputs are printed with %.9g, which tells every float
# apart), eval's accuracy the same at every --batch, and the predictions the
# same under every OPENBLAS_CORETYPE the CPU runs (tests/core_types.sh): the
# invariant products do not use OpenBLAS's kernels.
#   usage: test_cli_invariant.sh path/to/backprop path/to/core_types.sh
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bp=${1:?usage: test_cli_invariant.sh path/to/backprop path/to/core_types.sh}
core_types=${2:?usage: test_cli_invariant.sh path/to/backprop path/to/core_types.sh}
# run COMMAND...: COMMAND must succeed; the test stops at once if not.
run() {
    "$@" >"$dir/log" 2>&1 || { cat "$dir/log"; echo "FAIL: $*"; exit 1; }
}

# 300 rows of 13 features at scales 0.1 to 1000 (the model standardizes
# them), two regression targets on the scale of diabetes' (25 to 350), and
# three classes; features only for predict, and the same rows reversed.
python3 - "$dir" <<'PY'
import math, random, sys
d = sys.argv[1]
rng = random.Random(5)
scales = [0.1, 1, 3, 10, 30, 100, 300, 1000, 0.5, 5, 50, 500, 2]
rows = []
for i in range(300):
    x = [s * rng.gauss(0, 1) for s in scales]
    u = sum(v / s for v, s in zip(x, scales))
    rows.append((x, 180 + 60 * math.tanh(u / 3), 30 + 10 * u, i % 3 if u > -9 else 0))
def write(name, cells):
    with open(f"{d}/{name}", "w") as f:
        for r in cells:
            f.write(",".join(f"{v:.6g}" for v in r) + "\n")
write("reg.csv", [x + [a, b] for x, a, b, _ in rows])
write("cls.csv", [x + [c] for x, _, _, c in rows])
write("x.csv", [x for x, *_ in rows])
write("x-reversed.csv", [x for x, *_ in reversed(rows)])
PY

run "$bp" train --train-csv "$dir/reg.csv" --target-columns 13,14 --layers 13,37,11,2 \
    --epochs 3 --seed 2 --save "$dir/reg.bin"
run "$bp" train --train-csv "$dir/cls.csv" --label-column last --layers 13,37,3 --epochs 3 \
    --seed 2 --save "$dir/cls.bin"

# predictions MODEL [options...]: the model's predictions of x.csv.
predictions() {
    model=$1
    shift
    "$bp" predict "$dir/$model.bin" --csv "$dir/x.csv" "$@"
}

for model in reg cls; do
    proba=
    [ "$model" = cls ] && proba=--proba
    predictions "$model" --batch 1 $proba >"$dir/alone"
    [ "$(wc -l <"$dir/alone")" -eq 301 ] || fail "$model: $(wc -l <"$dir/alone") lines, not 301"
    batch=2
    while [ "$batch" -le 300 ]; do
        predictions "$model" --batch "$batch" $proba >"$dir/batched"
        cmp -s "$dir/alone" "$dir/batched" || fail "$model: --batch $batch differs from --batch 1"
        batch=$((batch + 1))
    done
    # Reversed rows, their predictions reversed back (the header stays first).
    "$bp" predict "$dir/$model.bin" --csv "$dir/x-reversed.csv" $proba >"$dir/reversed"
    { head -n 1 "$dir/reversed"; tail -n +2 "$dir/reversed" | tac; } >"$dir/unreversed"
    cmp -s "$dir/alone" "$dir/unreversed" || fail "$model: the reversed rows' predictions differ"
    # Every core type this CPU runs gives the same bytes: no OpenBLAS kernel
    # enters the invariant products.
    for core in $("$core_types"); do
        OPENBLAS_CORETYPE=$core predictions "$model" $proba >"$dir/core"
        cmp -s "$dir/alone" "$dir/core" || fail "$model: OPENBLAS_CORETYPE=$core differs"
    done
done

# eval counts the rows its predictions get right: the same count at every
# --batch. (Its loss is a sum of batch means, exact only to rounding.)
for batch in 1 2 7 64 256 300; do
    "$bp" eval "$dir/cls.bin" --csv "$dir/cls.csv" --label-column last --batch "$batch" |
        grep '^accuracy' >"$dir/accuracy.$batch"
    cmp -s "$dir/accuracy.1" "$dir/accuracy.$batch" ||
        fail "eval --batch $batch: $(cat "$dir/accuracy.$batch"), --batch 1: $(cat "$dir/accuracy.1")"
done

if [ "$failures" -ne 0 ]; then
    echo "$failures failures"
    exit 1
fi
echo "predict and eval: the same bytes alone, in batches of 2 to 300, reversed, and under" \
    "OPENBLAS_CORETYPE $("$core_types" | tr '\n' ' ')"
