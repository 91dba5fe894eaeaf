"""``gap_score`` cold, each fit in a fresh process, with JAX's persistent compilation cache off and warm.

    PYTHONPATH=$PWD python benchmarks/gap/bench_cold.py --repeats 3 --out benchmarks/gap/timing/cold.jsonl

Each repeat runs, one after the other (alternated), six fresh processes of ``bench_warm.py --fits 1``
(20 models x 600 pairs, ``simulate_gap_responses(20, 600, seed=2026)``, seed 0): NUTS stopping once
converged, NUTS drawing 1,200 (``--stop off``) and SVI with the persistent cache off, then the same with
it warm (a folder filled by one unmeasured run of each before the repeats). Every run appends one JSON line to ``--out`` as it finishes: the
``gap_score`` call's wall and process CPU (from ``bench_warm.py``), the whole process's wall and CPU
(start to exit: interpreter, imports, simulation and fit; CPU from ``RUSAGE_CHILDREN``), the coverage
of the 20 true gaps and the 1-minute load average. The summary prints medians.

``--compare gradient`` runs instead NUTS (stopping once converged) with the 0/1 likelihood's gradient written
by hand (shipped) and JAX's (commit d4a8fc1, ``bench_warm.py --gradient autodiff``), each with the persistent
cache off and warm: four variants alternated in each repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _run(inference: str, cache: str, stop: str = "on", gradient: str = "hand") -> dict:
    command = [sys.executable, str(HERE / "bench_warm.py"), inference, "--fits", "1", "--disk-cache", cache,
               "--stop", stop, "--gradient", gradient]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    fit = json.loads(done.stdout.strip().splitlines()[-1])
    return {**fit, "process_wall_s": round(wall, 2), "process_cpu_s": round(cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True, help="JSON lines, appended as runs finish")
    parser.add_argument("--compare", choices=["inference", "gradient"], default="inference",
                        help="the variants: NUTS and SVI (default), or NUTS with either likelihood gradient")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="gapeval-jax-cache-")
    if args.compare == "gradient":
        variants = [("nuts", cache, "on", gradient) for cache in ("off", folder) for gradient in ("hand", "autodiff")]
    else:
        variants = [("nuts", cache, stop, "hand") for cache in ("off", folder) for stop in ("on", "off")]
        variants = variants[:2] + [("svi", "off", "on", "hand")] + variants[2:] + [("svi", folder, "on", "hand")]
    for inference, cache, stop, gradient in variants:
        if cache != "off":
            _run(inference, folder, stop, gradient)   # fills the persistent cache; not measured
    rows = []
    for repeat in range(args.repeats):
        for inference, cache, stop, gradient in variants:
            row = {"repeat": repeat, "cache": "off" if cache == "off" else "warm",
                   **_run(inference, cache, stop, gradient)}
            rows.append(row)
            with args.out.open("a") as out:
                out.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    print(f"load now: {os.getloadavg()}")
    print("| inference | NUTS stops once converged | gradient | persistent cache | gap_score wall s | gap_score CPU s | "
          "process wall s | process CPU s | coverage | load (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for inference, cache, stop, gradient in variants:
        mine = [r for r in rows if r["inference"] == inference and r.get("stop", "on") == stop
                and r.get("gradient", "hand") == gradient and r["cache"] == ("off" if cache == "off" else "warm")]
        med = {k: statistics.median(r[k] for r in mine) for k in ("wall_s", "cpu_s", "process_wall_s",
                                                                 "process_cpu_s", "coverage_95", "load_1min")}
        print(f"| {inference} | {stop if inference == 'nuts' else '-'} | {gradient} | {mine[0]['cache']} | {med['wall_s']:.1f} | {med['cpu_s']:.1f} | "
              f"{med['process_wall_s']:.1f} | {med['process_cpu_s']:.1f} | {med['coverage_95']:.2f} | "
              f"{med['load_1min']:.1f} |")


if __name__ == "__main__":
    main()
