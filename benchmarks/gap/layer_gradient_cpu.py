"""CPU per gradient of the Gap Score potential with an observation layer (chance levels), the layer likelihood's
hand-written gradient (``layer_marginal``) against JAX's derivative of the same sum, alternated in one process.

    PYTHONPATH=$PWD python benchmarks/gap/layer_gradient_cpu.py --repeats 5

Layouts: 6 models x 640 pairs (the README demo's shape) and 20 x 600, each with chance 0.25 on the understanding
form (``simulate_gap_responses(..., chance=(0.25, 0.0))``, ``guessing="fixed"``). For each, ms CPU (and wall) per
gradient in a 1,000-step ``fori_loop`` on one device, the two forms alternated ``--repeats`` times; prints one JSON
line per layout with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np


def _runs(num_models: int, num_pairs: int) -> tuple[dict, dict]:
    import gapeval.gap.model as model_module
    from gapeval.gap.likelihood import layer_quadrature_loglik
    from gapeval.gap.model import model_arguments, reparameterised_gap_model
    from gapeval.gap.prepare import prepare_gap_data
    from gapeval.gap.simulate import simulate_gap_responses
    from irt.inference.flat import flat_potential

    df, _ = simulate_gap_responses(num_models, num_pairs, seed=2026, chance=(0.25, 0.0))
    data = prepare_gap_data(df, model="model", item="item", direction="direction", score="score", pair="pair",
                            chance="chance", judge="judge", scale="paired", points=1, threshold=None)
    assert data.observation is not None
    answers, loops, runs, starts = {"y": data.y, "mask": data.mask}, 1000, {}, {}
    original = model_module.layer_quadrature_loglik
    for gradient in ("hand", "autodiff"):
        model_module.layer_quadrature_loglik = partial(layer_quadrature_loglik, gradient=gradient)
        try:
            potential, _, size = flat_potential(reparameterised_gap_model(**model_arguments(data, scale="paired")),
                                                answers)
            step = jax.grad(potential)
            run = jax.jit(lambda x, d, step=step: jax.lax.fori_loop(0, loops, lambda i, x: x - 1e-7 * step(x, d), x))
            x = jnp.asarray(np.random.default_rng(1).normal(0.0, 0.3, size), jnp.float32)
            jax.block_until_ready(run(x, answers))
        finally:
            model_module.layer_quadrature_loglik = original
        runs[gradient], starts[gradient] = partial(run, x, answers), x
    return runs, {"loops": loops}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for num_models, num_pairs in ((6, 640), (20, 600)):
        runs, info = _runs(num_models, num_pairs)
        cpu, wall = {k: [] for k in runs}, {k: [] for k in runs}
        for _ in range(args.repeats):
            for gradient, run in runs.items():
                start, start_wall = time.process_time(), time.perf_counter()
                jax.block_until_ready(run())
                cpu[gradient].append(round((time.process_time() - start) / info["loops"] * 1e3, 4))
                wall[gradient].append(round((time.perf_counter() - start_wall) / info["loops"] * 1e3, 4))
        print(json.dumps({"layout": f"{num_models}x{num_pairs}", "cpu_ms": cpu, "wall_ms": wall,
                          "median_cpu_ms": {k: float(np.median(v)) for k, v in cpu.items()},
                          "load": [round(x, 2) for x in os.getloadavg()]}), flush=True)


if __name__ == "__main__":
    main()
