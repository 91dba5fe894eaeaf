"""Samplers of the Gap Score model on a flat unconstrained vector: SVI and warm-started NUTS.

Both work on one jitted potential of the flat vector of unconstrained latent values (sites in
sorted name order), so the model is compiled a few times in all and never run op by op.

* :func:`run_svi` fits a mean-field normal in the unconstrained space (reparameterised ELBO, one
  draw per step, Adam with an exponentially decaying learning rate). One normal draw of the whole
  vector per step: random-number call sites are expensive to compile (11 per-site draws cost
  ~1.7 s of compilation).
* :func:`run_nuts` starts every chain from a draw of a short SVI fit and gives NUTS the fitted
  variances as its initial (diagonal) inverse mass matrix, so the step size and the mass matrix
  are right from the first iteration and a short warm-up suffices (from uniform starts, 40
  warm-up iterations still needed ~300 leapfrog steps per iteration on 20 models x 600 pairs).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["latent_shapes", "run_svi", "run_nuts", "constrained"]


def latent_shapes(model) -> dict[str, tuple]:
    """Shapes of the latent sites, found by an abstract trace (no op-by-op compilation)."""
    from numpyro import handlers

    shapes: dict[str, tuple] = {}

    def trace_once():
        trace = handlers.trace(handlers.seed(model, 0)).get_trace()
        shapes.update({name: tuple(site["value"].shape) for name, site in trace.items()
                       if site["type"] == "sample" and not site["is_observed"]})
        return jnp.zeros(())

    jax.eval_shape(trace_once)
    return shapes


def constrained(model, unconstrained: dict, lead: int) -> dict:
    """Latent and deterministic sites from unconstrained draws with ``lead`` leading axes (traceable)."""
    from numpyro.infer.util import constrain_fn

    def one(u):
        return constrain_fn(model, (), {"observe": False}, u, return_deterministic=True)

    fn = one
    for _ in range(lead):
        fn = jax.vmap(fn)
    return {k: v for k, v in fn(unconstrained).items() if k != "y"}


def _flat_potential(model):
    """(potential of a flat vector, unravel, size) for ``model``; sites in sorted name order."""
    from numpyro import validation_enabled
    from numpyro.infer.util import potential_energy

    shapes = latent_shapes(model)
    names = sorted(shapes)
    sizes = [int(np.prod(shapes[name], dtype=int)) for name in names]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)

    def unravel(x):
        return {name: x[offsets[k]:offsets[k + 1]].reshape(shapes[name]) for k, name in enumerate(names)}

    def potential(x):
        # values come through the support transforms, so numpyro's support checks (on by default; a
        # third of the traced operations) would only slow down compilation and every gradient
        with validation_enabled(False):
            return potential_energy(model, (), {}, unravel(x))

    return potential, unravel, int(offsets[-1])


def _svi_fit(potential, size: int, key, *, num_steps: int, learning_rate: float, radius: float = 0.5):
    """Mean-field normal fit (traced: call under jit); returns loc, scale and the loss trace.

    Starts at uniform(-radius, radius) with scale 0.05; the learning rate decays geometrically from
    ``learning_rate`` to a tenth of it over ``num_steps``.
    """
    from numpyro.optim import Adam

    key_init, key_fit = jax.random.split(key)
    params = {"loc": jax.random.uniform(key_init, (size,), minval=-radius, maxval=radius),
              "log_scale": jnp.full((size,), jnp.log(0.05))}
    optimizer = Adam(lambda i: learning_rate * 0.1 ** (i / num_steps))

    def loss(p, key):
        eps = jax.random.normal(key, (size,))
        return potential(p["loc"] + jnp.exp(p["log_scale"]) * eps) - jnp.sum(p["log_scale"])

    def step(state, key):
        value, grads = jax.value_and_grad(loss)(optimizer.get_params(state), key)
        return optimizer.update(grads, state), value

    state, losses = jax.lax.scan(step, optimizer.init(params), jax.random.split(key_fit, num_steps))
    fitted = optimizer.get_params(state)
    return fitted["loc"], jnp.exp(fitted["log_scale"]), losses


def run_svi(model, *, seed: int, options: dict):
    """Mean-field SVI; ``options``: ``num_steps``, ``learning_rate``, ``num_samples`` (draws)."""
    potential, unravel, size = _flat_potential(model)
    num_samples = options["num_samples"]

    @jax.jit
    def fit(key):
        key_fit, key_draw = jax.random.split(key)
        loc, scale, losses = _svi_fit(potential, size, key_fit, num_steps=options["num_steps"],
                                      learning_rate=options["learning_rate"])
        draws = loc + scale * jax.random.normal(key_draw, (1, num_samples, size))
        return constrained(model, jax.vmap(jax.vmap(unravel))(draws), 2), losses

    samples, losses = fit(jax.random.PRNGKey(seed))
    losses = np.asarray(losses)
    tail = max(1, len(losses) // 10)
    return {k: np.asarray(v) for k, v in samples.items()}, {}, {"final_loss": float(losses[-tail:].mean())}


def run_nuts(model, *, seed: int, options: dict):
    """NUTS started from a short SVI fit; ``options`` as in :func:`gapeval.gap.score.gap_score`.

    ``warm_start_steps`` SVI steps (0: uniform starts on (-0.5, 0.5) and a unit mass matrix) give
    each chain a start drawn from the fitted normal and the initial inverse mass matrix
    (the fitted variances times ``mass_inflation``: mean-field variances understate the posterior's).
    """
    from numpyro.infer import MCMC, NUTS

    from irt.inference.nuts import release_compiled_programs

    chains = options["num_chains"]
    chain_method = options["chain_method"] or ("parallel" if jax.local_device_count() >= chains else "sequential")
    potential, unravel, size = _flat_potential(model)
    key_start, key_run = jax.random.split(jax.random.PRNGKey(seed))
    lead = (chains,) if chains > 1 else ()
    init, variance = None, jnp.ones(size)
    steps = options.get("warm_start_steps", 0)
    if steps:
        @jax.jit
        def start(key):
            key_fit, key_init = jax.random.split(key)
            loc, scale, _ = _svi_fit(potential, size, key_fit, num_steps=steps,
                                     learning_rate=options.get("learning_rate", 0.05))
            return loc + scale * jax.random.normal(key_init, lead + (size,)), scale ** 2

        init, fitted = start(key_start)
        if np.isfinite(np.asarray(init)).all() and np.isfinite(np.asarray(fitted)).all():
            variance = fitted * options.get("mass_inflation", 2.0)
        else:  # a failed warm start falls back to the uniform starts (and a longer adaptation)
            init = None
    if init is None:
        init = jax.jit(lambda k: jax.random.uniform(k, lead + (size,), minval=-0.5, maxval=0.5))(key_start)
    kernel = NUTS(potential_fn=jax.jit(potential), target_accept_prob=options["target_accept_prob"],
                  inverse_mass_matrix=variance, max_tree_depth=options.get("max_tree_depth", 10))
    mcmc = MCMC(kernel, num_warmup=options["num_warmup"], num_samples=options["num_samples"], num_chains=chains,
                chain_method=chain_method, progress_bar=False)
    mcmc.run(key_run, init_params=init, extra_fields=("diverging", "num_steps"))
    flat = mcmc.get_samples(group_by_chain=True)
    extra = mcmc.get_extra_fields(group_by_chain=True)
    stats = {"diverging": np.asarray(extra["diverging"]), "n_steps": np.asarray(extra["num_steps"])}
    samples = jax.jit(lambda x: constrained(model, jax.vmap(jax.vmap(unravel))(x), 2))(flat)
    samples = {k: np.asarray(v) for k, v in samples.items()}
    release_compiled_programs()   # else a loop of ~75 fits runs out of memory maps (see its docstring)
    return samples, stats, {"chain_method": chain_method}
