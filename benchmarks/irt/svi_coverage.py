"""Coverage of the true θ by SVI's 95% intervals: the guide's own θ against the fixed-item grid correction.

Each replication simulates one data set (``_shared.simulate_case``, seed = replication), fits it once
by ``irt.fit(method="svi", grid_theta=False)`` (the guide's draws), and scores three θ tables made
from that one fit, side by side:

- ``guide``: the mean-field guide's own θ draws (the former default);
- ``grid_items``: θ redrawn from its grid posterior given each guide draw of the item parameters,
  the intercepts as the guide drew them (no location redraw);
- ``grid``: the default correction (``irt.inference.svi._theta_given_items``): as ``grid_items``
  with the common location of θ redrawn from its exact posterior N(0, Ω/M) and each draw's mean
  put there (since the ninth session).

``scale_check`` / ``scale_check_z`` / ``scale_check_spread`` record the verdict of
:func:`irt.inference.svi.scale_check` on the default (``grid``) draws, as ``irt.fit`` gives it. The
correction's cost is timed on its own (process CPU and wall). With ``--refit-seed`` the same data are
fitted a second time with another seed and the θ point estimates of the two fits compared (stability
across seeds).

Run from the repository root::

    .venv/bin/python benchmarks/irt/svi_coverage.py --case 2pl-20x600 --reps 20 --jsonl out.jsonl
    .venv/bin/python benchmarks/irt/svi_coverage.py --case 1e6 --reps 1 --batch-size 10000 --num-steps 2000
    .venv/bin/python benchmarks/irt/svi_coverage.py --summarise benchmarks/irt/results/svi_coverage_*.jsonl

The coverage of a replication is shared by its respondents (one common location error), so the
pooled coverage over R replications has about R, not R x respondents, independent parts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from _shared import cpu_seconds, peak_rss_mb, recovery, simulate_case, uptime_line

CASES: dict[str, tuple[int, int, int]] = {"2pl-20x600": (20, 600, 1), "2d-20x1200": (20, 1200, 2),
                                          "2pl-20x100": (20, 100, 1), "1e6": (1000, 1000, 1), "1e7": (1000, 10000, 1)}


def _summary(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and equal-tailed 95% interval of θ draws (draw, respondent, dimension)."""
    return draws.mean(axis=0), np.quantile(draws, 0.025, axis=0), np.quantile(draws, 0.975, axis=0)


def replicate(case: str, rep: int, args: argparse.Namespace) -> dict:
    """One simulated data set, one SVI fit, three θ tables; returns the record."""
    import irt
    from irt.inference.common import dense_responses, grid_theta
    from irt.inference.svi import _theta_given_items, scale_check

    num_r, num_i, num_d = CASES[case]
    data, truth = simulate_case(num_respondents=num_r, num_items=num_i, num_dims=num_d, seed=rep)
    q = truth.q_matrix if num_d > 1 else None
    options = dict(grid_theta=False, num_draws=args.num_draws)
    if args.num_steps:
        options["num_steps"] = args.num_steps
    if args.batch_size:
        options["batch_size"] = args.batch_size
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    fit = irt.fit(data, "2pl", method="svi", q_matrix=q, seed=rep, **options)
    fit_wall, fit_cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    record = {"case": case, "rep": rep, "fit_wall_s": fit_wall, "fit_cpu_s": fit_cpu, "num_draws": args.num_draws,
              "num_steps": fit.options.num_steps, "batch_size": fit.info["batch_size"]}
    tables = {"guide": fit.samples["theta"][0]}
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    corrected = _theta_given_items(fit.problem, fit.samples, seed=rep)
    tables["grid"] = corrected["theta"][0]
    record.update(grid_wall_s=time.perf_counter() - wall0, grid_cpu_s=cpu_seconds() - cpu0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record.update(scale_check(fit.problem, corrected))  # irt.fit's verdict on the default (corrected) draws
    if not args.skip_items_only:
        tables["grid_items"] = grid_theta(fit.problem, fit.samples, dense_responses(fit.problem), seed=rep)
    for name, draws in tables.items():
        estimate, lower, upper = _summary(draws)
        score = recovery(estimate, truth.theta, lower=lower, upper=upper)
        record.update({f"{name}_coverage": score["coverage"], f"{name}_width": score["mean_width"],
                       f"{name}_rmse": score["rmse"], f"{name}_r": score["r"],
                       f"{name}_scale": float(np.polyfit(truth.theta.ravel(), estimate.ravel(), 1)[0])})
    if args.refit_seed is not None:
        again = irt.fit(data, "2pl", method="svi", q_matrix=q, seed=args.refit_seed, **{**options, "grid_theta": True})
        other = again.abilities()["estimate"].to_numpy()
        mine, _, _ = _summary(tables["grid"])
        sd = tables["grid"].std(axis=0).ravel()
        diff = np.abs(other - mine.ravel())
        record.update(refit_max_abs_diff=float(diff.max()), refit_max_diff_in_sd=float((diff / sd).max()),
                      refit_seed=args.refit_seed)
    record["peak_rss_mb"] = peak_rss_mb()
    record["load"] = uptime_line().split("load average:")[-1].strip()
    return record


VARIANTS = ("guide", "grid_items", "grid")


def summarise(paths: list[Path]) -> str:
    """Markdown table of the records in ``paths`` (JSON lines): pooled coverage and medians per case."""
    from _shared import markdown_table

    records = [json.loads(line) for path in paths for line in path.read_text().splitlines() if line.strip()]
    rows = []
    for case in dict.fromkeys(r["case"] for r in records):
        mine = [r for r in records if r["case"] == case]
        for name in VARIANTS:
            have = [r for r in mine if f"{name}_coverage" in r]
            if not have:
                continue
            cover = np.array([r[f"{name}_coverage"] for r in have])
            rows.append({"case": case, "variant": name, "reps": len(have), "coverage_95": float(cover.mean()),
                         "rep_min": float(cover.min()), "rep_max": float(cover.max()),
                         "mean_width": float(np.mean([r[f"{name}_width"] for r in have])),
                         "median_rmse": float(np.median([r[f"{name}_rmse"] for r in have])),
                         "median_fit_cpu_s": float(np.median([r["fit_cpu_s"] for r in have])),
                         "median_grid_cpu_s": float(np.median([r["grid_cpu_s"] for r in have])) if name == "grid" else None})
    return markdown_table(rows, list(rows[0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SVI θ interval coverage: guide vs grid correction")
    parser.add_argument("--case", choices=list(CASES))
    parser.add_argument("--summarise", nargs="+", type=Path, help="print the table of these JSON-lines files and stop")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--first-rep", type=int, default=1)
    parser.add_argument("--num-draws", type=int, default=1000)
    parser.add_argument("--num-steps", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--refit-seed", type=int, help="fit each data set again with this seed (stability)")
    parser.add_argument("--skip-items-only", action="store_true", help="leave out the grid_items variant")
    parser.add_argument("--jsonl", type=Path, help="append one JSON record per replication here")
    args = parser.parse_args(argv)
    if args.summarise:
        print(summarise(args.summarise))
        return 0
    if args.case is None:
        parser.error("--case is required (or --summarise FILES)")
    print(f"# start {uptime_line()}", flush=True)
    for rep in range(args.first_rep, args.first_rep + args.reps):
        record = replicate(args.case, rep, args)
        line = json.dumps(record)
        print(line, flush=True)
        if args.jsonl:
            with args.jsonl.open("a") as handle:
                handle.write(line + "\n")
    print(f"# end {uptime_line()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
