#!/usr/bin/env python3
"""backprop's plans against each other and against oneDNN, per configuration.

For each network and batch, in alternating rounds: bp-bench's training step
as bp_train takes it (`--step loop`: the gradient, then SGD in a pass of its
own, also on one worker; what the planner times) under every fixed set-up (kernels openblas and blis x 1 worker x 1 thread,
1 x 2 threads, 2 workers x 1 thread), under --plan auto (the plan the
library times and chooses), and oneDNN's onednn-step in each of its set-ups
(plain and "any" weight layouts x 1 to the cores threads). Each set-up's
figure is the median over the rounds of its median step time; so a change of
the machine's load touches every set-up alike. Prints per configuration:

- every fixed set-up, the auto plan's choices (one per round) and its time,
  and how far auto is from the best fixed set-up (the planner's promise:
  within 3%);
- backprop / oneDNN's best, in examples per second (>= 1.0: as fast as
  oneDNN), for auto and for the best fixed set-up.

  compare_plans.py --bp-bench build/bench/bp-bench --onednn build/bench/onednn-step \\
      --config 784,128,10:32 --rounds 3

Each line names OpenBLAS's core and BLIS's sub-configuration (bp-bench's
report), which OPENBLAS_CORETYPE and BLIS_ARCH_TYPE may set, and the ISA
oneDNN's kernels used. oneDNN JITs for the widest ISA the CPU has, while
OPENBLAS_CORETYPE may pin OpenBLAS to a narrower one (Haswell: AVX2 on an
AVX-512 CPU); --onednn-isa avx2,all compares both ways in one run.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

# The configurations (network, batch).
STANDARD = [
    ((784, 128, 10), 32),
    ((784, 128, 10), 256),
    ((784, 256, 128, 10), 32),
    ((777, 333, 17), 100),
    ((512, 512, 512, 512, 10), 64),
    ((784, 1024, 1024, 10), 256),
    ((4096, 4096, 4096), 512),
]

# Workers x threads of the fixed set-ups on two cores.
SETUPS = [(1, 1), (1, 2), (2, 1)]


def config(text):
    sizes, _, batch = text.partition(":")
    try:
        return tuple(int(s) for s in sizes.split(",")), int(batch)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SIZES:BATCH such as 784,128,10:32, not {text}")


def bp_bench(program, sizes, batch, seconds, extra):
    """bp-bench's train_step records for one configuration: its report."""
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "r.json")
        # --step loop: one worker's step as bp_train takes it (gradient, then
        # the optimizer's pass), which is what the planner times; the fused
        # step would favour one worker against the plan's own figures.
        command = [program, "--quick", "--case", "train_step", "--step", "loop",
                   "--sizes", ",".join(map(str, sizes)), "--batch", str(batch),
                   "--seconds", f"{seconds:g}", "--json", out] + extra
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def onednn(program, sizes, batch, seconds, threads, layout, isa):
    """oneDNN's step time in seconds, and the ISA its kernels used."""
    out = subprocess.run([program, "--sizes", ",".join(map(str, sizes)), "--batch", str(batch),
                          "--threads", str(threads), "--format", layout, "--isa", isa,
                          "--seconds", f"{seconds:g}"],
                         check=True, capture_output=True, text=True).stdout
    found = re.search(r"isa (\S+): ([0-9.e+]+) us per step", out)
    if not found:
        raise RuntimeError(f"onednn-step printed no time: {out!r}")
    return float(found.group(2)) * 1e-6, found.group(1)


def main(argv):
    p = argparse.ArgumentParser(description="backprop's plans against each other and oneDNN")
    p.add_argument("--bp-bench", required=True, metavar="PROGRAM")
    p.add_argument("--onednn", metavar="PROGRAM", help="onednn-step; without it, no oneDNN")
    p.add_argument("--config", type=config, action="append",
                   help="SIZES:BATCH, repeatable (default: the issue's seven)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=0.3, help="per set-up and round")
    p.add_argument("--onednn-isa", default="all",
                   help="comma-separated oneDNN ISA caps, each compared on its own (default "
                        "all: the CPU's best; avx2 is like for like with OpenBLAS's Haswell and "
                        "Zen cores)")
    p.add_argument("--kernels", default="blas",
                   help="bp-bench --kernels for the fixed set-ups (default blas: openblas, blis)")
    args = p.parse_args(argv)
    cores = os.cpu_count() or 1
    for sizes, batch in args.config or STANDARD:
        times = {}  # set-up name -> [median seconds per round]
        plans, cores_named, isas = [], "", {}
        # One process per kernel set: OpenBLAS's threads spin for about 0.1 s
        # after a call on two of them and slow the BLIS set timed after it
        # in the same process.
        sets = ["openblas", "blis"] if args.kernels == "blas" else [args.kernels]
        for _ in range(args.rounds):
            for (workers, threads), kernels in ((s, k) for s in SETUPS for k in sets):
                report = bp_bench(args.bp_bench, sizes, batch, args.seconds,
                                  ["--kernels", kernels, "--workers", str(workers),
                                   "--threads", str(threads)])
                cores_named = (f"OpenBLAS core {report['core']} "
                               f"(OPENBLAS_CORETYPE={report.get('openblas_coretype_env')}), "
                               f"BLIS {report.get('blis_arch')} "
                               f"(BLIS_ARCH_TYPE={os.environ.get('BLIS_ARCH_TYPE', 'unset')})")
                for r in report["results"]:
                    name = f"{r['kernels']}:{workers}x{threads}"
                    times.setdefault(name, []).append(r["seconds_per_step"])
            report = bp_bench(args.bp_bench, sizes, batch, args.seconds,
                              ["--kernels", "none", "--plan", "auto"])
            r = report["results"][0]
            plans.append(r["plan"].replace("auto ", ""))
            times.setdefault("auto", []).append(r["seconds_per_step"])
            if args.onednn:
                for isa in args.onednn_isa.split(","):
                    for threads in range(1, cores + 1):
                        for layout in ("plain", "any"):
                            t, used = onednn(args.onednn, sizes, batch, args.seconds, threads,
                                             layout, isa)
                            isas[isa] = used
                            times.setdefault(f"oneDNN {isa} {layout} x {threads}", []).append(t)
        median = {k: statistics.median(v) for k, v in times.items()}
        fixed = {k: v for k, v in median.items() if k != "auto" and not k.startswith("oneDNN")}
        best_fixed = min(fixed, key=fixed.get)
        name = "-".join(map(str, sizes))
        print(f"{name} batch {batch} [{cores_named}], median of {args.rounds} alternating "
              f"rounds:")
        print("  fixed: " + ", ".join(f"{k} {v * 1e6:.0f} us" for k, v in fixed.items()))
        auto = median["auto"]
        print(f"  auto: {auto * 1e6:.0f} us (chose {', '.join(plans)}); best fixed {best_fixed} "
              f"{fixed[best_fixed] * 1e6:.0f} us; auto / best fixed = "
              f"{auto / fixed[best_fixed]:.3f}")
        for isa, used in isas.items():
            prefix = f"oneDNN {isa} "
            dnn = {k[len(prefix):]: v for k, v in median.items() if k.startswith(prefix)}
            best_dnn = min(dnn, key=dnn.get)
            print(f"  oneDNN (--isa {isa}: {used}): "
                  + ", ".join(f"{k} {v * 1e6:.0f} us" for k, v in dnn.items())
                  + f"; backprop / oneDNN's best ({best_dnn}), examples/s: auto "
                  f"{dnn[best_dnn] / auto:.2f}x, best fixed "
                  f"{dnn[best_dnn] / fixed[best_fixed]:.2f}x")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
