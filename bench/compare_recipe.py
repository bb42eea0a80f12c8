#!/usr/bin/env python3
"""The default Fashion-MNIST recipe under the automatic plan against one core.

For each seed, `backprop train` runs the default recipe twice, once as it
comes (--plan auto: the library times kernels x workers x threads and takes
the fastest) and once on `--workers 1 --threads 1`, in alternating order
from seed to seed, so that a drift of the machine's speed falls on both
sides alike. Prints per seed the training seconds of both (the sum of the
epochs' seconds in --metrics: training only, not loading or the test set),
their ratio, the plan auto chose and both test accuracies; then the median
ratio and the largest accuracy difference. The issue's promise: a ratio of
at least 1.0 on any machine, the same accuracy within 0.005.

  compare_recipe.py --backprop build/tools/backprop --seeds 1,2,3

Every line names OpenBLAS's core (the `kernels:` line of backprop train).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile


def train(program, seed, extra, epochs):
    """One run: (training seconds, test accuracy, kernels line)."""
    with tempfile.TemporaryDirectory() as scratch:
        metrics = os.path.join(scratch, "metrics.json")
        command = [program, "train", "--seed", str(seed), "--metrics", metrics] + extra
        if epochs:
            command += ["--epochs", str(epochs)]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        with open(metrics) as f:
            record = json.load(f)
    kernels = re.search(r"^kernels: (.*)$", out, re.M)
    epochs_run = record["epochs"]
    return (sum(e["seconds"] for e in epochs_run), epochs_run[-1]["test_accuracy"],
            kernels.group(1) if kernels else "?")


def main(argv):
    p = argparse.ArgumentParser(description="the default recipe: auto plan against one core")
    p.add_argument("--backprop", required=True, metavar="PROGRAM")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--epochs", type=int, default=0, help="default: the recipe's own")
    args = p.parse_args(argv)
    sides = {"auto": [], "1x1": ["--workers", "1", "--threads", "1"]}
    ratios, differences = [], []
    for i, seed in enumerate(int(s) for s in args.seeds.split(",")):
        order = ["auto", "1x1"] if i % 2 == 0 else ["1x1", "auto"]
        result = {side: train(args.backprop, seed, sides[side], args.epochs) for side in order}
        (auto_s, auto_acc, auto_k), (one_s, one_acc, one_k) = result["auto"], result["1x1"]
        ratios.append(one_s / auto_s)
        differences.append(abs(auto_acc - one_acc))
        print(f"seed {seed}: auto {auto_s:.2f} s ({auto_k}), test accuracy {auto_acc:.4f}; "
              f"1 worker x 1 thread {one_s:.2f} s ({one_k}), test accuracy {one_acc:.4f}; "
              f"auto / 1x1 speed {one_s / auto_s:.2f}x")
        sys.stdout.flush()
    print(f"median speed-up of auto over --workers 1 --threads 1: "
          f"{statistics.median(ratios):.2f}x (seeds {args.seeds}: "
          f"{', '.join(f'{r:.2f}' for r in ratios)}); largest test-accuracy difference "
          f"{max(differences):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
