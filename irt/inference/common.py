"""Pieces shared by the NumPyro-based estimators."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from numpyro.handlers import reparam
from numpyro.infer.reparam import LocScaleReparam

from irt.grid_scoring import grid_theta_draws
from irt.problem import FitProblem

__all__ = ["reparameterised", "device_args", "HIERARCHICAL_SITES", "to_numpy", "draw_from_guide", "guide_draws",
           "dense_responses", "holds_dense_responses", "grid_theta", "intercepts_at_mean_decentered"]

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
    """Model keyword arguments with the data as NumPy arrays of JAX's dtypes (the compiled programs take them as
    arguments; building them in NumPy compiles no small JAX programs).

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
        args.update(respondent=np.arange(data.num_respondents, dtype=np.int32)[:, None],
                    item=np.arange(data.num_items, dtype=np.int32)[None, :], y=y,
                    mask=None if observed.all() else observed)
    else:
        args.update(respondent=_as_jax_dtype(data.respondent), item=_as_jax_dtype(data.item),
                    y=_as_jax_dtype(data.response), batch_size=batch_size)
    return args


def holds_dense_responses(args: dict[str, Any]) -> bool:
    """Whether ``args`` (from :func:`device_args`) hold the dense M x I response matrix, not the long form."""
    return np.ndim(args["respondent"]) == 2


def _as_jax_dtype(values: np.ndarray) -> np.ndarray:
    """``values`` as a NumPy array of the dtype JAX would give it (64-bit types narrowed unless x64 is on)."""
    return np.asarray(values, dtype=jax.dtypes.canonicalize_dtype(np.asarray(values).dtype))


def to_numpy(samples: dict[str, Any]) -> dict[str, np.ndarray]:
    """Convert every site's draws to NumPy (the observed site ``y`` is dropped)."""
    return {k: np.asarray(v) for k, v in samples.items() if k != "y"}


def draw_from_guide(model, guide, params, *, key, num_draws: int, args: dict[str, Any]) -> dict[str, np.ndarray]:
    """Draws of every latent and deterministic site from a fitted guide, as one chain (1, draw, ...)."""
    draws = guide_draws(model, guide, params, key=key, num_draws=num_draws, args=args)
    return {k: v[None] for k, v in to_numpy(draws).items()}


def guide_draws(model, guide, params, *, key, num_draws: int, args: dict[str, Any]) -> dict[str, Any]:
    """:func:`draw_from_guide`'s draws (draw, ...) as JAX arrays, so that a compiled program can return them."""
    from numpyro import handlers
    from numpyro.infer import Predictive

    trace = handlers.trace(handlers.seed(model, 0)).get_trace(**args)
    sites = [name for name, site in trace.items()
             if (site["type"] == "sample" and not site["is_observed"]) or site["type"] == "deterministic"]
    key_guide, key_model = jax.random.split(key)
    # sample_posterior, not the guide's __call__: a Laplace guide's __call__ is the point mass at the mode.
    latent = guide.sample_posterior(key_guide, params, sample_shape=(num_draws,))
    return {**latent, **Predictive(model, posterior_samples=latent, return_sites=sites)(key_model, **args)}


def dense_responses(problem: FitProblem) -> np.ndarray:
    """The responses as a respondents x items float matrix, NaN where not answered (the grid's input)."""
    data = problem.data
    matrix = np.full((data.num_respondents, data.num_items), np.nan)
    matrix[data.respondent, data.item] = data.response
    return matrix


def grid_theta(problem: FitProblem, samples: dict, responses: np.ndarray, *, seed: int,
               d: np.ndarray | None = None) -> np.ndarray:
    """One θ per respondent for each draw of the item parameters, from its exact grid posterior given them.

    ``samples`` are one chain of draws (1, draw, ...) of the model's sites; ``d`` (draw, items, ...)
    replaces their intercepts. Returns (draw, respondent, dimension); see :func:`irt.grid_scoring.grid_theta_draws`.
    """
    num_items, num_dims = problem.data.num_items, problem.num_dimensions
    num_draws = samples["d"].shape[1]
    if problem.model == "rasch":
        a = np.ones((num_draws, num_items))
        cov = samples["sigma_theta"][0][:, None, None] ** 2
    else:
        a = samples["a"][0]
        if problem.model == "1pl":
            a = np.broadcast_to(a[:, None], (num_draws, num_items))
        cov = samples["omega"][0] if num_dims > 1 else np.ones((num_draws, 1, 1))
    g = samples["g"][0] if "g" in samples else None
    return grid_theta_draws(problem.model, responses, a=a, d=samples["d"][0] if d is None else d, g=g,
                            prior_cov=cov, seed=seed)


def intercepts_at_mean_decentered(problem: FitProblem, samples: dict) -> np.ndarray:
    """The non-centred ``d_at_mean`` site's draws that reproduce these draws of ``d`` and θ (see ``models.twopl``)."""
    from irt import models

    theta_mean = samples["theta"][0].mean(axis=1)  # (draw, dims)
    a = samples["a"][0]
    shift = a * theta_mean if a.ndim == 2 else np.einsum("sik,sk->si", a, theta_mean)
    mu = samples["mu_d"][0]
    if mu.ndim == 2:
        mu = mu[:, models.first_dimension(problem.q_matrix)]
    else:
        mu = mu[:, None]
    return ((samples["d"][0] + shift - mu) / samples["sigma_d"][0][:, None])[None]
