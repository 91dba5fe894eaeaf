"""Which models' abilities are sampled centred (gapeval.gap.centring): the information rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gapeval.gap.centring import ability_centring, direction_information
from gapeval.gap.model import build_gap_data, model_arguments
from gapeval.gap.simulate import simulate_gap_responses


def _answers(rights: dict[str, tuple[int, int]], num_pairs: int = 100) -> pd.DataFrame:
    """Each model answers every pair's two forms; the first k understanding / generation answers are right."""
    rows = []
    for model, (right_u, right_g) in rights.items():
        for p in range(num_pairs):
            rows.append((model, f"u{p}", p, "understanding", int(p < right_u)))
            rows.append((model, f"g{p}", p, "generation", int(p < right_g)))
    return pd.DataFrame(rows, columns=["model", "item", "pair", "direction", "score"])


def test_the_information_is_the_binomial_one_and_zero_at_a_boundary():
    data = build_gap_data(_answers({"a": (20, 50), "b": (100, 0)}), points=1, use_pairs=True)
    logit, information = direction_information(data)
    np.testing.assert_allclose(information[0], [100 * 0.2 * 0.8, 100 * 0.5 * 0.5])
    np.testing.assert_allclose(logit[0], [np.log(0.25), 0.0])
    assert (information[1] == 0).all() and np.isnan(logit[1]).all()


def test_spread_out_models_are_centred_and_a_model_at_the_ceiling_is_not():
    rights = {"a": (15, 20), "b": (40, 35), "c": (65, 60), "d": (85, 80), "perfect": (100, 100)}
    centred = ability_centring(build_gap_data(_answers(rights), points=1, use_pairs=True))
    assert centred.tolist() == [True, True, True, True, False]


def test_models_whose_abilities_lie_together_are_all_non_centred():
    """A spread of the logits no larger than their sampling error: tau may be near 0, the centred funnel."""
    rights = {"a": (48, 15), "b": (50, 85), "c": (52, 50), "d": (50, 60)}   # close in understanding
    centred = ability_centring(build_gap_data(_answers(rights), points=1, use_pairs=True))
    assert not centred.any()


def test_a_model_without_answers_in_one_direction_is_non_centred():
    frame = _answers({"a": (15, 20), "b": (40, 35), "c": (65, 60), "d": (85, 80)})
    frame = frame[~((frame["model"] == "d") & (frame["direction"] == "generation"))]
    assert ability_centring(build_gap_data(frame, points=1, use_pairs=True)).tolist() == [True, True, True, False]


def test_cohorts_of_ten_or_more_are_all_centred_and_the_model_receives_the_choice():
    df, _ = simulate_gap_responses(10, 20, seed=0)
    df.loc[df["model"] == df["model"].iloc[0], "score"] = 1       # a model at the ceiling changes nothing
    data = build_gap_data(df, points=1, use_pairs=True)
    assert ability_centring(data).all()
    small = build_gap_data(_answers({"a": (15, 20), "b": (40, 35), "c": (100, 100)}), points=1, use_pairs=True)
    assert model_arguments(small, scale="paired")["centred_abilities"].tolist() == [True, True, False]
