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

__all__ = ["answer_chance", "chance_levels", "with_chance_levels"]


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


def with_chance_levels(responses: pd.DataFrame, bank: Bank) -> pd.DataFrame:
    """A copy of the long table ``responses`` with the ``chance`` column of ``bank``'s answer specs.

    Rows are matched on ``item`` (dialogue turns as ``"<dialogue id>#<turn>"``); an item the bank does
    not hold gets an empty chance level (a free answer, to :func:`gapeval.gap_score`). The rows, their
    order and index are kept.

    Raises
    ------
    GapevalError
        The table already has a ``chance`` column (drop or rename it to take the bank's), or no ``item``
        column.

    Examples
    --------
    >>> import pandas as pd
    >>> from gapeval.bank import load_bank
    >>> bank = load_bank("builtin")
    >>> mcq = next(item.id for item in bank.items if isinstance(item.answer, McqAnswer))
    >>> table = pd.DataFrame({"model": ["m", "m"], "item": [mcq, "not-in-the-bank"]})
    >>> with_chance_levels(table, bank)["chance"].tolist()  # doctest: +ELLIPSIS
    [0..., nan]
    """
    from gapeval.errors import GapevalError
    from gapeval.responses import CHANCE, ITEM

    if CHANCE in responses.columns:
        raise GapevalError(f"the table already has a {CHANCE!r} column; drop or rename it to take the bank's "
                           "chance levels")
    if ITEM not in responses.columns:
        raise GapevalError(f"the table has no {ITEM!r} column to match the bank's chance levels on; it has "
                           f"{list(responses.columns)}")
    levels = chance_levels(bank).set_index(ITEM)[CHANCE]
    return responses.assign(**{CHANCE: responses[ITEM].map(levels).astype("float64")})
