#!/bin/sh
# The backprop program's results checked by value, where a count, a format or
# a message would pass a wrong answer: predict's rows in the file's order,
# early stopping's saved model that of the best epoch, --val-split a seeded
# sample of every class, and a second signal during a save that lets the
# save finish.
#   usage: test_cli_values.sh path/to/backprop path/to/held_out_rows \
#              path/to/signal_at_rename.so
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
usage="usage: test_cli_values.sh backprop held_out_rows signal_at_rename.so"
bp=$(absolute "${1:?$usage}")
held_out=$(absolute "${2:?$usage}")
shim=$(absolute "${3:?$usage}")
cd "$dir"

# run COMMAND...: a check that COMMAND exits with 0 (output to out and err).
run() {
    capture "$@"
    [ "$got" -eq 0 ] || fail "status $got: $*"
}

python3 - <<'PY'
import random
rng = random.Random(26)
names = ["cat", "dog", "owl"]
centers = [(0, 0, 0, 0), (1, 0, 1, 0), (0, 1, 1, 1)]

def row(c, noise):
    return [round(v + rng.gauss(0, noise), 4) for v in centers[c]]

def write(name, rows, header=True, labels=True):
    with open(name, "w") as f:
        if header:
            f.write("f0,f1,f2,f3" + (",label" if labels else "") + "\n")
        for x, c in rows:
            f.write(",".join(map(str, x)) + ("," + names[c] if labels else "") + "\n")

# predict: 700 rows (two whole blocks of 256 and a part), classes drawn at
# random and 10 deviations apart, so that a trained model is right on every
# row and any reordering of rows shows.
rows = [(row(c, 0.05), c) for c in (rng.randrange(3) for _ in range(700))]
write("clean.csv", rows)
write("clean-x.csv", rows, labels=False)
with open("clean-labels", "w") as f:
    f.write("".join(names[c] + "\n" for _, c in rows))
# Early stopping and the split: overlapping classes (one deviation apart),
# on which a network overfits within a few epochs, in a file sorted by class.
write("noisy.csv", [(row(c, 1.0), c) for c in range(3) for _ in range(100)])
PY

# rows FILE INDICES: the header of FILE, then its data rows whose 0-based
# indices are listed (one a line) in INDICES, in that order.
rows() {
    awk 'NR == FNR { keep[n++] = $1 + 2; next } FNR == 1 { print } { line[FNR] = $0 }
        END { for (i = 0; i < n; i++) print line[keep[i]] }' "$2" "$1"
}

# metric FILE EPOCH KEY: the metrics file's value of KEY at EPOCH (0: the
# epoch of the lowest test_loss, the first of them).
metric() {
    python3 -c 'import json, sys
epochs = json.load(open(sys.argv[1]))["epochs"]
n = int(sys.argv[2]) or min(epochs, key=lambda e: e["test_loss"])["epoch"]
print([e for e in epochs if e["epoch"] == n][0][sys.argv[3]])' "$@"
}

# same_score WHAT FILE EPOCH: eval's output (in out) has the loss and
# accuracy of EPOCH in the metrics FILE. The metrics hold 9 digits,
# eval prints 4: the accuracy must print the same, the loss within 1.5e-4
# (half a unit of the 4th decimal from eval's rounding, and float rounding
# of a mean of under 100 terms evaluated in other batches, far below 1e-4).
same_score() {
    checks=$((checks + 1))
    want_loss=$(metric "$2" "$3" test_loss)
    want_accuracy=$(metric "$2" "$3" test_accuracy)
    python3 -c 'import sys
loss, accuracy, want_loss, want_accuracy = sys.argv[1:]
sys.exit(not (abs(float(loss) - float(want_loss)) <= 1.5e-4
              and accuracy == "%.4f" % float(want_accuracy)))' \
        "$(sed -n 's/^loss //p' out)" "$(sed -n 's/^accuracy //p' out)" \
        "$want_loss" "$want_accuracy" ||
        fail "$1: eval says loss $(sed -n 's/^loss //p' out), accuracy" \
            "$(sed -n 's/^accuracy //p' out); the metrics of epoch $3 say $want_loss, $want_accuracy"
}

# --- 1. predict: each row's prediction on its own line ---------------------------
# The file is read 256 rows at a time: every row of 700 is compared with its
# own label, by position.
run "$bp" train --train-csv clean.csv --label-column last --epochs 20 --quiet --save clean.bin
run "$bp" eval clean.bin --csv clean.csv --label-column last
grep -qx 'accuracy 1.0000' out || fail "the model is not right on every row of clean.csv"
run "$bp" predict clean.bin --csv clean-x.csv --out predictions.csv
checks=$((checks + 1))
tail -n +2 predictions.csv >predicted
if [ "$(wc -l <predicted)" -ne 700 ]; then
    fail "predict wrote $(wc -l <predicted) rows of 700"
elif ! cmp -s predicted clean-labels; then
    fail "predict's row $(cmp predicted clean-labels | sed 's/.*line //') is not that row's" \
        "prediction: $(paste -d ' ' predicted clean-labels | awk '$1 != $2' | wc -l) of 700" \
        "rows differ from their labels"
fi

# --- 2. early stopping saves the best epoch's model -----------------------------
# The saved model, evaluated on the held-out rows, scores what the metrics
# file says of the epoch of the lowest validation loss; the run went on past
# it (or nothing was tested).
run "$bp" train --train-csv noisy.csv --label-column last --val-split 0.25 --seed 5 \
    --epochs 300 --early-stopping 3 --metrics es.json --save es.bin --save-optimizer es.opt
best=$(metric es.json 0 epoch)
# The optimizer state saved beside the model is the same epoch's: its step
# count t (bytes 68..75 of the file) is best x the batches of an epoch (it
# was the last epoch's before).
per_epoch=$(sed -n 's/.* of \([0-9]*\) batches of .*/\1/p' out)
steps=$(python3 -c 'import struct, sys; print(struct.unpack_from("<Q", open(sys.argv[1], "rb").read(), 68)[0])' es.opt)
checks=$((checks + 1))
[ "$steps" = $((best * per_epoch)) ] ||
    fail "the saved optimizer took $steps steps; the model is epoch $best's, $((best * per_epoch)) steps"
last=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["epochs"][-1]["epoch"])' es.json)
checks=$((checks + 1))
grep -q "^early stopping: the model of epoch $best (" out ||
    fail "the lowest validation loss is epoch $best's; train said: $(grep '^early' out)"
checks=$((checks + 1))
[ "$last" -eq $((best + 3)) ] || fail "the run stopped at epoch $last, the best was $best"
checks=$((checks + 1))
python3 -c 'import sys; sys.exit(abs(float(sys.argv[1]) - float(sys.argv[2])) < 1e-3)' \
    "$(metric es.json "$last" test_loss)" "$(metric es.json "$best" test_loss)" ||
    fail "epochs $best and $last have validation losses too close to tell the models apart"
"$held_out" 300 0.25 5 >es-held-out
rows noisy.csv es-held-out >es-val.csv
run "$bp" eval es.bin --csv es-val.csv --label-column last
same_score "the saved model on the validation rows" es.json "$best"

# --- 3. --val-split: a seeded sample of every class -----------------------------
# noisy.csv is sorted by class (rows 0-99, 100-199, 200-299): the rows held
# out cover each class, and another seed holds out others. The program's
# validation set is those rows: its last epoch's validation scores are the
# saved model's on them.
checks=$((checks + 1))
"$held_out" 300 0.2 1 >held-1
"$held_out" 300 0.2 1 >held-1-again
"$held_out" 300 0.2 2 >held-2
classes=$(awk '{ seen[int($1 / 100)] = 1 } END { print length(seen) }' held-1)
[ "$(wc -l <held-1)" -eq 60 ] || fail "--val-split 0.2 of 300 rows held out $(wc -l <held-1)"
[ "$classes" -eq 3 ] || fail "--val-split 0.2 --seed 1 held out rows of $classes of the 3 classes" \
    "of a file sorted by class: $(sort -n held-1 | tr '\n' ' ')"
classes=$(awk '{ seen[int($1 / 100)] = 1 } END { print length(seen) }' held-2)
[ "$classes" -eq 3 ] || fail "--val-split 0.2 --seed 2 held out rows of $classes of the 3 classes"
cmp -s held-1 held-1-again || fail "--seed 1 held out other rows the second time"
sort held-1 >held-1-sorted
sort held-2 >held-2-sorted
[ "$(comm -12 held-1-sorted held-2-sorted | wc -l)" -lt 30 ] ||
    fail "--seed 1 and --seed 2 held out mostly the same rows"
run "$bp" train --train-csv noisy.csv --label-column last --val-split 0.2 --seed 1 --epochs 4 \
    --metrics split.json --save split.bin
grep -q '^data: 240 training, 60 validation' out || fail "the split is not 240 and 60 rows"
rows noisy.csv held-1 >split-val.csv
run "$bp" eval split.bin --csv split-val.csv --label-column last
same_score "the --seed 1 validation rows" split.json 4

# --- 4. a second signal during a save lets the save finish -----------------------
# The first SIGTERM stops training after its batch; the program then saves
# the model. The shim raises the second SIGTERM in the saving thread just
# before the temporary file is renamed over sig.bin, every time: the program
# must still rename it, then exit with 143. sig.bin is then the new model,
# whole; no temporary file is left.
run "$bp" train --train-csv clean.csv --label-column last --epochs 1 --quiet --save sig.bin
cp sig.bin sig.old
checks=$((checks + 1))
# (No env(1) in between: $! is the program, and valgrind's --trace-children
# follows it.)
LD_PRELOAD="$shim" BP_TEST_SIGTERM_BEFORE_RENAME_TO=sig.bin "$bp" train --train-csv clean.csv \
    --label-column last --epochs 100000 --batch 1 --threads 1 --save sig.bin >out 2>err &
pid=$!
# The first SIGTERM once training runs (an epoch reported; 100000 epochs
# outlast any wait here).
tries=0
until grep -q '^epoch 1/' out || [ "$tries" -ge 600 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
kill -s TERM "$pid"
set +e
wait "$pid"
got=$?
set -e
if [ "$got" -ne 143 ]; then
    fail "a second SIGTERM during the save: status $got, expected 143"
elif ! grep -q "^signal_at_rename: SIGTERM with sig.bin.tmp.* on disk" err; then
    fail "the second SIGTERM was not raised with the temporary file on disk"
elif ls ./*.tmp.* >/dev/null 2>&1; then
    fail "a second SIGTERM during the save left $(ls ./*.tmp.*)"
elif ! "$bp" info sig.bin >/dev/null 2>&1; then
    fail "a second SIGTERM during the save left a model that does not load"
elif cmp -s sig.bin sig.old; then
    fail "a second SIGTERM during the save left the old model: the save did not finish"
fi

finish "cli values"
