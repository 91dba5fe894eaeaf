"""SVI schedules of the Gap Score against GAP_SVI: Adam steps, a stop-once-stable rule, at several seeds (seventh session).

One simulated data set (``simulate_gap_responses(MODELS, PAIRS, seed=DATA)``, DATA default 2026) is
fitted by ``fit_gap_model`` with SVI at seeds 0..SEEDS-1 for each configuration
``steps:decay:tolerance:window`` (``GAP_SVI`` otherwise); one JSON line per fit: wall and CPU s, the
gaps' posterior means and sds, the coverage of the true gaps, the final loss and the steps taken.
``tolerance`` other than ``none`` needs the stopping rule of ``stop_rule.diff`` applied (it was measured
and not kept, ``benchmarks/gap/RESULTS.md``, seventh session). Summarise with ``summarise.py``.

    SEEDS=8 PYTHONPATH=$PWD python benchmarks/gap/svi_schedule/sweep_steps.py 20 100 6000:0.001:none:200 \
        3000:0.001:none:200 > benchmarks/gap/svi_schedule/steps_20x100.jsonl
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
import warnings

import numpy as np


def load(models: int, pairs: int):
    """The data set (``simulate_gap_responses(models, pairs, seed=DATA)``) laid out, and its truth."""
    from gapeval.gap.model import build_gap_data
    from gapeval.gap.simulate import simulate_gap_responses
    from gapeval.responses import standardize_responses

    df, truth = simulate_gap_responses(models, pairs, seed=int(os.environ.get("DATA", 2026)))
    return build_gap_data(standardize_responses(df, pair="pair", scores="binary"), points=1, use_pairs=True), truth


def fit_seeds(data, truth, options, label: str, seeds: int) -> None:
    """Fit ``data`` by SVI with ``options`` at seeds 0..seeds-1; print one JSON line per fit."""
    from gapeval.gap.fit import fit_gap_model

    for seed in range(seeds):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fit_gap_model(data, scale="paired", level=0.95, seed=seed, options=options)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        gaps = result.gap_draws.reshape(-1, data.num_models)
        lower, upper = np.percentile(gaps, [2.5, 97.5], axis=0)
        true = np.asarray(truth.gap)
        info = result.info
        print(json.dumps({"config": label, "seed": seed, "wall": round(wall, 2), "cpu": round(cpu, 2),
                          "mean": gaps.mean(0).round(4).tolist(), "sd": gaps.std(0).round(4).tolist(),
                          "cov": float(np.mean((lower <= true) & (true <= upper))), "loss": info["final_loss"],
                          "steps": info.get("num_steps", options.num_steps), "stopped": info.get("stopped"),
                          "drift": info.get("drift")}), flush=True)


def run(options_of) -> None:
    """Fit the data set of ``sys.argv[1:3]`` (models, pairs) under each configuration of ``sys.argv[3:]``."""
    os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
    os.environ["GAPEVAL_JAX_CACHE"] = "off"
    warnings.simplefilter("ignore")
    data, truth = load(int(sys.argv[1]), int(sys.argv[2]))
    for config in sys.argv[3:]:
        fit_seeds(data, truth, options_of(config), config, int(os.environ.get("SEEDS", 4)))


def options_of(config: str):
    """``steps:decay:tolerance:window`` as GAP_SVI's record (tolerance ``none``: every step)."""
    from gapeval.sampling import GAP_SVI

    steps, decay, tolerance, window = config.split(":")
    stop = {} if tolerance == "none" else {"tolerance": float(tolerance), "window": int(window)}
    return dataclasses.replace(GAP_SVI, num_steps=int(steps), learning_rate_decay=float(decay), **stop)


if __name__ == "__main__":
    run(options_of)
