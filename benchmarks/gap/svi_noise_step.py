"""CPU per SVI step of the Gap Score (20 x 600): the step's normal draw made inside it, or drawn in blocks.

    PYTHONPATH=$PWD python benchmarks/gap/svi_noise_step.py --repeats 4

Three 1,000-step loops on one device, alternated ``--repeats`` times in one process (medians printed, every
timing in the JSON line): the potential's value and gradient alone (``potential``), ``fit_mean_field`` with one
normal draw a step (``noise_steps=1``: before 9247560, and NUTS's warm start) and with the noise of blocks of
``noise_block(1000)`` = 250 steps drawn in one call before they run (``run_svi`` since 9247560). The data set is
``simulate_gap_responses(20, 600, seed=2026)``, paired scale, ``GAP_SVI``'s step size schedule.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from functools import partial

import jax
import numpy as np

STEPS = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()
    from gapeval.gap.model import model_arguments, reparameterised_gap_model
    from gapeval.gap.prepare import prepare_gap_data
    from gapeval.gap.simulate import simulate_gap_responses
    from gapeval.sampling import GAP_SVI
    from irt.inference.flat import fit_mean_field, flat_potential, noise_block

    df, _ = simulate_gap_responses(20, 600, seed=2026)
    data = prepare_gap_data(df, model="model", item="item", direction="direction", score="score", pair="pair",
                            chance="chance", judge="judge", scale="paired", points=1, threshold=None,
                            guessing="fixed", judges=None, judge_prior=(8.5, 1.5))
    model = reparameterised_gap_model(**model_arguments(data, scale="paired"))
    arrays = {"y": np.asarray(data.y), "mask": np.asarray(data.mask)}
    flat = flat_potential(model, arrays)
    key = jax.random.PRNGKey(0)
    start = jax.random.uniform(jax.random.PRNGKey(1), (flat.size,), minval=-0.5, maxval=0.5)

    def potential(x, data):
        def body(x, _):
            value, grad = jax.value_and_grad(flat.potential)(x, data)
            return x - 1e-6 * grad, value
        return jax.lax.scan(body, x, None, length=STEPS)

    def fit(noise_steps, key, data):
        return fit_mean_field(partial(flat.potential, data=data), flat.size, key, num_steps=STEPS,
                              learning_rate=GAP_SVI.schedule(), init_scale=GAP_SVI.init_scale, noise_steps=noise_steps)

    loops = {"potential": (potential, start), "noise_in_each_step": (partial(fit, 1), key),
             f"noise_in_blocks_of_{noise_block(STEPS)}": (partial(fit, noise_block(STEPS)), key)}
    programs = {name: jax.jit(f).lower(x, arrays).compile() for name, (f, x) in loops.items()}
    timings: dict = {name: [] for name in loops}
    for _ in range(args.repeats):
        for name, (_, x) in loops.items():
            jax.block_until_ready(programs[name](x, arrays))
            wall, cpu = time.perf_counter(), time.process_time()
            jax.block_until_ready(programs[name](x, arrays))
            timings[name].append((time.process_time() - cpu, time.perf_counter() - wall))
    print(json.dumps({"size": flat.size, "steps": STEPS, "load_1min": round(os.getloadavg()[0], 2),
                      **{name: {"cpu_ms_a_step_median": round(float(np.median([c for c, _ in t])) / STEPS * 1e3, 3),
                                "wall_ms_a_step_median": round(float(np.median([w for _, w in t])) / STEPS * 1e3, 3),
                                "cpu_s": [round(c, 3) for c, _ in t]} for name, t in timings.items()}}))


if __name__ == "__main__":
    main()
