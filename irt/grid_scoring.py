"""Abilities of new respondents by quadrature on a grid, with item parameters held fixed.

Used by :meth:`irt.FitResult.score_new` for Bayesian fits: for each retained posterior draw of the
item parameters the posterior of θ on a grid is computed exactly, and the draws are averaged, so the
scores carry the item parameters' uncertainty.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from irt.response_functions import category_log_probabilities

__all__ = ["grid_scores", "MAX_GRID_DIMENSIONS"]

#: Grid quadrature is exact but grows as points ** dimensions; beyond this it is refused.
MAX_GRID_DIMENSIONS = 2
_POINTS = {1: 161, 2: 61}
_HALF_WIDTH = 6.0


def grid_scores(
    model: str,
    responses: np.ndarray,
    *,
    a: np.ndarray,
    d: np.ndarray,
    g: np.ndarray | None,
    prior_cov: np.ndarray,
    level: float,
) -> dict[str, np.ndarray]:
    """Posterior mean, sd and equal-tailed interval of θ for each row of ``responses``.

    Parameters
    ----------
    model : str
        Model name.
    responses : numpy.ndarray
        (R, I) responses aligned to the fitted items, NaN where not answered.
    a : numpy.ndarray
        Slope draws (S, I) or loading draws (S, I, D).
    d : numpy.ndarray
        Intercept draws (S, I) or threshold draws (S, I, K-1).
    g : numpy.ndarray or None
        Lower asymptote draws (S, I).
    prior_cov : numpy.ndarray
        Latent covariance draws (S, D, D).
    level : float
        Interval level.

    Returns
    -------
    dict
        ``estimate``, ``sd``, ``lower``, ``upper``, each (R, D).
    """
    num_dims = prior_cov.shape[-1]
    if num_dims > MAX_GRID_DIMENSIONS:
        raise ValueError(f"score_new integrates on a grid for at most {MAX_GRID_DIMENSIONS} dimensions; this fit has "
                         f"{num_dims}: refit with the new respondents included instead")
    scale = float(np.sqrt(prior_cov[:, np.arange(num_dims), np.arange(num_dims)].max()))
    axis = np.linspace(-_HALF_WIDTH * scale, _HALF_WIDTH * scale, _POINTS[num_dims])
    grid = np.stack(np.meshgrid(*([axis] * num_dims), indexing="ij"), axis=-1).reshape(-1, num_dims)  # (G, D)
    observed = ~np.isnan(responses)
    num_categories = 2 if model != "graded" else d.shape[-1] + 1
    onehot = np.zeros(responses.shape + (num_categories,))
    rows, cols = np.nonzero(observed)
    onehot[rows, cols, responses[rows, cols].astype(int)] = 1.0

    log_post = np.zeros((a.shape[0], responses.shape[0], grid.shape[0]))
    for s in range(a.shape[0]):
        loadings = a[s] if a[s].ndim == 2 else a[s][:, None]  # (I, D)
        eta = grid @ loadings.T  # (G, I)
        logp = category_log_probabilities(model, eta, d[s], None if g is None else g[s])
        logp = np.where(np.isfinite(logp), logp, -1e30)
        loglik = np.einsum("rik,gik->rg", onehot, logp)
        precision = np.linalg.inv(prior_cov[s])
        _, logdet = np.linalg.slogdet(prior_cov[s])
        log_prior = -0.5 * np.einsum("gi,ij,gj->g", grid, precision, grid) - 0.5 * logdet
        unnorm = loglik + log_prior
        log_post[s] = unnorm - logsumexp(unnorm, axis=1, keepdims=True)
    weights = np.exp(logsumexp(log_post, axis=0) - np.log(a.shape[0]))  # (R, G), mixture over draws
    weights /= weights.sum(axis=1, keepdims=True)
    estimate = weights @ grid
    sd = np.sqrt(np.clip(weights @ grid**2 - estimate**2, 0.0, None))
    tail = (1.0 - level) / 2.0
    lower, upper = np.empty_like(estimate), np.empty_like(estimate)
    for k in range(num_dims):
        marginal = weights.reshape((weights.shape[0],) + (len(axis),) * num_dims)
        marginal = marginal.sum(axis=tuple(j + 1 for j in range(num_dims) if j != k))
        cdf = np.cumsum(marginal, axis=1)
        lower[:, k] = [np.interp(tail, c, axis) for c in cdf]
        upper[:, k] = [np.interp(1.0 - tail, c, axis) for c in cdf]
    return {"estimate": estimate, "sd": sd, "lower": lower, "upper": upper}
