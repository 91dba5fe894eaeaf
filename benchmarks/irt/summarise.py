"""Merge the JSON files written by ``compare_peers.py --json`` into one per-run and one median table.

Usage (from the repository root)::

    .venv/bin/python benchmarks/irt/summarise.py benchmarks/irt/results/compare_*.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from _shared import markdown_table
from compare_peers import CASES, COLUMNS, MEDIAN_COLUMNS, QUICK_CASES, medians, write_case


def add_scale(records: list[dict]) -> None:
    """Add ``scale`` and ``rmse_rescaled`` to every successful record, from the stored θ.

    ``scale`` is the least-squares slope of the estimates on the truth; ``rmse_rescaled`` the RMSE
    after mapping the estimates back through that line (location and scale taken out). The truth is
    simulated again from the case and seed (``irt.simulate`` is deterministic). py-irt's exploratory
    multidimensional model is skipped (its column matching is not stored).
    """
    cases = {**CASES, **QUICK_CASES}
    truths: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for record in records:
            if record.get("status") != "ok" or record["method"] == "pyirt-multidim":
                continue
            key = (record["case"], record["seed"])
            if key not in truths:
                respondents, items, dims = cases[record["case"]]
                truths[key] = write_case(Path(tmp) / f"{key[0]}-{key[1]}", num_respondents=respondents,
                                         num_items=items, num_dims=dims, seed=key[1])
            theta, truth = np.asarray(record["theta"], dtype=float), truths[key]
            slopes, errors = [], []
            for k in range(truth.shape[1]):
                slope, intercept = np.polyfit(truth[:, k], theta[:, k], 1)
                slopes.append(slope)
                errors.append((theta[:, k] - intercept) / slope - truth[:, k])
            record["scale"] = float(np.mean(slopes))
            record["rmse_rescaled"] = float(np.sqrt(np.mean(np.square(errors))))


def ratios(records: list[dict], ours: str = "irt-nuts") -> list[dict]:
    """Per case and seed, ours / peer for wall time, CPU time and θ RMSE (< 1: ours is faster / closer)."""
    rows = []
    by_key = {(r["case"], r["seed"], r["method"]): r for r in records if r.get("status") == "ok"}
    for (case, seed, method), peer in sorted(by_key.items()):
        mine = by_key.get((case, seed, ours))
        if method == ours or mine is None:
            continue
        row = {"case": case, "seed": seed, "peer": method}
        for col in ("wall_s", "cpu_s", "rmse"):
            row[f"{col}_ratio"] = mine[col] / peer[col] if peer.get(col) else None
        row["r_diff"] = mine["r"] - peer["r"]
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    records = []
    for path in args.files:
        payload = json.loads(path.read_text())
        print(f"{path.name}: start `{payload['machine']['uptime']}`, end `{payload['uptime_end']}`")
        records += payload["records"]
    records.sort(key=lambda r: (r["case"], r["seed"], r["method"]))
    add_scale(records)
    columns = COLUMNS[:COLUMNS.index("scale") + 1] + ["rmse_rescaled"] + COLUMNS[COLUMNS.index("scale") + 1:]
    columns.insert(columns.index("divergences"), "min_ess_bulk")
    print()
    print(markdown_table(records, columns))
    print("\nMedian over seeds\n")
    rows = medians(records)
    for row in rows:
        values = [r["rmse_rescaled"] for r in records if (r["case"], r["method"]) == (row["case"], row["method"])
                  and r.get("rmse_rescaled") is not None]
        row["rmse_rescaled"] = float(np.median(values)) if values else None
    median_columns = MEDIAN_COLUMNS[:MEDIAN_COLUMNS.index("scale") + 1] + ["rmse_rescaled", "coverage_95"]
    print(markdown_table(rows, median_columns))
    print("\nOurs (irt-nuts) / peer, per run (r_diff = our r minus the peer's)\n")
    ratio_rows = ratios(records)
    print(markdown_table(ratio_rows, ["case", "seed", "peer", "wall_s_ratio", "cpu_s_ratio", "rmse_ratio", "r_diff"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
