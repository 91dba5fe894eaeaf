"""Adaptive testing end to end through the command line: a cohort's run, ``gapeval calibrate`` on it, and
``gapeval run --adaptive`` of a new model with the real calibrated chooser (no stand-ins)."""

from __future__ import annotations

import warnings

import pytest

from gapeval.adaptive import calls_per_model
from gapeval.bank import bank_hash
from gapeval.calibration import load_calibration
from gapeval.cli import main
from gapeval.store import Store

pytestmark = pytest.mark.slow  # a cohort run, an SVI calibration and an adaptive run: ~40 s

COHORT = ("simulated:name=a,theta_understanding=1", "simulated:name=b,theta_generation=1",
          "simulated:name=c,theta_understanding=-1", "simulated:name=d")  # fmt: skip


def test_a_calibrated_adaptive_run_asks_calibrated_units_until_its_budget(tmp_path, capsys):
    cohort, cal_path, new = tmp_path / "cohort", tmp_path / "calibration.json", tmp_path / "new"
    models = [flag for spec in COHORT for flag in ("--model", spec)]
    assert main(["run", *models, "--include", "items", "--limit", "60", "--out", str(cohort), "--quiet"]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a small cohort may have a model at a ceiling
        assert main(["calibrate", str(cohort), "-o", str(cal_path), "--inference", "svi", "--svi-steps", "300",
                     "--num-samples", "80", "--num-draws", "40"]) == 0  # fmt: skip
    calibration = load_calibration(cal_path)
    assert calibration.bank_hash == bank_hash("builtin") and len(calibration.item_ids) == 60
    capsys.readouterr()

    adaptive = ("--adaptive", "--calibration", str(cal_path), "--target-width", "0.01", "--batch", "4",
                "--max-calls", "12")  # fmt: skip
    code = main(["run", "--model", "simulated:name=new,theta_understanding=0.5", "--include", "items",
                 "--limit", "60", "--out", str(new), "--quiet", *adaptive])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "stopped: budget spent (12 calls)" in out
    assert calls_per_model(new) == {"new": 12}
    with Store(new, readonly=True) as store:
        chosen = [unit for choice in store.choices("new") for unit in choice.units]
    assert len(chosen) == 12 and len(set(chosen)) == 12 and set(chosen) <= set(calibration.item_ids)


def test_a_calibration_of_another_bank_is_refused(tmp_path, capsys):
    from gapeval.gap.simulate import simulate_gap_responses

    frame, _ = simulate_gap_responses(6, 10, seed=1)
    table = tmp_path / "cohort.csv"
    frame.to_csv(table, index=False)
    cal_path = tmp_path / "calibration.json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["calibrate", str(table), "-o", str(cal_path), "--inference", "svi", "--svi-steps", "200",
                     "--num-samples", "40", "--num-draws", "20"]) == 0  # fmt: skip
    capsys.readouterr()
    code = main(["run", "--model", "simulated", "--include", "items", "--limit", "8", "--out",
                 str(tmp_path / "run"), "--quiet", "--adaptive", "--calibration", str(cal_path),
                 "--target-width", "0.5"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "it was made for bank (hash not recorded), not sha256:" in err
