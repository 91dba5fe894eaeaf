"""The calibration file: a real (small, SVI) calibration round-trips; broken files are refused with a reason."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from gapeval.calibration import CalibrationError, calibrate, load_calibration, save_calibration
from gapeval.calibration.record import SCHEMA_VERSION
from gapeval.gap.checks import CeilingWarning
from gapeval.gap.simulate import simulate_gap_responses


@pytest.fixture(scope="module")
def fitted():
    df, truth = simulate_gap_responses(6, 15, chance=(0.25, 0.0), judge=(0.9, 0.85), seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CeilingWarning)   # a small cohort: one model at the floor
        cal = calibrate(df, judges=truth.calibration, inference="svi", num_steps=300, num_samples=60, num_draws=40,
                        bank_hash="sha256:abc")
    return df, cal


def test_calibration_keeps_joint_draws_and_the_observation_layer(fitted):
    df, cal = fitted
    assert cal.num_draws == 40 and cal.num_items == 30 and cal.a.shape == cal.b.shape == (40, 30)
    assert cal.item_ids == tuple(sorted(df["item"].unique()))
    assert cal.pairs[:2] == ("q0000", "q0000") and cal.directions[:2] == ("generation", "understanding")
    assert cal.chance.tolist() == [0.0, 0.25] * 15                    # multiple-choice understanding forms
    assert cal.judge_ids == ("judge",) and cal.item_judges[:2] == ("judge", None)
    assert cal.sensitivity.shape == (40, 1) and 0.5 < cal.sensitivity.mean() < 1.0
    assert np.allclose(np.log(cal.a).sum(axis=1), 0.0, atol=1e-4)     # the paired scale's centring, per draw
    assert cal.mu.shape == cal.tau.shape == (40, 2) and np.all(np.abs(cal.rho) < 1)
    assert cal.bank_hash == "sha256:abc" and cal.scale == "paired" and cal.schema_version == SCHEMA_VERSION
    assert cal.cohort == tuple(f"m{m:02d}" for m in range(6)) and cal.fit["inference"] == "svi"
    assert cal.a.std(axis=0).min() > 0                                # uncertainty kept, not a point estimate


def test_round_trip(fitted, tmp_path):
    _, cal = fitted
    back = load_calibration(save_calibration(cal, tmp_path / "cal.json"))
    for name in ("a", "b", "sigma_gamma", "mu", "tau", "rho", "sensitivity", "specificity", "chance"):
        np.testing.assert_allclose(getattr(back, name), getattr(cal, name), rtol=1e-6, atol=1e-7, err_msg=name)
    for name in ("item_ids", "directions", "pairs", "item_judges", "judge_ids", "bank_hash", "scale", "points",
                 "guessing", "cohort", "gapeval_version", "difficulty_offset"):
        assert getattr(back, name) == getattr(cal, name), name


def _broken(cal, tmp_path, edit):
    doc = cal.to_dict()
    edit(doc)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(schema_version=99), "schema_version 99 is not 1"),
    (lambda d: d.pop("draws"), "lacks the field(s) ['draws']"),
    (lambda d: d["draws"].pop("b"), "'draws' lacks the field(s) ['b']"),
    (lambda d: d["draws"]["a"][3].__setitem__(5, float("nan")), "'a' has NaN"),
    (lambda d: d["draws"]["b"][0].pop(), "'draws.b' is not a numeric array (ragged rows"),
    (lambda d: d["draws"]["b"].pop(), "'b' has shape (39, 30), expected (40, 30)"),
    (lambda d: d["items"]["item"].pop(), "item lists have different lengths"),
    (lambda d: d["draws"]["tau"][0].__setitem__(0, -1.0), "'tau' has values outside (0.0"),
    (lambda d: d.update(schema="something.else"), "this is not a calibration file"),
    (lambda d: d["items"]["direction"].__setitem__(0, "both"), "directions ['both'] are not"),
])
def test_load_refuses_broken_files(fitted, tmp_path, edit, message):
    _, cal = fitted
    with pytest.raises(CalibrationError, match="calibration: ") as info:
        load_calibration(_broken(cal, tmp_path, edit))
    assert message in str(info.value)
    assert "gapeval calibrate" in str(info.value) or "recalibrate" in str(info.value)


def test_load_refuses_text_that_is_not_json(tmp_path):
    path = tmp_path / "cal.json"
    path.write_text("{not json")
    with pytest.raises(CalibrationError, match="is not JSON"):
        load_calibration(path)
