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
    checks = _Checks(data)
    # The answers are the programs' arguments and the rest of the layout their key: a data set of the
    # same layout reuses the compiled programs (irt.inference.compiled).
    model, layout = reparameterised_gap_model(**static), layout_key("gapeval.gap.model", static)
    arrays = {"y": data.y, "mask": data.mask}
    if inference == "nuts":
        run = run_nuts(model, seed=seed, options=options, data=arrays, layout=layout, converged=checks)
    else:
        run = run_svi(model, seed=seed, options=options, data=arrays, layout=layout)
    samples = checks.reported(run.samples)
    diagnostics = checks.diagnostics(samples, run.sample_stats, approximate=run.info["approximate"])
    return GapResult(data=data, scale=scale, level=level, inference=inference, seed=seed, samples=samples,
                     sample_stats=run.sample_stats, diagnostics=diagnostics, options=options,
                     info={**run.info, "unidimensional": unidimensional}, difficulty_offset=difficulty_offset,
                     ability_df=ability_df)


class _Checks:
    """The fit's convergence checks (:data:`CHECKED_SITES`), asked by NUTS after each block of draws.

    Called with the draws so far it returns the failed checks (NUTS stops when there are none); the
    last diagnostics are kept, so the fit does not compute them again for the same draws.
    """

    def __init__(self, data: GapData):
        self._data, self._last = data, None

    def __call__(self, samples: dict, sample_stats: dict) -> list[str]:
        reported = self.reported(samples)
        return self.diagnostics(reported, sample_stats, approximate=False).problems()

    def reported(self, samples: dict) -> dict:
        """The sampler's draws with each model's two abilities (NaN where it answered none) and its gap."""
        samples = dict(samples)
        theta = np.broadcast_to(samples["theta"], samples["theta"].shape[:-1] + (2,)).copy()
        theta[..., self._data.counts == 0] = np.nan
        samples["theta"] = theta
        samples["gap"] = form_gap(theta)
        return samples

    def diagnostics(self, samples: dict, sample_stats: dict, *, approximate: bool) -> Diagnostics:
        draws = samples["theta"].shape[:2]
        if self._last is not None and self._last[0] == (draws, approximate):
            return self._last[1]
        diagnostics = Diagnostics.from_draws(samples, sites=CHECKED_SITES, sample_stats=sample_stats,
                                             approximate=approximate)
        self._last = ((draws, approximate), diagnostics)
        return diagnostics
