"""Loading, validating and hashing banks; every bad input gets a named error with file and line."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from gapeval.bank.io import BankError, bank_hash, load_bank, write_bank
from gapeval.bank.schema import (
    Dialogue, DynamicMcqAnswer, BankImage, Item, McqAnswer, NumberAnswer, BankText, Turn, BankTurnImage,
    VerifierAnswer, bank_json_schema,
)
from gapeval.errors import GapevalError


def _item(item_id: str = "q1-und", path: str = "images/a.png") -> dict:
    return {
        "record": "item", "id": item_id, "pair": "q1", "category": "reasoning", "subtask": "count",
        "direction": "understanding",
        "prompt": [{"type": "image", "path": path}, {"type": "text", "text": "How many?"}],
        "answer": {"kind": "number", "value": 3, "tolerance": 0},
    }


def _write(root: Path, lines: list[str], *, image: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if image:
        (root / "images").mkdir(exist_ok=True)
        Image.new("RGB", (8, 8), "white").save(root / "images" / "a.png")
    (root / "bank.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    Image.new("RGB", (8, 8), "red").save(tmp_path / "x.png")
    item = Item(id="a", pair="p", category="reasoning", subtask="s", direction="generation",
                prompt=(BankText(text="draw"),), reference="x.png", difficulty=4, params={"k": [1, 2]},
                answer=VerifierAnswer(verifier="colour", params={"colour": "red"}, points=("red",)))
    other = item.model_copy(update={"id": "b", "direction": "understanding", "reference": None,
                                    "answer": McqAnswer(options=("x", "y"), correct=("B",))})
    write_bank(tmp_path, [item, other])
    bank = load_bank(tmp_path)
    assert bank.items == (item, other)
    assert bank.open_image("x.png").getpixel((0, 0)) == (255, 0, 0)


def test_hash_is_stable_and_tracks_images(tmp_path: Path) -> None:
    root = _write(tmp_path / "b", [json.dumps(_item())])
    first = bank_hash(root)
    assert first == bank_hash(root / "bank.jsonl") == load_bank(root).hash
    Image.new("RGB", (8, 8), "black").save(root / "images" / "a.png")
    assert bank_hash(root) != first


def test_malformed_json_names_file_and_line(tmp_path: Path) -> None:
    root = _write(tmp_path, [json.dumps(_item()), '{"record": "item", "id": '])
    with pytest.raises(BankError, match=r"bank\.jsonl:2: malformed JSON"):
        load_bank(root)


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    bad = _item() | {"colour": "red"}
    root = _write(tmp_path, [json.dumps(bad)])
    with pytest.raises(BankError, match=r"bank\.jsonl:1: unknown field 'item\.colour'"):
        load_bank(root)
    nested = _item()
    nested["answer"]["unit"] = "cm"
    _write(tmp_path, [json.dumps(nested)])
    with pytest.raises(BankError, match=r"bank\.jsonl:1: unknown field 'item\.answer\.number\.unit'"):
        load_bank(root)


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    root = _write(tmp_path, [json.dumps(_item()), json.dumps(_item("other")), json.dumps(_item())])
    with pytest.raises(BankError, match=r"bank\.jsonl:3: duplicate id 'q1-und' \(first on line 1\)"):
        load_bank(root)


def test_missing_image(tmp_path: Path) -> None:
    root = _write(tmp_path, [json.dumps(_item()), json.dumps(_item("b", "images/nope.png"))])
    with pytest.raises(BankError, match=r"bank\.jsonl:2: image .*nope\.png does not exist"):
        load_bank(root)


@pytest.mark.parametrize("path", ["../a.png", "images/../../a.png", "/etc/passwd", "C:\\x.png"])
def test_paths_may_not_escape_the_bank(tmp_path: Path, path: str) -> None:
    Image.new("RGB", (8, 8), "white").save(tmp_path / "a.png")
    root = _write(tmp_path / "bank", [json.dumps(_item(path=path))])
    with pytest.raises(BankError, match=r"bank\.jsonl:1: image path .* escapes the bank folder"):
        load_bank(root)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height``; its pixel data is never decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    root = _write(tmp_path, [json.dumps(_item())])
    (root / "images" / "a.png").write_bytes(_png_header_only(100_000, 100_000))
    with pytest.raises(BankError, match=r"bank\.jsonl:1: image .*a\.png is a possible decompression bomb, refused unread \(Image size \(10000000000 pixels\)"):
        load_bank(root)
    (root / "images" / "a.png").write_bytes(_png_header_only(5000, 4000))
    with pytest.raises(BankError, match=r"bank\.jsonl:1: image .* has 5000x4000 = 20000000 pixels, over the limit of 16777216"):
        load_bank(root)
    (root / "images" / "a.png").write_bytes(_png_header_only(5000, 4000))
    with pytest.raises(BankError, match="over the limit of 1000000"):
        load_bank(root, max_pixels=1_000_000)


def _dialogue(ref_turn: int) -> Dialogue:
    gen = Turn(index=1, direction="generation", subtask="draw", prompt=(BankText(text="draw a grid"),),
               answer=VerifierAnswer(verifier="grid", params={"cells": [["red"]]}))
    ask = Turn(index=2, direction="understanding", subtask="ask",
               prompt=(BankTurnImage(turn=ref_turn, source="output"), BankText(text="colour?")),
               answer=DynamicMcqAnswer(source_turn=1, rows=1, cols=1, query={"op": "cell", "row": 1, "col": 1},
                                       options=("red", "none of these")))
    return Dialogue(id="d1", category="interleaved", turns=(gen, ask))


def test_dialogue_referencing_a_future_turn(tmp_path: Path) -> None:
    write_bank(tmp_path, [_dialogue(1)])
    assert len(load_bank(tmp_path).dialogues) == 1
    write_bank(tmp_path, [_dialogue(1), _dialogue(2).model_copy(update={"id": "d2"})])
    with pytest.raises(BankError, match=r"bank\.jsonl:2: dialogue 'd2' turn 2 references turn 2, which is not an earlier turn"):
        load_bank(tmp_path)


def test_dialogue_output_of_an_understanding_turn_is_refused(tmp_path: Path) -> None:
    turns = _dialogue(1).turns
    third = turns[1].model_copy(update={"index": 3, "prompt": (BankTurnImage(turn=2, source="output"),)})
    write_bank(tmp_path, [Dialogue(id="d", category="c", turns=turns + (third,))])
    with pytest.raises(BankError, match="uses the output image of turn 2, an understanding turn"):
        load_bank(tmp_path)


def test_schema_errors_are_gapeval_errors(tmp_path: Path) -> None:
    bad = _item() | {"direction": "sideways"}
    root = _write(tmp_path, [json.dumps(bad)])
    with pytest.raises(GapevalError, match=r"bank\.jsonl:1: item\.direction: Input should be 'understanding' or 'generation'"):
        load_bank(root)
    bad = _item()
    bad["answer"] = {"kind": "mcq", "options": ["a", "b"], "correct": ["C"]}
    _write(tmp_path, [json.dumps(bad)])
    with pytest.raises(BankError, match=r"correct letters \['C'\] are not among the options \['A', 'B'\]"):
        load_bank(root)


def test_missing_bank_file(tmp_path: Path) -> None:
    with pytest.raises(BankError, match="bank file .*bank.jsonl does not exist"):
        load_bank(tmp_path)


def test_json_schema_lists_records_and_answer_kinds() -> None:
    schema = bank_json_schema()
    text = json.dumps(schema)
    for kind in ("mcq", "number", "text", "points", "verifier", "dynamic_mcq", "dynamic_grid"):
        assert f'"{kind}"' in text
    assert schema["$defs"]["Item"]["additionalProperties"] is False
    assert set(schema["$defs"]["Item"]["required"]) == {"id", "category", "subtask", "direction", "prompt", "answer"}


def test_records_are_frozen() -> None:
    item = Item.model_validate(_item())
    with pytest.raises(ValueError, match="frozen"):
        item.id = "x"  # type: ignore[misc]
    assert isinstance(item.answer, NumberAnswer) and isinstance(item.prompt[0], BankImage)


def test_unknown_verifier_name_is_refused_at_load(tmp_path: Path) -> None:
    bad = _item() | {"direction": "generation", "answer": {"kind": "verifier", "verifier": "ocr", "params": {}}}
    root = _write(tmp_path, [json.dumps(_item()), json.dumps(bad | {"id": "g"})])
    with pytest.raises(BankError, match=r"bank\.jsonl:2: item 'g' uses unknown verifier 'ocr'; use one of scene, grid"):
        load_bank(root)


def test_importing_the_bank_pulls_no_heavy_libraries() -> None:
    import subprocess
    import sys

    code = ("import sys, gapeval.bank, gapeval.cli.bank, gapeval.bank.importers, gapeval.bank.builder, "
            "gapeval.scoring.verifiers; print(sorted(m for m in ('torch', 'transformers', 'diffusers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
