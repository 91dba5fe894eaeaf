"""Pairwise comparison of the gaps of the models in one fit."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from gapeval.errors import GapevalError
from gapeval.gap.result import GapResult
from irt.results import summarise_draws

__all__ = ["gap_compare"]


def gap_compare(result: GapResult | pd.DataFrame, *, level: float | None = None) -> pd.DataFrame:
    """Posterior of gap_m - gap_m' and P(gap_m > gap_m') for every pair of models.

    The draws of all models come from one joint fit, so the comparison carries the shared
    uncertainty of the item parameters (it is not a comparison of two independent intervals).
    On the paired scale a difference of gaps does not depend on the scale's convention (that the
    average paired generation form is as hard as the average understanding form, or the
    ``difficulty_offset`` given): a shift of every generation difficulty moves every gap alike
    (``attrs["estimand"]`` says so).

    Parameters
    ----------
    result : GapResult or pandas.DataFrame
        A :class:`~gapeval.gap.result.GapResult`, or the table returned by
        :func:`~gapeval.gap.score.gap_score` (its ``attrs["result"]`` is used).
    level : float, optional
        Interval level; defaults to the level of the fit.

    Returns
    -------
    pandas.DataFrame
        One row per unordered pair (m, m') in the fit's model order: ``model``, ``other``,
        ``difference`` (posterior mean of gap_m - gap_m'), ``difference_sd``, ``difference_lower``,
        ``difference_upper``, ``p_greater`` (= P(gap_m > gap_m')). Models whose gap is NaN (one
        direction only) are left out. ``attrs`` records ``level``, ``scale``, ``inference`` and
        ``estimand``.

    Raises
    ------
    GapevalError
        If ``result`` is neither (e.g. a legacy table, which has no posterior) or the level is bad.

    Examples
    --------
    >>> from gapeval.gap.score import gap_score
    >>> from gapeval.gap.simulate import simulate_gap_responses
    >>> df, _ = simulate_gap_responses(3, 30, seed=0)
    >>> table = gap_compare(gap_score(df, inference="svi", num_steps=300))
    >>> table[["model", "other"]].values.tolist()
    [['m00', 'm01'], ['m00', 'm02'], ['m01', 'm02']]
    """
    if isinstance(result, pd.DataFrame):
        result = result.attrs.get("result")
    if not isinstance(result, GapResult):
        raise GapevalError(
            "gap_compare needs the table returned by gap_score(method='mirt') or its attrs['result']; "
            "the legacy method has no posterior to compare")
    level = result.level if level is None else level
    if not 0 < level < 1:
        raise GapevalError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    draws = result.gap_draws
    ids = result.data.model_ids
    keep = [k for k in range(len(ids)) if not np.isnan(draws[..., k]).any()]
    rows = []
    for i, j in combinations(keep, 2):
        diff = draws[..., i] - draws[..., j]
        stats = summarise_draws(diff, level)
        rows.append({"model": ids[i], "other": ids[j], "difference": float(stats["estimate"]),
                     "difference_sd": float(stats["sd"]), "difference_lower": float(stats["lower"]),
                     "difference_upper": float(stats["upper"]), "p_greater": float((diff > 0).mean())})
    columns = ["model", "other", "difference", "difference_sd", "difference_lower", "difference_upper", "p_greater"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.attrs.update(level=level, scale=result.scale, inference=result.inference,
                       estimand="gap_m - gap_m' (theta_U - theta_G of two models); it does not depend on the "
                                "difficulty offset of the directions, which moves every gap alike")
    return frame
