"""decay() reads the random-effect structure from the design and says which it fitted and why."""

from __future__ import annotations

import warnings

import pytest

from gapeval.decay import DecayError, decay, simulate_decay
from gapeval.decay.glmm import VB_CAVEAT

SMALL = dict(num_models=3, num_sessions=5, num_turns=3, seed=3)


def _quiet(responses, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # singular fits are likely on designs this small
        return decay(responses, **options)


@pytest.fixture(scope="module")
def shared():
    return simulate_decay(**SMALL, shared=True, sd_dialogue=0.05, sd_item=0.05)[0]


@pytest.fixture(scope="module")
def own():
    return simulate_decay(**SMALL)[0]


def test_shared_dialogues_and_items_make_the_default_crossed(shared):
    result = _quiet(shared)
    assert result.structure == "crossed"
    assert result.structure_reason.startswith("crossed (chosen from the design): 5 of 5 'session' ids and 30 of 30 "
                                              "'item' ids occur under more than one model")
    assert result.formula.endswith("(1 + turn | model) + (1 | session) + (1 | item) + (1 | model:session)")
    groups = [v.group for v in result.variance_components if v.var2 is None]
    assert groups == ["model", "model", "session", "item", "model:session", "Residual"]
    text = result.summary()
    assert "Structure: crossed (chosen from the design)" in text and "turn:direction[understanding]" in text


def test_own_dialogues_make_the_default_nested(own):
    result = _quiet(own)
    assert result.structure == "nested"
    assert result.structure_reason.startswith("nested (chosen from the design): 0 of 15 'session' ids and 0 of 90 "
                                              "'item' ids occur under more than one model")
    assert result.formula.endswith("(1 + turn | model) + (1 | model:session)")
    with pytest.raises(DecayError, match=r"structure='crossed' needs dialogues or items shared by several models.*"
                                         r"use structure='nested'"):
        decay(own, structure="crossed")


def test_nested_on_request_and_items_only(shared):
    nested = _quiet(shared, structure="nested")
    assert nested.structure == "nested" and nested.structure_reason.startswith("nested (requested)")
    no_session = _quiet(shared, session=None)
    assert no_session.structure == "crossed"
    assert no_session.formula.endswith("(1 + turn | model) + (1 | item)")


def test_missing_item_ids_are_refused(shared):
    bad = shared.astype({"item": object})
    bad.loc[[1, 4], "item"] = None
    with pytest.raises(DecayError, match=r"column 'item' \(item\) has missing values in rows \[1, 4\].*item=None"):
        decay(bad)
    with pytest.raises(DecayError, match=r"column 'question' \(the item column\) is not in the responses table"):
        decay(shared, item="question")


def test_vb_results_carry_their_caveat():
    binary = simulate_decay(**SMALL, family="binomial")[0]
    vb = _quiet(binary, binomial_method="vb")
    assert vb.notes == (VB_CAVEAT,) and "binomial_method='laplace'" in VB_CAVEAT
    assert f"Note: {VB_CAVEAT}" in vb.summary()
    laplace = _quiet(binary)
    assert laplace.notes == () and laplace.estimator.startswith("Laplace")
