"""Fit the explanatory IRT decay model through the sampler layer of :mod:`irt.inference.runners`.

NUTS (:data:`gapeval.sampling.IRT_DECAY_NUTS`: uniform starts near the prior's centre) or mean-field
SVI on the model's flat unconstrained vector; the draws come back as (chain, draw, ...) and are
diagnosed by :meth:`irt.Diagnostics.from_draws`.
"""

from __future__ import annotations

from functools import partial

from gapeval.decay.irt_decay_model import IRTDecayData, reparameterised_irt_decay_model
from irt.diagnostics import Diagnostics
from irt.inference.options import NUTSOptions, SVIOptions
from irt.inference.runners import SamplerRun, run_nuts, run_svi

__all__ = ["fit_irt_decay", "CHECKED_SITES"]

#: Sites whose convergence is checked (the reported quantities and their hyper-parameters).
CHECKED_SITES: tuple[str, ...] = ("lambda", "theta", "nu", "sigma_lambda", "mu", "tau", "sigma_session",
                                  "sigma_dialogue")


def fit_irt_decay(data: IRTDecayData, *, seed: int, options: NUTSOptions | SVIOptions) -> tuple[SamplerRun, Diagnostics]:
    """Fit the model to ``data`` by NUTS or SVI (as ``options`` says); the run and its diagnostics."""
    model = partial(reparameterised_irt_decay_model(data), y=data.y)
    run = (run_nuts if isinstance(options, NUTSOptions) else run_svi)(model, seed=seed, options=options)
    diagnostics = Diagnostics.from_draws(run.samples, sites=CHECKED_SITES, sample_stats=run.sample_stats,
                                         approximate=run.info["approximate"])
    return run, diagnostics
