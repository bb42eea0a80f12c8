#!/bin/sh
# mpirun backprop train end to end, on a slice of Fashion-MNIST written as
# CSV: 2 and 3 ranks (uneven shares) train the model 1 process trains, the
# same rank count twice gives bitwise the same model, sharded data, resuming
# a checkpoint on another rank count, a rank killed mid-epoch, a missing
# shard and shards of different shapes. Every mpirun runs under timeout.
#   test_mpi.sh BACKPROP MODEL_DIFF MPIRUN
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
set +e # each mpirun's status is read and judged below
backprop=$(realpath "$1") model_diff=$(realpath "$2") mpirun=$3
data_dir=${BP_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
cd "$dir" || exit 1
pass() { echo "ok: $*"; }

# Open MPI refuses root without these, and more ranks than cores without
# --oversubscribe (MPICH's launcher needs neither).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
oversubscribe=""
"$mpirun" --version 2>&1 | grep -q "Open MPI" && oversubscribe=--oversubscribe
run() { timeout 120 "$mpirun" $oversubscribe -np "$@"; }

if [ ! -f "$data_dir/train-images-idx3-ubyte.gz" ]; then
    echo "SKIP: no Fashion-MNIST in $data_dir (Debian package dataset-fashion-mnist)"
    exit 77
fi
# The first 1500 training and 300 test images as CSV: label, 784 pixels.
python3 - "$data_dir" <<'PY' || exit 1
import gzip, struct, sys
d = sys.argv[1]
def load(images, labels, n):
    with gzip.open(f"{d}/{images}") as f:
        f.read(16)
        pixels = f.read(784 * n)
    with gzip.open(f"{d}/{labels}") as f:
        f.read(8)
        ys = f.read(n)
    return [(ys[i], pixels[784 * i:784 * (i + 1)]) for i in range(n)]
def write(name, rows):
    with open(name, "w") as out:
        for y, x in rows:
            out.write(f"{y}," + ",".join(map(str, x)) + "\n")
train = load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 1500)
write("train.csv", train)
write("test.csv", load("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 300))
write("part-0.csv", train[:900])  # shards of unequal size
write("part-1.csv", train[900:])
PY
data="--train-csv train.csv --test-csv test.csv --batch 64 --quiet"
common="$data --layers 784,64,10 --optimizer momentum --lr 0.05 --schedule constant"

# 1. One epoch on 1, 2 and 3 ranks: the same model to float rounding.
"$backprop" train $common --epochs 1 --save n1.bin >/dev/null || fail "1 process"
run 2 "$backprop" train $common --epochs 1 --save n2.bin >/dev/null || fail "2 ranks"
run 3 "$backprop" train $common --epochs 1 --save n3.bin >/dev/null || fail "3 ranks"
for n in 2 3; do
    if "$model_diff" n1.bin "n$n.bin" 1e-4; then pass "$n ranks equal 1 process"; else fail "$n ranks differ from 1 process"; fi
done

# 2. The same rank count and seed twice: bitwise the same model.
run 2 "$backprop" train $common --epochs 1 --save n2-again.bin >/dev/null || fail "2 ranks again"
if cmp -s n2.bin n2-again.bin; then pass "2 ranks bitwise repeatable"; else fail "2 ranks not repeatable"; fi

# 3. Shards: each rank its own file, an epoch as long as the smaller gives.
out=$(run 2 "$backprop" train --train-csv 'part-{rank}.csv' --test-csv test.csv --layers 784,64,10 \
    --epochs 2 --batch 64 --save s1.bin 2>&1) || fail "sharded run: $out"
echo "$out" | grep -q "sharded data" || fail "the sharded run does not say so: $out"
echo "$out" | grep -q "^test accuracy: 0\.[3-9]" || fail "the sharded run did not learn: $out"
run 2 "$backprop" train --train-csv 'part-{rank}.csv' --test-csv test.csv --layers 784,64,10 \
    --epochs 2 --batch 64 --quiet --save s2.bin >/dev/null 2>&1
if cmp -s s1.bin s2.bin; then pass "sharded run, bitwise repeatable"; else fail "sharded run not repeatable"; fi

# Shards with a validation split: each rank holds out its own shard's tail
# (a view of it), refitted on rank 0's preprocessing; rank 1 freed that view
# as if it owned it and aborted.
out=$(run 2 "$backprop" train --train-csv 'part-{rank}.csv' --test-csv test.csv --layers 784,64,10 \
    --epochs 2 --batch 64 --val-split 0.2 2>&1)
status=$?
if [ "$status" -eq 0 ] && echo "$out" | grep -q "^test accuracy: 0\.[3-9]"; then
    pass "sharded run with --val-split"
else
    fail "sharded run with --val-split: status $status: $out"
fi

# Shards whose label sets differ (0-8 on rank 0, 1-9 on rank 1): the same
# class count, so only rank 0's class names, shared with every rank, keep
# label 9 from silently becoming another class on rank 1.
awk -F, '$1 != 9' part-0.csv >labels-0.csv
awk -F, '$1 != 0' part-1.csv >labels-1.csv
out=$(run 2 "$backprop" train --train-csv 'labels-{rank}.csv' --layers 784,64,9 --epochs 1 2>&1)
status=$?
if [ "$status" -eq 1 ] && echo "$out" | grep -q "rank 1" && echo "$out" | grep -q "labels-1.csv"; then
    pass "shards with other labels: refused, naming rank 1's file"
else
    fail "shards with other labels: status $status: $out"
fi

# A global batch smaller than the ranks cannot give every shard a share.
out=$(run 2 "$backprop" train --train-csv 'part-{rank}.csv' --batch 1 --epochs 1 2>&1)
status=$?
if [ "$status" -eq 2 ] && echo "$out" | grep -q "smaller than the 2 ranks"; then
    pass "sharded batch below the rank count: usage error"
else
    fail "sharded batch below the rank count: status $status: $(echo "$out" | head -n 3)"
fi

# Early stopping decided by rank 0 stops every rank: a success, exit 0.
out=$(run 2 "$backprop" train $common --epochs 60 --val-split 0.2 --early-stopping 1 \
    --save es.bin 2>&1)
status=$?
if [ "$status" -eq 0 ] && echo "$out" | grep -q "^early stopping: the model of epoch"; then
    pass "early stopping on 2 ranks: exit 0"
else
    fail "early stopping on 2 ranks: status $status: $(echo "$out" | tail -n 5)"
fi

# 4. 2 epochs on 2 ranks, resumed for 1 more on 3: 3 epochs on 1 process.
"$backprop" train $common --epochs 3 --save r1.bin >/dev/null || fail "3 epochs alone"
run 2 "$backprop" train $common --epochs 2 --checkpoint ck >/dev/null || fail "2 epochs with a checkpoint"
[ -f ck/epoch-000002/model.bin ] && [ -f ck/epoch-000002/optimizer.bin ] && [ ! -d ck/epoch-000001 ] ||
    fail "checkpoint directory: $(ls ck)"
run 3 "$backprop" train $data --resume ck --epochs 3 --save r3.bin >/dev/null || fail "resumed on 3 ranks"
if "$model_diff" r1.bin r3.bin 1e-4; then pass "resumed across rank counts"; else fail "resumed run differs"; fi

# 5. A rank killed mid-run: the job ends, non-zero, within 30 s, and the
# last checkpoint loads.
# The checkpoint's absolute path marks this run's processes, and no other.
run 3 "$backprop" train $common --batch 16 --epochs 1000 --checkpoint "$dir/kill" >/dev/null 2>&1 &
job=$!
# Up to 120 s for the first checkpoint: a loaded machine and the sanitizers slow it.
for _ in $(seq 1 1200); do [ -d kill ] && ls kill | grep -q epoch- && break; sleep 0.1; done
victim=$(pgrep -f "checkpoint $dir/kill" | grep -v "^$job\$" | while read -r p; do
    [ "$(ps -o comm= -p "$p")" = "$(basename "$backprop")" ] && echo "$p"; done | tail -n 1)
if [ -z "$victim" ]; then
    fail "no rank to kill"
else
    start=$(date +%s)
    kill -9 "$victim"
    wait "$job"
    status=$? elapsed=$(($(date +%s) - start))
    [ "$status" -ne 0 ] || fail "a killed rank ended the job with status 0"
    [ "$elapsed" -le 30 ] || fail "the job took ${elapsed}s to end after a rank was killed"
    model=$(ls -d kill/epoch-* | tail -n 1)/model.bin
    if "$backprop" info "$model" >/dev/null; then
        pass "killed rank: exit $status after ${elapsed}s, checkpoint loads"
    else
        fail "the last checkpoint does not load"
    fi
fi
pkill -9 -f "checkpoint $dir/kill" 2>/dev/null

# 6. A shard missing on one rank: every rank stops, naming rank and file.
cp part-0.csv part-0.csv.missing
out=$(run 2 "$backprop" train --train-csv 'part-{rank}.csv.missing' --test-csv test.csv --epochs 1 2>&1)
status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && echo "$out" | grep -q "rank 1" &&
    echo "$out" | grep -q "part-1.csv.missing"; then
    pass "missing shard: status $status, every rank says so"
else
    fail "missing shard: status $status: $out"
fi

# 7. A shard narrower than the others (and than the test set): every rank stops.
cut -d, -f1-700 part-1.csv >narrow-1.csv
cp part-0.csv narrow-0.csv
out=$(run 2 "$backprop" train --train-csv 'narrow-{rank}.csv' --test-csv test.csv --epochs 1 2>&1)
status=$?
if [ "$status" -eq 1 ] && echo "$out" | grep -q "features"; then pass "shapes differ: status $status"; else fail "shapes differ: status $status: $out"; fi

# 8. Shards with headers are matched to rank 0's columns by name: swapped
# columns are reordered (the run learns), an unknown column stops every rank.
python3 - <<'PY' || exit 1
import random
rng = random.Random(7)
rows = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(400)]
label = lambda x, y: "hi" if x > 0 else "lo"  # only x matters
with open("named-0.csv", "w") as f:
    f.write("x,y,label\n" + "".join(f"{x:.4f},{y:.4f},{label(x, y)}\n" for x, y in rows[:200]))
with open("named-1.csv", "w") as f:
    f.write("y,x,label\n" + "".join(f"{y:.4f},{x:.4f},{label(x, y)}\n" for x, y in rows[200:]))
with open("other-1.csv", "w") as f:
    f.write("z,x,label\n" + "".join(f"{y:.4f},{x:.4f},{label(x, y)}\n" for x, y in rows[200:]))
with open("named-test.csv", "w") as f:
    f.write("y,x,label\n" + "".join(f"{y:.4f},{x:.4f},{label(x, y)}\n" for x, y in rows))
PY
out=$(run 2 "$backprop" train --train-csv 'named-{rank}.csv' --test-csv named-test.csv \
    --label-column label --epochs 30 --batch 32 2>&1)
if echo "$out" | grep -qE "^test accuracy: (0\.9[5-9]|1\.0)"; then
    pass "shards with swapped columns: matched by name"
else
    fail "shards with swapped columns: $(echo "$out" | tail -n 3)"
fi
cp named-0.csv other-0.csv
out=$(run 2 "$backprop" train --train-csv 'other-{rank}.csv' --label-column label --epochs 1 2>&1)
status=$?
if [ "$status" -eq 1 ] && echo "$out" | grep -q '"z", is not one of the model'; then
    pass "a shard with another column: refused, naming it"
else
    fail "a shard with another column: status $status: $(echo "$out" | tail -n 3)"
fi

echo "$failures failed"
[ "$failures" -eq 0 ]
