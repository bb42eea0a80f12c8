#!/usr/bin/env python3
"""backprop over MPI side by side with PyTorch DistributedDataParallel.

In alternating rounds, for each configuration (network, global batch):

  backprop 1x1   mpirun -np 1 bp-bench-mpi --threads 1
  backprop 1x2   mpirun -np 1 bp-bench-mpi --threads 2   (one process, 2 OpenBLAS threads)
  backprop 2x1   mpirun -np 2 bp-bench-mpi --threads 1   (bp_mpi_train over 2 ranks)
  PyTorch 1x1    one process, torch.set_num_threads(1), its OpenBLAS on 1 thread
  DDP 2x1        DistributedDataParallel, gloo, 2 processes of 1 thread each

Every side trains the same layers (sigmoid hidden layers, a linear output
with softmax cross-entropy, plain SGD) on random data; the global batch is
split over the processes. Each figure is the median step of a round, as
global examples/s; the table gives the medians over rounds, and the ratios
are medians of each round's ratio, so both sides of a ratio ran under the
same conditions. Scaling efficiency = examples/s on 2 processes / (2 x on
1 process of 1 thread), each framework against itself.

Then the default Fashion-MNIST recipe: `backprop train --epochs 2` alone
and under `mpirun -np 2`, alternating, the epoch seconds from --metrics.

  compare_ddp.py --bench-mpi build/bench/bp-bench-mpi --backprop build/tools/backprop

Needs mpirun (Open MPI) and, for the PyTorch side, Debian's python3-torch,
which imports only under /usr/bin/python3; without it the PyTorch columns
say so.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_pytorch  # noqa: E402  (import_torch, describe_torch: same directory)

# (sizes, global batch): the configurations.
CONFIGS = [
    ((784, 128, 10), 256),
    ((784, 1024, 1024, 10), 256),
    ((784, 128, 10), 64),
]

LEARNING_RATE = 0.01  # bp-bench-mpi's SGD default; the speed does not depend on it
WARM_UP_STEPS = 3
SIDES = ["bp 1x1", "bp 1x2", "bp 2x1", "torch 1x1", "DDP 2x1"]

# The environment as started: import_torch sets OPENBLAS_NUM_THREADS=1 in
# this process, which backprop's runs must not inherit.
START_ENVIRONMENT = dict(os.environ)


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bench-mpi", default="build/bench/bp-bench-mpi",
                   help="the bp-bench-mpi program (default %(default)s)")
    p.add_argument("--backprop", default="build/tools/backprop",
                   help="the backprop program, for the Fashion-MNIST epochs (default %(default)s)")
    p.add_argument("--rounds", type=positive_int, default=5, help="alternating rounds (default 5)")
    p.add_argument("--steps", type=positive_int, default=20,
                   help="timed steps per side and round (default 20)")
    p.add_argument("--mnist-rounds", type=positive_int, default=2,
                   help="rounds of the Fashion-MNIST epochs, 0 to skip (default 2)")
    p.add_argument("--skip-mnist", action="store_true", help="leave the Fashion-MNIST epochs out")
    p.add_argument("--skip-steps", action="store_true", help="leave the training steps out")
    p.add_argument("--config", type=positive_int, action="append",
                   help="run only configuration N (1-based, repeatable): " +
                   ", ".join(f"{i + 1}: {'-'.join(map(str, s))} batch {b}"
                             for i, (s, b) in enumerate(CONFIGS)))
    p.add_argument("--json", help="write every round's figures here")
    # The PyTorch side's processes: this script started again.
    p.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--rank", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--world", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--init", help=argparse.SUPPRESS)
    p.add_argument("--sizes", help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def mpi_environment():
    env = dict(START_ENVIRONMENT)
    if os.geteuid() == 0:  # Open MPI refuses root without these
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


def mpirun(ranks):
    # No binding: a rank of 2 OpenBLAS threads needs both cores, and the
    # PyTorch processes are not bound either.
    return ["mpirun", "-np", str(ranks), "--bind-to", "none"]


# --------------------------------------------------------------------------
# The PyTorch side
# --------------------------------------------------------------------------

def torch_worker(args):
    """One process of the PyTorch side: times `steps` training steps on its
    share of the global batch (DDP when world > 1) and, with DDP, a gloo
    allreduce of the whole gradient alone; rank 0 writes the medians."""
    torch = compare_pytorch.import_torch(1)
    if torch is None:
        return 1
    import torch.distributed as dist
    sizes = [int(s) for s in args.sizes.split(",")]
    torch.manual_seed(42)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i + 2 < len(sizes):
            layers.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers)  # logits: CrossEntropyLoss applies the softmax
    if args.world > 1:
        dist.init_process_group("gloo", init_method="file://" + args.init, rank=args.rank,
                                world_size=args.world)
        model = torch.nn.parallel.DistributedDataParallel(model)
    share = args.batch // args.world + (args.rank < args.batch % args.world)
    torch.manual_seed(1000 + args.rank)
    inputs = torch.rand(share, sizes[0])
    labels = torch.randint(min(10, sizes[-1]), (share,))
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    cost = torch.nn.CrossEntropyLoss()  # mean over the share; DDP averages the shares

    def step():
        optimizer.zero_grad(set_to_none=True)
        cost(model(inputs), labels).backward()
        optimizer.step()

    for _ in range(WARM_UP_STEPS):
        step()
    steps = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        steps.append(time.perf_counter() - t0)
    allreduce = None
    if args.world > 1:
        flat = torch.zeros(sum(p.numel() for p in model.parameters()))
        times = []
        for _ in range(args.steps):
            dist.barrier()
            t0 = time.perf_counter()
            dist.all_reduce(flat)  # flat <- sum over processes, as DDP's buckets
            times.append(time.perf_counter() - t0)
        allreduce = statistics.median(times)
    if args.rank == 0:
        with open(args.out, "w") as f:
            json.dump({"seconds_per_step": statistics.median(steps),
                       "allreduce_seconds": allreduce}, f)
    # Exit at once, past the destructors: in PyTorch 1.13 the teardown of
    # DDP and its gloo process group can hang a process after its work.
    sys.stdout.flush()
    os._exit(0)


def run_torch(sizes, batch, world, steps, scratch):
    """The PyTorch side on `world` processes: (examples/s, allreduce seconds or None)."""
    out = os.path.join(scratch, "torch.json")
    init = os.path.join(scratch, f"store-{time.monotonic_ns()}")
    env = dict(START_ENVIRONMENT, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    processes = [
        subprocess.Popen([sys.executable, os.path.abspath(__file__), "--torch-worker",
                          "--rank", str(r), "--world", str(world), "--init", init,
                          "--sizes", ",".join(map(str, sizes)), "--batch", str(batch),
                          "--steps", str(steps), "--out", out], env=env)
        for r in range(world)]
    codes = [p.wait(timeout=240) for p in processes]
    if any(codes):
        raise RuntimeError(f"PyTorch workers exited with {codes}")
    with open(out) as f:
        result = json.load(f)
    return batch / result["seconds_per_step"], result["allreduce_seconds"]


# --------------------------------------------------------------------------
# The backprop side
# --------------------------------------------------------------------------

def run_bp(program, sizes, batch, ranks, threads, steps, scratch):
    """One bp-bench-mpi launch: its result record and header fields."""
    out = os.path.join(scratch, "bp.json")
    command = mpirun(ranks) + [program, "--sizes", ",".join(map(str, sizes)),
                               "--batch", str(batch), "--rounds", "1", "--steps", str(steps),
                               "--threads", str(threads), "--json", out]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=mpi_environment(),
                   timeout=240)
    with open(out) as f:
        report = json.load(f)
    return report["results"][0], report


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def format_rate(value):
    return f"{value / 1000:8.1f}k" if value is not None else "        -"


def training_steps(args, configs, have_torch):
    rounds = {c: [] for c in configs}
    header = None
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(args.rounds):
            for sizes, batch in configs:
                row = {}
                for side, ranks, threads in (("bp 1x1", 1, 1), ("bp 1x2", 1, 2),
                                             ("bp 2x1", 2, 1)):
                    record, header = run_bp(args.bench_mpi, sizes, batch, ranks, threads,
                                            args.steps, scratch)
                    row[side] = record["examples_per_second"]
                    if side == "bp 2x1":
                        row["bp allreduce"] = record["allreduce_seconds"]
                        row["bp wait"] = record["wait_seconds"]
                        row["bp hidden"] = record["hidden_fraction"]
                if have_torch:
                    row["torch 1x1"], _ = run_torch(sizes, batch, 1, args.steps, scratch)
                    row["DDP 2x1"], row["gloo allreduce"] = run_torch(sizes, batch, 2,
                                                                      args.steps, scratch)
                rounds[(sizes, batch)].append(row)
                print(f"round {r + 1}/{args.rounds} {'-'.join(map(str, sizes))} batch {batch}: " +
                      "  ".join(f"{s} {format_rate(row.get(s)).strip()}" for s in SIDES),
                      flush=True)
    return rounds, header


def ratio_median(rows, top, bottom):
    values = [row[top] / row[bottom] for row in rows if row.get(top) and row.get(bottom)]
    return statistics.median(values) if values else None


def print_steps(rounds, header, have_torch):
    print()
    print(f"OpenBLAS core {header['openblas_core']}, CPU {header['cpu']}, {header['mpi']}; "
          "global examples/s, medians over rounds; bp = backprop (bp_mpi_train), NxT = "
          "processes x threads each")
    print(f"{'network':<18} {'batch':>5} " + " ".join(f"{s:>9}" for s in SIDES) +
          f" {'2x1/1x1':>8} {'2x1/1x2':>8} {'2x1/DDP':>8} {'eff bp':>7} {'eff DDP':>7}"
          f" {'allreduce':>10} {'wait':>8} {'hidden':>6} {'gloo':>8}")
    for (sizes, batch), rows in rounds.items():
        medians = {s: median_or_none([row.get(s) for row in rows]) for s in SIDES}
        vs_one = ratio_median(rows, "bp 2x1", "bp 1x1")
        vs_two = ratio_median(rows, "bp 2x1", "bp 1x2")
        vs_ddp = ratio_median(rows, "bp 2x1", "DDP 2x1")
        eff_ddp = ratio_median(rows, "DDP 2x1", "torch 1x1")

        def fmt(x, width, digits=2, scale=1.0, unit=""):
            return f"{x * scale:>{width - len(unit)}.{digits}f}{unit}" if x is not None else \
                f"{'-':>{width}}"

        allreduce = median_or_none([row.get("bp allreduce") for row in rows])
        wait = median_or_none([row.get("bp wait") for row in rows])
        hidden = median_or_none([row.get("bp hidden") for row in rows])
        gloo = median_or_none([row.get("gloo allreduce") for row in rows])
        print(f"{'-'.join(map(str, sizes)):<18} {batch:>5} " +
              " ".join(format_rate(medians[s]) for s in SIDES) +
              f" {fmt(vs_one, 8)} {fmt(vs_two, 8)} {fmt(vs_ddp, 8)}"
              f" {fmt(vs_one and vs_one / 2, 7)} {fmt(eff_ddp and eff_ddp / 2, 7)}"
              f" {fmt(allreduce, 10, 3, 1e3, 'ms')} {fmt(wait, 8, 3, 1e3, 'ms')}"
              f" {fmt(hidden, 6)} {fmt(gloo, 8, 2, 1e3, 'ms')}")
    print("allreduce: bp-bench-mpi's blocking MPI_Allreduce of the whole gradient, 2 ranks; "
          "wait: the step's exposed wait for the buckets; hidden: 1 - wait/allreduce; "
          "gloo: dist.all_reduce of as many floats")
    if not have_torch:
        print("PyTorch is not importable here: its columns are empty")


# --------------------------------------------------------------------------
# Fashion-MNIST
# --------------------------------------------------------------------------

def epoch_seconds(command, scratch, env):
    metrics = os.path.join(scratch, "metrics.json")
    subprocess.run(command + ["--epochs", "2", "--metrics", metrics], check=True,
                   stdout=subprocess.DEVNULL, env=env, cwd=scratch, timeout=240)
    with open(metrics) as f:
        return [e["seconds"] for e in json.load(f)["epochs"]]


def fashion_mnist(args):
    program = os.path.abspath(args.backprop)
    alone, ranks2, ratios = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(args.mnist_rounds):
            one = epoch_seconds([program, "train"], scratch, dict(START_ENVIRONMENT))
            two = epoch_seconds(mpirun(2) + [program, "train"], scratch, mpi_environment())
            alone += one
            ranks2 += two
            ratios.append(statistics.median(one) / statistics.median(two))
            print(f"fashion-mnist round {r + 1}/{args.mnist_rounds}: epoch seconds alone "
                  f"{' '.join(f'{s:.2f}' for s in one)}, mpirun -np 2 "
                  f"{' '.join(f'{s:.2f}' for s in two)}", flush=True)
    print(f"default recipe (backprop train --epochs 2), median epoch: alone "
          f"{statistics.median(alone):.2f} s, mpirun -np 2 {statistics.median(ranks2):.2f} s: "
          f"{statistics.median(ratios):.2f}x faster on 2 ranks")
    return {"alone": alone, "ranks2": ranks2, "ratios": ratios}


def main(argv):
    args = parse_args(argv)
    if args.torch_worker:
        return torch_worker(args)
    if any(i > len(CONFIGS) for i in (args.config or [])):
        print(f"compare_ddp: --config is 1 to {len(CONFIGS)}", file=sys.stderr)
        return 2
    configs = [CONFIGS[i - 1] for i in args.config] if args.config else CONFIGS
    results = {}
    if not args.skip_steps:
        torch = compare_pytorch.import_torch(1)
        if torch is not None:
            compare_pytorch.describe_torch(torch)
        rounds, header = training_steps(args, configs, torch is not None)
        print_steps(rounds, header, torch is not None)
        results["steps"] = [{"sizes": list(s), "batch": b, "rounds": rows}
                            for (s, b), rows in rounds.items()]
    if not args.skip_mnist and args.mnist_rounds > 0:
        results["fashion_mnist"] = fashion_mnist(args)
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(results, f, indent=1)
        os.replace(args.json + ".tmp", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
