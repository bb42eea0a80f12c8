#!/usr/bin/env python3
"""backprop side by side with PyTorch, on the CPU.

Benchmark mode (the default): the training steps of bp-bench's report (or,
without --json, its standard configurations) in PyTorch: the same sizes and
batch, sigmoid layers, the quadratic cost sum_j (a_j - y_j)^2 averaged over
the batch, plain SGD; the median of repeated steps after a warm-up. One line
per configuration with both throughputs and their ratio (backprop / PyTorch).

  compare_pytorch.py --json build/bench-results.json

With --bp-bench PROGRAM each configuration is timed in alternating rounds,
bp-bench then PyTorch, and the ratio is the median of the rounds' ratios:
on a shared machine whose speed drifts, both sides of each ratio then see
the same conditions (./run.sh bench does this).

With --onednn build/bench/onednn-step (built when libdnnl-dev is installed)
each round also times oneDNN's JIT primitives on the same step, in each of
its set-ups (plain and "any" weight layouts, 1 thread up to the cores), and
the line gives the ratio to oneDNN's best beside PyTorch's. With --plan auto
(or a SPEC such as blis:2x1) backprop's side runs under that plan (bp-bench
--plan), and the line names the plan it ran.

With --fann build/bench/fann-bench (built when libfann-dev is installed), it
then times FANN's per-example training on 784-128-10 and sets it beside
backprop's batch-1 step from the report; without the program it says FANN
was skipped.

Fashion-MNIST mode: trains an MLP recipe given by the options on
Fashion-MNIST and prints the seconds and the test accuracy of each epoch, to
set beside `backprop train` with the same recipe.

  compare_pytorch.py --fashion-mnist --layers 784,256,128,10 --activation relu \\
      --loss cross-entropy --optimizer adam --lr 0.001 --batch 64 --epochs 2

Needs PyTorch (Debian: python3-torch, which imports only under
/usr/bin/python3) and, for Fashion-MNIST, numpy. Without PyTorch it says so
and exits 0.
"""
import argparse
import gzip
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time

# The standard training-step configurations of bp-bench: (sizes, batch).
STANDARD = [
    ((784, 128, 10), 1),
    ((784, 128, 10), 32),
    ((784, 128, 10), 256),
    ((784, 1024, 1024, 10), 256),
    ((4096, 4096, 4096), 512),
]

# bp-bench's step size; the speed does not depend on it.
BENCH_LEARNING_RATE = 0.01

# The network FANN's per-example training is set beside, at batch 1.
FANN_SIZES = (784, 128, 10)


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def positive_float(text):
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def size_list(text):
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        sizes = ()
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"'{text}': need at least 2 comma-separated positive integers")
    return sizes


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="backprop side by side with PyTorch (see the module docstring).")
    p.add_argument("--json", metavar="FILE",
                   help="bp-bench's JSON report: backprop's numbers, and the configurations")
    p.add_argument("--seconds", type=positive_float,
                   help="timing budget per configuration (default: the report's, else 1)")
    p.add_argument("--blas-threads", type=positive_int,
                   help="threads of the OpenBLAS PyTorch calls (default: as many as backprop "
                        "used, from the report; else one per core, OpenBLAS's own default). "
                        "PyTorch's own pool always gets 1 (torch.set_num_threads(1)), so the "
                        "two pools do not fight over the cores")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bp-bench", metavar="PROGRAM",
                   help="bp-bench itself: time each configuration in alternating rounds, "
                        "bp-bench then PyTorch, and give the median of the per-round ratios, "
                        "so that the machine's drift (it is shared) falls on both sides alike; "
                        "the report then only names the configurations and thread count")
    p.add_argument("--onednn", metavar="PROGRAM",
                   help="onednn-step (build/bench/onednn-step): with --bp-bench, also time "
                        "oneDNN's best set-up in each round and print that ratio too")
    p.add_argument("--plan", metavar="PLAN",
                   help="with --bp-bench: backprop's step under this plan (auto, or "
                        "KERNELS:WxT such as blis:2x1; bp-bench --plan) instead of OpenBLAS "
                        "on --blas-threads")
    p.add_argument("--rounds", type=positive_int, default=3,
                   help="alternating rounds per configuration with --bp-bench (default 3)")
    p.add_argument("--fann", metavar="PROGRAM",
                   help="the fann-bench program (build/bench/fann-bench, built when libfann-dev "
                        "is installed): time FANN's per-example training on 784-128-10 beside "
                        "backprop's batch-1 step from the report")
    fm = p.add_argument_group("Fashion-MNIST mode")
    fm.add_argument("--fashion-mnist", action="store_true",
                    help="train on Fashion-MNIST instead of timing steps")
    fm.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    fm.add_argument("--layers", type=size_list, default=(784, 256, 128, 10))
    fm.add_argument("--activation", default="relu",
                    choices=["sigmoid", "tanh", "relu", "leaky-relu", "identity"],
                    help="of the hidden layers")
    fm.add_argument("--output-activation", default="softmax",
                    choices=["softmax", "sigmoid", "identity"],
                    help="of the output layer (cross-entropy needs softmax)")
    fm.add_argument("--loss", default="cross-entropy", choices=["cross-entropy", "quadratic"])
    fm.add_argument("--optimizer", default="adam",
                    choices=["sgd", "momentum", "nesterov", "adam"])
    fm.add_argument("--lr", type=positive_float, default=0.001)
    fm.add_argument("--momentum", type=float, default=0.9)
    fm.add_argument("--weight-decay", type=float, default=0.0)
    fm.add_argument("--batch", type=positive_int, default=32)
    fm.add_argument("--epochs", type=positive_int, default=3)
    fm.add_argument("--schedule", default="cosine", choices=["cosine", "constant"],
                    help="learning rate over all steps (cosine to 0, as backprop train)")
    fm.add_argument("--init", default="he", choices=["he", "uniform"],
                    help="weights: He normal with zero biases, or PyTorch's uniform")
    fm.add_argument("--backprop", metavar="PROGRAM",
                    help="the backprop program (build/tools/backprop): train it first with "
                         "the same recipe, in this same run, and print the ratios")
    fm.add_argument("--threads", type=positive_int,
                    help="backprop's OpenBLAS threads (default: backprop train's own choice)")
    fm.add_argument("--torch-blas-threads", default="all",
                    help="PyTorch's OpenBLAS thread counts to time, comma-separated, or "
                         "'all' for 1 up to the cores (default)")
    fm.add_argument("--scaling", default="minmax", choices=["minmax", "standardize"])
    args = p.parse_args(argv)
    if args.fashion_mnist and args.loss == "cross-entropy" and args.output_activation != "softmax":
        p.error("--loss cross-entropy needs --output-activation softmax")
    return args


def import_torch(blas_threads):
    """torch with its own pool at 1 thread and its OpenBLAS at blas_threads,
    or None (after saying why)."""
    # Debian's torch calls the system OpenBLAS (libblas.so.3), whose own
    # thread pool torch.set_num_threads does not reach: set it before it
    # loads, and again below through its own call. backprop's products run
    # on the same OpenBLAS with the same count, so the ratio compares the
    # frameworks, not the thread counts.
    os.environ["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    try:
        import torch
    except ImportError as e:
        print(f"compare_pytorch: PyTorch is not installed for {sys.executable} ({e}); "
              "skipping the comparison. On Debian: apt-get install python3-torch, "
              "then run this script with /usr/bin/python3.")
        return None
    torch.set_num_threads(1)
    blas = loaded_openblas()
    if blas is not None:
        blas.openblas_set_num_threads(blas_threads)
    return torch


def loaded_openblas():
    """The OpenBLAS loaded in this process (torch's BLAS on Debian), or None."""
    import ctypes
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_num_threads.restype = ctypes.c_int
            return lib
        except (OSError, AttributeError):
            continue
    return None


def describe_torch(torch):
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    capability = re.search(r"CPU capability usage: *(\S+)", config)
    print(f"PyTorch {torch.__version__}: {torch.get_num_threads()} thread(s), "
          f"BLAS_INFO={blas.group(1) if blas else 'unknown'}, CPU capability "
          f"{capability.group(1) if capability else 'unknown'}")
    blas = loaded_openblas()
    if blas is not None:
        print(f"PyTorch's BLAS: {blas.openblas_get_config().decode()}, "
              f"core {blas.openblas_get_corename().decode()}, "
              f"{blas.openblas_get_num_threads()} thread(s) "
              f"(OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})")
    else:
        print("PyTorch's BLAS: no OpenBLAS loaded in this process")


# --------------------------------------------------------------------------
# Benchmark mode
# --------------------------------------------------------------------------

def sigmoid_mlp(torch, sizes):
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        # nn.Linear draws from U(-1/sqrt(n_in), 1/sqrt(n_in)), as bp_net_create does.
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()]
    return torch.nn.Sequential(*layers)


def time_steps(torch, sizes, batch, seconds, seed):
    """Median seconds of one training step, after a warm-up."""
    torch.manual_seed(seed)
    model = sigmoid_mlp(torch, sizes)
    optimizer = torch.optim.SGD(model.parameters(), lr=BENCH_LEARNING_RATE)
    inputs = torch.rand(batch, sizes[0])
    targets = torch.zeros(batch, sizes[-1])
    targets[torch.arange(batch), torch.randint(sizes[-1], (batch,))] = 1.0

    def step():
        optimizer.zero_grad(set_to_none=True)
        # C = (1/n) sum_examples sum_j (a_j - y_j)^2: the quadratic cost, no 1/2.
        cost = ((model(inputs) - targets) ** 2).sum(dim=1).mean()
        cost.backward()
        optimizer.step()

    start = time.perf_counter()
    step()  # at least one warm-up step, then up to 10% of the budget
    while time.perf_counter() - start < 0.1 * seconds:
        step()
    samples, start = [], time.perf_counter()
    while len(samples) < 3 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), len(samples)


def bp_bench_step(program, sizes, batch, seconds, threads, plan=None):
    """One bp-bench run of a training step on OpenBLAS, or under a plan:
    (examples/s, %peak, the plan it ran or "")."""
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "step.json")
        command = [program, "--case", "train_step", "--sizes", ",".join(map(str, sizes)),
                   "--batch", str(batch), "--seconds", f"{seconds:g}", "--json", out]
        if plan:
            command += ["--kernels", "none", "--plan", plan]
        else:
            command += ["--kernels", "openblas", "--threads", str(threads)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            for r in json.load(f)["results"]:
                if r["case"] == "train_step" and (r.get("plan") if plan else
                                                  r["kernels"] == "openblas"):
                    return r["examples_per_second"], r["percent_of_peak"], r.get("plan", "")
    raise RuntimeError(f"bp-bench gave no training step for {sizes} batch {batch}")


def onednn_best(program, sizes, batch, seconds):
    """oneDNN's fastest set-up on this step, each timed once: (examples/s,
    "format x threads")."""
    best = (0.0, "")
    for threads in range(1, (os.cpu_count() or 1) + 1):
        for layout in ("plain", "any"):
            command = [program, "--sizes", ",".join(map(str, sizes)), "--batch", str(batch),
                       "--threads", str(threads), "--format", layout,
                       "--seconds", f"{seconds:g}"]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            found = re.search(r"([0-9.]+) examples/s", out)
            if not found:
                raise RuntimeError(f"onednn-step printed no rate: {out!r}")
            rate = float(found.group(1))
            if rate > best[0]:
                best = (rate, f"{layout} x {threads}")
    return best


def side_by_side(args, torch, configs, seconds, threads):
    """Each configuration in args.rounds rounds of bp-bench then PyTorch, one
    right after the other: a ratio per round, and their median."""
    ours_side = f"plan {args.plan}" if args.plan else f"{threads} OpenBLAS thread(s)"
    onednn = args.onednn if args.onednn and os.access(args.onednn, os.X_OK) else None
    if args.onednn and not onednn:
        print(f"oneDNN: skipped ({args.onednn} is not there: libdnnl-dev was not installed "
              f"when backprop was built)")
    print(f"alternating rounds: bp-bench ({args.bp_bench}, {ours_side}) then PyTorch"
          f"{' then oneDNN (its best set-up of the round)' if onednn else ''}, {args.rounds} "
          f"round(s) of {seconds:g} s each per configuration; ratio = median of the rounds' "
          f"ratios")
    for sizes, batch in configs:
        ours, theirs, ratios, peaks, plans, dnn_ratios, dnn_setups = [], [], [], [], [], [], []
        for _ in range(args.rounds):
            rate, peak, plan = bp_bench_step(args.bp_bench, sizes, batch, seconds, threads,
                                             args.plan)
            median, _ = time_steps(torch, sizes, batch, seconds, args.seed)
            ours.append(rate)
            peaks.append(peak)
            plans.append(plan)
            theirs.append(batch / median)
            ratios.append(rate * median / batch)
            if onednn:
                dnn_rate, setup = onednn_best(onednn, sizes, batch, seconds)
                dnn_ratios.append(rate / dnn_rate)
                dnn_setups.append(setup)
        name = "-".join(str(s) for s in sizes)
        rounds = " ".join(f"{r:.2f}x" for r in ratios)
        line = (f"{name} batch {batch}: backprop {statistics.median(ours):.0f} ex/s "
                f"({statistics.median(peaks):.1f}% of peak"
                f"{', plans ' + ' '.join(plans) if args.plan else ''}), PyTorch "
                f"{statistics.median(theirs):.0f} ex/s, ratio {statistics.median(ratios):.2f}x "
                f"(rounds: {rounds})")
        if onednn:
            line += (f"; vs oneDNN's best {statistics.median(dnn_ratios):.2f}x (rounds: "
                     f"{' '.join(f'{r:.2f}x' for r in dnn_ratios)}; set-ups: "
                     f"{', '.join(dnn_setups)})")
        print(line)
        sys.stdout.flush()


def load_report(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"compare_pytorch: cannot read {path}: {e}", file=sys.stderr)
        return None


def benchmark(args):
    report = load_report(args.json) if args.json else None
    if args.json and report is None:
        return 1
    backprop = {}  # (sizes, batch) -> examples per second, OpenBLAS kernels
    if report is not None:
        for r in report.get("results", []):
            if r.get("case") == "train_step" and r.get("kernels") == "openblas":
                backprop[(tuple(r["sizes"]), r["batch"])] = r["examples_per_second"]
    configs = list(backprop) if backprop else STANDARD
    seconds = args.seconds or (report or {}).get("seconds") or 1.0

    blas_threads = args.blas_threads or (report or {}).get("threads") or os.cpu_count() or 1
    torch = import_torch(blas_threads)
    if torch is None:
        # FANN needs no PyTorch: its comparison still runs.
        return compare_fann(args, report, seconds)
    describe_torch(torch)
    if report is not None:
        print(f"backprop {report.get('library_version', '?')}: {report.get('threads', '?')} "
              f"OpenBLAS thread(s), core {report.get('core', '?')} "
              f"(OPENBLAS_CORETYPE={report.get('openblas_coretype_env', '?')}), from {args.json}")
        if report.get("threads") != blas_threads:
            print(f"note: backprop ran on {report.get('threads')} OpenBLAS thread(s), PyTorch "
                  f"on {blas_threads}: the ratio is not like for like")
    print(f"training step: sigmoid layers, quadratic cost, plain SGD; median of steps "
          f"after warm-up, {seconds:g} s per configuration; ratio = backprop / PyTorch")
    sys.stdout.flush()
    if args.bp_bench:
        try:
            side_by_side(args, torch, configs, seconds, blas_threads)
        except (OSError, subprocess.CalledProcessError, RuntimeError, ValueError) as e:
            print(f"compare_pytorch: bp-bench failed: {e}", file=sys.stderr)
            return 1
        return compare_fann(args, report, seconds)
    for sizes, batch in configs:
        median, _ = time_steps(torch, sizes, batch, seconds, args.seed)
        torch_rate = batch / median
        name = "-".join(str(s) for s in sizes)
        if (sizes, batch) in backprop:
            ours = backprop[(sizes, batch)]
            print(f"{name} batch {batch}: backprop {ours:.0f} ex/s, PyTorch {torch_rate:.0f} "
                  f"ex/s, ratio {ours / torch_rate:.2f}x")
        else:
            missing = "not in the report" if report is not None else "no --json report"
            print(f"{name} batch {batch}: backprop n/a ({missing}), PyTorch "
                  f"{torch_rate:.0f} ex/s")
        sys.stdout.flush()
    return compare_fann(args, report, seconds)


def compare_fann(args, report, seconds):
    """FANN's per-example training (fann-bench) beside backprop's batch-1
    step from the report. 0, also when FANN is skipped; 1 if fann-bench fails."""
    if not args.fann:
        print("FANN: skipped (no --fann program; bench/meson.build builds fann-bench only "
              "when libfann-dev is installed)")
        return 0
    if not (os.path.isfile(args.fann) and os.access(args.fann, os.X_OK)):
        print(f"FANN: skipped ({args.fann} is not there: libfann-dev was not installed when "
              "it was built; Debian: apt-get install libfann-dev, then rebuild)")
        return 0
    import subprocess
    import tempfile
    seed = (report or {}).get("seed", args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "fann.json")
        command = [args.fann, "--sizes", ",".join(map(str, FANN_SIZES)),
                   "--seconds", f"{seconds:g}", "--seed", str(seed), "--json", path]
        sys.stdout.flush()
        result = subprocess.run(command, stdout=subprocess.DEVNULL)
        if result.returncode != 0:
            print(f"compare_pytorch: {' '.join(command)} exited with {result.returncode}",
                  file=sys.stderr)
            return 1
        fann = load_report(path)
    if fann is None:
        return 1
    print(f"FANN {fann.get('fann_version', '?')} ({fann.get('fann_type', '?')}), single-threaded "
          f"(no BLAS): sigmoid layers (FANN_SIGMOID, steepness 0.5: the logistic), "
          f"FANN_ERRORFUNC_LINEAR (a - y), FANN_TRAIN_INCREMENTAL (fann_train, one example at "
          f"a time, no momentum); median of {fann.get('blocks', '?')} blocks of "
          f"{fann.get('examples_per_block', '?')} example(s) after warm-up, {seconds:g} s")
    if not fann.get("mse_final", 0) < fann.get("mse_initial", 0):
        print(f"note: FANN's MSE did not fall ({fann.get('mse_initial')} -> "
              f"{fann.get('mse_final')}): check fann-bench --verbose")
    ours = None
    for r in (report or {}).get("results", []):
        if (r.get("case") == "train_step" and r.get("kernels") == "openblas"
                and tuple(r.get("sizes", ())) == FANN_SIZES and r.get("batch") == 1
                and r.get("examples_per_second")):
            ours = r
    name = "-".join(str(s) for s in FANN_SIZES)
    fann_rate = fann["examples_per_second"]
    if ours is not None:
        rate = ours["examples_per_second"]
        print(f"{name} batch 1: backprop {rate:.0f} ex/s, FANN {fann_rate:.0f} ex/s, ratio "
              f"{rate / fann_rate:.2f}x (backprop on {ours.get('threads', '?')} OpenBLAS "
              f"thread(s), FANN on 1)")
    else:
        missing = "not in the report" if report is not None else "no --json report"
        print(f"{name} batch 1: backprop n/a ({missing}), FANN {fann_rate:.0f} ex/s "
              f"(1 thread)")
    sys.stdout.flush()
    return 0


# --------------------------------------------------------------------------
# Fashion-MNIST mode
# --------------------------------------------------------------------------

def read_idx(np, path, dimensions):
    """The unsigned bytes of a gzip-compressed IDX file, count x rest."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    if magic != 0x800 + dimensions:
        raise ValueError(f"{path}: magic {magic:#x}, expected {0x800 + dimensions:#x}")
    shape = struct.unpack(f">{dimensions}I", data[4:4 + 4 * dimensions])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {array.size} bytes of data for shape {shape}")
    return array.reshape(shape[0], -1) if dimensions > 1 else array


def load_fashion_mnist(np, directory):
    files = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(np, os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"), 3)
        labels = read_idx(np, os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"), 1)
        files[split] = (images.astype(np.float32), labels.astype(np.int64))
    return files


def activation_module(torch, name):
    return {
        "sigmoid": torch.nn.Sigmoid,
        "tanh": torch.nn.Tanh,
        "relu": torch.nn.ReLU,
        "leaky-relu": lambda: torch.nn.LeakyReLU(0.01),
        "identity": torch.nn.Identity,
    }[name]()


def run_backprop(args):
    """Trains with the backprop program on the same recipe; returns its
    per-epoch training seconds and last test accuracy, or None."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as scratch:
        metrics = os.path.join(scratch, "metrics.json")
        command = [args.backprop, "train", "--data-dir", args.data_dir,
                   "--layers", ",".join(map(str, args.layers)),
                   "--activation", args.activation, "--loss", args.loss,
                   "--init", args.init, "--optimizer", args.optimizer, "--lr", str(args.lr),
                   "--momentum", str(args.momentum), "--weight-decay", str(args.weight_decay),
                   "--schedule", args.schedule, "--batch", str(args.batch),
                   "--epochs", str(args.epochs), "--seed", str(args.seed),
                   "--metrics", metrics]
        if args.threads:
            command += ["--threads", str(args.threads)]
        print("backprop: " + " ".join(command[1:-2]))
        sys.stdout.flush()
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        for line in result.stdout.splitlines():
            if line.startswith(("kernels:", "epoch ", "test accuracy")):
                print("  " + line)
        if result.returncode != 0:
            print(f"compare_pytorch: {args.backprop} exited with {result.returncode}",
                  file=sys.stderr)
            return None
        with open(metrics) as f:
            epochs = json.load(f)["epochs"]
    return [e["seconds"] for e in epochs], epochs[-1]["test_accuracy"]


def fashion_mnist(args):
    if args.torch_blas_threads == "all":
        thread_counts = list(range(1, (os.cpu_count() or 1) + 1))
    else:
        try:
            thread_counts = [positive_int(t) for t in args.torch_blas_threads.split(",")]
        except (ValueError, argparse.ArgumentTypeError):
            print(f"compare_pytorch: --torch-blas-threads '{args.torch_blas_threads}': need "
                  "positive integers or 'all'", file=sys.stderr)
            return 2
    ours = None
    if args.backprop:
        ours = run_backprop(args)
        if ours is None:
            return 1
    torch = import_torch(max(thread_counts))
    if torch is None:
        return 0
    try:
        import numpy as np
    except ImportError:
        print(f"compare_pytorch: numpy is not installed for {sys.executable}; "
              "skipping Fashion-MNIST (Debian: apt-get install python3-numpy)")
        return 0
    try:
        data = load_fashion_mnist(np, args.data_dir)
    except (OSError, ValueError) as e:
        print(f"compare_pytorch: cannot load Fashion-MNIST from {args.data_dir}: {e} "
              "(Debian: apt-get install dataset-fashion-mnist)", file=sys.stderr)
        return 1
    describe_torch(torch)
    blas = loaded_openblas()
    results = []
    for threads in thread_counts:
        if blas is not None:
            blas.openblas_set_num_threads(threads)
        print(f"PyTorch, its OpenBLAS on {threads} thread(s), torch.set_num_threads(1):")
        results.append((threads, train_torch(torch, np, args, data)))
    if ours is not None:
        seconds, accuracy = ours
        mean = statistics.mean(seconds)
        print(f"backprop: {mean:.2f} s per epoch (mean of {len(seconds)}), test accuracy "
              f"{accuracy:.4f}")
        for threads, torch_seconds in results:
            print(f"ratio vs PyTorch with OpenBLAS on {threads} thread(s): "
                  f"{torch_seconds / mean:.2f}x ({torch_seconds:.2f} s / {mean:.2f} s)")
    return 0


def train_torch(torch, np, args, data):
    """Trains the recipe in PyTorch; returns the mean seconds per epoch."""
    train_x, train_y = data["train"]
    test_x, test_y = data["test"]
    if train_x.shape[1] != args.layers[0] or int(train_y.max()) >= args.layers[-1]:
        print(f"compare_pytorch: --layers {args.layers} does not fit {train_x.shape[1]} inputs "
              f"and {int(train_y.max()) + 1} classes", file=sys.stderr)
        sys.exit(1)
    # Scaling fitted on the training set, the same offset and scale for every
    # feature, applied to both sets.
    if args.scaling == "minmax":
        offset, spread = float(train_x.min()), float(train_x.max() - train_x.min())
    else:
        offset, spread = float(train_x.mean()), float(train_x.std())
    scale = 1.0 / spread if spread > 0 else 1.0
    train_x = torch.from_numpy((train_x - offset) * scale)
    test_x = torch.from_numpy((test_x - offset) * scale)
    train_y, test_y = torch.from_numpy(train_y), torch.from_numpy(test_y)
    classes = args.layers[-1]

    torch.manual_seed(args.seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(args.layers, args.layers[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if args.init == "he":
            torch.nn.init.kaiming_normal_(layers[-1].weight)
            torch.nn.init.zeros_(layers[-1].bias)
        if i + 2 < len(args.layers):
            layers.append(activation_module(torch, args.activation))
    model = torch.nn.Sequential(*layers)  # outputs the logits z of the last layer

    def output(z):
        if args.output_activation == "softmax":
            return torch.softmax(z, dim=1)
        return torch.sigmoid(z) if args.output_activation == "sigmoid" else z

    def cost(z, labels):
        if args.loss == "cross-entropy":
            # -sum_j y_j log softmax(z)_j, averaged over the batch, from the logits.
            return torch.nn.functional.cross_entropy(z, labels)
        targets = torch.nn.functional.one_hot(labels, classes).float()
        return ((output(z) - targets) ** 2).sum(dim=1).mean()

    params = model.parameters()
    if args.optimizer == "adam":
        optimizer = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                                     weight_decay=args.weight_decay)
    else:
        momentum = 0.0 if args.optimizer == "sgd" else args.momentum
        optimizer = torch.optim.SGD(params, lr=args.lr, momentum=momentum,
                                    nesterov=args.optimizer == "nesterov",
                                    weight_decay=args.weight_decay)

    steps = args.epochs * ((len(train_y) + args.batch - 1) // args.batch)
    schedule = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
                if args.schedule == "cosine" else None)
    print(f"Fashion-MNIST: {len(train_y)} training, {len(test_y)} test examples; layers "
          f"{'-'.join(map(str, args.layers))}, {args.activation}, output "
          f"{args.output_activation}, {args.loss}, {args.optimizer} lr {args.lr:g}, "
          f"batch {args.batch}, {args.scaling} scaling, {torch.get_num_threads()} thread(s)")
    sys.stdout.flush()
    generator = torch.Generator().manual_seed(args.seed)
    epoch_seconds = []
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(train_y), generator=generator)
        total, start = 0.0, time.perf_counter()
        model.train()
        for first in range(0, len(order), args.batch):
            index = order[first:first + args.batch]
            optimizer.zero_grad(set_to_none=True)
            loss = cost(model(train_x[index]), train_y[index])
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            total += loss.item() * len(index)
        seconds = time.perf_counter() - start  # training only, as backprop's epoch report
        epoch_seconds.append(seconds)
        model.eval()
        with torch.no_grad():
            z = model(test_x)
            test_loss = cost(z, test_y).item()
            accuracy = (z.argmax(dim=1) == test_y).float().mean().item()
        print(f"epoch {epoch}/{args.epochs}: {seconds:.2f} s, train loss "
              f"{total / len(train_y):.4f}, test loss {test_loss:.4f}, "
              f"test accuracy {accuracy:.4f}")
        sys.stdout.flush()
    print(f"PyTorch seconds per epoch: {statistics.mean(epoch_seconds):.2f} (mean of "
          f"{len(epoch_seconds)})")
    return statistics.mean(epoch_seconds)




def main(argv):
    args = parse_args(argv)
    return fashion_mnist(args) if args.fashion_mnist else benchmark(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
