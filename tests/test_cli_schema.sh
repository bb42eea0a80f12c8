#!/bin/sh
# The traps of issue 22's data half, each as a hostile new user meets them on
# the CLI: labels are text, the header rule never guesses, a model knows its
# columns (predict, eval, info, resume), predict writes RFC 4180 CSV, and a
# duplicate name never picks a column. Each check failed (exit 0 with a
# wrong answer) before the fix.
#   usage: test_cli_schema.sh path/to/backprop
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bp=${1:?usage: test_cli_schema.sh path/to/backprop}

python3 - "$dir" <<'PY'
import random, sys
d = sys.argv[1]
rng = random.Random(5)

def write(name, text):
    with open(f"{d}/{name}", "w") as f:
        f.write(text)

# Two classes spelled "01" and "1" (the same number): x > 0 is "01".
rows = [(x, "01" if x > 0 else "1") for x in (rng.uniform(-1, 1) for _ in range(200))]
write("spell.csv", "x,code\n" + "".join(f"{x:.4f},{c}\n" for x, c in rows))
# "007" and "7": the class comes back as written.
write("bond.csv", "x,agent\n" + "".join(f"{x:.4f},{'007' if x > 0 else '7'}\n"
                                         for x, _ in rows))
# One class only.
write("one.csv", "x,code\n" + "".join(f"{x:.4f},01\n" for x, _ in rows))
# A missing label (NA) on line 4, and a "?" on line 6.
lines = ["x,y\n"] + [f"{x:.4f},{'a' if x > 0 else 'b'}\n" for x, _ in rows]
lines[3] = lines[3].split(",")[0] + ",NA\n"
lines[5] = lines[5].split(",")[0] + ",?\n"
write("na.csv", "".join(lines))

# Height and weight: tall people are heavy. Columns height,weight,size.
people = []
for _ in range(300):
    tall = rng.random() < 0.5
    h = rng.gauss(190 if tall else 160, 5)
    w = rng.gauss(50, 5)  # no information
    people.append((h, w, "tall" if tall else "short"))
write("people.csv", "height,weight,size\n" + "".join(f"{h:.1f},{w:.1f},{s}\n" for h, w, s in people))
# The same file, its columns reordered.
write("people-reordered.csv",
      "size,weight,height\n" + "".join(f"{s},{w:.1f},{h:.1f}\n" for h, w, s in people))
# To predict: a tall person then a short one, weight first.
write("ask.csv", "weight,height\n50,192\n50,158\n")
write("ask-missing.csv", "weight\n50\n")
write("ask-unknown.csv", "weight,height,age\n50,192,30\n")
write("ask-noheader.csv", "192,50\n158,50\n")
# No header: the label first, then the inputs in the model's order.
write("people-noheader.csv", "".join(f"{s},{h:.1f},{w:.1f}\n" for h, w, s in people))
# A regression whose target is not the first column: y = x1 - x2.
pairs = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(300)]
write("minus.csv", "x1,x2,y\n" + "".join(f"{a:.4f},{b:.4f},{a - b:.4f}\n" for a, b in pairs))

# Three classes a, b, c; then data of only a and c for fine-tuning.
def abc(n, classes):
    out = []
    for i in range(n):
        c = classes[i % len(classes)]
        k = "abc".index(c)
        out.append(f"{k * 3 + rng.gauss(0, 0.3):.4f},{c}\n")
    return out
write("abc.csv", "x,letter\n" + "".join(abc(300, "abc")))
write("ac.csv", "x,letter\n" + "".join(abc(100, "ac")))
write("abd.csv", "x,letter\n" + "".join(abc(10, "ab")) + "1.0,d\n")
write("b.csv", "x\n3.0\n3.1\n")

# Class names that need quoting in CSV: a comma and a quote.
BIG, HI = 'big, red', 'say "hi"'
write("quote.csv", "x;kind\n" + "".join(f"{x:.4f};{BIG if x > 0 else HI}\n" for x, _ in rows))
write("quote-x.csv", "x\n0.9\n-0.9\n")

# Two columns named y.
write("twins.csv", "x,y,y\n" + "".join(f"{x:.4f},{2 * x:.4f},{-x:.4f}\n" for x, _ in rows))
# Duplicate feature names, label by name.
write("twin-features.csv", "a,a,label\n" + "".join(f"{x:.4f},{x:.4f},{'p' if x > 0 else 'n'}\n"
                                                   for x, _ in rows))
PY

# --- labels are text -------------------------------------------------------
expect 0 'classes +2: 01 1' "$bp" train --train-csv "$dir/spell.csv" --label-column last \
    --epochs 5 --save "$dir/spell.bin"
expect 0 'classes +2: 01 1' "$bp" info "$dir/spell.bin"
expect 0 'accuracy (0\.9|1\.0)' "$bp" eval "$dir/spell.bin" --csv "$dir/spell.csv" \
    --label-column last
expect 0 'classes +2: 7 007|classes +2: 007 7' "$bp" train --train-csv "$dir/bond.csv" \
    --label-column last --epochs 5 --save "$dir/bond.bin"
printf 'x\n0.9\n' >"$dir/bond-x.csv"
expect 0 '' "$bp" predict "$dir/bond.bin" --csv "$dir/bond-x.csv"
grep -qx '007' "$dir/out" || fail "predict gave $(tail -n 1 "$dir/out"), not 007"
expect 1 'every label is "01": one class; a classifier needs two or more' "$bp" train \
    --train-csv "$dir/one.csv" --label-column last --epochs 1
expect 1 'line 4, column 2: the label is missing \("NA"\)' "$bp" train --train-csv "$dir/na.csv" \
    --label-column last --epochs 1
expect 1 'line 4, column 2: the label is missing' "$bp" train --train-csv "$dir/na.csv" \
    --label-column last --epochs 1 --impute mean
expect 0 'data: 198 training' "$bp" train --train-csv "$dir/na.csv" --label-column last \
    --epochs 1 --drop-missing-labels

# --- the header rule never guesses --------------------------------------------
expect 0 'training accuracy: (0\.9[5-9]|1\.0)' "$bp" train --train-csv "$dir/people.csv" \
    --label-column size --epochs 20 --save "$dir/people.bin"
printf '0,1\n2,0\n1,1\n' >"$dir/rows.csv"
expect 1 'rows.csv, line 1: "0,1" could be a header' "$bp" predict "$dir/people.bin" \
    --csv "$dir/rows.csv"
expect 0 'no header line; line 1 read as data' "$bp" predict "$dir/people.bin" \
    --csv "$dir/rows.csv" --no-header
[ "$(grep -cE '^(tall|short)$' "$dir/out")" -eq 3 ] || fail "predict answered $(grep -cE '^(tall|short)$' "$dir/out") of 3 rows"

# --- a model knows its columns -------------------------------------------------
expect 0 'columns +2 inputs by name: height weight' "$bp" info "$dir/people.bin"
expect 0 'label +size' "$bp" info "$dir/people.bin"
expect 0 'line 1 read as a header; columns matched' "$bp" predict "$dir/people.bin" \
    --csv "$dir/ask.csv"
[ "$(sed -n 2p "$dir/out")" = tall ] && [ "$(sed -n 3p "$dir/out")" = short ] ||
    fail "predict on reordered columns answered $(tr '\n' ' ' <"$dir/out")"
expect 0 'accuracy (0\.9[5-9]|1\.0)' "$bp" eval "$dir/people.bin" \
    --csv "$dir/people-reordered.csv" --label-column size
# Without --label-column, a file with a header has its label where the
# model's had it, by the stored name (before: column 0, "height", and then
# "size" was an unknown input); without a header, column 0 as ever.
expect 0 'accuracy (0\.9[5-9]|1\.0)' "$bp" eval "$dir/people.bin" --csv "$dir/people.csv"
expect 0 'accuracy (0\.9[5-9]|1\.0)' "$bp" eval "$dir/people.bin" --csv "$dir/people-noheader.csv"
has 'no header, but the model knows'
# A header that renamed the label column (first, as "Size"): column 0, as
# before the stored names were used.
sed '1s/^size,/Size,/' "$dir/people-reordered.csv" >"$dir/people-renamed.csv"
expect 0 'accuracy (0\.9[5-9]|1\.0)' "$bp" eval "$dir/people.bin" --csv "$dir/people-renamed.csv"
# From a pipe, nothing is read twice: the label where the options say.
expect 0 'accuracy (0\.9[5-9]|1\.0)' sh -c 'cat "$2" | "$0" eval "$1" --csv /dev/stdin' \
    "$bp" "$dir/people.bin" "$dir/people-reordered.csv"
# predict on the training file itself: its label column, named as the
# model's, is left out (before: '"size", is not one of the model's 2 inputs').
expect 0 'columns matched' "$bp" predict "$dir/people.bin" --csv "$dir/people.csv"
cp "$dir/out" "$dir/with-label.out"
cut -d, -f1,2 "$dir/people.csv" >"$dir/people-features.csv"
expect 0 'columns matched' "$bp" predict "$dir/people.bin" --csv "$dir/people-features.csv"
cmp -s "$dir/out" "$dir/with-label.out" ||
    fail "predict with the label column in the file answered otherwise than without it"
expect 0 'training' "$bp" train --train-csv "$dir/minus.csv" --target-columns y --epochs 30 \
    --save "$dir/minus.bin"
expect 0 'loss' "$bp" eval "$dir/minus.bin" --csv "$dir/minus.csv"
expect 1 'no column of the header is named "height", input 1 of the model' "$bp" predict \
    "$dir/people.bin" --csv "$dir/ask-missing.csv"
expect 1 'column 3 of the header, "age", is not one of the model.s 2 inputs' "$bp" predict \
    "$dir/people.bin" --csv "$dir/ask-unknown.csv"
expect 0 'warning: .*ask-noheader.csv has no header, but the model knows its columns' "$bp" \
    predict "$dir/people.bin" --csv "$dir/ask-noheader.csv"
[ "$(sed -n 2p "$dir/out")" = tall ] || fail "predict by position answered $(sed -n 2p "$dir/out")"
# The test set of a training run is matched by name too.
expect 0 'test accuracy: (0\.9[5-9]|1\.0)' "$bp" train --train-csv "$dir/people.csv" \
    --test-csv "$dir/people-reordered.csv" --label-column size --epochs 20

# --- --resume MODEL keeps the model's preprocessing and classes ---------------------
expect 0 '' "$bp" train --train-csv "$dir/abc.csv" --label-column last --epochs 30 \
    --save "$dir/abc.bin"
expect 0 'kept from .*abc.bin' "$bp" train --train-csv "$dir/ac.csv" --label-column last \
    --epochs 2 --resume "$dir/abc.bin" --save "$dir/ac.bin"
expect 0 'classes +3: a b c' "$bp" info "$dir/ac.bin"
expect 0 '' "$bp" predict "$dir/ac.bin" --csv "$dir/b.csv"
[ "$(sed -n 2p "$dir/out")" = b ] || fail "the fine-tuned model answers $(sed -n 2p "$dir/out") for b"
"$bp" info "$dir/abc.bin" | grep -E '^inputs' >"$dir/scaler-before"
"$bp" info "$dir/ac.bin" | grep -E '^inputs' >"$dir/scaler-after"
cmp -s "$dir/scaler-before" "$dir/scaler-after" || fail "resume changed the scaling"
expect 1 'line 12.*label "d" is not one of the 3 classes' "$bp" train --train-csv "$dir/abd.csv" \
    --label-column last --epochs 1 --resume "$dir/abc.bin"

# --- predict writes RFC 4180 CSV ------------------------------------------------------
expect 0 '' "$bp" train --train-csv "$dir/quote.csv" --delimiter ';' --label-column last \
    --epochs 10 --save "$dir/quote.bin"
expect 0 '' "$bp" predict "$dir/quote.bin" --csv "$dir/quote-x.csv" --proba --out "$dir/quote-out.csv"
/usr/bin/python3 - "$dir/quote-out.csv" <<'PY' || fail "predict's output is not the CSV it should be"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
names = {'big, red', 'say "hi"'}
assert all(len(r) == 3 for r in rows), rows
assert set(h[2:] for h in rows[0][1:]) == names, rows[0]
assert rows[1][0] == 'big, red' and rows[2][0] == 'say "hi"', rows
PY

# --- a duplicate name never picks a column -------------------------------------------
expect 1 'columns 2 and 3 of the header are both named "y"' "$bp" train \
    --train-csv "$dir/twins.csv" --task regression --target-columns y --epochs 1
expect 1 'columns 2 and 3 of the header are both named "y"' "$bp" train \
    --train-csv "$dir/twins.csv" --label-column y --epochs 1
expect 0 'warning: .*keeps no names' "$bp" train --train-csv "$dir/twin-features.csv" \
    --label-column label --epochs 1 --save "$dir/twins.bin"
expect 0 'columns +not recorded' "$bp" info "$dir/twins.bin"

finish "cli schema"
