"""Fit the explanatory IRT decay model by NUTS or SVI with the Gap Score's runners.

:func:`gapeval.gap.score._run_nuts` and :func:`gapeval.gap.score._run_svi` run on one jitted
potential with uniform starts near the prior's centre; the draws come back as (chain, draw, ...).
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np
import pandas as pd

from gapeval.decay.irt_decay_model import IRTDecayData, reparameterised_irt_decay_model
from gapeval.gap.uniform_start import _run_nuts, _run_svi
from irt import arviz_bridge
from irt.diagnostics import Diagnostics

__all__ = ["fit_irt_decay", "CHECKED_SITES"]

#: Sites whose convergence is checked (the reported quantities and their hyper-parameters).
CHECKED_SITES: tuple[str, ...] = ("lambda", "theta", "nu", "sigma_lambda", "mu", "tau", "sigma_session")


def _diagnostics(samples: dict, stats: dict, *, approximate: bool) -> Diagnostics:
    posterior = {k: v for k, v in samples.items() if k in CHECKED_SITES}
    num_chains = samples["lambda"].shape[0]
    if approximate or num_chains < 2:  # approximate draws (or one chain): R-hat and ESS are not computed
        table = pd.DataFrame(columns=["site", "index", "r_hat", "ess_bulk", "ess_tail"], dtype=float)
    else:
        table = arviz_bridge.convergence_table(posterior, var_names=list(posterior))
    divergences = int(np.asarray(stats.get("diverging", np.zeros(1))).sum())
    return Diagnostics(table=table, num_divergences=divergences, num_chains=num_chains,
                       approximate=approximate)


def fit_irt_decay(data: IRTDecayData, *, inference: str, seed: int, options: dict) -> tuple[dict, Diagnostics, dict]:
    """Fit the model to ``data``; returns draws (chain, draw, ...) of every site, diagnostics and run facts."""
    model = partial(reparameterised_irt_decay_model(data), y=data.y)
    start = time.perf_counter()
    run = _run_nuts if inference == "nuts" else _run_svi
    samples, stats, info = run(model, seed=seed, options=options)
    samples = {k: np.asarray(v) for k, v in samples.items()}
    info.update(seconds=time.perf_counter() - start, approximate=inference != "nuts")
    return samples, _diagnostics(samples, stats, approximate=inference != "nuts"), {**info, "sample_stats": stats}
