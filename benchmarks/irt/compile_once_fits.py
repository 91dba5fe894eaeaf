"""irt.fit in a loop of one layout: the first fit against the next ones (process CPU and wall), before and after.

    python benchmarks/irt/compile_once_fits.py --trees /tmp/before $PWD --fits 3 --out benchmarks/irt/results/compile_once_fits.jsonl

For each tree (a checkout put on ``PYTHONPATH``) and each method, one fresh process fits ``--fits``
data sets of one layout (2PL, 20 respondents x 600 items, ``irt.simulate(..., seed=k)``; ``simulate``
drops the items every respondent answered alike, so only the seeds whose data keep as many items as
seed 0's are used: the same shapes): NUTS with
2 chains x (200 + 200) iterations, SVI with its defaults. The trees and methods alternate. One JSON
line per fit (``time.process_time`` and wall of the ``irt.fit`` call, the programs compiled so far by
``irt.inference.compiled``, the 1-minute load), appended to ``--out`` as it comes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, os, sys, time, warnings
os.environ["GAPEVAL_JAX_CACHE"] = "off"
import irt
from irt.inference import compiled
method, fits, tree = sys.argv[1], int(sys.argv[2]), sys.argv[3]
settings = {"num_warmup": 200, "num_samples": 200, "check_convergence": False} if method == "nuts" else {}
same = [irt.simulate("2pl", num_respondents=20, num_items=600, seed=k)[0] for k in range(60)]
same = [(k, d) for k, d in enumerate(same) if d.num_items == same[0].num_items][:fits]
for k, data in same:
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        irt.fit(data, "2pl", method=method, seed=k, **settings)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"tree": tree, "method": method, "fit": k, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                      **compiled.statistics(), "load_1min": round(os.getloadavg()[0], 2)}), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", nargs="+", required=True)
    parser.add_argument("--fits", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=["nuts", "svi"])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    for method in args.methods:
        for tree in args.trees:
            done = subprocess.run([sys.executable, "-c", CHILD, method, str(args.fits), tree], capture_output=True,
                                  text=True, check=True, cwd=tree, env={**os.environ, "PYTHONPATH": tree})
            with args.out.open("a") as out:
                for line in done.stdout.strip().splitlines():
                    print(line, flush=True)
                    out.write(line + "\n")


if __name__ == "__main__":
    main()
