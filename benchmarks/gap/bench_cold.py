"""``gap_score`` cold, each fit in a fresh process, with JAX's persistent compilation cache off and warm.

    PYTHONPATH=$PWD python benchmarks/gap/bench_cold.py --repeats 3 --out benchmarks/gap/timing/cold.jsonl

Each repeat runs, one after the other (alternated), six fresh processes of ``bench_warm.py --fits 1``
(20 models x 600 pairs, ``simulate_gap_responses(20, 600, seed=2026)``, seed 0): NUTS stopping once
converged, NUTS drawing 1,200 (``--stop off``) and SVI with the persistent cache off, then the same with
it warm (a folder filled by one unmeasured run of each before the repeats). Every run appends one JSON line to ``--out`` as it finishes: the
``gap_score`` call's wall and process CPU (from ``bench_warm.py``), the whole process's wall and CPU
(start to exit: interpreter, imports, simulation and fit; CPU from ``RUSAGE_CHILDREN``), the coverage
of the 20 true gaps and the 1-minute load average. The summary prints medians.

    PYTHONPATH=$PWD python benchmarks/gap/bench_cold.py --inference svi --fits 2 --compare /tmp/before \
        --repeats 3 --out benchmarks/gap/timing/cold_svi.jsonl

``--inference svi`` runs the SVI variants only; ``--fits 2`` fits a second data set (2027) in each
process after the first (its wall and CPU are ``second_wall_s``, ``second_cpu_s``: the same layout, the
compiled program reused); ``--compare DIR`` runs the same variants with another source tree (e.g. an
earlier commit unpacked by ``git archive``; its own ``bench_warm.py``, ``PYTHONPATH=DIR``) alternated
with this one in every repeat (``code``: ``this`` or ``compare``).

``--variants gradient`` runs instead NUTS (stopping once converged) with the 0/1 likelihood's gradient written
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
ROOT = HERE.parents[1]


def _run(inference: str, cache: str, stop: str = "on", gradient: str = "hand", *, fits: int = 1,
         tree: Path = ROOT) -> dict:
    command = [sys.executable, str(tree / "benchmarks" / "gap" / "bench_warm.py"), inference, "--fits", str(fits),
               "--disk-cache", cache, "--stop", stop] + (["--gradient", gradient] if gradient != "hand" else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [json.loads(line) for line in done.stdout.strip().splitlines() if line.startswith("{")]
    later = {f"second_{k}": lines[1][k] for k in ("wall_s", "cpu_s", "coverage_95")} if fits > 1 else {}
    return {**lines[0], **later, "process_wall_s": round(wall, 2), "process_cpu_s": round(cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True, help="JSON lines, appended as runs finish")
    parser.add_argument("--inference", choices=["both", "nuts", "svi"], default="both", help="which variants run")
    parser.add_argument("--fits", type=int, default=1, help="fits per process (the second: another data set)")
    parser.add_argument("--compare", type=Path, default=None, help="another source tree, alternated with this one")
    parser.add_argument("--stop", choices=["both", "on", "off"], default="both",
                        help="NUTS variants that stop once converged (on), run the full draws (off), or both")
    parser.add_argument("--variants", choices=["inference", "gradient"], default="inference",
                        help="the variants: NUTS and SVI (default), or NUTS with either likelihood gradient")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="gapeval-jax-cache-")
    if args.variants == "gradient":
        variants = [("nuts", cache, "on", gradient) for cache in ("off", folder) for gradient in ("hand", "autodiff")]
    else:
        variants = [v for v in [("nuts", "off", "on", "hand"), ("nuts", "off", "off", "hand"), ("svi", "off", "on", "hand"),
                                ("nuts", folder, "on", "hand"), ("nuts", folder, "off", "hand"),
                                ("svi", folder, "on", "hand")]
                    if args.inference in ("both", v[0]) and args.stop in ("both", v[2])]
    trees = {"this": ROOT} if args.compare is None else {"this": ROOT, "compare": args.compare.resolve()}
    for tree in trees.values():
        for inference, cache, stop, gradient in variants:
            if cache != "off":
                _run(inference, folder, stop, gradient, tree=tree)   # fills the persistent cache; not measured
    rows = []
    for repeat in range(args.repeats):
        order = list(trees.items()) if repeat % 2 == 0 else list(trees.items())[::-1]
        for inference, cache, stop, gradient in variants:
            for code, tree in order:
                row = {"repeat": repeat, "code": code, "cache": "off" if cache == "off" else "warm", "gradient": gradient,
                       **_run(inference, cache, stop, gradient, fits=args.fits, tree=tree)}
                rows.append(row)
                with args.out.open("a") as out:
                    out.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)
    print(f"load now: {os.getloadavg()}")
    print("| code | inference | NUTS stops once converged | gradient | persistent cache | gap_score wall s | gap_score CPU s | "
          "process wall s | process CPU s | second fit wall s / CPU s | coverage | load (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for code in trees:
        for inference, cache, stop, gradient in variants:
            mine = [r for r in rows if r["code"] == code and r["inference"] == inference and r.get("stop", "on") == stop
                    and r["gradient"] == gradient and r["cache"] == ("off" if cache == "off" else "warm")]
            med = {k: statistics.median(r[k] for r in mine) for k in ("wall_s", "cpu_s", "process_wall_s",
                                                                     "process_cpu_s", "coverage_95", "load_1min")}
            second = (f"{statistics.median(r['second_wall_s'] for r in mine):.2f} / "
                      f"{statistics.median(r['second_cpu_s'] for r in mine):.2f}" if args.fits > 1 else "-")
            print(f"| {code} | {inference} | {stop if inference == 'nuts' else '-'} | {gradient} | {mine[0]['cache']} | "
                  f"{med['wall_s']:.2f} | {med['cpu_s']:.2f} | {med['process_wall_s']:.1f} | {med['process_cpu_s']:.1f} | "
                  f"{second} | {med['coverage_95']:.2f} | {med['load_1min']:.1f} |")


if __name__ == "__main__":
    main()
