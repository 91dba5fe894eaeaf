"""The compiled programs of :func:`irt.fit`'s site-based NUTS and SVI, kept per layout.

NumPyro's ``MCMC`` and ``SVI`` drivers compile closures over the data on every fit, so a loop of fits
of one layout compiled every time, and each fit's programs had to be dropped from JAX's caches
(:func:`~irt.inference.runners.release_compiled_programs`) before the memory maps ran out. Here a fit
is one program of the seed's key and the responses (NumPyro's NUTS kernel from its functional
interface, or an SVI fit and its draws), kept by :mod:`irt.inference.compiled` under the layout: the
model function, its static arguments (sizes, Q-matrix, chance levels), the options and the shapes of
the responses. A second data set of the same layout runs the compiled program.

Only the responses (the arrays :func:`~irt.inference.common.device_args` adds: ``respondent``,
``item``, ``y``, ``mask``) are arguments; everything in ``problem.static_kwargs`` is part of the key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from irt.inference import compiled
from irt.inference.options import NUTSOptions, SVIOptions
from irt.inference.runners import run_chains, scan_nuts
from irt.inference.ticks import watched
from irt.problem import FitProblem

__all__ = ["split_arguments", "site_layout", "sample_nuts", "fit_svi", "gradient_step", "LOSS_STEPS"]

#: Final SVI steps whose loss is evaluated (forward only, beside the gradient step); every step takes
#: the gradient alone (:func:`gradient_step`). ``info["final_loss"]`` is the mean of these losses.
LOSS_STEPS = 100


def split_arguments(problem: FitProblem, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(static, data)``: the model's keyword arguments split into the layout's part and the responses (arrays)."""
    data = {k: v for k, v in args.items() if k not in problem.static_kwargs and hasattr(v, "shape")}
    return {k: v for k, v in args.items() if k not in data}, data


def site_layout(problem: FitProblem, static: dict[str, Any], *parts: Any) -> Hashable | None:
    """The key of a fit's program; None (compiled for this fit only) while a watcher listens, since the
    program then calls that watcher (:mod:`irt.inference.ticks`)."""
    return None if watched() else compiled.layout_key(problem.model_fn, static, *parts)


def sample_nuts(model: Callable, *, static: dict, data: dict, seed: int, options: NUTSOptions,
                chain_method: str, dense_mass: bool | list, layout: Hashable | None) -> tuple[dict, dict]:
    """NUTS chains of ``model`` on its sample sites from NumPyro's starts (uniform on (-2, 2) unconstrained).

    Returns the draws (chain, draw, ...) of every latent and deterministic site as NumPy arrays, and
    ``diverging`` and ``n_steps`` (chain, draw).
    """
    chain = _nuts_chain(partial(model, **static), options, dense_mass)
    keys = jax.random.split(jax.random.PRNGKey(seed), options.num_chains)
    samples, diverging, steps = run_chains("site_nuts", layout, chain, keys, data, per_chain=(False,),
                                           chain_method=chain_method)
    return {k: v for k, v in samples.items() if k != "y"}, {"diverging": diverging, "n_steps": steps}


def _nuts_chain(model: Callable, options: NUTSOptions, dense_mass: bool | list):
    """One chain as a function of (key, data): start, warm-up, draws and the sites' values of each draw."""
    from numpyro.infer.hmc import hmc
    from numpyro.infer.util import initialize_model

    def chain(key, data):
        key_init, key_run = jax.random.split(key)
        start, potential_gen, postprocess_gen, _ = initialize_model(key_init, model, model_kwargs=data,
                                                                    dynamic_args=True)
        init_kernel, sample_kernel = hmc(potential_fn_gen=potential_gen, algo="NUTS")
        blocks = dense_mass if isinstance(dense_mass, list) else [tuple(sorted(start.z))] if dense_mass else []
        state = init_kernel(start, options.num_warmup, dense_mass=blocks,
                            target_accept_prob=options.target_accept_prob, max_tree_depth=options.max_tree_depth,
                            model_kwargs=data, rng_key=key_run)
        z, diverging, steps = scan_nuts(state, sample_kernel, options, model_kwargs=data)
        return jax.vmap(postprocess_gen(**data))(z), diverging, steps

    return chain


def fit_svi(model: Callable, guide_class, *, static: dict, draw_static: dict, data: dict, seed: int,
            options: SVIOptions, layout: Hashable | None) -> tuple[dict, np.ndarray]:
    """Fit ``guide_class(model)`` by SVI (Adam) and draw ``options.num_draws`` from it.

    ``static`` binds the model for fitting, ``draw_static`` for the draws (e.g. without a minibatch).
    Every step takes the ELBO's gradient alone (:func:`gradient_step`: NumPyro's ``stable_update``
    with the same random keys and update, without the loss; an update whose gradient is not finite
    is skipped), so the fit is ``stable_update``'s up to float rounding (and where a loss alone was
    not finite). The last :data:`LOSS_STEPS` steps also evaluate the loss before their update
    (``SVI.evaluate``, forward only, with the step's key: ``stable_update``'s loss).
    Returns the draws (1, draw, ...) of every latent and deterministic site, and the losses of the
    last ``min(LOSS_STEPS, num_steps)`` steps.
    """
    def build():
        return jax.jit(_svi_program(model, guide_class, static, draw_static, options))

    key = jax.random.PRNGKey(seed)
    samples, losses = compiled.program("site_svi", layout, build, (key, data))(key, data)
    return {k: np.asarray(v)[None] for k, v in samples.items() if k != "y"}, np.asarray(losses)


def gradient_step(svi, state, data: dict):
    """One SVI step without the loss: Adam on the ELBO's gradient, skipped when the gradient is not finite.

    NumPyro's ``SVI.stable_update`` evaluates the loss with the gradient at every step; its value
    costs as much again as the gradient in the dense likelihood of
    :mod:`irt.inference.dense_logistic` (the log per cell), and an optimiser step does not use it.
    Here only the gradient is computed (the value of the likelihood's fused pass is dead, and XLA
    drops it: no log in the compiled step), with the same random key as ``stable_update``'s and the
    same update, and the state is kept where a gradient is not finite (``stable_update`` also where
    the loss is not). For a guide without mutable state (``AutoNormal``, the low-rank normal).

    Parameters
    ----------
    svi : numpyro.infer.SVI
        The SVI object, after ``svi.init``.
    state : numpyro.infer.svi.SVIState
        The current state.
    data : dict
        The model's and guide's keyword arguments (the responses).

    Returns
    -------
    numpyro.infer.svi.SVIState
        The state after the step.
    """
    from jax.flatten_util import ravel_pytree
    from numpyro.infer.svi import SVIState

    if jax.tree_util.tree_leaves(state.mutable_state):
        raise ValueError("gradient_step takes guides without mutable state; use svi.stable_update for this one")
    rng_key, rng_key_step = jax.random.split(state.rng_key)

    def loss(params):
        return svi.loss.loss(rng_key_step, svi.constrain_fn(params), svi.model, svi.guide, **data, **svi.static_kwargs)

    grads = jax.grad(loss)(svi.optim.get_params(state.optim_state))
    finite = jnp.isfinite(ravel_pytree(grads)[0]).all()
    optim_state = jax.lax.cond(finite, lambda kept: svi.optim.update(grads, kept), lambda kept: kept, state.optim_state)
    return SVIState(optim_state, state.mutable_state, rng_key)


def _svi_program(model: Callable, guide_class, static: dict, draw_static: dict, options: SVIOptions):
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.optim import Adam

    from irt.inference.common import guide_draws

    first_loss_step = options.num_steps - min(LOSS_STEPS, options.num_steps)

    def svi_fit(key, data):
        key_fit, key_draw = jax.random.split(key)
        fitted = partial(model, **static)
        guide = guide_class(fitted, init_scale=options.init_scale)
        svi = SVI(fitted, guide, Adam(options.schedule()), Trace_ELBO())
        state = svi.init(key_fit, **data)

        def step(state, i):
            # the loss before the update, with the step's key (stable_update's); one step body, so the
            # program holds the gradient once and the loss (forward only) once
            loss = jax.lax.cond(i >= first_loss_step, lambda: svi.evaluate(state, **data), lambda: jnp.float32(jnp.nan))
            return gradient_step(svi, state, data), loss

        state, losses = jax.lax.scan(step, state, jnp.arange(options.num_steps))
        losses = losses[first_loss_step:]
        draws = guide_draws(partial(model, **draw_static), guide, svi.get_params(state), key=key_draw,
                            num_draws=options.num_draws, args=data)
        return draws, losses

    return svi_fit
