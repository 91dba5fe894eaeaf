"""irt.fit(..., guessing=): known chance levels fix or centre the 3PL's lower asymptotes."""

from __future__ import annotations

import numpy as np
import pytest

import irt
from irt.problem import chance_levels


def _mcq_data(seed=0, num_respondents=300, num_items=20):
    """Half the items 4-option multiple choice (g = 0.25), half free answers (g = 0)."""
    g = np.r_[np.full(num_items // 2, 0.25), np.zeros(num_items - num_items // 2)]
    return irt.simulate("3pl", num_respondents=num_respondents, num_items=num_items, g=g, seed=seed)


def _g(result, data):
    items = result.items()
    return items[items["param"] == "g"].set_index("item").loc[list(data.item_ids), "estimate"].to_numpy()


def test_chance_levels_from_number_sequence_and_mapping():
    items = ("i1", "i2", "i3")
    assert chance_levels(0.25, items).tolist() == [0.25] * 3
    assert chance_levels([0.2, 0, 0.5], items).tolist() == [0.2, 0.0, 0.5]
    assert chance_levels({"i3": 0.25}, items).tolist() == [0.0, 0.0, 0.25]
    with pytest.raises(ValueError, match=r"names items \['x'\]"):
        chance_levels({"x": 0.25}, items)
    with pytest.raises(ValueError, match="2 chance levels for 3 items"):
        chance_levels([0.2, 0.2], items)
    with pytest.raises(ValueError, match=r"outside \[0, 1\)"):
        chance_levels(1.0, items)


def test_guessing_needs_a_binary_unidimensional_model_and_a_bayesian_method():
    data, _ = _mcq_data()
    with pytest.raises(ValueError, match="not to model 'graded'"):
        irt.fit(data, "graded", method="svi", guessing=0.25)
    with pytest.raises(ValueError, match="method='nuts' or 'svi', not 'mml'"):
        irt.fit(data, "2pl", method="mml", guessing=0.25)


@pytest.mark.slow
def test_fixed_guessing_keeps_the_given_levels_and_recovers_abilities():
    data, truth = _mcq_data()
    levels = dict(zip(data.item_ids, truth.g))
    result = irt.fit(data, "2pl", method="svi", seed=0, guessing=levels, num_steps=1500)
    assert result.problem.model == "3pl" and not result.problem.estimate_guessing
    np.testing.assert_allclose(_g(result, data), truth.g, atol=1e-6)
    theta = result.abilities()["estimate"].to_numpy()
    assert np.corrcoef(theta, truth.theta[:, 0])[0, 1] > 0.85


def test_estimated_guessing_samples_only_the_multiple_choice_items():
    from numpyro import handlers

    from irt.models import CHANCE_CONCENTRATION, threepl

    chance = np.array([0.25, 0.0, 0.5])
    model = handlers.seed(threepl, 0)
    trace = handlers.trace(model).get_trace(np.zeros(3, int), np.arange(3), num_respondents=1, num_items=3,
                                            chance=chance)
    prior = trace["g_mcq"]["fn"]
    np.testing.assert_allclose(prior.concentration1, CHANCE_CONCENTRATION * np.array([0.25, 0.5]))
    np.testing.assert_allclose(prior.mean, [0.25, 0.5])
    g = np.asarray(trace["g"]["value"])
    assert g[1] == 0 and g[0] == trace["g_mcq"]["value"][0]
    fixed = handlers.trace(model).get_trace(np.zeros(3, int), np.arange(3), num_respondents=1, num_items=3,
                                            chance=chance, estimate_guessing=False)
    assert "g_mcq" not in fixed and np.asarray(fixed["g"]["value"]).tolist() == chance.tolist()


@pytest.mark.slow
def test_estimated_guessing_is_centred_on_the_chance_level_and_zero_for_free_answers():
    data, truth = _mcq_data(seed=1)
    result = irt.fit(data, "3pl", method="svi", seed=0, guessing=dict(zip(data.item_ids, truth.g)), num_steps=1500)
    g = _g(result, data)
    assert np.all(g[truth.g == 0] == 0)
    assert abs(g[truth.g > 0].mean() - 0.25) < 0.08
