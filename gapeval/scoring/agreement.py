"""Agreement between two raters (judge vs human, judge vs verifier, judge vs judge).

Points (scores on a scale): Pearson's r and Spearman's ρ. Categories: Cohen's κ (unweighted, or
with linear/quadratic disagreement weights) and Krippendorff's α (:mod:`gapeval.scoring.alpha`).

Every statistic comes with a percentile bootstrap interval that resamples *units* (the rated
items) with replacement, using ``numpy.random.default_rng(seed)``; the seed and the number of
resamples are recorded in the result. Resamples on which a statistic is undefined (a constant
rater) are dropped and counted in ``n_degenerate``. Pairs where either rating is missing
(``None``/NaN) are dropped before computing r, ρ and κ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from gapeval.errors import GapevalError
from gapeval.records.seeds import check_seed
from gapeval.scoring._bootstrap import (
    bootstrap,
    group_sums,
    weighted_midranks,
    weighted_pearson,
)

__all__ = ["Agreement", "cohen_kappa", "pearson", "spearman"]

KappaWeights = Literal["linear", "quadratic"] | None


@dataclass(frozen=True)
class Agreement:
    """One agreement statistic with its bootstrap interval.

    Examples
    --------
    >>> r = pearson([1, 2, 3, 4], [1, 3, 2, 4], n_boot=0)
    >>> r.statistic, r.estimate, r.lower
    ('pearson', 0.8, None)
    """

    statistic: str
    """Name: ``pearson``, ``spearman``, ``cohen_kappa`` or ``krippendorff_alpha``."""
    estimate: float
    """The statistic on the data as given."""
    lower: float | None
    """Lower bound of the percentile bootstrap interval (``None`` without resamples)."""
    upper: float | None
    """Upper bound of the percentile bootstrap interval (``None`` without resamples)."""
    level: float
    """Coverage of the interval, e.g. 0.95."""
    n_units: int
    """Number of units (rated items) used."""
    n_boot: int
    """Number of bootstrap resamples drawn."""
    seed: int
    """Seed of ``numpy.random.default_rng`` used for the resamples."""
    n_degenerate: int = 0
    """Resamples on which the statistic was undefined and which were left out."""
    detail: str = ""
    """Variant of the statistic, e.g. ``weights=quadratic`` or ``level=nominal``."""


def check_bootstrap_options(n_boot: int, level: float, seed: Any = 0) -> None:
    """Raise :class:`GapevalError` unless ``n_boot >= 0``, ``0 < level < 1`` and ``seed`` is a seed."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise GapevalError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    check_seed(seed)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0.0 < level < 1.0:
        raise GapevalError(f"level must lie strictly between 0 and 1, got {level!r}; e.g. 0.95")


def _as_list(ratings: Sequence[Any]) -> list[Any]:
    """Ratings as a list of Python scalars (numpy and pandas scalars unboxed)."""
    return ratings.tolist() if hasattr(ratings, "tolist") else list(ratings)


def _paired(a: Sequence[Any], b: Sequence[Any], *, numeric: bool) -> tuple[np.ndarray, np.ndarray]:
    left, right = (pd.Series(_as_list(r), dtype=object) for r in (a, b))
    if len(left) != len(right):
        raise GapevalError(
            f"the two raters have different lengths ({len(left)} and {len(right)}); "
            "pass one rating per unit for each"
        )
    keep = ~(left.isna() | right.isna())
    left, right = left[keep], right[keep]
    if numeric:
        converted = []
        for name, series in (("a", left), ("b", right)):
            values = pd.to_numeric(series, errors="coerce")
            bad = series[values.isna() | series.map(lambda v: isinstance(v, complex))]
            if len(bad):
                raise GapevalError(
                    f"rater {name} has non-numeric values {sorted(set(map(str, bad)))[:5]} at "
                    f"positions {list(bad.index[:5])}; map them to numbers or drop them"
                )
            converted.append(values.to_numpy(dtype=float))
        left_arr, right_arr = converted
    else:
        left_arr, right_arr = left.to_numpy(), right.to_numpy()
    if len(left_arr) < 2:
        raise GapevalError(
            f"need at least 2 units rated by both raters, got {len(left_arr)}; add ratings"
        )
    return left_arr, right_arr


def _correlation(
    name: str, a: Sequence[Any], b: Sequence[Any], n_boot: int, level: float, seed: int
) -> Agreement:
    check_bootstrap_options(n_boot, level, seed)
    x, y = _paired(a, b, numeric=True)
    for label, values in (("a", x), ("b", y)):
        if np.all(values == values[0]):
            raise GapevalError(
                f"rater {label} gives every unit the same value {float(values[0])!r}, so {name} "
                "is undefined; use a categorical statistic or more varied units"
            )
    if name == "pearson":

        def statistic(w: np.ndarray) -> np.ndarray:
            return weighted_pearson(x[None, :], y[None, :], w)

    else:

        def statistic(w: np.ndarray) -> np.ndarray:
            return weighted_pearson(weighted_midranks(x, w), weighted_midranks(y, w), w)

    estimate, lower, upper, degenerate = bootstrap(
        statistic, x.size, n_boot=n_boot, level=level, seed=seed
    )
    return Agreement(name, estimate, lower, upper, level, int(x.size), n_boot, seed, degenerate)


def pearson(
    a: Sequence[Any], b: Sequence[Any], *, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> Agreement:
    """Pearson's correlation of two raters' scores, with a unit-bootstrap interval.

    Parameters
    ----------
    a, b
        Scores of the two raters on the same units, in the same order; ``None``/NaN pairs are
        dropped.
    n_boot
        Number of bootstrap resamples (0: no interval).
    level
        Interval coverage.
    seed
        Seed of the resampling generator.

    Raises
    ------
    GapevalError
        On unequal lengths, non-numeric scores, fewer than 2 complete pairs or a constant rater.

    Examples
    --------
    >>> round(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5], n_boot=0).estimate, 4)
    0.7746
    """
    return _correlation("pearson", a, b, n_boot, level, seed)


def spearman(
    a: Sequence[Any], b: Sequence[Any], *, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> Agreement:
    """Spearman's rank correlation (mid-ranks for ties), with a unit-bootstrap interval.

    Parameters and errors as :func:`pearson`.

    Examples
    --------
    >>> spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7], n_boot=0).estimate
    0.8207826816681233
    """
    return _correlation("spearman", a, b, n_boot, level, seed)


def _categories(values: np.ndarray, given: Sequence[Any] | None, weighted: bool) -> list[Any]:
    present = list(dict.fromkeys(values.tolist()))
    if given is not None:
        order = list(given)
        unknown = [v for v in present if v not in order]
        if unknown:
            raise GapevalError(
                f"ratings {unknown[:5]} are not among categories {order}; add them to categories"
            )
        return order
    try:
        return sorted(present)
    except TypeError:
        if weighted:
            raise GapevalError(
                f"categories {present[:5]} cannot be ordered; pass categories=[...] in order"
            ) from None
        return sorted(present, key=repr)


def _disagreement(size: int, weights: KappaWeights) -> np.ndarray:
    i, j = np.indices((size, size))
    if weights is None:
        return (i != j).astype(float)
    if weights == "linear":
        return np.abs(i - j).astype(float)
    return ((i - j) ** 2).astype(float)


def cohen_kappa(
    a: Sequence[Any],
    b: Sequence[Any],
    *,
    weights: KappaWeights = None,
    categories: Sequence[Any] | None = None,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Agreement:
    """Cohen's κ between two raters' categories, with a unit-bootstrap interval.

    κ = 1 − Σ v_ij o_ij / Σ v_ij e_ij, where o is the observed table of proportions, e the
    product of its margins, and v the disagreement weights: 1 off the diagonal (unweighted, which
    equals (p_o − p_e)/(1 − p_e)), |i − j| (``"linear"``) or (i − j)² (``"quadratic"``) with i, j
    the positions of the categories in their order.

    Parameters
    ----------
    a, b
        Categories given by the two raters to the same units; ``None``/NaN pairs are dropped.
    weights
        ``None``, ``"linear"`` or ``"quadratic"``.
    categories
        The categories in order (required for weighted κ on labels that cannot be sorted);
        default: the sorted labels seen.
    n_boot, level, seed
        As in :func:`pearson`.

    Raises
    ------
    GapevalError
        On unequal lengths, an unknown ``weights``, ratings outside ``categories``, or when κ is
        undefined (both raters use one and the same category throughout).

    Examples
    --------
    >>> a = ["yes"] * 25 + ["no"] * 25
    >>> b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    >>> round(cohen_kappa(a, b, n_boot=0).estimate, 10)
    0.4
    """
    if weights not in (None, "linear", "quadratic"):
        raise GapevalError(f"unknown kappa weights {weights!r}; use None, 'linear' or 'quadratic'")
    check_bootstrap_options(n_boot, level, seed)
    x, y = _paired(a, b, numeric=False)
    order = _categories(np.concatenate([x, y]), categories, weights is not None)
    index = {value: position for position, value in enumerate(order)}
    size = len(order)
    if size > 200:
        raise GapevalError(
            f"{size} distinct categories is too many for Cohen's kappa (at most 200); "
            "use a correlation or bin the ratings"
        )
    cells = np.array([index[u] * size + index[v] for u, v in zip(x, y, strict=True)])
    penalty = _disagreement(size, weights)

    def statistic(w: np.ndarray) -> np.ndarray:
        table = group_sums(w, cells, size * size).reshape(-1, size, size)
        total = table.sum(axis=(1, 2))
        rows, columns = table.sum(axis=2), table.sum(axis=1)
        expected = rows[:, :, None] * columns[:, None, :] / total[:, None, None]
        observed = (penalty * table).sum(axis=(1, 2))
        chance = (penalty * expected).sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(chance > 0, 1.0 - observed / chance, np.nan)

    estimate, lower, upper, degenerate = bootstrap(
        statistic, x.size, n_boot=n_boot, level=level, seed=seed
    )
    if not np.isfinite(estimate):
        raise GapevalError(
            f"Cohen's kappa is undefined: both raters give every unit the category {x[0]!r}; "
            "report raw agreement instead"
        )
    detail = f"weights={weights or 'none'}"
    return Agreement(
        "cohen_kappa", estimate, lower, upper, level, int(x.size), n_boot, seed, degenerate, detail
    )
