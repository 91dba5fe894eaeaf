"""Every Python block of ``docs/*.md`` and the README runs as written, in the order a reader meets it.

The blocks of one page share a namespace (later examples build on earlier ones, as a reader runs
them). They run in a temporary folder that links the repository's top-level folders, so paths
such as ``tests/reference_data/lsat7.csv`` resolve as from a fresh clone while the files the
examples write land in the temporary folder. A block that cannot run here (it needs a GPU, a
model server, a network or a downloaded model) is preceded in the Markdown by the comment
``<!-- not run: REASON -->``; the test lists those blocks with their reasons and checks that every
other block ran. A block written as a session (``>>>`` prompts) must also print what it shows.
Slow: the pages fit real models.
"""

from __future__ import annotations

import doctest
import io
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
BLOCK = re.compile(r"(?:<!--\s*not run:\s*(?P<reason>[^>]*?)\s*-->\s*\n)?```python\n(?P<code>.*?)```", re.S)


def blocks(page: Path) -> list[tuple[str, str | None]]:
    """The Python blocks of ``page``: ``(code, reason it is not run or None)``."""
    return [(m["code"], m["reason"]) for m in BLOCK.finditer(page.read_text(encoding="utf-8"))]


def test_the_block_reader_sees_markers():
    text = "a\n<!-- not run: needs a GPU -->\n```python\nimport torch\n```\n```python\nx = 1\n```\n"
    assert [(m["code"], m["reason"]) for m in BLOCK.finditer(text)] == [("import torch\n", "needs a GPU"),
                                                                         ("x = 1\n", None)]


def _doctest(code: str, namespace: dict, name: str) -> None:
    test = doctest.DocTestParser().get_doctest(code, namespace, name, name, 0)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=report.write, clear_globs=False)
    assert result.failed == 0, report.getvalue()


def test_a_session_block_fails_on_wrong_output():
    with pytest.raises(AssertionError, match=r"Expected:\s+3\s+Got:\s+2"):
        _doctest(">>> 1 + 1\n3\n", {}, "wrong")
    _doctest(">>> x = 1 + 1\n>>> x\n2\n", {}, "right")


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p)], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_page_examples_run(page, tmp_path, monkeypatch):
    for entry in ROOT.iterdir():
        if entry.name not in {".git", ".venv"}:
            (tmp_path / entry.name).symlink_to(entry)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    skipped = []
    for number, (code, reason) in enumerate(blocks(page), start=1):
        if reason:
            assert len(reason) > 5, f"block {number} of {page.name}: say why it is not run"
            skipped.append(f"block {number}: {reason}")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if code.lstrip().startswith(">>>"):  # a session with its output: the output must match
                _doctest(code, namespace, f"{page.name} block {number}")
            else:
                exec(compile(code, f"{page.name} block {number}", "exec"), namespace)  # noqa: S102 - our docs
    if skipped:
        print(f"{page.name}: not run: " + "; ".join(skipped))
