"""Every Python and shell block of ``docs/*.md`` and the README runs as written, in the order a reader meets it.

The blocks of one page share a namespace and a folder (later examples build on earlier ones, as a
reader runs them: the tutorial's shell steps write the run folders its Python blocks read). A shell
block is a list of ``gapeval`` commands, each run in-process and required to exit 0; a block with
anything else (``make``, a model server, a loop over GPUs) must say why it is not run. They run in a temporary folder that links the repository's top-level folders, so paths
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
import shlex
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
BLOCK = re.compile(r"(?:<!--\s*not run:\s*(?P<reason>[^>]*?)\s*-->\s*\n)?```(?P<language>python|bash)\n(?P<code>.*?)```",
                   re.S)


def blocks(page: Path) -> list[tuple[str, str, str | None]]:
    """The Python and shell blocks of ``page``: ``(language, code, reason it is not run or None)``."""
    return [(m["language"], m["code"], m["reason"]) for m in BLOCK.finditer(page.read_text(encoding="utf-8"))]


def commands(code: str) -> list[list[str]]:
    """The commands of a shell block: continuation lines joined, comments and blank lines dropped."""
    lines = code.replace("\\\n", " ").splitlines()
    return [words for line in lines if (words := shlex.split(line, comments=True))]


def test_the_block_reader_sees_markers_and_shell_commands():
    text = ("a\n<!-- not run: needs a GPU -->\n```python\nimport torch\n```\n```python\nx = 1\n```\n"
            "```bash\ngapeval run --model \"simulated:name=a\" \\\n    --out runs/x   # a run\n\ngapeval score runs/x\n```\n")
    found = [(m["language"], m["code"], m["reason"]) for m in BLOCK.finditer(text)]
    assert found[:2] == [("python", "import torch\n", "needs a GPU"), ("python", "x = 1\n", None)]
    assert commands(found[2][1]) == [["gapeval", "run", "--model", "simulated:name=a", "--out", "runs/x"],
                                     ["gapeval", "score", "runs/x"]]


def _shell(code: str, name: str) -> None:
    from gapeval.cli import main

    for words in commands(code):
        assert words[0] == "gapeval", f"{name}: {' '.join(words)!r} is not a gapeval command; mark the block " \
                                      "<!-- not run: REASON -->"
        assert main(words[1:]) == 0, f"{name}: {' '.join(words)!r} failed"


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
    for number, (language, code, reason) in enumerate(blocks(page), start=1):
        if reason:
            assert len(reason) > 5, f"block {number} of {page.name}: say why it is not run"
            skipped.append(f"block {number}: {reason}")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if language == "bash":
                _shell(code, f"{page.name} block {number}")
            elif code.lstrip().startswith(">>>"):  # a session with its output: the output must match
                _doctest(code, namespace, f"{page.name} block {number}")
            else:
                exec(compile(code, f"{page.name} block {number}", "exec"), namespace)  # noqa: S102 - our docs
    if skipped:
        print(f"{page.name}: not run: " + "; ".join(skipped))
