"""What :func:`gapeval.scoring.run_scoring.score_run` reports: counts per direction and scorer,
and the answers that could not be scored, with their reasons."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gapeval.scoring.result import Score

__all__ = ["ScoringSummary", "ScoringTally", "SummaryRow", "UnscorableAnswer"]


@dataclass(frozen=True)
class UnscorableAnswer:
    """An answer that could not be scored, and why."""

    model: str
    unit: str
    turn: int | None
    sample: int
    item: str
    direction: str
    score: Score


@dataclass(frozen=True)
class SummaryRow:
    """Counts for one (direction, scorer); skipped answers have scorer ``status:<status>``."""

    direction: str
    scorer: str
    scored: int = 0
    unscorable: int = 0
    kept: int = 0
    skipped: int = 0
    mean: float | None = None
    """Mean of the values scored in this run (``None`` when none)."""


@dataclass(frozen=True)
class ScoringSummary:
    """What :func:`score_run` did.

    ``kept`` answers already had a score under ``name`` (not recomputed without ``rescore``);
    ``skipped`` answers had no ``ok`` output (refused, unsupported); ``stale`` counts answers that
    became unscorable on a re-score: their earlier score under ``name`` was removed. ``judge_calls`` counts judge adapter calls, ``cache_hits`` replies read from
    the judge cache.
    """

    name: str
    rows: tuple[SummaryRow, ...]
    unscorable: tuple[UnscorableAnswer, ...] = ()
    judge_calls: int = 0
    cache_hits: int = 0
    stale: int = 0

    def total(self, outcome: str) -> int:
        """Sum of one count (``scored``, ``unscorable``, ``kept`` or ``skipped``) over the rows."""
        return sum(int(getattr(row, outcome)) for row in self.rows)

    def __str__(self) -> str:
        lines = [f"scores '{self.name}':"]
        table = self.table()
        if len(table):
            lines.append(table.to_string(index=False, na_rep="", float_format=lambda v: f"{v:.4f}"))
        lines.append(
            f"{self.total('scored')} scored, {self.total('unscorable')} unscorable, "
            f"{self.total('kept')} kept, {self.total('skipped')} skipped; "
            f"{self.judge_calls} judge calls, {self.cache_hits} judge cache hits"
            + (f"; {self.stale} stale" if self.stale else "")
        )
        return "\n".join(lines)

    def table(self) -> Any:
        """The rows as a pandas DataFrame, sorted by direction and scorer."""
        import pandas as pd

        columns = ["direction", "scorer", "scored", "unscorable", "kept", "skipped", "mean"]
        frame = pd.DataFrame([{c: getattr(r, c) for c in columns} for r in self.rows], columns=columns)
        return frame.sort_values(["direction", "scorer"], ignore_index=True)


@dataclass
class ScoringTally:
    """Running counts of one :func:`~gapeval.scoring.run_scoring.score_run` call (mutable, internal)."""

    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    sums: Counter[tuple[str, str]] = field(default_factory=Counter)
    unscorable: list[UnscorableAnswer] = field(default_factory=list)
    stale: int = 0

    def add(self, direction: str, scorer: str, outcome: str, value: float | None = None) -> None:
        self.counts[(direction, scorer, outcome)] += 1
        if value is not None:
            self.sums[(direction, scorer)] += value

    def record(self, stored: Any, score: Score, *, stale: bool) -> None:
        direction = stored.request.direction
        if score.value is not None:
            self.add(direction, score.scorer, "scored", score.value)
            return
        self.add(direction, score.scorer, "unscorable")
        self.stale += int(stale)
        key = stored.key
        self.unscorable.append(
            UnscorableAnswer(key.model, key.unit, key.turn, key.sample, stored.request.item, direction, score)
        )

    def listing(self) -> list[dict[str, Any]]:
        return [
            {"model": u.model, "unit": u.unit, "turn": u.turn, "sample": u.sample, "item": u.item,
             "direction": u.direction, **u.score.model_dump(exclude={"value", "status"})}
            for u in self.unscorable
        ]  # fmt: skip

    def rows(self) -> tuple[SummaryRow, ...]:
        groups = sorted({(d, s) for d, s, _ in self.counts})
        rows = []
        for direction, scorer in groups:
            n = {o: self.counts[(direction, scorer, o)] for o in ("scored", "unscorable", "kept", "skipped")}
            mean = self.sums[(direction, scorer)] / n["scored"] if n["scored"] else None
            rows.append(SummaryRow(direction, scorer, mean=mean, **n))
        return tuple(rows)
