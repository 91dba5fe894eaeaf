"""The Gap Score on data-generating processes that depart from its plain model (issue 16).

Each replication simulates 20 models x 100 pairs (:func:`gapeval.gap.simulate.simulate_gap_responses`,
seed = replication) under a scenario, fits ``gap_score`` in a variant, and records per model whether
the 95% interval covers the true gap theta_U - theta_G, the error of the posterior mean, whether the
sign is confidently wrong (P(gap > 0) beyond 0.975 / 0.025 on the wrong side), the warnings issued,
and, for the paired scale's convention, whether the interval of the gap *relative to the cohort's
mean gap* covers its truth.

Scenarios and variants:

* ``baseline``: the model's own process; ``default``.
* ``guessing``: understanding items are 4-option multiple choice (3PL truth, lower asymptote 0.25,
  ``chance`` column 0.25); ``naive`` (``guessing="none"``), ``aware`` (``"fixed"``), ``estimate``.
* ``judge``: a judge with sensitivity 0.85 and specificity 0.90 labels every generation answer;
  100 fresh human-labelled answers calibrate it; ``naive`` (labels taken as scores), ``aware``
  (``judges=`` the calibration table).
* ``offset``: generation forms 1 logit harder on average; ``naive`` (the convention), ``aware``
  (``difficulty_offset=1.0``), ``prior`` (``difficulty_offset=(1.0, 0.25)``).
* ``tails``: abilities multivariate Student-t with 3 df; ``normal``, ``robust`` (``abilities="student_t"``).

    .venv/bin/python benchmarks/gap/scenarios.py guessing aware --inference svi --replications 40 \\
        --out benchmarks/gap/scenarios/guessing_aware_svi.csv
    .venv/bin/python benchmarks/gap/scenarios.py --summarise benchmarks/gap/scenarios/*.csv

Writes the CSV after every replication and resumes from it (replications already there are skipped).
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from replications import clopper_pearson, run_replications  # noqa: E402

SIMULATION = {
    "baseline": {},
    "guessing": {"chance": (0.25, 0.0)},
    "judge": {"judge": (0.85, 0.90), "num_calibration": 100},
    "offset": {"generation_shift": 1.0},
    "tails": {"ability_df": 3.0},
}
VARIANTS = {
    "baseline": {"default": {}},
    "guessing": {"naive": {"guessing": "none"}, "aware": {}, "estimate": {"guessing": "estimate"}},
    "judge": {"naive": {"judge": None}, "aware": {"judges": "calibration"}},
    "offset": {"naive": {}, "aware": {"difficulty_offset": 1.0}, "prior": {"difficulty_offset": (1.0, 0.25)}},
    "tails": {"normal": {}, "robust": {"abilities": "student_t"}},
}


def replicate(scenario: str, variant: str, seed: int, *, num_models: int, num_pairs: int,
              inference: str) -> pd.DataFrame:
    from gapeval.gap.score import gap_score
    from gapeval.gap.simulate import simulate_gap_responses

    df, truth = simulate_gap_responses(num_models, num_pairs, seed=seed, **SIMULATION[scenario])
    options = dict(VARIANTS[scenario][variant])
    if options.get("judges") == "calibration":
        options["judges"] = truth.calibration
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = gap_score(df, seed=seed, inference=inference, **options)
    seconds = time.perf_counter() - start
    draws = table.attrs["result"].gap_draws.reshape(-1, num_models)
    relative = draws - draws.mean(axis=1, keepdims=True)
    true_relative = truth.gap - truth.gap.mean()
    rel_lo, rel_hi = np.percentile(relative, [2.5, 97.5], axis=0)
    p = table["p_gap_positive"].to_numpy()
    diagnostics = table.attrs["diagnostics"]
    return pd.DataFrame({
        "scenario": scenario, "variant": variant, "inference": inference, "replication": seed,
        "model": table["model"], "true_gap": truth.gap, "true_theta_u": truth.theta[:, 0],
        "true_theta_g": truth.theta[:, 1], "gap": table["gap"], "gap_lower": table["gap_lower"],
        "gap_upper": table["gap_upper"], "theta_u": table["theta_understanding"],
        "theta_g": table["theta_generation"],
        "covered_95": (table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"]),
        "covered_relative_95": (rel_lo <= true_relative) & (true_relative <= rel_hi),
        "p_gap_positive": p,
        "confident_wrong_sign": ((p > 0.975) & (truth.gap < 0)) | ((p < 0.025) & (truth.gap > 0)),
        "warnings": ";".join(sorted({w.category.__name__ for w in caught})),
        "max_rhat": diagnostics["max_rhat"], "num_divergences": diagnostics["num_divergences"],
        "seconds": seconds,
    })


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per CSV file (``source``): coverage, bias, confident wrong signs, warnings."""
    rows = []
    for source, part in frame.groupby("source", sort=False):
        scenario, variant, inference = part[["scenario", "variant", "inference"]].iloc[0]
        k, n = int(part["covered_95"].sum()), len(part)
        lo, hi = clopper_pearson(k, n)
        error = part["gap"] - part["true_gap"]
        per_rep = part.groupby("replication")
        warned = per_rep["warnings"].first().fillna("")
        extreme = part[(part[["true_theta_u", "true_theta_g"]].abs() > 2).any(axis=1)]
        row = {
            "scenario": scenario, "variant": variant, "inference": inference,
            "source": source,
            "replications": part["replication"].nunique(), "intervals": n,
            "coverage_95": k / n, "coverage_ci": f"{lo:.3f}-{hi:.3f}",
            "relative_coverage_95": part["covered_relative_95"].mean(),
            "mean_bias": error.mean(), "rmse": float(np.sqrt((error ** 2).mean())),
            "confident_wrong_sign": part["confident_wrong_sign"].mean(),
            "extreme_models": len(extreme),
            "coverage_extreme": extreme["covered_95"].mean() if len(extreme) else np.nan,
            "fits_warned": ", ".join(f"{name} {count}" for name, count in
                                     pd.Series([w for ws in warned for w in ws.split(";") if w]).value_counts().items())
                           or "none",
            "median_seconds": per_rep["seconds"].first().median(),
        }
        low = part["true_theta_u"] <= part["true_theta_u"].quantile(0.25)
        high = part["true_theta_u"] >= part["true_theta_u"].quantile(0.75)
        row["bias_low_theta_u"], row["bias_high_theta_u"] = error[low].mean(), error[high].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", choices=sorted(SIMULATION))
    parser.add_argument("variant", nargs="?")
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--inference", default="svi")
    parser.add_argument("--out", default=None)
    parser.add_argument("--summarise", nargs="*", default=None, help="print the summary of CSV files and stop")
    args = parser.parse_args()
    if args.summarise is not None:
        frame = pd.concat([pd.read_csv(path).assign(source=Path(path).stem) for path in args.summarise],
                          ignore_index=True)
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(summarise(frame).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return
    if args.variant not in VARIANTS[args.scenario]:
        parser.error(f"variant {args.variant!r} is not one of {sorted(VARIANTS[args.scenario])}")
    start = time.perf_counter()

    def progress(seed: int, frame: pd.DataFrame) -> str:
        return (f"rep {seed + 1}: coverage95={frame['covered_95'].mean():.3f} "
                f"bias={(frame['gap'] - frame['true_gap']).mean():+.3f} n={len(frame)} "
                f"elapsed={time.perf_counter() - start:.0f}s")

    run_replications(partial(replicate, args.scenario, args.variant, num_models=args.models, num_pairs=args.pairs,
                             inference=args.inference),
                     replications=args.replications, out=args.out, progress=progress)

if __name__ == "__main__":
    main()
