"""Unit-resampling bootstrap shared by the agreement statistics (private helpers).

Every statistic is written as a function of a weight matrix ``w`` of shape (resamples, units):
row ``b`` holds how many times each unit was drawn in resample ``b``. The point estimate is the
same function at ``w = 1``, so estimate and bootstrap can never disagree about the formula.
Resamples are multinomial draws of ``n`` units with equal probabilities from
``numpy.random.default_rng(seed)``, generated in fixed-size blocks so that results depend only on
``seed`` and ``n_boot``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

WeightedStatistic = Callable[[np.ndarray], np.ndarray]

_BLOCK = 256


def bootstrap(
    statistic: WeightedStatistic,
    num_units: int,
    *,
    n_boot: int,
    level: float,
    seed: int,
) -> tuple[float, float | None, float | None, int]:
    """Return ``(estimate, lower, upper, n_degenerate)`` with a percentile interval.

    ``n_degenerate`` counts resamples where the statistic is undefined (NaN); they are left out of
    the percentiles. ``lower``/``upper`` are ``None`` when ``n_boot`` is 0 or no resample is
    defined.
    """
    estimate = float(statistic(np.ones((1, num_units)))[0])
    if n_boot == 0:
        return estimate, None, None, 0
    rng = np.random.default_rng(seed)
    probabilities = np.full(num_units, 1.0 / num_units)
    draws = []
    for start in range(0, n_boot, _BLOCK):
        size = min(_BLOCK, n_boot - start)
        weights = rng.multinomial(num_units, probabilities, size=size).astype(float)
        draws.append(np.asarray(statistic(weights), dtype=float))
    values = np.concatenate(draws)
    finite = values[np.isfinite(values)]
    n_degenerate = int(values.size - finite.size)
    if finite.size == 0:
        return estimate, None, None, n_degenerate
    lower, upper = np.quantile(finite, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return estimate, float(lower), float(upper), n_degenerate


def group_sums(weights: np.ndarray, groups: np.ndarray, num_groups: int) -> np.ndarray:
    """Sum the columns of ``weights`` (resamples × units) by the integer group of each unit."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    out = np.zeros((weights.shape[0], num_groups))
    out[:, sorted_groups[starts]] = np.add.reduceat(weights[:, order], starts, axis=1)
    return out


def is_constant(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """For each resample, whether every drawn unit has the same value (``values`` n or B × n)."""
    drawn = weights > 0
    low = np.where(drawn, values, np.inf).min(axis=1)
    high = np.where(drawn, values, -np.inf).max(axis=1)
    return low == high


def weighted_pearson(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pearson correlation per resample; NaN where either variable is constant."""
    total = weights.sum(axis=1, keepdims=True)
    dx = x - (weights * x).sum(axis=1, keepdims=True) / total
    dy = y - (weights * y).sum(axis=1, keepdims=True) / total
    sxy = (weights * dx * dy).sum(axis=1)
    sxx = (weights * dx * dx).sum(axis=1)
    syy = (weights * dy * dy).sum(axis=1)
    degenerate = is_constant(x, weights) | is_constant(y, weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.clip(sxy / np.sqrt(sxx * syy), -1.0, 1.0)
    return np.where(degenerate, np.nan, r)


def weighted_midranks(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mid-ranks of ``x`` (n,) within each resample, ties sharing the mean rank (B × n)."""
    unique, inverse = np.unique(x, return_inverse=True)
    counts = group_sums(weights, inverse, unique.size)
    through = np.cumsum(counts, axis=1)
    midrank = through - counts + (counts + 1.0) / 2.0
    return midrank[:, inverse]
