"""What a run asks: the units of the bank (standalone items and dialogues) in this shard.

A *unit* is answered as a whole by one model: a standalone item is one answer, a dialogue is one
answer per turn, under each protocol of the run (a direct answer is one call; other protocols make
more calls per answer). Units are ordered by id, so the plan does not depend on the bank's file order, and a
unit belongs to shard ``k`` of ``n`` when the first 8 bytes of ``sha256(id)`` are ``k - 1`` modulo
``n`` (:func:`in_shard`): every unit is in exactly one shard, whatever the bank's size.

Examples
--------
>>> from gapeval.bank import load_bank
>>> from gapeval.runner.config import RunConfig, Shard
>>> from gapeval.model_spec import ModelSpec
>>> bank = load_bank("builtin")
>>> config = RunConfig(models=(ModelSpec(name="p", adapter="procedural"),), limit=3)
>>> plan = build_plan(bank, config)
>>> len(plan.items), len(plan.dialogues), plan.calls_per_model
(3, 3, 9)
>>> [in_shard("count-001-und", Shard(index=k, count=3)) for k in (1, 2, 3)].count(True)
1
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from gapeval.bank import Bank, Dialogue, Item
from gapeval.model_spec import ModelSpec
from gapeval.runner.config import RunConfig, Shard

__all__ = ["Plan", "build_plan", "in_shard"]


def in_shard(unit_id: str, shard: Shard | None) -> bool:
    """Whether the unit ``unit_id`` belongs to ``shard`` (always ``True`` without sharding)."""
    if shard is None:
        return True
    digest = hashlib.sha256(unit_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shard.count == shard.index - 1


@dataclass(frozen=True)
class Plan:
    """The units one model answers in this run (before skipping what the store holds)."""

    items: tuple[Item, ...]
    """Standalone items, by id."""
    dialogues: tuple[Dialogue, ...]
    """Dialogues, by id."""
    samples: int
    """Answers per item and per dialogue turn."""
    protocols: int = 1
    """Protocols each unit is answered under."""

    @property
    def calls_per_model(self) -> int:
        """Final answers one model gives when nothing is stored yet (one per item, turn, sample
        and protocol; each is one call under the direct protocol)."""
        turns = sum(len(dialogue.turns) for dialogue in self.dialogues)
        return (len(self.items) + turns) * self.samples * self.protocols


_PARTS = {"all": {"items", "dialogues"}, "items": {"items"}, "dialogues": {"dialogues"}}


def _narrower(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def build_plan(bank: Bank, config: RunConfig, spec: ModelSpec | None = None) -> Plan:
    """Select the bank's units for ``config`` (``include``, ``limit``, ``shard``).

    ``spec`` (a model of the run) may narrow the selection further with its own ``include`` and
    ``limit``.
    """
    parts = _PARTS[config.include]
    if spec is not None and spec.include is not None:
        parts = parts & _PARTS[spec.include]
    limit = _narrower(config.limit, None if spec is None else spec.limit)
    items: list[Item] = []
    dialogues: list[Dialogue] = []
    if "items" in parts:
        items = sorted(bank.items, key=lambda item: item.id)[:limit]
    if "dialogues" in parts:
        dialogues = sorted(bank.dialogues, key=lambda dialogue: dialogue.id)[:limit]
    return Plan(
        items=tuple(item for item in items if in_shard(item.id, config.shard)),
        dialogues=tuple(d for d in dialogues if in_shard(d.id, config.shard)),
        samples=config.samples,
        protocols=len(config.protocols),
    )
