"""Where a default NUTS fit stops, and what its gaps cover, under the old and the new R-hat limit, on the same draws.

The stop rule checks the draws after 400 draws per chain and after each further block of 200, up to 1,200; a
run that stops keeps the first blocks of the run that goes on. So one fit that draws all 1,200
(``stop_when_converged=False``) gives, for every check point, the checks either rule would have made on the
same draws. Per seed (data set ``simulate_gap_responses(--models, --pairs, seed=seed)``, fit seed = seed):

* ``old``: each quantity's R-hat (ArviZ's, the larger of bulk and folded) against
  :func:`irt.diagnostics.rhat_limit` at its **bulk** ESS (the rule up to main 91dd696);
* ``new``: the bulk R-hat at the bulk ESS and the folded R-hat at the folded ESS
  (:meth:`irt.diagnostics.Diagnostics.problems` now);

the other checks (bulk and tail ESS >= 400, no divergence) alike. One row per seed: the draws per chain at
which each rule stops (the first check point whose checks pass, else 1,200), whether it would warn (fails at
1,200), and the coverage of the true gaps by the 95% intervals of the draws it keeps.

    PYTHONPATH=$PWD python benchmarks/gap/rhat_rule_replay.py --models 20 --pairs 600 --replications 8 \\
        --out benchmarks/gap/convergence/rhat_rule_replay_20x600.csv

Writes the CSV after every seed and resumes from it.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from replications import cohort_main  # noqa: E402

CHECK_POINTS = (400, 600, 800, 1000, 1200)


def rule_checks(samples: dict, sample_stats: dict, draws: int) -> dict:
    """Whether the old and the new rule pass the first ``draws`` draws per chain, and the worst statistics."""
    from gapeval.gap.result import CHECKED_SITES
    from irt.diagnostics import Diagnostics, rhat_limit

    diag = Diagnostics.from_draws({k: np.asarray(v)[:, :draws] for k, v in samples.items()}, sites=CHECKED_SITES,
                                  sample_stats={k: np.asarray(v)[:, :draws] for k, v in sample_stats.items()})
    t = diag.table
    others = [p for p in diag.problems() if not p.startswith("R-hat")]
    old_over = t["r_hat"].to_numpy() > rhat_limit(t["ess_bulk"].to_numpy(), num_quantities=len(t), num_chains=2)
    new_over = (diag.rhat_excess() > 0).any(axis=1).to_numpy()
    return {"old_pass": not others and not old_over.any(), "new_pass": not others and not new_over.any(),
            "old_over": int(old_over.sum()), "new_over": int(new_over.sum()), "others": " | ".join(others),
            "max_rhat": float(t["r_hat"].max()), "folded_larger": int((t["r_hat_folded"] > t["r_hat_bulk"]).sum()),
            "median_ess_bulk": float(t["ess_bulk"].median()), "median_ess_folded": float(t["ess_folded"].median())}


def replicate(seed: int, *, num_models: int, num_pairs: int) -> pd.DataFrame:
    from gapeval.gap.score import gap_score
    from gapeval.gap.simulate import simulate_gap_responses
    from irt.results import summarise_draws

    df, truth = simulate_gap_responses(num_models, num_pairs, seed=seed)
    cpu = time.process_time()
    result = gap_score(df, seed=seed, stop_when_converged=False).attrs["result"]
    cpu = time.process_time() - cpu
    checks = {n: rule_checks(result.samples, result.sample_stats, n) for n in CHECK_POINTS}
    row = {"replication": seed, "models": num_models, "pairs": num_pairs, "fit_cpu_seconds": cpu,
           "load": os.getloadavg()[0]}
    for rule in ("old", "new"):
        passed = [n for n in CHECK_POINTS if checks[n][f"{rule}_pass"]]
        stop = passed[0] if passed else CHECK_POINTS[-1]
        gap = summarise_draws(result.gap_draws[:, :stop], result.level)
        covered = (gap["lower"] <= truth.gap) & (truth.gap <= gap["upper"])
        row.update({f"{rule}_stop": stop, f"{rule}_warns": not passed, f"{rule}_covered": int(covered.sum()),
                    f"{rule}_gaps": int(covered.size)})
    for n in CHECK_POINTS:
        row.update({f"{key}_{n}": value for key, value in checks[n].items()})
    return pd.DataFrame([row])


def main() -> None:
    cohort_main(__doc__.splitlines()[0], replicate, replications=8, describe=lambda r: (
        f"stop old {r.old_stop} new {r.new_stop}; covered old {r.old_covered}/{r.old_gaps} "
        f"new {r.new_covered}/{r.new_gaps}; fit cpu {r.fit_cpu_seconds:.1f}s"))


if __name__ == "__main__":
    main()
