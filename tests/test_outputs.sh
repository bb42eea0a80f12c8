#!/bin/sh
# The backprop program's outputs under faults, signals and hostile input:
# each attack is a command, its exit status, its message, and the bytes of
# the files involved before and after (an input is never overwritten, an old
# output is left whole or replaced whole, no temporary file is left).
#   usage: test_outputs.sh path/to/backprop
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bp=$(absolute "${1:?usage: test_outputs.sh path/to/backprop}")
cd "$dir"

# attack NAME STATUS PATTERN FILES -- COMMAND...: runs COMMAND; its status
# must be STATUS, its stderr must match PATTERN (extended regex), and the
# files in FILES (a space-separated list) must hold the same bytes after as
# before; no *.tmp.* file may be left in this directory.
attack() {
    name=$1 want=$2 pattern=$3 files=$4
    shift 5
    # shellcheck disable=SC2086
    sums $files >before
    capture "$@"
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

common="--train-images tr-img --train-labels tr-lab --test-images te-img --test-labels te-lab
    --threads 1 --quiet"
train() {
    # shellcheck disable=SC2086
    "$bp" train $common --layers 8,16,3 --batch 16 "$@"
}

# An old model and metrics file that later attacks must not damage. A
# constant schedule keeps old.opt resumable: the signal checks resume it
# when a signal lands before the first step, and a cosine over its one
# epoch would have ended at 0, which --resume-optimizer refuses.
train --epochs 1 --schedule constant --save old.bin --metrics old.json --save-optimizer old.opt >/dev/null
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
# The checks come before loading anything. Not timed (a threshold in
# milliseconds is a claim about one machine's speed): the data are named
# FIFOs nobody writes, so a program that opened them before checking its
# outputs would block there, and `timeout` (a hang detector, far above any
# machine's time; SIGKILL, as the program waits out SIGTERM to save) would
# end it with 137 instead of the usage error's 2.
mkfifo data.fifo labels.fifo
attack "a bad output found before the data are read" 2 'does not exist' "" -- \
    timeout -s KILL 120 "$bp" train --train-images data.fifo --train-labels labels.fifo \
    --test-images data.fifo --test-labels labels.fifo --save no/m.bin
rm -f data.fifo labels.fifo

# --- 2. SIGINT and SIGTERM ----------------------------------------------------
# At 20 random (seeded) moments of a small run, with old files in place: the
# exit status says which signal (or 0 when the run ended first), the model
# and the optimizer state load, the metrics are valid JSON, and no temporary
# file is left.
# The moments are spread over the length of one whole run, timed here.
# (exec: run in the background, $! is the program itself, not a subshell)
sig_run() {
    # shellcheck disable=SC2086
    exec "$bp" train $common --layers 8,16,3 --epochs 100 --batch 1 --schedule constant --save sig.bin \
        --save-optimizer sig.opt --metrics sig.json "$@"
}
# The shortest of three whole runs: a run timed while the machine was busy
# would spread the signals past the end of the quicker runs that follow.
length=
for _ in 1 2 3; do
    start=$(date +%s%N)
    (sig_run >/dev/null)
    took=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ -z "$length" ] || [ "$took" -lt "$length" ]; then length=$took; fi
done
cp old.bin sig.bin
cp old.opt sig.opt
interrupted=0
n=0
for delay in $(awk -v ms="$length" 'BEGIN { srand(16); for (i = 0; i < 20; i++) printf "%.3f\n", rand() * 0.7 * ms / 1000 }'); do
    n=$((n + 1))
    if [ $((n % 2)) -eq 0 ]; then sig=INT want=130; else sig=TERM want=143; fi
    checks=$((checks + 1))
    : >out
    : >err
    sig_run >out 2>err &
    pid=$!
    sleep "$delay"
    kill -s "$sig" "$pid" 2>/dev/null || true
    set +e
    wait "$pid"
    got=$?
    set -e
    if [ "$got" -eq "$want" ]; then
        interrupted=$((interrupted + 1))
        # Before the handlers are installed the signal kills quietly.
        [ ! -s err ] || grep -q "interrupted by SIG$sig" err ||
            fail "SIG$sig after ${delay}s: no message"
    elif [ "$got" -ne 0 ]; then
        fail "SIG$sig after ${delay}s: status $got"
    fi
    "$bp" info sig.bin >/dev/null 2>&1 || fail "SIG$sig after ${delay}s: the model does not load"
    # shellcheck disable=SC2086
    "$bp" train $common --resume sig.bin --resume-optimizer sig.opt --epochs 1 >/dev/null 2>&1 ||
        fail "SIG$sig after ${delay}s: the optimizer state does not load"
    if [ -e sig.json ]; then
        python3 -c 'import json, sys; json.load(open(sys.argv[1]))' sig.json ||
            fail "SIG$sig after ${delay}s: the metrics are not valid JSON"
    fi
    ! ls ./*.tmp.* >/dev/null 2>&1 || fail "SIG$sig after ${delay}s: temporary files left"
done
[ "$interrupted" -ge 5 ] || fail "only $interrupted of 20 runs were interrupted by the signal"
echo "signals: $interrupted of 20 runs (of $length ms) interrupted, each saved whole"

# A second signal while the batch that follows the first is still running:
# out at once with 143, the old files untouched, no temporary file. The
# batch (8-2048-2048-3 on all 240 examples) takes tens of milliseconds, the
# signals come 5 ms apart; should the first land in a batch's last 5 ms, the
# second finds a save under way and waits for its rename, so that attempt
# may replace a file whole: every attempt must leave each file old or whole,
# and one of four must leave both old.
cp old.bin big.bin
cp old.opt big.opt
sums big.bin big.opt >before
intact=no
for attempt in 1 2 3 4; do
    checks=$((checks + 1))
    # shellcheck disable=SC2086
    "$bp" train $common --layers 8,2048,2048,3 --batch 240 --epochs 1000 --save big.bin \
        --save-optimizer big.opt >out 2>err &
    pid=$!
    sleep 1
    python3 -c 'import os, signal, sys, time
pid = int(sys.argv[1])
os.kill(pid, signal.SIGTERM)
time.sleep(0.005)
os.kill(pid, signal.SIGTERM)' "$pid"
    set +e
    wait "$pid"
    got=$?
    set -e
    sums big.bin big.opt >after
    [ "$got" -eq 143 ] || fail "a second SIGTERM: status $got, expected 143"
    ! ls ./*.tmp.* >/dev/null 2>&1 || fail "a second SIGTERM left temporary files"
    if cmp -s before after; then
        intact=yes
        break
    fi
    "$bp" info big.bin >/dev/null 2>&1 || fail "a second SIGTERM left a model that does not load"
    cp old.bin big.bin
    cp old.opt big.opt
done
[ "$intact" = yes ] || fail "a second SIGTERM never left the old files untouched in 4 attempts"
echo "a second SIGTERM: old files untouched after attempt $attempt"

# --- 3. a failing output does not lose the others -------------------------------
# A tmpfs of this test's own, in a private mount namespace, with 4 KiB free.
mkdir full
if unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs "$0"' full 2>/dev/null; then
    # full_disk COMMAND...: COMMAND with ./full 4 KiB short of full; the
    # metrics it left there are copied to full.json.
    full_disk() {
        unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs full &&
            dd if=/dev/zero of=full/fill bs=1k count=60 2>/dev/null
            "$@"; status=$?
            [ -e full/m.json ] && cp full/m.json full.json
            exit $status' sh "$@"
    }
    attack "metrics fill the disk at epoch ~20 of 40" 1 'cannot write full/m.json.*' \
        "$data" -- full_disk "$bp" train --train-images tr-img --train-labels tr-lab \
        --test-images te-img --test-labels te-lab --layers 8,16,3 --batch 16 --threads 1 \
        --epochs 40 --metrics full/m.json --save full-model.bin
    grep -q 'training goes on' err || fail "the metrics failure does not say training goes on"
    "$bp" info full-model.bin >/dev/null 2>&1 || fail "no model saved after the metrics failed"
    python3 -c 'import json, sys; e = json.load(open(sys.argv[1]))["epochs"]; assert 5 < len(e) < 40' \
        full.json || fail "the metrics on the full disk are not the valid epochs before it filled"
    attack "save to a full disk" 1 'cannot' "$data old.bin" -- full_disk "$bp" train \
        --train-images tr-img --train-labels tr-lab --test-images te-img --test-labels te-lab \
        --layers 8,512,3 --epochs 1 --save full/m.bin
else
    echo "SKIP: the full-disk cases (mount is not allowed here: unshare -m and mount -t tmpfs failed)"
fi

# --- 6. hostile input: memory bounds -----------------------------------------
# Gzip bombs of 512 MiB of zeros (about 0.5 MB on disk) under --max-input-bytes
# 256M: one whose header claims 2^30 images of 28x28 (refused at the header),
# one claiming 32 Mi values (128 MiB loaded, within the cap) whose data goes on
# past the claim (refused after reading the claim), and /dev/zero. The peak
# resident memory of each run (getrusage of the child) stays under twice the cap.
python3 - <<'PY'
import struct, zlib
def bomb(name, dims, inflated=512 << 20):
    z = zlib.compressobj(1, zlib.DEFLATED, 31)  # gzip framing
    with open(name, "wb") as f:
        f.write(z.compress(struct.pack(">I", 0x800 + len(dims)) + struct.pack(">%dI" % len(dims), *dims)))
        zeros = bytes(1 << 20)
        for _ in range(inflated >> 20):
            f.write(z.compress(zeros))
        f.write(z.flush())
bomb("bomb-claims.gz", (1 << 30, 28, 28))
bomb("bomb-overflows.gz", (32 << 20, 1, 1))
PY
limit_kb=$((256 * 1024))
# peak_kb COMMAND...: runs COMMAND (output to out and err), prints its peak
# resident memory in KiB, returns its status.
peak_kb() {
    python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=open("out", "w"), stderr=open("err", "w"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(r.returncode)' "$@"
}
for images in bomb-claims.gz bomb-overflows.gz /dev/zero; do
    checks=$((checks + 1))
    set +e
    kb=$(peak_kb "$bp" train --train-images "$images" --train-labels tr-lab --test-images te-img \
        --test-labels te-lab --max-input-bytes 256M --quiet)
    got=$?
    set -e
    case $images in
    bomb-claims.gz) want='over the limit of 268435456 bytes .*--max-input-bytes' ;;
    bomb-overflows.gz) want='data continues after the 33554432 bytes' ;;
    *) want='unsupported data type 0x00' ;;
    esac
    [ "$got" -eq 1 ] || fail "$images: status $got, expected 1"
    grep -qE -- "$want" err || fail "$images: stderr lacks /$want/"
    [ "$kb" -lt $((2 * limit_kb)) ] || fail "$images: peak memory $kb KiB, over twice the cap"
    echo "$images: refused, peak resident memory $kb KiB (cap $limit_kb KiB)"
done
attack "--max-input-bytes 0" 2 "invalid --max-input-bytes '0'" "" -- train --max-input-bytes 0
attack "--max-input-bytes 1Q" 2 "invalid --max-input-bytes '1Q'" "" -- train --max-input-bytes 1Q
attack "--max-input-bytes below the training set" 1 'tr-img: the header claims 1920 values of images' \
    "$data" -- train --epochs 1 --max-input-bytes 1K

# --- 7. messages keep their reason after a long path ----------------------------
# A missing model 4000 bytes deep: the whole path, then why, nothing cut.
long=/no-such$(printf '/%.0sdddddddddddddddddddddddddddddddddddddddd' $(seq 1 97))
long=$long/$(printf 'e%.0s' $(seq 1 $((4000 - ${#long} - 1))))
attack "a 4000-byte path" 1 'cannot open: No such file or directory$' "" -- "$bp" info "$long"
expected=$((${#long} + $(printf 'backprop: bp_net_load: : cannot open: No such file or directory' | wc -c)))
[ "$(head -n 1 err | tr -d '\n' | wc -c)" -eq "$expected" ] ||
    fail "the message is $(head -n 1 err | tr -d '\n' | wc -c) bytes, not $expected"

# --- 5. the metrics file --------------------------------------------------------
# A 0600 metrics file stays 0600; 30 epochs make 30 records of valid JSON.
cp old.json private.json
chmod 600 private.json
checks=$((checks + 1))
train --epochs 30 --metrics private.json >/dev/null 2>&1 || fail "train with --metrics private.json"
[ "$(stat -c %a private.json)" = 600 ] || fail "the metrics file's mode became $(stat -c %a private.json)"
python3 -c 'import json, sys; assert [e["epoch"] for e in json.load(open(sys.argv[1]))["epochs"]] == list(range(1, 31))' \
    private.json || fail "the metrics file does not hold epochs 1 to 30"

# --- 4. results that are not numbers -----------------------------------------
attack "eval with a scale factor that overflows" 1 'is inf after the scaling' "old.bin" \
    -- "$bp" eval old.bin --csv test.csv --scale-factor 3e38
sed 's/,[0-9]*/,3e38/g' test.csv >huge.csv
attack "eval on inputs whose outputs overflow" 1 'not finite numbers' "old.bin" \
    -- "$bp" eval old.bin --csv huge.csv
attack "train with a test set that overflows" 1 'epoch 1: the test loss is' "test.csv huge.csv" \
    -- "$bp" train --train-csv test.csv --test-csv huge.csv --scale none --layers 8,3 \
    --epochs 2 --save nan-test.bin
"$bp" info nan-test.bin >/dev/null 2>&1 || fail "the model trained before the NaN test was not saved"

finish outputs
