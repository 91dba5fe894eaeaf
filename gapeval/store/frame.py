"""Export a store as the long responses table (DESIGN.md §3).

One row per answer, with the columns ``model, item, pair, direction, score, category, subtask,
session, turn, sample, context_tokens, status``; rows are sorted by model, item (or dialogue), turn
and sample, so the table does not depend on the order answers were committed (a merged sharded run
exports the same table as an unsharded one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapeval.errors import GapevalError

if TYPE_CHECKING:
    from gapeval.store.store import Store

__all__ = ["COLUMNS", "to_frame"]

#: Columns of the exported table, in order.
COLUMNS = (
    "model",
    "item",
    "pair",
    "direction",
    "score",
    "category",
    "subtask",
    "session",
    "turn",
    "sample",
    "context_tokens",
    "status",
)

_LABELS = "model, item, pair, direction, {score} AS score, category, subtask, session, turn, sample"
_SAME_KEY = (
    "{a}.model = {b}.model AND {a}.unit = {b}.unit AND {a}.turn_key = {b}.turn_key "
    "AND {a}.sample = {b}.sample"
)


def _choose_scorer(store: Store, scorer: str | None, *, include_unscored: bool) -> str | None:
    known = store.scorers()
    if scorer is not None:
        if scorer not in known:
            raise GapevalError(
                f"scorer {scorer!r} has no scores in {store!r}; scorers there: "
                f"{', '.join(known) or 'none'}"
            )
        return scorer
    if len(known) == 1:
        return known[0]
    if len(known) > 1:
        raise GapevalError(
            f"{store!r} holds scores from several scorers ({', '.join(known)}); "
            "pick one with scorer="
        )
    if include_unscored:
        return None
    raise GapevalError(
        f"{store!r} holds no scores yet; score the answers first (gapeval score), "
        "or pass include_unscored=True to export answers with empty scores"
    )


def to_frame(
    store: Store,
    *,
    scorer: str | None = None,
    include_unscored: bool = False,
    include_errors: bool = False,
) -> Any:
    """The long responses table of ``store`` as a pandas DataFrame.

    Parameters
    ----------
    store : Store
        The store to export.
    scorer : str, optional
        Whose scores fill the ``score`` column; may be left out when the store has one scorer.
    include_unscored : bool
        Keep answers the scorer has not scored (refusals, unsupported turns...), with ``score``
        empty. By default only scored answers are rows.
    include_errors : bool
        Add one row (``status='error'``, empty score) per key that has logged errors and no answer.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; ``turn`` and ``context_tokens`` are nullable integers.

    Raises
    ------
    GapevalError
        If ``scorer`` is unknown, or is needed to choose between several scorers, or the store has
        no scores and ``include_unscored`` is false.
    """
    import pandas as pd

    chosen = _choose_scorer(store, scorer, include_unscored=include_unscored)
    parts = [
        f"SELECT {_LABELS.format(score='s.score')}, input_tokens AS context_tokens, status, "
        "unit, turn_key FROM answers a LEFT JOIN scores s ON s.answer_id = a.id AND s.scorer = ?"
        + ("" if include_unscored else " WHERE s.score IS NOT NULL")
    ]
    if include_errors:
        parts.append(
            f"SELECT {_LABELS.format(score='NULL')}, NULL, 'error', unit, turn_key FROM errors e "
            "WHERE e.id = (SELECT MAX(f.id) FROM errors f WHERE "
            + _SAME_KEY.format(a="f", b="e")
            + ") AND NOT EXISTS (SELECT 1 FROM answers a WHERE "
            + _SAME_KEY.format(a="a", b="e")
            + ")"
        )
    sql = " UNION ALL ".join(parts) + " ORDER BY model, unit, turn_key, sample"
    rows = store._query(sql, (chosen,))
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "unit", "turn_key"])
    frame = frame.drop(columns=["unit", "turn_key"])
    return frame.astype(
        {
            "score": "float64",
            "turn": "Int64",
            "sample": "int64",
            "context_tokens": "Int64",
        }
    )
