"""Fit one simulated 2PL data set with girth's MML (run with a Python that has girth installed).

Called by ``run_benchmarks.py --girth-python PATH``: reads an ``.npz`` with the respondents x items 0/1
matrix ``y``, fits ``girth.twopl_mml`` and prints JSON with the fit time and the estimates converted
to slope-intercept form (``a``, ``d = -a b``). girth has no compile step; the time is one call.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def main(path: str) -> int:
    import girth

    y = np.load(path)["y"].astype(int)
    started = time.perf_counter()
    result = girth.twopl_mml(y.T)
    elapsed = time.perf_counter() - started
    a = np.asarray(result["Discrimination"], dtype=float)
    b = np.asarray(result["Difficulty"], dtype=float)
    print(json.dumps({"fit_s": elapsed, "a": a.tolist(), "d": (-a * b).tolist()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
