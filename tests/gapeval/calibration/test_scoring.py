"""Fixed-item scoring against a calibration: recovery, coverage, partial answers, judges, unknown items."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from gapeval import gap_score
from gapeval.calibration import CalibrationError, score_with_calibration
from gapeval.gap.score import GAP_COLUMNS, OneDirectionWarning
from gapeval.gap.simulate import simulate_gap_responses


def test_scores_recover_the_true_gaps(truth_calibration):
    df, truth = simulate_gap_responses(20, 150, seed=11)
    table = score_with_calibration(df, truth_calibration(truth, num_draws=20))
    assert list(table.columns) == ["model", *GAP_COLUMNS] and table.attrs["method"] == "calibrated"
    sd = (table["gap_upper"] - table["gap_lower"]) / (2 * 1.96)
    z = (table["gap"].to_numpy() - truth.gap) / sd
    assert np.abs(table["gap"].to_numpy() - truth.gap).mean() < 0.35 and np.abs(z).max() < 3.5
    assert 0.6 < z.std() < 1.4 and abs(z.mean()) < 0.6
    assert np.corrcoef(table["theta_understanding"], truth.theta[:, 0])[0, 1] > 0.95
    assert (table["n_understanding"] == 150).all() and (table["n_generation"] == 150).all()
    assert 0.25 < sd.median() < 0.45


def test_intervals_cover_in_a_small_simulation(truth_calibration):
    df, truth = simulate_gap_responses(60, 60, seed=5)
    table = score_with_calibration(df, truth_calibration(truth, num_draws=30), level=0.9)
    covered = (table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"])
    assert 0.8 <= covered.mean() <= 0.98                # nominal 0.9 on 60 models (binomial sd 0.04)


def test_a_model_that_answered_part_of_the_bank_is_scored_from_those_answers(truth_calibration):
    df, truth = simulate_gap_responses(1, 200, seed=2)
    cal = truth_calibration(truth)
    full = score_with_calibration(df, cal).iloc[0]
    part = score_with_calibration(df[df["pair"] < "q0030"], cal).iloc[0]
    assert part["n_understanding"] == part["n_generation"] == 30
    assert (part["gap_upper"] - part["gap_lower"]) > 1.5 * (full["gap_upper"] - full["gap_lower"])
    assert part["gap_lower"] < truth.gap[0] < part["gap_upper"]


def test_one_direction_gives_no_gap_and_warns(truth_calibration):
    df, truth = simulate_gap_responses(1, 20, seed=2)
    with pytest.warns(OneDirectionWarning, match="m00"):
        row = score_with_calibration(df[df["direction"] == "understanding"], truth_calibration(truth)).iloc[0]
    assert np.isnan(row["gap"]) and np.isnan(row["theta_generation"]) and np.isfinite(row["theta_understanding"])


def test_gap_score_with_a_calibration_is_fixed_item_scoring(truth_calibration):
    df, truth = simulate_gap_responses(2, 20, seed=4)
    cal = truth_calibration(truth)
    via_gap_score = gap_score(df, calibration=cal, level=0.9)
    pd.testing.assert_frame_equal(via_gap_score, score_with_calibration(df, cal, level=0.9))
    with pytest.raises(Exception, match="calibration= takes a gapeval.calibration.Calibration"):
        gap_score(df, calibration="calibration.json")


def test_items_or_judges_not_in_the_calibration_are_refused(truth_calibration):
    df, truth = simulate_gap_responses(1, 10, seed=4)
    cal = truth_calibration(simulate_gap_responses(1, 8, seed=4)[1])
    with pytest.raises(CalibrationError, match=r"items \['q0008-g', 'q0008-u', 'q0009-g', 'q0009-u'\]"):
        score_with_calibration(df, cal)
    judged = df.assign(judge=np.where(df["direction"] == "generation", "other-judge", None))
    with pytest.raises(CalibrationError, match=r"judges \['other-judge'\] have no error rates"):
        score_with_calibration(judged[judged["pair"] < "q0008"], cal)


def test_judge_labels_are_read_through_the_judges_error_rates(truth_calibration):
    df, truth = simulate_gap_responses(12, 150, judge=(0.8, 0.8), seed=8)
    table = score_with_calibration(df, truth_calibration(truth, judges={"judge": (0.8, 0.8)}))
    naive = score_with_calibration(df.drop(columns="judge"), truth_calibration(truth))
    slope = np.polyfit(truth.theta[:, 1], table["theta_generation"], 1)[0]
    naive_slope = np.polyfit(truth.theta[:, 1], naive["theta_generation"], 1)[0]
    assert 0.8 < slope < 1.25 and naive_slope < 0.75 * slope   # read as direct scores, the noisy labels flatten theta_G
    assert np.abs(table["gap"] - truth.gap).mean() < np.abs(naive["gap"] - truth.gap).mean()
    covered = (table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"])
    assert covered.mean() >= 10 / 12


def test_a_table_with_a_repeated_index_scores_as_its_rows(truth_calibration):
    df, truth = simulate_gap_responses(2, 20, seed=4)
    cal = truth_calibration(truth, num_draws=10)
    stacked = pd.concat([df[df["model"] == "m00"], df[df["model"] == "m01"].set_axis(df.index[:40])])
    pd.testing.assert_frame_equal(score_with_calibration(stacked, cal), score_with_calibration(df, cal))
