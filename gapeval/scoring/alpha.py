"""Krippendorff's α for any number of coders, with missing values, and a unit bootstrap.

With the coincidence matrix o (each unit u with m_u ≥ 2 values adds, for every ordered pair of
values from different coders, 1/(m_u − 1) to o_ck), margins n_c and n = Σ n_c:

    α = 1 − (n − 1) · Σ_ck o_ck δ²_ck / Σ_ck n_c n_k δ²_ck

with δ² = [c ≠ k] (nominal), (Σ_{g=c..k} n_g − (n_c + n_k)/2)² over the ordered values
(ordinal), or (c − k)² (interval). Units with fewer than two values are not pairable and are left
out (Krippendorff 2011). The bootstrap resamples pairable units with replacement; this is a
standard unit bootstrap, not Krippendorff's own resampling of coincidences.

References
----------
K. Krippendorff (2011), *Computing Krippendorff's Alpha-Reliability*, University of Pennsylvania.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from gapeval.errors import GapevalError
from gapeval.scoring._bootstrap import WeightedStatistic, bootstrap
from gapeval.scoring.agreement import Agreement, check_bootstrap_options

__all__ = ["coincidence_matrix", "krippendorff_alpha"]

Metric = Literal["nominal", "ordinal", "interval"]

#: Most distinct values accepted by the nominal and ordinal metrics (memory grows as its square).
MAX_CATEGORIES = 200


def _units(reliability_data: Any, metric: str) -> pd.DataFrame:
    frame = pd.DataFrame(reliability_data, dtype=object)
    if frame.ndim != 2 or frame.shape[0] < 2:
        raise GapevalError(
            f"reliability_data must be a coders × units table with at least 2 coders, got shape "
            f"{frame.shape}; put one row per coder and one column per unit"
        )
    frame = frame.where(frame.notna(), None)
    if metric != "nominal":
        numeric = frame.apply(pd.to_numeric, errors="coerce")
        bad = frame.notna() & numeric.isna()
        if bad.to_numpy().any():
            values = sorted({str(v) for v in frame.to_numpy()[bad.to_numpy()]})
            raise GapevalError(
                f"{metric} alpha needs numbers, got {values[:5]}; map them to numbers or use "
                "metric='nominal'"
            )
        frame = numeric
    return frame


def _counts(frame: pd.DataFrame) -> tuple[list[Any], np.ndarray]:
    stacked = frame.T.stack()
    stacked = stacked[stacked.notna()]
    try:
        categories = sorted(set(stacked.tolist()))
    except TypeError:
        categories = sorted(set(stacked.tolist()), key=repr)
    index = {value: k for k, value in enumerate(categories)}
    counts = np.zeros((frame.shape[1], len(categories)))
    unit_codes = frame.columns.get_indexer(stacked.index.get_level_values(0))
    np.add.at(counts, (unit_codes, [index[v] for v in stacked.tolist()]), 1.0)
    pairable = counts.sum(axis=1) >= 2
    return categories, counts[pairable]


def _unit_coincidences(counts: np.ndarray) -> np.ndarray:
    m = counts.sum(axis=1)
    outer = counts[:, :, None] * counts[:, None, :]
    diagonal = np.einsum("uk,kl->ukl", counts, np.eye(counts.shape[1]))
    return (outer - diagonal) / (m - 1.0)[:, None, None]


def coincidence_matrix(reliability_data: Any) -> pd.DataFrame:
    """The coincidence matrix o of a coders × units table (missing values: ``None``/NaN).

    Examples
    --------
    >>> coincidence_matrix([["a", "a", "b"], ["a", "b", "b"]])
         a    b
    a  2.0  1.0
    b  1.0  2.0
    """
    frame = _units(reliability_data, "nominal")
    categories, counts = _counts(frame)
    matrix = _unit_coincidences(counts).sum(axis=0)
    return pd.DataFrame(matrix, index=categories, columns=categories)


def _ordinal_delta(margins: np.ndarray) -> np.ndarray:
    size = margins.shape[1]
    through = np.cumsum(margins, axis=1)
    before = through - margins
    high = np.maximum.outer(np.arange(size), np.arange(size))
    low = np.minimum.outer(np.arange(size), np.arange(size))
    spread = through[:, high] - before[:, low]
    delta = (spread - (margins[:, :, None] + margins[:, None, :]) / 2.0) ** 2
    return delta * (1.0 - np.eye(size))  # exactly 0 on the diagonal despite rounding


def _category_statistic(counts: np.ndarray, metric: str) -> WeightedStatistic:
    flat = _unit_coincidences(counts).reshape(counts.shape[0], -1)
    size = counts.shape[1]

    def statistic(w: np.ndarray) -> np.ndarray:
        observed = (w @ flat).reshape(-1, size, size)
        margins = observed.sum(axis=2)
        total = margins.sum(axis=1)
        if metric == "nominal":
            delta = np.broadcast_to(1.0 - np.eye(size), observed.shape)
        else:
            delta = _ordinal_delta(margins)
        disagreement = (observed * delta).sum(axis=(1, 2))
        chance = (margins[:, :, None] * margins[:, None, :] * delta).sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(chance > 0, 1.0 - (total - 1.0) * disagreement / chance, np.nan)

    return statistic


def _interval_statistic(frame: pd.DataFrame) -> WeightedStatistic:
    values = frame.to_numpy(dtype=float).T  # units × coders
    m = np.sum(~np.isnan(values), axis=1)
    values = values[m >= 2]
    m = m[m >= 2].astype(float)
    centred = values - np.nanmean(values)
    first = np.nansum(centred, axis=1)
    second = np.nansum(centred**2, axis=1)
    within = 2.0 * (m * second - first**2) / (m - 1.0)

    def statistic(w: np.ndarray) -> np.ndarray:
        total = w @ m
        spread = 2.0 * (total * (w @ second) - (w @ first) ** 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = 1.0 - (total - 1.0) * (w @ within) / spread
        return np.where(spread > 1e-12 * np.maximum(total * (w @ second), 1e-300), alpha, np.nan)

    return statistic


def krippendorff_alpha(
    reliability_data: Sequence[Sequence[Any]] | np.ndarray | pd.DataFrame,
    *,
    metric: Metric = "nominal",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Agreement:
    """Krippendorff's α with a unit-bootstrap interval.

    Parameters
    ----------
    reliability_data
        Coders × units table (one row per coder); missing ratings are ``None`` or NaN.
    metric
        Level of measurement: ``"nominal"``, ``"ordinal"`` or ``"interval"``.
    n_boot, level, seed
        Bootstrap resamples (0: none), interval coverage and generator seed.

    Returns
    -------
    Agreement
        Statistic ``"krippendorff_alpha"``; ``n_units`` counts the pairable units.

    Raises
    ------
    GapevalError
        On fewer than 2 coders or 2 pairable units, non-numeric ratings for ordinal/interval
        metrics, an unknown metric, or when α is undefined (every pairable value is the same).

    Examples
    --------
    Krippendorff's (2011) example, 4 coders × 12 units:

    >>> nan = None
    >>> data = [
    ...     [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ... ]
    >>> round(krippendorff_alpha(data, n_boot=0).estimate, 3)
    0.743
    >>> round(krippendorff_alpha(data, metric="interval", n_boot=0).estimate, 3)
    0.849
    """
    if metric not in ("nominal", "ordinal", "interval"):
        raise GapevalError(f"unknown metric {metric!r}; use 'nominal', 'ordinal' or 'interval'")
    check_bootstrap_options(n_boot, level, seed)
    frame = _units(reliability_data, metric)
    num_units = int((frame.notna().sum(axis=0) >= 2).sum())
    if num_units < 2:
        raise GapevalError(
            f"need at least 2 units rated by 2 or more coders, got {num_units}; add ratings"
        )
    if metric == "interval":
        statistic = _interval_statistic(frame)
    else:
        categories, counts = _counts(frame)
        if len(categories) > MAX_CATEGORIES:
            raise GapevalError(
                f"{len(categories)} distinct ratings is too many for {metric} alpha (at most "
                f"{MAX_CATEGORIES}); use metric='interval' or bin the ratings"
            )
        statistic = _category_statistic(counts, metric)
    estimate, lower, upper, degenerate = bootstrap(
        statistic, num_units, n_boot=n_boot, level=level, seed=seed
    )
    if not np.isfinite(estimate):
        raise GapevalError(
            "Krippendorff's alpha is undefined: every pairable rating has the same value; "
            "report raw agreement instead"
        )
    return Agreement(
        "krippendorff_alpha",
        estimate,
        lower,
        upper,
        level,
        num_units,
        n_boot,
        seed,
        degenerate,
        f"metric={metric}",
    )
