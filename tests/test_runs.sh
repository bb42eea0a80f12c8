#!/bin/sh
# A run's files tell the truth: a checkpoint directory belongs to one run
# (its manifest, its lock), a stop under early stopping saves the best
# epoch's model, predict leaves no temporary file and keeps --out's mode, a
# regression's metrics hold MSE, MAE and R^2, and a network too large for
# the memory cap is refused before it is made.
#   usage: test_runs.sh path/to/backprop
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bp=$(absolute "${1:?usage: test_runs.sh path/to/backprop}")
cd "$dir"

# expect_named NAME STATUS PATTERN COMMAND...: COMMAND's status is STATUS and
# its stderr matches PATTERN (extended regex); stdout in out, stderr in err.
expect_named() {
    name=$1 want=$2 pattern=$3
    shift 3
    capture "$@"
    if [ "$got" -ne "$want" ]; then
        fail "$name: status $got, expected $want"
    elif [ -n "$pattern" ] && ! grep -qE -- "$pattern" err; then
        fail "$name: stderr lacks /$pattern/"
    else
        echo "ok: $name"
    fi
}

# wait_for_epochs FILE N: until the metrics file FILE holds N epochs (60 s at most).
wait_for_epochs() {
    python3 - "$1" "$2" <<'PY'
import json, sys, time
deadline = time.time() + 60
while time.time() < deadline:
    try:
        if len(json.load(open(sys.argv[1]))["epochs"]) >= int(sys.argv[2]):
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.005)
sys.exit(1)
PY
}

python3 - <<'PY'
import random
r = random.Random(1)
def classes(name, n, seed):
    r = random.Random(seed)
    with open(name, "w") as f:
        f.write("a,b,c,y\n")
        for _ in range(n):
            x = [r.uniform(-1, 1) for _ in range(3)]
            f.write(",".join("%.4f" % v for v in x) + ",%s\n" % ("p" if x[0] + x[1] > 0 else "q"))
classes("d.csv", 200, 1)
classes("other.csv", 200, 2)
# Labels drawn at random: the validation loss is lowest after a few epochs,
# then rises as the network learns the noise.
with open("noise.csv", "w") as f:
    f.write("a,b,y\n")
    for _ in range(60):
        f.write("%.4f,%.4f,%s\n" % (r.uniform(-1, 1), r.uniform(-1, 1), r.choice("pq")))
# A regression: y = 3a - 2b + 10 + noise.
for name, n in (("reg.csv", 300), ("reg-test.csv", 100)):
    with open(name, "w") as f:
        f.write("a,b,y\n")
        for _ in range(n):
            a, b = r.uniform(-1, 1), r.uniform(-1, 1)
            f.write("%.4f,%.4f,%.4f\n" % (a, b, 3 * a - 2 * b + 10 + r.gauss(0, 0.1)))
# 4 MB: 2 rows of a label and 999 999 features.
with open("wide.csv", "w") as f:
    for row in range(2):
        f.write(str(row) + "," + ",".join(["0"] * 999999) + "\n")
PY

# --- 1. a checkpoint directory belongs to one run --------------------------------
run() {
    "$bp" train --train-csv d.csv --label-column last --schedule constant --threads 1 --workers 1 "$@"
}
run --layers 3,8,2 --epochs 2 --checkpoint ck --quiet >/dev/null
[ -f ck/manifest ] && [ -f ck/epoch-000002/model.bin ] || fail "no manifest or checkpoint: $(ls ck)"
sums ck/manifest ck/epoch-000002/model.bin ck/epoch-000002/optimizer.bin >ck.before
expect_named "a 3-4-2 run does not resume a 3-8-2 run's directory" 2 \
    "another run's .*--layers 3,4,2 here, 3,8,2 there" \
    run --layers 3,4,2 --epochs 3 --checkpoint ck --resume ck
expect_named "nor with other data" 2 "--train-csv $dir/other.csv \(4[0-9]+ bytes\) here, $dir/d.csv \(4[0-9]+ bytes\) there" \
    "$bp" train --train-csv other.csv --label-column last --schedule constant --epochs 3 --resume ck
expect_named "nor with another seed and batch" 2 "--batch 16 here, 32 there; --seed 2 here, 1 there" \
    run --epochs 3 --resume ck --seed 2 --batch 16
expect_named "nor with another learning rate" 2 "--lr 0.5 here, 0.00100000005 there" \
    run --epochs 3 --resume ck --lr 0.5
expect_named "a new run refuses the used directory at start" 1 \
    "--checkpoint ck: not empty \(.*\): a new run starts in an empty directory" \
    run --layers 3,8,2 --epochs 3 --checkpoint ck
grep -q '^epoch ' out && fail "the new run trained before refusing the directory"
sums ck/manifest ck/epoch-000002/model.bin ck/epoch-000002/optimizer.bin >ck.after
cmp -s ck.before ck.after || fail "a refused run changed the directory: $(diff ck.before ck.after)"
expect_named "the run itself resumes, its network given or not" 0 "" \
    run --layers 3,8,2 --epochs 3 --checkpoint ck --resume ck --quiet
expect_named "the run itself resumes again" 0 "" run --epochs 4 --checkpoint ck --resume ck --quiet
[ -f ck/epoch-000004/model.bin ] || fail "no epoch 4 after resuming: $(ls ck)"
expect_named "a run resumed into a new directory" 0 "" run --epochs 5 --checkpoint ck2 --resume ck --quiet
cmp -s ck/manifest ck2/manifest || fail "the new directory's manifest is not the run's"
cp -r ck ck-old && rm -f ck-old/manifest
expect_named "a directory without a manifest" 1 "nothing says which run .*--resume ck-old/epoch-NNNNNN/model.bin" \
    run --epochs 5 --resume ck-old

# --- 2. one run per directory -------------------------------------------------------
# A slow run (batch 1, a wide layer) holds lk; a second run into lk, even
# one resuming it, fails at once, and the first keeps its checkpoints.
slow="--batch 1 --epochs 100000 --metrics slow.json"
# shellcheck disable=SC2086
(exec "$bp" train --train-csv d.csv --label-column last --schedule constant --threads 1 \
    --workers 1 --layers 3,512,2 $slow --checkpoint lk --quiet >/dev/null 2>&1) &
first=$!
wait_for_epochs slow.json 1 || fail "the first run wrote no epoch"
# (the first checkpoint: each one removes the one before)
while ! ls -d lk/epoch-* >/dev/null 2>&1 && kill -0 "$first" 2>/dev/null; do sleep 0.05; done
# shellcheck disable=SC2086
expect_named "a second run resuming a directory in use" 1 "--checkpoint lk: another run \(process $first\) is using the directory" \
    timeout 20 "$bp" train --train-csv d.csv --label-column last --schedule constant --threads 1 \
    --workers 1 $slow --resume lk --checkpoint lk
# shellcheck disable=SC2086
expect_named "a second run reading a directory in use" 1 "--resume lk: another run \(process $first\) is using" \
    timeout 20 "$bp" train --train-csv d.csv --label-column last --schedule constant --threads 1 \
    --workers 1 $slow --resume lk --checkpoint lk-copy
kill -0 "$first" 2>/dev/null || fail "the first run did not go on"
kill -TERM "$first" 2>/dev/null || true
wait "$first" || true
[ "$(find lk -name 'epoch-*' | wc -l)" -eq 1 ] || fail "lk holds $(ls lk)"
"$bp" info lk/epoch-*/model.bin >/dev/null 2>&1 || fail "the first run's last checkpoint does not load"
# Two new runs started together into one new directory: one trains, the
# other is refused (in use, or not empty when it came second).
checks=$((checks + 1))
for i in 1 2; do
    (exec "$bp" train --train-csv d.csv --label-column last --layers 3,64,2 --batch 1 --epochs 20 \
        --threads 1 --workers 1 --checkpoint race --quiet >"race$i.out" 2>"race$i.err") &
    eval "pid$i=\$!"
done
set +e
wait "$pid1"; s1=$?
wait "$pid2"; s2=$?
set -e
if [ "$s1$s2" = 01 ]; then loser=2; elif [ "$s1$s2" = 10 ]; then loser=1; else loser=; fi
if [ -z "$loser" ]; then
    fail "two runs into one directory: statuses $s1 and $s2: $(cat race1.err race2.err)"
elif ! grep -qE 'another run( \(process [0-9]+\))? is using|a new run starts in an empty' "race$loser.err"; then
    fail "the refused run says: $(cat "race$loser.err")"
else
    echo "ok: two runs into one directory: one trained, one refused"
fi

# --- 3. early stopping saves the best epoch's model, whatever stops the run --------------
es() {
    "$bp" train --train-csv noise.csv --label-column last --layers 2,64,64,2 --lr 0.003 --seed 3 \
        --schedule constant --val-split 0.5 --early-stopping 100000 --batch 8 --threads 1 \
        --workers 1 --quiet "$@"
}
# best_epoch FILE: the epoch of the lowest validation loss in a metrics file.
best_epoch() {
    python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))["epochs"]
best = min(e, key=lambda r: r["test_loss"])
assert best["epoch"] < len(e) - 10, "the loss did not rise after its best epoch"
print(best["epoch"])' "$1"
}
# A SIGTERM 40 epochs in: the model of the best epoch, the same bytes as a
# run of just that many epochs (one process, one kernel, one shape: the
# same parameters bit for bit).
(exec "$bp" train --train-csv noise.csv --label-column last --layers 2,64,64,2 --lr 0.003 --seed 3 \
    --schedule constant --val-split 0.5 --early-stopping 100000 --batch 8 --threads 1 --workers 1 \
    --quiet --epochs 100000 --save es-signal.bin --metrics es-signal.json >out 2>err) &
pid=$!
wait_for_epochs es-signal.json 40 || fail "the early-stopping run wrote no 40 epochs"
kill -TERM "$pid"
set +e
wait "$pid"
got=$?
set -e
checks=$((checks + 1))
best=$(best_epoch es-signal.json) || fail "no best epoch before the signal"
es --epochs "$best" --save es-best.bin >/dev/null
if [ "$got" -ne 143 ]; then
    fail "SIGTERM under early stopping: status $got"
elif ! grep -q "saved the model of epoch $best (the lowest val loss" err; then
    fail "SIGTERM under early stopping: the message does not name epoch $best"
elif ! cmp -s es-best.bin es-signal.bin; then
    fail "SIGTERM under early stopping: the model saved is not epoch $best's"
else
    echo "ok: SIGTERM under early stopping saved epoch $best's model"
fi
# A checkpoint that fails (a file where the next epoch's directory goes):
# the same.
mkdir esck
(exec "$bp" train --train-csv noise.csv --label-column last --layers 2,64,64,2 --lr 0.003 --seed 3 \
    --schedule constant --val-split 0.5 --early-stopping 100000 --batch 8 --threads 1 --workers 1 \
    --quiet --epochs 100000 --save es-ck.bin --metrics es-ck.json --checkpoint esck >out 2>err) &
pid=$!
wait_for_epochs es-ck.json 30 || fail "the checkpointing run wrote no 30 epochs"
: >esck/epoch-000300
set +e
wait "$pid"
got=$?
set -e
checks=$((checks + 1))
best=$(best_epoch es-ck.json) || fail "no best epoch before the failed checkpoint"
es --epochs "$best" --save es-best.bin >/dev/null
if [ "$got" -ne 1 ] || ! grep -q "cannot rename" err; then
    fail "a failed checkpoint under early stopping: status $got"
elif ! grep -q "saved the model of epoch $best (the lowest val loss" err; then
    fail "a failed checkpoint under early stopping: the message does not name epoch $best"
elif ! cmp -s es-best.bin es-ck.bin; then
    fail "a failed checkpoint under early stopping: the model saved is not epoch $best's"
else
    echo "ok: a failed checkpoint under early stopping saved epoch $best's model"
fi

# --- 4. predict: no temporary file after a signal; --out keeps its mode ----------------
run --epochs 2 --save m.bin --quiet >/dev/null
python3 -c 'import sys
with open("big.csv", "w") as f:
    f.write("a,b,c\n")
    f.write("0.1,0.2,0.3\n" * 600000)'
for sig in INT TERM; do
    checks=$((checks + 1))
    # Python starts predict, so SIGINT is not ignored as in a background job.
    if python3 - "$bp" "$sig" <<'PY'; then echo "ok: SIG$sig during predict leaves no temporary file"; else fail "SIG$sig during predict"; fi
import glob, signal, subprocess, sys, time
sig = getattr(signal, "SIG" + sys.argv[2])
p = subprocess.Popen([sys.argv[1], "predict", "m.bin", "--csv", "big.csv", "--out", "pred.csv"])
while not glob.glob("pred.csv.tmp.*") and p.poll() is None:
    time.sleep(0.001)
if p.poll() is not None:
    sys.exit("predict ended before the signal")
p.send_signal(sig)
status = p.wait()
left = glob.glob("pred.csv.tmp.*")
if status != -sig or left:
    sys.exit("status %d, left %s" % (status, left))
PY
    rm -f pred.csv.tmp.*
done
head -n 100 big.csv >small.csv
for mode in 644 640; do
    checks=$((checks + 1))
    : >"mode$mode.csv"
    chmod "$mode" "mode$mode.csv"
    "$bp" predict m.bin --csv small.csv --out "mode$mode.csv" >/dev/null
    [ "$(stat -c %a "mode$mode.csv")" = "$mode" ] ||
        fail "predict --out turned a $mode file into $(stat -c %a "mode$mode.csv")"
done
rm -f new.csv
"$bp" predict m.bin --csv small.csv --out new.csv >/dev/null
[ "$(stat -c %a new.csv)" = 644 ] || fail "predict --out made a new file $(stat -c %a new.csv)"

# --- 5. a regression's metrics: MSE, MAE and R^2 of each set, each epoch ----------------
expect_named "a regression with validation and test sets" 0 "" \
    "$bp" train --train-csv reg.csv --test-csv reg-test.csv --target-columns y --val-split 0.2 \
    --epochs 4 --threads 1 --metrics reg.json --quiet
checks=$((checks + 1))
python3 - reg.json out <<'PY' || fail "the regression's metrics"
import json, re, sys
epochs = json.load(open(sys.argv[1]))["epochs"]
assert len(epochs) == 4, len(epochs)
for e in epochs:
    for s in ("train", "val", "test"):
        for m in ("mse", "mae", "r2"):
            assert isinstance(e[f"{s}_{m}"], float), (e["epoch"], s, m, e)
        assert e[f"{s}_mse"] >= e[f"{s}_mae"] ** 2 * 0.999999, e  # mean of squares >= square of mean
# The last epoch's test scores are the ones train prints at the end.
text = open(sys.argv[2]).read()
mse, mae = map(float, re.search(r"test mse (\S+) mae (\S+)", text).groups())
r2 = float(re.search(r"test r2: (\S+)", text).group(1))
last = epochs[-1]
# printed with 6 significant digits (%.6g) and R^2 with 4 decimals
assert abs(last["test_mse"] - mse) <= 1e-5 * mse and abs(last["test_mae"] - mae) <= 1e-5 * mae, (last, mse, mae)
assert abs(last["test_r2"] - r2) <= 5e-5, (last, r2)
print("ok: the regression's metrics hold MSE, MAE and R^2 of train, val and test; test's match the printed ones")
PY

# --- 6. the network's memory, checked before it is made -----------------------------------
# 1M columns: the default network would take gigabytes. Under a 2 GiB
# address space (so that a regression cannot take the machine; not under
# AddressSanitizer, whose shadow memory needs terabytes of it), refused at
# once, naming the network, its size and the option.
checks=$((checks + 1))
set +e
kb=$(python3 - "$bp" <<'PY'
import os, resource, subprocess, sys
def limit():
    if "ASAN_OPTIONS" not in os.environ:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
r = subprocess.run([sys.argv[1], "train", "--train-csv", "wide.csv", "--task", "classification",
                    "--epochs", "1", "--max-input-bytes", "256M"], preexec_fn=limit,
                   stdout=open("out", "w"), stderr=open("err", "w"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(r.returncode)
PY
)
got=$?
set -e
want='the network 999999-256-128-2 would need at least 39[0-9][0-9]\.[0-9] MiB .*over the 256\.0 MiB that --max-input-bytes allows'
if [ "$got" -ne 1 ] || ! grep -qE "$want" err; then
    fail "a network too large for --max-input-bytes: status $got"
elif [ "$kb" -gt $((256 * 1024)) ]; then
    fail "a network too large for --max-input-bytes: peak memory $kb KiB"
else
    echo "ok: a network too large for --max-input-bytes refused, peak resident memory $kb KiB"
fi

finish runs
