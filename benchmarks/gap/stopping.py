"""NUTS that stops once its checks pass against NUTS that always draws 1,200: draws, warnings, coverage, CPU.

For each seed (a data set ``simulate_gap_responses(--models, --pairs, seed=seed)`` and the sampler's
seed), one process fits ``gap_score`` twice, alternating which variant goes first: the default
(``stop_when_converged=True``: checks after 400, 600, 800, 1,000 draws per chain) and
``stop_when_converged=False`` (1,200 per chain). Each fit is one row: the draws per chain taken and why
the chains stopped, whether it warned (``ConvergenceWarning``) and its problems, the smallest bulk / tail
ESS and the largest R-hat, the coverage of the true gaps by the 95% intervals, the process CPU and wall
seconds of the ``gap_score`` call and the 1-minute load average. Seed 0's first fit compiles (both
variants' programs are compiled in that process); compare CPU seconds from seed 1 on, or the medians.

    PYTHONPATH=$PWD python benchmarks/gap/stopping.py --models 20 --pairs 600 --replications 10 \\
        --out benchmarks/gap/convergence/stopping_20x600.csv

Writes the CSV after every seed and resumes from it.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from replications import cohort_main  # noqa: E402


def fit_once(df, truth, *, seed: int, stop: bool, num_warmup: int | None = None) -> dict:
    """One default ``gap_score`` fit (``stop_when_converged=stop``, ``num_warmup``) and what it did, as one row."""
    from gapeval.gap.score import gap_score
    from irt.diagnostics import ConvergenceWarning

    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = gap_score(df, seed=seed, stop_when_converged=stop, num_warmup=num_warmup)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = table.attrs["result"]
    diag = result.diagnostics
    covered = (table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"])
    return {"stop_when_converged": stop, "num_samples": result.info["num_samples"], "stopped": result.info["stopped"],
            "checks": " ; ".join(f"{n}: {' | '.join(p) or 'pass'}" for n, p in result.info.get("checks", [])),
            "warned": any(issubclass(w.category, ConvergenceWarning) for w in caught),
            "problems": " | ".join(diag.problems()), "max_rhat": diag.max_rhat, "min_ess_bulk": diag.min_ess_bulk,
            "min_ess_tail": diag.min_ess_tail, "divergences": diag.num_divergences,
            "leapfrog_steps": float(np.mean(result.sample_stats["n_steps"])),
            "coverage_95": float(np.mean(covered)), "covered": int(covered.sum()), "gaps": int(covered.size),
            "seconds": wall, "cpu_seconds": cpu, "load": os.getloadavg()[0]}


def replicate(seed: int, *, num_models: int, num_pairs: int) -> pd.DataFrame:
    from gapeval.gap.simulate import simulate_gap_responses

    df, truth = simulate_gap_responses(num_models, num_pairs, seed=seed)
    order = (True, False) if seed % 2 == 0 else (False, True)   # alternated
    rows = [{"replication": seed, "models": num_models, "pairs": num_pairs, "position": k,
             **fit_once(df, truth, seed=seed, stop=stop)} for k, stop in enumerate(order)]
    return pd.DataFrame(rows)


def main() -> None:
    cohort_main(__doc__.splitlines()[0], replicate, replications=10, describe=lambda r: (
        f"stop={r.stop_when_converged} draws={r.num_samples} {r.stopped} warned={r.warned} "
        f"cov={r.coverage_95:.2f} cpu={r.cpu_seconds:.1f}s"))


if __name__ == "__main__":
    main()
