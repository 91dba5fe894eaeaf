"""Importers: small fixtures in each anchor's format load into the schema with the expected fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from gapeval.bank.importers import import_gapeval, import_imug, import_realunify, save_imported
from gapeval.bank.io import BankError, load_bank
from gapeval.bank.schema import JudgedMcqAnswer, McqAnswer, PointsAnswer, TextAnswer


def _png(path: Path, colour: str = "red") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), colour).save(path)


@pytest.fixture
def gapeval_folder(tmp_path: Path) -> Path:
    root = tmp_path / "gapeval"
    for n, (category, reference) in enumerate([("counting", "3"), ("world", ["a red flag", "three stripes"])]):
        sample = root / f"data_{n:03d}"
        _png(sample / "image" / "input.png")
        _png(sample / "ref" / "answer.png", "blue")
        sample.joinpath("prompt.json").write_text(json.dumps({
            "und_prompt": "How many apples?", "gen_prompt": "Draw three apples.", "reference": reference,
            "category": category, "gen_uses_image": n == 1,
        }))
    return root


def test_gapeval_folders_become_pairs(gapeval_folder: Path, tmp_path: Path) -> None:
    imported = import_gapeval(gapeval_folder)
    assert [r.id for r in imported.records] == ["gapeval-000-und", "gapeval-000-gen", "gapeval-001-und", "gapeval-001-gen"]
    und, gen = imported.records[:2]
    assert und.pair == gen.pair == "gapeval-000" and und.category == "counting"
    assert und.answer == TextAnswer(value="3")
    assert und.prompt[0].path == "data_000/image/input.png" and len(gen.prompt) == 1
    assert gen.reference == "data_000/ref/answer.png" and isinstance(gen.answer, PointsAnswer)
    assert imported.records[2].answer == PointsAnswer(points=("a red flag", "three stripes"))
    assert len(imported.records[3].prompt) == 2  # gen_uses_image: the edit sees the input
    bank = load_bank(save_imported(imported, tmp_path / "out"))
    assert len(bank.items) == 4 and bank.open_image("data_000/ref/answer.png").getpixel((0, 0)) == (0, 0, 255)


def test_gapeval_missing_prompt_field(gapeval_folder: Path) -> None:
    (gapeval_folder / "data_000" / "prompt.json").write_text(json.dumps({"gen_prompt": "x", "reference": "1"}))
    with pytest.raises(BankError, match=r"data_000/prompt\.json: missing field, expected one of \['und_prompt'\]"):
        import_gapeval(gapeval_folder)


@pytest.fixture
def imug_folder(tmp_path: Path) -> Path:
    root = tmp_path / "imug"
    _png(root / "images" / "kitchen.png")
    samples = [
        {"domain": "Grid", "subdomain": "coloring", "sample_id": 7, "class": "Static Spatial", "tasks": [
            {"turn": 1, "modality": "image", "input": {"text": "Colour the top row red.", "images": ["kitchen.png"]},
             "eval_points": ["top row red", "other cells unchanged"]},
            {"turn": 2, "modality": "text", "input": {"text": "Which row is red? A. top B. bottom"},
             "options": ["top", "bottom"], "answer": "A"},
            {"turn": 3, "modality": "text", "input": {"text": "How many cells did you colour? A. 3 B. 4 C. 5"}},
        ]},
        {"domain": "Cooking", "subdomain": "steps", "sample_id": 8, "tasks": [
            {"turn": 1, "modality": "text", "input": {"text": "What is on the table?", "image": "images/kitchen.png"},
             "answer": "B"},
            {"turn": 2, "modality": "image", "input": {"text": "Show it cooked."}, "evaluation_points": ["cooked"]},
        ]},
    ]
    root.joinpath("benchmark.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    root.joinpath("dynamic_references.jsonl").write_text(json.dumps({"sample_id": 7, "turn": 3, "referenced_turns": [1]}) + "\n")
    root.joinpath("image_references.jsonl").write_text(json.dumps({"sample_id": 8, "turn": 2, "reference_turns": [1]}) + "\n")
    return root


def test_imug_samples_become_dialogues(imug_folder: Path, tmp_path: Path) -> None:
    imported = import_imug(imug_folder)
    first, second = imported.records
    assert first.id == "imug-Grid-coloring-7" and first.category == "Grid" and len(first.turns) == 3
    assert [t.direction for t in first.turns] == ["generation", "understanding", "understanding"]
    assert first.turns[0].answer == PointsAnswer(points=("top row red", "other cells unchanged"))
    assert first.turns[0].prompt[0].path == "images/kitchen.png"
    assert first.turns[1].answer == McqAnswer(options=("top", "bottom"), correct=("A",))
    assert first.turns[2].answer == JudgedMcqAnswer(source_turns=(1,))
    assert second.params["image_references"] == {"2": [1]} and second.params["class"] is None
    assert second.turns[0].answer.correct == ("B",) and second.turns[0].prompt[0].path == "images/kitchen.png"
    bank = load_bank(save_imported(imported, tmp_path / "out"))
    assert len(bank.dialogues) == 2 and sum(len(d.turns) for d in bank.dialogues) == 5


def test_imug_dynamic_reference_to_a_later_turn_is_refused(imug_folder: Path, tmp_path: Path) -> None:
    imug_folder.joinpath("dynamic_references.jsonl").write_text(
        json.dumps({"sample_id": 7, "turn": 3, "referenced_turns": [3]}) + "\n")
    save_imported(import_imug(imug_folder), tmp_path / "out")
    with pytest.raises(BankError, match=r"bank\.jsonl:1: dialogue 'imug-Grid-coloring-7' turn 3 references turn 3"):
        load_bank(tmp_path / "out")


@pytest.fixture
def realunify_folder(tmp_path: Path) -> Path:
    root = tmp_path / "realunify"
    _png(root / "geu" / "shuffled.png")
    ueg = [{"index": 0, "task_type": "mathematical_reasoning",
            "prompt": "A tree with 8 birds; 6 fly away. Draw the birds on the tree.",
            "question_list": [{"question": "Are there exactly 2 birds?", "answer": "yes"},
                              {"question": "Is there a tree?", "answer": "yes"}]},
           {"index": 1, "task_type": "mathematical_reasoning", "prompt": "Draw 3 + 4 apples.",
            "question_list": [{"question": "Are there 7 apples?", "answer": "yes"}]}]
    geu = [{"index": 0, "task_type": "mental_reconstruction", "image": "geu/shuffled.png",
            "question": "Who stands in the back row?\nA. a child\nB. a man\nC. a woman", "answer": "B"}]
    root.joinpath("UEG_mathematical_reasoning.json").write_text(json.dumps(ueg))
    root.joinpath("GEU_mental_reconstruction.json").write_text(json.dumps(geu))
    return root


def test_realunify_files_become_one_direction_items(realunify_folder: Path, tmp_path: Path) -> None:
    imported = import_realunify(realunify_folder)
    ueg0, ueg1, geu = imported.records
    assert ueg0.id == "realunify-ueg-mathematical_reasoning-0" and ueg0.direction == "generation"
    assert ueg0.answer.points == ("Are there exactly 2 birds? (expected: yes)", "Is there a tree? (expected: yes)")
    assert ueg0.pair is None and ueg1.category == "mathematical_reasoning"
    assert geu.direction == "understanding" and geu.prompt[0].path == "geu/shuffled.png"
    assert geu.answer == McqAnswer(options=("a child", "a man", "a woman"), correct=("B",))
    assert "academic research only" in geu.licence
    assert len(load_bank(save_imported(imported, tmp_path / "out")).items) == 3


def test_importers_name_the_missing_source(tmp_path: Path) -> None:
    with pytest.raises(BankError, match="no UEG_\\*.json or GEU_\\*.json files"):
        import_realunify(tmp_path)
    with pytest.raises(BankError, match="benchmark.jsonl does not exist"):
        import_imug(tmp_path)
    with pytest.raises(BankError, match="no data_<id> folders"):
        import_gapeval(tmp_path)
