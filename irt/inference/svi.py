"""Stochastic variational inference with minibatches, for large response matrices.

Its intervals come from a variational approximation (AutoNormal: independent normals in the
unconstrained space; or a low-rank multivariate normal) and are labelled approximate: they are
typically too narrow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jax
import numpy as np
from numpyro.infer import SVI, Trace_ELBO
from numpyro.infer.autoguide import AutoLowRankMultivariateNormal, AutoNormal
from numpyro.optim import Adam

from irt.inference.common import device_args, draw_from_guide, reparameterised
from irt.posterior import PosteriorFit
from irt.problem import FitProblem

__all__ = ["Options", "run"]

_GUIDES = {"normal": AutoNormal, "lowrank": AutoLowRankMultivariateNormal}


@dataclass(frozen=True)
class Options:
    """SVI settings.

    Attributes
    ----------
    num_steps : int
        Optimisation steps.
    batch_size : int or None
        Responses per minibatch; ``None`` uses every response at each step.
    learning_rate : float
        Adam step size.
    guide : str
        ``"normal"`` (AutoNormal) or ``"lowrank"`` (AutoLowRankMultivariateNormal).
    num_draws : int
        Draws taken from the fitted guide.
    init_scale : float
        Initial scale of the guide.
    """

    num_steps: int = 5000
    batch_size: int | None = None
    learning_rate: float = 0.02
    guide: str = "normal"
    num_draws: int = 1000
    init_scale: float = 0.1

    def __post_init__(self):
        if self.guide not in _GUIDES:
            raise ValueError(f"unknown guide {self.guide!r}; choose one of {list(_GUIDES)}")
        if int(self.num_steps) < 1 or int(self.num_draws) < 2:
            raise ValueError("num_steps must be >= 1 and num_draws >= 2")
        if self.batch_size is not None and int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer or None, got {self.batch_size!r}")


def run(problem: FitProblem, *, seed: int, options: Options) -> PosteriorFit:
    """Fit the guide by SVI and return draws from it as a (one-chain) posterior fit."""
    batch = options.batch_size
    if batch is not None and batch >= problem.data.num_responses:
        batch = None
    model = reparameterised(problem, centered=0.0)
    guide = _GUIDES[options.guide](model, init_scale=options.init_scale)
    svi = SVI(model, guide, Adam(options.learning_rate), Trace_ELBO())
    args = device_args(problem, batch_size=batch, dense=False if batch else None)
    start = time.perf_counter()
    key_fit, key_draw = jax.random.split(jax.random.PRNGKey(seed))
    result = svi.run(key_fit, options.num_steps, progress_bar=False, stable_update=True, **args)
    draw_args = dict(args, batch_size=None) if "batch_size" in args else args
    samples = draw_from_guide(model, guide, result.params, key=key_draw, num_draws=options.num_draws, args=draw_args)
    losses = np.asarray(result.losses)
    info = {"seconds": time.perf_counter() - start, "centered": 0.0, "approximate": True,
            "final_loss": float(losses[-min(100, len(losses)):].mean()), "batch_size": batch}
    return PosteriorFit(problem=problem, method="svi", seed=seed, options=options, info=info, samples=samples)
