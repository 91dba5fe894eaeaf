"""Item parameters from an ``irt`` items() table, and their category probabilities and information.

The items table (``irt.FitResult.items()``) has one row per item x parameter with columns ``item``,
``param``, ``estimate``: ``a`` (or ``a[F1]`` for a loading), ``d`` / ``d1, d2, ...`` (intercept or
graded thresholds), ``b`` / ``b1, ...`` (difficulty ``-d/a``) and ``g`` (3PL lower asymptote). With
the slope-intercept form of ``irt`` (``logit P = a·θ + d``):

- binary items: ``P(θ) = g + (1 − g) / (1 + exp(−(a·θ + d)))`` (``g = 0`` without ``g``; ``a = 1``
  for Rasch items, which have no ``a`` row);
- graded items: ``P(y ≥ k) = 1 / (1 + exp(−(a·θ + d_k)))`` and ``P(y = k) = P(y ≥ k) − P(y ≥ k + 1)``.

Fisher information is ``Σ_k P_k′(θ)² / P_k(θ)``: ``a² P Q`` for the 2PL,
``a² (Q / P) ((P − g) / (1 − g))²`` for the 3PL and Samejima's sum for the graded model.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from gapeval.figures._common import FigureError, numeric_column, require_columns, require_frame, select

__all__ = ["ItemParams", "item_params", "items_table", "category_probabilities", "information"]

_PARAM = re.compile(r"^(?:(a)(?:\[(.+)\])?|(d|b)(\d*)|(g))$")
_HINT = "pass an irt FitResult or its items() table (columns item, param, estimate)"


@dataclass(frozen=True)
class ItemParams:
    """One item's parameters in slope-intercept form."""

    item: Hashable
    slope: float
    """Discrimination ``a`` (1 for a Rasch item)."""
    intercepts: tuple[float, ...]
    """``d`` (binary) or the graded thresholds ``d1 > d2 > ...``."""
    guess: float
    """Lower asymptote ``g`` (0 unless 3PL)."""
    graded: bool
    dimension: str | None = None
    """Dimension of the loading ``a[...]``; None for a unidimensional fit."""
    reported_difficulties: tuple[float, ...] | None = None
    """The table's own ``b`` / ``b1..`` estimates, when it has them."""

    @property
    def difficulties(self) -> np.ndarray:
        """``b`` (one per threshold for graded items): the table's estimates, else ``−d/a``.

        Bayesian tables summarise ``b`` from its own draws, so the posterior mean of ``b`` is shown
        rather than the ratio of the means of ``d`` and ``a``; for marginal ML fits they agree.
        """
        if self.reported_difficulties is not None:
            return np.asarray(self.reported_difficulties)
        return -np.asarray(self.intercepts) / self.slope


def items_table(source: object) -> pd.DataFrame:
    """The items() table of an ``irt`` fit, or ``source`` itself if it is already such a table."""
    if not isinstance(source, pd.DataFrame):
        method = getattr(source, "items", None)
        if not callable(method):
            raise FigureError(f"got {type(source).__name__}; {_HINT}")
        source = method()
    frame = require_frame(source, what="the items table", hint=_HINT)
    require_columns(frame, ["item", "param", "estimate"], what="the items table", hint=_HINT)
    return frame


def _numbered(parsed: dict, values: dict, kind: str) -> list[float]:
    """Values of the ``d`` or ``b`` rows in threshold order (``d`` alone counts as ``d1``)."""
    return [values[name] for name, m in sorted(parsed.items(), key=lambda kv: int(kv[1].group(4) or 0))
            if m.group(3) == kind]


def _one(item: Hashable, rows: pd.DataFrame) -> ItemParams:
    values = dict(zip(rows["param"].astype(str), numeric_column(rows, "estimate", what=f"item {item!r}")))
    parsed = {name: _PARAM.match(name) for name in values}
    unknown = [name for name, m in parsed.items() if m is None]
    if unknown:
        raise FigureError(f"item {item!r} has parameter(s) {unknown} that are not a, a[dim], d, dK, b, bK or g")
    slopes = [name for name, m in parsed.items() if m.group(1)]
    if len(slopes) > 1:
        raise FigureError(f"item {item!r} loads on several dimensions {slopes}; item curves need one latent "
                          "dimension per item (between-item loadings)")
    slope = values[slopes[0]] if slopes else 1.0
    if slope <= 0:
        raise FigureError(f"item {item!r} has slope {slope:g}; item curves need a positive discrimination")
    dimension = parsed[slopes[0]].group(2) if slopes else None
    graded = any(m.group(4) for m in parsed.values() if m.group(3))
    d, b = _numbered(parsed, values, "d"), _numbered(parsed, values, "b")
    if not d and not b:
        raise FigureError(f"item {item!r} has no intercept (d) or difficulty (b) row; {_HINT}")
    intercepts = tuple(d) if d else tuple(-slope * v for v in b)
    if graded and np.any(np.diff(intercepts) >= 0):
        raise FigureError(f"graded item {item!r} has thresholds {intercepts} that are not decreasing (d1 > d2 > ...)")
    guess = values.get("g", 0.0)
    if not 0 <= guess < 1:
        raise FigureError(f"item {item!r} has lower asymptote g = {guess:g}, outside [0, 1)")
    return ItemParams(item=item, slope=float(slope), intercepts=intercepts, guess=float(guess), graded=graded,
                      dimension=dimension, reported_difficulties=tuple(b) if b else None)


def item_params(source: object, *, items: list | None = None) -> list[ItemParams]:
    """Parse every item (or the ``items`` asked for, in that order) of an irt fit or items() table."""
    frame = items_table(source)
    available = list(pd.unique(frame["item"]))
    chosen = select(available, items, what="item")
    groups = {k: g for k, g in frame.groupby("item", sort=False)}
    return [_one(item, groups[item]) for item in chosen]


def _cumulative(p: ItemParams, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boundary curves P(y >= k), k = 0..K, and their derivatives in θ, shapes (T, K + 1)."""
    eta = p.slope * theta[:, None] + np.asarray(p.intercepts)[None, :]
    s = expit(eta)
    upper = p.guess + (1 - p.guess) * s
    d_upper = (1 - p.guess) * p.slope * s * (1 - s)
    ones, zeros = np.ones((len(theta), 1)), np.zeros((len(theta), 1))
    return np.hstack([ones, upper, zeros]), np.hstack([zeros, d_upper, zeros])


def category_probabilities(p: ItemParams, theta: np.ndarray) -> np.ndarray:
    """P(y = k | θ) for k = 0..K, shape (len(theta), K + 1); column 1 of a binary item is P(θ)."""
    c, _ = _cumulative(p, np.asarray(theta, dtype=float))
    return c[:, :-1] - c[:, 1:]


def information(p: ItemParams, theta: np.ndarray) -> np.ndarray:
    """Fisher information of the item at each θ: ``Σ_k P_k′² / P_k``."""
    c, dc = _cumulative(p, np.asarray(theta, dtype=float))
    prob, deriv = c[:, :-1] - c[:, 1:], dc[:, :-1] - dc[:, 1:]
    safe = prob > 1e-300
    return np.where(safe, deriv ** 2 / np.where(safe, prob, 1.0), 0.0).sum(axis=1)
