"""``fit_gap_model``: the Gap Score model fitted to laid-out data by NUTS or SVI.

The one module of :func:`~gapeval.gap.score.gap_score`'s path that needs JAX and NumPyro (through the
model and :mod:`irt.inference`); ``gap_score`` imports it when it fits, so that
``from gapeval import gap_score`` stays light.
"""

from __future__ import annotations

import numpy as np

from gapeval.gap.layout import GapData
from gapeval.gap.model import model_arguments, reparameterised_gap_model
from gapeval.gap.result import CHECKED_SITES, GapResult
from gapeval.responses import form_gap
from irt.diagnostics import Diagnostics
from irt.inference.compiled import layout_key
from irt.inference.options import NUTSOptions, SVIOptions
from irt.inference.runners import run_nuts, run_svi

__all__ = ["fit_gap_model"]


def fit_gap_model(data: GapData, *, scale: str, level: float, seed: int, options: NUTSOptions | SVIOptions,
                  unidimensional: bool = False, difficulty_offset: tuple[float, float] | None = None,
                  ability_df: float | None = None) -> GapResult:
    """Fit the Gap Score model to laid-out data and return the record (no table, no warnings).

    ``options`` says how: a :class:`~irt.inference.options.NUTSOptions` samples the posterior by
    NUTS, an :class:`~irt.inference.options.SVIOptions` fits the mean-field approximation.
    ``difficulty_offset`` (mean, sd) and ``ability_df`` are those of :func:`gapeval.gap.model.gap_model`.
    """
    static = model_arguments(data, scale=scale, unidimensional=unidimensional, difficulty_offset=difficulty_offset,
                             ability_df=ability_df)
    inference = "nuts" if isinstance(options, NUTSOptions) else "svi"
    # The answers are the programs' arguments and the rest of the layout their key: a data set of the
    # same layout reuses the compiled programs (irt.inference.compiled).
    run = (run_nuts if inference == "nuts" else run_svi)(
        reparameterised_gap_model(**static), seed=seed, options=options, data={"y": data.y, "mask": data.mask},
        layout=layout_key("gapeval.gap.model", static))
    samples = dict(run.samples)
    theta = np.broadcast_to(samples["theta"], samples["theta"].shape[:-1] + (2,)).copy()
    theta[..., data.counts == 0] = np.nan
    samples["theta"] = theta
    samples["gap"] = form_gap(theta)
    diagnostics = Diagnostics.from_draws(samples, sites=CHECKED_SITES, sample_stats=run.sample_stats,
                                         approximate=run.info["approximate"])
    return GapResult(data=data, scale=scale, level=level, inference=inference, seed=seed, samples=samples,
                     sample_stats=run.sample_stats, diagnostics=diagnostics, options=options,
                     info={**run.info, "unidimensional": unidimensional}, difficulty_offset=difficulty_offset,
                     ability_df=ability_df)
