"""The adaptive benchmark at reduced size (benchmarks/adaptive/bench_adaptive.py runs the full one): a bank
calibrated by ``calibrate`` on simulated models, new models asked adaptively, in random order and in full."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gapeval.calibration import calibrate, score_with_calibration
from gapeval.calibration.selection import GapVarianceChooser
from gapeval.gap.simulate import simulate_gap_responses


@pytest.mark.slow
def test_adaptive_beats_random_order_at_a_quarter_of_the_bank_and_covers():
    df, truth = simulate_gap_responses(14, 100, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = calibrate(df[df["model"] < "m10"], inference="svi", num_draws=100)
    quarter = 50
    width = {"adaptive": [], "random": [], "full": []}
    covered = []
    for m in range(10, 14):
        frame = df[df["model"] == truth.model_ids[m]]
        answers = frame.set_index("item")["score"]
        chooser, asked = GapVarianceChooser(cal, target_width=0.01), []
        while picks := chooser.choose(asked, batch=10, budget_left=quarter - len(asked)):
            asked += [(i, float(answers[i])) for i in picks]
        assert len(asked) == quarter
        order = np.random.default_rng(m).permutation(answers.index.to_numpy())[:quarter]
        for name, items in (("adaptive", [i for i, _ in asked]), ("random", order), ("full", answers.index)):
            row = score_with_calibration(frame[frame["item"].isin(list(items))], cal).iloc[0]
            width[name].append(row["gap_upper"] - row["gap_lower"])
            covered.append(row["gap_lower"] <= truth.gap[m] <= row["gap_upper"])
    assert np.mean(width["full"]) < np.mean(width["adaptive"]) < 0.95 * np.mean(width["random"])
    assert np.mean(covered) >= 10 / 12
