"""No-U-Turn sampling of the posterior (the default, exact estimator)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jax
import numpy as np
from numpyro.infer import MCMC, NUTS

from irt.inference.common import device_args, reparameterised, to_numpy
from irt.posterior import PosteriorFit
from irt.problem import FitProblem

__all__ = ["Options", "run", "release_compiled_programs"]


def release_compiled_programs() -> None:
    """Free the programs JAX compiled for a finished MCMC run.

    Every NumPyro MCMC run leaves its compiled programs in JAX's caches, and each holds memory maps
    (about 850-1,100 per fit of the models here). Linux allows 65,530 maps per process
    (``vm.max_map_count``), so a loop of fits stopped after 58-75 fits with "LLVM compilation error:
    Cannot allocate memory". The programs are never reused (every fit compiles its own closures), so
    they are dropped right after the draws are copied out; other jitted code recompiles on its next call.
    """
    jax.clear_caches()


@dataclass(frozen=True)
class Options:
    """NUTS settings (NumPyro's names).

    Attributes
    ----------
    num_warmup, num_samples, num_chains : int
        Warm-up and kept iterations per chain, and the number of chains.
    chain_method : str or None
        ``"parallel"``, ``"sequential"`` or ``"vectorized"``; ``None`` picks ``"parallel"`` when
        JAX sees a device per chain (``numpyro.set_host_device_count``) and ``"vectorized"`` otherwise.
    target_accept_prob : float
        Step-size adaptation target.
    max_tree_depth : int
        Maximum tree depth.
    dense_mass : bool, list of tuples of site names, or None
        NumPyro's ``dense_mass``. ``None`` (default) learns a dense mass matrix for the block of the
        abilities and the intercept mean (``theta``, ``mu_d``, and ``L_omega`` with several
        dimensions) and a diagonal one elsewhere, when there are at most ``DENSE_ABILITY_LIMIT``
        abilities (respondents x dimensions; diagonal throughout above): the common location of all abilities is weakly
        identified (by their N(0, 1) prior) and moves together with ``mu_d``, a direction a diagonal
        mass matrix explores slowly. ``False`` is diagonal throughout.
    centered : float
        Parameterisation of the hierarchical item sites: 0 non-centred (the default; robust when
        there are few items or few responses per item), 1 centred, or in between.
    progress_bar : bool
        Show NumPyro's progress bar.
    """

    num_warmup: int = 500
    num_samples: int = 1000
    num_chains: int = 2
    chain_method: str | None = None
    target_accept_prob: float = 0.8
    max_tree_depth: int = 10
    dense_mass: bool | list | None = None
    centered: float = 0.0
    progress_bar: bool = False

    def __post_init__(self):
        for name in ("num_warmup", "num_samples", "num_chains"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.chain_method not in (None, "parallel", "sequential", "vectorized"):
            raise ValueError(f"chain_method {self.chain_method!r} is not one of 'parallel', 'sequential', 'vectorized'")


def _chain_method(options: Options) -> str:
    if options.chain_method is not None:
        return options.chain_method
    return "parallel" if jax.local_device_count() >= options.num_chains else "vectorized"


#: Largest number of abilities (respondents x dimensions) given a dense mass-matrix block by default.
DENSE_ABILITY_LIMIT = 100


def _dense_mass(problem: FitProblem, options: Options) -> bool | list:
    if options.dense_mass is not None:
        return options.dense_mass
    if problem.data.num_respondents * problem.num_dimensions > DENSE_ABILITY_LIMIT:
        return False  # many respondents pin the location down; a large dense block would cost more than it saves
    if problem.model == "rasch":
        return [("theta_z", "sigma_theta", "mu_d")]
    return [("theta", "L_omega", "mu_d") if problem.num_dimensions > 1 else ("theta", "mu_d")]


def model_for(problem: FitProblem, options: dict | Options):
    """The (reparameterised) NumPyro model that NUTS samples for ``problem`` under ``options``."""
    if isinstance(options, dict):
        options = Options(**options)
    return reparameterised(problem, centered=float(options.centered))


def run(problem: FitProblem, *, seed: int, options: Options) -> PosteriorFit:
    """Sample the posterior with NUTS and return the fit (convergence is checked by :func:`irt.fit`)."""
    centered = float(options.centered)
    kernel = NUTS(model_for(problem, options), target_accept_prob=options.target_accept_prob,
                  max_tree_depth=options.max_tree_depth, dense_mass=_dense_mass(problem, options))
    mcmc = MCMC(kernel, num_warmup=options.num_warmup, num_samples=options.num_samples,
                num_chains=options.num_chains, chain_method=_chain_method(options),
                progress_bar=options.progress_bar)
    start = time.perf_counter()
    mcmc.run(jax.random.PRNGKey(seed), extra_fields=("diverging", "num_steps"), **device_args(problem))
    draws = to_numpy(mcmc.get_samples(group_by_chain=True))
    extra = mcmc.get_extra_fields(group_by_chain=True)
    sample_stats = {"diverging": np.asarray(extra["diverging"]), "n_steps": np.asarray(extra["num_steps"])}
    release_compiled_programs()
    info = {"seconds": time.perf_counter() - start, "chain_method": _chain_method(options), "centered": centered,
            "approximate": False}
    return PosteriorFit(problem=problem, method="nuts", seed=seed, options=options, info=info,
                        samples=draws, sample_stats=sample_stats)
