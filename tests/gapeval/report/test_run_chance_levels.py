"""A run's multiple-choice chance levels survive its export and report loading to the Gap Score's data."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from gapeval.bank import answer_chance, builtin_path, load_bank, with_chance_levels, write_bank
from gapeval.bank.io import record_image_paths
from gapeval.cli import main
from gapeval.errors import GapevalError
from gapeval.gap.checks import GuessingWarning
from gapeval.gap.prepare import prepare_gap_data
from gapeval.report.sources import load_responses


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory):
    """Both forms of 2 multiple-choice questions (1/4 and 1/3 chance) and of 1 free-answer question."""
    builtin = load_bank("builtin")
    by_id = {item.id: item for item in builtin.items}
    chosen = []
    for level in (0.25, 1 / 3, 0.0):
        understanding = next(item for item in builtin.items if item.direction == "understanding" and item.pair
                             and np.isclose(answer_chance(item.answer), level)
                             and f"{item.pair}-gen" in by_id)
        chosen += [understanding, by_id[f"{understanding.pair}-gen"]]
    root = tmp_path_factory.mktemp("bank")
    images = {path: (builtin_path() / path).read_bytes() for item in chosen for path in record_image_paths(item)}
    write_bank(root, chosen, images=images)
    return root, {item.id: answer_chance(item.answer) for item in chosen}


@pytest.fixture(scope="module")
def run(small_bank, tmp_path_factory):
    root, _ = small_bank
    folder = tmp_path_factory.mktemp("run") / "run"
    code = main(["run", "--model", "simulated:theta_understanding=1", "--model", "simulated:name=other",
                 "--bank", str(root), "--include", "items", "--out", str(folder), "--quiet"])
    assert code == 0
    return folder


def test_export_and_report_loading_carry_the_banks_chance_levels(small_bank, run, tmp_path, capsys):
    _, expected = small_bank
    target = tmp_path / "long.csv"
    assert main(["export", str(run), "-o", str(target)]) == 0
    capsys.readouterr()
    exported = pd.read_csv(target)
    assert len(exported) == 12 and set(exported["item"]) == set(expected)
    assert np.allclose(exported["chance"], exported["item"].map(expected))
    assert sorted(exported["chance"].round(4).unique()) == [0.0, 0.25, 0.3333]
    for source in (target, run):  # the exported file read back, and the run folder itself
        frame, _ = load_responses(source)
        assert np.allclose(frame["chance"], frame["item"].map(expected))
        data = prepare_gap_data(frame, model="model", item="item", direction="direction", score="score",
                                pair="pair", chance="chance", judge="judge", scale="paired", points=1,
                                threshold=None)
        # the multiple-choice understanding forms carry their chance level into the fit; the rest none
        assert sorted(np.round(data.observation.chance[:, 0], 4)) == [0.0, 0.25, 0.3333]
        assert (data.observation.chance[:, 1] == 0).all()


def test_a_run_whose_bank_is_gone_loads_without_chance_levels_and_says_so(small_bank, run, tmp_path):
    root, _ = small_bank
    moved = tmp_path / "moved"
    shutil.copytree(root, moved)
    shutil.rmtree(root)
    try:
        with pytest.warns(GuessingWarning, match="get no chance level.*does not exist|get no chance level.*no such"):
            frame, _ = load_responses(run)
    finally:
        shutil.copytree(moved, root)
    assert "chance" not in frame.columns and len(frame) == 12


def test_with_chance_levels_refuses_a_table_that_has_its_own():
    bank = load_bank("builtin")
    table = pd.DataFrame({"item": ["clock-001-gen"], "chance": [0.5]})
    with pytest.raises(GapevalError, match="already has a 'chance' column"):
        with_chance_levels(table, bank)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert with_chance_levels(table.drop(columns="chance"), bank)["chance"].tolist() == [0.0]
