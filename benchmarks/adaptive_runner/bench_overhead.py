"""What adaptive testing adds to the runner: a full run vs an adaptive run asking every unit.

Both runs answer the same standalone items of the built-in bank with the instant scripted mock (so
only the runner is measured) and are then scored as ``gapeval run`` scores them (``score_run``); the
adaptive one asks through :func:`gapeval.adaptive.run_adaptive` with a
:class:`~gapeval.adaptive.RandomChooser`, ``--batch`` units per step and no budget, so it asks
everything too, in ``items / batch`` steps (each: choose, log, ask, score inline; the final scoring
then finds every score stored). The variants alternate within one process (the first run of the
process also pays for importing the verifiers); wall and process CPU seconds are printed per run.

Usage: ``python benchmarks/adaptive_runner/bench_overhead.py --items 320 --batch 4 --reps 2``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from gapeval.adapters.scripted import ScriptedAdapter
from gapeval.adaptive import RandomChooser, calls_per_model, run_adaptive
from gapeval.bank import load_bank
from gapeval.model_spec import ModelSpec
from gapeval.runner import AdaptiveSettings, RunConfig, run
from gapeval.scoring.run_scoring import score_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=320, help="standalone items asked")
    parser.add_argument("--batch", type=int, default=4, help="units per adaptive step")
    parser.add_argument("--reps", type=int, default=2, help="replications of each variant")
    args = parser.parse_args()
    bank = load_bank("builtin")
    models = (ModelSpec(name="mock", adapter="scripted"),)
    full = RunConfig(models=models, include="items", limit=args.items, score=False)
    items = [item.id for item in sorted(bank.items, key=lambda item: item.id)[: args.items]]
    settings = AdaptiveSettings(chooser="RandomChooser(seed=0)", batch=args.batch)
    adaptive = RunConfig(models=models, include="items", limit=args.items, score=False, adaptive=settings)
    print(f"load average {os.getloadavg()}; {args.items} items, batch {args.batch}")
    for rep in range(args.reps):
        for variant in ("full", "adaptive"):
            folder = tempfile.mkdtemp()
            wall, cpu = time.perf_counter(), time.process_time()
            if variant == "full":
                run(full, folder, adapters={"mock": ScriptedAdapter()}, bank=bank)
            else:
                chooser = RandomChooser(items, seed=0)
                run_adaptive(adaptive, folder, chooser=chooser, adapters={"mock": ScriptedAdapter()}, bank=bank)
            score_run(folder, bank=bank)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            calls = calls_per_model(folder)["mock"]
            print(f"rep {rep} {variant:8s}: {calls} calls, wall {wall:6.2f} s, cpu {cpu:6.2f} s, "
                  f"{1000 * wall / calls:.2f} ms wall per call", flush=True)


if __name__ == "__main__":
    main()
