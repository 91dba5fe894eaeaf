"""Import time of the entry points, each in a fresh process: wall and process CPU, median of ``--repeats``.

Run from the repository root (the worktree on ``PYTHONPATH``)::

    python benchmarks/gap/bench_import.py --repeats 3 --trees /tmp/before $PWD

Each ``--trees`` folder (a checkout) is put on ``PYTHONPATH`` in turn; the trees and the commands
alternate within each repeat. CPU is the child's user + system time (``RUSAGE_CHILDREN``). Also
reports whether JAX was imported.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

CHECK = "; import sys; print('jax' in sys.modules)"
COMMANDS = {
    "import irt": [sys.executable, "-c", "import irt" + CHECK],
    "from gapeval import gap_score": [sys.executable, "-c", "from gapeval import gap_score" + CHECK],
    "gapeval --help": [sys.executable, "-c", "import sys; sys.argv = ['gapeval', '--help']; "
                       "from gapeval.cli import main; main()"],
}


def _run(command: list[str], tree: str) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tree,
                         env={**os.environ, "PYTHONPATH": tree})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout.strip().splitlines()[-1] if out.stdout.strip() else f"rc={out.returncode}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trees", nargs="+", default=[os.getcwd()], help="checkouts to compare (alternated)")
    args = parser.parse_args()
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    seen: dict[tuple[str, str], str] = {}
    print(f"load: {os.getloadavg()}")
    for _ in range(args.repeats):
        for tree in args.trees:
            for name, command in COMMANDS.items():
                wall, cpu, last = _run(command, tree)
                times.setdefault((tree, name), []).append((wall, cpu))
                seen[tree, name] = last
    print(f"load: {os.getloadavg()}")
    print("| tree | command | wall s (median) | CPU s (median) | JAX imported |")
    print("|---|---|---|---|---|")
    for (tree, name), runs in times.items():
        jax = seen[tree, name] if seen[tree, name] in ("True", "False") else "-"
        print(f"| {tree} | `{name}` | {statistics.median(w for w, _ in runs):.2f} | "
              f"{statistics.median(c for _, c in runs):.2f} | {jax} |")


if __name__ == "__main__":
    main()
