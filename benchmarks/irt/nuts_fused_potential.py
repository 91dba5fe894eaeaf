"""``irt.fit``'s NUTS potential at the AI shape, plain (NumPyro's Bernoulli site) against fused (one pass), one process.

    cd benchmarks/irt && PYTHONPATH=../.. python nuts_fused_potential.py --cases 2pl-20x600 2d-20x1200 --rounds 3

For each case (seed 1's data of ``compare_peers.py``) and variant, the potential of
:func:`irt.inference.nuts.model_for` (``dense=False``: the plain Bernoulli site; ``dense=True``: the
fused likelihood of :mod:`irt.inference.dense_logistic`) on the dense responses: the compile CPU seconds
of its value and gradient, and the process CPU per gradient in a ``fori_loop`` of ``--loops`` gradients on
one device and on both (``pmap``, one loop per device, as the parallel chains run; CPU per loop step of
one device), the variants alternated in every round. Also the largest relative difference of the
two variants' value and gradient at NumPyro's start. One JSON line per case and round.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")  # before JAX is imported

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402

import jax  # noqa: E402
import numpy as np  # noqa: E402

from profile_nuts import simulate  # noqa: E402


def potentials(case: str) -> tuple[dict, dict, dict]:
    """The two variants' potential functions of (z, data), NumPyro's start z and the data."""
    from numpyro.infer.util import initialize_model

    from irt.inference.common import device_args
    from irt.inference.nuts import model_for
    from irt.inference.options import NUTSOptions
    from irt.inference.sites import split_arguments
    from irt.problem import resolve_problem

    data, _ = simulate(case, 1)
    problem = resolve_problem(data, "2pl", None, None)
    static, dat = split_arguments(problem, device_args(problem))
    out, start = {}, None
    for variant in ("plain", "fused"):
        model = partial(model_for(problem, NUTSOptions(), dense=variant == "fused"), **static)
        info = initialize_model(jax.random.PRNGKey(1), model, model_kwargs=dat, dynamic_args=True)
        start = info.param_info.z if start is None else start
        out[variant] = lambda z, d, gen=info.potential_fn: gen(**d)(z)
    return out, start, dat


def timed(potential, z, dat, loops: int) -> dict:
    value_and_grad = jax.jit(jax.value_and_grad(potential))
    cpu = time.process_time()
    compiled = value_and_grad.lower(z, dat).compile()
    record = {"compile_cpu_s": round(time.process_time() - cpu, 3)}
    step = jax.grad(potential)

    def loop(x, d):
        return jax.lax.fori_loop(0, loops, lambda i, x: jax.tree_util.tree_map(
            lambda a, g: a - 1e-7 * g, x, step(x, d)), x)

    pair = jax.tree_util.tree_map(lambda a: np.stack([a, a]), z)
    for where, run, x, devices in (("one_device", jax.jit(loop), z, 1),
                                   ("parallel", jax.pmap(loop, in_axes=(0, None)), pair, 2)):
        jax.block_until_ready(run(x, dat))
        wall, cpu = time.perf_counter(), time.process_time()
        jax.block_until_ready(run(x, dat))
        record[f"{where}_cpu_ms"] = round((time.process_time() - cpu) / loops / devices * 1e3, 4)
        record[f"{where}_wall_ms"] = round((time.perf_counter() - wall) / loops * 1e3, 4)
    return record, compiled(z, dat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["2pl-20x600", "2d-20x1200"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loops", type=int, default=2000)
    args = parser.parse_args()
    for case in args.cases:
        variants, z, dat = potentials(case)
        for k in range(args.rounds):
            order = ("plain", "fused") if k % 2 == 0 else ("fused", "plain")
            record, values = {"case": case, "round": k, "load_1min": round(os.getloadavg()[0], 2)}, {}
            for variant in order:
                jax.clear_caches()
                record[variant], values[variant] = timed(variants[variant], z, dat, args.loops)
            (vp, gp), (vf, gf) = values["plain"], values["fused"]
            record["value_rel_diff"] = float(abs(vf - vp) / abs(vp))
            record["grad_rel_diff"] = max(float(np.max(np.abs(gf[k] - gp[k])) / (np.max(np.abs(gp[k])) + 1e-30))
                                          for k in gp)
            print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
