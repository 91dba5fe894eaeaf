"""MML process CPU side by side: irt cold, irt with a warm persistent compilation cache, and girth.

    PYTHONPATH=. .venv/bin/python benchmarks/mml/process_cpu.py --repeats 3 --girth-python /tmp/girthvenv/bin/python \
        --json benchmarks/mml/results/process_cpu.json

For each case (``run_benchmarks.CASES``; data ``irt.simulate(..., seed=2026)``) and each repeat the
variants run alternated, each in a fresh process: ``irt-cold`` (``GAPEVAL_JAX_CACHE=off``: imports,
compilation and fit), ``irt-disk`` (the same with JAX's persistent cache in a temporary folder filled
by one unrecorded run first), ``girth`` (``twopl_mml``, unidimensional cases only). Each child
reports the CPU seconds of the whole process (imports included; ``resource.getrusage``) and of the fit
call alone (``time.process_time``), the fit's wall seconds, and the RMSE of the slopes and intercepts.
Prints a Markdown table of the medians and the 1-minute load average at start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CASES = {"2pl-1000x20": (1000, 20, 1), "2pl-5000x100": (5000, 100, 1), "2d-5000x100": (5000, 100, 2)}

IRT_CHILD = r"""
import resource, sys, time, json
import numpy as np
import irt
n, i, dims = map(int, sys.argv[1:4])
q = None
if dims == 2:
    q = np.zeros((i, 2), dtype=int); q[: i // 2, 0] = 1; q[i // 2:, 1] = 1
data, truth = irt.simulate("2pl", num_respondents=n, num_items=i, q_matrix=q, correlation=0.5, seed=2026)
if len(sys.argv) > 4:
    np.savez(sys.argv[4], y=data.to_wide().to_numpy(), a=truth.a, d=truth.d)
wall, cpu = time.perf_counter(), time.process_time()
fit = irt.fit(data, "2pl", method="mml", q_matrix=q, standard_errors=False)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
items = fit.items()
a = items[items["param"].str.startswith("a")]["estimate"].to_numpy()
ta = truth.a if dims == 1 else truth.a[truth.q_matrix == 1]
d = items.loc[items["param"] == "d", "estimate"].to_numpy()
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"process_cpu_s": use.ru_utime + use.ru_stime, "fit_cpu_s": cpu, "fit_wall_s": wall,
                  "compile_s": fit.info["compile_s"], "rmse_a": float(np.sqrt(np.mean((a - ta) ** 2))),
                  "rmse_d": float(np.sqrt(np.mean((d - truth.d) ** 2)))}))
"""

GIRTH_CHILD = r"""
import resource, sys, time, json
import numpy as np
import girth
f = np.load(sys.argv[1])
y = f["y"].astype(int)
wall, cpu = time.perf_counter(), time.process_time()
r = girth.twopl_mml(y.T)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
a = np.asarray(r["Discrimination"], float); d = -a * np.asarray(r["Difficulty"], float)
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"process_cpu_s": use.ru_utime + use.ru_stime, "fit_cpu_s": cpu, "fit_wall_s": wall,
                  "rmse_a": float(np.sqrt(np.mean((a - f["a"]) ** 2))), "rmse_d": float(np.sqrt(np.mean((d - f["d"]) ** 2)))}))
"""


def child(command: list[str], env: dict) -> dict:
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--repeats", type=int, default=3, help="alternated repeats per case (medians are reported)")
    parser.add_argument("--girth-python", help="a Python with girth installed (unidimensional cases)")
    parser.add_argument("--json", help="write every record here")
    args = parser.parse_args()
    root = str(Path(__file__).resolve().parents[2])
    records = []
    print(f"load at start: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        base = {**os.environ, "PYTHONPATH": root}
        cold = {**base, "GAPEVAL_JAX_CACHE": "off"}
        disk = {**base, "GAPEVAL_JAX_CACHE": str(Path(folder) / "jax")}
        for case in args.cases:
            n, i, dims = CASES[case]
            data = str(Path(folder) / f"{case}.npz")
            child([sys.executable, "-c", IRT_CHILD, str(n), str(i), str(dims), data], disk)   # fills the disk cache
            for repeat in range(args.repeats):
                variants = [("irt-cold", [sys.executable, "-c", IRT_CHILD, str(n), str(i), str(dims)], cold),
                            ("irt-disk", [sys.executable, "-c", IRT_CHILD, str(n), str(i), str(dims)], disk)]
                if args.girth_python and dims == 1:
                    variants.append(("girth", [args.girth_python, "-c", GIRTH_CHILD, data], base))
                for name, command, env in (variants if repeat % 2 == 0 else variants[::-1]):
                    record = {"case": case, "variant": name, "repeat": repeat, "load_1min": os.getloadavg()[0],
                              **child(command, env)}
                    records.append(record)
                    print(json.dumps(record), flush=True)
                    if args.json:
                        Path(args.json).write_text(json.dumps(records, indent=1))
    print(f"load at end: {os.getloadavg()}")
    print("\n| case | variant | process CPU s | fit CPU s | fit wall s | RMSE a | RMSE d | repeats |")
    print("|---|---|---|---|---|---|---|---|")
    for case in args.cases:
        for name in ("irt-cold", "irt-disk", "girth"):
            rows = [r for r in records if r["case"] == case and r["variant"] == name]
            if rows:
                med = {k: statistics.median(r[k] for r in rows) for k in ("process_cpu_s", "fit_cpu_s", "fit_wall_s",
                                                                          "rmse_a", "rmse_d")}
                print(f"| {case} | {name} | {med['process_cpu_s']:.2f} | {med['fit_cpu_s']:.2f} | {med['fit_wall_s']:.2f} "
                      f"| {med['rmse_a']:.3f} | {med['rmse_d']:.3f} | {len(rows)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
