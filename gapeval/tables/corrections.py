"""Multiple-comparison corrections: Holm's step-down and Benjamini–Hochberg's step-up adjusted p-values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gapeval.errors import GapevalError

__all__ = ["holm", "benjamini_hochberg", "adjust", "CORRECTIONS"]

CORRECTIONS = {
    "holm": "Holm",
    "bh": "Benjamini–Hochberg",
}
"""Accepted ``correction`` keys and the names written in table notes."""

_DESCRIPTIONS = {
    "holm": "Holm's step-down adjustment (family-wise error rate)",
    "bh": "Benjamini–Hochberg step-up adjustment (false discovery rate)",
}


def _check(p: Sequence[float]) -> np.ndarray:
    arr = np.asarray(p, dtype=float)
    if arr.ndim != 1:
        raise GapevalError(f"p-values must be one-dimensional, got shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < 0) | (arr > 1)
    if bad.any():
        raise GapevalError(
            f"p-values must lie in [0, 1]; got {arr[bad][:5].tolist()} at positions "
            f"{np.flatnonzero(bad)[:5].tolist()}"
        )
    return arr


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values, in the input order.

    With the p-values sorted ascending, ``p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j))``.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(4).tolist()
    [0.03, 0.06, 0.06]
    """
    arr = _check(p)
    m = arr.size
    order = np.argsort(arr, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * arr[order])
    out = np.empty(m)
    out[order] = np.maximum.accumulate(scaled)
    return out


def benjamini_hochberg(p: Sequence[float]) -> np.ndarray:
    """Benjamini & Hochberg (1995) step-up adjusted p-values (q-values), in the input order.

    With the p-values sorted ascending, ``p̃_(i) = min_{j ≥ i} min(1, m p_(j) / j)``.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03]).round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    arr = _check(p)
    m = arr.size
    order = np.argsort(arr, kind="stable")
    scaled = np.minimum(1.0, m * arr[order] / np.arange(1, m + 1))
    out = np.empty(m)
    out[order] = np.minimum.accumulate(scaled[::-1])[::-1]
    return out


def adjust(p: Sequence[float], method: str) -> np.ndarray:
    """Adjusted p-values by ``method`` (``"holm"`` or ``"bh"``)."""
    if method == "holm":
        return holm(p)
    if method == "bh":
        return benjamini_hochberg(p)
    raise GapevalError(f"correction={method!r} is not one of {list(CORRECTIONS)} (or None for none)")


def describe(method: str, m: int) -> str:
    """Sentence for a table note naming the correction and the size of the family."""
    if method not in _DESCRIPTIONS:
        raise GapevalError(f"correction={method!r} is not one of {list(CORRECTIONS)}")
    return f"p-values adjusted for {m} comparisons by {_DESCRIPTIONS[method]}."
