"""The adaptive chooser: the runner's ItemChooser contract, and choices that narrow the gap faster than random."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from gapeval.calibration import CalibrationError, score_with_calibration
from gapeval.calibration.selection import GapVarianceChooser
from gapeval.gap.simulate import simulate_gap_responses


@pytest.fixture(scope="module")
def bank(truth_calibration):
    df, truth = simulate_gap_responses(4, 150, seed=21)
    return df, truth, truth_calibration(truth, num_draws=40)


def _run(chooser, answers, *, batch, budget):
    asked = []
    while True:
        picks = chooser.choose(asked, batch=batch, budget_left=budget - len(asked))
        assert len(picks) <= batch and not set(picks) & {i for i, _ in asked}
        if not picks:
            return asked
        asked += [(i, float(answers[i])) for i in picks]


def test_the_runner_contract(bank):
    _, _, cal = bank
    chooser = GapVarianceChooser(cal, target_width=0.5)
    params = inspect.signature(chooser.choose).parameters
    assert list(params) == ["answered", "batch", "budget_left"]
    assert params["batch"].kind is params["budget_left"].kind is inspect.Parameter.KEYWORD_ONLY
    first = chooser.choose([], batch=4, budget_left=100)
    assert len(first) == 4 and all(isinstance(u, str) and u in cal.item_code for u in first)
    answered = [(first[0], 1.0), (first[1], 0.0)]
    again = GapVarianceChooser(cal, target_width=0.5).choose(answered, batch=3, budget_left=100)
    assert again == chooser.choose(answered, batch=3, budget_left=100)          # pure: a resumed run replays it
    assert not set(again) & set(first[:2])
    assert chooser.choose(answered, batch=3, budget_left=0) == ()
    assert chooser.choose(answered, batch=3, budget_left=2) == again[:2]
    assert GapVarianceChooser(cal, target_width=50.0).choose([], batch=3, budget_left=100) == ()   # wide enough


def test_once_understanding_is_known_it_asks_generation(bank):
    df, _, cal = bank
    answers = df[df["model"] == "m00"].set_index("item")["score"]
    known_u = [(i, float(answers[i])) for i in answers.index if i.endswith("-u")][:120]
    picks = GapVarianceChooser(cal, target_width=0.1).choose(known_u, batch=6, budget_left=100)
    assert len(picks) == 6 and all(p.endswith("-g") for p in picks)


@pytest.mark.slow
def test_adaptive_order_narrows_the_gap_faster_than_random(bank):
    df, truth, cal = bank
    widths = {"adaptive": [], "random": []}
    for m, model in enumerate(truth.model_ids):
        frame = df[df["model"] == model]
        answers = frame.set_index("item")["score"]
        asked = _run(GapVarianceChooser(cal, target_width=0.01), answers, batch=10, budget=60)
        assert len(asked) == 60
        order = np.random.default_rng(m).permutation(answers.index.to_numpy())[:60]
        for name, items in (("adaptive", [i for i, _ in asked]), ("random", order)):
            row = score_with_calibration(frame[frame["item"].isin(list(items))], cal).iloc[0]
            widths[name].append(row["gap_upper"] - row["gap_lower"])
    assert np.mean(widths["adaptive"]) < 0.93 * np.mean(widths["random"])


def test_dialogues_are_chosen_as_whole_units_within_the_budget(bank):
    _, _, cal = bank
    units = {"d1": ["q0000-u", "q0001-u", "q0002-g"], "d2": ["q0003-g", "q0004-g"]}
    chooser = GapVarianceChooser(cal, target_width=0.1, units=units)
    picks = chooser.choose([], batch=3, budget_left=10_000)
    assert set(picks[:2]) == {"d1", "d2"}                      # valued as the sum of their items
    assert not {"q0000-u", "q0001-u", "q0002-g", "q0003-g", "q0004-g"} & set(picks)
    assert "d1" not in chooser.choose([("q0001-u", 1.0)], batch=3, budget_left=10_000)
    assert set(chooser.choose([], batch=3, budget_left=1)) <= set(cal.item_ids)   # a dialogue costs its items
    with pytest.raises(CalibrationError, match="items \\['q0000-u'\\] belong to several units"):
        GapVarianceChooser(cal, units={"a": ["q0000-u"], "b": ["q0000-u"]})


def test_bad_answers_and_options_are_refused(bank):
    _, _, cal = bank
    chooser = GapVarianceChooser(cal)
    with pytest.raises(CalibrationError, match=r"items \['nope'\] .* are not in the calibration"):
        chooser.choose([("nope", 1.0)], batch=2, budget_left=5)
    with pytest.raises(CalibrationError, match=r"scores \[0.5\] are not 0/1"):
        chooser.choose([("q0000-u", 0.5)], batch=2, budget_left=5)
    with pytest.raises(CalibrationError, match="target_width=0 must be a positive"):
        GapVarianceChooser(cal, target_width=0)
