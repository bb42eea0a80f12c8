#!/bin/sh
# The backprop program end to end on tiny generated data sets (no Fashion-MNIST
# needed): train with --save and --metrics, the metrics JSON, info and eval on
# the saved model (eval repeats train's last test accuracy), CSV data with the
# scaling its model keeps, and clear errors with the documented exit codes (1 runtime, 2
# usage) for missing, damaged and mismatched files and bad options, never a
# crash (status >= 128).
#   usage: test_cli.sh path/to/backprop [path/to/plot_metrics.sh]
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bp=${1:?usage: test_cli.sh path/to/backprop [plot_metrics.sh]}
plot=${2:-}

# check STATUS PATTERN COMMAND...: runs COMMAND; its exit status must be
# STATUS, and its stderr (or stdout for status 0) must match the extended
# regular expression PATTERN (if not empty).
check() {
    want=$1 pattern=$2
    shift 2
    capture "$@"
    if [ "$got" -ge 128 ]; then
        fail "crashed with status $got: $*"
    elif [ "$got" -ne "$want" ]; then
        fail "status $got, expected $want: $*"
    elif [ -n "$pattern" ]; then
        where=$dir/err
        [ "$want" -eq 0 ] && where=$dir/out
        grep -qE -- "$pattern" "$where" || fail "output lacks /$pattern/: $*"
    fi
    return 0
}

# --- tiny data sets ---------------------------------------------------------
# 3 classes of 2x4 "images", each class brightest in its own pixels, with
# noise: learnable, so accuracy means something, but small enough to train in
# milliseconds. Also damaged and mismatched variants, and the same data as CSV.
python3 - "$dir" <<'PY'
import gzip, os, random, struct, sys
d = sys.argv[1]
rng = random.Random(7)
PATTERNS = [(0, 1, 4, 5), (2, 3, 6, 7), (0, 3, 4, 7)]

def examples(n, features=8):
    xs, ys = [], []
    for i in range(n):
        c = i % 3
        x = [rng.randrange(0, 90) for _ in range(features)]
        for p in PATTERNS[c]:
            if p < features:
                x[p] = rng.randrange(150, 256)
        xs.append(x); ys.append(c)
    return xs, ys

def idx_images(xs, rows, cols):
    return struct.pack(">IIII", 0x803, len(xs), rows, cols) + bytes(v for x in xs for v in x)

def idx_labels(ys):
    return struct.pack(">II", 0x801, len(ys)) + bytes(ys)

def write(name, data, compress=False):
    with (gzip.open if compress else open)(os.path.join(d, name), "wb") as f:
        f.write(data)

tx, ty = examples(240)
vx, vy = examples(60)
write("train-images.gz", idx_images(tx, 2, 4), compress=True)
write("train-labels", idx_labels(ty))
write("test-images", idx_images(vx, 2, 4))
write("test-labels", idx_labels(vy))
# Damaged and mismatched IDX files.
write("bad-magic-images", struct.pack(">I", 0x0000DEAD) + idx_images(vx, 2, 4)[4:])
write("truncated-images", idx_images(vx, 2, 4)[:-5])
write("short-labels", idx_labels(vy[:-1]))
write("empty-file", b"")
ox, oy = examples(60, features=6)
write("six-images", idx_images(ox, 2, 3))
write("six-labels", idx_labels(oy))
# A fourth class the 3-output model has no output for.
write("four-class-labels", idx_labels([3] + vy[1:]))
# The same sets as CSV (label first, a header line), on another scale.
def csv(xs, ys):
    return ("label," + ",".join(f"p{i}" for i in range(8)) + "\n" +
            "".join(f"{y}," + ",".join(str(v * 4 - 100) for v in x) + "\n"
                    for x, y in zip(xs, ys))).encode()
write("train.csv", csv(tx, ty))
write("test.csv", csv(vx, vy))
write("bad.csv", csv(vx, vy).replace(b"\n2,", b"\n2,abc,", 1))
PY

# backprop train on the tiny IDX sets, with more options.
train_idx() {
    "$bp" train --train-images "$dir/train-images.gz" --train-labels "$dir/train-labels" \
        --test-images "$dir/test-images" --test-labels "$dir/test-labels" "$@"
}

# --- help and version -------------------------------------------------------
check 0 'usage: backprop COMMAND' "$bp" --help
check 0 'Exit status' "$bp" help
check 0 '^backprop [0-9]+\.[0-9]+\.[0-9]+' "$bp" --version
check 0 'usage: backprop train' "$bp" train --help
check 0 'usage: backprop eval MODEL' "$bp" eval --help
check 0 'usage: backprop info MODEL' "$bp" info --help
check 0 'usage: backprop eval' "$bp" help eval
check 2 'usage: backprop COMMAND' "$bp"
check 2 "unknown command 'fly'" "$bp" fly
check 2 "unknown option '--frobnicate'" "$bp" --frobnicate

# --- train, metrics, info, eval ---------------------------------------------
check 0 '^test accuracy: [01]\.[0-9]{4}$' train_idx --layers 8,16,3 --epochs 2 \
    --batch 16 --seed 3 --threads 1 --save "$dir/model.bin" --metrics "$dir/m.json"
cp "$dir/out" "$dir/train.out"
tail -n 1 "$dir/train.out" | grep -qE '^test accuracy: ' || fail "train's last line is not the test accuracy"
grep -qE '^epoch 1/2  train loss [0-9.]+ acc [0-9.]+  test loss [0-9.]+ acc [0-9.]+  [0-9.]+ s  [0-9]+ ex/s$' \
    "$dir/train.out" || fail "train printed no epoch 1 line"
grep -qE '^epoch 2/2 ' "$dir/train.out" || fail "train printed no epoch 2 line"
grep -q '^network 8-16-3 ' "$dir/train.out" || fail "train's header does not show the network"
train_accuracy=$(sed -n 's/^test accuracy: //p' "$dir/train.out")

# Workers and plans: the choice is printed; two workers train; a timed plan
# by default, a fixed one as --plan says; bad combinations are usage errors.
check 0 'kernels: OpenBLAS, core [^;]+; 2 workers x 1 BLAS thread$' train_idx \
    --layers 8,16,3 --epochs 1 --batch 16 --seed 3 --workers 2
check 0 '^plan: (openblas|blis):[0-9]+x[0-9]+, auto: the fastest of [0-9]+ timed' \
    train_idx --layers 8,16,3 --epochs 1 --batch 16 --seed 3
check 0 '^plan: (openblas|blis):[0-9]+x[0-9]+, auto: the fastest of [0-9]+ timed' \
    train_idx --layers 8,16,3 --epochs 1 --batch 16 --seed 3 --plan auto
check 0 '^plan: openblas:2x1, as --plan said$' \
    train_idx --layers 8,16,3 --epochs 1 --batch 16 --seed 3 --plan openblas:2x1
check 0 '^kernels: naive loops$' \
    train_idx --layers 8,16,3 --epochs 1 --batch 16 --seed 3 --plan naive:1x1
check 2 "invalid --plan: .*'gpu:1x1'" train_idx --layers 8,16,3 --plan gpu:1x1
check 2 "invalid --plan: .*'openblas:2x2'" train_idx --layers 8,16,3 --plan openblas:2x2
check 2 'does not go with --kernels, --workers or --threads' train_idx --layers 8,16,3 \
    --plan auto --threads 1
check 2 "invalid --workers 'none'" train_idx --layers 8,16,3 --workers none
check 2 "invalid --workers '0'" train_idx --layers 8,16,3 --workers 0
check 2 'does not go with --workers 2' train_idx --layers 8,16,3 --workers 2 --threads 2

checks=$((checks + 1))
python3 - "$dir/m.json" "$train_accuracy" >"$dir/out" 2>"$dir/err" <<'PY' || fail "metrics JSON"
import json, sys
m = json.load(open(sys.argv[1]))
epochs = m["epochs"]
assert len(epochs) == 2, f"{len(epochs)} epochs"
# --threads 1 alone: the openblas set, the rule's workers (1 at batch 16 is
# not promised), 1 thread; nothing timed.
plan = m["plan"]
assert plan["kernels"] == "openblas" and plan["blas_threads"] == 1, plan
assert plan["measured"] == 0 and plan["step_seconds"] == 0, plan
assert plan["spec"] == f'openblas:{plan["workers"]}x1', plan
keys = {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds"}
for i, e in enumerate(epochs, 1):
    assert set(e) == keys, f"keys {sorted(e)}"
    assert e["epoch"] == i
    assert 0 <= e["train_accuracy"] <= 1 and 0 <= e["test_accuracy"] <= 1
    assert e["train_loss"] >= 0 and e["test_loss"] >= 0 and e["seconds"] >= 0
assert f'{epochs[-1]["test_accuracy"]:.4f}' == sys.argv[2], (epochs[-1], sys.argv[2])
PY

check 0 'format +version 1' "$bp" info "$dir/model.bin"
cp "$dir/out" "$dir/info.out"
# 8*16 + 16 + 16*3 + 3 parameters, 4 bytes each.
grep -qE '^parameters +195 \(780 bytes' "$dir/info.out" || fail "info's parameter count"
grep -qE 'layer 1 +8 -> 16, relu' "$dir/info.out" || fail "info's first layer"
grep -qE 'layer 2 +16 -> 3, softmax' "$dir/info.out" || fail "info's output layer"
grep -qE '^loss +cross-entropy' "$dir/info.out" || fail "info's loss"

# eval (in batches of 16) and train's evaluation after the last epoch (in
# batches of its --batch) both run the invariant products: every example gets
# the same outputs, so the same accuracy, exactly.
check 0 '^accuracy [01]\.[0-9]{4}$' "$bp" eval "$dir/model.bin" --images "$dir/test-images" \
    --labels "$dir/test-labels" --batch 16
grep -qx "accuracy $train_accuracy" "$dir/out" ||
    fail "eval's accuracy differs from train's $train_accuracy"
# The loss is a sum of per-batch mean costs, so other batches round it
# differently (~1e-7 relative); each side is printed to 4 decimals, so they
# may differ by one unit of the last place, no more.
eval_loss=$(sed -n 's/^loss //p' "$dir/out")
python3 -c 'import json, sys; e = json.load(open(sys.argv[1]))["epochs"][-1]
sys.exit(abs(e["test_loss"] - float(sys.argv[2])) > 1e-4 + 1e-9)' "$dir/m.json" "$eval_loss" ||
    fail "eval's loss $eval_loss differs from the last epoch's test loss"
# The naive kernels compute the same function. Their batch products round
# differently from the invariant ones (by ~1e-6 of the outputs here), which
# can flip only a near tie between two classes: at most one of the 60
# examples, 1/60 of accuracy.
check 0 '^accuracy [01]\.[0-9]{4}$' "$bp" eval "$dir/model.bin" --test-images "$dir/test-images" \
    --test-labels "$dir/test-labels" --batch 16 --kernels naive --inference batch
naive_accuracy=$(sed -n 's/^accuracy //p' "$dir/out")
python3 -c 'import sys; sys.exit(abs(float(sys.argv[1]) - float(sys.argv[2])) > 1 / 60 + 1e-4)' \
    "$naive_accuracy" "$train_accuracy" ||
    fail "eval on the naive kernels: accuracy $naive_accuracy, train's $train_accuracy"
check 2 "invalid --inference 'fast'" "$bp" eval "$dir/model.bin" --inference fast

# Quadratic cost, other optimizers and schedules, and --resume from the model.
check 0 '^test accuracy: ' train_idx --layers 8,5,3 --loss quadratic --activation tanh \
    --optimizer nesterov --schedule step --step-epochs 1 --gamma 0.5 --epochs 2 --quiet \
    --save "$dir/quadratic.bin" --save-optimizer "$dir/opt.bin"
[ "$(wc -l <"$dir/out")" -eq 1 ] || fail "--quiet printed more than the last line"
check 0 'loss +quadratic' "$bp" info "$dir/quadratic.bin"
check 0 'sigmoid' "$bp" info "$dir/quadratic.bin"
check 0 '^test accuracy: ' train_idx --resume "$dir/quadratic.bin" \
    --resume-optimizer "$dir/opt.bin" --epochs 1 --optimizer nesterov

# --- CSV data: the model keeps its scaling; eval repeats the accuracy --------
check 0 '^inputs +scaled per feature \(standardize' "$bp" train --train-csv "$dir/train.csv" \
    --test-csv "$dir/test.csv" --layers 8,16,3 --epochs 2 --save "$dir/csv.bin"
csv_accuracy=$(sed -n 's/^test accuracy: //p' "$dir/out")
check 0 "^accuracy $csv_accuracy\$" "$bp" eval "$dir/csv.bin" --csv "$dir/test.csv"
check 1 'stores its preprocessing' "$bp" eval "$dir/csv.bin" --csv "$dir/test.csv" \
    --scale-offset 1 --scale-factor 2
check 1 'bad.csv' "$bp" eval "$dir/csv.bin" --csv "$dir/bad.csv"

# --- usage errors: exit 2, the option named, a pointer to --help -------------
check 2 "unknown option '--frobnicate'" "$bp" train --frobnicate
check 2 "unknown option '-x'" "$bp" train --quiet -xy
check 2 "try 'backprop train --help'" "$bp" train --frobnicate
check 2 "'--layers' needs a value" "$bp" train --layers
for layers in 8 8,abc 8,0,3 8,,3 ,8,3 "8,3," -8,3 8,99999999999,3 ""; do
    check 2 "invalid --layers '$layers'" "$bp" train --layers "$layers"
done
for lr in 0 -1 nan inf 1e999 abc 0.1x ""; do
    check 2 "invalid --lr" "$bp" train --lr "$lr"
done
check 2 'invalid --epochs' "$bp" train --epochs 0
check 2 'invalid --epochs' "$bp" train --epochs 100001
check 2 'invalid --batch' "$bp" train --batch -5
check 2 'invalid --seed' "$bp" train --seed 18446744073709551616
check 2 'invalid --momentum' "$bp" train --momentum 1
check 2 "invalid --activation 'softmax'" "$bp" train --activation softmax
check 2 'expected cross-entropy or quadratic' "$bp" train --loss hinge
check 2 'invalid --optimizer' "$bp" train --optimizer adagrad
# Every name the library lists (header's BP_*_MAP, through the usage error's
# "expected a, b or c") is in train's --help, and the older spellings parse.
"$bp" train --help >"$dir/help.out"
for option in activation loss init optimizer schedule kernels inference; do
    checks=$((checks + 1))
    names=$("$bp" train --$option no-such-name 2>&1 | sed -n 's/.*(expected \(.*\))$/\1/p' |
        sed 's/,/ /g; s/ or / /')
    [ -n "$names" ] || fail "--$option's usage error lists no names"
    for name in $names; do
        grep -qE -- "(^|[ (,])$name([ ),;]|$)" "$dir/help.out" ||
            fail "train --help does not name --$option $name"
    done
done
check 2 "invalid --epochs" "$bp" train --activation leaky_relu --loss cross_entropy --epochs 0
check 2 "unexpected argument 'extra'" "$bp" train extra
check 2 '--test-csv needs --train-csv' "$bp" train --test-csv "$dir/test.csv"
check 2 'do not go with the IDX' "$bp" train --train-csv a --test-csv b --train-images c
check 2 '--scale is for CSV' "$bp" train --scale none
check 2 '--resume' "$bp" train --resume "$dir/model.bin" --layers 8,3
check 2 'missing the MODEL' "$bp" eval
check 2 '--images and --labels go together' "$bp" eval "$dir/model.bin" --images "$dir/test-images"
check 2 '--test-images and --test-labels go together' "$bp" train --test-labels "$dir/test-labels"
check 2 "unexpected argument" "$bp" eval "$dir/model.bin" extra
check 2 'for CSV data' "$bp" eval "$dir/model.bin" --scale-factor 2
check 2 "unknown option '--bogus'" "$bp" info --bogus "$dir/model.bin"
check 2 'missing the MODEL' "$bp" info

# --- runtime errors: exit 1, "backprop: " and the problem ---------------------
check 1 "^backprop: .*$dir/nothing" "$bp" info "$dir/nothing"
check 1 "$dir/nothing" "$bp" eval "$dir/nothing"
check 1 "$dir/nothing" "$bp" eval "$dir/model.bin" --images "$dir/nothing" \
    --labels "$dir/test-labels"
check 1 "$dir/nothing" "$bp" train --train-images "$dir/nothing" --train-labels \
    "$dir/train-labels" --test-images "$dir/test-images" --test-labels "$dir/test-labels"
check 1 "$dir/nowhere" "$bp" train --data-dir "$dir/nowhere"
check 1 'bad-magic-images' "$bp" eval "$dir/model.bin" --images "$dir/bad-magic-images" \
    --labels "$dir/test-labels"
check 1 'truncated-images' "$bp" eval "$dir/model.bin" --images "$dir/truncated-images" \
    --labels "$dir/test-labels"
check 1 'short-labels|test-images' "$bp" eval "$dir/model.bin" --images "$dir/test-images" \
    --labels "$dir/short-labels"
check 1 'empty-file' "$bp" eval "$dir/model.bin" --images "$dir/empty-file" \
    --labels "$dir/test-labels"
check 1 'empty-file' "$bp" eval "$dir/model.bin" --images "$dir/test-images" \
    --labels "$dir/empty-file"
# A model file is not data, and data is not a model.
check 1 'model.bin' "$bp" eval "$dir/model.bin" --images "$dir/model.bin" \
    --labels "$dir/test-labels"
check 1 'test-images' "$bp" info "$dir/test-images"
check 1 'empty-file' "$bp" info "$dir/empty-file"
check 1 "$dir" "$bp" info "$dir"

# Damaged models: truncated at many lengths, a byte flipped anywhere.
size=$(wc -c <"$dir/model.bin")
for keep in 1 4 8 12 16 24 32 64 $((size / 2)) $((size - 4)) $((size - 1)); do
    head -c "$keep" "$dir/model.bin" >"$dir/cut.bin"
    check 1 'cut.bin' "$bp" info "$dir/cut.bin"
    check 1 'cut.bin' "$bp" eval "$dir/cut.bin" --images "$dir/test-images" \
        --labels "$dir/test-labels"
done
cp "$dir/model.bin" "$dir/long.bin"
printf 'x' >>"$dir/long.bin"
check 1 'long.bin' "$bp" info "$dir/long.bin"
for at in 0 3 4 8 12 16 20 28 40 $((size / 2)) $((size - 1)); do
    python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[2])] ^= 0x5A; open(sys.argv[3], "wb").write(b)' \
        "$dir/model.bin" "$at" "$dir/flipped.bin"
    check 1 'flipped.bin' "$bp" info "$dir/flipped.bin"
done

# Sizes that do not fit: --layers against the data, a model against data.
check 1 '--layers has 5 inputs; the data has 8 features' train_idx --layers 5,16,3
check 1 '--layers has 2 outputs; the data has 3 classes' train_idx --layers 8,16,2
check 1 'the model has 8 inputs; the data has 6 features' "$bp" eval "$dir/model.bin" \
    --images "$dir/six-images" --labels "$dir/six-labels"
check 1 'the model has 3 outputs; the data has 4 classes' "$bp" eval "$dir/model.bin" \
    --images "$dir/test-images" --labels "$dir/four-class-labels"
check 1 'the test set has 6 features' "$bp" train --train-images "$dir/train-images.gz" \
    --train-labels "$dir/train-labels" --test-images "$dir/six-images" \
    --test-labels "$dir/six-labels" --layers 8,3
# An optimizer file for another parameter count.
check 1 'parameters' train_idx --layers 8,4,3 --epochs 1 --resume-optimizer "$dir/opt.bin"
check 1 'not a backprop optimizer file' train_idx --layers 8,4,3 --epochs 1 \
    --resume-optimizer "$dir/model.bin"
# Files that cannot be written: refused before training, as usage errors
# (test_outputs.sh has every other such case).
check 2 "$dir/nowhere/m.json: the directory it is in does not exist" train_idx --layers 8,3 \
    --epochs 1 --metrics "$dir/nowhere/m.json"
check 2 "$dir/nowhere/model.bin: the directory it is in does not exist" train_idx --layers 8,3 \
    --epochs 1 --save "$dir/nowhere/model.bin"

# --- the plot script ----------------------------------------------------------
if [ -n "$plot" ] && command -v gnuplot >/dev/null; then
    check 0 'm.png' "$plot" "$dir/m.json" "$dir/m.png"
    checks=$((checks + 1))
    head -c 8 "$dir/m.png" | od -An -c | grep -q 'P   N   G' || fail "the plot is not a PNG"
    check 1 'not a backprop metrics file' "$plot" "$dir/test-labels" "$dir/x.png"
fi

finish cli
