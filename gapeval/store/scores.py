"""Scores: one row per (answer, scorer), kept apart from the answers they judge."""

from __future__ import annotations

import datetime as dt
import sqlite3

from gapeval.errors import GapevalError
from gapeval.store.keys import KEY_WHERE

__all__ = ["ScoreConflictError", "describe_key", "insert_score"]


class ScoreConflictError(GapevalError):
    """A different score by the same scorer is already stored for this answer."""


def describe_key(columns: tuple[str, str, str, int, str, int]) -> str:
    """A key in words: ``model 'm', item 'q1', turn None, sample 0`` (plus the protocol and step
    when they are not ``direct`` / ``final``)."""
    model, protocol, unit, turn_key, step, sample = columns
    words = f"model {model!r}, item {unit!r}, turn {turn_key or None}, sample {sample}"
    if (protocol, step) != ("direct", "final"):
        words += f", protocol {protocol!r}, step {step!r}"
    return words


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def insert_score(
    connection: sqlite3.Connection,
    columns: tuple[str, str, str, int, str, int],
    scorer: str,
    score: float,
    details_json: str,
    *,
    replace: bool,
) -> bool:
    """Insert one score inside the caller's transaction; see :meth:`Store.put_score`."""
    found = connection.execute(f"SELECT id FROM answers WHERE {KEY_WHERE}", columns).fetchone()
    if found is None:
        raise GapevalError(
            f"no answer stored for {describe_key(columns)}; only stored answers can be scored"
        )
    existing = connection.execute(
        "SELECT score, details_json FROM scores WHERE answer_id = ? AND scorer = ?",
        (found[0], scorer),
    ).fetchone()
    if existing == (score, details_json):
        return False
    if existing is not None and not replace:
        raise ScoreConflictError(
            f"scorer {scorer!r} already scored {describe_key(columns)} as {existing[0]}, "
            f"not {score}; "
            "pass replace=True to re-score, or use a new scorer name (e.g. with a version)"
        )
    connection.execute(
        "INSERT OR REPLACE INTO scores (answer_id, scorer, score, details_json, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (found[0], scorer, score, details_json, _now()),
    )
    return True
