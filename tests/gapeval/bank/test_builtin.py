"""The built-in bank: size, balance, both forms of every question, and byte-for-byte reproducibility."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from gapeval.bank.builder import DEFAULT_SEED, build_bank
from gapeval.bank.io import bank_hash, builtin_path, load_bank
from gapeval.bank.schema import CATEGORIES, VerifierAnswer


@pytest.fixture(scope="module")
def bank():
    return load_bank("builtin")


def test_counts_pairs_and_categories(bank) -> None:
    forms: dict[str, set[str]] = {}
    for item in bank.items:
        forms.setdefault(item.pair, set()).add(item.direction)
    assert len(forms) == 640
    assert all(directions == {"understanding", "generation"} for directions in forms.values())
    per_category = Counter(item.category for item in bank.items if item.direction == "generation")
    assert per_category == {category: 160 for category in CATEGORIES}
    assert len({item.subtask for item in bank.items}) == 16


def test_difficulty_is_spread_within_each_category(bank) -> None:
    for category in CATEGORIES:
        levels = Counter(item.difficulty for item in bank.items if item.category == category)
        assert set(levels) == {1, 2, 3, 4, 5}, category
        assert min(levels.values()) >= 0.1 * sum(levels.values()), (category, levels)


def test_generation_items_carry_verifier_reference_points_and_parameters(bank) -> None:
    for item in bank.items:
        assert item.params["seed"] == DEFAULT_SEED and item.params["generator"].endswith(item.subtask)
        if item.direction == "generation":
            assert isinstance(item.answer, VerifierAnswer) and item.answer.points
            assert item.reference is not None and bank.image_path(item.reference).is_file()
        assert item.source == "gapeval-builtin" and item.licence == "Apache-2.0"


def test_dialogues_cover_short_and_long_sessions_with_gold_twins(bank) -> None:
    lengths = Counter(len(d.turns) for d in bank.dialogues if d.history == "model")
    assert min(lengths) == 2 and max(lengths) == 30 and sum(lengths.values()) == 30
    by_id = {d.id: d for d in bank.dialogues}
    for dialogue in bank.dialogues:
        twin = by_id[dialogue.twin]
        assert twin.twin == dialogue.id and twin.history != dialogue.history and twin.turns == dialogue.turns


def test_builtin_data_stays_small() -> None:
    total = sum(f.stat().st_size for f in builtin_path().rglob("*") if f.is_file())
    assert total < 5_000_000
    assert all(f.suffix in {".png", ".jsonl", ".json"} for f in builtin_path().rglob("*") if f.is_file())


def test_every_shipped_image_is_referenced(bank) -> None:
    from gapeval.bank.io import record_image_paths

    used = {path for record in bank.items + bank.dialogues for path in record_image_paths(record)}
    shipped = {f"images/{p.name}" for p in (builtin_path() / "images").iterdir()}
    assert shipped == used


def test_builder_reproduces_the_shipped_bank_byte_for_byte(tmp_path: Path) -> None:
    build_bank(tmp_path, seed=DEFAULT_SEED)
    assert bank_hash(tmp_path) == bank_hash("builtin")
    assert (tmp_path / "bank.jsonl").read_bytes() == (builtin_path() / "bank.jsonl").read_bytes()


def test_another_seed_gives_another_bank(tmp_path: Path) -> None:
    build_bank(tmp_path, seed=DEFAULT_SEED + 1)
    assert bank_hash(tmp_path) != bank_hash("builtin")
