"""An anchor's results, imported, run through gap_score and ``gapeval report`` (one fixture per benchmark)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gapeval import gap_score
from gapeval.cli import main

ANCHORS = Path(__file__).parents[2] / "fixtures" / "anchors"

#: format -> (results source, gap_score options, the report's tables that must be there).
CASES = {
    "gapeval": (ANCHORS / "gapeval", {"scale": "paired"}, ["gap_scores.md", "joint.md"]),
    "imug": (ANCHORS / "imug", {"scale": "standardized", "pair": None, "threshold": 0.5},
             ["decay_fixed.md", "decay_slopes.md"]),
    "realunify": (ANCHORS / "realunify" / "results", {"scale": "standardized", "pair": None}, ["gap_scores.md"]),
}


@pytest.mark.slow  # about 15-25 s per format on a loaded 2-core machine (the report's fits)
@pytest.mark.parametrize("name", sorted(CASES))
def test_import_gap_score_and_report(name, tmp_path, capsys):
    source, options, tables = CASES[name]
    table_path = tmp_path / "responses.csv"
    assert main(["import-results", name, str(source), "-o", str(table_path)]) == 0
    responses = pd.read_csv(table_path)

    gaps = gap_score(responses, inference="svi", num_steps=300, seed=0, **options)
    counts = responses.groupby(["model", "direction"]).size().unstack()
    assert gaps["model"].tolist() == sorted(counts.index)
    assert gaps["n_understanding"].tolist() == counts.loc[gaps["model"], "understanding"].tolist()
    assert gaps["n_generation"].tolist() == counts.loc[gaps["model"], "generation"].tolist()
    assert np.isfinite(gaps[["gap", "gap_lower", "gap_upper"]].to_numpy()).all()
    assert (gaps["gap_lower"] < gaps["gap"]).all() and (gaps["gap"] < gaps["gap_upper"]).all()

    out = tmp_path / "report"
    capsys.readouterr()
    assert main(["report", str(table_path), "--out", str(out), "--inference", "svi", "--svi-steps", "300"]) == 0
    index = (out / "report.md").read_text()
    for table in tables:
        assert (out / table).is_file() and f"]({table.replace('.md', '.tex')})" in index
    if name == "imug":  # dialogue turns only: the report's gap is fitted on standalone items
        assert "Gap scores" in index and "Not estimated" in index
        assert "25 responses, 2 models" in index
    else:  # with a protocol column (RealUnify's direct / step) each (model, protocol) is a respondent
        reported = pd.read_csv(out / "gap_scores.csv").set_index("model")
        names = responses["model"] if name == "gapeval" else responses["model"] + " [" + responses["protocol"] + "]"
        expected = responses.assign(model=names).groupby(["model", "direction"]).size().unstack(fill_value=0)
        assert sorted(reported.index) == sorted(expected.index)
        assert reported.loc[expected.index, "n_understanding"].tolist() == expected["understanding"].tolist()
        assert reported.loc[expected.index, "n_generation"].tolist() == expected["generation"].tolist()
