"""The agreement table between two rating columns of a frame, and reading the ratings from a file.

``kind="points"`` reports Pearson's r, Spearman's ρ and Krippendorff's α (interval);
``kind="categories"`` reports Cohen's κ and Krippendorff's α (nominal). Each row carries its
bootstrap interval, the number of units, resamples and the seed. The command ``gapeval agreement``
(:mod:`gapeval.cli.agreement`) prints this table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from gapeval.errors import GapevalError
from gapeval.scoring.agreement import Agreement, cohen_kappa, pearson, spearman
from gapeval.scoring.alpha import krippendorff_alpha

__all__ = ["agreement_table", "read_ratings"]

Kind = Literal["points", "categories"]

_COLUMNS = [
    "statistic", "detail", "estimate", "lower", "upper", "level",
    "n_units", "n_boot", "seed", "n_degenerate",
]  # fmt: skip


def agreement_table(
    frame: pd.DataFrame,
    *,
    a: str,
    b: str,
    kind: Kind = "points",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Agreement statistics between columns ``a`` and ``b`` of ``frame``, one row per statistic.

    Parameters
    ----------
    frame
        One row per rated unit; missing ratings are NaN/None (pairwise statistics drop the row,
        α keeps the other rating).
    a, b
        Names of the two rating columns.
    kind
        ``"points"`` (r, ρ, interval α) or ``"categories"`` (κ, nominal α).
    n_boot, level, seed
        Bootstrap resamples, interval coverage and generator seed (the same for every row).

    Returns
    -------
    pandas.DataFrame
        Columns ``statistic, detail, estimate, lower, upper, level, n_units, n_boot, seed,
        n_degenerate``.

    Raises
    ------
    GapevalError
        If a column is missing or ``kind`` is unknown, or as the statistics do.

    Examples
    --------
    >>> frame = pd.DataFrame({"judge": [0, 1, 1, 0, 1, 1], "human": [0, 1, 0, 0, 1, 1]})
    >>> table = agreement_table(frame, a="judge", b="human", kind="categories", n_boot=0)
    >>> table.set_index("statistic")["estimate"].round(4).to_dict()
    {'cohen_kappa': 0.6667, 'krippendorff_alpha': 0.6857}
    """
    missing = [name for name in (a, b) if name not in frame.columns]
    if missing:
        raise GapevalError(
            f"column(s) {missing} not found; available columns are {list(frame.columns)}"
        )
    if kind not in ("points", "categories"):
        raise GapevalError(f"unknown kind {kind!r}; use 'points' or 'categories'")
    left, right = frame[a].tolist(), frame[b].tolist()
    options = {"n_boot": n_boot, "level": level, "seed": seed}
    rows: list[Agreement]
    if kind == "points":
        rows = [
            pearson(left, right, **options),
            spearman(left, right, **options),
            krippendorff_alpha([left, right], metric="interval", **options),
        ]
    else:
        rows = [
            cohen_kappa(left, right, **options),
            krippendorff_alpha([left, right], metric="nominal", **options),
        ]
    return pd.DataFrame([{c: getattr(r, c) for c in _COLUMNS} for r in rows], columns=_COLUMNS)


def read_ratings(path: str | Path) -> pd.DataFrame:
    """Read a CSV (``.csv``) or Parquet (``.parquet``, ``.pq``) file of ratings.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    GapevalError
        If the suffix is neither, or the file cannot be read (not UTF-8, a malformed row, empty,
        damaged Parquet): the message names the file and the line (:func:`gapeval.files.read_table`).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"ratings file {str(path)!r} does not exist")
    from gapeval.files import read_table

    return read_table(path, what="ratings file")
