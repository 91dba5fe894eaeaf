"""``gapeval calibrate``: a long table in, a calibration file out (loadable, hashed bank, usable for scoring)."""

from __future__ import annotations

import warnings

from gapeval.bank import bank_hash
from gapeval.calibration import load_calibration, score_with_calibration
from gapeval.cli import main
from gapeval.gap.simulate import simulate_gap_responses


def test_calibrate_writes_a_calibration_that_scores_new_models(tmp_path, capsys):
    df, truth = simulate_gap_responses(8, 15, seed=6)
    table = tmp_path / "cohort.csv"
    df[df["model"] != "m07"].rename(columns={"model": "system"}).to_csv(table, index=False)
    out = tmp_path / "calibration.json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # a small cohort may have a model at a ceiling
        status = main(["calibrate", str(table), "-o", str(out), "--model-col", "system", "--inference", "svi",
                       "--svi-steps", "300", "--num-samples", "80", "--num-draws", "40", "--bank", "builtin"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "calibrated 30 items on 7 models (paired scale, 40 draws, svi" in printed and f"wrote {out}" in printed
    cal = load_calibration(out)
    assert cal.num_draws == 40 and cal.bank_hash == bank_hash("builtin") and "m07" not in cal.cohort
    row = score_with_calibration(df[df["model"] == "m07"], cal).iloc[0]
    assert row["gap_lower"] < row["gap"] < row["gap_upper"] and row["n_understanding"] == 15


def test_calibrate_says_what_is_wrong_with_its_input(tmp_path, capsys):
    status = main(["calibrate", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "c.json")])
    assert status == 2 and "gapeval calibrate: error:" in capsys.readouterr().err
