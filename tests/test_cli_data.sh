#!/bin/sh
# backprop on tabular CSV data as a new user runs it, on files written here:
# every misuse of issue "real data without silent mistakes" gets a clear
# message and a non-zero exit, or the right result: per-feature scaling kept
# in the model (eval and predict apply it), regression, labels mapped to
# classes, headers, skipped columns, delimiters, imputation, validation and
# early stopping, predict streaming in bounded memory, strict CSV numbers.
#   usage: test_cli_data.sh path/to/backprop
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bp=${1:?usage: test_cli_data.sh path/to/backprop}

python3 - "$dir" <<'PY'
import random, sys
d = sys.argv[1]
rng = random.Random(3)

def write(name, text):
    with open(f"{d}/{name}", "w") as f:
        f.write(text)

# "wine": 13 features of ranges from 0.1 to 1000, labels 1..3 last, a
# header of names f0..f12,label. The class shows in every feature, at the
# feature's own scale.
SCALES = [0.1, 1, 3, 10, 30, 100, 300, 1000, 0.5, 5, 50, 500, 2]
def wine(n):
    rows = []
    for i in range(n):
        c = i % 3
        rows.append([s * (c + rng.gauss(0, 0.35)) + 7 * s for s in SCALES] + [c + 1])
    return rows
def table(rows, header=True, fmt="{:.6g}"):
    names = [f"f{i}" for i in range(len(rows[0]) - 1)] + ["label"]
    out = ",".join(names) + "\n" if header else ""
    return out + "".join(",".join(fmt.format(v) for v in r[:-1]) + f",{r[-1]}\n" for r in rows)
write("wine-train.csv", table(wine(240)))
write("wine-test.csv", table(wine(60)))
# A test label the model never saw, on line 5.
lines = table(wine(20)).split("\n")
lines[4] = lines[4].rsplit(",", 1)[0] + ",4"
write("wine-unseen.csv", "\n".join(lines))
# Features only, for predict; and a label column that is a stray 1000.
write("wine-x.csv", "".join(",".join(f"{v:.6g}" for v in r[:-1]) + "\n" for r in wine(30)))
stray = wine(60)
stray[5][-1] = 1000
write("wine-stray.csv", table(stray))

# Species names in a named column, an index column first, ';' delimiter,
# one missing value.
species = ["setosa", "versicolor", "virginica"]
rows = []
for i in range(150):
    c = i % 3
    rows.append([i, species[c]] + [f"{c * 2 + rng.gauss(0, 0.3):.4f}" for _ in range(4)])
rows[7][3] = ""
write("iris.csv", "id;species;a;b;c;d\n" + "".join(";".join(map(str, r)) + "\n" for r in rows))

# A regression with integer targets of many values (diabetes-like):
# y = 100 + 30 x0 - 20 x1 + 10 x2, rounded.
def regression(n):
    rows = []
    for _ in range(n):
        x = [rng.uniform(-2, 2) for _ in range(5)]
        rows.append(x + [round(100 + 30 * x[0] - 20 * x[1] + 10 * x[2])])
    return rows
write("reg-train.csv", table(regression(300), header=False))
write("reg-test.csv", table(regression(100), header=False))
write("reg-x.csv", "".join(",".join(f"{v:.6g}" for v in r[:-1]) + "\n" for r in regression(5)))

# Strict numbers: a typo in the first row, hexadecimal, underflow, CR-only.
write("typo.csv", "1,x7,2\n3,4,5\n")
write("typo-label.csv", "1,2,5\n3,4,x7\n5,6,5\n")
write("hex.csv", "1,2,0\n3,0x10,1\n")
write("tiny.csv", "1,2,0\n3,1e-400,1\n")
with open(f"{d}/cr.csv", "wb") as f:
    f.write(b"a,b,label\r1,2,0\r3,4,1\r")
PY

# --- wine: per-feature scaling by default, kept in the model -----------------
expect 0 'test accuracy: (0\.9[5-9]|1\.0)' "$bp" train --train-csv "$dir/wine-train.csv" \
    --test-csv "$dir/wine-test.csv" --label-column last --epochs 20 --save "$dir/wine.bin"
has 'data: 240 training and 60 test' # the 0..13 header is no example
accuracy=$(sed -n 's/^test accuracy: //p' "$dir/last")
expect 0 "^accuracy $accuracy\$" "$bp" eval "$dir/wine.bin" --csv "$dir/wine-test.csv" \
    --label-column last
expect 0 'classes +3: 1 2 3' "$bp" info "$dir/wine.bin"
has '13-256-128-3' # labels 1..3: three outputs, no phantom class 0
has 'scaled per feature \(standardize'
has 'format +version 2'
# The old single factor still exists, per feature now, and none is a choice.
expect 0 'minmax: to \[0, 1\]' "$bp" train --train-csv "$dir/wine-train.csv" \
    --label-column last --epochs 1 --scale minmax
expect 0 'inputs +not scaled' "$bp" train --train-csv "$dir/wine-train.csv" \
    --label-column last --epochs 1 --scale none
# An unseen test label is an error naming its line, not a wider network.
expect 1 'line 5.*label "4" is not one of the 3 classes' "$bp" eval "$dir/wine.bin" \
    --csv "$dir/wine-unseen.csv" --label-column last
expect 1 'line 5.*not one of the 3 classes' "$bp" train --train-csv "$dir/wine-train.csv" \
    --test-csv "$dir/wine-unseen.csv" --label-column last --epochs 1
# A stray label of 1000 is one more class, not 1001 outputs.
expect 0 '13-256-128-4 ' "$bp" train --train-csv "$dir/wine-stray.csv" --label-column last \
    --epochs 1
# A wrong label column: a feature of 60 distinct values is not taken for classes.
expect 1 'distinct numbers.*--task regression' "$bp" train --train-csv "$dir/wine-train.csv" \
    --label-column 0 --epochs 1
# Old scaling options are refused for a model that keeps its own.
expect 1 'stores its preprocessing' "$bp" eval "$dir/wine.bin" --csv "$dir/wine-test.csv" \
    --label-column last --scale-factor 2

# --- predict --------------------------------------------------------------------
expect 0 '^label$' "$bp" predict "$dir/wine.bin" --csv "$dir/wine-x.csv"
has '^[123]$'
[ "$(grep -c '^[123]$' "$dir/last")" -eq 30 ] || { echo "FAIL: predict wrote $(grep -c '^[123]$' "$dir/last") predictions"; failures=$((failures + 1)); }
# stdout alone (stderr says how the header line was read).
"$bp" predict "$dir/wine.bin" --csv "$dir/wine-x.csv" >"$dir/labels.csv" 2>/dev/null
expect 0 '' "$bp" predict "$dir/wine.bin" --csv "$dir/wine-x.csv" --proba --out "$dir/pred.csv"
expect 0 '^label,p_1,p_2,p_3$' cat "$dir/pred.csv"
has '^[123],[0-9.e-]+,[0-9.e-]+,[0-9.e-]+$'
# The values: each row's probabilities sum to 1 (a softmax; 3 values of 6
# digits each), its label is the class of the largest, the one predict
# without --proba gives that row.
expect 0 '' python3 -c 'import sys
rows = [l.split(",") for l in open(sys.argv[1]).read().split()[1:]]
labels = open(sys.argv[2]).read().split()[1:]
assert len(rows) == len(labels) == 30, (len(rows), len(labels))
for i, (row, label) in enumerate(zip(rows, labels)):
    p = [float(v) for v in row[1:]]
    assert abs(sum(p) - 1) < 1e-5, (i, p)
    assert row[0] == label == str(1 + p.index(max(p))), (i, row, label)' "$dir/pred.csv" "$dir/labels.csv"
cp "$dir/wine-x.csv" "$dir/keep.csv"
expect 2 'the same file as the input --csv' "$bp" predict "$dir/wine.bin" --csv "$dir/wine-x.csv" --out "$dir/wine-x.csv"
cmp -s "$dir/wine-x.csv" "$dir/keep.csv" || { echo "FAIL: predict changed its input"; failures=$((failures + 1)); }
# The test file still holds its label column, named as the model's: left
# out, the predictions are those of the features alone.
cut -d, -f1-13 "$dir/wine-test.csv" >"$dir/wine-test-x.csv"
"$bp" predict "$dir/wine.bin" --csv "$dir/wine-test-x.csv" >"$dir/test-x.out" 2>/dev/null
expect 0 '^label$' "$bp" predict "$dir/wine.bin" --csv "$dir/wine-test.csv"
cmp -s "$dir/out" "$dir/test-x.out" ||
    { echo "FAIL: predict with the label column in the file answered otherwise"; failures=$((failures + 1)); }
expect 2 "unknown option '--label-column'" "$bp" predict "$dir/wine.bin" --csv "$dir/wine-x.csv" \
    --label-column 0
expect 2 'needs the whole file' "$bp" predict "$dir/wine.bin" --csv "$dir/wine-x.csv" --impute mean
expect 2 'names the rows' "$bp" predict "$dir/wine.bin"
# Streaming: a million rows cost no more memory than a thousand (measured
# by the kernel's peak resident size of each run).
yes 1.5,2.5,-3.5,4.5,0.5,1,2,3,4,5,6,7,8 | head -n 1000000 >"$dir/big.csv"
head -n 1000 "$dir/big.csv" >"$dir/small.csv"
# Under AddressSanitizer freed blocks wait in a quarantine (256 MB by
# default) before reuse, which would count as resident here: none for this.
peak() {
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
    python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}
small=$(peak "$bp" predict "$dir/wine.bin" --csv "$dir/small.csv")
big=$(peak "$bp" predict "$dir/wine.bin" --csv "$dir/big.csv")
checks=$((checks + 1))
# 52 MB of floats if it were all loaded; allow 8 MiB of noise. Under
# AddressSanitizer the quarantine and shadow memory grow with the work
# done, whatever is kept: measured in the plain builds only.
if grep -qa __asan_init "$bp"; then
    echo "predict's memory: not measured under AddressSanitizer"
elif [ "$big" -gt $((small + 8192)) ]; then
    echo "FAIL: predict on 1e6 rows peaked at $big KiB, on 1e3 rows at $small KiB"
    failures=$((failures + 1))
fi

# --- regression -----------------------------------------------------------------
# Integer targets of many values: never a 200-class classifier by default.
expect 1 'distinct integers; is it a regression target\? Give --task regression' "$bp" train \
    --train-csv "$dir/reg-train.csv" --label-column last --epochs 1
expect 1 'past the limit of 10.*--max-classes 10' "$bp" train --train-csv "$dir/reg-train.csv" \
    --label-column last --task classification --max-classes 10 --epochs 1
expect 0 'test r2: 0\.9[0-9]*$' "$bp" train --train-csv "$dir/reg-train.csv" \
    --test-csv "$dir/reg-test.csv" --target-columns last --epochs 60 --save "$dir/reg.bin"
expect 0 '^r2 0\.9' "$bp" eval "$dir/reg.bin" --csv "$dir/reg-test.csv" --target-columns last
has 'mae '
cp "$dir/last" "$dir/eval.out"
expect 0 'task +regression' "$bp" info "$dir/reg.bin"
has 'target 0 +standardized: offset'
# Predictions in the targets' own units (around 100, not standardized).
expect 0 '^target_0$' "$bp" predict "$dir/reg.bin" --csv "$dir/reg-x.csv"
has '^-?[0-9]{2,3}\.'
# By value: predict's outputs for the test rows, against their targets, have
# the mean absolute error eval reports (eval prints 6 digits; predict 9).
mae=$(sed -n 's/^mae //p' "$dir/eval.out")
cut -d, -f1-5 "$dir/reg-test.csv" >"$dir/reg-test-x.csv"
expect 0 '' "$bp" predict "$dir/reg.bin" --csv "$dir/reg-test-x.csv" --out "$dir/reg-pred.csv"
expect 0 '' python3 -c 'import sys
predicted = [float(v) for v in open(sys.argv[1]).read().split()[1:]]
targets = [float(l.rsplit(",", 1)[1]) for l in open(sys.argv[2]).read().split()]
assert len(predicted) == len(targets) == 100
mae = sum(abs(p - t) for p, t in zip(predicted, targets)) / 100
assert abs(mae - float(sys.argv[3])) <= 1e-4 * float(sys.argv[3]), (mae, sys.argv[3])' \
    "$dir/reg-pred.csv" "$dir/reg-test.csv" "$mae"
expect 2 'is for --task regression' "$bp" train --train-csv "$dir/reg-train.csv" \
    --task classification --target-columns 5
expect 1 'quadratic cost' "$bp" train --train-csv "$dir/reg-train.csv" --target-columns last \
    --loss cross-entropy --epochs 1
expect 1 'is a regression' "$bp" predict "$dir/reg.bin" --csv "$dir/reg-x.csv" --proba

# --- CSV in the shape people have ---------------------------------------------
expect 1 'line 9, column 4: empty field' "$bp" train --train-csv "$dir/iris.csv" \
    --delimiter ';' --skip-columns 1 --label-column species --epochs 1
expect 0 'classes +3: setosa versicolor virginica' "$bp" train --train-csv "$dir/iris.csv" \
    --delimiter ';' --skip-columns 1 --label-column species --impute mean --epochs 5 \
    --val-split 0.2
has 'data: 120 training, 30 validation and 0 test'
has '^validation accuracy: '
has 'val loss'
expect 0 'early stopping: the model of epoch [0-9]+' "$bp" train --train-csv "$dir/iris.csv" \
    --delimiter ';' --skip-columns 1 --label-column species --impute mean --epochs 200 \
    --val-split 0.2 --early-stopping 2 --save "$dir/iris.bin"
expect 1 'no column of the header is named "kind"' "$bp" train --train-csv "$dir/iris.csv" \
    --delimiter ';' --label-column kind --epochs 1
expect 2 '--early-stopping needs --val-split' "$bp" train --train-csv "$dir/iris.csv" \
    --early-stopping 3
expect 2 'invalid --val-split' "$bp" train --train-csv "$dir/iris.csv" --val-split 1
expect 2 'invalid --delimiter' "$bp" train --train-csv "$dir/iris.csv" --delimiter ab
expect 2 'invalid --impute' "$bp" train --train-csv "$dir/iris.csv" --impute median
expect 2 '--skip-columns is for CSV data' "$bp" train --skip-columns 1
expect 2 'expected classification or regression' "$bp" train --task clustering
# --header takes a first line of numbers as names; --no-header as data.
expect 0 'data: 299 training' "$bp" train --train-csv "$dir/reg-train.csv" --target-columns last \
    --epochs 1 --header
expect 1 'line 1, column 1: not a number: "f0"' "$bp" eval "$dir/wine.bin" \
    --csv "$dir/wine-test.csv" --label-column last --no-header

# --- the input limit ------------------------------------------------------------
expect 1 'limit of 1024 bytes.*--max-input-bytes' "$bp" train --train-csv "$dir/wine-train.csv" \
    --label-column last --epochs 1 --max-input-bytes 1K

# --- strict numbers -------------------------------------------------------------
expect 1 'typo.csv, line 1, column 2: not a number' "$bp" train --train-csv "$dir/typo.csv" \
    --label-column last --epochs 1
expect 1 'mixes numbers \(5\) and words \(x7\)' "$bp" train --train-csv "$dir/typo-label.csv" \
    --label-column last --epochs 1
expect 1 'line 2, column 2: not a decimal number' "$bp" train --train-csv "$dir/hex.csv" \
    --label-column last --epochs 1
expect 1 'line 2, column 2: too small for a float' "$bp" train --train-csv "$dir/tiny.csv" \
    --label-column last --epochs 1
expect 1 'CR line endings' "$bp" train --train-csv "$dir/cr.csv" --label-column last --epochs 1
if grep -q "$(printf '\r')" "$dir/last"; then
    echo "FAIL: a raw CR in the message"
    failures=$((failures + 1))
fi

finish "cli data"
