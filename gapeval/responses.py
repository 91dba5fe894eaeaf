"""The long responses table: its column names, the direction vocabulary, the ability slots, the one
validator and the sign of the gap.

The long responses table (``docs/design.md``, "The long responses table") has one row per scored
answer. It is what a run's store exports, what :func:`gapeval.gap_score`, the decay models and the
protocol analyses take, and what other benchmarks hand us. This module owns it:

* the canonical column names (:data:`MODEL`, :data:`ITEM`, ... and :data:`TABLE_COLUMNS`, the
  order a store exports them in);
* the direction vocabulary :data:`DIRECTIONS` and the two ability slots: slot
  :data:`UNDERSTANDING_SLOT` (0) holds understanding, slot :data:`GENERATION_SLOT` (1) generation,
  everywhere an array has a direction axis;
* the sign of the gap: :func:`form_gap` is the one place where theta_U - theta_G is formed, and
  :func:`direction_contrast` the one place any understanding-vs-generation difference is
  (always understanding minus generation, so a positive value means understanding is ahead);
* :class:`Columns`, which of the caller's columns plays which role, and
  :func:`standardize_responses`, the validator every consumer calls: it checks the table once and
  returns a new frame under the canonical names. The caller's frame is never modified.

Importing this module is light (NumPy and pandas are imported by the functions that use them), so
the store, the bank and the command line can take the vocabulary from here.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Literal

from gapeval.errors import GapevalError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "MODEL", "ITEM", "PAIR", "DIRECTION", "SCORE", "CATEGORY", "SUBTASK", "SESSION", "TURN", "SAMPLE",
    "CONTEXT_TOKENS", "STATUS", "PROTOCOL", "STEP", "CHANCE", "JUDGE", "TABLE_COLUMNS", "UNDERSTANDING", "GENERATION",
    "DIRECTIONS", "UNDERSTANDING_SLOT", "GENERATION_SLOT", "GAP_DEFINITION", "REQUIRED_COLUMNS", "ScoreKind",
    "Columns", "direction_slots", "form_gap", "direction_contrast", "require_columns", "require_ids",
    "standardize_responses",
]

# ---------------------------------------------------------------------------------------- columns
MODEL = "model"
"""The respondent: a model id."""
ITEM = "item"
"""Item id, unique within the bank."""
PAIR = "pair"
"""Id of the question an item's understanding and generation forms share (may be missing)."""
DIRECTION = "direction"
"""``understanding`` (the answer is text) or ``generation`` (the answer is an image)."""
SCORE = "score"
"""0/1, a fraction in [0, 1], or an integer category 0..K."""
CATEGORY = "category"
SUBTASK = "subtask"
SESSION = "session"
"""Dialogue id (missing for standalone items)."""
TURN = "turn"
"""1-based turn index within a dialogue (missing for standalone items)."""
SAMPLE = "sample"
"""Repeat index when an item is answered several times."""
CONTEXT_TOKENS = "context_tokens"
STATUS = "status"
PROTOCOL = "protocol"
STEP = "step"
CHANCE = "chance"
"""Probability of a right answer by guessing (1/number of options for multiple choice; missing or 0 for
free answers). Constant per item."""
JUDGE = "judge"
"""Id of the judge model whose 0/1 label the row's score is (one row per judge label; missing for an answer
scored by a rule or a person)."""

#: Columns every long table has; the others are optional.
REQUIRED_COLUMNS: tuple[str, ...] = (MODEL, ITEM, DIRECTION, SCORE)
#: Columns of the table a store exports, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    MODEL, ITEM, PAIR, DIRECTION, SCORE, CATEGORY, SUBTASK, SESSION, TURN, SAMPLE, CONTEXT_TOKENS, STATUS,
    PROTOCOL, STEP,
)

# ----------------------------------------------------------------------- directions and the gap
UNDERSTANDING = "understanding"
GENERATION = "generation"
#: The two values of the direction column, in slot order: ``DIRECTIONS[slot]``.
DIRECTIONS: tuple[str, str] = (UNDERSTANDING, GENERATION)
#: Index of understanding on every direction axis (abilities, counts, per-direction arrays).
UNDERSTANDING_SLOT = 0
#: Index of generation on every direction axis.
GENERATION_SLOT = 1
#: What the gap is, in words; written on outputs that report it.
GAP_DEFINITION = "theta_U - theta_G (understanding minus generation; positive: understanding is ahead)"


def direction_slots(values) -> np.ndarray:
    """The ability slot (0 understanding, 1 generation) of each direction label.

    Raises
    ------
    GapevalError
        A label is not one of :data:`DIRECTIONS`.

    Examples
    --------
    >>> direction_slots(["generation", "understanding"]).tolist()
    [1, 0]
    """
    import numpy as np
    import pandas as pd

    labels = pd.Series(np.asarray(values, dtype=object))
    bad = ~labels.isin(DIRECTIONS)
    if bad.any():
        shown = sorted({repr(v) for v in labels[bad]})[:_SHOW]
        raise GapevalError(f"direction values {', '.join(shown)} are not one of {list(DIRECTIONS)}")
    return (labels == GENERATION).to_numpy().astype(np.int64)


def direction_contrast(understanding, generation):
    """Understanding minus generation: the one sign of every direction difference.

    Works on scalars, NumPy arrays (draws) and pandas objects alike.

    Examples
    --------
    >>> direction_contrast(1.5, 0.5)
    1.0
    """
    return understanding - generation


def form_gap(theta) -> np.ndarray:
    """The gap theta_U - theta_G from abilities whose last axis is the direction slot.

    Parameters
    ----------
    theta : array_like
        Abilities (..., 2): slot :data:`UNDERSTANDING_SLOT` then :data:`GENERATION_SLOT`.

    Examples
    --------
    >>> form_gap([[1.0, 0.25], [0.0, 0.5]]).tolist()
    [0.75, -0.5]
    """
    import numpy as np

    theta = np.asarray(theta)
    if theta.shape[-1:] != (2,):
        raise ValueError(f"abilities need a last axis of length 2 (understanding, generation), got shape {theta.shape}")
    return direction_contrast(theta[..., UNDERSTANDING_SLOT], theta[..., GENERATION_SLOT])


# ------------------------------------------------------------------------------------- columns
#: What the score column must hold: ``"binary"`` 0/1, ``"unit"`` any value in [0, 1],
#: ``"graded"`` non-negative integer categories 0..K, ``"real"`` any finite number (e.g. a continuous
#: judge rating a decay model takes as it is).
ScoreKind = Literal["binary", "unit", "graded", "real"]
_SCORE_KINDS: tuple[str, ...] = ("binary", "unit", "graded", "real")

_SHOW = 5  # how many offending values / rows an error message lists


@dataclass(frozen=True)
class Columns:
    """Which of the caller's columns plays which role in the long table.

    Each attribute is the caller's column name for that role (the canonical name by default); None
    means the table has no such column (or it is to be ignored). The validator renames the
    columns to the canonical names (the attribute names), so code after it never sees the
    caller's names.

    Attributes
    ----------
    model, direction, score : hashable
        Respondent, direction and score: always required.
    item : hashable or None
        Item id: required by every analysis that models items (None only where items play no part,
        e.g. the mixed-effects decay model).
    pair : hashable or None
        Pair id (may hold missing values for unpaired items).
    session, turn : hashable or None
        Dialogue id and 1-based turn (missing for standalone items).
    protocol, step : hashable or None
        Evaluation protocol label and protocol step.
    chance, judge : hashable or None
        Chance level of an item (multiple choice), and the judge whose label a row is.

    Examples
    --------
    >>> Columns(model="who").roles()
    {'model': 'who', 'item': 'item', 'direction': 'direction', 'score': 'score'}
    """

    model: Hashable = MODEL
    item: Hashable | None = ITEM
    direction: Hashable = DIRECTION
    score: Hashable = SCORE
    pair: Hashable | None = None
    session: Hashable | None = None
    turn: Hashable | None = None
    protocol: Hashable | None = None
    step: Hashable | None = None
    chance: Hashable | None = None
    judge: Hashable | None = None

    def roles(self) -> dict[str, Hashable]:
        """Role -> the caller's column name, for the roles in use (required roles first)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def _rows(index: pd.Index) -> list:
    """The first few row labels of ``index``, for error messages."""
    return index[:_SHOW].tolist()


def _values(values: pd.Series) -> list:
    """The first few distinct values of ``values`` as plain Python numbers, for error messages."""
    return sorted(values.unique().tolist())[:_SHOW]


def require_columns(frame: pd.DataFrame, roles: Mapping[str, Hashable], *, table: str = "responses table",
                    error: type[GapevalError] = GapevalError) -> None:
    """Raise unless every column of ``roles`` (role -> the caller's column name) is in ``frame``.

    The message names the column, its role, the columns the frame has and the keyword that renames it.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"who": [1]}), {"model": "model"})
    Traceback (most recent call last):
    ...
    gapeval.errors.GapevalError: column 'model' (the model column) is not in the responses table; it has columns ['who']; pass model='<name>' to use another column
    """
    for role, column in roles.items():
        if column not in frame.columns:
            raise error(
                f"column {column!r} (the {role} column) is not in the {table}; it has "
                f"columns {list(frame.columns)}; pass {role}='<name>' to use another column"
            )


def require_ids(frame: pd.DataFrame, roles: Mapping[str, Hashable], *,
                error: type[GapevalError] = GapevalError) -> None:
    """Raise if an id column of ``roles`` (role -> column of ``frame``) has a missing value, naming the rows."""
    for role, column in roles.items():
        refuse_containers(frame[column], column, error=error)
        missing = frame[column].isna()
        if missing.any():
            raise error(
                f"column {column!r} is missing in rows {_rows(frame.index[missing])}; "
                f"every answer needs a {role} id"
            )


def refuse_containers(values: pd.Series, column: Hashable, *, error: type[GapevalError] = GapevalError) -> None:
    """Raise if a column holds dicts, lists, sets or complex numbers (ids and scores are labels and reals).

    Examples
    --------
    >>> import pandas as pd
    >>> refuse_containers(pd.Series(["m1", {"a": 1}]), "model")
    Traceback (most recent call last):
    ...
    gapeval.errors.GapevalError: column 'model' holds dict values in rows [1]; ids are strings or numbers and scores real numbers: convert or drop those rows
    """
    import pandas as pd

    if pd.api.types.is_complex_dtype(values.dtype):
        odd = pd.Series(True, index=values.index)
    elif values.dtype == object:
        odd = values.map(lambda v: isinstance(v, dict | list | set | tuple | bytearray | complex))
    else:
        return
    if odd.any():
        kinds = sorted({type(v).__name__ for v in values[odd]})
        raise error(
            f"column {column!r} holds {'/'.join(kinds)} values in rows {_rows(values.index[odd])}; ids are "
            "strings or numbers and scores real numbers: convert or drop those rows"
        )


def _check_directions(frame: pd.DataFrame, column: Hashable, error: type[GapevalError]) -> None:
    refuse_containers(frame[DIRECTION], column, error=error)
    values = frame[DIRECTION]
    bad = ~values.isin(DIRECTIONS)
    if bad.any():
        shown = sorted({repr(v) for v in values[bad]})[:_SHOW]
        raise error(
            f"column {column!r} has values {', '.join(shown)} in rows {_rows(frame.index[bad])}; "
            f"the direction must be one of {list(DIRECTIONS)}; rename or drop those rows"
        )


def _numeric_scores(frame: pd.DataFrame, column: Hashable, error: type[GapevalError]) -> pd.Series:
    import numpy as np
    import pandas as pd

    raw = frame[SCORE]
    refuse_containers(raw, column, error=error)
    values = pd.to_numeric(raw, errors="coerce")
    non_numeric = values.isna() & raw.notna()
    if non_numeric.any():
        shown = [repr(v) for v in raw[non_numeric].unique()[:_SHOW]]
        raise error(
            f"column {column!r} has non-numeric values [{', '.join(shown)}] in rows "
            f"{_rows(frame.index[non_numeric])}; map them to numbers or drop them"
        )
    missing = values.isna()
    if missing.any():
        raise error(
            f"column {column!r} is missing in rows {_rows(frame.index[missing])}; a missing answer "
            "is an absent row, never an empty score: drop those rows (or score them 0 if you mean "
            "to count them as wrong)"
        )
    values = values.astype(float)
    infinite = ~np.isfinite(values.to_numpy())
    if infinite.any():
        raise error(
            f"column {column!r} has infinite values in rows {_rows(frame.index[infinite])}; "
            "scores must be finite"
        )
    return values


def _check_range(values: pd.Series, column: Hashable, scores: ScoreKind, threshold,
                 error: type[GapevalError]) -> pd.Series:
    import numpy as np

    if scores == "real" and threshold is None:
        return values
    if scores == "graded" and threshold is None:
        bad = (values < 0) | (values != np.floor(values))
        if bad.any():
            raise error(
                f"column {column!r} has values {_values(values[bad])} in rows "
                f"{_rows(values.index[bad])}; graded scores must be integer categories 0..K"
            )
        return values.astype(int)
    outside = (values < 0) | (values > 1)
    if outside.any():
        raise error(
            f"column {column!r} has values {_values(values[outside])} outside "
            f"[0, 1] in rows {_rows(values.index[outside])}; rescale the scores to [0, 1] "
            "(e.g. divide judge points by their maximum)"
        )
    if threshold is not None:
        return (values >= threshold).astype(int)
    if scores == "binary":
        fractional = (values != 0) & (values != 1)
        if fractional.any():
            raise error(
                f"column {column!r} has fractional values {_values(values[fractional])}"
                f" in rows {_rows(values.index[fractional])}; binary scores (0/1) are needed: pass "
                "threshold=t to count a score >= t as right"
            )
        return values.astype(int)
    return values


def _check_chance(frame: pd.DataFrame, column: Hashable, error: type[GapevalError]) -> pd.Series:
    """Chance levels as floats in [0, 1), a missing value meaning 0 (a free answer)."""
    import pandas as pd

    raw = frame[CHANCE]
    values = pd.to_numeric(raw, errors="coerce")
    bad = (values.isna() & raw.notna()) | (values < 0) | (values >= 1)
    if bad.any():
        shown = [repr(v.item() if hasattr(v, "item") else v) for v in raw[bad].unique()[:_SHOW]]
        raise error(f"column {column!r} (chance) has values [{', '.join(shown)}] in rows {_rows(frame.index[bad])}; "
                    "a chance level is the probability of a right guess, in [0, 1) (1/number of options for "
                    "multiple choice, empty or 0 for a free answer)")
    return values.fillna(0.0).astype(float)


def _check_turns(frame: pd.DataFrame, column: Hashable, error: type[GapevalError]) -> pd.Series:
    """Turns as floats (NaN for standalone items); 1-based numbers."""
    import pandas as pd

    raw = frame[TURN]
    turns = pd.to_numeric(raw, errors="coerce")
    bad = turns.isna() & raw.notna()
    if bad.any():
        shown = [repr(v) for v in raw[bad].unique()[:_SHOW]]
        raise error(f"column {column!r} (turn) has non-numeric values [{', '.join(shown)}] in rows "
                    f"{_rows(frame.index[bad])}; turns are 1-based numbers (empty for standalone items)")
    low = turns < 1
    if low.any():
        raise error(f"column {column!r} (turn) has values {_values(turns[low])} below 1 in rows "
                    f"{_rows(frame.index[low])}; turns are 1-based (the first turn is 1)")
    return turns.astype(float)


def _check_item_constants(frame: pd.DataFrame, names: Mapping[str, Hashable], error: type[GapevalError]) -> None:
    """An item's direction, pair and chance level are the same in every row."""
    for column in (DIRECTION, PAIR, CHANCE):
        if column not in frame.columns:
            continue
        counts = frame.groupby(ITEM, sort=False, dropna=False)[column].nunique(dropna=False)
        clash = counts[counts > 1]
        if len(clash):
            item = clash.index[0]
            seen = sorted(map(repr, frame.loc[frame[ITEM] == item, column].unique()))
            raise error(
                f"item {item!r} has {len(seen)} different values in column {names[column]!r} "
                f"({', '.join(seen)}); an item's {column} must be the same in every row"
            )


def _check_unique(frame: pd.DataFrame, names: Mapping[str, Hashable], error: type[GapevalError]) -> None:
    """One answer per (model, item); with a judge column, one label per (model, item, judge)."""
    if JUDGE in frame.columns:
        dup = frame.duplicated([MODEL, ITEM, JUDGE], keep=False)
        if dup.any():
            first = frame[dup].iloc[0]
            raise error(
                f"{int(dup.sum())} rows repeat a ({names[MODEL]!r}, {names[ITEM]!r}, {names[JUDGE]!r}) triple, e.g. "
                f"{(first[MODEL], first[ITEM], first[JUDGE])!r}; keep one label per model, item and judge")
        return
    dup = frame.duplicated([MODEL, ITEM], keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        key = (first[MODEL], first[ITEM])
        rows = frame.index[dup & (frame[MODEL] == key[0]) & (frame[ITEM] == key[1])]
        raise error(
            f"{int(dup.sum())} rows repeat a ({names[MODEL]!r}, {names[ITEM]!r}) pair, e.g. "
            f"{key!r} in rows {_rows(rows)}; keep one answer per model and item (aggregate "
            "repeated samples first)"
        )


def standardize_responses(
    responses: pd.DataFrame,
    *,
    model: Hashable = MODEL,
    item: Hashable | None = ITEM,
    direction: Hashable = DIRECTION,
    score: Hashable = SCORE,
    pair: Hashable | None = None,
    session: Hashable | None = None,
    turn: Hashable | None = None,
    chance: Hashable | None = None,
    judge: Hashable | None = None,
    extra: Mapping[str, Hashable] | None = None,
    scores: ScoreKind = "unit",
    threshold: float | None = None,
    unique: bool = True,
    error: type[GapevalError] = GapevalError,
) -> pd.DataFrame:
    """Check a long responses table and return a copy with canonical column names.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per scored answer. Not modified.
    model, item, direction, score : hashable
        Names of the respondent, item id, direction and score columns in ``responses``. ``item=None``
        only where items play no part (then answers need not be unique per item).
    pair : hashable or None
        Name of the pair column (id of the question an item's two forms share; may hold missing
        values), or None to ignore pairs.
    session, turn : hashable or None
        Names of the dialogue and turn columns (missing for standalone items), or None to ignore
        them. Turns must be numbers >= 1.
    chance : hashable or None
        Name of the chance-level column (probability of a right guess per item, in [0, 1); a missing
        value is 0), or None to ignore it. Must be the same in every row of an item.
    judge : hashable or None
        Name of the judge column: a row with a judge id is that judge's 0/1 label of the answer (several
        judges may label one answer, one row each); a missing id marks a score given by a rule or a
        person. Answers are then unique per (model, item, judge).
    extra : mapping of str to hashable, optional
        Further columns to keep under their own names, keyed by the keyword that named them (e.g.
        ``{"by": "category"}``), so that a missing column's error says which keyword to change.
    scores : {"unit", "binary", "graded", "real"}
        What the score column must hold: any value in [0, 1], 0/1 only, integer categories 0..K, or
        any finite number.
    threshold : float, optional
        If given, scores must lie in [0, 1] and become 1 where ``score >= threshold``, else 0.
        Fractional scores are only ever thresholded when the caller asks for it.
    unique : bool
        Refuse a (model, item) pair that occurs twice (True for the Gap Score; False where a
        model answers an item several times, e.g. in several dialogues).
    error : type
        The :class:`~gapeval.errors.GapevalError` subclass raised (e.g. ``DecayError``).

    Returns
    -------
    pandas.DataFrame
        A new frame with columns ``model, item, direction, score`` (then ``pair``, ``session``,
        ``turn``, ``chance``, ``judge`` when asked for, then ``extra``), the caller's row index,
        ``score`` as ``int`` for binary or graded scores and ``float`` otherwise, and ``turn`` as float (NaN outside
        dialogues).

    Raises
    ------
    GapevalError
        (or ``error``) If ``responses`` is not a DataFrame or is empty; a named column is missing
        (the message lists the columns that exist); a model or item id is missing; a direction is
        not ``understanding``/``generation``; a score is non-numeric, missing, infinite, or out of
        range for ``scores``; a turn is not a number >= 1; a (model, item) pair occurs twice (with
        ``unique``); or an item has different directions or pairs in different rows.

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
    import pandas as pd

    if not isinstance(responses, pd.DataFrame):
        raise error(f"responses must be a pandas DataFrame (the long table), got {type(responses).__name__}")
    if scores not in _SCORE_KINDS:
        raise error(f"scores={scores!r} is not one of {list(_SCORE_KINDS)}")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int | float)
                                  or not 0 < threshold <= 1):
        raise error(f"threshold={threshold!r} must lie in (0, 1]")
    names = Columns(model=model, item=item, direction=direction, score=score, pair=pair, session=session,
                    turn=turn, chance=chance, judge=judge).roles()
    extra = dict(extra or {})
    require_columns(responses, names, error=error)
    require_columns(responses, extra, error=error)
    clash = set(extra.values()) & set(names)
    if clash:
        raise error(
            f"extra columns {sorted(map(repr, clash))} collide with the canonical names "
            f"{list(names)}; rename them in your table first"
        )
    if len(responses) == 0:
        raise error("the responses table is empty; it needs one row per scored answer")
    kept = list(dict.fromkeys(extra.values()))
    frame = responses[list(names.values()) + kept].copy()
    frame.columns = list(names) + kept
    require_ids(responses, {role: names[role] for role in (MODEL, ITEM) if role in names}, error=error)
    for role in (PAIR, SESSION):
        if role in names:
            refuse_containers(frame[role], names[role], error=error)
    _check_directions(frame, direction, error)
    frame[SCORE] = _check_range(_numeric_scores(frame, score, error), score, scores, threshold, error)
    if turn is not None:
        frame[TURN] = _check_turns(frame, turn, error)
    if chance is not None:
        frame[CHANCE] = _check_chance(frame, chance, error)
    if ITEM in names:
        if unique:
            _check_unique(frame, names, error)
        _check_item_constants(frame, names, error)
    return frame
