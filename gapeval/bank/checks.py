"""Consistency checks of a record that the schema alone cannot express."""

from __future__ import annotations

import math
from typing import Any

from gapeval.bank.schema import (
    VERIFIER_NAMES, Dialogue, DynamicGridAnswer, DynamicMcqAnswer, BankImage, Item, JudgedMcqAnswer, BankTurnImage,
    VerifierAnswer,
)


def check_verifiers(record: Item | Dialogue) -> None:
    """Raise ValueError if a ``verifier`` answer names a verifier not in :data:`VERIFIER_NAMES`.

    Examples
    --------
    >>> from gapeval.bank.schema import BankText
    >>> item = Item(id="x", category="c", subtask="s", direction="generation", prompt=(BankText(text="draw"),),
    ...             answer=VerifierAnswer(verifier="ocr"))
    >>> check_verifiers(item)
    Traceback (most recent call last):
    ...
    ValueError: item 'x' uses unknown verifier 'ocr'; use one of scene, grid, path, clock, template, colour, imug_grid
    """
    steps: Any = record.turns if isinstance(record, Dialogue) else (record,)
    for step in steps:
        if isinstance(step.answer, VerifierAnswer) and step.answer.verifier not in VERIFIER_NAMES:
            raise ValueError(
                f"{record.record} {record.id!r} uses unknown verifier {step.answer.verifier!r}; "
                f"use one of {', '.join(VERIFIER_NAMES)}"
            )


def _numbers(value: Any, path: str) -> list[tuple[str, float]]:
    if isinstance(value, float):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _numbers(item, f"{path}.{key}" if path else key)]
    if isinstance(value, list | tuple):
        return [found for index, item in enumerate(value) for found in _numbers(item, f"{path}[{index}]")]
    return []


def check_numbers(record: Item | Dialogue) -> None:
    """Raise ValueError naming every number of ``record`` that is not finite (``NaN``, ``1e400``).

    Examples
    --------
    >>> from gapeval.bank.schema import BankText, NumberAnswer
    >>> item = Item(id="n", category="c", subtask="s", direction="understanding",
    ...             prompt=(BankText(text="2+2?"),), answer=NumberAnswer(value="NaN"))
    >>> check_numbers(item)
    Traceback (most recent call last):
    ...
    ValueError: item 'n' has answer.value = nan, which is not a finite number; write a number such as 4 or 0.5
    """
    bad = [(path, value) for path, value in _numbers(record.model_dump(), "") if not math.isfinite(value)]
    if bad:
        listing = ", ".join(f"{path} = {value}" for path, value in bad)
        raise ValueError(
            f"{record.record} {record.id!r} has {listing}, which {'is' if len(bad) == 1 else 'are'} not "
            f"{'a finite number' if len(bad) == 1 else 'finite numbers'}; write a number such as 4 or 0.5"
        )


def check_dialogue(dialogue: Dialogue) -> None:
    """Raise ValueError if turns are out of order or point at a turn that is not earlier.

    Examples
    --------
    >>> from gapeval.bank.schema import BankText, Turn, TextAnswer
    >>> turn = Turn(index=1, direction="understanding", subtask="s",
    ...             prompt=(BankTurnImage(turn=2, source="output"),), answer=TextAnswer(value="x"))
    >>> check_dialogue(Dialogue(id="d", category="c", turns=(turn,)))
    Traceback (most recent call last):
    ...
    ValueError: dialogue 'd' turn 1 references turn 2, which is not an earlier turn; a turn can only use turns before it
    """
    turns = dialogue.turns
    for position, turn in enumerate(turns, start=1):
        if turn.index != position:
            raise ValueError(
                f"dialogue {dialogue.id!r} has turn index {turn.index} at position {position}; number turns 1, 2, 3, ..."
            )
    for turn in turns:
        refs = [(p.turn, p.source, p.index) for p in turn.prompt if isinstance(p, BankTurnImage)]
        if isinstance(turn.answer, (DynamicMcqAnswer, DynamicGridAnswer)):
            refs.append((turn.answer.source_turn, "output", 0))
        if isinstance(turn.answer, JudgedMcqAnswer):
            refs.extend((source, "any", 0) for source in turn.answer.source_turns)
        for target, source, index in refs:
            if target >= turn.index:
                raise ValueError(
                    f"dialogue {dialogue.id!r} turn {turn.index} references turn {target}, which is not an "
                    "earlier turn; a turn can only use turns before it"
                )
            earlier = turns[target - 1]
            if source == "output" and earlier.direction != "generation":
                raise ValueError(
                    f"dialogue {dialogue.id!r} turn {turn.index} uses the output image of turn {target}, "
                    "an understanding turn; reference a generation turn"
                )
            if source == "output" and dialogue.history == "gold" and earlier.reference is None:
                raise ValueError(
                    f"gold-history dialogue {dialogue.id!r} needs a reference image on turn {target}"
                )
            images = [p for p in earlier.prompt if isinstance(p, (BankImage, BankTurnImage))]
            if source == "input" and index >= len(images):
                raise ValueError(
                    f"dialogue {dialogue.id!r} turn {turn.index} uses input image {index} of turn {target}, "
                    f"which has {len(images)} image(s)"
                )
