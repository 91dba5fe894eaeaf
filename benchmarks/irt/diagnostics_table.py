"""The convergence table of a default ``irt.fit`` NUTS fit at the AI shape: ArviZ's loop against the vectorised one.

    cd benchmarks/irt && PYTHONPATH=../.. python diagnostics_table.py --cases 2pl-20x600 2d-20x1200 --seed 1 \\
        --repeats 3 --out results/diagnostics_table.jsonl

For each case, one default fit (2 chains x 1,000 draws, ``check_convergence=False``) on
``compare_peers.py``'s data, then the table of the sites ``irt.fit`` checks built ``--repeats`` times by
``arviz_convergence_table`` (ArviZ 0.23, one scalar at a time) and by ``convergence_table`` (NumPy, all
scalars at once), alternated. Prints and appends one JSON line per case: process CPU and wall seconds
of each, the scalars, the largest relative difference between the two tables and the load average.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")  # before JAX is imported

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from _shared import cpu_seconds, emit_json_line  # noqa: E402
from profile_nuts import CASES, simulate  # noqa: E402


def _timed(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), cpu_seconds()
    out = fn(*args, **kwargs)
    return out, cpu_seconds() - cpu, time.perf_counter() - wall


def one_case(case: str, seed: int, repeats: int) -> dict:
    """Fit ``case`` once and time both tables ``repeats`` times, alternated."""
    import irt
    from irt import arviz_bridge
    from irt.diagnostics import CORRELATION_SITES
    from irt.posterior import CHECKED_SITES

    data, _ = simulate(case, seed)
    result = irt.fit(data, "2pl", seed=seed, check_convergence=False)
    sites = [s for s in CHECKED_SITES if s in result.samples]
    draws = {s: np.asarray(result.samples[s]) for s in sites}
    for s in set(sites) & set(CORRELATION_SITES):          # as Diagnostics.from_draws: the free entries
        upper = np.triu_indices(draws[s].shape[-1], 1)
        draws[s] = draws[s][..., upper[0], upper[1]]
    times: dict[str, list] = {"arviz": [], "numpy": []}
    tables = {}
    for _ in range(repeats):
        for name, fn in (("arviz", arviz_bridge.arviz_convergence_table), ("numpy", arviz_bridge.convergence_table)):
            tables[name], cpu, wall = _timed(fn, draws, var_names=sites)
            times[name].append((round(cpu, 3), round(wall, 3)))
    values = ["r_hat", "ess_bulk", "ess_tail"]
    ref, ours = tables["arviz"][values].to_numpy(), tables["numpy"][values].to_numpy()
    return {"case": case, "seed": seed, "scalars": len(ours), "draws": list(next(iter(draws.values())).shape[:2]),
            "arviz_cpu_wall_s": times["arviz"], "numpy_cpu_wall_s": times["numpy"],
            "max_rel_diff": float(np.nanmax(np.abs(ours - ref) / np.abs(ref))),
            "same_rows": tables["arviz"][["site", "index"]].equals(tables["numpy"][["site", "index"]]),
            "load_1min": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["2pl-20x600", "2d-20x1200"], choices=list(CASES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=None, help="JSON lines file to append to")
    args = parser.parse_args()
    for case in args.cases:
        emit_json_line(one_case(case, args.seed, args.repeats), args.out)


if __name__ == "__main__":
    main()
