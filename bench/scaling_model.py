#!/usr/bin/env python3
"""Scaling beyond this machine, on paper: docs/scaling.md's model.

A data-parallel step on N ranks, each with a share b of the global batch,
takes

    step(N, b) = compute(b) + exposed(N),
    exposed(N) = max(0, allreduce(N) - overlap),

with a ring allreduce of n = 4P bytes (P parameters, float32) costing

    allreduce(N, n) = 2(N-1) alpha + 2(N-1)/N n beta

per bucket (libbackprop-mpi sends one allreduce per bucket of about 1 MiB
of whole layers, output layer first). The overlap: each bucket starts when
its lowest layer's gradient is final in the backward pass and the buckets go
one after another; what ends after the backward pass is exposed. The
"no overlap" variant exposes the whole allreduce (what an MPI without
asynchronous progress gives; bp-bench-mpi measures which one we get).

Inputs, measured on this machine by bp-bench-mpi (--measure, under mpirun):
- alpha and beta over shared memory: MPI_Allreduce alone on 2 ranks, 4 B to
  64 MiB (--allreduce-sweep): alpha from the small messages, beta from the
  large ones (see fit_alpha_beta);
- compute(b): 1 rank x 1 OpenBLAS thread, the median training step of
  bp_mpi_train at per-rank batches 1 to 512, for the standard networks.

Ethernet: beta = 8 / (link bits/s) + beta_shm (the wire, then the copy and
sum in memory measured here, not overlapped: the cautious side), alpha
assumed (--alpha-us, default 10 us per message; 5 to 20 us is usual for
TCP over 25-100 Gb/s Ethernet between hosts).

Efficiency at fixed per-rank batch b (the global batch grows with N):
E = compute(b) / step(N, b), examples/s on N ranks / (N x on one).

  scaling_model.py --measure --bench-mpi build/bench/bp-bench-mpi
  scaling_model.py            # from docs/scaling-measured.json

Writes docs/scaling-measured.json (with --measure), docs/scaling.dat (the
chart's data, for bench/scaling.gp) and prints docs/scaling.md's tables.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "..", "docs")

# The standard configurations: (sizes, standard batch, per-rank batches measured).
NETWORKS = [
    ((784, 128, 10), 256, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]),
    ((784, 1024, 1024, 10), 256, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]),
    ((4096, 4096, 4096), 512, [8, 16, 32, 64, 128, 256, 512]),
]
RANKS = [8, 64, 512]
LINKS_GBPS = [25, 100]
BUCKET_BYTES = 1 << 20  # BP_MPI_DEFAULT_BUCKET_BYTES
TARGET = 0.8
LARGEST_BATCH = 1 << 16  # per rank, searched for TARGET


def mpi_environment():
    env = dict(os.environ)
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


def bench(program, ranks, arguments):
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "out.json")
        command = ["mpirun", "-np", str(ranks), "--bind-to", "none", program] + arguments + \
            ["--json", out]
        subprocess.run(command, check=True, env=mpi_environment(), timeout=280)
        with open(out) as f:
            return json.load(f)


def measure(program):
    sweep = bench(program, 2, ["--allreduce-sweep"])
    measured = {"openblas_core": sweep["openblas_core"], "cpu": sweep["cpu"],
                "mpi": sweep["mpi"], "allreduce_sweep": sweep["allreduce_sweep"],
                "compute": []}
    for sizes, _, batches in NETWORKS:
        big = sizes[0] >= 4096
        report = bench(program, 1, ["--sizes", ",".join(map(str, sizes)),
                                    "--batch", ",".join(map(str, batches)), "--threads", "1",
                                    "--rounds", "1" if big else "3", "--steps", "3" if big else "10"])
        measured["compute"].append({
            "sizes": list(sizes),
            "seconds_per_step": {str(r["batch"]): r["seconds_per_step"] for r in report["results"]},
        })
    return measured


def fit_alpha_beta(sweep):
    """alpha and beta of T = 2 alpha + n beta (the ring on 2 ranks) in the
    two regimes the sweep shows: alpha from the messages of at most 1 KiB
    (T = 2 alpha, latency only: the median), beta from those of 16 MiB and
    more (out of the caches, every byte from memory: least squares through
    2 alpha). In between, messages that fit in the caches go faster than
    this beta: using it for the local copy-and-sum is the cautious side."""
    small = sorted(p["seconds"] / 2 for p in sweep if p["bytes"] <= 1024)
    alpha = small[len(small) // 2]
    large = [(p["bytes"], p["seconds"] - 2 * alpha) for p in sweep if p["bytes"] >= 16 << 20]
    beta = sum(n * t for n, t in large) / sum(n * n for n, _ in large)
    return alpha, beta


def layer_flops(sizes, b):
    """Per layer (input side first): (forward, weight gradient, input gradient) multiply-adds x 2."""
    out = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        f = 2.0 * n_in * n_out * b
        out.append((f, f, f if i > 0 else 0.0))  # nothing learns from dC/dx
    return out


def buckets(sizes):
    """libbackprop-mpi's plan: whole layers, output layer first, closed at
    BUCKET_BYTES or at the first layer: [(trigger layer, bytes)]."""
    plan, floats, limit = [], 0, BUCKET_BYTES // 4
    for layer in reversed(range(len(sizes) - 1)):
        floats += sizes[layer] * sizes[layer + 1] + sizes[layer + 1]
        if floats >= limit or layer == 0:
            plan.append((layer, 4 * floats))
            floats = 0
    return plan


def parameters(sizes):
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def compute_seconds(table, b):
    """compute(b): the measured per-rank step times, interpolated in
    log-log; beyond the largest batch measured, in proportion to b (from
    256 to 512 the measured times double). None below the smallest."""
    points = sorted((int(k), v) for k, v in table.items())
    if b >= points[-1][0]:
        return points[-1][1] * b / points[-1][0]
    for (b0, t0), (b1, t1) in zip(points, points[1:]):
        if b0 <= b <= b1:
            w = math.log(b / b0) / math.log(b1 / b0)
            return math.exp(math.log(t0) + w * (math.log(t1) - math.log(t0)))
    return None


def allreduce_seconds(n_ranks, n_bytes, alpha, beta):
    return 2 * (n_ranks - 1) * alpha + 2 * (n_ranks - 1) / n_ranks * n_bytes * beta


def exposed_seconds(sizes, compute, n_ranks, alpha, beta, overlap):
    """The communication left after the backward pass."""
    plan = buckets(sizes)
    if not overlap:
        return sum(allreduce_seconds(n_ranks, nb, alpha, beta) for _, nb in plan)
    flops = layer_flops(sizes, 1)
    total = sum(sum(f) for f in flops)
    per_flop = compute / total
    # The backward pass starts once every forward product is done; layer l
    # is final after its weight gradient (its input gradient comes after).
    t = sum(f[0] for f in flops) * per_flop
    ready = {}
    for layer in reversed(range(len(flops))):
        t += flops[layer][1] * per_flop
        ready[layer] = t
        t += flops[layer][2] * per_flop
    end = 0.0
    for trigger, nb in plan:
        end = max(ready[trigger], end) + allreduce_seconds(n_ranks, nb, alpha, beta)
    return max(0.0, end - t)


def efficiency(sizes, table, b, n_ranks, alpha, beta, overlap):
    compute = compute_seconds(table, b)
    if compute is None:
        return None
    return compute / (compute + exposed_seconds(sizes, compute, n_ranks, alpha, beta, overlap))


def smallest_batch(sizes, table, n_ranks, alpha, beta, overlap):
    """The smallest per-rank batch, up to LARGEST_BATCH, with E >= TARGET
    (E grows with b: bisection), or None."""
    def good(b):
        e = efficiency(sizes, table, b, n_ranks, alpha, beta, overlap)
        return e is not None and e >= TARGET
    lo = min(int(k) for k in table)
    if good(lo):
        return lo
    if not good(LARGEST_BATCH):
        return None
    hi = LARGEST_BATCH  # good(hi), not good(lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if good(mid) else (mid, hi)
    return hi


def name(sizes):
    return "-".join(map(str, sizes))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--measure", action="store_true", help="run bp-bench-mpi first")
    p.add_argument("--bench-mpi", default="build/bench/bp-bench-mpi")
    p.add_argument("--measured", default=os.path.join(DOCS, "scaling-measured.json"))
    p.add_argument("--data", default=os.path.join(DOCS, "scaling.dat"))
    p.add_argument("--alpha-us", type=float, default=10.0,
                   help="Ethernet latency per message, microseconds (default 10)")
    args = p.parse_args(argv)

    if args.measure:
        measured = measure(args.bench_mpi)
        with open(args.measured + ".tmp", "w") as f:
            json.dump(measured, f, indent=1)
        os.replace(args.measured + ".tmp", args.measured)
    with open(args.measured) as f:
        measured = json.load(f)

    alpha_shm, beta_shm = fit_alpha_beta(measured["allreduce_sweep"])
    alpha_net = args.alpha_us * 1e-6
    tables = {name(c["sizes"]): c["seconds_per_step"] for c in measured["compute"]}
    print(f"measured on OpenBLAS core {measured['openblas_core']}, {measured['cpu']}, "
          f"{measured['mpi']}")
    print(f"shared memory, 2 ranks: alpha = {alpha_shm * 1e6:.2f} us, "
          f"beta = {beta_shm * 1e9:.3f} ns/byte ({1 / beta_shm / 1e9:.2f} GB/s)")
    print("\n| bytes | measured | fit |\n|---:|---:|---:|")
    for point in measured["allreduce_sweep"]:
        n, t = point["bytes"], point["seconds"]
        print(f"| {n} | {t * 1e6:.1f} us | {allreduce_seconds(2, n, alpha_shm, beta_shm) * 1e6:.1f} us |")

    print("\ncompute(b), 1 rank x 1 thread, ms per step:\n")
    batches = sorted({int(k) for t in tables.values() for k in t})
    print("| network | " + " | ".join(f"b={b}" for b in batches) + " |")
    print("|---|" + "---:|" * len(batches))
    for sizes, _, _ in NETWORKS:
        t = tables[name(sizes)]
        print(f"| {name(sizes)} | " + " | ".join(
            f"{t[str(b)] * 1e3:.3g}" if str(b) in t else "" for b in batches) + " |")

    print("\nthe model on this machine, 2 ranks over shared memory (to set beside "
          "compare_ddp.py's measured efficiency):")
    for sizes, batch in (((784, 128, 10), 256), ((784, 1024, 1024, 10), 256),
                         ((784, 128, 10), 64)):
        table = tables[name(sizes)]
        e1 = efficiency(sizes, table, batch // 2, 2, alpha_shm, beta_shm, True)
        e0 = efficiency(sizes, table, batch // 2, 2, alpha_shm, beta_shm, False)
        print(f"  {name(sizes)} global batch {batch}: E = {e1:.2f} overlapped, {e0:.2f} no overlap")

    print(f"\nEthernet: alpha = {args.alpha_us:g} us; beta = 8/link + {beta_shm * 1e9:.3f} ns/byte")
    print("\nefficiency at the standard per-rank batch (overlapped / no overlap), and the "
          f"smallest per-rank batch with E >= {TARGET} (overlapped / no overlap):\n")
    print("| network | P | per-rank batch | link | " +
          " | ".join(f"E, N={n}" for n in RANKS) + " | " +
          " | ".join(f"b for 80%, N={n}" for n in RANKS) + " |")
    print("|---|---:|---:|---|" + "---:|" * (2 * len(RANKS)))
    rows = []
    for sizes, batch, _ in NETWORKS:
        table = tables[name(sizes)]
        for gbps in LINKS_GBPS:
            beta = 8 / (gbps * 1e9) + beta_shm
            cells, mins = [], []
            for n in RANKS:
                e1 = efficiency(sizes, table, batch, n, alpha_net, beta, True)
                e0 = efficiency(sizes, table, batch, n, alpha_net, beta, False)
                cells.append(f"{e1:.2f} / {e0:.2f}")
                b1 = smallest_batch(sizes, table, n, alpha_net, beta, True)
                b0 = smallest_batch(sizes, table, n, alpha_net, beta, False)
                mins.append(f"{b1 if b1 else f'> {LARGEST_BATCH}'} / "
                            f"{b0 if b0 else f'> {LARGEST_BATCH}'}")
            print(f"| {name(sizes)} | {parameters(sizes)} | {batch} | {gbps} Gb/s | " +
                  " | ".join(cells) + " | " + " | ".join(mins) + " |")
        # The chart: E against N at the standard batch, per link, both variants.
        for n in [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]:
            row = [name(sizes), n]
            for gbps in LINKS_GBPS:
                beta = 8 / (gbps * 1e9) + beta_shm
                row += [efficiency(sizes, table, batch, n, alpha_net, beta, True),
                        efficiency(sizes, table, batch, n, alpha_net, beta, False)]
            rows.append(row)

    print("\nsensitivity to alpha, 784-1024-1024-10 at 25 Gb/s, smallest per-rank batch for "
          "80% (overlapped), N = " + ", ".join(map(str, RANKS)) + ":")
    table = tables[name((784, 1024, 1024, 10))]
    for alpha_us in (5, 10, 20):
        beta = 8 / 25e9 + beta_shm
        found = [smallest_batch((784, 1024, 1024, 10), table, n, alpha_us * 1e-6, beta, True)
                 for n in RANKS]
        print(f"  alpha {alpha_us} us: " + ", ".join(str(b) if b else "none" for b in found))

    with open(args.data + ".tmp", "w") as f:
        f.write(f"# docs/scaling.md's chart, written by bench/scaling_model.py: efficiency at the\n"
                f"# standard per-rank batch against ranks N; alpha {args.alpha_us:g} us, "
                f"beta = 8/link + {beta_shm * 1e9:.3f} ns/byte;\n"
                f"# compute measured on OpenBLAS core {measured['openblas_core']}.\n"
                "# network N E_25_overlap E_25_none E_100_overlap E_100_none\n")
        current = None
        for row in rows:
            if row[0] != current:
                if current is not None:
                    f.write("\n\n")  # gnuplot: one index per network
                current = row[0]
                f.write(f"# {row[0]}\n")
            f.write(f"{row[1]} " + " ".join(f"{x:.4f}" for x in row[2:]) + "\n")
    os.replace(args.data + ".tmp", args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
