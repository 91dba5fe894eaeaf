"""The examples in the bank and verifier docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "gapeval.bank", "gapeval.bank.schema", "gapeval.bank.io", "gapeval.bank.checks", "gapeval.bank.grids",
    "gapeval.bank.dialogues", "gapeval.bank.sheet", "gapeval.scoring.verifiers", "gapeval.scoring.verifiers.palette",
    "gapeval.scoring.verifiers.scene", "gapeval.scoring.verifiers.grid", "gapeval.scoring.verifiers.misc",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0 or name in {"gapeval.bank.checks"}
