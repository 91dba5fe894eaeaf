"""Chance levels of a bank's questions: the probability that a guess is right, from the answer specs.

The Gap Score's observation layer (``docs/gap_score.md``, "Guessing and judge error") reads them from
the ``chance`` column of the long table; :func:`chance_levels` gives that column for a bank, to merge
on ``item`` (dialogue turns are the long table's items ``"<dialogue id>#<turn>"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gapeval.bank.schema import DynamicMcqAnswer, JudgedMcqAnswer, McqAnswer

if TYPE_CHECKING:
    import pandas as pd

    from gapeval.bank.io import Bank

__all__ = ["answer_chance", "chance_levels"]


def answer_chance(answer) -> float:
    """1 / number of options for a multiple-choice answer with one right letter, else 0.

    A question with several right letters (all must be given) or without listed options gets 0: its
    chance level depends on the scoring rule, so it is not assumed (set the ``chance`` column yourself).

    Examples
    --------
    >>> answer_chance(McqAnswer(options=("a", "b", "c", "d"), correct=("B",)))
    0.25
    >>> answer_chance(McqAnswer(options=("a", "b", "c"), correct=("A", "C")))
    0.0
    """
    if isinstance(answer, McqAnswer):
        return 1.0 / len(answer.options) if len(answer.correct) == 1 else 0.0
    if isinstance(answer, DynamicMcqAnswer | JudgedMcqAnswer):
        return 1.0 / len(answer.options) if answer.options else 0.0
    return 0.0


def chance_levels(bank: Bank) -> pd.DataFrame:
    """One row per question of ``bank`` (items, then dialogue turns): columns ``item`` and ``chance``.

    Examples
    --------
    >>> from gapeval.bank import load_bank
    >>> levels = chance_levels(load_bank("builtin"))
    >>> list(levels.columns), bool(levels["chance"].between(0, 1).all())
    (['item', 'chance'], True)
    """
    import pandas as pd

    from gapeval.responses import CHANCE, ITEM

    rows = [(item.id, answer_chance(item.answer)) for item in bank.items]
    rows += [(f"{dialogue.id}#{turn.index}", answer_chance(turn.answer)) for dialogue in bank.dialogues
             for turn in dialogue.turns]
    return pd.DataFrame(rows, columns=[ITEM, CHANCE])
