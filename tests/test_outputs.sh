#!/bin/sh
# The backprop program's outputs under faults, signals and hostile input:
# each attack is a command, its exit status, its message, and the bytes of
# the files involved before and after (an input is never overwritten, an old
# output is left whole or replaced whole, no temporary file is left).
#   usage: test_outputs.sh path/to/backprop
set -eu
bp=${1:?usage: test_outputs.sh path/to/backprop}
case $bp in /*) ;; *) bp=$PWD/$bp ;; esac
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
failures=0
checks=0

fail() {
    echo "FAIL: $*"
    echo "  stdout:"; sed 's/^/    /' out 2>/dev/null || true
    echo "  stderr:"; sed 's/^/    /' err 2>/dev/null || true
    failures=$((failures + 1))
}

# sums FILE...: one line per file, its bytes' checksum or "missing".
sums() {
    for f in "$@"; do
        if [ -e "$f" ]; then echo "$f $(cksum <"$f")"; else echo "$f missing"; fi
    done
}

# attack NAME STATUS PATTERN FILES -- COMMAND...: runs COMMAND; its status
# must be STATUS, its stderr must match PATTERN (extended regex), and the
# files in FILES (a space-separated list) must hold the same bytes after as
# before; no *.tmp.* file may be left in this directory.
attack() {
    name=$1 want=$2 pattern=$3 files=$4
    shift 5
    checks=$((checks + 1))
    # shellcheck disable=SC2086
    sums $files >before
    set +e
    "$@" >out 2>err
    got=$?
    set -e
    # shellcheck disable=SC2086
    sums $files >after
    if [ "$got" -ne "$want" ]; then
        fail "$name: status $got, expected $want: $*"
    elif [ -n "$pattern" ] && ! grep -qE -- "$pattern" err; then
        fail "$name: stderr lacks /$pattern/: $*"
    elif ! cmp -s before after; then
        fail "$name: files changed: $(diff before after | tr '\n' ' ')"
    elif ls ./*.tmp.* >/dev/null 2>&1; then
        fail "$name: temporary files left: $(ls ./*.tmp.*)"
    fi
    return 0
}

# --- tiny data sets ---------------------------------------------------------
python3 - <<'PY'
import gzip, random, struct
rng = random.Random(7)
def examples(n, features=8):
    xs, ys = [], []
    for i in range(n):
        c = i % 3
        x = [rng.randrange(0, 90) for _ in range(features)]
        for p in [(0, 1, 4, 5), (2, 3, 6, 7), (0, 3, 4, 7)][c]:
            x[p] = rng.randrange(150, 256)
        xs.append(x); ys.append(c)
    return xs, ys
def images(xs):
    return struct.pack(">IIII", 0x803, len(xs), 2, 4) + bytes(v for x in xs for v in x)
def labels(ys):
    return struct.pack(">II", 0x801, len(ys)) + bytes(ys)
tx, ty = examples(240)
vx, vy = examples(60)
open("tr-img", "wb").write(images(tx))
open("tr-lab", "wb").write(labels(ty))
open("te-img", "wb").write(images(vx))
open("te-lab", "wb").write(labels(vy))
# The test set as CSV, label first.
open("test.csv", "w").write("".join(
    f"{y}," + ",".join(str(v) for v in x) + "\n" for x, y in zip(vx, vy)))
PY
data="tr-img tr-lab te-img te-lab"

train() {
    "$bp" train --train-images tr-img --train-labels tr-lab --test-images te-img \
        --test-labels te-lab --layers 8,16,3 --batch 16 --threads 1 --quiet "$@"
}

# An old model and metrics file that later attacks must not damage.
train --epochs 1 --save old.bin --metrics old.json --save-optimizer old.opt >/dev/null
cp old.bin old.bin.orig

# --- 1. paths checked before any work ---------------------------------------
attack "save over the training images" 2 '--save tr-img: is the same file as the input --train-images tr-img' \
    "$data" -- train --epochs 1 --save tr-img
attack "metrics over the labels" 2 '--metrics tr-lab: is the same file as the input --train-labels' \
    "$data" -- train --epochs 1 --metrics tr-lab
mkdir sub
attack "metrics over the test images by another path" 2 'same file as the input --test-images' \
    "$data" -- train --epochs 1 --metrics ./sub/../te-img
ln tr-lab hard-link
attack "save over a hard link of an input" 2 'same file as the input --train-labels' \
    "$data hard-link" -- train --epochs 1 --save hard-link
attack "save and save-optimizer to one new file" 2 '--save-optimizer ./x.bin: is the same file as --save x.bin' \
    "x.bin" -- train --epochs 1 --save x.bin --save-optimizer ./x.bin
attack "save and metrics to one old file" 2 'is the same file as --save old.bin' \
    "old.bin" -- train --epochs 1 --save old.bin --metrics old.bin
attack "resume model saved over itself by save-optimizer" 2 'same file as the input --resume old.bin' \
    "old.bin" -- "$bp" train --train-images tr-img --train-labels tr-lab --test-images te-img \
    --test-labels te-lab --epochs 1 --resume old.bin --save-optimizer old.bin
attack "save into a missing directory" 2 'the directory it is in does not exist' \
    "" -- train --epochs 1 --save no/such/dir/m.bin
attack "save to a directory" 2 '--save \.: is a directory' "" -- train --epochs 1 --save .
mkdir adir
attack "save to a path ending in a slash" 2 'is a directory' "" -- train --epochs 1 --save adir/
attack "save through a file" 2 'tr-img is not a directory' "$data" -- train --epochs 1 --save tr-img/m.bin
long=$(printf 'm%.0s' $(seq 1 250))
attack "no room for the temporary name" 2 'no room for the temporary name' "" \
    -- train --epochs 1 --metrics "$long"
attack "save to a device" 2 'is not a regular file' "" -- train --epochs 1 --save /dev/null
attack "checkpoint into a file" 2 '--checkpoint old.json: exists and is not a directory' \
    "old.json" -- train --epochs 1 --checkpoint old.json
attack "4097 layers to be saved" 2 'at most 4096' "" \
    -- train --epochs 1 --layers "8,$(printf '2,%.0s' $(seq 1 4096))3" --save deep.bin
if [ "$(id -u)" -ne 0 ]; then
    mkdir ro && chmod 555 ro
    attack "save into a read-only directory" 2 'cannot write in its directory' "" \
        -- train --epochs 1 --save ro/m.bin
fi
# The checks come before loading anything: well under a second even with
# Fashion-MNIST's default files (missing or not) as inputs.
start=$(date +%s%N)
attack "a bad output found at once" 2 'does not exist' "" -- "$bp" train --save no/m.bin
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed" -lt 1000 ] || fail "the path check took $elapsed ms"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
