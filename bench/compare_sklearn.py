#!/usr/bin/env python3
"""The `backprop` CLI with its defaults against scikit-learn's MLPs, on the
small real data sets scikit-learn ships: test accuracy (or R^2) and training
time, in one run.

For digits, breast cancer and wine (classification) and diabetes
(regression), a stratified (classification) 75/25 split with
random_state 0 is written as CSV files (a header line of names, the label
or target last, raw values: no preprocessing by hand). Then, in alternating
rounds:

- backprop: `backprop train --train-csv TRAIN --test-csv TEST --label-column
  last` (and `--task regression` for diabetes), every other option at its
  default: per-feature standardization fitted on the training set, hidden
  layers 256 and 128 (ReLU), Adam at 0.001 with the CLI's cosine schedule,
  batches of 32, 15 epochs, seed 1. Its training time is the sum of the
  epochs' seconds from --metrics (evaluation excluded); the whole process's
  wall time is shown too.
- scikit-learn: the same recipe, as its users write it: StandardScaler then
  MLPClassifier / MLPRegressor(hidden_layer_sizes=(256, 128), relu, adam,
  learning_rate_init=0.001, batch_size=32, max_iter=15, alpha=0, no
  tolerance stop), the regressor's targets standardized as the CLI's are
  (TransformedTargetRegressor). Its time is fit()'s.

Round r uses seed r on both sides (--seed, random_state): the scores are
the means over the rounds, since one seed's R^2 on diabetes varies by
0.1. Each time is the median of the rounds; the ratio is the median of the
rounds' ratios, each measured back to back. The OpenBLAS core is the one
`backprop train` reports. backprop runs OpenBLAS on one thread (the CLI's
choice below batch 128); scikit-learn's NumPy uses OpenBLAS's default.

  /usr/bin/python3 bench/compare_sklearn.py --backprop build/tools/backprop

Needs scikit-learn (Debian: python3-sklearn, under /usr/bin/python3);
without it, says so and exits 0.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

EPOCHS = 15
BATCH = 32
HIDDEN = (256, 128)


def write_csv(path, X, y, regression):
    with open(path, "w") as f:
        f.write(",".join(f"x{j}" for j in range(X.shape[1])) + ",target\n")
        for row, t in zip(X, y):
            label = repr(float(t)) if regression else str(int(t))
            f.write(",".join(repr(float(v)) for v in row) + "," + label + "\n")


def run_backprop(program, train, test, regression, metrics, seed):
    command = [program, "train", "--train-csv", train, "--test-csv", test,
               "--label-column", "last", "--metrics", metrics, "--seed", str(seed)]
    if regression:
        command += ["--task", "regression"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"compare_sklearn: {' '.join(command)} failed:\n{done.stderr}")
    with open(metrics) as f:
        seconds = sum(e["seconds"] for e in json.load(f)["epochs"])
    pattern = r"^test r2: (\S+)$" if regression else r"^test accuracy: (\S+)$"
    score = float(re.search(pattern, done.stdout, re.M).group(1))
    core = re.search(r"^kernels: .*?core ([^;,\s]+)", done.stdout, re.M)
    return score, seconds, wall, core.group(1) if core else "?"


def run_sklearn(X_train, y_train, X_test, y_test, regression, seed):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    import warnings
    from sklearn.exceptions import ConvergenceWarning

    common = dict(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam",
                  learning_rate_init=0.001, batch_size=BATCH, max_iter=EPOCHS, alpha=0.0,
                  tol=0.0, n_iter_no_change=EPOCHS + 1, shuffle=True, random_state=seed)
    if regression:
        model = make_pipeline(StandardScaler(), TransformedTargetRegressor(
            regressor=MLPRegressor(**common), transformer=StandardScaler()))
    else:
        model = make_pipeline(StandardScaler(), MLPClassifier(**common))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the epoch count
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    predicted = model.predict(X_test)
    score = r2_score(y_test, predicted) if regression else accuracy_score(y_test, predicted)
    return score, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backprop", default="build/tools/backprop",
                        help="the backprop program (default: build/tools/backprop)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    args = parser.parse_args()
    try:
        from sklearn import datasets
        from sklearn.model_selection import train_test_split
        import sklearn
    except ImportError:
        print("compare_sklearn: scikit-learn is not installed (Debian: python3-sklearn, "
              "under /usr/bin/python3); skipped")
        return 0

    sets = [
        ("digits", datasets.load_digits, False),
        ("breast cancer", datasets.load_breast_cancer, False),
        ("wine", datasets.load_wine, False),
        ("diabetes", datasets.load_diabetes, True),
    ]
    rows = []
    core = "?"
    with tempfile.TemporaryDirectory() as tmp:
        for name, load, regression in sets:
            X, y = load(return_X_y=True)
            if regression:  # the raw targets and features, as the data comes
                X, y = load(return_X_y=True, scaled=False)
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=0.25, random_state=0, stratify=None if regression else y)
            train, test = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
            write_csv(train, X_train, y_train, regression)
            write_csv(test, X_test, y_test, regression)
            bp_times, bp_walls, sk_times, ratios, bp_scores, sk_scores = [], [], [], [], [], []
            for seed in range(1, args.rounds + 1):
                bp_score, bp_seconds, bp_wall, core = run_backprop(
                    args.backprop, train, test, regression, os.path.join(tmp, "m.json"), seed)
                sk_score, sk_seconds = run_sklearn(X_train, y_train, X_test, y_test, regression,
                                                   seed)
                bp_scores.append(bp_score)
                sk_scores.append(sk_score)
                bp_times.append(bp_seconds)
                bp_walls.append(bp_wall)
                sk_times.append(sk_seconds)
                ratios.append(sk_seconds / bp_seconds)
            rows.append((name, X.shape, "R^2" if regression else "accuracy",
                         statistics.mean(bp_scores), statistics.mean(sk_scores),
                         statistics.median(bp_times), statistics.median(bp_walls),
                         statistics.median(sk_times), statistics.median(ratios)))

    print(f"backprop CLI defaults vs scikit-learn {sklearn.__version__}: {EPOCHS} epochs, batch "
          f"{BATCH}, hidden {HIDDEN[0]}-{HIDDEN[1]} relu, adam 0.001; OpenBLAS core {core}; "
          f"{args.rounds} alternating rounds (seeds 1..{args.rounds} on both sides): mean "
          f"scores, median times")
    print(f"{'data set':<14} {'examples':>8} {'metric':<8} {'backprop':>8} {'sklearn':>8} "
          f"{'diff':>7} {'bp train s':>10} {'bp wall s':>9} {'sk fit s':>8} {'speed-up':>8}")
    for name, shape, metric, bp, sk, bp_s, bp_wall, sk_s, ratio in rows:
        print(f"{name:<14} {shape[0]:>8} {metric:<8} {bp:>8.4f} {sk:>8.4f} {bp - sk:>+7.4f} "
              f"{bp_s:>10.3f} {bp_wall:>9.3f} {sk_s:>8.3f} {ratio:>7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
