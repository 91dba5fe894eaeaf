"""Slow statistical checks of gap_score with NUTS (run with ``-m slow``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from gapeval.gap.score import gap_score
from gapeval.gap.simulate import simulate_gap_responses

pytestmark = pytest.mark.slow


def _fit(df, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gap_score(df, **kwargs)


def test_adding_a_constant_to_every_difficulty_leaves_the_gaps():
    df, _ = simulate_gap_responses(12, 150, seed=11)
    shifted, _ = simulate_gap_responses(12, 150, seed=11, difficulty_shift=1.0)
    base, moved = _fit(df), _fit(shifted)
    # abilities follow the difficulties; gaps move only by Monte Carlo error (other simulated answers)
    assert abs((moved["theta_understanding"] - base["theta_understanding"]).mean() + 1.0) < 0.25
    # The shifted data are new answers, so the gaps differ by the data's sampling noise, not only by
    # Monte Carlo error: allow three standard errors of the mean difference (sd from the 95% intervals).
    sd_base = (base["gap_upper"] - base["gap_lower"]) / (2 * 1.96)
    sd_moved = (moved["gap_upper"] - moved["gap_lower"]) / (2 * 1.96)
    se_mean_difference = np.sqrt((sd_base**2 + sd_moved**2).mean() / len(base))
    assert abs((moved["gap"] - base["gap"]).mean()) < 3 * se_mean_difference


def test_duplicating_every_models_answers_narrows_the_intervals():
    df, _ = simulate_gap_responses(10, 100, seed=12)
    twice = pd.concat([df, df.assign(item=df["item"] + "-copy", pair=df["pair"] + "-copy")], ignore_index=True)
    base, doubled = _fit(df), _fit(twice)
    ratio = (doubled["gap_upper"] - doubled["gap_lower"]) / (base["gap_upper"] - base["gap_lower"])
    assert (ratio < 1).all() and 0.55 < ratio.mean() < 0.9   # about 1/sqrt(2) = 0.71


def test_one_vs_two_dimensions_by_loo():
    df, _ = simulate_gap_responses(12, 120, seed=13, correlation=0.2, sd=(1.0, 1.0))
    result = _fit(df).attrs["result"]
    cohort = result.cohort(loo=True).set_index("quantity")
    assert cohort.loc["delta_elpd", "estimate"] < -2 * cohort.loc["delta_elpd", "sd"]


def test_calibration_twenty_replications():
    """95% intervals of 20 replications x 10 models x 100 pairs cover in [0.89, 0.99]."""
    covered, covered50 = [], []
    for seed in range(20):
        df, truth = simulate_gap_responses(10, 100, seed=100 + seed)
        table = _fit(df, seed=seed)
        covered.extend((table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"]))
        draws = table.attrs["result"].gap_draws.reshape(-1, 10)
        lo, hi = np.percentile(draws, [25, 75], axis=0)
        covered50.extend((lo <= truth.gap) & (truth.gap <= hi))
    assert 0.89 <= np.mean(covered) <= 0.99
    assert 0.38 <= np.mean(covered50) <= 0.62


def test_same_seed_identical_output_nuts():
    df, _ = simulate_gap_responses(6, 40, seed=14)
    first = _fit(df, seed=7, num_warmup=200, num_samples=200)
    pd.testing.assert_frame_equal(_fit(df, seed=7, num_warmup=200, num_samples=200), first)


@pytest.mark.parametrize("name", ["gapeval.gap.score", "gapeval.gap.compare"])
def test_docstring_examples_run(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
