"""``irt.fit``'s SVI step-size schedule: coverage and stability across sampler seeds, schedule against schedule.

For each simulated 2PL data set (``irt.simulate``, seed = replication) and each schedule (``name:steps:decay``,
``SVIOptions.num_steps`` and ``learning_rate_decay``; the other fields at their defaults, every response at each
step), two fits with sampler seeds ``s`` and ``s + 1000``. Each fit records its CPU and wall time, the scale check,
the coverage of the true θ by the 95% intervals averaged over the data's θ̄
(``svi_scaling.location_averaged_coverage``) and the coverage and RMSE of the true slopes ``a`` and intercepts
``d``; each pair of fits records how far apart their point estimates are in posterior sds (mean and largest over
respondents or items): a fit whose estimates move by a good part of their sd with the sampler's seed is not a
stable fit.

Run from the repository root (one process; each schedule compiles once and serves both seeds)::

    .venv/bin/python benchmarks/irt/svi_schedule.py --respondents 1000 --items 1000 --seeds 0 1 \\
        --schedules const5000:5000:1 dec3000:3000:0.01 --jsonl benchmarks/irt/results/svi_schedule_1e6.jsonl
    .venv/bin/python benchmarks/irt/svi_schedule.py --summarise benchmarks/irt/results/svi_schedule_*.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from _shared import markdown_table
from svi_scaling import location_averaged_coverage

#: Sampler seed of the second fit of each data set: the replication's seed plus this.
SECOND_SEED = 1000


def fit_record(data, truth, *, seed: int, steps: int, decay: float) -> tuple[dict, tuple]:
    """One SVI fit: its record and its (abilities, items) tables."""
    import irt

    wall0, cpu0 = time.perf_counter(), time.process_time()
    fit = irt.fit(data, "2pl", method="svi", seed=seed, num_steps=steps, learning_rate_decay=decay)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    abilities, items = fit.abilities(), fit.items()
    record = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "scale_check": fit.info.get("scale_check"),
              "theta_cov_locavg": location_averaged_coverage(abilities["lower"].to_numpy(),
                                                             abilities["upper"].to_numpy(), truth.theta[:, 0]),
              "theta_rmse": float(np.sqrt(np.mean((abilities["estimate"].to_numpy() - truth.theta[:, 0]) ** 2)))}
    for param, true in (("a", truth.a), ("d", truth.d)):
        rows = items[items["param"] == param]
        lower, upper = rows["lower"].to_numpy(), rows["upper"].to_numpy()
        record[f"{param}_cov"] = float(np.mean((lower <= true) & (true <= upper)))
        record[f"{param}_rmse"] = float(np.sqrt(np.mean((rows["estimate"].to_numpy() - true) ** 2)))
    return record, (abilities, items)


def apart(first: tuple, second: tuple) -> dict:
    """Mean and largest distance between two fits' estimates, in the first fit's posterior sds."""
    out = {}
    (ab0, it0), (ab1, it1) = first, second
    tables = {"theta": (ab0, ab1)}
    tables.update({param: (it0[it0["param"] == param], it1[it1["param"] == param]) for param in ("a", "d")})
    for name, (one, two) in tables.items():
        gap = np.abs(one["estimate"].to_numpy() - two["estimate"].to_numpy()) / one["sd"].to_numpy()
        out[f"{name}_apart_mean_sd"], out[f"{name}_apart_max_sd"] = float(gap.mean()), float(gap.max())
    return out


def summarise(paths: list[Path]) -> str:
    """Markdown table: per size and schedule, mean coverage, mean CPU and the seed-to-seed distances."""
    records = [json.loads(line) for path in paths for line in path.read_text().splitlines() if line.strip()]
    rows = []
    for size in dict.fromkeys(r["size"] for r in records):
        for name in dict.fromkeys(r["schedule"] for r in records if r["size"] == size):
            fits = [r for r in records if r["size"] == size and r["schedule"] == name and "fit_seed" in r]
            pairs = [r for r in records if r["size"] == size and r["schedule"] == name and "fit_seed" not in r]

            def mean(key, rows):
                return round(statistics.mean(r[key] for r in rows), 3) if rows else None

            rows.append({"size": size, "schedule": name, "data sets": len(pairs), "fits": len(fits),
                         "θ cov (loc.-avg)": mean("theta_cov_locavg", fits), "a cov": mean("a_cov", fits),
                         "d cov": mean("d_cov", fits), "a RMSE": mean("a_rmse", fits), "d RMSE": mean("d_rmse", fits),
                         "CPU s": mean("cpu_s", fits),
                         "failed checks": sum(r["scale_check"] != "passed" for r in fits),
                         **{f"{p} apart mean / max (sd)": f"{mean(f'{p}_apart_mean_sd', pairs)} / "
                            f"{max(r[f'{p}_apart_max_sd'] for r in pairs):.2f}" if pairs else None
                            for p in ("theta", "a", "d")}})
    return markdown_table(rows, list(rows[0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="irt.fit SVI schedules: coverage and stability across seeds")
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--schedules", nargs="+", default=["const5000:5000:1", "dec3000:3000:0.01"],
                        help="name:num_steps:learning_rate_decay")
    parser.add_argument("--jsonl", type=Path, help="append one JSON record per fit and per pair of fits here")
    parser.add_argument("--summarise", nargs="+", type=Path, help="print the table of these files and stop")
    args = parser.parse_args(argv)
    if args.summarise:
        print(summarise(args.summarise))
        return 0
    import irt

    size = f"{args.respondents}x{args.items}"
    for seed in args.seeds:
        data, truth = irt.simulate("2pl", num_respondents=args.respondents, num_items=args.items, seed=seed)
        for schedule in args.schedules:
            name, steps, decay = schedule.split(":")
            tables = []
            for fit_seed in (seed, seed + SECOND_SEED):
                record, fitted = fit_record(data, truth, seed=fit_seed, steps=int(steps), decay=float(decay))
                tables.append(fitted)
                _emit({"size": size, "schedule": name, "seed": seed, "fit_seed": fit_seed, **record}, args.jsonl)
            _emit({"size": size, "schedule": name, "seed": seed, **apart(*tables)}, args.jsonl)
    return 0


def _emit(record: dict, path: Path | None) -> None:
    print(json.dumps(record), flush=True)
    if path is not None:
        with path.open("a") as out:
            out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
