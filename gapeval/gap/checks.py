"""Checks of what the data can say: models at a ceiling or floor, and multiple choice whose guessing is ignored.

:func:`boundary_models` returns plain findings; :func:`gapeval.gap_score` turns them into the named
warnings :class:`CeilingWarning` and :class:`GuessingWarning`.

Guessing cannot be told from the answers alone on benchmark-sized data: on 20 models x 100 pairs with
a 1-in-4 guess on every understanding item, neither the fitted model's predictions for its unlikely
answers nor a score test of a lower asymptote departed from what a model without guessing gives
(``benchmarks/gap/RESULTS.md``): the fit absorbs the floor into flatter slopes and a higher
theta_U. So the chance level has to be *given* (the ``chance`` column, from the bank's answer specs),
and the warning fires when it is given but ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import pandas as pd

from gapeval.gap.layout import GapData
from gapeval.responses import DIRECTIONS

__all__ = ["CeilingWarning", "GuessingWarning", "Boundary", "boundary_models", "ceiling_message", "guessing_message",
           "MCQ_MARKERS", "multiple_choice_looking", "unmarked_guessing_message"]

#: Words that mark an item as multiple choice in its id, ``category`` or ``subtask`` (case-insensitive).
MCQ_MARKERS: tuple[str, ...] = ("mcq", "multiple choice", "multiple-choice", "multiple_choice", "multichoice")


class CeilingWarning(UserWarning):
    """A model answered every item of a direction right (ceiling) or wrong (floor): the data bound its
    ability on one side only, and its estimate and interval rest on the prior of the abilities there."""


class GuessingWarning(UserWarning):
    """Multiple-choice items (with a chance level) are fitted as if every right answer were known."""


@dataclass(frozen=True)
class Boundary:
    """A model at the ceiling or floor of a direction."""

    model: object
    direction: str
    side: str
    """``ceiling`` (every answer right) or ``floor`` (every answer wrong)."""
    answers: int


def boundary_models(data: GapData) -> list[Boundary]:
    """Models whose every answer in a direction is right, or every answer wrong (judge labels included)."""
    right = np.where(data.mask, data.y == data.points, True)
    wrong = np.where(data.mask, data.y == 0, True)
    if data.observation is not None and data.observation.num_judges:
        right &= data.observation.negative.sum(axis=0) == 0
        wrong &= data.observation.positive.sum(axis=0) == 0
    counts = data.counts
    found = []
    for m, model in enumerate(data.model_ids):
        for slot, direction in enumerate(DIRECTIONS):
            if counts[m, slot] == 0:
                continue
            for side, hit in (("ceiling", right), ("floor", wrong)):
                if hit[m, :, slot].all():
                    found.append(Boundary(model, direction, side, int(counts[m, slot])))
    return found


def ceiling_message(found: list[Boundary], *, abilities: str) -> str:
    """The :class:`CeilingWarning` message for ``found``."""
    shown = "; ".join(f"{b.model!r} answered all {b.answers} {b.direction} items "
                      f"{'right' if b.side == 'ceiling' else 'wrong'} ({b.side})" for b in found[:5])
    prior = ("the normal prior of the abilities (the cohort's mean and spread), which shrinks it towards the "
             "cohort" if abilities == "normal" else "the Student-t prior of the abilities")
    return (f"{len(found)} model-direction(s) at the ceiling or floor: {shown}. The data bound such an ability on "
            f"one side only, so its estimate and that end of its interval (and of the gap's) rest on {prior}, "
            "not on the answers. Read the gap as a bound, or add harder (easier) items for these models.")


def guessing_message(items: list, *, chance: list) -> str:
    """The :class:`GuessingWarning` message: multiple-choice items whose chance level the fit ignores."""
    levels = sorted(set(round(float(c), 3) for c in chance))
    return (f"{len(items)} items have a chance level (multiple choice: {levels}) that guessing='none' ignores, "
            f"e.g. {list(items[:10])}: a right guess then counts as knowledge, which biases their direction's "
            "ability upwards, most for the weakest models (a 1-in-4 guess on understanding items moved the gap by "
            "+0.6 logits and gave 9% of models a confidently wrong sign in simulations). Use guessing='fixed' "
            "(the default) or 'estimate'.")


def multiple_choice_looking(responses: pd.DataFrame, *, item, columns=("category", "subtask")) -> list:
    """Items whose id, ``category`` or ``subtask`` names multiple choice (:data:`MCQ_MARKERS`).

    A table without a ``chance`` column cannot say which items can be guessed; this reads the labels
    a table usually has (the bank's categories and subtasks, e.g. IMUG-Bench's ``static_mcq``).

    Examples
    --------
    >>> df = pd.DataFrame({"item": ["a", "b", "c"], "subtask": ["static_MCQ", "draw", "draw"]})
    >>> multiple_choice_looking(df, item="item")
    ['a']
    """
    labels = responses[item].astype(str)
    for column in columns:
        if column in responses.columns:
            labels = labels + " " + responses[column].astype(str)
    lowered = labels.str.lower()
    hit = pd.Series(False, index=responses.index)
    for marker in MCQ_MARKERS:
        hit |= lowered.str.contains(marker, regex=False)
    return list(pd.unique(responses.loc[hit, item]))


def unmarked_guessing_message(items: list, *, chance: object) -> str:
    """The :class:`GuessingWarning` message: items that look multiple-choice, and no chance column."""
    return (f"{len(items)} items look multiple-choice (their id, category or subtask says so), "
            f"e.g. {list(items[:10])}, "
            f"but the table has no chance column ({chance!r}): a right guess then counts as knowledge, which biases "
            "their direction's ability upwards, most for the weakest models. Add the column (1 / number of options, "
            "e.g. from gapeval.bank.chance_levels(bank), merged on item) or pass chance='<column>'.")
