r"""Item response models as plain NumPyro functions.

Every model takes integer index arrays ``respondent`` and ``item`` (one entry per observed response)
and the observations ``y``; with ``y=None`` the same function simulates. For (nearly) complete data
the same models take the dense form instead: ``respondent`` an (M, 1) and ``item`` a (1, I) grid of
codes, ``y`` the M x I matrix and ``mask`` its observed cells; the likelihood then runs as one
array computation, several times faster under NUTS. Sample sites carry the
symbols of the methods document: ``theta`` (respondents x dimensions), ``a`` (slopes), ``d``
(intercepts; thresholds for graded items), ``g`` (lower asymptotes), ``L_omega``/``omega`` (latent
correlation), and the hierarchical item hyper-parameters ``mu_log_a``, ``sigma_log_a``, ``mu_d``,
``sigma_d``. Plates are ``respondent``, ``item``, ``dimension`` and ``response``.

Priors (METHODS.md §1): :math:`\log a_i \sim N(\mu_{\log a}, \sigma_{\log a})`, :math:`d_i \sim
N(\mu_d, \sigma_d)` with :math:`\mu_{\log a} \sim N(0, 0.5)`, :math:`\sigma_{\log a} \sim
\text{HalfNormal}(1)`, :math:`\mu_d \sim N(0, 2)`, :math:`\sigma_d \sim \text{HalfNormal}(2)`;
abilities :math:`\theta_m \sim N(0, \Omega)`, :math:`\Omega \sim \text{LKJ}(2)`. Positive slopes fix
the sign of every dimension; unit latent variances fix the scale.

References
----------
Reckase, M. D. (2009). *Multidimensional Item Response Theory*. Springer.
Samejima, F. (1969). Estimation of latent ability using a response pattern of graded scores.
*Psychometrika Monograph Supplement* 17.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jax.nn import sigmoid

from irt.distributions import THRESHOLD_SENTINEL, GradedLogistic

__all__ = ["rasch", "onepl", "twopl", "threepl", "graded", "mirt_2pl", "mirt_graded"]


# ----------------------------------------------------------------------------- building blocks
def _abilities(num_respondents: int, num_dimensions: int) -> jnp.ndarray:
    """theta (respondents x dimensions): independent N(0, 1) for one dimension, N(0, Omega) otherwise."""
    if num_dimensions == 1:
        with numpyro.plate("dimension", 1, dim=-1), numpyro.plate("respondent", num_respondents, dim=-2):
            return numpyro.sample("theta", dist.Normal(0.0, 1.0))
    L_omega = numpyro.sample("L_omega", dist.LKJCholesky(num_dimensions, concentration=2.0))
    numpyro.deterministic("omega", L_omega @ L_omega.T)
    with numpyro.plate("dimension", num_dimensions, dim=-1), numpyro.plate("respondent", num_respondents, dim=-2):
        theta_z = numpyro.sample("theta_z", dist.Normal(0.0, 1.0))
    return numpyro.deterministic("theta", theta_z @ L_omega.T)


def _log_slopes(name_plate: str, size: int) -> jnp.ndarray:
    """Hierarchical log-slopes of ``size`` loadings."""
    mu = numpyro.sample("mu_log_a", dist.Normal(0.0, 0.5))
    sigma = numpyro.sample("sigma_log_a", dist.HalfNormal(1.0))
    with numpyro.plate(name_plate, size):
        return numpyro.sample("log_a", dist.Normal(mu, sigma))


def _intercepts(num_items: int, site: str = "d") -> jnp.ndarray:
    """Hierarchical intercepts d_i ~ N(mu_d, sigma_d)."""
    mu = numpyro.sample("mu_d", dist.Normal(0.0, 2.0))
    sigma = numpyro.sample("sigma_d", dist.HalfNormal(2.0))
    with numpyro.plate("item", num_items):
        return numpyro.sample(site, dist.Normal(mu, sigma))


def _loading_matrix(q_matrix: np.ndarray) -> jnp.ndarray:
    """Positive loadings where the Q-matrix has a 1, zeros elsewhere (site ``a``, items x dimensions)."""
    rows, cols = np.nonzero(q_matrix)
    log_a = _log_slopes("loading", len(rows))
    loadings = jnp.zeros(q_matrix.shape).at[rows, cols].set(jnp.exp(log_a))
    return numpyro.deterministic("a", loadings)


def _thresholds(num_categories: np.ndarray) -> jnp.ndarray:
    """Ordered thresholds d_i1 > d_i2 > ... per item, padded with sentinels to a common width.

    Returns the padded array ``[+S, d_1, ..., d_{K_i-1}, -S, ..., -S]`` of width ``max K + 1``; the
    reported site ``d`` holds the thresholds with NaN in unused slots.
    """
    num_categories = np.asarray(num_categories)
    num_items, width = len(num_categories), int(num_categories.max()) - 1
    d_first = _intercepts(num_items, site="d_first")
    # Positive steps between consecutive thresholds, one per extra threshold beyond the first.
    step_item, step_pos = [], []
    for i, k in enumerate(num_categories):
        for j in range(1, int(k) - 1):
            step_item.append(i)
            step_pos.append(j)
    steps = jnp.zeros((num_items, width))
    if step_item:
        with numpyro.plate("step", len(step_item)):
            log_step = numpyro.sample("log_step", dist.Normal(0.0, 1.0))
        steps = steps.at[np.array(step_item), np.array(step_pos)].set(jnp.exp(log_step))
    d = d_first[:, None] - jnp.cumsum(steps, axis=1)
    valid = np.arange(width)[None, :] < (num_categories[:, None] - 1)
    numpyro.deterministic("d", jnp.where(valid, d, jnp.nan))
    top = jnp.full((num_items, 1), THRESHOLD_SENTINEL)
    return jnp.concatenate([top, jnp.where(valid, d, -THRESHOLD_SENTINEL), -top], axis=1)


def _observe(likelihood, respondent, item, y, batch_size, mask):
    """Observe the responses; ``likelihood(r, i)`` returns the distribution of responses (r, i).

    Long form: ``respondent`` and ``item`` are 1-D code arrays, one entry per response (the
    ``response`` plate; with ``batch_size`` a minibatch drawn with replacement, its log-likelihood
    scaled by N / batch_size). Dense form: ``respondent`` is an
    (M, 1) and ``item`` a (1, I) grid, ``y`` the M x I matrix and ``mask`` marks the observed cells.
    """
    if jnp.ndim(respondent) == 2:
        with numpyro.plate("respondent", respondent.shape[0], dim=-2), numpyro.plate("item", item.shape[1], dim=-1):
            with numpyro.handlers.mask(mask=True if mask is None else mask):
                return numpyro.sample("y", likelihood(respondent, item), obs=y)
    if batch_size is None:
        with numpyro.plate("response", len(respondent)):
            return numpyro.sample("y", likelihood(respondent, item), obs=y)
    # Minibatch drawn with replacement (cheap at any size; a permutation of 10^7 indices is not) and
    # the log-likelihood scaled up to the full data.
    idx = jax.random.randint(numpyro.prng_key(), (batch_size,), 0, len(respondent))
    with numpyro.handlers.scale(scale=len(respondent) / batch_size), numpyro.plate("response", batch_size):
        return numpyro.sample("y", likelihood(respondent[idx], item[idx]), obs=None if y is None else y[idx])


# ----------------------------------------------------------------------------- models
def rasch(respondent, item, *, num_respondents, num_items, y=None, batch_size=None, mask=None):
    r"""Rasch model: :math:`\text{logit}\,P(y_{mi}=1) = \theta_m + d_i`, :math:`\theta_m \sim N(0, \sigma_\theta^2)`.

    Slopes are fixed at 1 and the latent standard deviation ``sigma_theta`` is free
    (:math:`\sim \text{HalfNormal}(2)`); ``theta`` is reported on that free scale.
    """
    sigma_theta = numpyro.sample("sigma_theta", dist.HalfNormal(2.0))
    with numpyro.plate("dimension", 1, dim=-1), numpyro.plate("respondent", num_respondents, dim=-2):
        theta_z = numpyro.sample("theta_z", dist.Normal(0.0, 1.0))
    theta = numpyro.deterministic("theta", sigma_theta * theta_z)
    d = _intercepts(num_items)
    return _observe(lambda r, i: dist.Bernoulli(logits=theta[r, 0] + d[i]), respondent, item, y, batch_size, mask)


def onepl(respondent, item, *, num_respondents, num_items, y=None, batch_size=None, mask=None):
    r"""1PL: :math:`\text{logit}\,P = a\,\theta_m + d_i` with one common slope :math:`a \sim \text{LogNormal}(0, 0.5)`."""
    theta = _abilities(num_respondents, 1)
    a = numpyro.sample("a", dist.LogNormal(0.0, 0.5))
    d = _intercepts(num_items)
    return _observe(lambda r, i: dist.Bernoulli(logits=a * theta[r, 0] + d[i]), respondent, item, y, batch_size, mask)


def twopl(respondent, item, *, num_respondents, num_items, y=None, batch_size=None, mask=None):
    r"""2PL: :math:`\text{logit}\,P = a_i\theta_m + d_i`, :math:`b_i = -d_i / a_i`."""
    theta = _abilities(num_respondents, 1)
    a = numpyro.deterministic("a", jnp.exp(_log_slopes("item", num_items)))
    d = _intercepts(num_items)
    return _observe(lambda r, i: dist.Bernoulli(logits=a[i] * theta[r, 0] + d[i]), respondent, item, y, batch_size, mask)


def threepl(respondent, item, *, num_respondents, num_items, y=None, batch_size=None, mask=None):
    r"""3PL: :math:`P = g_i + (1 - g_i)\,\sigma(a_i\theta_m + d_i)` with :math:`g_i \sim \text{Beta}(2, 8)`.

    The Beta(2, 8) prior (mean 0.2) suits multiple choice with about five options.
    """
    theta = _abilities(num_respondents, 1)
    a = numpyro.deterministic("a", jnp.exp(_log_slopes("item", num_items)))
    d = _intercepts(num_items)
    with numpyro.plate("item", num_items):
        g = numpyro.sample("g", dist.Beta(2.0, 8.0))

    def likelihood(r, i):
        return dist.Bernoulli(probs=g[i] + (1.0 - g[i]) * sigmoid(a[i] * theta[r, 0] + d[i]))

    return _observe(likelihood, respondent, item, y, batch_size, mask)


def graded(respondent, item, *, num_respondents, num_items, num_categories, y=None, batch_size=None, mask=None):
    r"""Graded response model: :math:`P(y_{mi} \ge k) = \sigma(a_i\theta_m + d_{ik})`, :math:`d_{i1} > d_{i2} > \dots`.

    ``num_categories`` gives K_i per item (responses 0..K_i-1).
    """
    theta = _abilities(num_respondents, 1)
    a = numpyro.deterministic("a", jnp.exp(_log_slopes("item", num_items)))
    padded = _thresholds(num_categories)
    return _observe(lambda r, i: GradedLogistic(a[i] * theta[r, 0], padded[i]), respondent, item, y, batch_size, mask)


def mirt_2pl(respondent, item, *, num_respondents, num_items, q_matrix, y=None, batch_size=None, mask=None):
    r"""Confirmatory multidimensional 2PL: :math:`\text{logit}\,P = \sum_k q_{ik} a_{ik} \theta_{mk} + d_i`.

    ``q_matrix`` (items x dimensions, 0/1) fixes which loadings exist: one 1 per row is a
    between-item structure, several a within-item one. :math:`\theta_m \sim N(0, \Omega)`,
    :math:`\Omega \sim \text{LKJ}(2)`.
    """
    q_matrix = np.asarray(q_matrix)
    theta = _abilities(num_respondents, q_matrix.shape[1])
    loadings = _loading_matrix(q_matrix)
    d = _intercepts(num_items)
    return _observe(lambda r, i: dist.Bernoulli(logits=jnp.sum(loadings[i] * theta[r], -1) + d[i]),
                    respondent, item, y, batch_size, mask)


def mirt_graded(respondent, item, *, num_respondents, num_items, q_matrix, num_categories, y=None, batch_size=None, mask=None):
    r"""Confirmatory multidimensional graded model: :math:`P(y \ge k) = \sigma(\sum_k q_{ik} a_{ik}\theta_{mk} + d_{ik})`.

    Binary items are graded items with two categories, so a test may mix both.
    """
    q_matrix = np.asarray(q_matrix)
    theta = _abilities(num_respondents, q_matrix.shape[1])
    loadings = _loading_matrix(q_matrix)
    padded = _thresholds(num_categories)
    return _observe(lambda r, i: GradedLogistic(jnp.sum(loadings[i] * theta[r], -1), padded[i]),
                    respondent, item, y, batch_size, mask)
