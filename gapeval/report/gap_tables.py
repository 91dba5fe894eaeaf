"""A gap fit's abilities and item parameters in the layout of ``irt``'s tidy tables.

The figures of :mod:`gapeval.figures` (item curves, Wright map) read ``irt`` tables; these
functions express a :class:`~gapeval.gap.result.GapResult` in that layout: abilities by
``respondent`` (the model) and ``dimension`` (the direction), and per item a slope
``a[<direction>]`` and intercept ``d = −a·b`` (posterior means).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gapeval.responses import DIRECTIONS

__all__ = ["gap_abilities_table", "gap_items_table"]


def _mean(draws: np.ndarray) -> np.ndarray:
    return draws.reshape((-1,) + draws.shape[2:]).mean(axis=0)


def gap_abilities_table(result: Any) -> pd.DataFrame:
    """Posterior mean and sd of θ per model and direction (``irt`` abilities layout)."""
    theta = result.samples["theta"]
    flat = theta.reshape((-1,) + theta.shape[2:])
    rows = [
        {"respondent": model, "dimension": direction, "estimate": float(flat[:, m, d].mean()),
         "sd": float(flat[:, m, d].std(ddof=1))}
        for m, model in enumerate(result.data.model_ids)
        for d, direction in enumerate(DIRECTIONS)
    ]
    return pd.DataFrame(rows)


def gap_items_table(result: Any) -> pd.DataFrame:
    """Posterior means of each item's slope ``a[<direction>]`` and intercept ``d = −a·b``."""
    a, b = result.samples["a"], result.samples["b"]
    intercept = _mean(-a * b)
    slope = _mean(a)
    rows = []
    for i, item in enumerate(result.data.item_ids):
        direction = DIRECTIONS[int(result.data.item_slot[i])]
        rows.append({"item": item, "param": f"a[{direction}]", "estimate": float(slope[i])})
        rows.append({"item": item, "param": "d", "estimate": float(intercept[i])})
    return pd.DataFrame(rows)
