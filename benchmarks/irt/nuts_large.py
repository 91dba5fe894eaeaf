"""NUTS at the classical shape (5,000 respondents x 100 items, 2PL and 2-D): the cost of a short run.

    PYTHONPATH=$PWD python benchmarks/irt/nuts_large.py --warmup 25 --samples 25 --out benchmarks/irt/results/nuts_large.jsonl

One chain, ``num_warmup`` + ``num_samples`` iterations (far fewer than a real fit's 500 + 1,000 per chain),
run twice on two data sets of the same layout: the first fit includes compilation, the second is the
sampling alone (irt.fit's site-based NUTS compiles once per layout). Prints and appends one JSON line
per fit: wall and process CPU seconds, leapfrog steps per drawn iteration (mean, max), the seconds per
iteration, and what a default fit (2 chains x 1,500 iterations) would cost at that rate, the load.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=25)
    parser.add_argument("--samples", type=int, default=25)
    parser.add_argument("--respondents", type=int, default=5000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--models", nargs="+", default=["2pl", "2d"])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    import irt

    for name in args.models:
        for fit in range(2):
            if name == "2d":
                q = np.zeros((args.items, 2), dtype=int)
                q[: args.items // 2, 0] = q[args.items // 2:, 1] = 1
                data, _ = irt.simulate("2pl", num_respondents=args.respondents, num_items=args.items, q_matrix=q,
                                       seed=fit)
                extra = {"q_matrix": q}
            else:
                data, _ = irt.simulate("2pl", num_respondents=args.respondents, num_items=args.items, seed=fit)
                extra = {}
            wall, cpu = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = irt.fit(data, "2pl", method="nuts", seed=fit, num_warmup=args.warmup,
                                 num_samples=args.samples, num_chains=1, check_convergence=False, **extra)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            steps = np.asarray(result.sample_stats["n_steps"])
            iterations = args.warmup + args.samples
            row = {"model": name, "fit": fit, "respondents": args.respondents, "items": args.items,
                   "warmup": args.warmup, "samples": args.samples, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                   "steps_mean": round(float(steps.mean()), 1), "steps_max": int(steps.max()),
                   "cpu_s_per_iteration": round(cpu / iterations, 3),
                   "default_fit_cpu_min_at_this_rate": round(cpu / iterations * 3000 / 60, 1),
                   "load_1min": round(os.getloadavg()[0], 2)}
            print(json.dumps(row), flush=True)
            with args.out.open("a") as out:
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
