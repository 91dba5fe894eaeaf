"""Validation matches the run: a bank with a NaN number and a truncated image is named by validate,
and a run still scores every other item; answers over the size cap are logged, not stored."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from gapeval.adapters.scripted import ScriptedAdapter
from gapeval.bank import BankImage, BankText, Item, load_bank, write_bank
from gapeval.bank.io import validate_bank
from gapeval.bank.schema import McqAnswer, NumberAnswer, TextAnswer
from gapeval.cli import main
from gapeval.model_spec import ModelSpec
from gapeval.runner import RunConfig, run
from gapeval.scoring.run_scoring import score_run
from gapeval.store import Store


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def number(item_id: str, question: str, value: object) -> Item:
    return Item(id=item_id, category="arithmetic", subtask="add", direction="understanding",
                prompt=(BankText(text=question),), answer=NumberAnswer(value=value))  # fmt: skip


def picture(item_id: str, path: str) -> Item:
    return Item(id=item_id, category="colour", subtask="name", direction="understanding",
                prompt=(BankImage(path=path), BankText(text="Which colour?")),
                answer=McqAnswer(options=("red", "blue"), correct=("A",)))  # fmt: skip


@pytest.fixture
def bad_bank(tmp_path) -> Path:
    good = png()
    records = [
        number("n1", "2+2?", 4), number("n2", "3+3?", "NaN"), number("n3", "3+4?", 7),
        Item(id="t1", category="words", subtask="say", direction="understanding",
             prompt=(BankText(text="Say yes."),), answer=TextAnswer(value="yes")),
        picture("p1", "images/whole.png"), picture("p2", "images/truncated.png"),
    ]  # fmt: skip
    write_bank(tmp_path / "bank", records, images={"images/whole.png": good, "images/truncated.png": good[:60]})
    return tmp_path / "bank"


def test_validate_names_the_nan_and_the_truncated_image_and_nothing_else(bad_bank, capsys):
    problems = validate_bank(bad_bank)
    assert len(problems) == 2
    assert problems[0].endswith("bank.jsonl:2: item 'n2' has answer.value = nan, which is not a finite number; "
                                "write a number such as 4 or 0.5")  # fmt: skip
    assert "bank.jsonl:6: image" in problems[1] and "truncated.png is damaged or truncated" in problems[1]
    assert main(["bank", "validate", str(bad_bank)]) == 2
    err = capsys.readouterr().err
    assert "answer.value = nan" in err and "truncated.png is damaged or truncated" in err
    assert len(load_bank(bad_bank).items) == 6  # a run still loads it, and answers what it can


def test_numbers_beyond_floats_and_deep_nesting_are_named(tmp_path):
    write_bank(tmp_path, [number("n1", "2+2?", 4)])
    lines = (tmp_path / "bank.jsonl").read_text().replace('"value":4.0', '"value":1e400')
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "bank.jsonl").write_bytes(lines.encode() + deep.encode() + b"\n" + b"\xff\xfe{}\n")
    problems = validate_bank(tmp_path)
    assert "bank.jsonl:1: item 'n1' has answer.value = inf" in problems[0]
    assert "bank.jsonl:2: the JSON is nested too deeply to read" in problems[1]
    assert "bank.jsonl:3: not UTF-8 text (byte 0xff at column 1)" in problems[2]


def test_a_run_on_the_bad_bank_scores_every_other_item(bad_bank, tmp_path):
    def model(request):
        for image in request.images:
            image.open()  # a real model decodes its inputs: the truncated one fails
        return {"n1": "4", "n2": "6", "n3": "8", "t1": "yes", "p1": "A"}[request.item]

    config = RunConfig(bank=str(bad_bank), models=(ModelSpec(name="m", adapter="scripted"),))
    report = run(config, tmp_path / "run", adapters={"m": ScriptedAdapter(model)})
    assert report.models[0].statuses == {"ok": 5, "error": 1}
    summary = score_run(tmp_path / "run")
    with Store(tmp_path / "run", readonly=True) as store:
        scores = dict(zip(*store.to_frame()[["item", "score"]].T.values, strict=True))
        (logged,) = store.errors()
    assert scores == {"n1": 1.0, "n3": 0.0, "p1": 1.0, "t1": 1.0}
    assert logged.key.unit == "p2" and logged.result.error == "OSError: image file is truncated"
    (unscorable,) = summary.unscorable
    detail = unscorable.score.detail
    assert unscorable.item == "n2" and "finite" in detail and "gapeval bank validate" in detail
    listing = json.loads((tmp_path / "run" / f"unscorable-{summary.name}.json").read_text())
    assert [entry["item"] for entry in listing] == ["n2"]


def test_an_answer_over_the_size_cap_is_logged_not_stored(bad_bank, tmp_path):
    huge = "9" * 3_000_000
    config = RunConfig(bank=str(bad_bank), models=(ModelSpec(name="m", adapter="scripted"),), include="items")
    report = run(config, tmp_path / "run", adapters={"m": ScriptedAdapter({"n1": huge}, default="A")})
    assert report.models[0].statuses["error"] == 1 and not report.complete
    with Store(tmp_path / "run", readonly=True) as store:
        (logged,) = store.errors()
    assert logged.key.unit == "n1" and logged.result.raw == {"answer_bytes": 3_000_000}
    assert logged.result.error.startswith("the answer is text of 3,000,000 bytes, over the cap of 1,048,576 bytes")
    stored = sum(path.stat().st_size for path in (tmp_path / "run").rglob("*") if path.is_file())
    assert stored < 500_000
    capped = RunConfig(models=(ModelSpec(name="m", adapter="scripted"),), include="items", limit=2,
                       max_image_bytes=100)  # fmt: skip
    report = run(capped, tmp_path / "images", adapters={"m": ScriptedAdapter()})
    assert report.models[0].statuses == {"ok": 1, "error": 1}  # arithmetic-001-gen's drawing is over 100 bytes
    with Store(tmp_path / "images", readonly=True) as store:
        (logged,) = store.errors()
        assert not list((tmp_path / "images" / "images").rglob("*.png"))
    assert logged.key.unit == "arithmetic-001-gen" and "an image of" in logged.result.error
    assert "over the cap of 100 bytes" in logged.result.error and "--max-image-bytes" in logged.result.error
