r"""The NumPyro model behind the Gap Score (``docs/methods.md`` §2) and the data layout it runs on.

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
Abilities are centred (each model answers many items), the item sites non-centred (each item has
few answers). On the paired scale the item sites live in their sum-to-zero subspace
(:mod:`gapeval.gap.sum_zero`: ``log_a_z``, ``b_z``), so no direction of the sampler's space is
invisible to the likelihood. The abilities are sampled on the scale the pair effect attenuates them
to, k * theta with k = 1/sqrt(1 + 0.346 sigma_gamma^2) (see :func:`sample_abilities`; same prior and
posterior), so that a change of sigma_gamma does not drag every theta with it. On the standardized
scale ``log_a`` is non-centred through
:class:`numpyro.infer.reparam.LocScaleReparam` and the difficulties come from ``b_z``.

References
----------
Bradlow, E. T., Wainer, H. & Wang, X. (1999). A Bayesian random effects model for testlets.
*Psychometrika* 64, 153-168.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd
from numpyro.handlers import reparam
from numpyro.infer.reparam import LocScaleReparam
from scipy.special import gammaln, log_expit, logsumexp

from gapeval.gap.sum_zero import paired_item_parameters
from gapeval.responses import direction_slots

__all__ = ["GapData", "build_gap_data", "gap_model", "reparameterised_gap_model", "marginal_loglik",
           "sample_abilities", "sample_item_parameters", "ITEM_SITES"]

#: Sites given a non-centred (LocScaleReparam(0)) parameterisation.
ITEM_SITES: tuple[str, ...] = ("log_a",)


@dataclass(frozen=True, eq=False)
class GapData:
    """Responses in the dense layout of :func:`gap_model`.

    Attributes
    ----------
    model_ids : tuple
        Model (respondent) ids in row order.
    unit_ids : tuple
        Pair id of each unit (the item id for an unpaired item); pairs come first.
    num_pairs : int
        Units ``0..num_pairs-1`` are pairs (they carry a pair effect).
    item_ids : tuple
        Item ids in code order.
    item_unit, item_slot : numpy.ndarray
        Unit and slot (0 understanding, 1 generation) of each item.
    y : numpy.ndarray
        Successes, int32 (models, units, 2); 0 where unobserved.
    mask : numpy.ndarray
        Observed cells, bool (models, units, 2).
    points : int
        Evaluation points K per answer (1 = binary).
    """

    model_ids: tuple
    unit_ids: tuple
    num_pairs: int
    item_ids: tuple
    item_unit: np.ndarray
    item_slot: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    points: int

    @property
    def num_models(self) -> int:
        return len(self.model_ids)

    @property
    def num_units(self) -> int:
        return len(self.unit_ids)

    @property
    def partner(self) -> np.ndarray:
        """For the generation form of a pair, the code of its understanding form; -1 otherwise."""
        lookup = np.full((self.num_units, 2), -1)
        lookup[self.item_unit, self.item_slot] = np.arange(len(self.item_ids))
        partner = lookup[self.item_unit, 0]
        return np.where((self.item_slot == 1) & (self.item_unit < self.num_pairs), partner, -1)

    @property
    def counts(self) -> np.ndarray:
        """Answered items per model and direction, (models, 2)."""
        return self.mask.sum(axis=1)

    def swapped(self) -> GapData:
        """The same data with the direction labels exchanged (for invariance checks)."""
        return GapData(self.model_ids, self.unit_ids, self.num_pairs, self.item_ids, self.item_unit,
                       1 - self.item_slot, self.y[..., ::-1].copy(), self.mask[..., ::-1].copy(), self.points)


def build_gap_data(frame: pd.DataFrame, *, points: int, use_pairs: bool) -> GapData:
    """Lay out a standardized long table (columns ``model, item, direction, score[, pair]``).

    ``score`` holds k/K (``points=K``) and becomes the integer k. With ``use_pairs`` a pair id
    groups one understanding and one generation item into a unit; otherwise every item is its own
    unit.
    """
    items = frame.drop_duplicates("item")[["item", "direction"] + (["pair"] if use_pairs else [])]
    items = items.sort_values("item", kind="stable").reset_index(drop=True)
    slot = direction_slots(items["direction"])
    if use_pairs:
        paired = items["pair"].notna().to_numpy()
        pair_keys = items["pair"].where(paired, None)
    else:
        paired = np.zeros(len(items), dtype=bool)
        pair_keys = pd.Series([None] * len(items))
    pair_ids = sorted(pd.unique(pair_keys[paired]).tolist(), key=str) if paired.any() else []
    single_ids = items.loc[~paired, "item"].tolist()
    unit_of_pair = {p: k for k, p in enumerate(pair_ids)}
    unit = np.empty(len(items), dtype=np.int64)
    unit[paired] = [unit_of_pair[p] for p in pair_keys[paired]]
    unit[~paired] = len(pair_ids) + np.arange(int((~paired).sum()))
    model_ids = tuple(sorted(pd.unique(frame["model"]).tolist(), key=str))
    model_code = pd.Index(model_ids).get_indexer(frame["model"])
    item_code = pd.Index(items["item"]).get_indexer(frame["item"])
    shape = (len(model_ids), len(pair_ids) + len(single_ids), 2)
    y = np.zeros(shape, dtype=np.int32)
    mask = np.zeros(shape, dtype=bool)
    k = np.rint(frame["score"].to_numpy(dtype=float) * points).astype(np.int32)
    y[model_code, unit[item_code], slot[item_code]] = k
    mask[model_code, unit[item_code], slot[item_code]] = True
    return GapData(model_ids=model_ids, unit_ids=tuple(pair_ids) + tuple(single_ids), num_pairs=len(pair_ids),
                   item_ids=tuple(items["item"].tolist()), item_unit=unit, item_slot=slot, y=y, mask=mask,
                   points=int(points))


def _centred(x: jnp.ndarray, groups: np.ndarray | None = None) -> jnp.ndarray:
    """``x`` minus its mean (within each group of ``groups`` when given)."""
    if groups is None:
        return x - jnp.mean(x)
    out = x
    for g in np.unique(groups):
        sel = groups == g
        out = out - jnp.where(sel, jnp.sum(jnp.where(sel, x, 0.0)) / sel.sum(), 0.0)
    return out


def sample_abilities(num_models: int, *, scale: str, unidimensional: bool, attenuation=1.0) -> jnp.ndarray:
    """theta (models x 2), centred (each model answers many items); columns equal when ``unidimensional``.

    The 2 x 2 LKJ(2) prior on the correlation is written directly: (rho + 1) / 2 ~ Beta(2, 2), and
    the bivariate normal as theta_U ~ N(mu_U, tau_U), theta_G | theta_U normal (same density as
    MVN(mu, diag(tau) Omega diag(tau)), fewer operations to trace).

    With ``attenuation`` k (a function of sigma_gamma, see :func:`gap_model`) the sampled sites hold
    k * theta, drawn from the correspondingly scaled normals, and theta = sampled / k: the same
    prior and posterior for theta, with the sampled values on the scale the data pin down.
    """
    k = attenuation
    num_dims = 1 if unidimensional else 2
    if scale == "paired":
        with numpyro.plate("dimension", num_dims):
            mu = numpyro.sample("mu", dist.Normal(0.0, 3.0))
            tau = numpyro.sample("tau", dist.HalfNormal(2.0))
    else:
        mu, tau = jnp.zeros(num_dims), jnp.ones(num_dims)
    if num_dims == 1:
        with numpyro.plate("model", num_models):
            theta = numpyro.sample("theta_u", dist.Normal(k * mu[0], k * tau[0])) / k
        return jnp.stack([theta, theta], axis=-1)
    rho = 2.0 * numpyro.sample("rho_beta", dist.Beta(2.0, 2.0)) - 1.0
    numpyro.deterministic("omega", jnp.array([[1.0, 0.0], [0.0, 1.0]]) + rho * jnp.array([[0.0, 1.0], [1.0, 0.0]]))
    with numpyro.plate("model", num_models):
        theta_u = numpyro.sample("theta_u", dist.Normal(k * mu[0], k * tau[0])) / k
        cond_mean = mu[1] + rho * tau[1] / tau[0] * (theta_u - mu[0])
        theta_g = numpyro.sample("theta_g", dist.Normal(k * cond_mean, k * tau[1] * jnp.sqrt(1.0 - rho ** 2))) / k
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


#: Logits are clipped to +-CLIP inside the likelihood: sigmoid(-30) = 1e-13, so the product of a
#: pair's two probabilities stays far above float32's smallest normal number.
CLIP = 30.0


def _quadrature_loglik(a_slots, logits, sigma_gamma, *, y, mask, points, num_pairs, num_nodes):
    """Sum over (model, unit) of log sum_q w_q prod_slot P(y | gamma = sigma_gamma * node_q).

    Slot-major layout: ``a_slots`` (2, units) and ``logits`` = theta - b (2, models, units); ``y``
    and ``mask`` are in the data layout (models, units, 2). Units are the contiguous axis, so every
    operation is a loop over long rows (the earlier (models, units, 2, nodes) layout put the short
    slot and node axes innermost and cost ~3x more CPU per gradient on 20 models x 600 pairs).

    Binary answers are computed in probability space: for each (slot, model, unit) the probability
    of the observed answer is sigmoid(+-eta) (sign 2y - 1), a masked cell contributes 1, and one log
    per (model, unit) follows the weighted sum over nodes: one exponential per term instead of two
    log-sigmoids and a log-sum-exp. Binomial answers (``points > 1``) are summed in log space.
    """
    num_units = logits.shape[-1]
    nodes, weights = np.polynomial.hermite_e.hermegauss(num_nodes if num_pairs else 1)
    weights = weights / weights.sum()
    is_pair = np.arange(num_units) < num_pairs
    y = jnp.moveaxis(jnp.asarray(y), -1, 0)                                # (2, M, U)
    mask = jnp.moveaxis(jnp.asarray(mask), -1, 0)
    base = a_slots[:, None, :] * logits                                    # (2, M, U)
    step = jnp.where(is_pair, a_slots * sigma_gamma, 0.0)[:, None, :]      # (2, 1, U)
    if points == 1:
        sign = jnp.where(y > 0, 1.0, -1.0)
        base, step = sign * base, sign * step
        total = 0.0
        for node, weight in zip(nodes, weights):
            prob = jnp.where(mask, jax.nn.sigmoid(jnp.clip(base + node * step, -CLIP, CLIP)), 1.0)
            total = total + weight * prob[0] * prob[1]
        return jnp.sum(jnp.log(total))
    terms = []
    for node, weight in zip(nodes, weights):
        eta = base + node * step
        ll = jnp.where(mask, points * jax.nn.log_sigmoid(eta) - (points - y) * eta, 0.0)
        terms.append(ll[0] + ll[1] + np.log(weight))
    return jnp.sum(jax.scipy.special.logsumexp(jnp.stack(terms), axis=0))


def gap_model(*, item_unit, item_slot, partner, num_models, num_units, num_pairs, points, scale="paired",
              unidimensional=False, num_nodes=3, observe=True, y=None, mask=None):
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
                                                            attenuation=attenuation))
    if scale == "paired":
        a, b = paired_item_parameters(item_slot, partner)
    else:
        a, b = sample_item_parameters(item_slot, partner, scale=scale)
    a_grid = jnp.ones((num_units, 2)).at[item_unit, item_slot].set(a)
    b_grid = jnp.zeros((num_units, 2)).at[item_unit, item_slot].set(b)
    if not observe:  # parameters only (used to turn draws into reported quantities)
        return None
    if y is not None:  # fitting: the pair effect is integrated out by Gauss-Hermite quadrature
        logits_slots = theta.T[:, :, None] - b_grid.T[:, None, :]              # (2, M, U)
        numpyro.factor("y", _quadrature_loglik(a_grid.T, logits_slots, sigma_gamma, y=y, mask=mask, points=points,
                                               num_pairs=num_pairs, num_nodes=num_nodes))
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


def model_arguments(data: GapData, *, scale: str, unidimensional: bool = False) -> dict:
    """Static keyword arguments of :func:`gap_model` for ``data``."""
    return dict(item_unit=data.item_unit, item_slot=data.item_slot, partner=data.partner, num_models=data.num_models,
                num_units=data.num_units, num_pairs=data.num_pairs, points=data.points, scale=scale,
                unidimensional=unidimensional)


def marginal_loglik(data: GapData, *, theta, a, b, sigma_gamma, num_nodes: int = 15,
                    chunk: int = 100) -> np.ndarray:
    """Log-likelihood of each answered question, pair effect integrated out (Gauss-Hermite).

    The unit of observation is a (model, unit) cell: both forms of a pair together. Parameters are
    draws with a leading draw axis: ``theta`` (S, models, 2), ``a`` and ``b`` (S, items),
    ``sigma_gamma`` (S,) or None (no pairs).

    Returns
    -------
    numpy.ndarray
        (S, n_cells) over the answered (model, unit) cells in row-major order.
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(num_nodes)
    log_w = np.log(weights / weights.sum())
    cells = data.mask.any(axis=2)
    is_pair = np.arange(data.num_units) < data.num_pairs
    const = gammaln(data.points + 1) - gammaln(data.y + 1) - gammaln(data.points - data.y + 1)
    out = []
    for start in range(0, len(theta), chunk):
        th, aa, bb = (np.asarray(v[start:start + chunk], dtype=np.float64) for v in (theta, a, b))
        s = len(th)
        a_grid = np.ones((s, data.num_units, 2))
        b_grid = np.zeros((s, data.num_units, 2))
        a_grid[:, data.item_unit, data.item_slot] = aa
        b_grid[:, data.item_unit, data.item_slot] = bb
        if sigma_gamma is None:
            shift = np.zeros((s, 1, 1))
        else:
            sg = np.asarray(sigma_gamma[start:start + chunk], dtype=np.float64)
            shift = sg[:, None, None] * nodes[None, None, :] * is_pair[None, :, None]   # (S, U, Q)
        eta = a_grid[:, None, :, :, None] * (th[:, :, None, :, None] - b_grid[:, None, :, :, None]
                                             + shift[:, None, :, None, :])          # (S, M, U, 2, Q)
        y = data.y[None, ..., None]
        ll = y * log_expit(eta) + (data.points - y) * log_expit(-eta) + const[None, ..., None]
        ll = np.where(data.mask[None, ..., None], ll, 0.0).sum(axis=3)              # (S, M, U, Q)
        ll = logsumexp(ll + log_w, axis=-1)
        out.append(ll[:, cells])
    return np.concatenate(out)
