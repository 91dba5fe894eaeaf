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
from functools import partial

import numpy as np
from numpyro.infer.autoguide import AutoLowRankMultivariateNormal, AutoNormal
from numpyro.infer.initialization import init_to_median

from irt.diagnostics import ApproximationWarning
from irt.grid_scoring import MAX_GRID_DIMENSIONS
from irt.inference.common import (
    dense_responses, device_args, grid_theta, intercepts_at_mean_decentered, reparameterised,
)
from irt.inference.options import SVIOptions
from irt.inference.sites import fit_svi, site_layout, split_arguments
from irt.posterior import PosteriorFit
from irt.problem import FitProblem

__all__ = ["SVIOptions", "run", "scale_check", "SCALE_CHECK_LIMIT"]

_GUIDES = {"normal": AutoNormal, "lowrank": AutoLowRankMultivariateNormal}
#: Prior draws whose median is the guide's starting point (:func:`numpyro.infer.init_to_median`).
_INIT_DRAWS = 15
#: Largest |mean / sd| of the scale score over the draws that :func:`scale_check` lets pass.
SCALE_CHECK_LIMIT = 2.0


def run(problem: FitProblem, *, seed: int, options: SVIOptions) -> PosteriorFit:
    """Fit the guide by SVI and return draws from it as a (one-chain) posterior fit."""
    batch = options.batch_size
    if batch is not None and batch >= problem.data.num_responses:
        batch = None
    model = reparameterised(problem, centered=0.0)
    static, data = split_arguments(problem, device_args(problem, batch_size=batch, dense=False if batch else None))
    draw_static = dict(static, batch_size=None) if "batch_size" in static else static
    guide_class = partial(_GUIDES[options.guide], init_loc_fn=init_to_median(num_samples=_INIT_DRAWS))
    start = time.perf_counter()
    # One compiled program per layout (irt.inference.sites): a loop of fits of one layout compiles once.
    samples, losses = fit_svi(model, guide_class, static=static, draw_static=draw_static, data=data,
                              seed=seed, options=options, layout=site_layout(problem, static, "svi", options))
    info = {"method": "svi", "seconds": time.perf_counter() - start, "centered": 0.0, "approximate": True,
            "final_loss": float(losses[-min(100, len(losses)):].mean()), "batch_size": batch,
            "theta_intervals": "guide"}
    if options.grid_theta and problem.num_dimensions <= MAX_GRID_DIMENSIONS:
        grid_start, grid_cpu = time.perf_counter(), time.process_time()
        samples = _theta_given_items(problem, samples, seed=seed)
        info.update(theta_intervals="grid", grid_seconds=time.perf_counter() - grid_start,
                    grid_cpu_seconds=time.process_time() - grid_cpu)
    info.update(scale_check(problem, samples))
    info["seconds"] = time.perf_counter() - start
    return PosteriorFit(problem=problem, method="svi", seed=seed, options=options, info=info, samples=samples)


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
    grid holds fixed are :math:`d_i = e_i - a_i^\top\bar\theta`. The returned draws of ``d``,
    ``d_at_mean`` and its non-centred site agree with the new θ, so the likelihood of the draws is
    the grid's.
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
    out = dict(samples, theta=theta[None], d=d[None])
    if located:
        out["d_at_mean"] = (d + _shift(first["a"], theta.mean(axis=1)))[None]
        out["d_at_mean_decentered"] = intercepts_at_mean_decentered(problem, out)
    if "mu_log_a" in out and problem.num_dimensions == 1:
        out = _redraw_scale(out, rng)
    if "theta_z" in out:
        out["theta_z"] = (out["theta"][0] / first["sigma_theta"][:, None, None])[None]
    return out


def _redraw_scale(samples: dict, rng: np.random.Generator) -> dict:
    r"""Redraw the common scale of θ and the slopes from its conditional posterior, one draw at a time.

    With a free mean log-slope (:func:`irt.models._log_slopes`, more respondents than items) the
    likelihood does not change along :math:`	heta 	o c\,	heta`, :math:`a 	o a/c`,
    :math:`\mu_{\log a} 	o \mu_{\log a} - \log c`, and neither does the slopes' prior given
    :math:`\mu_{\log a}`: only θ's N(0, 1) prior and :math:`\mu_{\log a} \sim N(0, 0.5)` set
    :math:`u = \log c`. Its conditional log density is
    :math:`Mu - e^{2u}\sum_m	heta_m^2/2 - (\mu_{\log a} - u)^2 / (2 \cdot 0.5^2)` (the first term is
    the Jacobian), which SVI's noisy steps follow slowly (at 10^6 responses the guide's θ came out
    off in scale although r = 0.995). Its mode is found by Newton steps and u drawn from the normal
    approximation there (sd about :math:`1/\sqrt{2M}`).
    """
    from irt.models import MU_LOG_A_SD

    theta, mu = samples["theta"][0], samples["mu_log_a"][0]
    num_respondents, total = theta.shape[1], (theta[..., 0] ** 2).sum(axis=1)
    precision_mu = 1.0 / MU_LOG_A_SD**2
    u = np.zeros_like(mu)
    for _ in range(30):
        slope = num_respondents - np.exp(2 * u) * total + (mu - u) * precision_mu
        curvature = 2 * np.exp(2 * u) * total + precision_mu
        u = u + slope / curvature
    u = u + rng.standard_normal(u.shape) / np.sqrt(2 * np.exp(2 * u) * total + precision_mu)
    c = np.exp(u)
    return dict(samples, theta=(theta * c[:, None, None])[None], a=(samples["a"][0] / c[:, None])[None],
                log_a=(samples["log_a"][0] - u[:, None])[None], mu_log_a=(mu - u)[None])


def _shift(a: np.ndarray, location: np.ndarray) -> np.ndarray:
    """:math:`a_i^\\top\\bar\\theta` for each draw: slopes (S, I) or loadings (S, I, D) times locations (S, D)."""
    return a * location if a.ndim == 2 else np.einsum("sik,sk->si", a, location)


def scale_check(problem: FitProblem, samples: dict, *, stacklevel: int = 4) -> dict:
    r"""Check that the draws balance θ's scale as the posterior must, and warn when they do not.

    The likelihood does not change along :math:`\theta_{mk} \to c\,\theta_{mk}`,
    :math:`a_{ik} \to a_{ik}/c` (every ability and loading of dimension k), so the posterior mean of
    the derivative of the log density along it (the Jacobian :math:`M` included) is exactly 0. With
    the mean log-slope fixed at 0 (:func:`irt.models.scale_on_items`) that derivative is

    .. math:: g_k = M - \sum_m \theta_{mk} (\Omega^{-1}\theta_m)_k + \sum_{i \in k} \log a_{ik} / \sigma_{\log a}^2 .

    Fits that settled where the slopes grow and θ shrinks have :math:`|\bar g_k| / \mathrm{sd}(g_k)`
    of 8-15 (2PL 20 x 600); 40 converged fits (2PL 20 x 600, 2-D 20 x 1200) 0.00-0.31
    (``benchmarks/irt/RESULTS.md``). Above :data:`SCALE_CHECK_LIMIT` an
    :class:`irt.ApproximationWarning` is issued. Models without a
    hierarchical slope with a fixed mean (Rasch, 1PL, a free ``mu_log_a``, whose scale
    :func:`_redraw_scale` sets in one dimension) are not checked.

    Returns
    -------
    dict
        ``scale_check`` ("passed", "failed" or "not applicable") and ``scale_check_z`` (the largest
        :math:`|\bar g_k| / \mathrm{sd}(g_k)`, NaN when not applicable), for the fit's ``info``.
    """
    if "sigma_log_a" not in samples or "mu_log_a" in samples or "log_a" not in samples:
        return {"scale_check": "not applicable", "scale_check_z": float("nan")}
    theta, log_a, sigma = samples["theta"][0], samples["log_a"][0], samples["sigma_log_a"][0]
    num_draws, num_respondents, num_dims = theta.shape
    precision = (np.linalg.inv(samples["omega"][0]) if "omega" in samples
                 else np.ones((num_draws, 1, 1)))
    quadratic = np.einsum("smk,skj,smj->sk", theta, precision, theta)
    dimension = np.nonzero(problem.q_matrix)[1]  # the dimension of each loading, in log_a's order
    slopes = np.stack([log_a[:, dimension == k].sum(axis=1) for k in range(num_dims)], axis=1)
    score = num_respondents - quadratic + slopes / sigma[:, None] ** 2
    z = float(np.max(np.abs(score.mean(axis=0)) / score.std(axis=0)))
    if z <= SCALE_CHECK_LIMIT:
        return {"scale_check": "passed", "scale_check_z": z}
    warnings.warn(f"the SVI fit failed its scale check (|mean / sd| of the scale score {z:.1f} > "
                  f"{SCALE_CHECK_LIMIT}): it settled where the slopes grow and the abilities shrink, so its "
                  "estimates and intervals are not trustworthy. Refit with another seed or more num_steps, "
                  "or use method='nuts'", ApproximationWarning, stacklevel=stacklevel)
    return {"scale_check": "failed", "scale_check_z": z}
