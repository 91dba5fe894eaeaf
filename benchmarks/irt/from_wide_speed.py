"""Time ``ResponseData.from_wide`` and ``irt.simulate``: vectorised path against the general (long-table) path.

The general path is what every matrix went through before the vectorised path existed; it is forced
here by disabling the fast path, so one run gives the before/after numbers. Run from the repository root::

    .venv/bin/python benchmarks/irt/from_wide_speed.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import irt
from irt import data as data_module


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> int:
    fast_path = data_module._from_numeric_wide
    rng = np.random.default_rng(0)
    for rows, cols in ((1000, 100), (1000, 1000), (1000, 3000)):
        matrix = (rng.uniform(size=(rows, cols)) < 0.6).astype(float)
        matrix[rng.uniform(size=matrix.shape) < 0.05] = np.nan
        frame = pd.DataFrame(matrix, index=[f"r{k}" for k in range(rows)], columns=[f"i{k}" for k in range(cols)])
        dims = [f"F{k % 2 + 1}" for k in range(cols)]
        fast, t_fast = _timed(lambda: irt.ResponseData.from_wide(frame, dimension=dims))
        data_module._from_numeric_wide = lambda *args: None
        try:
            slow, t_slow = _timed(lambda: irt.ResponseData.from_wide(frame, dimension=dims))
            _, t_sim_slow = _timed(lambda: irt.simulate("2pl", num_respondents=rows, num_items=cols, seed=0))
        finally:
            data_module._from_numeric_wide = fast_path
        _, t_sim_fast = _timed(lambda: irt.simulate("2pl", num_respondents=rows, num_items=cols, seed=0))
        same = all(np.array_equal(getattr(fast, k), getattr(slow, k))
                   for k in ("respondent", "item", "response", "item_dimension")) and \
            (fast.respondent_ids, fast.item_ids, fast.dimension_ids) == (slow.respondent_ids, slow.item_ids,
                                                                         slow.dimension_ids)
        print(f"{rows}x{cols} ({fast.num_responses:,} responses): from_wide general {t_slow:.2f} s, "
              f"vectorised {t_fast:.3f} s; simulate general {t_sim_slow:.2f} s, vectorised {t_sim_fast:.2f} s; "
              f"identical={same}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
