#!/usr/bin/env python3
"""backprop's Python estimators against scikit-learn's, fit time and score
in one run, and the Python layer's cost against the `backprop train` CLI.

Small sets (scikit-learn's bundled data: digits, breast cancer, wine, and
diabetes for regression), standardized on a stratified 75/25 split: both
libraries' MLPClassifier / MLPRegressor with scikit-learn's defaults
(hidden_layer_sizes=(100,), relu, adam, batch_size='auto') for exactly
--epochs epochs (the tolerance stop turned off, so both do the same work).

Fashion-MNIST (Debian's dataset-fashion-mnist): 784-256-128-10, relu, Adam
at 0.001, batch 32, alpha 1e-4, --fashion-epochs epochs (15), inputs / 255.
The CLI trains the same recipe (--init xavier, constant rate, weight decay
alpha / batch: the estimator's mapping of alpha), and the Python layer's
overhead is the estimator's whole fit() against the CLI's training seconds
(the sum of its epochs' times from --metrics, evaluation excluded).

Rounds alternate the sides (CLI, backprop, scikit-learn per round), and each
ratio is the median of the rounds' ratios, so that both sides of a ratio see
the same machine. backprop runs OpenBLAS on one thread (the CLI's choice
for batches under 128); scikit-learn's NumPy keeps OpenBLAS's default.

  PYTHONPATH=python BACKPROP_LIBRARY=build/src/libbackprop.so.0 \\
      /usr/bin/python3 bench/compare_sklearn_python.py --cli build/tools/backprop
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn import datasets, neural_network
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import backprop

FASHION = "/usr/share/datasets/fashion-mnist"
SMALL = {
    "digits": (datasets.load_digits, "classification"),
    "breast cancer": (datasets.load_breast_cancer, "classification"),
    "wine": (datasets.load_wine, "classification"),
    "diabetes": (datasets.load_diabetes, "regression"),
}


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def fashion_mnist():
    x = read_idx(f"{FASHION}/train-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    y = read_idx(f"{FASHION}/train-labels-idx1-ubyte.gz", 8)
    xt = read_idx(f"{FASHION}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    yt = read_idx(f"{FASHION}/t10k-labels-idx1-ubyte.gz", 8)
    scale = np.float32(1.0 / 255.0)
    return (x.astype(np.float32) * scale, y.astype(np.int64), xt.astype(np.float32) * scale,
            yt.astype(np.int64))


def small_set(name):
    load, task = SMALL[name]
    X, y = load(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y if task == "classification" else None)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if task == "regression":
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return (X_train.astype(np.float32), y_train, X_test.astype(np.float32), y_test), task


def fit_and_score(make, data, task):
    X_train, y_train, X_test, y_test = data
    model = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    predicted = model.predict(X_test)
    score = accuracy_score(y_test, predicted) if task == "classification" else r2_score(
        y_test, predicted)
    return seconds, score, model.n_iter_


def run_cli(cli, epochs, alpha, batch, seed):
    with tempfile.TemporaryDirectory() as scratch:
        metrics = os.path.join(scratch, "metrics.json")
        command = [cli, "train", "--layers", "784,256,128,10", "--activation", "relu",
                   "--init", "xavier", "--optimizer", "adam", "--lr", "0.001", "--schedule",
                   "constant", "--weight-decay", repr(alpha / batch), "--batch", str(batch),
                   "--epochs", str(epochs), "--seed", str(seed), "--threads", "1",
                   "--metrics", metrics, "--quiet"]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        with open(metrics) as f:
            report = json.load(f)
    epochs_list = report["epochs"] if isinstance(report, dict) else report
    seconds = sum(e["seconds"] for e in epochs_list)
    accuracy = float(output.strip().split()[-1])
    return seconds, accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cli", help="the backprop program, for the overhead line")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=200, help="small sets")
    parser.add_argument("--fashion-epochs", type=int, default=15)
    parser.add_argument("--fashion-rounds", type=int, default=1)
    parser.add_argument("--sets", default="digits,breast cancer,wine,diabetes,fashion-mnist")
    parser.add_argument("--random-state", type=int, default=0,
                        help="the estimators' random_state (the CLI's seed is 1)")
    parser.add_argument("--no-fashion-sklearn", action="store_true",
                        help="Fashion-MNIST: only the CLI and the estimator (the overhead)")
    args = parser.parse_args()
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    cores = os.cpu_count()
    print(f"OpenBLAS core: {backprop.blas_core()}; libbackprop {backprop.version()}; "
          f"{cores} cores", flush=True)
    print("| data set | task | train/test | epochs | scikit-learn fit s | backprop fit s | "
          "speed-up | scikit-learn score | backprop score |")
    print("|---|---|---|---|---|---|---|---|---|")

    for name in sets:
        if name == "fashion-mnist":
            continue
        data, task = small_set(name)
        common = dict(hidden_layer_sizes=(100,), max_iter=args.epochs, tol=0.0,
                      n_iter_no_change=args.epochs + 1, random_state=args.random_state)
        ours = backprop.MLPClassifier if task == "classification" else backprop.MLPRegressor
        theirs = (neural_network.MLPClassifier if task == "classification"
                  else neural_network.MLPRegressor)
        ratios, results = [], {"ours": [], "theirs": []}
        for _ in range(args.rounds):
            a = fit_and_score(lambda: ours(blas_threads=1, **common), data, task)
            backprop.set_blas_threads(cores)
            b = fit_and_score(lambda: theirs(**common), data, task)
            results["ours"].append(a)
            results["theirs"].append(b)
            ratios.append(b[0] / a[0])
        a, b = results["ours"][-1], results["theirs"][-1]
        print(f"| {name} | {task} | {len(data[0])}/{len(data[2])} | {a[2]} | "
              f"{statistics.median(r[0] for r in results['theirs']):.3f} | "
              f"{statistics.median(r[0] for r in results['ours']):.3f} | "
              f"{statistics.median(ratios):.1f}x | {b[1]:.4f} | {a[1]:.4f} |", flush=True)

    if "fashion-mnist" in sets:
        data = fashion_mnist()
        alpha, batch = 1e-4, 32
        common = dict(hidden_layer_sizes=(256, 128), batch_size=batch, alpha=alpha,
                      max_iter=args.fashion_epochs, tol=0.0,
                      n_iter_no_change=args.fashion_epochs + 1, random_state=args.random_state)
        ratios, overheads, ours_runs, theirs_runs, cli_runs = [], [], [], [], []
        for _ in range(args.fashion_rounds):
            if args.cli:
                cli_runs.append(run_cli(args.cli, args.fashion_epochs, alpha, batch, 1))
            ours_runs.append(fit_and_score(
                lambda: backprop.MLPClassifier(blas_threads=1, **common), data,
                "classification"))
            if args.cli:
                overheads.append(ours_runs[-1][0] / cli_runs[-1][0] - 1.0)
            if args.no_fashion_sklearn:
                continue
            backprop.set_blas_threads(cores)
            theirs_runs.append(fit_and_score(
                lambda: neural_network.MLPClassifier(**common), data, "classification"))
            ratios.append(theirs_runs[-1][0] / ours_runs[-1][0])
        if theirs_runs:
            print(f"| Fashion-MNIST 784-256-128-10, batch 32, Adam | classification | 60000/10000 | "
                  f"{ours_runs[-1][2]} | {statistics.median(r[0] for r in theirs_runs):.1f} | "
                  f"{statistics.median(r[0] for r in ours_runs):.1f} | "
                  f"{statistics.median(ratios):.1f}x | {theirs_runs[-1][1]:.4f} | "
                  f"{ours_runs[-1][1]:.4f} |")
        print(f"\nFashion-MNIST, backprop.MLPClassifier(random_state={args.random_state}): "
              f"test accuracy {ours_runs[-1][1]:.4f}, fit "
              f"{statistics.median(r[0] for r in ours_runs):.2f} s")
        if args.cli:
            print(f"Fashion-MNIST, the Python layer against the CLI: estimator fit() "
                  f"{statistics.median(r[0] for r in ours_runs):.2f} s, `backprop train` "
                  f"epochs {statistics.median(r[0] for r in cli_runs):.2f} s (test accuracy "
                  f"{cli_runs[-1][1]:.4f}): overhead {100 * statistics.median(overheads):+.1f}% "
                  f"(median of {len(overheads)} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
