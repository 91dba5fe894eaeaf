"""Ability scoring with item parameters held fixed: EAP, MAP, ML and Lord–Wingersky sum-score tables.

All scores are computed per distinct response pattern and expanded to respondents by the caller.

- EAP: posterior mean and SD of theta on the quadrature grid (the latent distribution of the fit is
  the prior).
- MAP: posterior mode under that prior, by Newton's method; the standard error is
  ``1/sqrt(-d2 log posterior)``.
- ML: likelihood maximum, by Newton's method; the standard error is ``1/sqrt(observed information)``.
  It does not exist for a pattern in the lowest or highest category on every answered item (the
  likelihood keeps increasing towards -inf or +inf): such patterns raise :class:`ExtremePatternError`
  (use EAP or MAP for them).
- Lord–Wingersky: the likelihood of every sum score at every node by the recursion of Lord &
  Wingersky (1984), giving EAP[theta | sum score], its SD and the expected number of respondents with
  each sum score.

References
----------
Lord, F. M., & Wingersky, M. S. (1984). Comparison of IRT true-score and equipercentile observed-score
"equatings". *Applied Psychological Measurement*, 8, 453–461.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax.scipy.special import logsumexp

from irt.errors import IRTError
from irt.mml.likelihood import item_log_probs, nodes_theta, onehot_codes
from irt.mml.params import Unpacked

__all__ = ["ExtremePatternError", "eap_scores", "modal_scores", "extreme_patterns", "sum_score_table"]

#: Newton iterations for MAP/ML scores.
_NEWTON_ITERATIONS = 60
#: An ML estimate beyond this is reported as not existing.
_ML_BOUND = 15.0


class ExtremePatternError(IRTError):
    """ML scores were requested for patterns whose likelihood has no maximum."""


def _log_posterior_grid(model: str, arrays: Unpacked, codes: np.ndarray, z: np.ndarray, log_w: np.ndarray):
    width = arrays.thresholds.shape[1] + 1
    theta = nodes_theta(arrays, jnp.asarray(z))
    logp = item_log_probs(model, arrays, theta)
    loglik = jnp.asarray(onehot_codes(codes, width)) @ logp.reshape(-1, logp.shape[-1])
    log_post = loglik + jnp.asarray(log_w)[None, :]
    return theta, log_post - logsumexp(log_post, axis=1, keepdims=True)


def eap_scores(model: str, arrays: Unpacked, codes: np.ndarray, z: np.ndarray,
               log_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and SD of theta (patterns x dimensions) for each row of ``codes`` (-1 missing)."""
    theta, log_post = _log_posterior_grid(model, arrays, codes, z, log_w)
    post = jnp.exp(log_post)
    mean = post @ theta
    second = post @ (theta ** 2)
    return np.asarray(mean), np.sqrt(np.maximum(np.asarray(second - mean ** 2), 0.0))


def extreme_patterns(codes: np.ndarray, num_categories: np.ndarray) -> np.ndarray:
    """Boolean mask of patterns in the lowest, or in the highest, category on every answered item."""
    seen = codes >= 0
    lowest = np.all((codes == 0) | ~seen, axis=1)
    highest = np.all((codes == (np.asarray(num_categories)[None, :] - 1)) | ~seen, axis=1)
    return lowest | highest


def modal_scores(model: str, arrays: Unpacked, codes: np.ndarray, *, prior: bool,
                 start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MAP (``prior=True``) or ML scores and their standard errors by damped Newton iterations.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Estimates and standard errors, patterns x dimensions.
    """
    width = arrays.thresholds.shape[1] + 1
    onehot = jnp.asarray(onehot_codes(codes, width))
    chol = arrays.chol
    dims = chol.shape[0]

    def objective(theta, row):
        logp = item_log_probs(model, arrays, theta[None, :])[..., 0]
        value = row @ logp.reshape(-1)
        if prior:
            white = jax.scipy.linalg.solve_triangular(chol, theta, lower=True)
            value = value - 0.5 * white @ white
        return value

    grad = jax.grad(objective)
    hess = jax.hessian(objective)

    def newton(theta, row):
        def body(_, t):
            g, h = grad(t, row), hess(t, row)
            h = h - 1e-8 * jnp.eye(dims)
            step = jnp.where(jnp.all(jnp.linalg.eigvalsh(h) < 0), -jnp.linalg.solve(h, g), 0.5 * g)
            return t + jnp.clip(step, -1.0, 1.0)

        t = jax.lax.fori_loop(0, _NEWTON_ITERATIONS, body, theta)
        cov = jnp.linalg.inv(-hess(t, row))
        return t, jnp.sqrt(jnp.diag(cov))

    est, se = jax.jit(jax.vmap(newton))(jnp.asarray(start), onehot)
    return np.asarray(est), np.asarray(se)


def ml_or_raise(model: str, arrays: Unpacked, codes: np.ndarray, num_categories: np.ndarray, *,
                start: np.ndarray, labels: list) -> tuple[np.ndarray, np.ndarray]:
    """ML scores, raising :class:`ExtremePatternError` when some pattern has no ML estimate.

    ``labels`` names each pattern (e.g. its first respondent) for the error message.
    """
    bad = extreme_patterns(codes, num_categories)
    if bad.any():
        raise ExtremePatternError(
            f"ML ability estimates do not exist for {int(bad.sum())} response pattern(s) in the lowest or highest "
            f"category on every answered item (e.g. respondents {[labels[i] for i in np.flatnonzero(bad)[:5]]}): "
            "their likelihood increases without bound. Use method='eap' or method='map', which add the latent "
            "distribution as a prior")
    est, se = modal_scores(model, arrays, codes, prior=False, start=np.clip(start, -4, 4))
    diverged = ~np.all(np.isfinite(est) & (np.abs(est) < _ML_BOUND), axis=1)
    if diverged.any():
        raise ExtremePatternError(
            f"ML ability estimates diverge (|theta| > {_ML_BOUND}) for respondents "
            f"{[labels[i] for i in np.flatnonzero(diverged)[:5]]}: on some dimension their answers are all in the "
            "lowest or highest category. Use method='eap' or method='map'")
    return est, se


def lord_wingersky(logp: np.ndarray) -> np.ndarray:
    """Likelihood of each sum score at each node: (max score + 1) x nodes.

    ``logp`` is items x categories x nodes (``-inf`` or ignored beyond an item's categories is fine
    as long as those categories carry probability 0).
    """
    probs = np.exp(np.asarray(logp))
    num_items, width, num_nodes = probs.shape
    like = np.ones((1, num_nodes))
    for i in range(num_items):
        cats = np.flatnonzero(probs[i].sum(axis=1) > 0)
        top = int(cats.max())
        new = np.zeros((like.shape[0] + top, num_nodes))
        for k in range(top + 1):
            new[k:k + like.shape[0]] += like * probs[i, k]
        like = new
    return like


def sum_score_table(model: str, arrays: Unpacked, z: np.ndarray, log_w: np.ndarray, *, num_categories: np.ndarray,
                    observed_codes: np.ndarray | None, num_respondents: float) -> pd.DataFrame:
    """EAP[theta | sum score] with posterior SD and expected/observed counts (unidimensional fits).

    Parameters
    ----------
    observed_codes : numpy.ndarray or None
        Respondents x items codes; the ``observed`` column counts complete respondents per sum score.
    num_respondents : float
        N for the expected counts.
    """
    theta = np.asarray(nodes_theta(arrays, jnp.asarray(z)))[:, 0]
    logp = np.asarray(item_log_probs(model, arrays, jnp.asarray(theta[:, None])))
    valid = np.arange(logp.shape[1])[None, :] < np.asarray(num_categories)[:, None]
    logp = np.where(valid[:, :, None], logp, -np.inf)
    like = lord_wingersky(logp) * np.exp(log_w)[None, :]
    marginal = like.sum(axis=1)
    mean = like @ theta / marginal
    sd = np.sqrt(np.maximum(like @ theta ** 2 / marginal - mean ** 2, 0.0))
    scores = np.arange(len(marginal))
    table = pd.DataFrame({"sum_score": scores, "theta": mean, "sd": sd, "expected": num_respondents * marginal})
    if observed_codes is not None:
        complete = observed_codes[(observed_codes >= 0).all(axis=1)]
        table["observed"] = np.bincount(complete.sum(axis=1), minlength=len(scores))[: len(scores)]
    return table
