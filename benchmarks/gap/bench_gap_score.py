"""Cold-start benchmark of ``gap_score`` on 20 models x 1,200 items (600 pairs).

Run one configuration per process, so that every number is "process start to table":

    XLA_FLAGS=--xla_force_host_platform_device_count=2 .venv/bin/python benchmarks/gap/bench_gap_score.py nuts
    XLA_FLAGS=--xla_force_host_platform_device_count=2 .venv/bin/python benchmarks/gap/bench_gap_score.py svi
    XLA_FLAGS=--xla_force_host_platform_device_count=2 .venv/bin/python benchmarks/gap/bench_gap_score.py svi num_steps=3000

Further arguments ``name=value`` (integers) are ``gap_score`` keywords, to time a setting beside the default.

Prints one JSON line: wall seconds from process start, seconds inside ``gap_score``, CPU seconds of
the process, the load average before and after, and (NUTS) the minimum bulk/tail ESS of the gaps and
the ESS per second of sampling.
"""

from __future__ import annotations

import os
import time

START = time.perf_counter()
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import json  # noqa: E402
import sys  # noqa: E402


def main() -> None:
    inference = sys.argv[1] if len(sys.argv) > 1 else "nuts"
    options = {name: int(value) for name, _, value in (arg.partition("=") for arg in sys.argv[2:])}
    load_before = os.getloadavg()
    from gapeval.gap.score import gap_score
    from gapeval.gap.simulate import simulate_gap_responses

    df, truth = simulate_gap_responses(20, 600, seed=2026)
    t0 = time.perf_counter()
    table = gap_score(df, inference=inference, seed=0, **options)
    t1 = time.perf_counter()
    result = table.attrs["result"]
    out = {
        "inference": inference, "options": options, "models": 20, "items": 1200, "responses": len(df),
        "wall_from_process_start_s": round(t1 - START, 2), "gap_score_call_s": round(t1 - t0, 2),
        "fit_s": round(result.info["seconds"], 2),
        "cpu_s": round(time.process_time(), 2),
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
        "corr_gap_truth": round(float(__import__("numpy").corrcoef(table["gap"], truth.gap)[0, 1]), 3),
        "coverage_95": float(((table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"])).mean()),
    }
    if inference == "nuts":
        diag = result.diagnostics.table
        gaps = diag[diag["site"] == "gap"]
        out.update(chain_method=result.info["chain_method"], min_ess_bulk_gap=round(float(gaps["ess_bulk"].min()), 1),
                   min_ess_tail_gap=round(float(gaps["ess_tail"].min()), 1),
                   ess_bulk_per_s=round(float(gaps["ess_bulk"].min()) / result.info["seconds"], 1),
                   mean_leapfrog_steps=round(float(result.sample_stats["n_steps"].mean()), 1),
                   **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in table.attrs["diagnostics"].items()})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
