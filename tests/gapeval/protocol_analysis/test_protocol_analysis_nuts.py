"""Protocol effects with the exact posterior (NUTS): a small case that runs by default."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gapeval.protocol_analysis.effects import protocol_effects
from gapeval.protocol_analysis.simulate import simulate_protocol_responses
from irt.diagnostics import ConvergenceWarning


def test_nuts_small_case_covers_the_effect():
    df, truth = simulate_protocol_responses(6, 40, protocols={"direct": (0.0, 0.0), "cot": (0.0, 1.0)}, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fx = protocol_effects(df, inference="nuts", num_warmup=400, num_samples=300, seed=3)
    assert not fx.approximate and fx.inference == "nuts"
    summary = fx.result.diagnostics.summary()
    assert summary["max_rhat"] < 1.05 and summary["num_divergences"] == 0  # a usable posterior
    e = fx.effect("cot", "theta_generation")
    assert e["lower"] <= 1.0 <= e["upper"] and e["lower"] > 0 and e["p_positive"] > 0.975
    u = fx.effect("cot", "theta_understanding")
    assert u["lower"] <= 0.0 <= u["upper"]
    g = fx.effect("cot", "gap")
    assert g["lower"] <= -1.0 <= g["upper"]
    # per model too: most of the four intervals cover the truth
    per = fx.effects[fx.effects["quantity"] == "theta_generation"]
    assert ((per["lower"] <= 1.0) & (1.0 <= per["upper"])).sum() >= 3


@pytest.mark.slow
def test_pooled_intervals_are_calibrated_over_replications():
    """12 replications (about 5 minutes): pooled 95% intervals cover the shifts; the estimate is ~10% short."""
    shifts = {"direct": (0.0, 0.0), "cot": (0.0, 0.8), "best-of-n": (0.0, 0.4)}
    covered, estimates = [], {"cot": [], "best-of-n": []}
    for seed in range(10, 22):
        df, _ = simulate_protocol_responses(6, 80, protocols=shifts, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fx = protocol_effects(df, inference="nuts", seed=seed)
        for protocol, (du, dg) in list(shifts.items())[1:]:
            estimates[protocol].append(fx.effect(protocol, "theta_generation")["estimate"])
            for quantity, true in (("theta_understanding", du), ("theta_generation", dg), ("gap", du - dg)):
                e = fx.effect(protocol, quantity)
                covered.append(e["lower"] <= true <= e["upper"])
    assert np.mean(covered) >= 0.85  # 72 intervals at 95%: P(coverage < 0.85) < 0.001 if calibrated
    assert 0.6 <= np.mean(estimates["cot"]) <= 0.85 and 0.28 <= np.mean(estimates["best-of-n"]) <= 0.45
