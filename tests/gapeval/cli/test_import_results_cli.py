"""``gapeval import-results``: an anchor's own results written as the long table, with what was read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gapeval.cli import main

ANCHORS = Path(__file__).parents[2] / "fixtures" / "anchors"


def test_import_results_writes_the_table_and_reports_counts(tmp_path: Path, capsys) -> None:
    out = tmp_path / "responses.csv"
    assert main(["import-results", "realunify", str(ANCHORS / "realunify" / "results"), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("read 2 models, 10 rows, 6 understanding, 4 generation, 7 items, 0 pairs, "
                              "0 sessions, 1 skipped\n")
    assert "janus_UEG_direct.json entry 0: null: the judge failed on this entry" in printed
    assert f"wrote 10 rows to {out}" in printed
    table = pd.read_csv(out)
    assert table.groupby("model")["score"].sum().to_dict() == {"bagel": 3.0, "janus": 1.0}


def test_import_results_proportions_with_pairs_and_categories(tmp_path: Path, capsys) -> None:
    out = tmp_path / "responses.csv"
    assert main(["import-results", "gapeval", str(ANCHORS / "gapeval" / "proportions.json"), "-o", str(out),
                 "--pairs", "4,8", "--categories", "counting,physics"]) == 0
    table = pd.read_csv(out)
    assert table.groupby("category")["pair"].nunique().to_dict() == {"counting": 4, "physics": 8}
    assert "synthetic" in capsys.readouterr().out


def test_import_results_refuses_options_of_another_format(tmp_path: Path, capsys) -> None:
    status = main(["import-results", "imug", str(ANCHORS / "imug"), "-o", str(tmp_path / "r.csv"), "--pairs", "4"])
    assert status == 2
    assert "--pairs and --categories apply to GapEval proportions files, not to imug" in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists()


def test_import_results_names_a_folder_without_results(tmp_path: Path, capsys) -> None:
    status = main(["import-results", "imug", str(tmp_path), "-o", str(tmp_path / "r.csv")])
    assert status == 2
    assert f"{tmp_path}: no scored answer found" in capsys.readouterr().err
