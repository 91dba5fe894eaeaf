"""What the gap benchmarks' replication scripts share: a resumable loop and Clopper-Pearson intervals.

The scripts run as ``python benchmarks/gap/<script>.py`` (this folder is then on ``sys.path``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a proportion k / n."""
    from scipy.stats import beta

    tail = (1.0 - level) / 2.0
    return (beta.ppf(tail, k, n - k + 1) if k else 0.0, beta.ppf(1.0 - tail, k + 1, n - k) if k < n else 1.0)


def run_replications(replicate: Callable[[int], pd.DataFrame], *, replications: int, out: str | None,
                     progress: Callable[[int, pd.DataFrame], str]) -> pd.DataFrame:
    """Run ``replicate(seed)`` for seeds 0..replications-1, writing ``out`` after each and resuming from it.

    Replications already in ``out`` (its ``replication`` column) are not run again; ``progress(seed,
    frame)`` is the line printed after each new one.
    """
    rows = []
    if out and os.path.exists(out):
        rows.append(pd.read_csv(out))
        print(f"resuming {out}: {rows[0]['replication'].nunique()} replications already there", flush=True)
    done = set(rows[0]["replication"]) if rows else set()
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    for seed in range(replications):
        if seed in done:
            continue
        rows.append(replicate(seed))
        frame = pd.concat(rows, ignore_index=True)
        print(progress(seed, frame), flush=True)
        if out:
            frame.to_csv(out, index=False)
    return frame
