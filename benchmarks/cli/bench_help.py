"""Wall time of ``gapeval --help`` (and of some ``gapeval COMMAND --help``) for two source trees.

Each tree is a folder holding the ``gapeval`` and ``irt`` packages (a checkout, or ``git archive``
of one), put first on ``PYTHONPATH``. The runs alternate between the trees (before, after, before,
...) so that a change in the machine's load hits both alike; the table gives the median, minimum
and maximum of each. The load averages are printed beside it: read them before trusting a number.

Usage (from the repository root, with the project environment)::

    git archive main gapeval irt | tar -x -C /tmp/before
    .venv/bin/python benchmarks/cli/bench_help.py --before /tmp/before --after . --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: The command lines timed (arguments after ``gapeval``).
COMMANDS: tuple[tuple[str, ...], ...] = (("--help",), ("run", "--help"), ("fit", "--help"), ("bank", "build", "--help"))


def _entry_point() -> list[str]:
    """The ``gapeval`` console script of this environment, or the same code run by ``-c``."""
    script = Path(sys.executable).with_name("gapeval")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from gapeval.cli import main; sys.exit(main())"]


def seconds(tree: Path, arguments: tuple[str, ...]) -> float:
    """Wall time of one ``gapeval ARGUMENTS`` with ``tree`` first on ``PYTHONPATH``."""
    environment = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    start = time.perf_counter()
    subprocess.run([*_entry_point(), *arguments], env=environment, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="source tree before the change")
    parser.add_argument("--after", type=Path, required=True, help="source tree after the change")
    parser.add_argument("--runs", type=int, default=7, help="runs per tree and command (default 7)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    rows = []
    for arguments in COMMANDS:
        times: dict[str, list[float]] = {"before": [], "after": []}
        seconds(args.after, arguments)  # warm the file cache once
        for _ in range(args.runs):
            for label, tree in (("before", args.before), ("after", args.after)):
                times[label].append(seconds(tree, arguments))
        rows.append((" ".join(("gapeval", *arguments)), times))
    print(f"load average after: {os.getloadavg()}")
    print(f"\n| command | before: median (min-max) | after: median (min-max) | runs each |\n|---|---|---|---|")
    for command, times in rows:
        cells = [f"{statistics.median(t):.3f} s ({min(t):.3f}-{max(t):.3f})" for t in (times["before"], times["after"])]
        print(f"| `{command}` | {cells[0]} | {cells[1]} | {args.runs} |")


if __name__ == "__main__":
    main()
