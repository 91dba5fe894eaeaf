"""``irt.fit`` NUTS at the AI shape: process CPU and θ recovery of several settings, alternated in one process.

    PYTHONPATH=. .venv/bin/python benchmarks/irt/nuts_cost.py --cases 2pl-20x600 2d-20x1200 --seeds 1 2 3 \\
        --config default: --config short:num_warmup=300,num_samples=500 --out benchmarks/irt/results/nuts_cost.jsonl

For every seed, case and configuration (in that order, so the configurations alternate) one
``irt.fit(data, "2pl", seed=seed, **settings)`` with its convergence check (computed once), on the data of
``compare_peers.py`` (:func:`_shared.simulate_case`). Every fit compiles its own programs (irt.fit's
site-based NUTS releases them after the run), so each record is a cold fit as a user's script sees it
after imports. Prints and appends one JSON line per fit: wall and process CPU seconds of the call
(sampling, compilation and the R-hat/ESS check) and of the check alone, the compile seconds (wall,
JAX's own clock), leapfrog steps per kept draw,
max R-hat, min bulk/tail ESS, divergences, whether a ConvergenceWarning was issued, θ r, RMSE and
95% coverage, and the 1-minute load average.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")  # before JAX is imported

import argparse  # noqa: E402
import itertools  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from _shared import CompileClock, cpu_seconds, emit_json_line, recovery  # noqa: E402
from profile_nuts import CASES, simulate  # noqa: E402


def _config(text: str) -> tuple[str, dict]:
    name, _, rest = text.partition(":")
    settings = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        settings[key] = {"True": True, "False": False}.get(value) if value in ("True", "False") else (
            float(value) if "." in value else int(value))
    return name, settings


def one_fit(case: str, seed: int, name: str, settings: dict) -> dict:
    """Fit ``case``'s data of ``seed`` with ``settings`` and return the record."""
    import irt
    from irt.diagnostics import ConvergenceWarning

    data, truth = simulate(case, seed)
    wall, cpu = time.perf_counter(), cpu_seconds()
    with CompileClock() as clock, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = irt.fit(data, "2pl", seed=seed, check_convergence=False, **settings)
        diag_cpu = cpu_seconds()
        diag = result.check_convergence(stacklevel=2)   # what irt.fit's own check does, once
        diag_cpu = cpu_seconds() - diag_cpu
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    abilities = result.abilities()
    columns = [g for _, g in abilities.groupby("dimension", sort=False)]
    est, lo, hi = (np.column_stack([g[c].to_numpy() for g in columns]) for c in ("estimate", "lower", "upper"))
    rec = recovery(est, truth.theta, lower=lo, upper=hi)
    steps = np.asarray(result.sample_stats["n_steps"])
    return {"case": case, "seed": seed, "config": name, "settings": settings, "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2), "diagnostics_cpu_s": round(diag_cpu, 2),
            "compile_s": round(clock.seconds, 2), "mean_steps": round(float(steps.mean()), 1),
            "max_rhat": round(float(diag.max_rhat), 4), "min_ess_bulk": round(float(diag.min_ess_bulk)),
            "min_ess_tail": round(float(diag.min_ess_tail)), "divergences": int(diag.num_divergences),
            "warned": any(issubclass(w.category, ConvergenceWarning) for w in caught),
            "problems": diag.problems(), "theta_r": round(rec["r"], 4), "theta_rmse": round(rec["rmse"], 4),
            "coverage_95": rec["coverage"], "load_1min": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES)[:2], choices=list(CASES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--config", action="append", required=True, metavar="NAME:KEY=VALUE,...",
                        help="a configuration: a name and irt.fit NUTS options, e.g. short:num_samples=500")
    parser.add_argument("--out", default=None, help="JSON lines file to append to")
    args = parser.parse_args()
    configs = [_config(text) for text in args.config]
    out = Path(args.out) if args.out else None
    for seed, case, (name, settings) in itertools.product(args.seeds, args.cases, configs):
        emit_json_line(one_fit(case, seed, name, settings), out)


if __name__ == "__main__":
    main()
