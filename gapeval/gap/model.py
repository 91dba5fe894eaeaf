r"""The NumPyro model behind the Gap Score (``docs/methods.md`` §2); its data layout is :mod:`gapeval.gap.layout`.

Between-item two-dimensional 2PL over all models jointly, with a pair (testlet) effect:

.. math::

    \text{logit}\,P(y_{mi} = 1) = a_i\,(\theta_{m,d(i)} + \gamma_{m,c(i)} - b_i),
    \qquad \gamma_{mc} \sim N(0, \sigma_\gamma^2).

Partial credit is a binomial on ``k`` of ``K`` evaluation points (``points=K``) with the same logit;
``K = 1`` is the binary model.

* **Paired scale** (``scale="paired"``): :math:`b_i = \beta_{c(i)} + \varepsilon_i` with
  :math:`\sum_c \beta_c = 0` and the mean of :math:`\varepsilon` zero within each direction; the
  geometric mean of the slopes is 1 (:math:`\sum_i \log a_i = 0`). Abilities
  :math:`\theta_m = \mu + \operatorname{diag}(\tau) L_\Omega z_m` with free :math:`\mu \sim N(0, 3)`,
  :math:`\tau \sim \text{HalfNormal}(2)`, :math:`\Omega \sim \text{LKJ}(2)`.
* **Standardized scale** (``scale="standardized"``): :math:`\theta_m \sim N(0, \Omega)` (unit
  variance per dimension), :math:`b_i \sim N(\mu_{b,d(i)}, \sigma_b)` and
  :math:`\log a_i \sim N(\mu_{\log a}, \sigma_{\log a})` free.
* ``unidimensional=True`` forces :math:`\theta_{mU} = \theta_{mG}` (the "unified" model compared by
  PSIS-LOO).

Layout (dense, the fast form under NUTS): questions are *units*; a unit is a pair (one
understanding and one generation item) or a single item without a pair. Responses sit in an
``(models, units, 2)`` array, slot 0 understanding and slot 1 generation, with a mask for
unanswered or absent forms. When fitting, the pair effect is **integrated out** of each (model,
pair) likelihood by Gauss-Hermite quadrature (``num_nodes``, default 3: exact for polynomials up
to degree 5 in gamma), so the sampler sees sigma_gamma but not the models x pairs effects (whose
funnel made sigma_gamma mix badly: R-hat 1.15 with explicit non-centred effects on 8 models x 60
pairs). For 0/1 answers the quadrature runs in probability space (one exponential per term) on a
slot-major (slots, models, units) layout, see :func:`_quadrature_loglik`. With ``y=None`` the model
draws ``gamma`` explicitly and simulates.
Abilities are centred (each model answers many items) in cohorts of 10 models or more; in smaller
ones (where tau is weakly identified and its posterior can reach into the centred form's funnel) each
model is centred or non-centred as its information next to the cohort's spread calls for
(:mod:`gapeval.gap.centring`, :func:`sample_abilities`); the item sites are non-centred (each item
has few answers). On the paired
scale the item sites live in their sum-to-zero subspace (:mod:`gapeval.gap.sum_zero`: ``log_a_z``,
``b_z``), so no direction of the sampler's space is invisible to the likelihood. Centred abilities are
sampled on the scale the pair effect attenuates them to, k * theta with k = 1/sqrt(1 + 0.346 sigma_gamma^2)
(see :func:`sample_abilities`; same prior and posterior), so that a change of sigma_gamma does not drag
every theta with it. On the standardized scale ``log_a`` is non-centred through
:class:`numpyro.infer.reparam.LocScaleReparam` and the difficulties come from ``b_z``.

References
----------
Bradlow, E. T., Wainer, H. & Wang, X. (1999). A Bayesian random effects model for testlets.
*Psychometrika* 64, 153-168.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.handlers import reparam
from numpyro.infer.reparam import LocScaleReparam

from gapeval.gap.centring import ability_centring
from gapeval.gap.layout import GapData, build_gap_data, complete_pairs
from gapeval.gap.likelihood import layer_quadrature_loglik, marginal_loglik, quadrature_loglik
from gapeval.gap.observation import cell_weights, sample_observation
from gapeval.gap.sum_zero import paired_item_parameters

__all__ = ["GapData", "build_gap_data", "gap_model", "reparameterised_gap_model", "marginal_loglik",
           "sample_abilities", "sample_item_parameters", "ITEM_SITES"]

#: Sites given a non-centred (LocScaleReparam(0)) parameterisation.
ITEM_SITES: tuple[str, ...] = ("log_a",)


def _centred(x: jnp.ndarray, groups: np.ndarray | None = None) -> jnp.ndarray:
    """``x`` minus its mean (within each group of ``groups`` when given)."""
    if groups is None:
        return x - jnp.mean(x)
    out = x
    for g in np.unique(groups):
        sel = groups == g
        out = out - jnp.where(sel, jnp.sum(jnp.where(sel, x, 0.0)) / sel.sum(), 0.0)
    return out


def sample_abilities(num_models: int, *, scale: str, unidimensional: bool, attenuation=1.0,
                     ability_df: float | None = None, centred: bool | np.ndarray = True) -> jnp.ndarray:
    """theta (models x 2); columns equal when ``unidimensional``.

    The 2 x 2 LKJ(2) prior on the correlation is written directly: (rho + 1) / 2 ~ Beta(2, 2).

    ``centred`` says, for the whole cohort or per model (bool array), which of two forms of the same
    prior the sampler sees (:func:`gapeval.gap.centring.ability_centring` chooses).

    Centred (each model answers many items, and the cohort is large enough to pin tau): the
    bivariate normal is sampled as theta_U ~ N(mu_U, tau_U), theta_G | theta_U normal (same density as
    MVN(mu, diag(tau) Omega diag(tau)), fewer operations to trace). With ``attenuation`` k (a function
    of sigma_gamma, see :func:`gap_model`) the sampled sites hold k * theta, drawn from the
    correspondingly scaled normals, and theta = sampled / k: the same prior and posterior for theta,
    with the sampled values on the scale the data pin down.

    Non-centred (in small cohorts, models whose answers say little next to the cohort's spread): theta_m = mu +
    diag(tau) Omega^(1/2) z_m with z_m standard normal (site ``theta_z``, models x dimensions) and
    Omega^(1/2) the symmetric square root of the correlation matrix, so that exchanging the direction
    labels exchanges the two columns of ``theta_z`` and nothing else. Same prior; what changes is the
    sampler's geometry: with a few models tau's posterior reaches towards 0, and centred abilities
    then have to squeeze into a funnel's neck (divergences); non-centred ones do not. ``attenuation``
    is not used (k cancels from mu + tau z).

    With ``ability_df`` = nu the abilities are multivariate Student-t with nu degrees of freedom, as
    the scale mixture theta_m | w_m ~ MVN(mu, Sigma / w_m), w_m ~ Gamma(nu/2, nu/2) (site
    ``ability_weight``): a model far from the cohort is shrunk much less than under the normal.
    """
    k = attenuation
    num_dims = 1 if unidimensional else 2
    if scale == "paired":
        with numpyro.plate("dimension", num_dims):
            mu = numpyro.sample("mu", dist.Normal(0.0, 3.0))
            tau = numpyro.sample("tau", dist.HalfNormal(2.0))
    else:
        mu, tau = jnp.zeros(num_dims), jnp.ones(num_dims)
    spread = 1.0
    if ability_df is not None:
        with numpyro.plate("model", num_models):
            spread = 1.0 / jnp.sqrt(numpyro.sample("ability_weight", dist.Gamma(ability_df / 2.0, ability_df / 2.0)))
    rho = 0.0
    if num_dims == 2:
        rho = 2.0 * numpyro.sample("rho_beta", dist.Beta(2.0, 2.0)) - 1.0
        numpyro.deterministic("omega", jnp.array([[1.0, 0.0], [0.0, 1.0]]) + rho * jnp.array([[0.0, 1.0], [1.0, 0.0]]))
    centred = np.broadcast_to(np.asarray(centred, dtype=bool), (num_models,))
    spread = jnp.broadcast_to(jnp.reshape(spread, (-1,)), (num_models,))
    theta = jnp.zeros((num_models, num_dims))
    for kind, chosen in (("noncentred", np.flatnonzero(~centred)), ("centred", np.flatnonzero(centred))):
        if chosen.size:
            plate = numpyro.plate("model" if chosen.size == num_models else f"model_{kind}", chosen.size)
            draw = _non_centred_abilities if kind == "noncentred" else _centred_abilities
            drawn = draw(plate, mu, tau, rho, spread[chosen], k)
            theta = drawn if chosen.size == num_models else theta.at[chosen].set(drawn, unique_indices=True)
    return jnp.concatenate([theta, theta], axis=-1) if num_dims == 1 else theta


def _non_centred_abilities(plate, mu, tau, rho, spread, k):
    """theta = mu + diag(tau) Omega^(1/2) z for the models of ``plate`` (site ``theta_z``; ``k`` unused)."""
    num_dims = mu.shape[0]
    with plate:
        z = numpyro.sample("theta_z", dist.Normal(0.0, 1.0).expand([num_dims]).to_event(1))
    if num_dims == 2:   # the symmetric square root of [[1, rho], [rho, 1]]: [[p, q], [q, p]]
        p, q = (jnp.sqrt(1.0 + rho) + jnp.sqrt(1.0 - rho)) / 2.0, (jnp.sqrt(1.0 + rho) - jnp.sqrt(1.0 - rho)) / 2.0
        z = jnp.stack([p * z[:, 0] + q * z[:, 1], q * z[:, 0] + p * z[:, 1]], axis=-1)
    return mu + tau * spread[:, None] * z


def _centred_abilities(plate, mu, tau, rho, spread, k):
    """theta of the models of ``plate`` sampled directly, as k * theta (sites ``theta_u``, ``theta_g``)."""
    with plate:
        theta_u = numpyro.sample("theta_u", dist.Normal(k * mu[0], k * tau[0] * spread)) / k
        if mu.shape[0] == 1:
            return theta_u[:, None]
        cond_mean = mu[1] + rho * tau[1] / tau[0] * (theta_u - mu[0])
        cond_sd = k * tau[1] * jnp.sqrt(1.0 - rho ** 2) * spread
        theta_g = numpyro.sample("theta_g", dist.Normal(k * cond_mean, cond_sd)) / k
    return jnp.stack([theta_u, theta_g], axis=-1)


def sample_item_parameters(item_slot: np.ndarray, partner: np.ndarray, *, scale: str):
    """Slopes and difficulties of every item, (items,) each.

    The two forms of a pair have difficulties beta_c + epsilon_i, i.e. a bivariate normal with
    variance sigma_beta^2 + sigma_epsilon^2 and covariance sigma_beta^2; it is sampled non-centred
    from ``b_z`` without the redundant (beta, epsilon) split. ``partner[i]`` is the understanding
    form of item i's pair for a generation form, -1 otherwise.
    """
    num_items = len(item_slot)
    sigma_log_a = numpyro.sample("sigma_log_a", dist.HalfNormal(0.5))
    sigma_beta = numpyro.sample("sigma_beta", dist.HalfNormal(2.0))
    sigma_epsilon = numpyro.sample("sigma_epsilon", dist.HalfNormal(1.0))
    if scale == "paired":
        mu_log_a, mu_b = 0.0, jnp.zeros(2)
    else:
        mu_log_a = numpyro.sample("mu_log_a", dist.Normal(0.0, 0.5))
        with numpyro.plate("direction", 2):
            mu_b = numpyro.sample("mu_b", dist.Normal(0.0, 2.0))
    with numpyro.plate("item", num_items):
        log_a = numpyro.sample("log_a", dist.Normal(mu_log_a, sigma_log_a))
        b_z = numpyro.sample("b_z", dist.Normal(0.0, 1.0))
    total = jnp.sqrt(sigma_beta ** 2 + sigma_epsilon ** 2)
    rho = sigma_beta ** 2 / total ** 2
    has_partner = partner >= 0
    b = total * jnp.where(has_partner, rho * b_z[np.maximum(partner, 0)] + jnp.sqrt(1.0 - rho ** 2) * b_z, b_z)
    if scale == "paired":
        log_a = _centred(log_a)
        b = _centred(b, item_slot)
    else:
        b = b + mu_b[item_slot]
    a = numpyro.deterministic("a", jnp.exp(log_a))
    return a, numpyro.deterministic("b", b)


def gap_model(*, item_unit, item_slot, partner, num_models, num_units, num_pairs, points, scale="paired",
              unidimensional=False, num_nodes=3, observation=None, difficulty_offset=None, ability_df=None,
              centred_abilities=True, observe=True, y=None, mask=None):
    r"""The Gap Score model (see the module docstring for the likelihood and the identification).

    Parameters
    ----------
    item_unit, item_slot : numpy.ndarray
        Unit and slot (0 understanding, 1 generation) of each item (static).
    num_models, num_units, num_pairs : int
        Sizes; units ``0..num_pairs-1`` are pairs and carry the pair effect ``gamma``.
    points : int
        Evaluation points per answer (binomial total count; 1 = Bernoulli).
    scale : {"paired", "standardized"}
    unidimensional : bool
        Force theta_U = theta_G.
    num_nodes : int
        Gauss-Hermite nodes integrating the pair effect out of the likelihood when fitting.
    observation : Observation, optional
        Chance levels and judge labels (:mod:`gapeval.gap.observation`); its parameters are the
        sites ``g``, ``sensitivity``, ``specificity``. Fitting only (the simulation path ignores it).
    difficulty_offset : tuple of float, optional
        (mean, sd) of delta, the average difficulty of the paired generation forms minus that of the
        paired understanding forms (paired scale): every generation difficulty moves by delta, drawn
        from N(mean, sd) (site ``delta``) or fixed at ``mean`` when sd is 0. None: the convention delta = 0.
    ability_df : float, optional
        Degrees of freedom of Student-t abilities (:func:`sample_abilities`); None: normal.
    centred_abilities : bool or numpy.ndarray
        Sample the abilities centred or non-centred, for all models or per model (bool (models,); see
        :func:`sample_abilities` and :func:`gapeval.gap.centring.ability_centring`); the same prior either way.
    observe : bool
        False stops after the parameters (no likelihood, no simulation).
    y, mask : array, optional
        Successes and observed cells, (models, units, 2); ``y=None`` simulates.
    """
    sigma_gamma = numpyro.sample("sigma_gamma", dist.HalfNormal(1.0)) if num_pairs else 0.0
    # A pair effect attenuates every slope by about k = 1/sqrt(1 + 0.346 sigma_gamma^2) (logistic-normal
    # approximation); the abilities are sampled as k * theta, which the data pin down whatever sigma_gamma.
    attenuation = 1.0 / jnp.sqrt(1.0 + 0.346 * sigma_gamma ** 2) if num_pairs else 1.0
    theta = numpyro.deterministic("theta", sample_abilities(num_models, scale=scale, unidimensional=unidimensional,
                                                            attenuation=attenuation, ability_df=ability_df,
                                                            centred=centred_abilities))
    if scale == "paired":
        delta = 0.0
        if difficulty_offset is not None:
            mean, sd = difficulty_offset
            delta = numpyro.sample("delta", dist.Normal(mean, sd)) if sd > 0 else mean
        a, b = paired_item_parameters(item_slot, partner, paired=complete_pairs(item_unit, num_pairs),
                                      generation_shift=delta)
    else:
        a, b = sample_item_parameters(item_slot, partner, scale=scale)
    layer = sample_observation(observation, np.asarray(item_unit), np.asarray(item_slot))
    # Each item has a cell of its own: told so, JAX's gradient of the scatter is one gather, where otherwise it
    # scatters item ids to settle duplicates (the potential's gradient: 2-11% less CPU at 20 x 600).
    a_grid = jnp.ones((num_units, 2)).at[item_unit, item_slot].set(a, unique_indices=True)
    b_grid = jnp.zeros((num_units, 2)).at[item_unit, item_slot].set(b, unique_indices=True)
    if not observe:  # parameters only (used to turn draws into reported quantities)
        return None
    if y is not None:  # fitting: the pair effect is integrated out by Gauss-Hermite quadrature
        logits_slots = theta.T[:, :, None] - b_grid.T[:, None, :]              # (2, M, U)
        if observation is None:
            loglik = quadrature_loglik(a_grid.T, logits_slots, sigma_gamma, y=y, mask=mask, points=points,
                                       num_pairs=num_pairs, num_nodes=num_nodes)
        else:
            weights = cell_weights(observation, layer, y=y, mask=mask, xp=jnp)
            loglik = layer_quadrature_loglik(a_grid.T, logits_slots, sigma_gamma, weights=weights, num_pairs=num_pairs,
                                             num_nodes=num_nodes)
        numpyro.factor("y", loglik)
        return None
    logits = theta[:, None, :] - b_grid[None]
    if num_pairs:  # simulating: draw the pair effects explicitly
        with numpyro.plate("model_pair", num_models, dim=-2), numpyro.plate("pair", num_pairs, dim=-1):
            gamma = numpyro.sample("gamma", dist.Normal(0.0, sigma_gamma))
        logits = logits + jnp.pad(gamma, ((0, 0), (0, num_units - num_pairs)))[..., None]
    logits = a_grid[None] * logits
    like = dist.Bernoulli(logits=logits) if points == 1 else dist.Binomial(total_count=points, logits=logits)
    with numpyro.plate("model_unit", num_models, dim=-3), numpyro.plate("unit", num_units, dim=-2), \
            numpyro.plate("slot", 2, dim=-1), numpyro.handlers.mask(mask=True if mask is None else mask):
        return numpyro.sample("y", like)


def reparameterised_gap_model(**static):
    """:func:`gap_model` with its item sites non-centred, and its static arguments bound."""
    config = {site: LocScaleReparam(centered=0.0) for site in ITEM_SITES}
    model = reparam(gap_model, config=config)

    def bound(y=None, mask=None, observe=True):
        return model(**static, y=y, mask=mask, observe=observe)

    return bound


def model_arguments(data: GapData, *, scale: str, unidimensional: bool = False, difficulty_offset=None,
                    ability_df: float | None = None) -> dict:
    """Static keyword arguments of :func:`gap_model` for ``data`` (see it for ``difficulty_offset``, ``ability_df``).

    Each model's abilities are sampled centred or non-centred as its information calls for
    (:func:`gapeval.gap.centring.ability_centring`: all centred in cohorts of
    :data:`gapeval.sampling.GAP_SMALL_COHORT` models or more).
    """
    return dict(item_unit=data.item_unit, item_slot=data.item_slot, partner=data.partner, num_models=data.num_models,
                num_units=data.num_units, num_pairs=data.num_pairs, points=data.points, scale=scale,
                unidimensional=unidimensional, observation=data.observation, difficulty_offset=difficulty_offset,
                ability_df=ability_df, centred_abilities=ability_centring(data))


