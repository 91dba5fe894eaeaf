"""Category probabilities of every model in NumPy, for scoring and prediction outside JAX."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["category_log_probabilities"]


def category_log_probabilities(model: str, eta: np.ndarray, d: np.ndarray, g: np.ndarray | None = None) -> np.ndarray:
    """Log P(y = k) for every category.

    Parameters
    ----------
    model : str
        Model name; ``graded`` uses thresholds, the others are binary.
    eta : numpy.ndarray
        Slope part of the linear predictor (``a·θ``), shape (..., I).
    d : numpy.ndarray
        Intercepts (I,) or graded thresholds (I, K-1) with NaN in unused slots.
    g : numpy.ndarray, optional
        3PL lower asymptotes (I,).

    Returns
    -------
    numpy.ndarray
        Shape (..., I, K) with ``-inf`` for categories an item does not have.
    """
    if model == "graded":
        thresholds = np.where(np.isnan(d), -np.inf, d)
        cumulative = expit(eta[..., None] + thresholds)  # P(y >= k), k = 1..K-1
        ones = np.ones(cumulative.shape[:-1] + (1,))
        upper = np.concatenate([ones, cumulative], axis=-1)
        lower = np.concatenate([cumulative, np.zeros_like(ones)], axis=-1)
        with np.errstate(divide="ignore"):
            return np.log(np.clip(upper - lower, 0.0, None))
    p = expit(eta + d)
    if g is not None:
        p = g + (1.0 - g) * p
    p = np.clip(p, 1e-300, 1 - 1e-16)
    return np.stack([np.log1p(-p), np.log(p)], axis=-1)
