"""Calibration of the Gap Score interval on data simulated from the model (METHODS.md §2).

Each replication simulates 20 models x 300 pairs from :func:`gapeval.gap.simulate.simulate_gap_responses`
(new abilities, items and answers per replication), fits ``gap_score`` (NUTS, defaults) and records
whether each model's 95% (and 50%) interval covers its true gap. The issue asks for >= 200
replications, 95% coverage within 93-97%:

    XLA_FLAGS=--xla_force_host_platform_device_count=2 \
        .venv/bin/python benchmarks/gap/calibration.py --replications 200 --out benchmarks/gap/calibration.csv

Prints the running coverage; writes one row per (replication, model).
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def replicate(seed: int, *, num_models: int, num_pairs: int, inference: str) -> pd.DataFrame:
    from gapeval.gap.score import gap_score
    from gapeval.gap.simulate import simulate_gap_responses

    df, truth = simulate_gap_responses(num_models, num_pairs, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = gap_score(df, seed=seed, inference=inference)
    draws = table.attrs["result"].gap_draws.reshape(-1, num_models)
    lo50, hi50 = np.percentile(draws, [25, 75], axis=0)
    return pd.DataFrame({
        "replication": seed, "model": table["model"], "true_gap": truth.gap, "gap": table["gap"],
        "covered_95": (table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"]),
        "covered_50": (lo50 <= truth.gap) & (truth.gap <= hi50),
        "rank": (draws < truth.gap).mean(axis=0),
        "max_rhat": table.attrs["diagnostics"]["max_rhat"],
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--inference", default="nuts")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    rows = []
    start = time.perf_counter()
    for seed in range(args.replications):
        rows.append(replicate(seed, num_models=args.models, num_pairs=args.pairs, inference=args.inference))
        frame = pd.concat(rows, ignore_index=True)
        print(f"rep {seed + 1}: coverage95={frame['covered_95'].mean():.3f} coverage50={frame['covered_50'].mean():.3f} "
              f"n={len(frame)} elapsed={time.perf_counter() - start:.0f}s", flush=True)
        if args.out:
            frame.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
