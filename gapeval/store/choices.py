"""The choice log of an adaptive run: what was chosen for each model at each step, and from what.

An adaptive run (:mod:`gapeval.adaptive`) asks each model the units a chooser picks, a few at a
time. Every step is logged here *before* its units are asked, in its own transaction, so a killed
run resumes with the choices it made: the logged units are asked first (those without answers),
then the chooser is asked again from the replayed answers. One row per ``(model, step)``;
append-only (SQLite triggers abort an ``UPDATE`` or ``DELETE``).

Examples
--------
>>> import tempfile
>>> from gapeval.store import Store
>>> with Store(tempfile.mkdtemp()) as store:
...     store.put_choice(StoredChoice(model="m", step=0, units=("q1", "d1"), answered_n=0,
...                                   answered_sha256=answered_digest(()), budget_left=10))
...     [choice.units for choice in store.choices("m")]
True
[('q1', 'd1')]
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from gapeval.errors import GapevalError

__all__ = ["ChoiceConflictError", "StoredChoice", "answered_digest", "insert_choice", "read_choices"]


class ChoiceConflictError(GapevalError):
    """A different choice is already logged for this model and step."""


def answered_digest(answered: Sequence[tuple[str, float]]) -> str:
    """The sha256 of an ``answered`` sequence (item id, score) as the chooser received it.

    Examples
    --------
    >>> answered_digest([("q1", 1.0)]) == answered_digest([("q1", 1)])
    True
    >>> answered_digest([("q1", 1.0)]) == answered_digest([("q1", 0.0)])
    False
    """
    text = json.dumps([[str(item), float(score)] for item, score in answered], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredChoice:
    """One step of an adaptive run for one model."""

    model: str
    """The respondent."""
    step: int
    """0-based step of this model's run."""
    units: tuple[str, ...]
    """Units chosen to be asked (item ids, or dialogue ids asked as whole units), in order."""
    answered_n: int
    """How many scored answers the choice was computed from."""
    answered_sha256: str
    """:func:`answered_digest` of those answers, as the chooser received them."""
    budget_left: int
    """The calls the chooser was told were left."""
    skipped: Mapping[str, str] = field(default_factory=dict)
    """Units the chooser picked that were not asked, with the reason (e.g. they need a judge)."""

    def payload(self) -> str:
        """The logged JSON (everything but the model and step)."""
        data = asdict(self)
        del data["model"], data["step"]
        data["units"], data["skipped"] = list(self.units), dict(sorted(self.skipped.items()))
        return json.dumps(data, sort_keys=True)


def insert_choice(connection: sqlite3.Connection, choice: StoredChoice, created_at: str) -> bool:
    """Log ``choice`` inside the caller's transaction: ``True`` if written, ``False`` when an identical
    one is logged; a different one raises :class:`ChoiceConflictError`."""
    text = choice.payload()
    found = connection.execute(
        "SELECT choice_json FROM choices WHERE model = ? AND step = ?", (choice.model, choice.step)
    ).fetchone()
    if found is not None:
        if found[0] == text:
            return False
        raise ChoiceConflictError(
            f"step {choice.step} of model {choice.model!r} already chose {json.loads(found[0])['units']}, "
            f"not {list(choice.units)}: the chooser, its calibration or the stored scores changed since; "
            "resume with the same settings, or write to a new run folder"
        )
    connection.execute(
        "INSERT INTO choices (model, step, choice_json, created_at) VALUES (?, ?, ?, ?)",
        (choice.model, choice.step, text, created_at),
    )
    return True


def read_choices(rows: Sequence[tuple[str, int, str]]) -> list[StoredChoice]:
    """:class:`StoredChoice` records of ``(model, step, choice_json)`` rows."""
    choices = []
    for model, step, text in rows:
        data = json.loads(text)
        data["units"] = tuple(data["units"])
        choices.append(StoredChoice(model=model, step=int(step), **data))
    return choices
