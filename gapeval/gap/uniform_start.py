"""NUTS and SVI runners with uniform starts on a dict of sites (the Gap Score's runners before 2026-11).

:mod:`gapeval.decay.irt_decay_fit` runs the decay model with them; the Gap Score itself now uses
the warm-started, flat-vector runners of :mod:`gapeval.gap.inference`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gapeval.gap.inference import constrained, latent_shapes

__all__ = ["_run_nuts", "_run_svi"]


def _uniform_init(key, shapes: dict, lead: tuple, radius: float = 0.5) -> dict:
    """Unconstrained initial values uniform on (-radius, radius) (traced: call under jit).

    NumPyro's default radius 2 starts some chains with slopes of exp(14) (log-slope scale e^2 times
    a standardized value of 2) and leaves them stuck; 0.5 keeps every start near the prior's centre.
    """
    keys = jax.random.split(key, len(shapes))
    return {name: jax.random.uniform(k, lead + shape, minval=-radius, maxval=radius)
            for k, (name, shape) in zip(keys, sorted(shapes.items()))}


def _run_nuts(model, *, seed: int, options: dict):
    """NUTS on the jitted potential (one compilation; the model is never run op by op)."""
    from numpyro.infer import MCMC, NUTS
    from numpyro.infer.util import potential_energy

    from irt.inference.nuts import release_compiled_programs

    chains = options["num_chains"]
    chain_method = options["chain_method"] or ("parallel" if jax.local_device_count() >= chains else "sequential")
    potential = jax.jit(lambda u: potential_energy(model, (), {}, u))
    key_init, key_run = jax.random.split(jax.random.PRNGKey(seed))
    shapes = latent_shapes(model)
    init = jax.jit(lambda key: _uniform_init(key, shapes, (chains,) if chains > 1 else ()))(key_init)
    mcmc = MCMC(NUTS(potential_fn=potential, target_accept_prob=options["target_accept_prob"]),
                num_warmup=options["num_warmup"], num_samples=options["num_samples"], num_chains=chains,
                chain_method=chain_method, progress_bar=False)
    mcmc.run(key_run, init_params=init, extra_fields=("diverging", "num_steps"))
    unconstrained = mcmc.get_samples(group_by_chain=True)
    extra = mcmc.get_extra_fields(group_by_chain=True)
    stats = {"diverging": np.asarray(extra["diverging"]), "n_steps": np.asarray(extra["num_steps"])}
    samples = jax.jit(lambda u: constrained(model, u, 2))(unconstrained)
    samples = {k: np.asarray(v) for k, v in samples.items()}
    release_compiled_programs()   # else a loop of fits runs out of memory maps (see its docstring)
    return samples, stats, {"chain_method": chain_method}


def _run_svi(model, *, seed: int, options: dict):
    """Mean-field normal variational fit in the unconstrained space (reparameterised ELBO, Adam)."""
    from numpyro.infer.util import potential_energy
    from numpyro.optim import Adam

    shapes = latent_shapes(model)
    optimizer = Adam(options["learning_rate"])

    def loss(p, key):
        keys = dict(zip(sorted(shapes), jax.random.split(key, len(shapes))))
        u = {k: p["loc"][k] + jnp.exp(p["log_scale"][k]) * jax.random.normal(keys[k], shapes[k]) for k in shapes}
        entropy = sum(jnp.sum(v) for v in p["log_scale"].values())
        return potential_energy(model, (), {}, u) - entropy

    def step(state, key):
        value, grads = jax.value_and_grad(loss)(optimizer.get_params(state), key)
        return optimizer.update(grads, state, value=value), value

    @jax.jit
    def fit(key):
        key_init, key_fit, key_draw = jax.random.split(key, 3)
        start = _uniform_init(key_init, shapes, ())
        params = {"loc": start,
                  "log_scale": {k: jnp.full(v.shape, jnp.log(0.05)) for k, v in start.items()}}
        state, losses = jax.lax.scan(step, optimizer.init(params), jax.random.split(key_fit, options["num_steps"]))
        fitted = optimizer.get_params(state)
        keys = dict(zip(sorted(shapes), jax.random.split(key_draw, len(shapes))))
        draws = {k: fitted["loc"][k] + jnp.exp(fitted["log_scale"][k])
                 * jax.random.normal(keys[k], (1, options["num_samples"]) + shapes[k]) for k in shapes}
        return constrained(model, draws, 2), losses

    samples, losses = fit(jax.random.PRNGKey(seed))
    losses = np.asarray(losses)
    return {k: np.asarray(v) for k, v in samples.items()}, {}, {"final_loss": float(losses[-100:].mean())}
