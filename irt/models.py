r"""Item response models as plain NumPyro functions.

Every model takes integer index arrays ``respondent`` and ``item`` (one entry per observed response)
and the observations ``y``; with ``y=None`` the same function simulates. For (nearly) complete data
the same models take the dense form instead: ``respondent`` an (M, 1) and ``item`` a (1, I) grid of
codes, ``y`` the M x I matrix and ``mask`` its observed cells; the likelihood then runs as one
array computation, several times faster under NUTS. Sample sites carry the
symbols of the methods document: ``theta`` (respondents x dimensions), ``a`` (slopes), ``d``
(intercepts; thresholds for graded items), ``g`` (lower asymptotes), ``L_omega``/``omega`` (latent
correlation), and the hierarchical item hyper-parameters ``mu_log_a``, ``sigma_log_a``, ``mu_d``, ``sigma_d``. Plates are ``respondent``, ``item``, ``dimension`` and ``response``.

Priors (docs/methods.md §1): :math:`\log a_i \sim N(\mu_{\log a}, \sigma_{\log a})`, :math:`d_i \sim
N(\mu_d, \sigma_d)` with :math:`\mu_{\log a} \sim N(0, 0.5)` (fixed at 0 when items outnumber respondents: :func:`_log_slopes`), :math:`\sigma_{\log a} \sim
\text{HalfNormal}(1)`, :math:`\mu_d \sim N(0, 2)`, :math:`\sigma_d \sim \text{HalfNormal}(2)`; abilities :math:`\theta_m \sim N(0, \Omega)`,
:math:`\Omega \sim \text{LKJ}(2)` (sampled centred: ``theta`` is a sample site). Positive slopes fix
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


#: Prior sd of the mean log-slope ``mu_log_a`` (see :func:`_log_slopes`).
MU_LOG_A_SD = 0.5

# ----------------------------------------------------------------------------- building blocks
def _abilities(num_respondents: int, num_dimensions: int) -> jnp.ndarray:
    """theta (respondents x dimensions): independent N(0, 1) for one dimension, N(0, Omega) otherwise."""
    if num_dimensions == 1:
        with numpyro.plate("dimension", 1, dim=-1), numpyro.plate("respondent", num_respondents, dim=-2):
            return numpyro.sample("theta", dist.Normal(0.0, 1.0))
    L_omega = numpyro.sample("L_omega", dist.LKJCholesky(num_dimensions, concentration=2.0))
    numpyro.deterministic("omega", L_omega @ L_omega.T)
    # Centred: with hundreds of items per respondent each theta is pinned down by its data, and the
    # non-centred form (theta = z L') couples every z to L_omega, which made NUTS trajectories long.
    with numpyro.plate("respondent", num_respondents, dim=-1):
        return numpyro.sample("theta", dist.MultivariateNormal(jnp.zeros(num_dimensions), scale_tril=L_omega))


def scale_on_items(num_respondents: int, num_items: int) -> bool:
    """Whether θ's scale is anchored on the items (more items than respondents) rather than on θ's prior."""
    return num_items > num_respondents


def _log_slopes(name_plate: str, size: int, *, on_items: bool = False) -> jnp.ndarray:
    """Hierarchical log-slopes of ``size`` loadings: log a ~ N(mu_log_a, sigma_log_a).

    The mean log-slope trades off exactly against the scale of θ. With more respondents than items
    (``on_items=False``) θ's N(0, 1) prior fixes the scale and ``mu_log_a ~ N(0, 0.5)`` is free. With
    more items than respondents (the AI-benchmark shape, ``on_items=True``) that prior is a weak anchor
    (20 respondents: estimates 0.8-1.5x the true scale), so ``mu_log_a`` is fixed at 0 (median slope 1,
    as in the Stan User's Guide's hierarchical 2PL) and the scale rests on the items. Fixing it for
    short tests would shrink their slopes harder (LSAT7: a3 1.47 -> 1.38 against the marginal-ML 1.71).
    """
    mu = 0.0 if on_items else numpyro.sample("mu_log_a", dist.Normal(0.0, MU_LOG_A_SD))
    sigma = numpyro.sample("sigma_log_a", dist.HalfNormal(1.0))
    with numpyro.plate(name_plate, size):
        return numpyro.sample("log_a", dist.Normal(mu, sigma))


def _intercepts(num_items: int, site: str = "d", group: np.ndarray | None = None) -> jnp.ndarray:
    """Hierarchical intercepts d_i ~ N(mu_d, sigma_d); with ``group``, one mean per group: N(mu_d[g_i], sigma_d).

    Multidimensional models group items by their first loading dimension: the location of each
    dimension's abilities then moves with its own ``mu_d`` (one shared mean would tie the
    dimensions' locations to each other through hundreds of item intercepts, which NUTS mixes slowly).
    """
    if group is None:
        mu = numpyro.sample("mu_d", dist.Normal(0.0, 2.0))
    else:
        num_groups = int(group.max()) + 1
        with numpyro.plate("dimension", num_groups, dim=-1):
            mu = jnp.broadcast_to(numpyro.sample("mu_d", dist.Normal(0.0, 2.0)), (num_groups,))[group]
    sigma = numpyro.sample("sigma_d", dist.HalfNormal(2.0))
    with numpyro.plate("item", num_items):
        return numpyro.sample(site, dist.Normal(mu, sigma))


def _intercepts_at_mean(num_items: int, shift: jnp.ndarray, group: np.ndarray | None = None) -> jnp.ndarray:
    r"""Intercepts whose hierarchical prior holds at the respondents' mean ability.

    Samples :math:`e_i \sim N(\mu_d, \sigma_d)` (site ``d_at_mean``, the logit of item i at the mean
    ability :math:`\bar\theta` of the respondents in the data) and returns the reported intercepts
    :math:`d_i = e_i - a_i^\top\bar\theta` (site ``d``; ``shift`` is :math:`a_i^\top\bar\theta`).
    The likelihood then depends on the abilities only through their deviations from their mean, so
    the common location of the abilities (set by their N(0, 1) prior, weakly when respondents are
    few) is a direction of its own instead of a joint move of every intercept, which NUTS explored
    slowly. With :math:`\bar\theta \approx N(0, 1/M)` a priori the prior differs little from
    :math:`d_i \sim N(\mu_d, \sigma_d)`.
    """
    e = _intercepts(num_items, site="d_at_mean", group=group)
    return numpyro.deterministic("d", e - shift)


def first_dimension(q_matrix: np.ndarray) -> np.ndarray:
    """Index of each item's first loading dimension (the grouping of intercepts in multidimensional models)."""
    return np.argmax(np.asarray(q_matrix) != 0, axis=1)


def _loading_matrix(q_matrix: np.ndarray, *, on_items: bool = False) -> jnp.ndarray:
    """Positive loadings where the Q-matrix has a 1, zeros elsewhere (site ``a``, items x dimensions)."""
    rows, cols = np.nonzero(q_matrix)
    log_a = _log_slopes("loading", len(rows), on_items=on_items)
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


#: Dense-form indices: ``x[_ROWS]`` is ``x[:, None]`` (respondents down), ``x[_COLUMNS]`` is ``x[None, :]``.
_ROWS = (slice(None), None)
_COLUMNS = (None, slice(None))


def _linear(theta: jnp.ndarray, loadings: jnp.ndarray, r, i) -> jnp.ndarray:
    """Sum over dimensions of loading x ability for responses (r, i); one matrix product in the dense form."""
    if r is _ROWS and i is _COLUMNS:
        return theta @ loadings.T
    return jnp.sum(loadings[i] * theta[r], -1)


def _observe(likelihood, respondent, item, y, batch_size, mask):
    """Observe the responses; ``likelihood(r, i)`` returns the distribution of responses (r, i).

    Long form: ``respondent`` and ``item`` are 1-D code arrays, one entry per response (the
    ``response`` plate; with ``batch_size`` a minibatch drawn with replacement, its log-likelihood
    scaled by N / batch_size). Dense form: ``respondent`` is an
    (M, 1) and ``item`` a (1, I) grid, ``y`` the M x I matrix and ``mask`` marks the observed cells.
    """
    if jnp.ndim(respondent) == 2:
        # The grids are arange(M)[:, None] and arange(I)[None, :]: index by broadcasting slices instead,
        # so that the likelihood (and its gradient) has no gathers and scatters.
        with numpyro.plate("respondent", respondent.shape[0], dim=-2), numpyro.plate("item", item.shape[1], dim=-1):
            with numpyro.handlers.mask(mask=True if mask is None else mask):
                return numpyro.sample("y", likelihood(_ROWS, _COLUMNS), obs=y)
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
    return _observe(lambda r, i: dist.Bernoulli(logits=theta[:, 0][r] + d[i]), respondent, item, y, batch_size, mask)


def onepl(respondent, item, *, num_respondents, num_items, y=None, batch_size=None, mask=None):
    r"""1PL: :math:`\text{logit}\,P = a\,\theta_m + d_i` with one common slope :math:`a \sim \text{LogNormal}(0, 0.5)`."""
    theta = _abilities(num_respondents, 1)
    a = numpyro.sample("a", dist.LogNormal(0.0, 0.5))
    d = _intercepts(num_items)
    return _observe(lambda r, i: dist.Bernoulli(logits=a * theta[:, 0][r] + d[i]), respondent, item, y, batch_size, mask)


def twopl(respondent, item, *, num_respondents, num_items, y=None, batch_size=None, mask=None):
    r"""2PL: :math:`\text{logit}\,P = a_i\theta_m + d_i`, :math:`b_i = -d_i / a_i`.

    The intercepts' hierarchical prior is placed at the respondents' mean ability
    (:func:`_intercepts_at_mean`).
    """
    theta = _abilities(num_respondents, 1)
    a = numpyro.deterministic("a", jnp.exp(_log_slopes("item", num_items, on_items=scale_on_items(num_respondents, num_items))))
    d = _intercepts_at_mean(num_items, a * jnp.mean(theta[:, 0]))
    return _observe(lambda r, i: dist.Bernoulli(logits=a[i] * theta[:, 0][r] + d[i]), respondent, item, y, batch_size, mask)


#: Concentration kappa of the Beta(kappa c, kappa (1 - c)) prior of a lower asymptote centred on a
#: given chance level c (sd 0.094 around c = 0.25); the Gap Score's estimated guessing uses the same.
CHANCE_CONCENTRATION = 20.0


def _lower_asymptotes(num_items: int, chance, estimate: bool) -> jnp.ndarray:
    """g (items,): Beta(2, 8) without ``chance``; else fixed at ``chance`` or Beta-distributed around it.

    Items with chance 0 (free answers) keep g = 0; only the others get a site in the
    ``multiple_choice_item`` plate when ``estimate``.
    """
    if chance is None:
        with numpyro.plate("item", num_items):
            return numpyro.sample("g", dist.Beta(2.0, 8.0))
    chance = np.asarray(chance, dtype=float)
    if not estimate:
        return numpyro.deterministic("g", jnp.asarray(chance))
    mcq = np.flatnonzero(chance > 0)
    with numpyro.plate("multiple_choice_item", len(mcq)):
        g_mcq = numpyro.sample("g_mcq", dist.Beta(CHANCE_CONCENTRATION * chance[mcq],
                                                  CHANCE_CONCENTRATION * (1.0 - chance[mcq])))
    return numpyro.deterministic("g", jnp.zeros(num_items).at[mcq].set(g_mcq))


def threepl(respondent, item, *, num_respondents, num_items, y=None, batch_size=None, mask=None, chance=None,
            estimate_guessing=True):
    r"""3PL: :math:`P = g_i + (1 - g_i)\,\sigma(a_i\theta_m + d_i)`.

    Without ``chance``, :math:`g_i \sim \text{Beta}(2, 8)` (mean 0.2: multiple choice with about
    five options). With ``chance`` (items,) the chance levels c_i are known (1 / number of options;
    0 for a free answer): :math:`g_i \sim \text{Beta}(\kappa c_i, \kappa (1 - c_i))` centred on
    them (:data:`CHANCE_CONCENTRATION`), or, with ``estimate_guessing=False``, fixed at them (a 2PL
    seen through guessing). :func:`irt.fit`'s ``guessing=`` sets both.
    """
    theta = _abilities(num_respondents, 1)
    a = numpyro.deterministic("a", jnp.exp(_log_slopes("item", num_items, on_items=scale_on_items(num_respondents, num_items))))
    d = _intercepts(num_items)
    g = _lower_asymptotes(num_items, chance, estimate_guessing)

    def likelihood(r, i):
        return dist.Bernoulli(probs=g[i] + (1.0 - g[i]) * sigmoid(a[i] * theta[:, 0][r] + d[i]))

    return _observe(likelihood, respondent, item, y, batch_size, mask)


def graded(respondent, item, *, num_respondents, num_items, num_categories, y=None, batch_size=None, mask=None):
    r"""Graded response model: :math:`P(y_{mi} \ge k) = \sigma(a_i\theta_m + d_{ik})`, :math:`d_{i1} > d_{i2} > \dots`.

    ``num_categories`` gives K_i per item (responses 0..K_i-1).
    """
    theta = _abilities(num_respondents, 1)
    a = numpyro.deterministic("a", jnp.exp(_log_slopes("item", num_items, on_items=scale_on_items(num_respondents, num_items))))
    padded = _thresholds(num_categories)
    return _observe(lambda r, i: GradedLogistic(a[i] * theta[:, 0][r], padded[i]), respondent, item, y, batch_size, mask)


def mirt_2pl(respondent, item, *, num_respondents, num_items, q_matrix, y=None, batch_size=None, mask=None):
    r"""Confirmatory multidimensional 2PL: :math:`\text{logit}\,P = \sum_k q_{ik} a_{ik} \theta_{mk} + d_i`.

    ``q_matrix`` (items x dimensions, 0/1) fixes which loadings exist: one 1 per row is a
    between-item structure, several a within-item one. :math:`\theta_m \sim N(0, \Omega)`,
    :math:`\Omega \sim \text{LKJ}(2)`.
    """
    q_matrix = np.asarray(q_matrix)
    theta = _abilities(num_respondents, q_matrix.shape[1])
    loadings = _loading_matrix(q_matrix, on_items=scale_on_items(num_respondents, num_items))
    d = _intercepts_at_mean(num_items, loadings @ jnp.mean(theta, axis=0), group=first_dimension(q_matrix))
    return _observe(lambda r, i: dist.Bernoulli(logits=_linear(theta, loadings, r, i) + d[i]),
                    respondent, item, y, batch_size, mask)


def mirt_graded(respondent, item, *, num_respondents, num_items, q_matrix, num_categories, y=None, batch_size=None, mask=None):
    r"""Confirmatory multidimensional graded model: :math:`P(y \ge k) = \sigma(\sum_k q_{ik} a_{ik}\theta_{mk} + d_{ik})`.

    Binary items are graded items with two categories, so a test may mix both.
    """
    q_matrix = np.asarray(q_matrix)
    theta = _abilities(num_respondents, q_matrix.shape[1])
    loadings = _loading_matrix(q_matrix, on_items=scale_on_items(num_respondents, num_items))
    padded = _thresholds(num_categories)
    return _observe(lambda r, i: GradedLogistic(_linear(theta, loadings, r, i), padded[i]),
                    respondent, item, y, batch_size, mask)
