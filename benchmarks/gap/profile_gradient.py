"""Cost of one gradient of the Gap Score potential, the likelihood's three forms side by side, in one process.

    .venv/bin/python benchmarks/gap/profile_gradient.py

Prints one JSON line: compile seconds and wall / CPU milliseconds per gradient of (a) the likelihood
alone on random parameters, 20 models x 600 pairs, in three forms: the first (two log-sigmoids per
term and a log-sum-exp over the 3 Gauss-Hermite nodes, (models, units, slots, nodes) layout), the
second (probability space, same layout) and the one shipped (probability space, slot-major
(slots, models, units) layout); and (b) the full potential of the model as shipped, called from
Python and inside a ``fori_loop`` (as NUTS calls it); (c) the potential's gradient in a ``fori_loop`` with
the 0/1 likelihood's hand-written gradient (shipped) and JAX's (``gradient="autodiff"``, d4a8fc1), on one
device and on both (``pmap``, one loop per device, as the parallel chains run; CPU per loop step of one
device), alternated over ``--repeats`` (3). With ``--before DIR`` the hand-written gradient of another source
tree's likelihood (e.g. ``git archive 8211860``, the seventh session's) joins (c) as ``hand_before``. All run
back to back, so the ratios are fair even on a loaded machine.

    .venv/bin/python benchmarks/gap/profile_gradient.py --before /tmp/before --repeats 5
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def _old_loglik(a_grid, logits, sigma_gamma, y, mask, nodes, weights):
    eta = a_grid[None, :, :, None] * (logits[..., None] + sigma_gamma * nodes)
    k = y[..., None]
    ll = k * jax.nn.log_sigmoid(eta) + (1 - k) * jax.nn.log_sigmoid(-eta)
    ll = jnp.sum(jnp.where(mask[..., None], ll, 0.0), axis=2)
    return jnp.sum(jax.scipy.special.logsumexp(ll + np.log(weights), axis=-1))


def _unit_major_loglik(a_grid, logits, sigma_gamma, y, mask, nodes, weights):
    eta = a_grid[None, :, :, None] * (logits[..., None] + sigma_gamma * nodes)
    sign = jnp.where(y[..., None] > 0, 1.0, -1.0)
    prob = jnp.where(mask[..., None], jax.nn.sigmoid(jnp.clip(sign * eta, -30.0, 30.0)), 1.0)
    return jnp.sum(jnp.log(jnp.sum(prob[:, :, 0] * prob[:, :, 1] * weights, axis=-1)))


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


def _gradient_forms(data, answers: dict, loops: int, *, before: Path | None, repeats: int) -> dict:
    """CPU ms per gradient of the potential in a loop, hand-written against JAX's likelihood gradient (and the
    hand-written one of the tree ``before``)."""
    from functools import partial

    import gapeval.gap.model as model_module
    from gapeval.gap.likelihood import quadrature_loglik

    sys.path.insert(0, str(Path(__file__).parent))
    from gradient_variant import likelihood_module
    from irt.inference.flat import flat_potential

    variants = {"autodiff": ("autodiff", None), "hand": ("hand", None)}
    if before is not None:
        variants["hand_before"] = ("hand", before)
    programs = {}
    for name, (gradient, source) in variants.items():
        model_module.quadrature_loglik = partial(likelihood_module(source).quadrature_loglik,   # read when traced
                                                 gradient=gradient)
        potential, _, size = flat_potential(
            model_module.reparameterised_gap_model(**model_module.model_arguments(data, scale="paired")), answers)
        step = jax.grad(potential)

        def loop(x, d, step=step):
            return jax.lax.fori_loop(0, loops, lambda i, x: x - 1e-7 * step(x, d), x)

        start = np.random.default_rng(1).normal(0.0, 0.3, (2, size)).astype(np.float32)
        for where, run, x in (("one_device", jax.jit(loop), start[0]),
                              ("parallel", jax.pmap(loop, in_axes=(0, None)), start)):
            jax.block_until_ready(run(x, answers))   # traced and compiled with this gradient
            programs[f"{name}_{where}"] = (run, x, 1 if where == "one_device" else 2)
    model_module.quadrature_loglik = quadrature_loglik
    cpu = {name: [] for name in programs}
    for _ in range(repeats):
        for name, (run, x, devices) in programs.items():
            start = time.process_time()
            jax.block_until_ready(run(x, answers))
            cpu[name].append((time.process_time() - start) / loops / devices * 1e3)
    return {f"potential_gradient_{name}_cpu_ms": [round(v, 4) for v in values] for name, values in cpu.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=None, help="a source tree whose hand-written gradient joins (c)")
    parser.add_argument("--repeats", type=int, default=3, help="alternated repeats of (c)")
    options = parser.parse_args()
    from gapeval.gap.likelihood import quadrature_loglik
    from gapeval.gap.model import model_arguments, reparameterised_gap_model
    from gapeval.gap.prepare import prepare_gap_data
    from gapeval.gap.simulate import simulate_gap_responses
    from irt.inference.flat import flat_potential, latent_shapes

    df, _ = simulate_gap_responses(20, 600, seed=2026)
    data = prepare_gap_data(df, model="model", item="item", direction="direction", score="score", pair="pair",
                            chance="chance", judge="judge", scale="paired", points=1, threshold=None)
    rng = np.random.default_rng(0)
    a_grid = jnp.asarray(np.exp(rng.normal(0, 0.3, (data.num_units, 2))), dtype=jnp.float32)
    logits = jnp.asarray(rng.normal(0, 1, (data.num_models, data.num_units, 2)), dtype=jnp.float32)
    nodes, weights = np.polynomial.hermite_e.hermegauss(3)
    weights = weights / weights.sum()
    first = jax.jit(jax.grad(lambda a, lg, s: _old_loglik(a, lg, s, data.y, data.mask, nodes, weights),
                             argnums=(0, 1, 2)))
    second = jax.jit(jax.grad(lambda a, lg, s: _unit_major_loglik(a, lg, s, data.y, data.mask, nodes, weights),
                              argnums=(0, 1, 2)))
    shipped = jax.jit(jax.grad(lambda a, lg, s: quadrature_loglik(a.T, jnp.moveaxis(lg, -1, 0), s, y=data.y,
                                                                   mask=data.mask, points=1, num_pairs=data.num_pairs,
                                                                   num_nodes=3), argnums=(0, 1, 2)))
    args = (a_grid, logits, jnp.float32(0.5))
    out = {"likelihood_first": _timed(first, args), "likelihood_second": _timed(second, args),
           "likelihood_shipped": _timed(shipped, args)}
    for name in ("first", "second"):
        out[f"likelihood_cpu_ratio_{name}_over_shipped"] = round(
            out[f"likelihood_{name}"]["cpu_ms"] / out["likelihood_shipped"]["cpu_ms"], 2)
    model, answers = reparameterised_gap_model(**model_arguments(data, scale="paired")), {"y": data.y, "mask": data.mask}
    shapes = latent_shapes(model, answers)
    potential, _, size = flat_potential(model, answers)
    gradient = jax.grad(potential)
    out["potential_shipped"] = _timed(jax.jit(gradient), (jnp.zeros(size),))
    loops = 1000
    in_loop = jax.jit(lambda x: jax.lax.fori_loop(0, loops, lambda i, x: x - 1e-7 * gradient(x), x))
    timing = _timed(in_loop, (jnp.zeros(size),), repeats=3)
    out["potential_shipped_in_loop"] = {"wall_ms": round(timing["wall_ms"] / loops, 3),
                                        "cpu_ms": round(timing["cpu_ms"] / loops, 3)}
    out.update(_gradient_forms(data, answers, loops, before=options.before, repeats=options.repeats))
    out["num_latent"] = int(sum(np.prod(v, dtype=int) for v in shapes.values()))
    out["x64"] = bool(jax.config.jax_enable_x64)
    out["load"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
