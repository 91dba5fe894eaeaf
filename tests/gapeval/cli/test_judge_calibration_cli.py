"""``gapeval fit/report --judge-calibration FILE``: the judges' calibration table reaches gap_score."""

from __future__ import annotations

import pandas as pd
import pytest

from gapeval.errors import GapevalError
from gapeval.gap.simulate import simulate_gap_responses


class _Stop(Exception):
    pass


def test_fit_and_report_pass_the_judge_calibration_file_to_gap_score(tmp_path, monkeypatch):
    from gapeval.cli import main
    from gapeval.report import analyses

    df, truth = simulate_gap_responses(4, 15, seed=0, judge=(0.85, 0.9), num_calibration=40)
    df.to_csv(tmp_path / "t.csv", index=False)
    truth.calibration.to_csv(tmp_path / "cal.csv", index=False)
    seen = []

    def spy(responses, **options):   # gap_score's keywords, as the fit would get them
        seen.append(options)
        raise _Stop

    monkeypatch.setattr(analyses, "gap_outcome", spy)
    monkeypatch.setattr("gapeval.report.build.gap_outcome", spy)
    for command in (["fit"], ["report", "--out", str(tmp_path / "r")]):
        with pytest.raises(_Stop):
            main([*command, str(tmp_path / "t.csv"), "--judge-calibration", str(tmp_path / "cal.csv"),
                  "--svi-steps", "30"])
    for options in seen:
        pd.testing.assert_frame_equal(options["judges"], truth.calibration, check_dtype=False)
    assert len(seen) == 2 and seen[0]["num_steps"] == 30


def test_a_calibration_file_without_its_columns_is_refused(tmp_path):
    from gapeval.report.sources import load_judge_calibration

    pd.DataFrame({"judge": ["j"], "label": [1]}).to_csv(tmp_path / "cal.csv", index=False)
    with pytest.raises(GapevalError, match=r"lacks the columns \['judge_label', 'human_label'\]"):
        load_judge_calibration(tmp_path / "cal.csv")
    with pytest.raises(GapevalError, match="does not exist"):
        load_judge_calibration(tmp_path / "none.csv")
