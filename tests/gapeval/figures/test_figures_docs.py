"""The Python examples in docs/figures.md run as written and write the PNGs they name."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from PIL import Image

DOCS = Path(__file__).resolve().parents[3] / "docs"


@pytest.mark.slow
def test_figures_doc_examples_run(tmp_path, monkeypatch):
    text = (DOCS / "figures.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 5
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}  # the examples build on each other (gaps, fit), as a reader runs them
    for block in blocks:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(block, "docs/figures.md", "exec"), namespace)  # noqa: S102 - our own documentation
    promised = set(re.findall(r'"figures/([a-z_]+\.png)"', text))
    assert {p.name for p in (tmp_path / "figures").iterdir()} == promised
    for name in promised:
        with Image.open(tmp_path / "figures" / name) as image:
            assert image.format == "PNG" and min(image.size) > 100
