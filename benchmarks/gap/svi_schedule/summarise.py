"""Summarise sweep_steps.py / sweep_average.py records: per configuration, the spread of the gap means across seeds.

    python benchmarks/gap/svi_schedule/summarise.py benchmarks/gap/svi_schedule/steps_20x100.jsonl

"seed sd": the sd of each model's gap mean across the seeds over its posterior sd, pooled over the
models (4,000 draws alone give 0.016); "optimiser share": that less the draws' part.
"""

from __future__ import annotations

import json
import sys

import numpy as np


def main() -> None:
    rows = [json.loads(line) for path in sys.argv[1:] for line in open(path)]
    groups: dict = {}
    for row in rows:
        groups.setdefault(str(row.get("config", row.get("steps"))), []).append(row)
    for config, fits in groups.items():
        means = np.array([f["mean"] for f in fits])
        sd = np.array([f["sd"] for f in fits]).mean(axis=0)
        pooled = np.sqrt((((means - means.mean(axis=0)) / sd) ** 2).sum() / ((len(fits) - 1) * means.shape[1]))
        print(f"{config:24s} seeds {len(fits)} CPU s (median, first fit compiles) "
              f"{np.median([f['cpu'] for f in fits[1:]]):.2f} steps {[f.get('steps') for f in fits]} "
              f"seed sd {pooled:.4f} (optimiser share {np.sqrt(max(pooled ** 2 - 1 / 4000, 0)):.4f}) "
              f"coverage {np.mean([f['cov'] for f in fits]):.3f} posterior sd {sd.mean():.4f}")


if __name__ == "__main__":
    main()
