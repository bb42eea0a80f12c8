#!/usr/bin/env python3
"""Charts of a bp-bench JSON report, drawn by gnuplot with bench/plot.gp.

For each batch size among the per-operation results (forward, weight_grad,
input_grad), two PNG files in OUTDIR:
  bench-gflops-batchN.png   GFLOP/s against the layer width, OpenBLAS and naive
  bench-speedup-batchN.png  OpenBLAS's speedup over the naive loops

usage: plot.py RESULTS.json [OUTDIR]    (OUTDIR defaults to the JSON's directory)
Needs only the standard library and gnuplot (Debian: gnuplot-nox).
"""
import json
import os
import shutil
import subprocess
import sys

OPERATIONS = ("forward", "weight_grad", "input_grad")


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help") or len(argv) > 3:
        print(__doc__.strip(), file=sys.stderr if len(argv) < 2 else sys.stdout)
        return 0 if len(argv) >= 2 else 2
    path = argv[1]
    outdir = argv[2] if len(argv) == 3 else (os.path.dirname(path) or ".")
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("plot.py: gnuplot is not installed (Debian: apt-get install gnuplot-nox)",
              file=sys.stderr)
        return 1
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print(f"plot.py: cannot read {path}: {e}", file=sys.stderr)
        return 1

    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plot.gp")
    datadir = os.path.join(outdir, "bench-plot-data")
    os.makedirs(datadir, exist_ok=True)
    note = "core {}, {} OpenBLAS threads, {}".format(
        report.get("core", "?"), report.get("threads", "?"), report.get("cpu_model", "?"))
    note = note.replace("'", "").replace('"', "")  # goes inside a gnuplot string
    peak = (report.get("peak") or {}).get("gflops") or 0

    # (batch, series name) -> {width: value}
    gflops, speedup = {}, {}
    for r in report.get("results", []):
        if r.get("case") not in OPERATIONS or len(r.get("sizes", [])) != 2:
            continue
        width, batch = r["sizes"][1], r["batch"]
        name = "{}-{}".format(r["case"], r["kernels"])
        if r.get("gflops") is not None:
            gflops.setdefault(batch, {}).setdefault(name, {})[width] = r["gflops"]
        if r["kernels"] == "openblas" and r.get("speedup_vs_naive") is not None:
            speedup.setdefault(batch, {}).setdefault(r["case"], {})[width] = r["speedup_vs_naive"]
    if not gflops:
        print(f"plot.py: no per-operation results in {path}; nothing to plot", file=sys.stderr)
        return 0

    written = []
    for kind, table in (("gflops", gflops), ("speedup", speedup)):
        for batch, series in sorted(table.items()):
            if len({width for points in series.values() for width in points}) < 2:
                print(f"plot.py: one layer width only at batch {batch}: no {kind} chart")
                continue
            names = []
            for name, points in sorted(series.items()):
                with open(os.path.join(datadir, f"{kind}-b{batch}-{name}.dat"), "w") as f:
                    for width in sorted(points):
                        f.write(f"{width} {points[width]}\n")
                names.append(name)
            out = os.path.join(outdir, f"bench-{kind}-batch{batch}.png")
            settings = (f"datadir='{datadir}'; prefix='{kind}-b{batch}-'; "
                        f"series='{' '.join(names)}'; kind='{kind}'; "
                        f"batch='{batch}'; note='{note}'; peak={float(peak)}; out='{out}'")
            result = subprocess.run([gnuplot, "-e", settings, script])
            if result.returncode != 0:
                print(f"plot.py: gnuplot failed on {out}", file=sys.stderr)
                return 1
            written.append(out)
    for out in written:
        print(f"plot.py: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
