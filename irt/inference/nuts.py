"""No-U-Turn sampling of the posterior on the model's sample sites (:func:`irt.fit`'s default, exact estimator).

Takes a :class:`~irt.inference.options.NUTSOptions`. Unlike the flat-vector runner, it samples the
sites themselves, so NumPyro can learn a dense mass matrix for a block of named sites (``dense_mass``).
The chains run as one compiled program of the responses, kept per layout (:mod:`irt.inference.sites`):
a loop of fits of one layout compiles once. With ``progress_bar=True`` the fit runs through NumPyro's
MCMC driver instead (:func:`irt.inference.runners.run_mcmc`, which draws the bar), compiled for that fit.
"""

from __future__ import annotations

import time
import warnings

import jax
from numpyro.infer import NUTS

from irt.errors import SlowFitWarning
from irt.inference.common import device_args, holds_dense_responses, reparameterised, to_numpy
from irt.inference.dense_logistic import fused_likelihood, uses_fused_likelihood
from irt.inference.options import NUTSOptions, resolve_chain_method
from irt.inference.runners import refuse_options, release_compiled_programs, run_mcmc
from irt.inference.sites import sample_nuts, site_layout, split_arguments
from irt.posterior import PosteriorFit
from irt.problem import FitProblem

__all__ = ["NUTSOptions", "run", "model_for", "DENSE_ABILITY_LIMIT", "estimated_cpu_seconds", "SLOW_FIT_SECONDS"]

#: Largest number of abilities (respondents x dimensions) given a dense mass-matrix block by default.
DENSE_ABILITY_LIMIT = 100
#: Process CPU seconds of one NUTS iteration of one chain per response (one dimension): 0.33 s per
#: iteration at 2PL 5,000 x 100 on this project's 2-core machine (``benchmarks/irt/RESULTS.md``,
#: "NUTS at 5,000 x 100"); the 2-D model's iterations cost about 4 times as much (taken as dimensions squared).
SECONDS_PER_RESPONSE_ITERATION = 6.6e-7
#: NUTS fits estimated to take more process CPU seconds than this warn before they sample (SlowFitWarning).
SLOW_FIT_SECONDS = 600.0


def estimated_cpu_seconds(problem: FitProblem, options: NUTSOptions) -> float:
    """A rough estimate of the process CPU seconds of a NUTS fit of ``problem`` (compilation left out).

    Every iteration of every chain evaluates the gradient of the log density over all responses
    once per leapfrog step of its tree; the cost per response and iteration was measured at
    5,000 x 100 (:data:`SECONDS_PER_RESPONSE_ITERATION`), times the dimensions squared.
    A rough figure (the tree depth varies with the data), good for telling seconds from hours.

    Examples
    --------
    >>> import irt
    >>> from irt.problem import resolve_problem
    >>> data, _ = irt.simulate("2pl", num_respondents=5000, num_items=100, seed=0)
    >>> minutes = estimated_cpu_seconds(resolve_problem(data, "2pl", None, None), NUTSOptions()) / 60
    >>> minutes > SLOW_FIT_SECONDS / 60
    True
    """
    iterations = options.num_chains * (options.num_warmup + options.num_samples)
    return iterations * problem.data.num_responses * problem.num_dimensions ** 2 * SECONDS_PER_RESPONSE_ITERATION


def _warn_if_slow(problem: FitProblem, options: NUTSOptions) -> None:
    seconds = estimated_cpu_seconds(problem, options)
    if seconds <= SLOW_FIT_SECONDS:
        return
    data = problem.data
    warnings.warn(
        f"NUTS on {data.num_respondents:,} respondents x {data.num_items:,} items ({data.num_responses:,} "
        f"responses, {problem.num_dimensions} dimension(s)) is estimated to take about {seconds / 60:,.0f} minutes of "
        f"CPU ({options.num_chains} chains x {options.num_warmup + options.num_samples:,} iterations). "
        "method='mml' (marginal maximum likelihood) fits this shape in seconds and method='svi' in about a minute "
        "(docs/irt.md, 'Known limits'); for NUTS anyway, fewer num_samples shorten it, and "
        "warnings.filterwarnings('ignore', category=irt.SlowFitWarning) silences this message",
        SlowFitWarning, stacklevel=4)


def _dense_mass(problem: FitProblem, options: NUTSOptions) -> bool | list:
    if options.dense_mass is not None:
        return options.dense_mass
    if problem.data.num_respondents * problem.num_dimensions > DENSE_ABILITY_LIMIT:
        return False  # many respondents pin the location down; a large dense block would cost more than it saves
    if problem.model == "rasch":
        return [("theta_z", "sigma_theta", "mu_d")]
    return [("theta", "L_omega", "mu_d") if problem.num_dimensions > 1 else ("theta", "mu_d")]


def model_for(problem: FitProblem, options: NUTSOptions, *, dense: bool = False):
    """The (reparameterised) NumPyro model that NUTS samples for ``problem`` under ``options``.

    ``dense``: the responses are the dense matrix of :func:`~irt.inference.common.device_args`. Then the
    binary logistic models (:data:`irt.inference.dense_logistic.FUSED_MODELS`) compute the likelihood and
    its gradient in one pass over the responses (:func:`~irt.inference.dense_logistic.fused_likelihood`),
    so each leapfrog step's gradient reads them once; the posterior is the same model's (the value is exact
    also far in the tails, where NumPyro's starts put the logits: ``exact=True``).
    """
    model = reparameterised(problem, centered=float(options.centered))
    return fused_likelihood(model, exact=True) if uses_fused_likelihood(problem.model_fn, dense=dense) else model


def run(problem: FitProblem, *, seed: int, options: NUTSOptions) -> PosteriorFit:
    """Sample the posterior with NUTS and return the fit (convergence is checked by :func:`irt.fit`)."""
    refuse_options(options, ("warm_start_steps", "learning_rate", "mass_inflation", "min_samples", "block_size"),
                   why="the warm start and the stopping once converged apply to runs on the flat vector "
                   "(irt.inference.runners.run_nuts); irt.fit's NUTS adapts from NumPyro's own starts and "
                   "draws num_samples (leave them at their defaults)")
    _warn_if_slow(problem, options)
    start = time.perf_counter()
    if options.progress_bar:
        draws, sample_stats, chain_method = _run_with_progress_bar(problem, seed=seed, options=options)
    else:
        args = device_args(problem)
        static, data = split_arguments(problem, args)
        chain_method = resolve_chain_method(options.chain_method, options.num_chains)
        dense_mass = _dense_mass(problem, options)
        draws, sample_stats = sample_nuts(model_for(problem, options, dense=holds_dense_responses(args)), static=static,
                                          data=data, seed=seed,
                                          options=options, chain_method=chain_method, dense_mass=dense_mass,
                                          layout=site_layout(problem, static, "nuts", options, dense_mass))
    info = {"method": "nuts", "seconds": time.perf_counter() - start, "chain_method": chain_method,
            "centered": float(options.centered), "approximate": False}
    return PosteriorFit(problem=problem, method="nuts", seed=seed, options=options, info=info,
                        samples=draws, sample_stats=sample_stats)


def _run_with_progress_bar(problem: FitProblem, *, seed: int, options: NUTSOptions):
    """NumPyro's MCMC driver, which draws the progress bar; its programs are compiled for this fit and dropped."""
    args = device_args(problem)
    kernel = NUTS(model_for(problem, options, dense=holds_dense_responses(args)), target_accept_prob=options.target_accept_prob,
                  max_tree_depth=options.max_tree_depth, dense_mass=_dense_mass(problem, options))
    grouped, sample_stats, chain_method = run_mcmc(kernel, jax.random.PRNGKey(seed), options, model_kwargs=args)
    draws = to_numpy(grouped)
    release_compiled_programs()   # else a loop of fits runs out of memory maps (see its docstring)
    return draws, sample_stats, chain_method
