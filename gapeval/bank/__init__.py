"""Item banks: the schema, loading and validation, the built-in bank, dialogues and importers.

Examples
--------
>>> from gapeval.bank import load_bank
>>> bank = load_bank("builtin")
>>> item = bank.item("clock-001-gen")
>>> item.direction, item.answer.verifier, item.answer.params
('generation', 'clock', {'hour': 1, 'minute': 0})
"""

from __future__ import annotations

from gapeval.bank.chance import answer_chance, chance_levels, with_chance_levels
from gapeval.bank.dialogues import dynamic_cells, dynamic_key, resolve_answer, resolve_prompt
from gapeval.bank.io import Bank, BankError, bank_hash, builtin_path, load_bank, run_bank, write_bank
from gapeval.bank.schema import (
    CATEGORIES,
    Dialogue,
    DynamicGridAnswer,
    DynamicMcqAnswer,
    BankImage,
    Item,
    JudgedMcqAnswer,
    McqAnswer,
    NumberAnswer,
    PointsAnswer,
    TextAnswer,
    BankText,
    Turn,
    BankTurnImage,
    VerifierAnswer,
    bank_json_schema,
)

__all__ = [
    "CATEGORIES",
    "Bank",
    "BankError",
    "Dialogue",
    "DynamicGridAnswer",
    "DynamicMcqAnswer",
    "BankImage",
    "Item",
    "JudgedMcqAnswer",
    "McqAnswer",
    "NumberAnswer",
    "PointsAnswer",
    "TextAnswer",
    "BankText",
    "Turn",
    "BankTurnImage",
    "VerifierAnswer",
    "bank_hash",
    "bank_json_schema",
    "builtin_path",
    "dynamic_cells",
    "dynamic_key",
    "load_bank",
    "resolve_answer",
    "resolve_prompt",
    "run_bank",
    "with_chance_levels",
    "write_bank",
    "answer_chance",
    "chance_levels",
]
