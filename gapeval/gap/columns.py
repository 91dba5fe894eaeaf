"""Check the long responses table and map its column names to the canonical ones.

The long responses table (``DESIGN.md`` §3) has one row per scored answer. Every function that takes
it lets the caller name its columns; :func:`standardize_responses` checks the table once and returns
a new frame whose columns carry the canonical names (``model``, ``item``, ``direction``, ``score``,
optionally ``pair``, plus any extra columns the caller asks to keep), so the code after it never
deals with the caller's names again. The caller's frame is never modified.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from gapeval.errors import GapevalError

__all__ = ["DIRECTIONS", "ScoreKind", "standardize_responses"]

#: The two values the ``direction`` column may take.
DIRECTIONS: tuple[str, str] = ("understanding", "generation")

#: What the score column must hold: ``"binary"`` 0/1, ``"unit"`` any value in [0, 1],
#: ``"graded"`` non-negative integer categories 0..K.
ScoreKind = Literal["binary", "unit", "graded"]

_SHOW = 5  # how many offending values / rows an error message lists


def _rows(index: pd.Index) -> list:
    """The first few row labels of ``index``, for error messages."""
    return index[:_SHOW].tolist()


def _values(values: pd.Series) -> list:
    """The first few distinct values of ``values`` as plain Python numbers, for error messages."""
    return sorted(values.unique().tolist())[:_SHOW]


def _check_columns(responses: pd.DataFrame, names: dict[str, Hashable]) -> None:
    """Raise if a named column is absent; say what exists and which keyword renames it."""
    for role, column in names.items():
        if column not in responses.columns:
            raise GapevalError(
                f"column {column!r} (the {role} column) is not in the responses table; it has "
                f"columns {list(responses.columns)}; pass {role}='<name>' to use another column"
            )


def _check_directions(frame: pd.DataFrame, column: Hashable) -> None:
    values = frame["direction"]
    bad = ~values.isin(DIRECTIONS)
    if bad.any():
        shown = sorted({repr(v) for v in values[bad]})[:_SHOW]
        raise GapevalError(
            f"column {column!r} has values {', '.join(shown)} in rows {_rows(frame.index[bad])}; "
            f"the direction must be one of {list(DIRECTIONS)}; rename or drop those rows"
        )


def _numeric_scores(frame: pd.DataFrame, column: Hashable) -> pd.Series:
    raw = frame["score"]
    values = pd.to_numeric(raw, errors="coerce")
    non_numeric = values.isna() & raw.notna()
    if non_numeric.any():
        shown = [repr(v) for v in raw[non_numeric].unique()[:_SHOW]]
        raise GapevalError(
            f"column {column!r} has non-numeric values [{', '.join(shown)}] in rows "
            f"{_rows(frame.index[non_numeric])}; map them to numbers or drop them"
        )
    missing = values.isna()
    if missing.any():
        raise GapevalError(
            f"column {column!r} is missing in rows {_rows(frame.index[missing])}; a missing answer "
            "is an absent row, never an empty score: drop those rows (or score them 0 if you mean "
            "to count them as wrong)"
        )
    values = values.astype(float)
    infinite = ~np.isfinite(values.to_numpy())
    if infinite.any():
        raise GapevalError(
            f"column {column!r} has infinite values in rows {_rows(frame.index[infinite])}; "
            "scores must be finite"
        )
    return values


def _check_range(values: pd.Series, column: Hashable, scores: ScoreKind, threshold) -> pd.Series:
    if scores == "graded" and threshold is None:
        bad = (values < 0) | (values != np.floor(values))
        if bad.any():
            raise GapevalError(
                f"column {column!r} has values {_values(values[bad])} in rows "
                f"{_rows(values.index[bad])}; graded scores must be integer categories 0..K"
            )
        return values.astype(int)
    outside = (values < 0) | (values > 1)
    if outside.any():
        raise GapevalError(
            f"column {column!r} has values {_values(values[outside])} outside "
            f"[0, 1] in rows {_rows(values.index[outside])}; rescale the scores to [0, 1] "
            "(e.g. divide judge points by their maximum)"
        )
    if threshold is not None:
        return (values >= threshold).astype(int)
    if scores == "binary":
        fractional = (values != 0) & (values != 1)
        if fractional.any():
            raise GapevalError(
                f"column {column!r} has fractional values {_values(values[fractional])}"
                f" in rows {_rows(values.index[fractional])}; binary scores (0/1) are needed: pass "
                "threshold=t to count a score >= t as right"
            )
        return values.astype(int)
    return values


def _check_unique(frame: pd.DataFrame, names: dict[str, Hashable]) -> None:
    dup = frame.duplicated(["model", "item"], keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        key = (first["model"], first["item"])
        rows = frame.index[dup & (frame["model"] == key[0]) & (frame["item"] == key[1])]
        raise GapevalError(
            f"{int(dup.sum())} rows repeat a ({names['model']!r}, {names['item']!r}) pair, e.g. "
            f"{key!r} in rows {_rows(rows)}; keep one answer per model and item (aggregate "
            "repeated samples first)"
        )
    for column in ("direction", "pair"):
        if column not in frame.columns:
            continue
        counts = frame.groupby("item", sort=False, dropna=False)[column].nunique(dropna=False)
        clash = counts[counts > 1]
        if len(clash):
            item = clash.index[0]
            seen = sorted(map(repr, frame.loc[frame["item"] == item, column].unique()))
            raise GapevalError(
                f"item {item!r} has {len(seen)} different values in column {names[column]!r} "
                f"({', '.join(seen)}); an item's {column} must be the same in every row"
            )


def standardize_responses(
    responses: pd.DataFrame,
    *,
    model: Hashable = "model",
    item: Hashable = "item",
    direction: Hashable = "direction",
    score: Hashable = "score",
    pair: Hashable | None = None,
    extra: Mapping[str, Hashable] | None = None,
    scores: ScoreKind = "unit",
    threshold: float | None = None,
) -> pd.DataFrame:
    """Check a long responses table and return a copy with canonical column names.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per scored answer (``DESIGN.md`` §3). Not modified.
    model, item, direction, score : hashable
        Names of the respondent, item id, direction and score columns in ``responses``.
    pair : hashable or None
        Name of the pair column (id of the question an item's two forms share; may hold missing
        values), or None to ignore pairs.
    extra : mapping of str to hashable, optional
        Further columns to keep under their own names, keyed by the keyword that named them (e.g.
        ``{"by": "category"}``), so that a missing column's error says which keyword to change.
    scores : {"unit", "binary", "graded"}
        What the score column must hold: any value in [0, 1], 0/1 only, or integer categories 0..K.
    threshold : float, optional
        If given, scores must lie in [0, 1] and become 1 where ``score >= threshold``, else 0.
        Fractional scores are only ever thresholded when the caller asks for it.

    Returns
    -------
    pandas.DataFrame
        A new frame with columns ``model, item, direction, score`` (then ``pair`` when asked for,
        then ``extra``), the caller's row index, and ``score`` as ``int`` for binary or graded
        scores and ``float`` otherwise.

    Raises
    ------
    GapevalError
        If ``responses`` is not a DataFrame or is empty; a named column is missing (the message
        lists the columns that exist); a direction is not ``understanding``/``generation``; a score
        is non-numeric, missing, infinite, or out of range for ``scores``; a (model, item) pair
        occurs twice; or an item has different directions or pairs in different rows.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"who": ["m1", "m1"], "item": ["q1u", "q1g"],
    ...                    "direction": ["understanding", "generation"], "score": [1, 0.4]})
    >>> standardize_responses(df, model="who", threshold=0.5)
      model item      direction  score
    0    m1  q1u  understanding      1
    1    m1  q1g     generation      0
    """
    if not isinstance(responses, pd.DataFrame):
        raise GapevalError(
            f"responses must be a pandas DataFrame (the long table), got {type(responses).__name__}"
        )
    if scores not in ("unit", "binary", "graded"):
        raise GapevalError(f"scores={scores!r} is not one of 'unit', 'binary', 'graded'")
    if threshold is not None and not 0 < threshold <= 1:
        raise GapevalError(f"threshold={threshold!r} must lie in (0, 1]")
    names: dict[str, Hashable] = {
        "model": model, "item": item, "direction": direction, "score": score,
    }
    if pair is not None:
        names["pair"] = pair
    extra = dict(extra or {})
    _check_columns(responses, names)
    _check_columns(responses, extra)
    clash = set(extra.values()) & set(names)
    if clash:
        raise GapevalError(
            f"extra columns {sorted(map(repr, clash))} collide with the canonical names "
            f"{list(names)}; rename them in your table first"
        )
    if len(responses) == 0:
        raise GapevalError("the responses table is empty; it needs one row per scored answer")
    kept = list(dict.fromkeys(extra.values()))
    frame = responses[list(names.values()) + kept].copy()
    frame.columns = list(names) + kept
    for role in ("model", "item"):
        missing = frame[role].isna()
        if missing.any():
            raise GapevalError(
                f"column {names[role]!r} is missing in rows {_rows(frame.index[missing])}; "
                f"every answer needs a {role} id"
            )
    _check_directions(frame, direction)
    frame["score"] = _check_range(_numeric_scores(frame, score), score, scores, threshold)
    _check_unique(frame, names)
    return frame
