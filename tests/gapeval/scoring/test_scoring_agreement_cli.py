"""``gapeval agreement``: the table function and the command registered on a parser."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from gapeval.cli.agreement import register
from gapeval.errors import GapevalError
from gapeval.scoring.agreement_table import agreement_table, read_ratings


def run(argv):
    parser = argparse.ArgumentParser(prog="gapeval")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


@pytest.fixture
def ratings():
    a, b = [], []
    for (i, j), count in {(0, 0): 20, (0, 1): 5, (1, 0): 10, (1, 1): 15}.items():
        a += [i] * count
        b += [j] * count
    return pd.DataFrame({"judge": a, "human": b, "points": [x + 0.5 * y for x, y in zip(a, b)]})


def test_categories_table(ratings):
    table = agreement_table(ratings, a="judge", b="human", kind="categories", n_boot=200, seed=3)
    assert list(table["statistic"]) == ["cohen_kappa", "krippendorff_alpha"]
    assert table.loc[0, "estimate"] == pytest.approx(0.4)
    # 2 coders, no gaps: alpha = 1 - (n - 1)/n * (1 - po)/(1 - pe_pooled), with pooled margins
    # 45/100 and 55/100: pe = 0.45^2 + 0.55^2 = 0.505; alpha = 1 - 99/100 * 0.3/0.495 = 0.4
    assert table.loc[1, "estimate"] == pytest.approx(0.4)
    assert table["n_boot"].tolist() == [200, 200] and table["seed"].tolist() == [3, 3]
    assert (table["lower"] < table["estimate"]).all() and (table["estimate"] < table["upper"]).all()


def test_points_table_drops_missing_pairs(ratings):
    ratings.loc[0, "points"] = None
    table = agreement_table(ratings, a="judge", b="points", n_boot=0)
    assert list(table["statistic"]) == ["pearson", "spearman", "krippendorff_alpha"]
    assert table["n_units"].tolist() == [49, 49, 49]
    assert table["detail"].tolist() == ["", "", "metric=interval"]


def test_table_errors(ratings):
    with pytest.raises(GapevalError, match=r"column\(s\) \['model'\] not found; available columns"):
        agreement_table(ratings, a="model", b="human")
    with pytest.raises(GapevalError, match=r"unknown kind 'ordinal'"):
        agreement_table(ratings, a="judge", b="human", kind="ordinal")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_command_prints_a_table(tmp_path, capsys, ratings, suffix):
    path = tmp_path / f"ratings{suffix}"
    ratings.to_csv(path, index=False) if suffix == ".csv" else ratings.to_parquet(path)
    status = run(["agreement", str(path), "--a", "judge", "--b", "human", "--kind", "categories",
                  "--n-boot", "100"])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["statistic", "detail", "estimate"]
    assert lines[1].split()[:3] == ["cohen_kappa", "weights=none", "0.4000"]


def test_command_csv_output(tmp_path, capsys, ratings):
    path = tmp_path / "ratings.csv"
    ratings.to_csv(path, index=False)
    assert run(["agreement", str(path), "--a", "judge", "--b", "points", "--n-boot", "0",
                "--format", "csv"]) == 0  # fmt: skip
    table = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert table["statistic"].tolist() == ["pearson", "spearman", "krippendorff_alpha"]
    assert table["lower"].isna().all()


def test_read_ratings_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"ratings file '.*nope.csv' does not exist"):
        read_ratings(tmp_path / "nope.csv")
    path = tmp_path / "ratings.xlsx"
    path.write_text("x")
    with pytest.raises(GapevalError, match=r"use a .csv or .parquet file"):
        read_ratings(path)
