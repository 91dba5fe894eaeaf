"""The Python examples in docs/decay.md and docs/tables.md run as written."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs"


def _blocks(name: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("name", ["decay.md", "tables.md"])
def test_doc_examples_run(name, reference_dir, tmp_path, monkeypatch):
    blocks = _blocks(name)
    assert blocks, f"no python examples in docs/{name}"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        code = block.replace('"tests/reference_data/sleepstudy.csv"', repr(str(reference_dir / "sleepstudy.csv")))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(code, f"docs/{name}", "exec"), {})  # noqa: S102 - our own documentation


def test_decay_doc_quotes_the_measured_sleepstudy_numbers():
    text = (DOCS / "decay.md").read_text(encoding="utf-8")
    for number in ("251.405105", "10.467286", "24.7404", "5.9221", "0.0656", "25.5918", "1743.6283",
                   "1.27e-11", "3.26e-6"):
        assert number in text
