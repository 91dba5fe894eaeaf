"""What fails in default NUTS fits of ``gap_score``: per fit, the worst R-hat and ESS by site, the divergences.

Each replication simulates ``--models`` x ``--pairs`` (:func:`gapeval.gap.simulate.simulate_gap_responses`,
seed = replication), fits ``gap_score`` by NUTS with the defaults (or the ``--set name=value`` overrides) and
records one row: the largest R-hat and the smallest bulk / tail ESS with the site each occurs at, the
number of checked quantities, divergences per chain and the posterior medians of ``sigma_gamma`` and
``tau`` in divergent and non-divergent draws, the mean leapfrog steps, whether the fit warned and whether
the largest R-hat was the only problem, and wall and CPU seconds.

    .venv/bin/python benchmarks/gap/convergence.py --models 4 --pairs 100 --replications 10 \\
        --out benchmarks/gap/convergence/default_4x100.csv
    .venv/bin/python benchmarks/gap/convergence.py --models 4 --pairs 100 --set num_chains=4 \\
        --set target_accept_prob=0.95 --out benchmarks/gap/convergence/chains4_4x100.csv
    .venv/bin/python benchmarks/gap/convergence.py --summarise benchmarks/gap/convergence/*.csv

Writes the CSV after every replication and resumes from it.
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
from replications import run_replications  # noqa: E402


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return None if text == "None" else text


def replicate(seed: int, *, num_models: int, num_pairs: int, options: dict) -> pd.DataFrame:
    from gapeval.gap.score import gap_score
    from gapeval.gap.simulate import simulate_gap_responses
    from irt.diagnostics import ConvergenceWarning

    df, _ = simulate_gap_responses(num_models, num_pairs, seed=seed)
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = gap_score(df, seed=seed, inference="nuts", **options)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = table.attrs["result"]
    diag = result.diagnostics
    t = diag.table
    worst = t.loc[t["r_hat"].idxmax()]
    low_bulk, low_tail = t.loc[t["ess_bulk"].idxmin()], t.loc[t["ess_tail"].idxmin()]
    diverging = np.asarray(result.sample_stats["diverging"], dtype=bool)
    row = {
        "replication": seed, "models": num_models, "pairs": num_pairs,
        "options": ";".join(f"{k}={v}" for k, v in sorted(options.items())) or "default",
        "quantities": len(t), "max_rhat": diag.max_rhat, "max_rhat_at": f"{worst['site']}[{int(worst['index'])}]",
        "rhat_sites_over_1.01": ";".join(sorted(set(t.loc[t["r_hat"] > 1.01, "site"]))),
        "min_ess_bulk": diag.min_ess_bulk, "min_ess_bulk_at": f"{low_bulk['site']}[{int(low_bulk['index'])}]",
        "min_ess_tail": diag.min_ess_tail, "min_ess_tail_at": f"{low_tail['site']}[{int(low_tail['index'])}]",
        "divergences": int(diverging.sum()), "divergences_per_chain": "/".join(map(str, diverging.sum(axis=1))),
        "mean_steps": float(np.asarray(result.sample_stats["n_steps"]).mean()),
        "problems": " | ".join(diag.problems()),
        # the rule before issue 16: any R-hat over 1.01, or another failed check
        "warned_fixed_1.01": diag.max_rhat > 1.01 or any("R-hat" not in p for p in diag.problems()),
        "warned": any(issubclass(w.category, ConvergenceWarning) for w in caught),
        "seconds": wall, "cpu_seconds": cpu, "load": os.getloadavg()[0],
    }
    # Where the divergent draws sit: their mean percentile in each scale's posterior (0.5: no pattern; near 0:
    # at small values, the neck of a funnel).
    for site in ("sigma_gamma", "tau", "sigma_log_a", "sigma_beta", "sigma_epsilon"):
        draws = np.asarray(result.samples[site])
        for k, column in enumerate(draws.reshape(draws.shape[:2] + (-1,)).transpose(2, 0, 1)):
            name = site if column.ndim and draws.ndim == 2 else f"{site}{k}"
            ranks = column.ravel().argsort().argsort().reshape(column.shape) / column.size
            row[f"median_{name}"] = float(np.median(column))
            row[f"divergent_pct_{name}"] = float(ranks[diverging].mean()) if diverging.any() else np.nan
    return pd.DataFrame([row])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a gap_score sampler keyword, e.g. num_chains=4")
    parser.add_argument("--out", default=None)
    parser.add_argument("--summarise", nargs="*", default=None, help="print the summary of CSV files and stop")
    args = parser.parse_args()
    if args.summarise is not None:
        frame = pd.concat([pd.read_csv(p).assign(source=Path(p).stem) for p in args.summarise], ignore_index=True)
        summary = frame.groupby("source", sort=False).agg(
            fits=("replication", "size"), warned=("warned", "sum"), with_divergences=("divergences", lambda d: (d > 0).sum()),
            warned_fixed_rule=("warned_fixed_1.01", "sum"), max_rhat_median=("max_rhat", "median"), max_rhat_max=("max_rhat", "max"),
            min_ess_bulk_median=("min_ess_bulk", "median"), min_ess_tail_median=("min_ess_tail", "median"),
            seconds_median=("seconds", "median"), cpu_median=("cpu_seconds", "median"), load_median=("load", "median"))
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(summary.to_string(float_format=lambda v: f"{v:.3f}"))
        return
    options = {}
    for item in args.set:
        name, _, value = item.partition("=")
        options[name] = _value(value)
    start = time.perf_counter()

    def progress(seed: int, frame: pd.DataFrame) -> str:
        last = frame.iloc[-1]
        return (f"rep {seed}: max_rhat={last['max_rhat']:.3f} at {last['max_rhat_at']} ess={last['min_ess_bulk']:.0f}/"
                f"{last['min_ess_tail']:.0f} div={last['divergences_per_chain']} steps={last['mean_steps']:.0f} "
                f"warned={last['warned']} {last['seconds']:.0f}s cpu={last['cpu_seconds']:.0f}s "
                f"total={time.perf_counter() - start:.0f}s")

    run_replications(partial(replicate, num_models=args.models, num_pairs=args.pairs, options=options), replications=args.replications, out=args.out, progress=progress)


if __name__ == "__main__":
    main()
