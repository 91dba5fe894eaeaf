"""``irt.fit`` NUTS at the AI shape in fresh processes: two code trees, persistent compilation cache cold and warm.

    cd benchmarks/irt && python nuts_fresh.py --trees /work/main /work/wt-speed --cases 2pl-20x600 2d-20x1200 \\
        --seeds 1 2 3 --cache-root /tmp/nuts_fresh_cache --out results/nuts_fresh.jsonl

For every seed and case, four fresh processes per tree, alternated between the trees: ``cold`` (an
empty persistent cache folder of its own, ``GAPEVAL_JAX_CACHE``: every program is compiled, and
written there) then ``warm`` (the same folder again: the fit's program is read from it). Each process
imports ``irt`` from its tree (``PYTHONPATH``), simulates ``compare_peers.py``'s data
(:func:`profile_nuts.simulate`) and runs ``irt.fit(data, "2pl", seed=seed)`` with its defaults (2 chains
in parallel on 2 host devices, 500 + 1,000 iterations, the convergence check included). One JSON line per
process: process CPU and wall seconds of the ``irt.fit`` call and of the whole process (imports and
simulation included), JAX's compile seconds, max R-hat, min bulk/tail ESS, divergences, θ r, RMSE and
95% coverage against the truth, a digest of θ's draws (equal digests: equal draws) and the load average.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _shared import emit_json_line  # noqa: E402  (no JAX: the parent process stays light)


def child(case: str, seed: int) -> dict:
    """One fit in this (fresh) process; the record."""
    import warnings

    import numpy as np

    sys.path.insert(0, str(HERE))
    from _shared import CompileClock, recovery
    from profile_nuts import simulate

    import irt

    data, truth = simulate(case, seed)
    wall, cpu = time.perf_counter(), time.process_time()
    with CompileClock() as clock, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = irt.fit(data, "2pl", seed=seed)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    diag = result.diagnostics()
    abilities = result.abilities()
    columns = [g for _, g in abilities.groupby("dimension", sort=False)]
    est, lo, hi = (np.column_stack([g[c].to_numpy() for g in columns]) for c in ("estimate", "lower", "upper"))
    rec = recovery(est, truth.theta, lower=lo, upper=hi)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"fit_cpu_s": round(cpu, 2), "fit_wall_s": round(wall, 2), "compile_s": round(clock.seconds, 2),
            "process_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "max_rhat": round(float(diag.max_rhat), 4), "min_ess_bulk": round(float(diag.min_ess_bulk)),
            "min_ess_tail": round(float(diag.min_ess_tail)), "divergences": int(diag.num_divergences),
            "warned": any(issubclass(w.category, irt.ConvergenceWarning) for w in caught),
            "theta_r": round(rec["r"], 4), "theta_rmse": round(rec["rmse"], 4), "coverage_95": rec["coverage"],
            "theta_digest": hashlib.sha1(np.ascontiguousarray(result.samples["theta"]).tobytes()).hexdigest()[:12],
            "num_items": int(data.num_items)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", nargs="+", help="code trees (PYTHONPATH of each process)")
    parser.add_argument("--cases", nargs="+", default=["2pl-20x600", "2d-20x1200"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--cache-root", help="folder for the per-run persistent caches")
    parser.add_argument("--out", default=None, help="JSON lines file to append to")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return
    if not args.trees or not args.cache_root:
        parser.error("--trees and --cache-root are required")
    for seed, case, cache in itertools.product(args.seeds, args.cases, ("cold", "warm")):
        for tree in args.trees:
            folder = Path(args.cache_root) / Path(tree).name / case / str(seed)
            env = {**os.environ, "PYTHONPATH": tree, "GAPEVAL_JAX_CACHE": str(folder),
                   "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
            load = os.getloadavg()[0]
            wall = time.perf_counter()
            done = subprocess.run([sys.executable, __file__, "--child", case, str(seed)], env=env, cwd=HERE,
                                  capture_output=True, text=True, check=False)
            wall = time.perf_counter() - wall
            if done.returncode:
                print(done.stderr[-3000:], file=sys.stderr)
                continue
            record = {"tree": tree, "case": case, "seed": seed, "cache": cache, "process_wall_s": round(wall, 2),
                      **json.loads(done.stdout.strip().splitlines()[-1]),
                      "load_1min": [round(load, 2), round(os.getloadavg()[0], 2)]}
            emit_json_line(record, args.out)


if __name__ == "__main__":
    main()
