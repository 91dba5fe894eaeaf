"""How far the SVI fast path's gaps move with the seed (issue 16: within 0.1 posterior sd).

One simulated data set (20 models x 100 pairs, data seed 0) is fitted with ``inference="svi"`` at
several seeds, with the current ``GAP_SVI`` schedule and with the former one (1,000 steps decaying
to a tenth); for each model the spread (max - min) of the posterior-mean gap across seeds is divided
by its mean posterior sd, and the largest and median ratios are printed, as is the largest move
under a U/G label swap (gaps negated back).

    .venv/bin/python benchmarks/gap/svi_seeds.py --seeds 4
    .venv/bin/python benchmarks/gap/svi_seeds.py --seeds 4 --schedules current --draws 4000

The posterior mean of 600 independent draws is off by sd/sqrt(600) = 0.04 sd, so the range over 4
seeds is ~0.08 sd from the draws alone (0.15 for the largest of 20 models): ``--draws`` tells the
optimiser's share from the draws'. Also printed: the sd of a model's gap mean across the seeds over its
posterior sd, pooled over the models (a less noisy measure than the largest range; 4,000 draws alone
give 1/sqrt(4000) = 0.016). ``--models``, ``--pairs`` and ``--data-seed`` choose the data set.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import warnings

import numpy as np


def fit(df, seed: int, schedule: str, draws: int | None = None, steps: int | None = None):
    from gapeval.gap.model import build_gap_data
    from gapeval.gap.fit import fit_gap_model
    from gapeval.responses import standardize_responses
    from gapeval.sampling import GAP_SVI

    options = GAP_SVI if schedule == "current" else dataclasses.replace(GAP_SVI, num_steps=1000,
                                                                         learning_rate_decay=0.1)
    if draws is not None:
        options = dataclasses.replace(options, num_draws=draws)
    if steps is not None:
        options = dataclasses.replace(options, num_steps=steps)
    frame = standardize_responses(df, pair="pair", scores="binary")
    data = build_gap_data(frame, points=1, use_pairs=True)
    result = fit_gap_model(data, scale="paired", level=0.95, seed=seed, options=options)
    draws = result.gap_draws.reshape(-1, data.num_models)
    return draws.mean(axis=0), draws.std(axis=0), data


def main() -> None:
    from gapeval.gap.simulate import simulate_gap_responses

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--draws", type=int, default=None, help="draws from the fitted guide (default: GAP_SVI's)")
    parser.add_argument("--steps", type=int, default=None, help="Adam steps (default: the schedule's)")
    parser.add_argument("--schedules", nargs="+", default=["current", "former"], choices=["current", "former"])
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--data-seed", type=int, default=0)
    args = parser.parse_args()
    df, _ = simulate_gap_responses(args.models, args.pairs, seed=args.data_seed)
    swapped = df.assign(direction=df["direction"].map({"understanding": "generation", "generation": "understanding"}))
    for schedule in args.schedules:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits = [fit(df, seed, schedule, args.draws, args.steps) for seed in range(args.seeds)]
            swap_mean, _, _ = fit(swapped, 0, schedule, args.draws, args.steps)
        means = np.array([f[0] for f in fits])
        sd = np.array([f[1] for f in fits]).mean(axis=0)
        ratio = (means.max(axis=0) - means.min(axis=0)) / sd
        swap = np.abs(-swap_mean - means[0]) / sd
        pooled = np.sqrt((((means - means.mean(axis=0)) / sd) ** 2).sum() / ((args.seeds - 1) * means.shape[1]))
        print(f"{schedule} ({fits[0][0].size} models, {args.draws or 'default'} draws, {args.steps or 'default'} steps): seeds {args.seeds}, range of gap means / posterior sd: max {ratio.max():.3f}, "
              f"median {np.median(ratio):.3f}; seed sd / sd {pooled:.4f}; U/G swap move / sd: max {swap.max():.3f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
