"""The new models' ability prior, screened on random order and the full bank (no chooser, so it is cheap).

For the 30 new models of ``bench_adaptive.py``'s design (``simulate_gap_responses(50, 600, seed)``,
m20-m49) and a calibration made by it, score a random quarter, a random half and the full bank under
each prior variant (``per_draw``; ``predictive`` with ``prior_scale`` 1, 1.25, 1.5); one CSV row per
model, design and variant (``--out``), written as they come. ``--summary`` prints coverage, median
width, mean error, sd of z and the slope of the estimates on the truth.

Usage (repository root)::

    PYTHONPATH=. .venv/bin/python benchmarks/adaptive/prior_screen.py /tmp/adaptive_cal.json --out prior_screen.csv
    .venv/bin/python benchmarks/adaptive/prior_screen.py --summary prior_screen.csv
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np
import pandas as pd

VARIANTS = (("per_draw", 1.0), ("predictive", 1.0), ("predictive", 1.25), ("predictive", 1.5))


def summary(path: str) -> pd.DataFrame:
    d = pd.read_csv(path)
    d["covered"] = (d["lower"] <= d["true_gap"]) & (d["true_gap"] <= d["upper"])
    d["width"] = d["upper"] - d["lower"]
    d["z"] = (d["gap"] - d["true_gap"]) / (d["width"] / (2 * 1.96))
    groups = d.groupby(["design", "prior", "scale"])
    out = groups.agg(models=("covered", "size"), coverage=("covered", "mean"), median_width=("width", "median"),
                     mean_abs_error=("gap", lambda g: (g - d.loc[g.index, "true_gap"]).abs().mean()),
                     sd_z=("z", "std"))
    slope = groups.apply(lambda g: np.polyfit(g["true_gap"], g["gap"], 1)[0]).rename("slope_on_truth")
    return out.join(slope).round(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("calibration", nargs="?")
    parser.add_argument("--out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--summary", metavar="CSV")
    args = parser.parse_args()
    if args.summary:
        print(summary(args.summary).to_string())
        return
    from gapeval.calibration import load_calibration, score_with_calibration
    from gapeval.gap.simulate import simulate_gap_responses

    cal = load_calibration(args.calibration)
    df, truth = simulate_gap_responses(50, 600, seed=args.seed)
    with open(args.out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model", "true_gap", "design", "prior", "scale", "gap", "lower", "upper", "cpu_seconds"])
        for m in range(20, 50):
            frame = df[df["model"] == truth.model_ids[m]]
            order = np.random.default_rng(args.seed + m).permutation(frame["item"].to_numpy())
            for design, items in (("random_0.25", order[:300]), ("random_0.5", order[:600]), ("full", order)):
                part = frame[frame["item"].isin(list(items))]
                for prior, scale in VARIANTS:
                    cpu = time.process_time()
                    row = score_with_calibration(part, cal, prior=prior, prior_scale=scale).iloc[0]
                    writer.writerow([truth.model_ids[m], truth.gap[m], design, prior, scale, row["gap"],
                                     row["gap_lower"], row["gap_upper"], round(time.process_time() - cpu, 2)])
            handle.flush()


if __name__ == "__main__":
    main()
