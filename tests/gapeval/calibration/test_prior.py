"""The new model's ability prior (the cohort's population with its uncertainty, or widened) and randomesque choice."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gapeval.calibration import CalibrationError, score_with_calibration
from gapeval.calibration.grid import PRIOR_SCALE
from gapeval.calibration.selection import GapVarianceChooser
from gapeval.gap.simulate import simulate_gap_responses


@pytest.fixture(scope="module")
def outlier(truth_calibration):
    """A model with gap 3 (abilities 2.5, -0.5) against a cohort whose population draws disagree on its spread."""
    df, truth = simulate_gap_responses(1, 40, mean=(2.5, -0.5), sd=(0.01, 0.01), seed=3)
    cal = truth_calibration(truth, num_draws=40)
    tau = np.where(np.arange(40)[:, None] < 20, 0.5, 1.5) * np.ones((40, 2))
    return df, truth, replace(cal, tau=tau, rho=np.full(40, 0.3))


def test_a_known_population_gives_the_same_score_under_either_prior(truth_calibration):
    df, truth = simulate_gap_responses(3, 30, seed=4)
    cal = truth_calibration(truth, num_draws=20)                 # every draw: the same population
    mixed = score_with_calibration(df, cal, prior_scale=1.0)
    own = score_with_calibration(df, cal, prior="per_draw", prior_scale=1.0)
    assert mixed.attrs["prior"] == "predictive" and own.attrs["prior"] == "per_draw"
    np.testing.assert_allclose(mixed[["gap", "gap_lower", "gap_upper"]], own[["gap", "gap_lower", "gap_upper"]],
                               atol=1e-9)


def test_a_model_outside_the_cohort_is_pulled_in_less_by_the_predictive_prior(outlier):
    df, truth, cal = outlier
    gaps = {name: score_with_calibration(df, cal, **kw).iloc[0]
            for name, kw in (("per_draw", {"prior": "per_draw", "prior_scale": 1.0}),
                             ("predictive", {"prior_scale": 1.0}), ("wide", {"prior_scale": 2.0}))}
    # per draw, half the posterior mass sits under the narrow population (tau 0.5) whatever the answers say;
    # the mixed prior lets the answers weigh the populations (the wide one explains a gap of 3 better)
    assert truth.gap[0] == pytest.approx(3.02, abs=0.01)
    assert gaps["per_draw"]["gap"] == pytest.approx(2.32, abs=0.05)          # measured: 2.316, 2.832, 2.865
    assert gaps["predictive"]["gap"] == pytest.approx(2.83, abs=0.05)
    assert gaps["predictive"]["gap"] < gaps["wide"]["gap"] < truth.gap[0]
    assert gaps["predictive"]["gap_lower"] > gaps["per_draw"]["gap_lower"] + 0.4   # 1.63 vs 1.10


def test_the_default_prior_is_the_cohorts_widened_by_prior_scale(outlier):
    df, _, cal = outlier
    default = score_with_calibration(df, cal)
    assert default.attrs["prior"] == "predictive" and default.attrs["prior_scale"] == PRIOR_SCALE == 1.5
    np.testing.assert_allclose(default["gap"], score_with_calibration(df, cal, prior_scale=1.5)["gap"])
    assert GapVarianceChooser(cal).prior_scale == PRIOR_SCALE


@pytest.mark.parametrize("kwargs, message", [
    ({"prior": "t"}, r"prior='t' is not one of \('predictive', 'per_draw'\)"),
    ({"prior_scale": 0}, "prior_scale=0 must be a positive number"),
    ({"prior_scale": "wide"}, "prior_scale='wide' must be a positive number"),
])
def test_bad_prior_options_are_refused(outlier, kwargs, message):
    df, _, cal = outlier
    with pytest.raises(CalibrationError, match=message):
        score_with_calibration(df, cal, **kwargs)
    with pytest.raises(CalibrationError, match=message):
        GapVarianceChooser(cal, **kwargs)


def test_randomesque_choice_draws_among_the_best_and_replays(truth_calibration):
    df, truth = simulate_gap_responses(1, 60, seed=8)
    cal = truth_calibration(truth, num_draws=16)
    best = GapVarianceChooser(cal, target_width=0.1).choose([], batch=1, budget_left=10)
    assert GapVarianceChooser(cal, target_width=0.1, randomesque=1, seed=5).choose([], batch=1, budget_left=10) == best
    firsts = {GapVarianceChooser(cal, target_width=0.1, randomesque=4, seed=s).choose([], batch=1, budget_left=10)[0]
              for s in range(12)}
    assert 2 <= len(firsts) <= 4                    # several units, never more than the top 4
    one = GapVarianceChooser(cal, target_width=0.1, randomesque=4, seed=3)
    answered = [("q0001-u", 1.0), ("q0002-g", 0.0)]
    picks = one.choose(answered, batch=5, budget_left=10)
    again = GapVarianceChooser(cal, target_width=0.1, randomesque=4, seed=3).choose(answered, batch=5, budget_left=10)
    assert picks == again and len(set(picks)) == 5 and not set(picks) & {"q0001-u", "q0002-g"}
    with pytest.raises(CalibrationError, match="randomesque=0 must be a positive integer"):
        GapVarianceChooser(cal, randomesque=0)
