"""Summarise ``bench_adaptive.py``'s CSVs: calls, widths and coverage of adaptive, random and full, side by side.

Usage (repository root)::

    .venv/bin/python benchmarks/adaptive/summarize.py benchmarks/adaptive/adaptive_a.csv benchmarks/adaptive/adaptive_b.csv
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def summarize(frame: pd.DataFrame) -> str:
    bank = 2 * 600 if "full_width" in frame else None
    lines = [f"{len(frame)} new models; bank {bank} items; budget {int(frame['adaptive_calls'].max())} calls"]
    for ratio in ("1", "1.1", "1.25", "1.5"):
        calls = frame[f"calls_to_{ratio}x"]
        reached = calls.notna()
        median = np.nanmedian(calls.where(reached, np.inf))
        lines.append(f"calls to reach {ratio} x the full-bank width: reached by {reached.sum()}/{len(frame)}; "
                     f"median {median:g} calls ({median / bank:.0%} of the bank)")
    rows = []
    for name, calls in (("full", "all"), ("adaptive", "to stop"), ("random", "same as adaptive"),
                        ("adaptive_0.25", "25%"), ("random_0.25", "25%"), ("adaptive_0.5", "50%"),
                        ("random_0.5", "50%")):
        if name == "adaptive_0.5" and frame["adaptive_calls"].max() < bank // 2:
            continue                                    # the budget stopped it before half the bank
        width, covered = frame[f"{name}_width"], frame[f"{name}_covered"].astype(str) == "True"
        error = frame[f"{name}_gap"] - frame["true_gap"]
        rows.append({"design": name, "calls": calls, "median width": round(width.median(), 3),
                     "median width / full": round((width / frame["full_width"]).median(), 3),
                     "coverage (95%)": f"{covered.mean():.3f} ({covered.sum()}/{len(frame)})",
                     "mean |gap - truth|": round(error.abs().mean(), 3),
                     "sd of z": round((error / (width / (2 * 1.96))).std(), 2),
                     "slope on truth": round(np.polyfit(frame["true_gap"], frame[f"{name}_gap"], 1)[0], 2)})
    table = pd.DataFrame(rows)
    lines.append("| " + " | ".join(table.columns) + " |")
    lines.append("|" + "---|" * len(table.columns))
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    lines.append(f"full-bank scoring: cpu {frame['full_cpu_seconds'].median():.2f} s median "
                 f"(max {frame['full_cpu_seconds'].max():.2f}), wall {frame['full_seconds'].median():.1f} s median at "
                 f"load {frame['load_average'].median():.1f}; chooser cpu per model {frame['chooser_cpu_seconds'].median():.0f} s median")
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarize(pd.concat([pd.read_csv(p) for p in sys.argv[1:]], ignore_index=True)))
