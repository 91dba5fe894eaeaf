"""``report.html`` opened in headless Chromium: every figure decodes, every table is there, no console message."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[3] / "benchmarks" / "report"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium missing: apt-get install chromium"),
]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_page_renders_in_chromium_with_no_broken_image(tmp_path):
    folder = _load("check_latex").simulate_report(tmp_path / "report")
    check_html = _load("check_html")
    assert check_html.check(folder, tmp_path / "page.png") == []
    assert (tmp_path / "page.png").stat().st_size > 10_000
    # the probe does see a broken image: the check can fail
    page = folder / "report.html"
    page.write_text(page.read_text().replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1))
    assert any("broken images" in problem for problem in check_html.check(folder, tmp_path / "broken.png"))
