"""Time the default decay() fit of 0/1 scores on 6 models x 30 dialogues x 8 turns (2,880 answers).

    PYTHONPATH=. .venv/bin/python benchmarks/decay/timing.py --reps 3

The design and generating parameters are the ``binomial`` reference case of
``tests/reference_data/decay_crossed/make_inputs.py`` (shared dialogues and items, so the default
structure is crossed; the default estimator is the Laplace approximation), seeds ``2000 + rep``. The
first fit of a process includes JAX's compilation (``cold``); later fits reuse it (``warm``). Wall time
and the process's CPU time (user + system, all threads) are printed with the load average, because the
shared development machine is rarely idle: on two idle cores the wall time is at most about the CPU
time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "reference_data" / "decay_crossed"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    from make_inputs import CASES, DESIGN

    from gapeval.decay import decay, simulate_decay

    for rep in range(args.reps):
        responses, _ = simulate_decay(**DESIGN, **dict(CASES["binomial"], seed=2000 + rep))
        load = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = decay(responses)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"rep {rep} ({'cold' if rep == 0 else 'warm'}): {len(responses)} answers, {result.structure}, "
              f"{result.estimator.split(';')[0]}: wall {wall:.1f} s, CPU {cpu:.1f} s, load average before "
              f"{load:.1f}, {len(caught)} warnings", flush=True)


if __name__ == "__main__":
    main()
