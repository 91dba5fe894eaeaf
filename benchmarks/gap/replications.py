"""What the gap benchmarks' replication scripts share: a resumable loop and Clopper-Pearson intervals.

The scripts run as ``python benchmarks/gap/<script>.py`` (this folder is then on ``sys.path``).
"""

from __future__ import annotations

import os
import argparse
import time
from collections.abc import Callable
from functools import partial
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


def cohort_main(description: str, replicate: Callable[..., pd.DataFrame], describe: Callable[[object], str], *,
                replications: int) -> pd.DataFrame:
    """A replication script's command line: ``--models``, ``--pairs``, ``--replications``, ``--out``.

    ``replicate(seed, num_models=, num_pairs=)`` fits one seed's data set; ``describe(row)`` is the progress
    text of one of its rows (a named tuple of the frame).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=600)
    parser.add_argument("--replications", type=int, default=replications)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    start = time.perf_counter()

    def progress(seed: int, frame: pd.DataFrame) -> str:
        rows = frame[frame["replication"] == seed]
        return f"seed {seed} ({time.perf_counter() - start:.0f}s): " + "; ".join(describe(r) for r in rows.itertuples())

    return run_replications(partial(replicate, num_models=args.models, num_pairs=args.pairs),
                            replications=args.replications, out=args.out, progress=progress)
