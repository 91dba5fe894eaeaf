"""CPU per gradient of the Gap Score potential (20 models x 600 pairs) of whichever source tree is on PYTHONPATH.

One process per tree, so that whole trees (the model and its likelihood) can be compared, alternated by a
shell loop, e.g. this tree against an earlier commit unpacked by ``git archive``:

    for i in 1 2 3; do for tree in /tmp/before $PWD; do
        PYTHONPATH=$tree python benchmarks/gap/gradient_cpu.py $tree; done; done

Prints one JSON line: the tree, CPU ms per gradient in a 1,000-step ``fori_loop`` on one device (3 runs), and
the scatters and gathers in the compiled gradient.
"""

from __future__ import annotations

import json
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np


def main() -> None:
    from gapeval.gap.model import model_arguments, reparameterised_gap_model
    from gapeval.gap.prepare import prepare_gap_data
    from gapeval.gap.simulate import simulate_gap_responses
    from irt.inference.flat import flat_potential

    df, _ = simulate_gap_responses(20, 600, seed=2026)
    data = prepare_gap_data(df, model="model", item="item", direction="direction", score="score", pair="pair",
                            chance="chance", judge="judge", scale="paired", points=1, threshold=None)
    answers = {"y": data.y, "mask": data.mask}
    potential, _, size = flat_potential(reparameterised_gap_model(**model_arguments(data, scale="paired")), answers)
    step, loops = jax.grad(potential), 1000
    run = jax.jit(lambda x, d: jax.lax.fori_loop(0, loops, lambda i, x: x - 1e-7 * step(x, d), x))
    x = jnp.asarray(np.random.default_rng(1).normal(0.0, 0.3, size), jnp.float32)
    jax.block_until_ready(run(x, answers))
    cpu_ms = []
    for _ in range(3):
        start = time.process_time()
        jax.block_until_ready(run(x, answers))
        cpu_ms.append(round((time.process_time() - start) / loops * 1e3, 4))
    text = jax.jit(step).lower(x, answers).compile().as_text()
    print(json.dumps({"tree": sys.argv[1] if len(sys.argv) > 1 else "", "cpu_ms": cpu_ms,
                      "scatters": text.count("scatter("), "gathers": text.count("gather("),
                      "load": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
