"""Adaptive testing against random order and the full bank, on simulations with a known gap (issue 22).

A bank of ``--pairs`` pairs is calibrated on ``--calibration-models`` simulated models
(:func:`gapeval.calibration.calibrate`, NUTS by default); ``--new-models`` further models from the
same simulation answer it. For each new model:

* **full**: fixed-item scoring of every item (its interval width W is the target);
* **adaptive**: :class:`~gapeval.calibration.selection.GapVarianceChooser` with ``target_width=W``,
  batches of ``--batch``, at most ``--budget`` calls (default half the bank); the calls after which
  the chooser's interval first reached 1, 1.1, 1.25 and 1.5 times its own full-bank width
  (``calls_to_*x``; NaN: not within the budget), and the reported score (all calibration draws) of
  what it asked, at the end and after a quarter and half of the bank (``adaptive_0.25_*``, ...);
* **random**: the same numbers of calls in a random order of the bank's items (``random_*``).

One CSV row per model is appended as soon as it is done (``--out``), so a partial run is usable.
Each model's full-bank scoring is timed (wall and process CPU seconds).

Usage (repository root)::

    PYTHONPATH=. .venv/bin/python benchmarks/adaptive/bench_adaptive.py --out benchmarks/adaptive/adaptive.csv
    PYTHONPATH=. .venv/bin/python benchmarks/adaptive/bench_adaptive.py --quick --out /tmp/quick.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from pathlib import Path

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import numpy as np  # noqa: E402

from gapeval.calibration import calibrate, load_calibration, save_calibration, score_with_calibration  # noqa: E402
from gapeval.calibration.selection import GapVarianceChooser  # noqa: E402
from gapeval.gap.simulate import simulate_gap_responses  # noqa: E402


def _score(frame, cal, items=None, prior=None):
    part = frame if items is None else frame[frame["item"].isin(list(items))]
    return score_with_calibration(part, cal, **(prior or {})).iloc[0]


#: Widths, as multiples of the full bank's, whose first crossing by the adaptive run is recorded.
RATIOS = (1.0, 1.1, 1.25, 1.5)
#: Fractions of the bank at which adaptive and random order are scored side by side.
FRACTIONS = (0.25, 0.5)


def _summary(row: dict, name: str, result, true_gap: float) -> None:
    row[f"{name}_gap"] = result["gap"]
    row[f"{name}_width"] = result["gap_upper"] - result["gap_lower"]
    row[f"{name}_covered"] = bool(result["gap_lower"] <= true_gap <= result["gap_upper"])


def run_model(frame, cal, true_gap: float, *, batch: int, budget: int, seed: int, prior: dict,
              randomesque: int = 1) -> dict:
    """The three designs for one new model's answers ``frame`` (all items); ``prior``: prior, prior_scale."""
    answers = frame.set_index("item")["score"]
    wall, cpu = time.perf_counter(), time.process_time()
    full = _score(frame, cal, prior=prior)
    row = {"full_seconds": time.perf_counter() - wall, "full_cpu_seconds": time.process_time() - cpu,
           "true_gap": true_gap}
    _summary(row, "full", full, true_gap)
    width = row["full_width"]
    chooser = GapVarianceChooser(cal, target_width=width, randomesque=randomesque, seed=seed, **prior)
    chooser_full = chooser.status(list(answers.items()))["width"]   # the chooser's own full-bank width
    row["chooser_full_width"] = chooser_full
    asked: list[tuple[str, float]] = []
    trajectory = []
    started = time.process_time()
    while True:
        picks = chooser.choose(asked, batch=batch, budget_left=budget - len(asked))
        trajectory.append((len(asked), chooser.status(asked)["width"]))   # cached by choose
        if not picks:
            break
        asked += [(item, float(answers[item])) for item in picks]
    row["chooser_cpu_seconds"] = time.process_time() - started
    for ratio in RATIOS:
        reached = [n for n, w in trajectory if w <= ratio * chooser_full]
        row[f"calls_to_{ratio:g}x"] = reached[0] if reached else np.nan
    row["adaptive_calls"] = len(asked)
    row["adaptive_reached"] = bool(trajectory[-1][1] <= width)
    _summary(row, "adaptive", _score(frame, cal, [i for i, _ in asked], prior), true_gap)
    order = np.random.default_rng(seed).permutation(answers.index.to_numpy())
    _summary(row, "random", _score(frame, cal, order[:len(asked)], prior), true_gap)
    for fraction in FRACTIONS:
        n = int(fraction * len(answers))
        if n <= len(asked):
            _summary(row, f"adaptive_{fraction:g}", _score(frame, cal, [i for i, _ in asked[:n]], prior), true_gap)
        else:   # stopped earlier: what it reported then
            _summary(row, f"adaptive_{fraction:g}", _score(frame, cal, [i for i, _ in asked], prior), true_gap)
        _summary(row, f"random_{fraction:g}", _score(frame, cal, order[:n], prior), true_gap)
    row["adaptive_n_understanding"] = sum(1 for i, _ in asked if i.endswith("-u"))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibration-models", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=600)
    parser.add_argument("--new-models", type=int, default=30)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--budget", type=int, default=None, help="calls per model (default: half the bank)")
    parser.add_argument("--inference", default="nuts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prior", default="predictive", help="the new models' ability prior (predictive, per_draw)")
    parser.add_argument("--prior-scale", type=float, default=None,
                        help="widen the cohort population's sds (default: the library's PRIOR_SCALE)")
    parser.add_argument("--randomesque", type=int, default=1, help="choose each pick among the top k units")
    parser.add_argument("--quick", action="store_true", help="8 + 5 models, 120 pairs, SVI")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--calibration-file", type=Path, default=None, help="also write the calibration here")
    parser.add_argument("--load-calibration", type=Path, default=None,
                        help="read the calibration from this file (waits until it exists) instead of fitting")
    parser.add_argument("--models", default=None, metavar="START:STOP",
                        help="only these new models (to split the run over processes)")
    args = parser.parse_args()
    if args.quick:
        args.calibration_models, args.pairs, args.new_models, args.inference = 8, 120, 5, "svi"
    total = args.calibration_models + args.new_models
    df, truth = simulate_gap_responses(total, args.pairs, seed=args.seed)
    reference = set(truth.model_ids[:args.calibration_models])
    if args.load_calibration is not None:
        while not args.load_calibration.exists():
            time.sleep(10)
        time.sleep(5)
        cal = load_calibration(args.load_calibration)
    else:
        wall, cpu = time.perf_counter(), time.process_time()
        cal = calibrate(df[df["model"].isin(reference)], inference=args.inference, seed=args.seed)
        info = {"calibration_wall_seconds": round(time.perf_counter() - wall, 1),
                "calibration_cpu_seconds": round(time.process_time() - cpu, 1),
                "diagnostics": cal.fit["diagnostics"], "load_average": os.getloadavg(),
                "args": {k: str(v) for k, v in vars(args).items()}}
        print(json.dumps(info), flush=True)
        args.out.with_suffix(".json").write_text(json.dumps(info, indent=1) + "\n")
        if args.calibration_file is not None:
            save_calibration(cal, args.calibration_file)
    budget = args.budget or args.pairs
    with args.out.open("w", newline="") as handle:
        writer = None
        start, stop = (int(v) for v in (args.models or f"0:{args.new_models}").split(":"))
        for k, model in enumerate(truth.model_ids[args.calibration_models + start:args.calibration_models + stop]):
            m = args.calibration_models + start + k
            row = {"model": model, "load_average": round(os.getloadavg()[0], 2),
                   **run_model(df[df["model"] == model], cal, float(truth.gap[m]), batch=args.batch, budget=budget,
                               seed=args.seed + m, randomesque=args.randomesque,
                               prior={"prior": args.prior, **({} if args.prior_scale is None
                                                              else {"prior_scale": args.prior_scale})})}
            if writer is None:
                writer = csv.DictWriter(handle, fieldnames=list(row))
                writer.writeheader()
            writer.writerow({key: round(v, 4) if isinstance(v, float) else v for key, v in row.items()})
            handle.flush()
            print(model, {k: round(row[k], 3) for k in ("adaptive_calls", "calls_to_1.25x", "full_width",
                                                         "adaptive_width", "random_width")}, flush=True)


if __name__ == "__main__":
    main()
