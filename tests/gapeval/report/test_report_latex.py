"""Every table a report writes compiles in an ``article`` with no overfull box (real pdflatex)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

CHECK = Path(__file__).parents[3] / "benchmarks" / "report" / "check_latex.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pdflatex") is None,
                       reason="pdflatex missing: apt-get install texlive-latex-recommended"),
]


def _check_module():
    spec = importlib.util.spec_from_file_location("check_latex", CHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("variant", [{}, {"binary": True, "long_names": True}], ids=["default", "binary-long-names"])
def test_every_report_table_fits_an_article_page(tmp_path, variant):
    check = _check_module()
    folder = check.simulate_report(tmp_path / "report", **variant)
    tables = sorted(folder.glob("*.tex"))
    assert {t.stem for t in tables} >= {"summary", "gap_scores", "gap_comparisons", "joint", "decay_fixed",
                                        "decay_slopes"}
    problems = {t.name: check.check(t, tmp_path) for t in tables}
    assert problems == {t.name: [] for t in tables}
