"""Joint tables of understanding and generation success on paired items.

Each question of a bidirectional bank exists in two forms, one answered as text (understanding) and
one as an image (generation), linked by the ``pair`` column. For a model and a group of pairs (by
default a category), the joint table counts the pairs answered in both forms:

========  ===========================================
``p11``   both forms right
``p10``   understanding right, generation wrong
``p01``   understanding wrong, generation right
``p00``   both wrong
========  ===========================================

and reports *cross-modal consistency*, P(both right | at least one right) = n11 / (n11 + n10 + n01),
with an equal-tailed Jeffreys interval. These are descriptive proportions; the model-based Gap Score
is :func:`gapeval.gap_score`. The rows ``[p11, p10, p01, p00]`` are the input of the legacy score
(:func:`gapeval.gap.legacy.legacy_gap_score`).
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
from scipy.special import betaincinv

from gapeval.errors import GapevalError
from gapeval.responses import DIRECTIONS, GENERATION, UNDERSTANDING, standardize_responses

__all__ = ["JOINT_COLUMNS", "jeffreys_interval", "joint_table"]

#: Columns of :func:`joint_table` after the model (and ``by``) columns.
JOINT_COLUMNS: tuple[str, ...] = (
    "n_pairs", "p11", "p10", "p01", "p00", "p_understanding", "p_generation",
    "n_incomplete", "n_either", "consistency", "consistency_lower", "consistency_upper",
)


def jeffreys_interval(
    successes: np.ndarray, trials: np.ndarray, *, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed Jeffreys interval for binomial proportions.

    The interval is the ``(1 − level)/2`` and ``(1 + level)/2`` quantiles of
    Beta(x + ½, n − x + ½), the posterior under the Jeffreys prior, with the lower bound set to 0
    when x = 0 and the upper bound to 1 when x = n (Brown, Cai & DasGupta 2001). Where n = 0 both
    bounds are NaN.

    Parameters
    ----------
    successes, trials : array_like of int
        Numbers of successes x and trials n, elementwise.
    level : float
        Coverage level in (0, 1).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds.

    References
    ----------
    Brown, L. D., Cai, T. T., DasGupta, A. (2001). Interval estimation for a binomial proportion.
    Statistical Science 16(2), 101–133.

    Examples
    --------
    >>> lower, upper = jeffreys_interval([3, 0], [10, 5])
    >>> [round(float(v), 4) for v in (*lower, *upper)]
    [0.0927, 0.0, 0.6058, 0.3794]
    """
    if not 0 < level < 1:
        raise GapevalError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    tail = (1 - level) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = betaincinv(x + 0.5, n - x + 0.5, tail)          # the Beta(x + 1/2, n - x + 1/2) quantiles
        upper = betaincinv(x + 0.5, n - x + 0.5, 1 - tail)
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == n, 1.0, upper)
    empty = n == 0
    return np.where(empty, np.nan, lower), np.where(empty, np.nan, upper)


def _check_pairs(frame: pd.DataFrame, pair: Hashable, by: Hashable | None) -> None:
    """A pair links one item per direction, and both forms sit in the same ``by`` group."""
    items = frame.drop_duplicates("item")
    per_direction = items.groupby(["pair", "direction"], sort=False)["item"].agg(list)
    crowded = per_direction[per_direction.map(len) > 1]
    if len(crowded):
        (pair_id, direction), members = crowded.index[0], crowded.iloc[0]
        raise GapevalError(
            f"pair {pair_id!r} (column {pair!r}) has {len(members)} {direction} items "
            f"{members[:5]}; a pair links one understanding form with one generation form: "
            "give the extra items their own pair ids"
        )
    if by is None:
        return
    missing = frame[by].isna()
    if missing.any():
        raise GapevalError(
            f"column {by!r} is missing in rows {list(frame.index[missing][:5])}; fill it in or "
            "drop those rows, or pass by=None for one table per model"
        )
    groups = items.groupby("pair", sort=False)[by].nunique()
    split = groups[groups > 1]
    if len(split):
        pair_id = split.index[0]
        seen = sorted(map(repr, items.loc[items["pair"] == pair_id, by].unique()))
        raise GapevalError(
            f"pair {pair_id!r} has items in different {by!r} groups ({', '.join(seen)}); both "
            "forms of a question must share its category"
        )


def joint_table(
    responses: pd.DataFrame,
    *,
    by: Hashable | None = "category",
    model: Hashable = "model",
    item: Hashable = "item",
    direction: Hashable = "direction",
    score: Hashable = "score",
    pair: Hashable = "pair",
    threshold: float | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Joint proportions p11, p10, p01, p00 per model (and group) from paired items.

    A pair counts for a model when the model answered both of its forms. Items without a pair id,
    and pairs a model answered in one direction only (reported as ``n_incomplete``), do not enter
    the proportions.

    Parameters
    ----------
    responses : pandas.DataFrame
        The long responses table (``docs/design.md`` §4). Not modified.
    by : hashable or None
        Column to group pairs by (default ``"category"``); None gives one row per model.
    model, item, direction, score, pair : hashable
        Names of those columns in ``responses``.
    threshold : float, optional
        Scores must be 0/1 unless this is given; then scores in [0, 1] count as right where
        ``score >= threshold``.
    level : float
        Level of the consistency interval (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per model and group that has at least one complete pair, sorted by model and group,
        with the model column (and the ``by`` column) under the caller's names, then
        ``n_pairs`` (complete pairs), ``p11``, ``p10``, ``p01``, ``p00`` (summing to 1),
        ``p_understanding`` (= p11 + p10), ``p_generation`` (= p11 + p01), ``n_incomplete`` (pairs
        answered in one direction only), ``n_either`` (pairs with at least one form right),
        ``consistency`` (n11 / n_either; NaN when n_either = 0) and its Jeffreys interval
        ``consistency_lower``, ``consistency_upper``. ``attrs`` records ``level``, ``interval``
        (``"jeffreys"``), ``threshold`` and ``by``.

    Raises
    ------
    GapevalError
        For the problems :func:`gapeval.responses.standardize_responses` reports (missing
        columns, bad directions, scores out of range or fractional without ``threshold``,
        duplicate (model, item) rows, empty table); if a pair has two items in one direction or
        its forms lie in different groups; if a ``by`` value is missing; or if no model answered
        both forms of any pair.

    See Also
    --------
    gapeval.gap.legacy.legacy_gap_score_from_responses : the legacy score on these rows.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "model": ["m"] * 4, "pair": ["q1", "q1", "q2", "q2"],
    ...     "item": ["q1u", "q1g", "q2u", "q2g"], "category": ["color"] * 4,
    ...     "direction": ["understanding", "generation"] * 2, "score": [1, 1, 1, 0]})
    >>> table = joint_table(df)
    >>> table[["model", "category", "n_pairs", "p11", "p10", "p01", "p00"]]
      model category  n_pairs  p11  p10  p01  p00
    0     m    color        2  0.5  0.5  0.0  0.0
    >>> round(float(table.loc[0, "consistency"]), 3)
    0.5
    """
    if not 0 < level < 1:
        raise GapevalError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    if pair is None:
        raise GapevalError("joint_table needs the pair column that links an item's two forms")
    extra = {} if by is None else {"by": by}
    frame = standardize_responses(
        responses, model=model, item=item, direction=direction, score=score, pair=pair,
        extra=extra, scores="binary", threshold=threshold,
    )
    frame = frame[frame["pair"].notna()]
    if frame.empty:
        raise GapevalError(f"no row has a {pair!r} value; the joint table needs paired items")
    _check_pairs(frame, pair, by)
    keys = ["model", "pair"] + ([] if by is None else [by])
    wide = frame.pivot_table(
        index=keys, columns="direction", values="score", aggfunc="first", observed=True
    ).reindex(columns=list(DIRECTIONS))
    complete = wide.notna().all(axis=1)
    if not complete.any():
        raise GapevalError(
            "no model answered both forms of any pair; the joint table needs pairs with an "
            "understanding and a generation answer from the same model"
        )
    group = ["model"] + ([] if by is None else [by])
    incomplete = (~complete).groupby(level=group).sum()
    u = wide.loc[complete, UNDERSTANDING].astype(int)
    g = wide.loc[complete, GENERATION].astype(int)
    cells = pd.DataFrame({
        "n11": u & g, "n10": u & (1 - g), "n01": (1 - u) & g, "n00": (1 - u) & (1 - g),
    }).groupby(level=group).sum()
    n = cells.sum(axis=1)
    out = pd.DataFrame(index=cells.index)
    out["n_pairs"] = n.astype(int)
    for cell in ("11", "10", "01", "00"):
        out[f"p{cell}"] = cells[f"n{cell}"] / n
    out["p_understanding"] = out["p11"] + out["p10"]
    out["p_generation"] = out["p11"] + out["p01"]
    out["n_incomplete"] = incomplete.reindex(out.index).astype(int)
    either = (cells["n11"] + cells["n10"] + cells["n01"]).astype(int)
    out["n_either"] = either
    with np.errstate(invalid="ignore", divide="ignore"):
        out["consistency"] = np.where(either > 0, cells["n11"] / either.where(either > 0), np.nan)
    lower, upper = jeffreys_interval(cells["n11"].to_numpy(), either.to_numpy(), level=level)
    out["consistency_lower"], out["consistency_upper"] = lower, upper
    out = out.reset_index().rename(columns={"model": model})
    out.attrs.update(level=level, interval="jeffreys", threshold=threshold, by=by)
    return out
