"""The marginal log-likelihood by quadrature, as one batched array computation.

Responses are compressed to distinct patterns (missing coded ``-1``) with their counts. For every
item, category and quadrature node the log-probability ``log P(y_i = k | theta_q)`` is computed once
(items x categories x nodes); the log-likelihood of every pattern at every node is then a single
matrix product of the patterns' one-hot coding (patterns x items*categories) with that table, so a
missing response (an all-zero one-hot row) drops out of the likelihood. The marginal log-likelihood is
``sum_p n_p log sum_q w_q exp(L_pq)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
from jax.nn import log_sigmoid
from jax.scipy.special import logsumexp

from irt.data import ResponseData
from irt.mml.params import ParamLayout, Unpacked

__all__ = ["Patterns", "compress", "wide_codes", "item_log_probs", "pattern_loglik", "marginal_loglik"]


@dataclass(frozen=True, eq=False)
class Patterns:
    """Distinct response patterns.

    Attributes
    ----------
    codes : numpy.ndarray
        Patterns x items responses, ``-1`` where missing.
    counts : numpy.ndarray
        How many respondents gave each pattern.
    index : numpy.ndarray
        The pattern of each respondent (respondent code order).
    onehot : numpy.ndarray
        Patterns x (items * max categories) float indicator of the observed category.
    """

    codes: np.ndarray
    counts: np.ndarray
    index: np.ndarray
    onehot: np.ndarray


def wide_codes(data: ResponseData) -> np.ndarray:
    """Respondents x items integer matrix, ``-1`` where missing."""
    codes = np.full((data.num_respondents, data.num_items), -1, dtype=np.int32)
    codes[data.respondent, data.item] = data.response
    return codes


def onehot_codes(codes: np.ndarray, width: int) -> np.ndarray:
    """Patterns x (items * width) one-hot of the observed categories (zeros for missing)."""
    out = (codes[:, :, None] == np.arange(width)[None, None, :]).astype(np.float64)
    return out.reshape(codes.shape[0], -1)


def compress(codes: np.ndarray, width: int) -> Patterns:
    """Collapse identical rows of ``codes`` (respondents x items, -1 missing) into patterns.

    Examples
    --------
    >>> p = compress(np.array([[0, 1], [0, 1], [1, -1]]), 2)
    >>> p.codes.tolist(), p.counts.tolist(), p.index.tolist()
    ([[0, 1], [1, -1]], [2.0, 1.0], [0, 0, 1])
    """
    uniq, index, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    return Patterns(codes=uniq, counts=counts.astype(np.float64), index=index.reshape(-1),
                    onehot=onehot_codes(uniq, width))


def item_log_probs(model: str, arrays: Unpacked, theta: jnp.ndarray) -> jnp.ndarray:
    """``log P(y_i = k | theta_q)``, shape items x categories x nodes.

    Parameters
    ----------
    model : str
        Model name (``3pl`` adds the lower asymptote; every other model is cumulative logistic,
        binary items being graded items with two categories).
    arrays : Unpacked
        Slopes, thresholds, asymptotes.
    theta : jax.Array
        Nodes x dimensions abilities.
    """
    eta = (theta @ arrays.slopes.T).T  # items x nodes
    thr = arrays.thresholds  # items x (K-1)
    if model == "3pl":
        x = eta + thr[:, :1]
        g = arrays.guess[:, None]
        log_p1 = jnp.logaddexp(jnp.log(g), jnp.log1p(-g) + log_sigmoid(x))
        log_p0 = jnp.log1p(-g) + log_sigmoid(-x)
        return jnp.stack([log_p0, log_p1], axis=1)
    if thr.shape[1] == 1:
        x = eta + thr[:, :1]
        return jnp.stack([log_sigmoid(-x), log_sigmoid(x)], axis=1)
    top = jnp.full((thr.shape[0], 1), 1.0e6)
    padded = jnp.concatenate([top, thr, -top], axis=1)  # items x (K+1)
    upper = eta[:, None, :] + padded[:, :-1, None]
    lower = eta[:, None, :] + padded[:, 1:, None]
    gap = jnp.minimum(lower - upper, -1e-12)
    return log_sigmoid(upper) + log_sigmoid(-lower) + jnp.log1p(-jnp.exp(gap))


def nodes_theta(arrays: Unpacked, z: jnp.ndarray) -> jnp.ndarray:
    """Latent abilities at the quadrature nodes: ``theta = z @ L.T``."""
    return z @ arrays.chol.T


def pattern_loglik(model: str, arrays: Unpacked, onehot: jnp.ndarray, z: jnp.ndarray) -> jnp.ndarray:
    """Patterns x nodes log-likelihood ``log P(y_p | theta_q)``."""
    logp = item_log_probs(model, arrays, nodes_theta(arrays, z))
    return onehot @ logp.reshape(-1, logp.shape[-1])


def marginal_loglik(vec: jnp.ndarray, layout: ParamLayout, model: str, onehot: jnp.ndarray, counts: jnp.ndarray,
                    z: jnp.ndarray, log_w: jnp.ndarray) -> jnp.ndarray:
    """Total marginal log-likelihood at the reported parameter vector ``vec``."""
    arrays = layout.unpack(vec)
    per_pattern = logsumexp(pattern_loglik(model, arrays, onehot, z) + log_w[None, :], axis=1)
    return counts @ per_pattern
