"""Time of fixed-item scoring: one new model (all 1,200 items of a 600-pair bank) against a calibration.

Uses the calibration written by ``bench_adaptive.py --calibration-file FILE`` (20 models x 600 pairs,
NUTS, 200 draws) and a new model simulated from the same bank; prints wall and process CPU seconds
of ``--repeats`` scorings (the first includes the imports' warm-up of SciPy) and the load average.

Usage (repository root)::

    PYTHONPATH=. .venv/bin/python benchmarks/adaptive/bench_scoring.py /tmp/adaptive_cal.json --repeats 5
"""

from __future__ import annotations

import argparse
import os
import time

from gapeval.calibration import load_calibration, score_with_calibration
from gapeval.gap.simulate import simulate_gap_responses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("calibration")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", default="m20", help="a new model of the benchmark's simulation (seed 0)")
    args = parser.parse_args()
    wall, cpu = time.perf_counter(), time.process_time()
    cal = load_calibration(args.calibration)
    print(f"load: wall {time.perf_counter() - wall:.2f} s, cpu {time.process_time() - cpu:.2f} s")
    df, _ = simulate_gap_responses(50, cal.num_pairs, seed=0)
    one = df[df["model"] == args.model]
    for repeat in range(args.repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        row = score_with_calibration(one, cal).iloc[0]
        print(f"score {repeat}: wall {time.perf_counter() - wall:.2f} s, cpu {time.process_time() - cpu:.2f} s, "
              f"load {os.getloadavg()[0]:.1f}, gap {row['gap']:.3f} [{row['gap_lower']:.3f}, {row['gap_upper']:.3f}]")


if __name__ == "__main__":
    main()
