#!/usr/bin/env python3
"""Two builds' training steps against each other: bp-bench A and bp-bench B.

Runs `bp-bench --quick --case train_step` of build A, then of build B, in
alternating rounds (A B, B A, A B, ...), so that the machine's drift falls on
both alike; each configuration's figure is the median over the rounds of
bp-bench's median step. Prints one line per configuration with both times
and B / A in examples per second (1.00: the same speed), naming OpenBLAS's
core. For a change that should not touch speed (a refactor), every ratio
should sit within the rounds' spread of 1.00.

  compare_builds.py --a old/bench/bp-bench --b build/bench/bp-bench --rounds 5
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def run(program, seconds, kernels):
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "r.json")
        subprocess.run([program, "--quick", "--case", "train_step", "--kernels", kernels,
                        "--seconds", f"{seconds:g}", "--json", out],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def main(argv):
    p = argparse.ArgumentParser(description="two builds' bp-bench training steps, in turns")
    p.add_argument("--a", required=True, metavar="BP_BENCH", help="the baseline")
    p.add_argument("--b", required=True, metavar="BP_BENCH", help="the change")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=float, default=0.3, help="bp-bench --seconds")
    p.add_argument("--kernels", default="openblas")
    args = p.parse_args(argv)
    times = {"a": {}, "b": {}}
    core = "?"
    for round_ in range(args.rounds):
        for side in ("a", "b") if round_ % 2 == 0 else ("b", "a"):
            report = run(getattr(args, side), args.seconds, args.kernels)
            core = report["core"]
            for r in report["results"]:
                key = ("-".join(map(str, r["sizes"])), r["batch"], r["kernels"])
                times[side].setdefault(key, []).append(r["seconds_per_step"])
    print(f"training step, B / A in examples per second, median of {args.rounds} alternating "
          f"rounds, OpenBLAS core {core}:")
    for key in times["a"]:
        if key not in times["b"]:
            continue
        a, b = statistics.median(times["a"][key]), statistics.median(times["b"][key])
        spread = max(times["a"][key]) / min(times["a"][key])
        print(f"  {key[0]} batch {key[1]} {key[2]}: A {a * 1e6:.1f} us, B {b * 1e6:.1f} us, "
              f"B / A {a / b:.3f} (A's own rounds spread {spread:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
