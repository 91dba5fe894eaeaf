r"""The exact posterior of one model's (theta_U, theta_G) on a 2-D grid, given a calibration draw, mixed over draws.

For calibration draw s (slopes, difficulties, pair-effect spread, chance levels, judge error rates,
ability population) and a model's answers, the posterior of its abilities on a grid is

.. math::

    p_s(\theta \mid y) \propto \pi(\theta)
        \prod_{c} \sum_q w_q \prod_{i \in c} P_s(\text{record}_i \mid \eta_{sicq}),
    \qquad \eta_{sicq} = a_{si}\,(\theta_{d(i)} + \sigma_{\gamma s} z_q - b_{si}),
    \qquad \pi(\theta) = \frac{1}{S} \sum_{t=1}^{S} N(\theta; \mu_t, \Sigma_t),

with the pair effect of each question c integrated out by Gauss-Hermite quadrature (the nodes and
weights of :mod:`gapeval.gap.likelihood`) and each record seen through the observation layer
:math:`K + U\sigma(\eta) + V\sigma(-\eta)` of :mod:`gapeval.gap.observation` (chance, judges). The
reported posterior is the equal-weight mixture over the draws: the calibration's uncertainty is
propagated, and the new model's answers do not update the item parameters (fixed-item scoring).
The prior :math:`\pi` is the cohort's population predictive distribution, mixed over all the
calibration's draws of (mu, Sigma) and not normalised per draw, so the model's answers weigh the
populations: one outside the cohort's spread is held less to the narrower ones (``prior="per_draw"``,
the former rule, pairs item draw s with population draw s; ``prior_scale`` widens every Sigma_t).
This is the 2-D, testlet-and-judge version of :mod:`irt.grid_scoring` (whose 2PL/3PL likelihood
has neither the pair effect nor judges, so it is not reused).

The grid is placed per model: a coarse grid over the cohort's ability range locates the posterior,
a second pass narrows it, and the final grid spans about +-9 posterior sd of each ability (widened
while more than 1e-5 of the mass sits in its outer cells).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit, logsumexp
from scipy.stats import norm

from gapeval.calibration.record import Calibration, CalibrationError
from gapeval.gap.likelihood import CLIP, pair_effect_nodes
from gapeval.responses import GENERATION_SLOT, UNDERSTANDING_SLOT

__all__ = ["Answers", "GridPosterior", "posterior_on_grid", "answer_weights", "check_prior", "GRID_POINTS", "PRIORS", "PRIOR_SCALE"]

#: Grid points per ability axis.
GRID_POINTS = 41
#: Draws used by the locating passes.
_LOCATE_DRAWS = 6
#: Draws per chunk of the likelihood (bounds memory).
_CHUNK = 16
#: Gauss-Hermite nodes integrating the pair effect out (as when the Gap Score model is fitted).
NUM_NODES = 3


def _nodes(num_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """The pair effect's quadrature, as the Gap Score fit uses it."""
    return pair_effect_nodes(NUM_NODES, num_pairs)


@dataclass(frozen=True)
class Answers:
    """One model's records in calibration codes.

    Attributes
    ----------
    item : numpy.ndarray
        (n,) calibration item code of each record.
    score : numpy.ndarray
        (n,) successes k of ``points`` (0/1 for binary answers, a judge's 0/1 label for judged records).
    judge : numpy.ndarray
        (n,) calibration judge code of a judge's label, -1 for a direct score.
    """

    item: np.ndarray
    score: np.ndarray
    judge: np.ndarray

    @classmethod
    def empty(cls) -> Answers:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))

    def answered_items(self) -> np.ndarray:
        """Distinct item codes, sorted."""
        return np.unique(self.item)


def answer_weights(cal: Calibration, answers: Answers, draws: np.ndarray) -> tuple[np.ndarray, tuple]:
    """(K, U, V) of each answered item and draw: P(records) = K + U sigma(eta) + V sigma(-eta) (binary answers).

    Several records of one item (a direct score and/or judges' labels) multiply into one likelihood
    (judges independent given the truth, Dawid-Skene), as in :func:`gapeval.gap.observation.cell_weights`.

    Returns
    -------
    (items, (K, U, V))
        The distinct answered item codes (m,) and three (draws, m) arrays.
    """
    items = answers.answered_items()
    col = np.searchsorted(items, answers.item)
    s = len(draws)
    log_l1, log_l0 = np.zeros((s, len(items))), np.zeros((s, len(items)))
    direct = answers.judge < 0
    y = answers.score.astype(float)
    with np.errstate(divide="ignore"):
        np.add.at(log_l1, (slice(None), col[direct]), np.log(y[direct]))
        np.add.at(log_l0, (slice(None), col[direct]), np.log(1.0 - y[direct]))
    if (~direct).any():
        sens = np.clip(cal.sensitivity[draws], 1e-6, 1 - 1e-6)[:, answers.judge[~direct]]
        spec = np.clip(cal.specificity[draws], 1e-6, 1 - 1e-6)[:, answers.judge[~direct]]
        label = y[~direct]
        np.add.at(log_l1, (slice(None), col[~direct]), np.where(label > 0, np.log(sens), np.log1p(-sens)))
        np.add.at(log_l0, (slice(None), col[~direct]), np.where(label > 0, np.log1p(-spec), np.log(spec)))
    c = cal.item_chance()[draws][:, items]
    l1, l0 = np.exp(log_l1), np.exp(log_l0)
    return items, (c * l1, (1.0 - c) * l1, (1.0 - c) * l0)


def _item_probabilities(cal: Calibration, items: np.ndarray, weights, draws: np.ndarray, axes, successes=None):
    """P(records of item | theta on its axis, node), (draws, items, nodes, axis points)."""
    nodes, _ = _nodes(cal.num_pairs)
    slot = cal.item_slot[items]
    x = np.where(slot[:, None] == UNDERSTANDING_SLOT, axes[0][None, :], axes[1][None, :])      # (m, n)
    paired = np.array([cal.pairs[i] is not None for i in items])
    shift = cal.sigma_gamma[draws][:, None, None] * nodes[None, None, :] * paired[None, :, None]  # (S, m, Q)
    a, b = cal.a[draws][:, items], cal.b[draws][:, items]
    eta = a[:, :, None, None] * (x[None, :, None, :] + shift[..., None] - b[:, :, None, None])
    eta = np.clip(eta, -CLIP, CLIP)
    if successes is not None:   # binomial k of K (no observation layer)
        k = successes[None, :, None, None]
        return np.exp(k * log_expit(eta) + (cal.points - k) * log_expit(-eta))
    k_w, u_w, v_w = (w[:, :, None, None] for w in weights)
    p = expit(eta)
    return k_w + u_w * p + v_w * (1.0 - p)


def _log_likelihood(cal: Calibration, answers: Answers, draws: np.ndarray, axes) -> np.ndarray:
    """log P(answers | theta on the grid, draw), (draws, nU, nG)."""
    n_u, n_g = len(axes[0]), len(axes[1])
    out = np.zeros((len(draws), n_u, n_g))
    if len(answers.item) == 0:
        return out
    _, node_w = _nodes(cal.num_pairs)
    items = answers.answered_items()
    unit = cal.item_unit[items]
    slot = cal.item_slot[items]
    counts = np.bincount(unit, minlength=len(cal.unit_ids))
    both = counts[unit] == 2
    u_items = np.flatnonzero(both & (slot == UNDERSTANDING_SLOT))
    g_items = np.flatnonzero(both & (slot == GENERATION_SLOT))
    g_items = g_items[np.argsort(unit[g_items], kind="stable")]
    u_items = u_items[np.argsort(unit[u_items], kind="stable")]
    single = np.flatnonzero(~both)
    for start in range(0, len(draws), _CHUNK):
        chunk = draws[start:start + _CHUNK]
        if cal.points == 1:
            _, weights = answer_weights(cal, answers, chunk)
            prob = _item_probabilities(cal, items, weights, chunk, axes)
        else:
            k = np.array([answers.score[answers.item == i][0] for i in items], dtype=float)
            prob = _item_probabilities(cal, items, None, chunk, axes, successes=k)
        ll = np.zeros((len(chunk), n_u, n_g))
        if len(single):
            one = np.log(np.einsum("smqx,q->smx", prob[:, single], node_w))               # (S, m, n)
            is_u = slot[single] == UNDERSTANDING_SLOT
            ll += one[:, is_u].sum(axis=1)[:, :, None] + one[:, ~is_u].sum(axis=1)[:, None, :]
        if len(u_items):
            pu = prob[:, u_items] * node_w[None, None, :, None]
            pg = prob[:, g_items]
            ll += _log_pair_sum(pu, pg)
        out[start:start + len(chunk)] = ll
    return out


def _log_pair_sum(pu: np.ndarray, pg: np.ndarray, group: int = 8) -> np.ndarray:
    """sum_c log sum_q pu[s, c, q, i] pg[s, c, q, k], (S, nU, nG); products of ``group`` pairs before each log."""
    s, c = pu.shape[:2]
    total = np.zeros((s, pu.shape[-1], pg.shape[-1]))
    for start in range(0, c, group):
        block = np.matmul(np.swapaxes(pu[:, start:start + group], -1, -2), pg[:, start:start + group])  # (S, g, i, k)
        total += np.log(np.prod(block, axis=1))
    return total


#: The new model's ability priors :func:`posterior_on_grid` knows.
PRIORS = ("predictive", "per_draw")
#: Default widening of the cohort population's sds in a new model's prior: a 20-model cohort's
#: spread is uncertain and new models may lie outside it (benchmarks/adaptive/RESULTS.md, 2026-12-05:
#: coverage at a quarter of the bank 0.867 at 1, 0.933 at 1.5, for 4% more width).
PRIOR_SCALE = 1.5


def _population_density(cal: Calibration, draws: np.ndarray, axes, scale: float) -> np.ndarray:
    """log N(theta; mu_s, scale^2 Sigma_s) (or the multivariate t) on the grid, (draws, nU, nG)."""
    mu, tau, rho = cal.mu[draws], scale * cal.tau[draws], cal.rho[draws]
    zu = (axes[0][None, :] - mu[:, :1]) / tau[:, :1]                # (S, nU)
    zg = (axes[1][None, :] - mu[:, 1:]) / tau[:, 1:]                # (S, nG)
    r = rho[:, None, None]
    quad = (zu[:, :, None] ** 2 - 2 * r * zu[:, :, None] * zg[:, None, :] + zg[:, None, :] ** 2) / (1 - r ** 2)
    logdet = np.log(tau[:, 0] * tau[:, 1] * np.sqrt(1 - rho ** 2))[:, None, None]
    if cal.ability_df is None:
        return -0.5 * quad - logdet
    nu = cal.ability_df
    return -0.5 * (nu + 2) * np.log1p(quad / nu) - logdet


def _log_prior(cal: Calibration, draws: np.ndarray, axes, prior: str = "predictive",
               scale: float = 1.0) -> np.ndarray:
    """log of the new model's ability prior on the grid, (draws or 1, nU, nG).

    ``"predictive"``: the cohort's population distribution mixed over *all* the calibration's draws
    of (mu, tau, rho), one prior for every item draw; a model outside the cohort's spread gives the
    wider populations more weight (their evidence), instead of being held to each draw's own.
    ``"per_draw"``: item draw s with population draw s (each draw normalised on its own).
    """
    if prior == "per_draw":
        return _population_density(cal, draws, axes, scale)
    return logsumexp(_population_density(cal, np.arange(cal.num_draws), axes, scale), axis=0, keepdims=True)


@dataclass(frozen=True)
class GridPosterior:
    """A model's posterior of (theta_U, theta_G) on a grid, jointly over calibration draws.

    Attributes
    ----------
    axes : tuple of numpy.ndarray
        Grid points of theta_U and theta_G.
    weights : numpy.ndarray
        (draws, nU, nG) joint posterior weights of (draw, grid point), summing to 1 (each draw 1/draws).
    draws : numpy.ndarray
        Calibration draws used.
    """

    axes: tuple
    weights: np.ndarray
    draws: np.ndarray

    @property
    def steps(self) -> tuple[float, float]:
        return float(self.axes[0][1] - self.axes[0][0]), float(self.axes[1][1] - self.axes[1][0])

    @property
    def gap_grid(self) -> np.ndarray:
        return self.axes[0][:, None] - self.axes[1][None, :]

    @property
    def gap_bandwidth(self) -> float:
        """sd of the gap within a grid cell (piecewise-constant density), used to smooth its distribution."""
        return float(np.sqrt((self.steps[0] ** 2 + self.steps[1] ** 2) / 12.0))

    def gap_moments(self) -> tuple[float, float]:
        """Posterior mean and variance of the gap."""
        p = self.weights.sum(axis=0)
        g = self.gap_grid
        mean = float((p * g).sum())
        return mean, float((p * (g - mean) ** 2).sum()) + self.gap_bandwidth ** 2

    def summary(self, level: float) -> dict[str, float]:
        """Gap mean, interval, P(gap > 0), and each ability's mean and sd."""
        p = self.weights.sum(axis=0)
        tail = (1.0 - level) / 2.0
        lower, upper = _smoothed_quantiles(self.gap_grid.ravel(), p.ravel(), self.gap_bandwidth, (tail, 1 - tail))
        h = self.gap_bandwidth
        out = {"gap": self.gap_moments()[0], "gap_lower": lower, "gap_upper": upper,
               "p_gap_positive": float((p * norm.cdf(self.gap_grid / h)).sum())}
        for name, marginal, axis, step in (("theta_understanding", p.sum(axis=1), self.axes[0], self.steps[0]),
                                           ("theta_generation", p.sum(axis=0), self.axes[1], self.steps[1])):
            mean = float(marginal @ axis)
            out[name] = mean
            out[f"{name}_sd"] = float(np.sqrt(max(marginal @ (axis - mean) ** 2, 0.0) + step ** 2 / 12.0))
        return out


def _smoothed_quantiles(values: np.ndarray, weights: np.ndarray, bandwidth: float, probs) -> tuple[float, ...]:
    """Quantiles of the mixture sum_j w_j N(values_j, bandwidth^2), by bisection."""
    keep = weights > 1e-14 * weights.max()
    v, w = values[keep], weights[keep] / weights[keep].sum()
    out = []
    for prob in probs:
        lo, hi = v.min() - 6 * bandwidth, v.max() + 6 * bandwidth
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            if (w * norm.cdf((mid - v) / bandwidth)).sum() < prob:
                lo = mid
            else:
                hi = mid
        out.append(float(0.5 * (lo + hi)))
    return tuple(out)


def check_prior(prior: str, prior_scale: float) -> None:
    """Refuse an unknown ``prior`` or a ``prior_scale`` that is not a positive number."""
    if prior not in PRIORS:
        raise CalibrationError(f"prior={prior!r} is not one of {PRIORS}; use 'predictive' (the default)")
    if isinstance(prior_scale, bool) or not isinstance(prior_scale, int | float) or not 0 < prior_scale < math.inf:
        raise CalibrationError(f"prior_scale={prior_scale!r} must be a positive number (1 = the cohort's spread, "
                               "e.g. 1.5 to widen it)")


def _axes(centre, half, points):
    return tuple(np.linspace(c - h, c + h, points) for c, h in zip(centre, half))


def _weights(cal, answers, draws, axes, prior, scale) -> np.ndarray:
    log_post = _log_likelihood(cal, answers, draws, axes) + _log_prior(cal, draws, axes, prior, scale)
    log_post -= logsumexp(log_post, axis=(1, 2), keepdims=True)
    return np.exp(log_post) / len(draws)


def _moments(weights, axes):
    p = weights.sum(axis=0)
    pu, pg = p.sum(axis=1), p.sum(axis=0)
    mean = np.array([pu @ axes[0], pg @ axes[1]])
    sd = np.sqrt(np.array([pu @ (axes[0] - mean[0]) ** 2, pg @ (axes[1] - mean[1]) ** 2]))
    return mean, sd


def _edge_mass(weights) -> float:
    p = weights.sum(axis=0)
    pu, pg = p.sum(axis=1), p.sum(axis=0)
    return float(max(pu[:2].sum(), pu[-2:].sum(), pg[:2].sum(), pg[-2:].sum()))


def posterior_on_grid(cal: Calibration, answers: Answers, *, draws: np.ndarray | None = None,
                      points: int = GRID_POINTS, prior: str = "predictive",
                      prior_scale: float = PRIOR_SCALE) -> GridPosterior:
    """The model's posterior of (theta_U, theta_G) on a grid placed around it, mixed over ``draws``.

    Parameters
    ----------
    cal : Calibration
    answers : Answers
        The model's records in calibration codes.
    draws : numpy.ndarray, optional
        Calibration draws to mix over (default: all).
    points : int
        Grid points per axis.
    prior : {"predictive", "per_draw"}
        The model's ability prior: the cohort's population distribution mixed over all the
        calibration's draws (its posterior uncertainty; default), or each item draw's own population
        draw.
    prior_scale : float
        Multiplies the population's standard deviations (>= 1 widens the prior for models that may
        lie outside the cohort's spread; default :data:`PRIOR_SCALE`, 1 is the cohort's own).
    """
    check_prior(prior, prior_scale)
    draws = np.arange(cal.num_draws) if draws is None else np.asarray(draws)
    locate = draws[np.linspace(0, len(draws) - 1, min(_LOCATE_DRAWS, len(draws))).round().astype(int)]
    spread = np.sqrt(((prior_scale * cal.tau) ** 2).mean(axis=0) + cal.mu.var(axis=0))
    if cal.ability_df is not None:
        spread = spread * (np.sqrt(cal.ability_df / (cal.ability_df - 2)) if cal.ability_df > 2 else 3.0)
    axes = _axes(cal.mu.mean(axis=0), 6.0 * spread, points)
    for _ in range(2):  # locate, then narrow
        mean, sd = _moments(_weights(cal, answers, locate, axes, prior, prior_scale), axes)
        step = np.array([axes[0][1] - axes[0][0], axes[1][1] - axes[1][0]])
        axes = _axes(mean, 9.0 * np.maximum(sd, step / 2.0), points)
    for _ in range(4):
        weights = _weights(cal, answers, draws, axes, prior, prior_scale)
        if _edge_mass(weights) < 1e-5:
            break
        mean, sd = _moments(weights, axes)
        half = np.array([axes[0][-1] - axes[0][0], axes[1][-1] - axes[1][0]]) / 2.0
        axes = _axes(mean, 1.6 * half, points)
    return GridPosterior(axes=axes, weights=weights, draws=draws)
