"""The ``gapeval bank`` command group, run through its own parser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from PIL import Image

from gapeval.bank.io import BankError, bank_hash
from gapeval.cli import bank as cli


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="gapeval")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.handler(args)


def test_validate_prints_counts_and_hash(capsys) -> None:
    assert _run("bank", "validate", "builtin") == 0
    assert capsys.readouterr().out == f"ok: 1280 items, 60 dialogues, {bank_hash('builtin')}\n"


def test_validate_reports_the_bad_line(tmp_path: Path) -> None:
    (tmp_path / "bank.jsonl").write_text('{"record": "item"}\nnot json\n')
    with pytest.raises(BankError, match=r"bank\.jsonl:1: item\.id: Field required"):
        _run("bank", "validate", str(tmp_path))


def test_show_counts_and_contact_sheet(tmp_path: Path, capsys) -> None:
    sheet = tmp_path / "sheet.png"
    assert _run("bank", "show", "builtin", "--sheet", str(sheet), "--per-category", "3") == 0
    out = capsys.readouterr().out
    assert "numerical_perception       160   160    64    64    64    64    64" in out
    assert "1280 items, 640 pairs; 60 dialogues (30 model history, 30 gold history), 792 turns" in out
    assert Image.open(sheet).size == (3 * 112, 4 * 118)


def test_schema_command_writes_the_json_schema(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert _run("bank", "schema", "--out", str(out)) == 0
    assert json.loads(out.read_text())["discriminator"]["propertyName"] == "record"


def test_build_reproduces_the_shipped_hash(tmp_path: Path, capsys) -> None:
    assert _run("bank", "build", "--out", str(tmp_path)) == 0
    assert capsys.readouterr().out.strip().endswith(f"({bank_hash('builtin')})")


ANCHORS = Path(__file__).parents[2] / "fixtures" / "anchors"


@pytest.mark.parametrize(("name", "counts", "lines"), [
    ("realunify", "read 8 items, 0 pairs, 0 dialogues, 0 turns, 4 understanding, 4 generation, 0 dynamic turns, "
                  "0 verified turns, 2 images, 0 skipped",
     ["have a key after D", "imported 8 items and 0 dialogues into {out}",
      "lost: the step protocol's intermediate prompts (new_prompt, edit_prompt) are kept in params"]),
    ("gapeval", "read 10 items, 5 pairs, 0 dialogues, 0 turns, 5 understanding, 5 generation, 0 dynamic turns, "
                "0 verified turns, 9 images, 3 skipped",
     ["  skipped {source}/data_7: no prompt.json; the authors' loaders cannot read this folder",
      "  skipped {source}/data_8/prompt.json: category 'geometry' is none of GapEval's",
      "imported 10 items and 0 dialogues into {out}"]),
    ("imug", "read 0 items, 0 pairs, 5 dialogues, 14 turns, 7 understanding, 7 generation, 4 dynamic turns, "
             "2 verified turns, 2 images, 0 skipped, 2 distinct sample ids",
     ["imported 0 items and 5 dialogues into {out}"]),
])  # fmt: skip
def test_import_command_reports_counts_and_skips(tmp_path: Path, capsys, name, counts, lines) -> None:
    source, out = ANCHORS / name, tmp_path / "out"
    assert _run("bank", "import", name, str(source), str(out)) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(counts + "\n")
    for line in lines:
        assert line.format(source=source, out=out) in printed
