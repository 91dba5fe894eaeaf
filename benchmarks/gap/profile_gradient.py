"""Cost of one gradient of the Gap Score potential, old vs new likelihood, in one process.

    .venv/bin/python benchmarks/gap/profile_gradient.py

Prints one JSON line: compile seconds and wall / CPU milliseconds per gradient of (a) the likelihood
alone in its old form (two log-sigmoids per term and a log-sum-exp over the 3 Gauss-Hermite nodes)
and its new form (probability space), on random parameters, and (b) the full potential of the model
as shipped, on 20 models x 600 pairs. Old and new run back to back, so their ratio is fair even on a
loaded machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import json  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def _old_loglik(a_grid, logits, sigma_gamma, y, mask, nodes, weights):
    eta = a_grid[None, :, :, None] * (logits[..., None] + sigma_gamma * nodes)
    k = y[..., None]
    ll = k * jax.nn.log_sigmoid(eta) + (1 - k) * jax.nn.log_sigmoid(-eta)
    ll = jnp.sum(jnp.where(mask[..., None], ll, 0.0), axis=2)
    return jnp.sum(jax.scipy.special.logsumexp(ll + np.log(weights), axis=-1))


def _timed(fn, args, repeats=200):
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    compile_s = time.perf_counter() - start
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        out = fn(*args)
    jax.block_until_ready(out)
    return {"compile_s": round(compile_s, 2), "wall_ms": round((time.perf_counter() - wall) / repeats * 1e3, 3),
            "cpu_ms": round((time.process_time() - cpu) / repeats * 1e3, 3)}


def main() -> None:
    from numpyro.infer.util import potential_energy

    from gapeval.gap.inference import latent_shapes
    from gapeval.gap.model import _quadrature_loglik, model_arguments, reparameterised_gap_model
    from gapeval.gap.score import _prepare
    from gapeval.gap.simulate import simulate_gap_responses

    df, _ = simulate_gap_responses(20, 600, seed=2026)
    data = _prepare(df, model="model", item="item", direction="direction", score="score", pair="pair",
                    scale="paired", points=1, threshold=None)
    rng = np.random.default_rng(0)
    a_grid = jnp.asarray(np.exp(rng.normal(0, 0.3, (data.num_units, 2))), dtype=jnp.float32)
    logits = jnp.asarray(rng.normal(0, 1, (data.num_models, data.num_units, 2)), dtype=jnp.float32)
    nodes, weights = np.polynomial.hermite_e.hermegauss(3)
    weights = weights / weights.sum()
    old = jax.jit(jax.grad(lambda a, lg, s: _old_loglik(a, lg, s, data.y, data.mask, nodes, weights), argnums=(0, 1, 2)))
    new = jax.jit(jax.grad(lambda a, lg, s: _quadrature_loglik(a, lg, s, y=data.y, mask=data.mask, points=1,
                                                               num_pairs=data.num_pairs, num_nodes=3), argnums=(0, 1, 2)))
    args = (a_grid, logits, jnp.float32(0.5))
    out = {"likelihood_old": _timed(old, args), "likelihood_new": _timed(new, args)}
    out["likelihood_cpu_ratio_old_over_new"] = round(out["likelihood_old"]["cpu_ms"] / out["likelihood_new"]["cpu_ms"], 2)
    model = partial(reparameterised_gap_model(**model_arguments(data, scale="paired")), y=data.y, mask=data.mask)
    shapes = latent_shapes(model)
    u = {k: jnp.zeros(v) for k, v in shapes.items()}
    out["potential_new"] = _timed(jax.jit(jax.grad(lambda u: potential_energy(model, (), {}, u))), (u,))
    out["num_latent"] = int(sum(np.prod(v, dtype=int) for v in shapes.values()))
    out["x64"] = bool(jax.config.jax_enable_x64)
    out["load"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
