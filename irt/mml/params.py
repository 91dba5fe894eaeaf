"""Layout of the marginal-ML parameter vector and the map from unconstrained to reported values.

The *reported* vector holds exactly what the tables show (slopes ``a``, intercepts/thresholds
``d``, lower asymptotes ``g``, the Rasch latent variance, latent correlations); standard errors come
from the Hessian in this parameterisation. The optimiser works on an *internal* vector of the same
length where every constraint is removed: ``log a``, ``logit g``, ``log var``, ordered thresholds
``d_1, log(d_1 - d_2), ...`` and the canonical partial correlations of the latent correlation matrix
(``numpyro``'s ``CorrCholeskyTransform``).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
from jax.nn import sigmoid
from numpyro.distributions.transforms import CorrCholeskyTransform

from irt.problem import FitProblem
from irt.results import LATENT_SD, correlation_name

__all__ = ["ParamLayout", "build_layout", "Unpacked"]


@dataclass(frozen=True, eq=False)
class Unpacked:
    """Model arrays built from a reported vector.

    Attributes
    ----------
    slopes : jax.Array
        Items x dimensions loadings (zeros where the Q-matrix has 0).
    thresholds : jax.Array
        Items x (max categories - 1) intercepts, padded with ``-inf``-like sentinels.
    guess : jax.Array or None
        Lower asymptotes (3PL) or None.
    chol : jax.Array
        Cholesky factor of the latent covariance (D x D).
    """

    slopes: jnp.ndarray
    thresholds: jnp.ndarray
    guess: jnp.ndarray | None
    chol: jnp.ndarray


@dataclass(frozen=True, eq=False)
class ParamLayout:
    """Where each model quantity lives in the parameter vector (``-1`` = not a free parameter).

    Attributes
    ----------
    size : int
        Number of free parameters.
    slope_index : numpy.ndarray
        Items x dimensions index of each loading; ``-1`` where the loading is 0 (Q-matrix) or fixed
        at 1 (Rasch).
    slope_fixed : float
        Value of a slope that is not free but loads (1.0 for Rasch).
    threshold_index : numpy.ndarray
        Items x (max categories - 1) index of each threshold, ``-1`` in unused slots.
    guess_index : numpy.ndarray or None
        Index of each item's lower asymptote (3PL).
    variance_index : int
        Index of the latent variance (Rasch), else -1.
    correlation_index : numpy.ndarray
        Indices of the latent correlations, in ``numpy.tril_indices(D, -1)`` order.
    names : tuple
        ``(item label, parameter name)`` of each entry, in order.
    """

    size: int
    slope_index: np.ndarray
    slope_fixed: float
    q_matrix: np.ndarray
    threshold_index: np.ndarray
    guess_index: np.ndarray | None
    variance_index: int
    correlation_index: np.ndarray
    names: tuple

    # ------------------------------------------------------------------ reported -> model arrays
    def unpack(self, vec: jnp.ndarray) -> Unpacked:
        """Model arrays from a reported vector (differentiable)."""
        slope = jnp.where(self.slope_index >= 0, vec[np.maximum(self.slope_index, 0)],
                          self.slope_fixed * self.q_matrix)
        thr = jnp.where(self.threshold_index >= 0, vec[np.maximum(self.threshold_index, 0)], -_SENTINEL)
        guess = None if self.guess_index is None else vec[self.guess_index]
        dims = self.q_matrix.shape[1]
        if self.variance_index >= 0:
            chol = jnp.sqrt(vec[self.variance_index]).reshape(1, 1)
        elif dims > 1:
            rows, cols = np.tril_indices(dims, -1)
            omega = jnp.eye(dims).at[rows, cols].set(vec[self.correlation_index])
            omega = omega.at[cols, rows].set(vec[self.correlation_index])
            chol = jnp.linalg.cholesky(omega)
        else:
            chol = jnp.ones((1, 1))
        return Unpacked(slopes=slope, thresholds=thr, guess=guess, chol=chol)

    # ------------------------------------------------------------------ internal <-> reported
    def to_reported(self, internal: jnp.ndarray) -> jnp.ndarray:
        """Map the unconstrained internal vector to the reported one (differentiable)."""
        out = internal
        free_slopes = np.unique(self.slope_index[self.slope_index >= 0])
        out = out.at[free_slopes].set(jnp.exp(internal[free_slopes]))
        if self.threshold_index.shape[1] > 1:
            idx = self.threshold_index
            valid = idx >= 0
            raw = jnp.where(valid, internal[np.maximum(idx, 0)], 0.0)
            steps = jnp.where(valid[:, 1:], jnp.exp(raw[:, 1:]), 0.0)
            thr = raw[:, :1] - jnp.concatenate([jnp.zeros((idx.shape[0], 1)), jnp.cumsum(steps, axis=1)], axis=1)
            out = out.at[idx[valid]].set(thr[valid])
        if self.guess_index is not None:
            out = out.at[self.guess_index].set(sigmoid(internal[self.guess_index]))
        if self.variance_index >= 0:
            out = out.at[self.variance_index].set(jnp.exp(internal[self.variance_index]))
        if len(self.correlation_index):
            dims = self.q_matrix.shape[1]
            chol = CorrCholeskyTransform()(internal[self.correlation_index])
            omega = chol @ chol.T
            rows, cols = np.tril_indices(dims, -1)
            out = out.at[self.correlation_index].set(omega[rows, cols])
        return out

    def to_internal(self, reported: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_reported` (NumPy; used for starting values)."""
        rep = np.asarray(reported, dtype=np.float64)
        out = rep.copy()
        free_slopes = np.unique(self.slope_index[self.slope_index >= 0])
        out[free_slopes] = np.log(rep[free_slopes])
        idx = self.threshold_index
        for row in idx:
            used = row[row >= 0]
            out[used[1:]] = np.log(rep[used[:-1]] - rep[used[1:]])
        if self.guess_index is not None:
            g = rep[self.guess_index]
            out[self.guess_index] = np.log(g / (1 - g))
        if self.variance_index >= 0:
            out[self.variance_index] = np.log(rep[self.variance_index])
        if len(self.correlation_index):
            dims = self.q_matrix.shape[1]
            rows, cols = np.tril_indices(dims, -1)
            omega = np.eye(dims)
            omega[rows, cols] = rep[self.correlation_index]
            omega[cols, rows] = rep[self.correlation_index]
            chol = jnp.linalg.cholesky(jnp.asarray(omega))
            out[self.correlation_index] = np.asarray(CorrCholeskyTransform().inv(chol))
        return out


#: Stand-in for an infinite threshold in unused slots (finite so gradients stay finite).
_SENTINEL = 1.0e6


def build_layout(problem: FitProblem) -> ParamLayout:
    """Lay out the free parameters of ``problem`` in table order.

    Items come first, each with its loadings, thresholds and lower asymptote (the order of
    :func:`irt.results.item_param_names` without the derived ``b``); then the latent parameters
    (Rasch variance ``sigma_theta^2``; correlations ``omega[F1,F2]``, ... as in :mod:`irt.results`).
    """
    q = np.asarray(problem.q_matrix, dtype=np.int64)
    num_items, dims = q.shape
    cats = np.asarray(problem.num_categories, dtype=np.int64)
    if problem.model != "graded":
        cats = np.full(num_items, 2)
    width = int(cats.max()) - 1
    slope_index = np.full(q.shape, -1)
    threshold_index = np.full((num_items, width), -1)
    guess_index = np.full(num_items, -1) if problem.model == "3pl" else None
    names: list[tuple] = []
    shared_slope = -1
    for i, label in enumerate(problem.data.item_ids):
        for k in np.flatnonzero(q[i]):
            if problem.model == "rasch":
                continue
            if problem.model == "1pl":
                if shared_slope < 0:
                    shared_slope = len(names)
                    names.append(("(all items)", "a"))
                slope_index[i, k] = shared_slope
                continue
            slope_index[i, k] = len(names)
            names.append((label, "a" if dims == 1 else f"a[{problem.dimension_ids[k]}]"))
        for j in range(int(cats[i]) - 1):
            threshold_index[i, j] = len(names)
            names.append((label, "d" if problem.model != "graded" else f"d{j + 1}"))
        if guess_index is not None:
            guess_index[i] = len(names)
            names.append((label, "g"))
    variance_index = -1
    if problem.model == "rasch":
        variance_index = len(names)
        names.append(("(latent)", f"{LATENT_SD}^2"))
    rows, cols = np.tril_indices(dims, -1)
    correlation_index = np.arange(len(names), len(names) + len(rows))
    for r, c in zip(rows, cols):
        names.append(("(latent)", correlation_name(problem.dimension_ids[c], problem.dimension_ids[r])))
    return ParamLayout(size=len(names), slope_index=slope_index, slope_fixed=1.0, q_matrix=q.astype(np.float64),
                       threshold_index=threshold_index, guess_index=guess_index, variance_index=variance_index,
                       correlation_index=correlation_index, names=tuple(names))
