"""Stochastic variational inference on the model's sample sites, with minibatches, for large response matrices.

Takes a :class:`~irt.inference.options.SVIOptions` (its ``guide`` and ``batch_size`` apply here only).

Its intervals come from a variational approximation (AutoNormal: independent normals in the
unconstrained space; or a low-rank multivariate normal) and are labelled approximate: they are
typically too narrow.
"""

from __future__ import annotations

import time

import jax
import numpy as np
from numpyro.infer import SVI, Trace_ELBO
from numpyro.infer.autoguide import AutoLowRankMultivariateNormal, AutoNormal
from numpyro.optim import Adam

from irt.inference.common import device_args, draw_from_guide, reparameterised
from irt.inference.options import SVIOptions
from irt.inference.runners import release_compiled_programs
from irt.posterior import PosteriorFit
from irt.problem import FitProblem

__all__ = ["SVIOptions", "run"]

_GUIDES = {"normal": AutoNormal, "lowrank": AutoLowRankMultivariateNormal}


def run(problem: FitProblem, *, seed: int, options: SVIOptions) -> PosteriorFit:
    """Fit the guide by SVI and return draws from it as a (one-chain) posterior fit."""
    batch = options.batch_size
    if batch is not None and batch >= problem.data.num_responses:
        batch = None
    model = reparameterised(problem, centered=0.0)
    guide = _GUIDES[options.guide](model, init_scale=options.init_scale)
    svi = SVI(model, guide, Adam(options.schedule()), Trace_ELBO())
    args = device_args(problem, batch_size=batch, dense=False if batch else None)
    start = time.perf_counter()
    key_fit, key_draw = jax.random.split(jax.random.PRNGKey(seed))
    result = svi.run(key_fit, options.num_steps, progress_bar=False, stable_update=True, **args)
    draw_args = dict(args, batch_size=None) if "batch_size" in args else args
    samples = draw_from_guide(model, guide, result.params, key=key_draw, num_draws=options.num_draws, args=draw_args)
    losses = np.asarray(result.losses)
    release_compiled_programs()
    info = {"method": "svi", "seconds": time.perf_counter() - start, "centered": 0.0, "approximate": True,
            "final_loss": float(losses[-min(100, len(losses)):].mean()), "batch_size": batch}
    return PosteriorFit(problem=problem, method="svi", seed=seed, options=options, info=info, samples=samples)
