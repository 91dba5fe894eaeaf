"""The analysis scripts in analyses/ run in --quick mode and show what their docstrings promise.

Each script is imported from its path (analyses/ is not a package) and its ``main`` is run once per
module into a temporary folder; the tests then read the files it wrote.
"""

from __future__ import annotations

import doctest
import importlib.util
import math
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

ANALYSES = Path(__file__).resolve().parents[2] / "analyses"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"analyses_{name}", ANALYSES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gapeval_style():
    return _load("gapeval_style")


@pytest.fixture(scope="module")
def exposure_bias():
    return _load("exposure_bias")


@pytest.fixture(scope="module")
def style_out(gapeval_style, tmp_path_factory):
    out = tmp_path_factory.mktemp("gapeval_style")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gapeval_style.main(["--out", str(out), "--quick", "--seed", "0"]) == 0
    return out


@pytest.fixture(scope="module")
def exposure_out(exposure_bias, tmp_path_factory):
    out = tmp_path_factory.mktemp("exposure_bias")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert exposure_bias.main(["--out", str(out), "--quick", "--seed", "0"]) == 0
    return out


def _png(path: Path) -> bool:
    return path.stat().st_size > 1000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _markdown_rows(path: Path) -> list[str]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    return lines[2:]  # header and alignment row


@pytest.mark.parametrize("name", ["gapeval_style", "exposure_bias"])
def test_docstring_examples_of_the_scripts_run(name, request):
    module = request.getfixturevalue(name)
    outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert outcome.attempted > 0
    assert outcome.failed == 0


def test_gapeval_style_writes_its_files(style_out, capsys):
    for name in ("gapeval_style.md", "gapeval_style.tex", "gapeval_style.csv"):
        assert (style_out / name).stat().st_size > 0, name
    assert _png(style_out / "gapeval_style_forest.png")
    assert (style_out / "run" / "answers.sqlite").exists()
    latex = (style_out / "gapeval_style.tex").read_text(encoding="utf-8")
    assert latex.count(r"\begin{table}") == latex.count(r"\end{table}") == 1
    assert r"\toprule" in latex and r"\bottomrule" in latex and r"sim-drawer" in latex


def test_gapeval_style_has_one_row_per_model(style_out):
    from gapeval.demo import DEMO_MODELS

    names = sorted(name for name, _, _ in DEMO_MODELS)
    frame = pd.read_csv(style_out / "gapeval_style.csv")
    assert sorted(frame["model"]) == names
    rows = _markdown_rows(style_out / "gapeval_style.md")
    assert len(rows) == len(names)
    assert sorted(row.split("|")[1].strip() for row in rows) == names
    # the quick subset covers two categories, both shown per category
    assert {"legacy[numerical_perception]", "legacy[world_knowledge]"} <= set(frame.columns)
    assert (frame["n_pairs"] == 100).all()


def test_gapeval_style_numbers_behave(style_out):
    frame = pd.read_csv(style_out / "gapeval_style.csv").set_index("model")
    # legacy scores are unsigned numbers in (0, 1) and their mean is the mean over categories
    assert ((frame["legacy"] > 0) & (frame["legacy"] < 1)).all()
    per_category = frame[["legacy[numerical_perception]", "legacy[world_knowledge]"]].mean(axis=1)
    assert (per_category - frame["legacy"]).abs().max() < 1e-5
    # the new gap lies in its interval; true gaps only for the simulated respondents
    assert ((frame["gap_lower"] <= frame["gap"]) & (frame["gap"] <= frame["gap_upper"])).all()
    assert math.isnan(frame.loc["procedural", "true_gap"])
    assert frame.loc["sim-reader", "true_gap"] == pytest.approx(1.5)
    assert frame.loc["sim-drawer", "true_gap"] == pytest.approx(-1.0)
    # clearly separated respondents: legacy Δ, new gap and truth share a sign, the interval excludes 0
    for name in ("sim-reader", "sim-drawer"):
        row = frame.loc[name]
        signs = {math.copysign(1, row[column]) for column in ("legacy_delta", "gap", "true_gap")}
        assert len(signs) == 1
        assert row["gap_lower"] > 0 or row["gap_upper"] < 0
        assert abs(row["gap"] - row["true_gap"]) < 1.0
    # the legacy score cannot tell which ability leads: generation-ahead sim-drawer scores as high as
    # understanding-ahead sim-reader, far above the balanced sim-even
    assert frame.loc["sim-drawer", "legacy"] > 2 * frame.loc["sim-even", "legacy"]
    assert frame.loc["sim-reader", "gap"] - frame.loc["sim-drawer", "gap"] > 2.0


def test_exposure_bias_writes_its_files(exposure_out):
    for name in ("exposure_bias.md", "exposure_bias.tex", "exposure_bias.csv", "turn_means.md", "turn_means.tex"):
        assert (exposure_out / name).stat().st_size > 0, name
    assert _png(exposure_out / "decay_curves.png")
    latex = (exposure_out / "exposure_bias.tex").read_text(encoding="utf-8")
    assert latex.count(r"\begin{tabular}") == latex.count(r"\end{tabular}") == 1
    assert r"model\_0" in latex


def test_exposure_bias_has_one_row_per_model_and_direction(exposure_out):
    frame = pd.read_csv(exposure_out / "exposure_bias.csv")
    assert len(frame) == 8
    assert frame.groupby("model")["direction"].apply(sorted).tolist() == [["generation", "understanding"]] * 4
    assert len(_markdown_rows(exposure_out / "exposure_bias.md")) == 8
    assert len(_markdown_rows(exposure_out / "turn_means.md")) == 6  # turns 1..6


def test_raw_means_decay_spuriously_and_the_irt_model_corrects_it(exposure_out):
    frame = pd.read_csv(exposure_out / "exposure_bias.csv")
    steady = frame[frame["true_lambda"] == 0]
    decaying = frame[frame["true_lambda"] < 0]
    assert len(steady) == 5 and len(decaying) == 3
    # pooled raw per-turn means fall over the turns although most cells do not decay
    means = [line.split("|") for line in _markdown_rows(exposure_out / "turn_means.md")]
    first, last = means[0], means[-1]
    assert float(last[2]) < float(first[2]) - 0.3 and float(last[3]) < float(first[3]) - 0.3
    # every no-decay cell shows decay in the raw means and in the mixed model (no item terms) ...
    assert (steady["raw"] < 0).all() and (steady["raw_upper"] < 0).all()
    assert (steady["mixed"] < 0).all()
    # ... while the explanatory IRT λ is near 0, its interval covering 0 where the raw slope excludes it
    # (SVI intervals run narrow, so not in every cell: the quick run gives 3 of 5)
    covers_zero = (steady["irt_lower"] <= 0) & (steady["irt_upper"] >= 0)
    assert covers_zero.sum() >= 2
    assert ((steady["raw_upper"] < 0) & covers_zero).any()
    assert steady["irt"].abs().mean() < 0.5 * steady["mixed"].abs().mean()
    assert steady["irt"].abs().max() < 0.25
    # decaying cells: the IRT λ is negative and its interval covers the truth
    assert (decaying["irt"] < 0).all() and (decaying["irt_upper"] < 0).all()
    assert decaying["irt_covers_truth"].astype(bool).all()
    assert (decaying["irt"] - decaying["true_lambda"]).abs().max() < 0.15


def test_pure_steps_are_importable_and_honest(exposure_bias, gapeval_style):
    frame = pd.DataFrame({"model": "m", "direction": "understanding", "session": "s", "turn": [1.0, 2.0, 3.0, None],
                          "score": [1, 1, 0, 1]})
    raw = exposure_bias.raw_slopes(frame)
    assert raw.loc[0, "estimate"] == pytest.approx(-0.5) and raw.loc[0, "n"] == 3  # the standalone row is left out
    assert exposure_bias.decay_pattern(4)[:, 0].tolist() == [0.0, 0.0, 0.0, -0.3]
    assert gapeval_style.true_gaps(None) == {}
    table = gapeval_style.standalone(pd.DataFrame({"session": [None, "d1"], "score": [1, 0]}))
    assert len(table) == 1
