"""Where a ``gap_score`` NUTS fit's time goes, for several sampler settings alternated in one process.

    PYTHONPATH=. .venv/bin/python benchmarks/gap/nuts_cost.py --fits 3 \\
        --config default: --config ta80:target_accept_prob=0.8 --out benchmarks/gap/timing/nuts_cost.jsonl

Fit k of every configuration is ``simulate_gap_responses(M, P, seed=2026 + k)`` (fit 0 compiles that
configuration's programs; later fits reuse them, so their CPU seconds are the sampling alone); the
configurations run alternated (fit 0 of each, then fit 1 of each, ...). Prints and appends one JSON
line per fit: wall and process CPU seconds of the ``gap_score`` call, leapfrog steps per kept draw
(mean) and in all (kept draws), the smallest bulk and tail ESS with their sites and per kept draw,
the largest R-hat, divergences, whether a ConvergenceWarning was issued, the coverage of the true
gaps and the 1-minute load average.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from convergence import _value  # noqa: E402


def _config(text: str) -> tuple[str, dict]:
    name, _, rest = text.partition(":")
    settings = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        settings[key] = _value(value)
    return name, settings


def one_fit(name: str, settings: dict, k: int, *, models: int, pairs: int) -> dict:
    """Fit data set ``2026 + k`` with ``settings`` and return the record of the fit."""
    import numpy as np

    from gapeval.gap.score import gap_score
    from gapeval.gap.simulate import simulate_gap_responses
    from irt.diagnostics import ConvergenceWarning

    df, truth = simulate_gap_responses(models, pairs, seed=2026 + k)
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = gap_score(df, inference="nuts", seed=0, **settings)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = table.attrs["result"]
    t = result.diagnostics.table
    steps = np.asarray(result.sample_stats["n_steps"])
    draws = steps.size
    low_bulk, low_tail = t.loc[t["ess_bulk"].idxmin()], t.loc[t["ess_tail"].idxmin()]
    covered = (table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"])
    return {"config": name, "settings": settings, "fit": k, "models": models, "pairs": pairs,
            "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "kept_draws": int(draws),
            "mean_steps": round(float(steps.mean()), 1), "kept_steps": int(steps.sum()),
            "min_ess_bulk": round(float(low_bulk["ess_bulk"]), 0), "min_ess_bulk_at": low_bulk["site"],
            "min_ess_tail": round(float(low_tail["ess_tail"]), 0), "min_ess_tail_at": low_tail["site"],
            "tail_ess_per_draw": round(float(low_tail["ess_tail"]) / draws, 3),
            "max_rhat": round(float(result.diagnostics.max_rhat), 4),
            "divergences": int(np.asarray(result.sample_stats["diverging"]).sum()),
            "warned": any(issubclass(w.category, ConvergenceWarning) for w in caught),
            "coverage_95": float(np.mean(covered)), "load_1min": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", required=True, metavar="NAME:KEY=VALUE,...",
                        help="a configuration: a name and gap_score sampler keywords, e.g. ta80:target_accept_prob=0.8")
    parser.add_argument("--fits", type=int, default=3, help="fits per configuration (data sets 2026, 2027, ...)")
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=600)
    parser.add_argument("--out", default=None, help="JSON lines file to append to")
    args = parser.parse_args()
    os.environ.setdefault("GAPEVAL_JAX_CACHE", "off")
    configs = [_config(text) for text in args.config]
    for k in range(args.fits):
        for name, settings in configs:
            record = one_fit(name, settings, k, models=args.models, pairs=args.pairs)
            line = json.dumps(record)
            print(line, flush=True)
            if args.out:
                with open(args.out, "a") as fh:
                    fh.write(line + "\n")


if __name__ == "__main__":
    main()
