"""SVI of the Gap Score with Polyak-Ruppert averaging of the last FRACTION of the Adam iterates (seventh session).

Replaces the flat runner's ``fit_mean_field`` by a version that reports the average of the iterates
(means and log-sds) over the last ``fraction`` of the steps; configurations ``steps:decay:fraction``
(0: the last iterate, as ``GAP_SVI``). Same output as ``sweep_steps.py``; measured, not kept.

    SEEDS=8 PYTHONPATH=$PWD python benchmarks/gap/svi_schedule/sweep_average.py 20 100 3000:0.001:0.5 \
        > benchmarks/gap/svi_schedule/average_20x100.jsonl
"""

from __future__ import annotations

import dataclasses

from sweep_steps import run

#: The share of the last steps whose iterates are averaged (set per configuration).
FRACTION = [0.0]


def fit_averaged(potential, size, key, *, num_steps, learning_rate, init_scale):
    """``irt.inference.flat.fit_mean_field`` reporting the average of the last FRACTION of the iterates."""
    import jax
    import jax.numpy as jnp
    from numpyro.optim import Adam

    from irt.inference.flat import uniform_start

    key_init, key_fit = jax.random.split(key)
    params = {"loc": uniform_start(key_init, (size,)), "log_scale": jnp.full((size,), jnp.log(init_scale))}
    optimizer = Adam(learning_rate)

    def loss(p, k):
        eps = jax.random.normal(k, (size,))
        return potential(p["loc"] + jnp.exp(p["log_scale"]) * eps) - jnp.sum(p["log_scale"])

    first = int(num_steps * (1 - FRACTION[0]))

    def body(carry, inputs):
        state, total = carry
        k, n = inputs
        value, grads = jax.value_and_grad(loss)(optimizer.get_params(state), k)
        state = optimizer.update(grads, state)
        total = jax.tree_util.tree_map(lambda t, x: t + jnp.where(n >= first, x, 0.0), total, optimizer.get_params(state))
        return (state, total), value

    zero = {"loc": jnp.zeros(size), "log_scale": jnp.zeros(size)}
    (state, total), losses = jax.lax.scan(body, (optimizer.init(params), zero),
                                          (jax.random.split(key_fit, num_steps), jnp.arange(num_steps)))
    fitted = (optimizer.get_params(state) if FRACTION[0] == 0
              else jax.tree_util.tree_map(lambda t: t / (num_steps - first), total))
    return fitted["loc"], jnp.exp(fitted["log_scale"]), losses


def options_of(config: str):
    """``steps:decay:fraction``; sets FRACTION and moves init_scale by 1e-9 per fraction, so that each fraction
    gets its own compiled program (the program closes over FRACTION)."""
    import irt.inference.runners as runners
    from gapeval.sampling import GAP_SVI

    runners.fit_mean_field = fit_averaged
    steps, decay, fraction = config.split(":")
    FRACTION[0] = float(fraction)
    return dataclasses.replace(GAP_SVI, num_steps=int(steps), learning_rate_decay=float(decay),
                               init_scale=GAP_SVI.init_scale + float(fraction) * 1e-9)


if __name__ == "__main__":
    run(options_of)
