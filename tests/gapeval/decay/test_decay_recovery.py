"""decay() recovers known per-model slopes and fixed effects from simulated dialogues."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from gapeval.decay import POSTERIOR, SATTERTHWAITE_T, decay, simulate_decay

SIM = dict(num_models=8, num_sessions=12, num_turns=6, sd_model_turn=0.03, sd_residual=0.06)


def _fit(responses, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # boundary notes from statsmodels are irrelevant here
        return decay(responses, **kwargs)


def _merged(result, truth) -> pd.DataFrame:
    return result.slopes_frame().merge(truth.slopes, on=["model", "direction"])   # estimate beside the true slope


@pytest.fixture(scope="module")
def simulated():
    return simulate_decay(**SIM, seed=4)


@pytest.fixture(scope="module")
def result(simulated):
    return _fit(simulated[0])


def test_slope_intervals_cover_the_truth(result, simulated):
    merged = _merged(result, simulated[1])
    assert len(merged) == 16
    assert ((merged.lower <= merged.slope) & (merged.slope <= merged.upper)).all()
    assert np.corrcoef(merged.estimate, merged.slope)[0, 1] > 0.99
    assert np.abs(merged.estimate - merged.slope).max() < 0.01


def test_fixed_effects_cover_the_truth(result, simulated):
    truth = simulated[1].fixed
    for fe in result.fixed_effects:
        assert fe.lower <= truth[fe.term] <= fe.upper, fe.term
    assert [fe.term for fe in result.fixed_effects] == list(truth)


def test_direction_by_turn_test(result):
    inter = result.interaction
    assert inter.term == "turn:direction[understanding]"
    assert inter.test().name == SATTERTHWAITE_T
    assert inter.estimate == pytest.approx(0.03, abs=0.005)
    assert inter.test().p_value < 1e-10  # generation decays faster (true U - G difference 0.03 per turn)


def test_variance_components_near_truth(result):
    vc = {(r.group, r.var1, r.var2): r.sdcor for r in result.variance_components}
    assert vc[("model", "turn", None)] == pytest.approx(0.03, rel=0.5)
    assert vc[("model:session", "Intercept", None)] == pytest.approx(0.03, rel=0.25)  # lme4's name of the run
    assert vc[("Residual", None, None)] == pytest.approx(0.06, rel=0.05)


def test_slope_is_fixed_plus_deviation(result):
    for s in result.slopes:
        assert s.estimate == pytest.approx(s.fixed + s.deviation)
    by_model = result.slopes_frame().pivot(index="model", columns="direction", values="estimate")
    # one shared random turn slope: understanding minus generation is the fixed interaction
    np.testing.assert_allclose(by_model.understanding - by_model.generation, result.interaction.estimate)


def test_turn_by_direction_random_slopes(simulated):
    res = _fit(simulated[0], random_slopes="turn_by_direction")
    merged = _merged(res, simulated[1])
    covered = (merged.lower <= merged.slope) & (merged.slope <= merged.upper)
    assert covered.mean() >= 0.85
    terms = {(r.var1, r.var2) for r in res.variance_components if r.group == "model"}
    assert ("turn:understanding", "turn:generation") in terms


def test_covariates_numeric_and_text(simulated):
    responses = simulated[0].copy()
    rng = np.random.default_rng(0)
    responses["log_context"] = rng.normal(5, 1, len(responses))
    responses["history"] = np.where(rng.random(len(responses)) < 0.5, "gold", "self")
    responses["score"] += 0.05 * (responses.log_context - 5) - 0.04 * (responses.history == "self")
    res = _fit(responses, covariates=["log_context", "history"])
    terms = {fe.term: fe for fe in res.fixed_effects}
    assert terms["log_context"].estimate == pytest.approx(0.05, abs=0.005)
    assert terms["history[self]"].estimate == pytest.approx(-0.04, abs=0.01)
    assert res.covariates == ("log_context", "history")


def test_other_column_names_and_no_session(simulated):
    renamed = simulated[0].rename(columns={"score": "y", "turn": "step", "model": "system"})
    res = _fit(renamed, score="y", turn="step", model="system", session=None)
    assert res.n_sessions == 0
    assert res.formula == "y ~ step * direction + (1 + step | system)"
    assert {r.group for r in res.variance_components} == {"model", "Residual"}


def test_result_is_frozen_and_input_untouched(simulated, result):
    before = simulated[0].copy()
    _fit(simulated[0])
    pd.testing.assert_frame_equal(simulated[0], before)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.level = 0.9  # type: ignore[misc]


def test_binary_scores_use_the_binomial_glmm():
    responses, truth = simulate_decay(
        num_models=6, num_sessions=10, num_turns=6, intercept=0.5, turn=-0.1, generation=-0.5,
        turn_generation=-0.3, sd_model=0.3, sd_model_turn=0.1, sd_session=0.3, family="binomial", seed=2,
    )
    res = _fit(responses, binomial_method="vb")
    assert res.family == "binomial"
    assert res.formula.startswith("logit P(score = 1) ~ turn * direction")
    assert res.interaction.test().name == POSTERIOR
    assert res.interaction.estimate == pytest.approx(0.3, abs=0.15)
    assert res.interaction.lower > 0
    merged = _merged(res, truth)
    assert np.corrcoef(merged.estimate, merged.slope)[0, 1] > 0.8


def test_binomial_fit_is_reproducible():
    responses, _ = simulate_decay(num_models=3, num_sessions=4, num_turns=3, family="binomial", seed=1)
    first, second = _fit(responses, binomial_method="vb", seed=3), _fit(responses, binomial_method="vb", seed=3)
    assert [s.estimate for s in first.slopes] == [s.estimate for s in second.slopes]


@pytest.mark.slow
def test_slope_interval_coverage_over_seeds():
    covered = []
    for seed in range(16):
        responses, truth = simulate_decay(**SIM, seed=seed)
        merged = _merged(_fit(responses), truth)
        covered.extend((merged.lower <= merged.slope) & (merged.slope <= merged.upper))
    assert np.mean(covered) >= 0.88  # nominal 0.95; measured 0.93 (conditional intervals)


@pytest.mark.slow
def test_binary_scores_by_nuts():
    from gapeval.decay import POSTERIOR_NUTS

    responses, truth = simulate_decay(
        num_models=5, num_sessions=8, num_turns=5, intercept=0.5, turn=-0.1, generation=-0.5,
        turn_generation=-0.3, sd_model=0.3, sd_model_turn=0.1, sd_session=0.3, family="binomial", seed=2,
    )
    res = _fit(responses, binomial_method="nuts", seed=1)
    assert res.estimator.startswith("NUTS (NumPyro")
    assert res.formula.endswith("+ (1 + turn | model) + (1 | model:session)")
    assert res.interaction.test().name == POSTERIOR_NUTS
    for fe in res.fixed_effects:
        assert fe.lower <= truth.fixed[fe.term] <= fe.upper, fe.term
    merged = _merged(res, truth)
    assert ((merged.lower <= merged.slope) & (merged.slope <= merged.upper)).mean() >= 0.8
