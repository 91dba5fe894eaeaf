"""Marginal ML benchmark: fit time after compilation, compile time and recovery for four shapes.

Run from the repository root::

    .venv/bin/python benchmarks/mml/run_benchmarks.py --repeats 3   # all four cases, best of 3
    .venv/bin/python benchmarks/mml/run_benchmarks.py --cases 2pl-1000x20 --standard-errors
    .venv/bin/python benchmarks/mml/run_benchmarks.py --repeats 3 --girth-python /tmp/girthvenv/bin/python

With ``--girth-python`` the unidimensional 2PL cases are also fitted by girth's ``twopl_mml`` (girth is
not a dependency: install it into a throwaway virtual environment and pass its interpreter), on the
same simulated matrix, in a subprocess (``girth_fit.py``).

Each case simulates data with :func:`irt.simulate` (seed 2026; the 2-D cases split the items
between two correlated dimensions, correlation 0.5), fits it with ``irt.fit(..., method="mml")`` and
reports the JAX compile time, the L-BFGS-B time after compilation (the "fit time"), the time for the
observed information (optional, it includes its own compilation), the iterations, and the recovery
of the generating slopes and intercepts (RMSE) and of the correlation. Results go to stdout as a
Markdown table and, with ``--json PATH``, to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import irt

CASES: dict[str, tuple[int, int, int]] = {  # name: (respondents, items, dimensions)
    "2pl-1000x20": (1000, 20, 1),
    "2pl-5000x100": (5000, 100, 1),
    "2d-1000x20": (1000, 20, 2),
    "2d-5000x100": (5000, 100, 2),
}


def run_girth(girth_python: str, y, truth) -> dict:
    """Fit the same matrix with girth in a subprocess; its fit time and recovery."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "y.npz"
        np.savez(path, y=y)
        script = Path(__file__).with_name("girth_fit.py")
        out = subprocess.run([girth_python, str(script), str(path)], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    return {"girth_fit_s": result["fit_s"],
            "girth_rmse_a": float(np.sqrt(np.mean((np.asarray(result["a"]) - truth.a) ** 2))),
            "girth_rmse_d": float(np.sqrt(np.mean((np.asarray(result["d"]) - truth.d) ** 2)))}


def run_case(name: str, *, standard_errors: bool, seed: int = 2026, girth_python: str | None = None) -> dict:
    """Simulate, fit and time one case."""
    num_respondents, num_items, dims = CASES[name]
    q = None
    if dims == 2:
        q = np.zeros((num_items, 2), dtype=int)
        q[: num_items // 2, 0] = 1
        q[num_items // 2:, 1] = 1
    data, truth = irt.simulate("2pl", num_respondents=num_respondents, num_items=num_items, q_matrix=q,
                               correlation=0.5, seed=seed)
    started = time.perf_counter()
    fit = irt.fit(data, "2pl", method="mml", q_matrix=q, standard_errors=standard_errors)
    total = time.perf_counter() - started
    items = fit.items()
    slopes = items[items["param"].str.startswith("a")]["estimate"].to_numpy()
    true_slopes = truth.a if dims == 1 else truth.a[truth.q_matrix == 1]
    intercepts = items.loc[items["param"] == "d", "estimate"].to_numpy()
    row = {
        "case": name, "compile_s": fit.info["compile_s"], "fit_s": fit.info["optimise_s"],
        "hessian_s": fit.info["hessian_s"] if standard_errors else None, "total_s": total,
        "iterations": fit.info["iterations"], "patterns": fit.info["num_patterns"], "nodes": fit.info["num_nodes"],
        "rmse_a": float(np.sqrt(np.mean((slopes - true_slopes) ** 2))),
        "rmse_d": float(np.sqrt(np.mean((intercepts - truth.d) ** 2))), "loglik": fit.loglik,
    }
    if dims == 2:
        row["correlation"] = float(fit.latent()["estimate"].iloc[0])
    elif girth_python:
        row.update(run_girth(girth_python, data.to_wide().to_numpy(), truth))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--standard-errors", action="store_true", help="also time the observed information")
    parser.add_argument("--repeats", type=int, default=1,
                        help="fit each case this many times and keep the fastest (timings on a shared machine are noisy)")
    parser.add_argument("--girth-python", help="a Python interpreter with girth installed: also fit the 2PL cases with girth")
    parser.add_argument("--json", help="write the rows to this JSON file")
    args = parser.parse_args(argv)
    rows = []
    for name in args.cases:
        runs = [run_case(name, standard_errors=args.standard_errors, girth_python=args.girth_python)
                for _ in range(max(args.repeats, 1))]
        best = min(runs, key=lambda r: r["fit_s"])
        best["compile_s"] = min(r["compile_s"] for r in runs)
        if "girth_fit_s" in best:
            best["girth_fit_s"] = min(r["girth_fit_s"] for r in runs)
        rows.append(best)
    print(f"# irt MML benchmark on {platform.processor() or platform.machine()}, JAX CPU, float64\n")
    print("| case | compile s | fit s (after compile) | information s | iterations | patterns | nodes "
          "| RMSE a | RMSE d | cor (true 0.5) | girth fit s | girth RMSE a | girth RMSE d |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        hess = "-" if r["hessian_s"] is None else f"{r['hessian_s']:.2f}"
        cor = f"{r['correlation']:.3f}" if "correlation" in r else "-"
        girth = (f"{r['girth_fit_s']:.2f} | {r['girth_rmse_a']:.3f} | {r['girth_rmse_d']:.3f}" if "girth_fit_s" in r
                 else "- | - | -")
        print(f"| {r['case']} | {r['compile_s']:.2f} | {r['fit_s']:.2f} | {hess} | {r['iterations']} | {r['patterns']} "
              f"| {r['nodes']} | {r['rmse_a']:.3f} | {r['rmse_d']:.3f} | {cor} | {girth} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
