"""Validation of confirmatory loading structures (Q-matrices)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from irt.errors import IRTError

__all__ = ["validate_q_matrix"]


def validate_q_matrix(q_matrix: Any, *, item_ids: tuple, dimension_ids: tuple = ()) -> tuple[np.ndarray, tuple]:
    """Check a Q-matrix against the items and return it as a 0/1 ``int32`` array with dimension labels.

    Parameters
    ----------
    q_matrix : array_like or pandas.DataFrame
        Items x dimensions, 1 where the item loads on the dimension. A DataFrame is aligned on its
        index (item ids) and its columns name the dimensions; an array must be in item-code order.
    item_ids : tuple
        The item labels of the data, in code order.
    dimension_ids : tuple, optional
        Labels for the dimensions of an array Q-matrix (default ``F1, F2, ...``).

    Returns
    -------
    (numpy.ndarray, tuple)
        The Q-matrix and the dimension labels.

    Raises
    ------
    ValueError
        Wrong shape, values other than 0/1, items missing from a DataFrame's index, an item that loads
        on no dimension, or a dimension (column) without items.

    Examples
    --------
    >>> q, dims = validate_q_matrix([[1, 0], [1, 1], [0, 1]], item_ids=("a", "b", "c"))
    >>> q.sum(axis=0).tolist(), dims
    ([2, 2], ('F1', 'F2'))
    """
    if isinstance(q_matrix, pd.DataFrame):
        missing = [i for i in item_ids if i not in q_matrix.index]
        if missing:
            raise IRTError(f"the Q-matrix has no rows for items {missing[:8]}; its index must hold every item id")
        dims = tuple(q_matrix.columns)
        values = q_matrix.loc[list(item_ids)].to_numpy()
    else:
        values = np.asarray(q_matrix)
        if values.ndim == 1:
            values = values[:, None]
        dims = ()
    if values.ndim != 2 or values.shape[0] != len(item_ids):
        raise IRTError(f"the Q-matrix has shape {values.shape} but the data have {len(item_ids)} items; "
                         "give one row per item and one column per dimension")
    try:
        numeric = values.astype(float)
    except (TypeError, ValueError):
        raise IRTError("the Q-matrix must hold 0/1 numbers") from None
    if not np.isin(numeric, (0.0, 1.0)).all():
        bad = np.unique(numeric[~np.isin(numeric, (0.0, 1.0))])
        raise IRTError(f"the Q-matrix must hold only 0 and 1, found {bad[:8].tolist()}")
    q = numeric.astype(np.int32)
    if not dims:
        dims = tuple(dimension_ids) if len(dimension_ids) == q.shape[1] else tuple(f"F{k + 1}" for k in range(q.shape[1]))
    empty_rows = [item_ids[i] for i in np.flatnonzero(q.sum(axis=1) == 0)]
    if empty_rows:
        raise IRTError(f"items {empty_rows[:8]} load on no dimension in the Q-matrix; every row needs a 1")
    empty_cols = [dims[k] for k in np.flatnonzero(q.sum(axis=0) == 0)]
    if empty_cols:
        raise IRTError(f"dimension(s) {empty_cols} have no items in the Q-matrix (empty column); drop the column")
    return q, dims
