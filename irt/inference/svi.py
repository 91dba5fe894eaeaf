"""Stochastic variational inference on the model's sample sites, with minibatches, for large response matrices.

Takes a :class:`~irt.inference.options.SVIOptions` (its ``guide``, ``batch_size`` and ``grid_theta``
apply here only).

The item side comes from a variational approximation (AutoNormal: independent normals in the
unconstrained space; or a low-rank multivariate normal). The guide's own θ marginals are far too
narrow (95% coverage of the true θ 0.35-0.80 at 20 x 600, 0.27 at 10^6 responses), so by default
(``grid_theta=True``, at most two dimensions) θ is redrawn for every draw of the item parameters
from its exact grid posterior given them (:func:`_theta_given_items`): the fixed-item correction.
Beyond two dimensions, or with ``grid_theta=False``, the θ table reports point estimates only.

The guide starts at the prior's medians (θ = 0, slopes 1), not NumPyro's default of uniform draws
in (-2, 2): from those, 3 of 20 fits at 20 x 600 settled in a mode where the slopes grow and θ
shrinks (θ r 0.82-0.94). Such fits are flagged by :func:`scale_check` (an
:class:`irt.ApproximationWarning`; the tables' ``attrs["interval"]`` says "not trustworthy").
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from functools import partial

import numpy as np
from numpyro.infer.autoguide import AutoLowRankMultivariateNormal, AutoNormal
from numpyro.infer.initialization import init_to_median

from irt.diagnostics import ApproximationWarning
from irt.grid_scoring import MAX_GRID_DIMENSIONS
from irt.inference.common import (
    dense_responses, device_args, grid_theta, holds_dense_responses, intercepts_at_mean_decentered, reparameterised,
)
from irt.inference.dense_logistic import fused_likelihood, uses_fused_likelihood
from irt.inference.options import SVIOptions
from irt.inference.sites import fit_svi, site_layout, split_arguments
from irt.posterior import PosteriorFit
from irt.problem import FitProblem

__all__ = ["SVIOptions", "run", "fit_model", "scale_check", "SCALE_CHECK_LIMIT", "SPREAD_CHECK_LIMIT"]

_GUIDES = {"normal": AutoNormal, "lowrank": AutoLowRankMultivariateNormal}
#: Prior draws whose median is the guide's starting point (:func:`numpyro.infer.init_to_median`).
_INIT_DRAWS = 15
#: Largest |mean / sd| of the scale score over the draws that :func:`scale_check` lets pass.
SCALE_CHECK_LIMIT = 2.0
#: Largest |log| factor between σ_log a and its slopes' spread that :func:`scale_check` lets pass.
SPREAD_CHECK_LIMIT = 0.25
#: Points of the grid on which :func:`_redraw_scale` draws the common scale (±8 sd around its mode).
_SCALE_GRID_POINTS = 801


def run(problem: FitProblem, *, seed: int, options: SVIOptions) -> PosteriorFit:
    """Fit the guide by SVI and return draws from it as a (one-chain) posterior fit."""
    batch = options.batch_size
    if batch is not None and batch >= problem.data.num_responses:
        batch = None
    options = options.resolved(minibatches=batch is not None)
    model, args = fit_model(problem, batch_size=batch)
    static, data = split_arguments(problem, args)
    draw_static = dict(static, batch_size=None) if "batch_size" in static else static
    guide_class = partial(_GUIDES[options.guide], init_loc_fn=init_to_median(num_samples=_INIT_DRAWS))
    start = time.perf_counter()
    # One compiled program per layout (irt.inference.sites): a loop of fits of one layout compiles once.
    samples, losses = fit_svi(model, guide_class, static=static, draw_static=draw_static, data=data,
                              seed=seed, options=options, layout=site_layout(problem, static, "svi", options))
    info = {"method": "svi", "seconds": time.perf_counter() - start, "centered": 0.0, "approximate": True,
            "final_loss": float(losses.mean()), "batch_size": batch,
            "theta_intervals": "guide"}
    if options.grid_theta and problem.num_dimensions <= MAX_GRID_DIMENSIONS:
        grid_start, grid_cpu = time.perf_counter(), time.process_time()
        samples = _theta_given_items(problem, samples, seed=seed)
        info.update(theta_intervals="grid", grid_seconds=time.perf_counter() - grid_start,
                    grid_cpu_seconds=time.process_time() - grid_cpu)
    info.update(scale_check(problem, samples))
    info["seconds"] = time.perf_counter() - start
    return PosteriorFit(problem=problem, method="svi", seed=seed, options=options, info=info, samples=samples)


def fit_model(problem: FitProblem, *, batch_size: int | None) -> tuple[Callable, dict]:
    """The model SVI fits and its keyword arguments: the non-centred site model, fused where it applies.

    Minibatches (``batch_size``) take the long form; otherwise :func:`~irt.inference.common.device_args`
    chooses. On dense responses of the binary logistic models
    (:data:`irt.inference.dense_logistic.FUSED_MODELS`) the full-batch ELBO's likelihood and its
    gradient are one tiled pass over the responses (:func:`irt.inference.dense_logistic.fused_likelihood`),
    which reads them as int8 (a quarter of int32's bytes); the draws are the same model's. Its form
    for steps that take the gradient alone (``for_gradient``: every step is
    :func:`irt.inference.sites.gradient_step`; the loss of the last :data:`~irt.inference.sites.LOSS_STEPS`
    steps is a pass of its own).
    """
    args = device_args(problem, batch_size=batch_size, dense=False if batch_size else None)
    model = reparameterised(problem, centered=0.0)
    if not uses_fused_likelihood(problem.model_fn, dense=holds_dense_responses(args)):
        return model, args
    return fused_likelihood(model, for_gradient=True), dict(args, y=args["y"].astype(np.int8))


def _theta_given_items(problem: FitProblem, samples: dict, *, seed: int) -> dict:
    r"""The guide's draws with θ redrawn from its exact posterior given each draw of the item parameters.

    For each draw of the items from the guide, one θ per respondent is drawn from its grid posterior
    given them (:func:`irt.inference.common.grid_theta`), so θ carries the item side's uncertainty
    and not the mean-field guide's own, too narrow, θ marginals.

    In the models whose intercepts sit at the respondents' mean ability
    (:func:`irt.models._intercepts_at_mean`: ``d_i = e_i - a_i^\top\bar\theta``) the likelihood sees
    θ only through :math:`\theta - \bar\theta`, and the posterior of the common location
    :math:`\bar\theta` is exactly its prior, :math:`N(0, \Omega / M)`, independent of everything
    else. A mean-field guide collapses it (each θ's variance is the inverse of its own precision,
    which leaves out the :math:`1/M` of the location: sd 0.22 with 20 respondents). So
    :math:`\bar\theta` is redrawn from :math:`N(0, \Omega/M)` for each draw, and the intercepts the
    grid holds fixed are :math:`d_i = e_i - a_i^\top\bar\theta`. The grid's θ are independent given
    the items, so a draw's own mean is that location plus the mean of its deviations, which the
    model fixes at 0; each draw is moved along the likelihood's ridge to put its mean at the location
    (:func:`_pin_location`). The returned draws of ``d``, ``d_at_mean`` and its non-centred site
    agree with the new θ, so the likelihood of the draws is the grid's.
    """
    rng = np.random.default_rng([seed, 20])
    first = {k: v[0] for k, v in samples.items()}
    d = first["d"]
    located = "d_at_mean" in first
    if located:
        a = first["a"]
        cov = first["omega"] if "omega" in first else np.ones((a.shape[0], 1, 1))
        location = np.einsum("sij,sj->si", np.linalg.cholesky(cov), rng.standard_normal(cov.shape[:2]))
        location /= np.sqrt(problem.data.num_respondents)
        d = first["d_at_mean"] - _shift(a, location)
    theta = grid_theta(problem, samples, dense_responses(problem), seed=int(rng.integers(2**31 - 1)), d=d)
    if located:
        theta, d = _pin_location(theta, d, first["a"], location)
    out = dict(samples, theta=theta[None], d=d[None])
    if located:
        out["d_at_mean"] = (d + _shift(first["a"], theta.mean(axis=1)))[None]
        out["d_at_mean_decentered"] = intercepts_at_mean_decentered(problem, out)
    if "log_a" in out and "sigma_log_a" in out and problem.num_dimensions == 1:
        out = _redraw_scale(out, rng)
    if "theta_z" in out:
        out["theta_z"] = (out["theta"][0] / first["sigma_theta"][:, None, None])[None]
    return out


def _redraw_scale(samples: dict, rng: np.random.Generator) -> dict:
    r"""Redraw the common scale of θ and the slopes from its conditional posterior, one draw at a time.

    The likelihood does not change along :math:`\theta \to c\,\theta`, :math:`\log a \to \log a - u`
    (:math:`u = \log c`). What sets u is θ's N(0, 1) prior and an anchor of the log-slopes:

    - a free mean log-slope (:func:`irt.models._log_slopes`, more respondents than items) moves with
      them, :math:`\mu_{\log a} \to \mu_{\log a} - u`, and only its own prior
      :math:`N(0, 0.5)` anchors u: anchor mean :math:`m = \mu_{\log a}`, precision :math:`\tau = 1/0.5^2`;
    - a mean log-slope fixed at 0 (more items than respondents) leaves the slopes' prior
      :math:`N(0, \sigma_{\log a})` as the anchor: :math:`\sum_i (\log a_i - u)^2 / (2\sigma^2_{\log a})`
      is, in u, :math:`m = \overline{\log a}`, :math:`\tau = I / \sigma^2_{\log a}` (I loadings).

    The conditional log density of u is :math:`Mu - e^{2u}\sum_m \theta_m^2/2 - \tau (m - u)^2 / 2`
    (the first term is the Jacobian of θ's M coordinates). SVI's noisy steps follow that direction
    slowly: at 10^6 responses (free mean) the guide's θ came out off in scale although r = 0.995, and at
    10^7 (fixed mean, 10,000 log-slopes) at 0.97 of it with the scale score 35 sd from 0. Its mode is
    found by Newton steps and u drawn from the exact density by inverse CDF on a grid of ±8 sd around
    it (sd about :math:`1/\sqrt{2M + \tau}`; the normal approximation at the mode put the mean 0.1 sd
    off with 50 respondents). With a fixed mean the non-centred ``log_a_decentered`` follows
    (:math:`\log a / \sigma_{\log a}`); ``sigma_log_a`` is left as the guide drew it, so that
    :func:`scale_check`'s second identity tests it against the redrawn slopes.
    """
    from irt.models import MU_LOG_A_SD

    theta, log_a = samples["theta"][0], samples["log_a"][0]
    free = "mu_log_a" in samples
    if free:
        anchor, precision = samples["mu_log_a"][0], np.full(theta.shape[0], 1.0 / MU_LOG_A_SD**2)
    else:
        sigma = samples["sigma_log_a"][0]
        anchor, precision = log_a.mean(axis=1), log_a.shape[1] / sigma**2
    num_respondents, total = theta.shape[1], (theta[..., 0] ** 2).sum(axis=1)
    u = np.zeros_like(anchor)
    for _ in range(30):
        slope = num_respondents - np.exp(2 * u) * total + (anchor - u) * precision
        curvature = 2 * np.exp(2 * u) * total + precision
        u = u + slope / curvature
    # the exact conditional by inverse CDF on a grid of ±8 sd (of the normal at the mode) around the mode
    grid = u[:, None] + np.linspace(-8.0, 8.0, _SCALE_GRID_POINTS) / np.sqrt(curvature)[:, None]
    log_density = (num_respondents * grid - np.exp(2 * grid) * total[:, None] / 2
                   - precision[:, None] * (anchor[:, None] - grid) ** 2 / 2)
    density = np.exp(log_density - log_density.max(axis=1, keepdims=True))
    cdf = np.concatenate([np.zeros((len(u), 1)), np.cumsum((density[:, 1:] + density[:, :-1]) / 2, axis=1)], axis=1)
    target = rng.uniform(size=len(u)) * cdf[:, -1]
    u = np.array([np.interp(target[s], cdf[s], grid[s]) for s in range(len(u))])
    c = np.exp(u)
    out = dict(samples, theta=(theta * c[:, None, None])[None], a=(samples["a"][0] / c[:, None])[None],
               log_a=(log_a - u[:, None])[None])
    if free:
        out["mu_log_a"] = (samples["mu_log_a"][0] - u)[None]
    elif "log_a_decentered" in samples:
        out["log_a_decentered"] = (out["log_a"][0] / sigma[:, None])[None]
    return out


def _pin_location(theta: np.ndarray, d: np.ndarray, a: np.ndarray,
                  location: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Move each draw along :math:`\theta \to \theta - s`, :math:`d \to d + a^\top s` so that its θ̄ is ``location``.

    The grid draws each θ independently given the intercepts, so a draw's :math:`\bar\theta` is the
    location plus the mean of the respondents' deviations, which the model fixes at 0: the mean-field
    guide's intercepts sit off along :math:`e_i \to e_i + a_i^\top c` (the deviations then move by
    :math:`-c`), and that error, shared by every respondent, is not in the posterior. The move leaves
    every logit :math:`a_i^\top\theta_m + d_i` unchanged and puts :math:`\bar\theta` at its exact
    posterior draw. ``theta`` (draw, respondent, dimension), ``d`` (draw, item), ``a`` slopes (draw,
    item) or loadings (draw, item, dimension), ``location`` (draw, dimension).
    """
    drift = theta.mean(axis=1) - location
    return theta - drift[:, None, :], d + _shift(a, drift)


def _shift(a: np.ndarray, location: np.ndarray) -> np.ndarray:
    """:math:`a_i^\\top\\bar\\theta` for each draw: slopes (S, I) or loadings (S, I, D) times locations (S, D)."""
    return a * location if a.ndim == 2 else np.einsum("sik,sk->si", a, location)


def scale_check(problem: FitProblem, samples: dict, *, stacklevel: int = 4) -> dict:
    r"""Check that the draws balance θ's scale and the slopes' spread as the posterior must; warn when not.

    Two moves leave the likelihood unchanged, so under the posterior the mean of the log density's
    derivative along each (its Jacobian included) is exactly 0:

    - **scale** (θₖ → cθₖ, aₖ → aₖ/c for every ability and loading of dimension k), checked where
      the mean log-slope is fixed at 0 (:func:`irt.models.scale_on_items`):

      .. math:: g_k = M - \sum_m \theta_{mk} (\Omega^{-1}\theta_m)_k + \sum_{i \in k} \log a_{ik} / \sigma_{\log a}^2 ;

      statistic :math:`|\bar g_k| / \mathrm{sd}(g_k)` over the draws. Fits that settled where the
      slopes grow and θ shrinks: 8-15 (2PL 20 x 600); 40 converged fits (2PL 20 x 600, 2-D 20 x 1200)
      0.00-0.31 (``benchmarks/irt/RESULTS.md``). In one dimension the scale is redrawn from its
      conditional posterior first (:func:`_redraw_scale`), which sets this one to about 0.
    - **spread** (:math:`\sigma_{\log a} \to s\,\sigma_{\log a}` with the log-slopes fixed; I
      loadings, :math:`z_i = (\log a_i - \mu_{\log a}) / \sigma_{\log a}`, the HalfNormal(1) prior):

      .. math:: h = \sum_i z_i^2 - I - \sigma_{\log a}^2 + 1 ,

      so :math:`E[\sum_i z_i^2] = E[I - 1 + \sigma^2_{\log a}]`. Statistic: half the |log| of the
      ratio of the two means over the draws, i.e. how far (as a log factor) the guide's
      :math:`\sigma_{\log a}` is from the spread of its slopes; limit :data:`SPREAD_CHECK_LIMIT`
      (a factor 1.28), or 2 sds of :math:`\log\sigma_{\log a}`'s conditional posterior given the
      slopes, :math:`2/\sqrt{2I}`, where that is more (fewer than 32 loadings: with 5-8 items a
      mean-field guide's σ_log a is that uncertain and short test fits sat 1.37-1.66 from their
      slopes). Not in sds of σ_log a's conditional posterior: that sd is 0.7% at 10,000
      items, where a converged mean-field fit's σ_log a sat 1-5 of them (1-3%) from its slopes, with θ
      covered as it should be. The scale redraw leaves :math:`\sigma_{\log a}` as the guide drew it,
      so this check still sees a fit whose slopes collapsed together (all 5x too large with
      :math:`\sigma_{\log a}` 3.3, scale redrawn: above 2).

    Above either limit an :class:`irt.ApproximationWarning` is issued. Models without hierarchical
    log-slopes (Rasch, 1PL) are not checked.

    Returns
    -------
    dict
        ``scale_check`` ("passed", "failed" or "not applicable"), ``scale_check_z`` (the scale
        statistic; NaN with a free ``mu_log_a`` or when not applicable) and ``scale_check_spread``
        (the spread statistic; NaN when not applicable), for the fit's ``info``.
    """
    if "sigma_log_a" not in samples or "log_a" not in samples:
        return {"scale_check": "not applicable", "scale_check_z": float("nan"), "scale_check_spread": float("nan")}
    log_a, sigma = samples["log_a"][0], samples["sigma_log_a"][0]
    mu = samples["mu_log_a"][0][:, None] if "mu_log_a" in samples else 0.0
    z = float("nan") if "mu_log_a" in samples else _scale_score_z(problem, samples)
    z2 = (((log_a - mu) / sigma[:, None]) ** 2).sum(axis=1)
    num_loadings = log_a.shape[1]
    spread = float(abs(np.log(z2.mean() / (num_loadings - 1 + (sigma**2).mean()))) / 2)
    spread_limit = max(SPREAD_CHECK_LIMIT, 2 / np.sqrt(2 * num_loadings))
    verdict = {"scale_check_z": z, "scale_check_spread": spread}
    if not (z > SCALE_CHECK_LIMIT or spread > spread_limit):
        return {"scale_check": "passed", **verdict}
    scale = (f"the scale score's |mean / sd| {z:.1f}, limit {SCALE_CHECK_LIMIT}; " if np.isfinite(z)
             else "")   # not computed with a free mean log-slope (the identity does not apply there)
    warnings.warn(f"the SVI fit failed its scale check ({scale}sigma_log_a a factor {np.exp(spread):.2f} from its "
                  f"slopes' spread, limit {np.exp(spread_limit):.2f}): it settled where the slopes and the abilities "
                  "are out of balance, so its estimates and intervals are not trustworthy. Refit with another seed "
                  "or more num_steps, or use method='nuts'", ApproximationWarning, stacklevel=stacklevel)
    return {"scale_check": "failed", **verdict}


def _scale_score_z(problem: FitProblem, samples: dict) -> float:
    """The largest |mean / sd| over the draws of the scale score g_k of :func:`scale_check`."""
    theta, log_a, sigma = samples["theta"][0], samples["log_a"][0], samples["sigma_log_a"][0]
    num_draws, num_respondents, num_dims = theta.shape
    precision = (np.linalg.inv(samples["omega"][0]) if "omega" in samples
                 else np.ones((num_draws, 1, 1)))
    quadratic = np.einsum("smk,skj,smj->sk", theta, precision, theta)
    dimension = np.nonzero(problem.q_matrix)[1]  # the dimension of each loading, in log_a's order
    slopes = np.stack([log_a[:, dimension == k].sum(axis=1) for k in range(num_dims)], axis=1)
    score = num_respondents - quadratic + slopes / sigma[:, None] ** 2
    return float(np.max(np.abs(score.mean(axis=0)) / score.std(axis=0)))
