"""The paired scale's estimand (centring over paired items, the difficulty offset), Student-t abilities, ceilings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpyro import handlers

from gapeval.errors import GapevalError
from gapeval.gap.checks import CeilingWarning, boundary_models
from gapeval.gap.model import build_gap_data, gap_model, model_arguments
from gapeval.gap.prepare import offset_prior
from gapeval.gap.score import gap_score
from gapeval.gap.simulate import simulate_gap_responses
from gapeval.responses import standardize_responses


def _data(df):
    frame = standardize_responses(df, pair="pair", scores="binary")
    return build_gap_data(frame, points=1, use_pairs=True)


def _prior_trace(data, seed=0, **kwargs):
    model = handlers.seed(gap_model, seed)
    return handlers.trace(model).get_trace(**model_arguments(data, scale="paired", **kwargs), observe=False)


def _with_unpaired(num_extra=6, seed=0):
    df, truth = simulate_gap_responses(4, 12, seed=seed)
    extra = df[df["pair"].isin(df["pair"].unique()[:num_extra])].copy()
    extra["item"] = "x-" + extra["item"]
    extra["pair"] = None
    return pd.concat([df, extra], ignore_index=True), truth


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_difficulties_are_centred_over_the_paired_items_of_each_direction_only(seed):
    df, _ = _with_unpaired(seed=seed)
    data = _data(df)
    b = np.asarray(_prior_trace(data, seed=seed)["b"]["value"])
    paired = data.item_unit < data.num_pairs
    for slot in (0, 1):
        assert abs(b[paired & (data.item_slot == slot)].mean()) < 1e-5
    free = b[~paired]
    assert free.std() > 0.1 and abs(free.mean()) > 1e-3      # unpaired difficulties are not pulled to mean 0


def test_a_known_offset_moves_every_generation_difficulty_and_a_prior_adds_a_site():
    data = _data(simulate_gap_responses(4, 12, seed=0)[0])
    paired_g = (data.item_slot == 1) & (data.item_unit < data.num_pairs)
    known = _prior_trace(data, difficulty_offset=(1.0, 0.0))
    assert "delta" not in known
    assert np.asarray(known["b"]["value"])[paired_g].mean() == pytest.approx(1.0, abs=1e-5)
    assert np.asarray(known["b"]["value"])[data.item_slot == 0].mean() == pytest.approx(0.0, abs=1e-5)
    prior = _prior_trace(data, difficulty_offset=(1.0, 0.25))
    assert prior["delta"]["fn"].loc == 1.0 and prior["delta"]["fn"].scale == 0.25
    delta = float(prior["delta"]["value"])
    assert np.asarray(prior["b"]["value"])[paired_g].mean() == pytest.approx(delta, abs=1e-5)


def test_offset_option_is_checked():
    assert offset_prior(0.5, "paired") == (0.5, 0.0)
    with pytest.raises(GapevalError, match="applies to scale='paired'"):
        offset_prior(1.0, "standardized")
    with pytest.raises(GapevalError, match="a pair \\(mean, sd\\) with sd >= 0"):
        offset_prior((1.0, -1.0), "paired")


def test_student_t_abilities_are_a_gamma_scale_mixture():
    data = _data(simulate_gap_responses(5, 10, seed=0)[0])
    trace = _prior_trace(data, ability_df=4.0)
    weight = trace["ability_weight"]["fn"].base_dist
    assert weight.concentration == 2.0 and weight.rate == 2.0
    assert np.asarray(trace["ability_weight"]["value"]).shape == (5,)
    assert "ability_weight" not in _prior_trace(data)


def test_models_at_the_ceiling_or_floor_are_named_and_warned():
    df, _ = simulate_gap_responses(4, 15, seed=0)
    understanding = df["direction"] == "understanding"
    df.loc[(df["model"] == "m01") & understanding, "score"] = 1.0
    df.loc[(df["model"] == "m02") & ~understanding, "score"] = 0.0
    found = boundary_models(_data(df))
    assert [(b.model, b.direction, b.side, b.answers) for b in found] == [
        ("m01", "understanding", "ceiling", 15), ("m02", "generation", "floor", 15)]
    with pytest.warns(CeilingWarning, match=r"'m01' answered all 15 understanding items right \(ceiling\).*rest on "
                                            r"the normal prior"):
        table = gap_score(df, inference="svi", num_steps=20, num_samples=20)
    assert "differences between models' gaps do not depend on that offset" in table.attrs["estimand"]
