"""What an adaptive run asks next: the :class:`ItemChooser` contract and a random baseline.

A chooser sees the scored answers of one model so far and names the next bank *units* to ask:
standalone item ids, or dialogue ids (a dialogue is asked as a whole unit, every turn). The runner
(:func:`gapeval.adaptive.run_adaptive`) asks them, scores the answers inline and asks again, until
the chooser returns ``()`` or the call budget is spent. Because a chooser is a pure function of its
inputs, a resumed run replays the stored answers into it and gets the same next choices.

The statistical chooser (``GapVarianceChooser``, which picks what most reduces the posterior
variance of the model's understanding-generation gap) lives in :mod:`gapeval.calibration`;
:class:`RandomChooser` is the baseline of the benchmarks and the chooser of the tests.

Examples
--------
>>> chooser = RandomChooser(["q1", "q2", "q3", "session-001"], seed=0)
>>> first = chooser.choose((), batch=2, budget_left=10)
>>> len(first), chooser.choose((), batch=2, budget_left=10) == first
(2, True)
>>> answered = [(unit if unit != "session-001" else "session-001#1", 1.0) for unit in first]
>>> rest = chooser.choose(answered, batch=4, budget_left=10)
>>> sorted(first + rest)
['q1', 'q2', 'q3', 'session-001']
>>> chooser.choose([(u, 0.0) for u in ("q1", "q2", "q3", "session-001#2")], batch=4, budget_left=10)
()
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = ["ItemChooser", "RandomChooser", "unit_of"]


@runtime_checkable
class ItemChooser(Protocol):
    """Chooses the next units to ask one model, from its scored answers so far."""

    def choose(self, answered: Sequence[tuple[str, float]], *, batch: int, budget_left: int) -> tuple[str, ...]:
        """Bank unit ids (standalone item ids, or dialogue ids chosen as whole units) to ask next, at most
        `batch`, never one already answered; () means stop (target width reached or nothing useful left).
        `answered` = (bank item id, score in [0, 1]) for every scored answer of THIS model so far, in answer
        order. Must be a pure, deterministic function of its inputs (a resumed run replays the same choices)."""
        ...


def unit_of(item_id: str, units: frozenset[str] | set[str]) -> str:
    """The unit an answered bank item id belongs to: ``D#3`` (turn 3 of dialogue ``D``) -> ``D``.

    Examples
    --------
    >>> unit_of("session-001#2", {"session-001"}), unit_of("count-001-und", {"session-001"})
    ('session-001', 'count-001-und')
    """
    head, sep, _ = item_id.rpartition("#")
    return head if sep and item_id not in units and head in units else item_id


class RandomChooser:
    """Asks the units in one random order fixed by ``seed``, skipping those answered.

    Deterministic given ``seed`` and ``answered``. It knows nothing of the items, so it stops only when
    every unit has an answer; the run's ``max_calls`` bounds it (the benchmark's "random order at the
    same budget").

    Parameters
    ----------
    units : iterable of str
        The unit ids it may choose (item ids and dialogue ids); see :meth:`for_bank`.
    seed : int
        Seed of the order.
    """

    def __init__(self, units: Iterable[str], *, seed: int) -> None:
        order = sorted(set(units))
        random.Random(seed).shuffle(order)
        self.order: tuple[str, ...] = tuple(order)
        """The units, in the order they are asked."""
        self.units = frozenset(order)
        self.seed = seed
        self.description = f"RandomChooser(seed={seed})"
        """What the run's manifest records (``AdaptiveSettings.chooser``)."""

    @classmethod
    def for_bank(cls, bank: Any, *, seed: int) -> RandomChooser:
        """A chooser over every standalone item and dialogue of ``bank``.

        Examples
        --------
        >>> from gapeval.bank import load_bank
        >>> bank = load_bank("builtin")
        >>> len(RandomChooser.for_bank(bank, seed=0).order) == len(bank.items) + len(bank.dialogues)
        True
        """
        return cls([item.id for item in bank.items] + [dialogue.id for dialogue in bank.dialogues], seed=seed)

    def choose(self, answered: Sequence[tuple[str, float]], *, batch: int, budget_left: int) -> tuple[str, ...]:
        """The first ``batch`` units of the order without an answer (``()`` when none is left)."""
        if batch < 1 or budget_left < 1:
            return ()
        done = {unit_of(item, self.units) for item, _ in answered}
        return tuple(unit for unit in self.order if unit not in done)[:batch]

    def __repr__(self) -> str:
        return f"RandomChooser(seed={self.seed}, units={len(self.order)})"
