"""Pieces shared by the NumPyro-based estimators."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from numpyro.handlers import reparam
from numpyro.infer.reparam import LocScaleReparam

from irt.problem import FitProblem

__all__ = ["reparameterised", "device_args", "HIERARCHICAL_SITES", "to_numpy", "draw_from_guide"]

#: Hierarchical sites given a location-scale reparameterisation.
HIERARCHICAL_SITES: tuple[str, ...] = ("log_a", "d", "d_at_mean", "d_first")

def reparameterised(problem: FitProblem, *, centered: float):
    """The model with ``LocScaleReparam(centered)`` on the hierarchical item sites.

    ``centered=0`` is the non-centred form (good when items have few responses each), ``1`` the
    centred one (good when each item has hundreds of responses).
    """
    config = {site: LocScaleReparam(centered=centered) for site in HIERARCHICAL_SITES}
    return reparam(problem.model_fn, config=config)


def device_args(problem: FitProblem, *, batch_size: int | None = None, dense: bool | None = None) -> dict[str, Any]:
    """Model keyword arguments with the data as JAX arrays.

    The dense form (an M x I matrix with a mask) is used when at least half the cells are observed
    and no minibatching is asked for; otherwise the long form (one entry per response).
    """
    data = problem.data
    num_cells = data.num_respondents * data.num_items
    if dense is None:
        dense = batch_size is None and data.num_responses >= 0.5 * num_cells
    args = dict(problem.static_kwargs)
    if dense:
        y = np.zeros((data.num_respondents, data.num_items), dtype=np.int32)
        observed = np.zeros_like(y, dtype=bool)
        y[data.respondent, data.item] = data.response
        observed[data.respondent, data.item] = True
        args.update(respondent=jnp.arange(data.num_respondents)[:, None], item=jnp.arange(data.num_items)[None, :],
                    y=jnp.asarray(y), mask=None if observed.all() else jnp.asarray(observed))
    else:
        args.update(respondent=jnp.asarray(data.respondent), item=jnp.asarray(data.item),
                    y=jnp.asarray(data.response), batch_size=batch_size)
    return args


def to_numpy(samples: dict[str, Any]) -> dict[str, np.ndarray]:
    """Convert every site's draws to NumPy (the observed site ``y`` is dropped)."""
    return {k: np.asarray(v) for k, v in samples.items() if k != "y"}


def draw_from_guide(model, guide, params, *, key, num_draws: int, args: dict[str, Any]) -> dict[str, np.ndarray]:
    """Draws of every latent and deterministic site from a fitted guide, as one chain (1, draw, ...)."""
    from numpyro import handlers
    from numpyro.infer import Predictive

    trace = handlers.trace(handlers.seed(model, 0)).get_trace(**args)
    sites = [name for name, site in trace.items()
             if (site["type"] == "sample" and not site["is_observed"]) or site["type"] == "deterministic"]
    key_guide, key_model = jax.random.split(key)
    # sample_posterior, not the guide's __call__: a Laplace guide's __call__ is the point mass at the mode.
    latent = guide.sample_posterior(key_guide, params, sample_shape=(num_draws,))
    draws = Predictive(model, posterior_samples=latent, return_sites=sites)(key_model, **args)
    return {k: v[None] for k, v in to_numpy({**latent, **draws}).items()}
