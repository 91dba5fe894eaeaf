"""Calibration of the Gap Score interval on data simulated from the model (docs/methods.md §2).

Each replication simulates 20 models x 300 pairs from :func:`gapeval.gap.simulate.simulate_gap_responses`
(new abilities, items and answers per replication), fits ``gap_score`` (NUTS, defaults) and records
whether each model's 95% (and 50%) interval covers its true gap. The issue asks for >= 200
replications, 95% coverage within 93-97%:

    XLA_FLAGS=--xla_force_host_platform_device_count=2 \
        .venv/bin/python benchmarks/gap/calibration.py --replications 200 --out benchmarks/gap/calibration.csv

The fast path: add ``--inference svi``. Sampler settings other than the defaults: ``--set name=value``
(``gap_score`` keywords, repeatable, e.g. ``--set num_warmup=200``). Each row also records its fit's
ConvergenceWarning, divergences, draws per chain at the stop and mean leapfrog steps per kept draw.
Summarise a CSV (coverage with Clopper-Pearson 95% intervals, warnings and divergences per fit):

    .venv/bin/python benchmarks/gap/calibration.py --summarise benchmarks/gap/calibration.csv

Prints the running coverage; writes one row per (replication, model) after every replication, and
resumes from an existing ``--out`` file (replications already in it are not run again).
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import argparse  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from convergence import _value  # noqa: E402
from replications import clopper_pearson, run_replications  # noqa: E402


def replicate(seed: int, *, num_models: int, num_pairs: int, inference: str, options: dict | None = None
              ) -> pd.DataFrame:
    from gapeval.gap.score import gap_score
    from gapeval.gap.simulate import simulate_gap_responses
    from irt.diagnostics import ConvergenceWarning

    df, truth = simulate_gap_responses(num_models, num_pairs, seed=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = gap_score(df, seed=seed, inference=inference, **(options or {}))
    stats = table.attrs["result"].sample_stats or {}
    draws = table.attrs["result"].gap_draws.reshape(-1, num_models)
    lo50, hi50 = np.percentile(draws, [25, 75], axis=0)
    return pd.DataFrame({
        "replication": seed, "model": table["model"], "true_gap": truth.gap, "gap": table["gap"],
        "covered_95": (table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"]),
        "covered_50": (lo50 <= truth.gap) & (truth.gap <= hi50),
        "rank": (draws < truth.gap).mean(axis=0),
        "max_rhat": table.attrs["diagnostics"]["max_rhat"],
        "warned": any(issubclass(w.category, ConvergenceWarning) for w in caught),
        "divergences": int(np.asarray(stats["diverging"]).sum()) if "diverging" in stats else np.nan,
        "draws_per_chain": np.asarray(stats["n_steps"]).shape[1] if "n_steps" in stats else np.nan,
        "mean_steps": float(np.asarray(stats["n_steps"]).mean()) if "n_steps" in stats else np.nan,
    })


def summarise(frame: pd.DataFrame) -> str:
    """Coverage of the 95% and 50% intervals with Clopper-Pearson 95% intervals, and the rank spread."""
    lines = [f"replications={frame['replication'].nunique()} intervals={len(frame)}"]
    for column in ("covered_95", "covered_50"):
        k, n = int(frame[column].sum()), len(frame)
        lo, hi = clopper_pearson(k, n)
        lines.append(f"{column}: {k}/{n} = {k / n:.3f} (95% CI {lo:.3f}-{hi:.3f})")
    counts = np.histogram(frame["rank"], bins=10, range=(0, 1))[0]
    lines.append(f"rank deciles (uniform if calibrated): {counts.tolist()}")
    if "max_rhat" in frame and frame["max_rhat"].notna().any():
        per_rep = frame.groupby("replication")["max_rhat"].first()
        lines.append(f"max R-hat per replication: median {per_rep.median():.3f}, max {per_rep.max():.3f}")
    if "warned" in frame:
        fits = frame.groupby("replication").first()
        lines.append(f"fits that warned: {int(fits['warned'].sum())}/{len(fits)}; with divergences: "
                     f"{int((fits['divergences'] > 0).sum())} ({int(fits['divergences'].sum())} in all); draws per "
                     f"chain at the stop: median {fits['draws_per_chain'].median():.0f}; leapfrog steps per draw: "
                     f"median {fits['mean_steps'].median():.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--inference", default="nuts")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a gap_score sampler keyword, e.g. num_warmup=200")
    parser.add_argument("--out", default=None)
    parser.add_argument("--summarise", default=None, help="print coverage of an existing CSV and stop")
    args = parser.parse_args()
    if args.summarise:
        print(summarise(pd.read_csv(args.summarise)))
        return
    start = time.perf_counter()

    def progress(seed: int, frame: pd.DataFrame) -> str:
        return (f"rep {seed + 1}: coverage95={frame['covered_95'].mean():.3f} "
                f"coverage50={frame['covered_50'].mean():.3f} n={len(frame)} "
                f"elapsed={time.perf_counter() - start:.0f}s")

    options = {name: _value(value) for name, _, value in (item.partition("=") for item in args.set)}
    run_replications(partial(replicate, num_models=args.models, num_pairs=args.pairs, inference=args.inference,
                             options=options),
                     replications=args.replications, out=args.out, progress=progress)

if __name__ == "__main__":
    main()
