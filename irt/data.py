"""Response data: validation and integer coding of respondents, items and dimensions.

Ids become integer codes once, here; every model and estimator works on the coded arrays and the
labels are attached again at the edge (tables, ArviZ coords).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numbers

import numpy as np
import pandas as pd

from irt.errors import IRTError

__all__ = ["ResponseData"]

_MAX_LISTED = 8


def _listed(values: Sequence[Any]) -> str:
    """Format at most a few offending values for an error message."""
    values = list(values)
    shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values[:_MAX_LISTED])
    more = f", ... ({len(values)} in all)" if len(values) > _MAX_LISTED else ""
    return f"[{shown}{more}]"


def _encode(values: pd.Series, *, order: Sequence[Hashable] | None = None) -> tuple[np.ndarray, tuple]:
    """Integer-code ``values``: sorted labels when they sort, else first-appearance order."""
    if order is None:
        uniques = pd.unique(values)
        try:
            order = sorted(uniques)
        except TypeError:
            order = list(uniques)
    index = pd.Index(list(order))
    codes = index.get_indexer(values)
    return codes.astype(np.int32), tuple(v.item() if isinstance(v, np.generic) else v for v in order)


@dataclass(frozen=True, eq=False)
class ResponseData:
    """Validated, integer-coded item responses in long form.

    Build it with :meth:`from_long`, :meth:`from_wide` or :meth:`from_patterns`; the constructor
    itself trusts its arguments.

    Attributes
    ----------
    respondent, item : numpy.ndarray
        Integer codes (``int32``) of each observed response, indexing ``respondent_ids`` and
        ``item_ids``.
    response : numpy.ndarray
        The observed responses (``int32``): 0/1 for binary items, 0..K-1 for ordered categories.
    respondent_ids, item_ids : tuple
        Labels in code order.
    item_dimension : numpy.ndarray or None
        Code of the dimension each item measures (between-item structure), when the data named one.
    dimension_ids : tuple
        Labels of the dimensions; ``()`` when no dimension was given.
    pattern : numpy.ndarray or None
        For data built from a pattern table: the pattern row each respondent came from.
    """

    respondent: np.ndarray
    item: np.ndarray
    response: np.ndarray
    respondent_ids: tuple
    item_ids: tuple
    item_dimension: np.ndarray | None = None
    dimension_ids: tuple = ()
    pattern: np.ndarray | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_long(
        cls,
        df: pd.DataFrame,
        *,
        respondent: str = "respondent",
        item: str = "item",
        response: str = "response",
        dimension: str | None = None,
    ) -> ResponseData:
        """Build from a long table with one row per (respondent, item) response.

        Parameters
        ----------
        df : pandas.DataFrame
            The responses. It is not modified.
        respondent, item, response : str
            Column names of the respondent id, the item id and the response.
        dimension : str, optional
            Column naming the latent dimension each item measures; it must be constant within an item.

        Returns
        -------
        ResponseData

        Raises
        ------
        ValueError
            Naming the column and the offending values: missing columns or ids, non-numeric,
            non-integer, negative or infinite responses, duplicated (respondent, item) rows, items
            with a single observed category, empty data. Rows whose response is missing (NaN) are
            dropped: a missing answer is an absent row.

        Examples
        --------
        >>> import pandas as pd
        >>> from irt import ResponseData
        >>> df = pd.DataFrame({"respondent": ["m1", "m1", "m2", "m2"],
        ...                    "item": ["q1", "q2", "q1", "q2"], "response": [1, 0, 0, 1]})
        >>> data = ResponseData.from_long(df)
        >>> data.num_respondents, data.num_items, data.num_responses
        (2, 2, 4)
        """
        if not isinstance(df, pd.DataFrame):
            raise IRTError(f"from_long expects a pandas DataFrame, got {type(df).__name__}; "
                             "use ResponseData.from_wide for a matrix")
        wanted = [respondent, item, response] + ([dimension] if dimension is not None else [])
        missing = [c for c in wanted if c not in df.columns]
        if missing:
            raise IRTError(f"column(s) {missing} not in the table; it has columns {list(df.columns)}: "
                             "pass respondent=, item=, response= (and dimension=) to name yours")
        return cls._from_columns(
            df[respondent], df[item], df[response],
            df[dimension] if dimension is not None else None,
            names=(respondent, item, response, dimension),
        )

    @classmethod
    def from_wide(cls, matrix: Any, *, dimension: Sequence[Hashable] | None = None) -> ResponseData:
        """Build from a respondents x items matrix; NaN marks a missing response.

        Parameters
        ----------
        matrix : array_like or pandas.DataFrame
            Rows are respondents, columns items. A DataFrame's index and columns become the ids
            (column order is kept); an array gets integer ids 0..n-1.
        dimension : sequence, optional
            The dimension of each column (between-item structure), one label per item.

        Returns
        -------
        ResponseData

        Examples
        --------
        >>> import numpy as np
        >>> from irt import ResponseData
        >>> data = ResponseData.from_wide(np.array([[1, 0, 1], [0, np.nan, 1], [1, 1, 0]]))
        >>> data.num_responses
        8
        """
        frame = matrix if isinstance(matrix, pd.DataFrame) else pd.DataFrame(_as_2d(matrix))
        if frame.size == 0:
            raise IRTError("no responses: the matrix is empty")
        if frame.columns.has_duplicates:
            dups = frame.columns[frame.columns.duplicated()].unique()
            raise IRTError(f"duplicated item columns {_listed(dups)}; give every item a unique name")
        if frame.index.has_duplicates:
            dups = frame.index[frame.index.duplicated()].unique()
            raise IRTError(f"duplicated respondent rows {_listed(dups)}; give every respondent a unique id")
        all_missing = frame.index[frame.isna().all(axis=1)]
        if len(all_missing):
            raise IRTError(f"respondent(s) {_listed(all_missing)} have no responses (all NaN); drop those rows")
        if dimension is not None and len(dimension) != frame.shape[1]:
            raise IRTError(f"dimension has {len(dimension)} labels for {frame.shape[1]} items; give one per column")
        fast = _from_numeric_wide(cls, frame, dimension)
        if fast is not None:
            return fast
        # General path (non-numeric columns, or something to report): one row per cell, validated column-wise.
        long = frame.rename_axis(index="respondent", columns="item").stack(future_stack=True).rename("response")
        long = long.reset_index()
        dim_col = None
        if dimension is not None:
            dim_col = long["item"].map(dict(zip(frame.columns, dimension)))
        return cls._from_columns(
            long["respondent"], long["item"], long["response"], dim_col,
            names=("respondent", "item", "response", "dimension"),
            respondent_order=list(frame.index), item_order=list(frame.columns),
        )

    @classmethod
    def from_patterns(cls, patterns: Any, counts: Any) -> ResponseData:
        """Build from a table of distinct response patterns and how often each occurred.

        Each pattern is expanded into ``count`` respondents (ids ``0..N-1`` in table order); the
        pattern of each respondent is kept in :attr:`pattern`, so estimators can collapse again.

        Parameters
        ----------
        patterns : array_like or pandas.DataFrame
            One row per pattern, one column per item; NaN marks a missing response.
        counts : array_like
            Non-negative integer frequency of each pattern.

        Returns
        -------
        ResponseData

        Examples
        --------
        >>> from irt import ResponseData
        >>> data = ResponseData.from_patterns([[0, 0], [1, 0], [1, 1]], [2, 3, 1])
        >>> data.num_respondents
        6
        """
        frame = patterns if isinstance(patterns, pd.DataFrame) else pd.DataFrame(_as_2d(patterns))
        counts_arr = np.asarray(counts)
        if counts_arr.ndim != 1 or len(counts_arr) != len(frame):
            raise IRTError(f"counts has shape {counts_arr.shape} but there are {len(frame)} patterns; "
                             "give one count per pattern row")
        if not np.issubdtype(counts_arr.dtype, np.number):
            raise IRTError(f"counts must be numbers, got dtype {counts_arr.dtype}")
        bad = np.flatnonzero(~np.isfinite(counts_arr) | (counts_arr < 0) | (counts_arr != np.round(counts_arr)))
        if len(bad):
            raise IRTError(f"counts must be non-negative integers; rows {_listed(bad)} have "
                             f"{_listed(counts_arr[bad])}")
        counts_int = counts_arr.astype(np.int64)
        if counts_int.sum() == 0:
            raise IRTError("no responses: every pattern count is zero")
        pattern_of_respondent = np.repeat(np.arange(len(frame)), counts_int)
        expanded = frame.iloc[pattern_of_respondent].reset_index(drop=True)
        data = cls.from_wide(expanded)
        return cls(
            respondent=data.respondent, item=data.item, response=data.response,
            respondent_ids=data.respondent_ids, item_ids=data.item_ids,
            pattern=pattern_of_respondent.astype(np.int32),
        )

    @classmethod
    def _from_columns(
        cls,
        respondent: pd.Series,
        item: pd.Series,
        response: pd.Series,
        dimension: pd.Series | None,
        *,
        names: tuple[str, str, str, str | None],
        respondent_order: Sequence[Hashable] | None = None,
        item_order: Sequence[Hashable] | None = None,
    ) -> ResponseData:
        r_name, i_name, y_name, d_name = names
        if len(response) == 0:
            raise IRTError("no responses: the table is empty")
        for series, name in ((respondent, r_name), (item, i_name)) + (((dimension, d_name),) if dimension is not None else ()):
            _refuse_unhashable(series, name)
        for series, name in ((respondent, r_name), (item, i_name)):
            rows = np.flatnonzero(series.isna().to_numpy())
            if len(rows):
                raise IRTError(f"column {name!r} has missing ids in rows {_listed(rows)}; "
                                 "every response needs a respondent and an item")
        values = _numeric_responses(response, y_name)
        keep = ~np.isnan(values)
        if not keep.any():
            raise IRTError(f"no responses: every value of column {y_name!r} is missing")
        respondent, item, values = respondent[keep], item[keep], values[keep]
        if dimension is not None:
            dimension = dimension[keep]
        r_codes, r_ids = _encode(respondent, order=respondent_order)
        i_codes, i_ids = _encode(item, order=item_order)
        key = r_codes.astype(np.int64) * len(i_ids) + i_codes
        if len(np.unique(key)) != len(key):
            uniq, counts = np.unique(key, return_counts=True)
            dup_pairs = [(r_ids[k // len(i_ids)], i_ids[k % len(i_ids)]) for k in uniq[counts > 1]]
            raise IRTError(f"duplicated ({r_name}, {i_name}) rows {_listed(dup_pairs)}; keep one response "
                             "per respondent and item (aggregate repeats or add a sample id to the item)")
        y = values.astype(np.int32)
        low = np.full(len(i_ids), np.iinfo(np.int32).max, dtype=np.int32)
        high = np.full(len(i_ids), -1, dtype=np.int32)
        np.minimum.at(low, i_codes, y)
        np.maximum.at(high, i_codes, y)
        constant = [i_ids[i] for i in np.flatnonzero(low == high)]
        if constant:
            raise IRTError(f"item(s) {_listed(constant)} have a single observed response category; an item "
                             "that everybody answers alike carries no information: drop it")
        item_dimension, dimension_ids = None, ()
        if dimension is not None:
            item_dimension, dimension_ids = _item_dimensions(dimension, i_codes, i_ids, d_name)
        order = np.lexsort((i_codes, r_codes))
        return cls(
            respondent=r_codes[order], item=i_codes[order], response=y[order],
            respondent_ids=r_ids, item_ids=i_ids,
            item_dimension=item_dimension, dimension_ids=dimension_ids,
        )

    def __repr__(self) -> str:
        dims = f", dimensions={list(self.dimension_ids)}" if self.dimension_ids else ""
        return (f"ResponseData(respondents={self.num_respondents}, items={self.num_items}, "
                f"responses={self.num_responses}, categories<={int(self.response.max()) + 1}{dims})")

    # ------------------------------------------------------------------ views
    @property
    def num_respondents(self) -> int:
        """Number of respondents."""
        return len(self.respondent_ids)

    @property
    def num_items(self) -> int:
        """Number of items."""
        return len(self.item_ids)

    @property
    def num_responses(self) -> int:
        """Number of observed responses."""
        return len(self.response)

    @property
    def num_categories(self) -> np.ndarray:
        """Number of response categories of each item (highest observed response + 1)."""
        out = np.zeros(self.num_items, dtype=np.int32)
        np.maximum.at(out, self.item, self.response + 1)
        return out

    @property
    def is_binary(self) -> bool:
        """True when every response is 0 or 1."""
        return bool(self.response.max() <= 1)

    def to_wide(self) -> pd.DataFrame:
        """Respondents x items DataFrame of responses, NaN where missing."""
        matrix = np.full((self.num_respondents, self.num_items), np.nan)
        matrix[self.respondent, self.item] = self.response
        return pd.DataFrame(matrix, index=pd.Index(self.respondent_ids, name="respondent"),
                            columns=pd.Index(self.item_ids, name="item"))

    def to_long(self) -> pd.DataFrame:
        """Long DataFrame with columns ``respondent``, ``item``, ``response`` (and ``dimension``)."""
        frame = pd.DataFrame({
            "respondent": [self.respondent_ids[r] for r in self.respondent],
            "item": [self.item_ids[i] for i in self.item],
            "response": self.response,
        })
        if self.item_dimension is not None:
            frame["dimension"] = [self.dimension_ids[self.item_dimension[i]] for i in self.item]
        return frame

    def default_q_matrix(self) -> np.ndarray:
        """The Q-matrix implied by the data: one column per named dimension, else a single column."""
        if self.item_dimension is None:
            return np.ones((self.num_items, 1), dtype=np.int32)
        q = np.zeros((self.num_items, len(self.dimension_ids)), dtype=np.int32)
        q[np.arange(self.num_items), self.item_dimension] = 1
        return q


def _from_numeric_wide(cls, frame: pd.DataFrame, dimension: Sequence[Hashable] | None):
    """``from_wide`` for an all-numeric matrix with nothing to report, vectorised; ``None`` otherwise.

    Returns ``None`` (so the general path runs and raises its messages) when a column is not
    numeric, a value is infinite, negative or non-integer, an item is constant or has no response,
    or a dimension label is missing. The result equals the general path's.
    """
    if not all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_complex_dtype(t) for t in frame.dtypes):
        return None
    values = frame.to_numpy(dtype=float, na_value=np.nan)
    observed = ~np.isnan(values)
    seen = values[observed]
    if np.isinf(seen).any() or (seen < 0).any() or (seen != np.round(seen)).any():
        return None
    answered = observed.any(axis=0)
    if not answered.all():
        return None
    low = np.where(observed, values, np.inf).min(axis=0)
    high = np.where(observed, values, -np.inf).max(axis=0)
    if (low == high).any():
        return None
    item_dimension, dimension_ids = None, ()
    if dimension is not None:
        labels = pd.Series(list(dimension), dtype=object)
        if labels.isna().any():
            return None
        item_dimension, dimension_ids = _encode(labels)
    rows, cols = np.nonzero(observed)  # row-major: sorted by respondent, then item
    as_id = lambda v: v.item() if isinstance(v, np.generic) else v  # noqa: E731
    return cls(
        respondent=rows.astype(np.int32), item=cols.astype(np.int32), response=values[rows, cols].astype(np.int32),
        respondent_ids=tuple(as_id(v) for v in frame.index), item_ids=tuple(as_id(v) for v in frame.columns),
        item_dimension=item_dimension, dimension_ids=dimension_ids,
    )


def _as_2d(matrix: Any) -> np.ndarray:
    if np.iscomplexobj(matrix):
        raise IRTError("the response matrix holds complex numbers; responses are real 0/1 or 0..K-1 "
                       "(NaN for missing): take the real part or recode them")
    try:
        arr = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError) as error:
        raise IRTError(f"the response matrix must be numeric (NaN for missing): {error}") from None
    if arr.ndim != 2:
        raise IRTError(f"the response matrix must be 2-D (respondents x items), got shape {arr.shape}")
    return arr


def _refuse_unhashable(ids: pd.Series, name: str | None) -> None:
    """Ids must be labels (strings, numbers): a dict, list or set in an id column is named by row."""
    if ids.dtype != object:
        return
    rows = np.flatnonzero([isinstance(v, dict | list | set | bytearray) for v in ids])
    if len(rows):
        kinds = sorted({type(ids.iloc[r]).__name__ for r in rows})
        raise IRTError(f"column {name!r} holds {'/'.join(kinds)} values in rows {_listed(rows)}; ids must be "
                       "strings or numbers: convert or drop those rows")


def _refuse_non_real(response: pd.Series, name: str) -> None:
    """Responses must be real numbers (or strings of them): complex numbers, dicts and lists are named."""
    if pd.api.types.is_complex_dtype(response.dtype):
        rows = np.flatnonzero(np.imag(response.to_numpy()) != 0)
        rows = rows if len(rows) else np.arange(len(response))
    elif response.dtype == object:
        rows = np.flatnonzero([not (v is None or v is pd.NA or isinstance(v, str | bool | numbers.Real))
                               for v in response])
    else:
        return
    if len(rows):
        shown = _listed([response.iloc[r] for r in rows])
        raise IRTError(f"column {name!r} has values that are not real numbers {shown} in rows {_listed(rows)}; "
                       "responses are 0/1 or 0..K-1 (NaN for missing): convert or drop them")


def _numeric_responses(response: pd.Series, name: str) -> np.ndarray:
    """Validate responses: numeric, finite, non-negative integers; NaN stays NaN (missing)."""
    _refuse_non_real(response, name)
    numeric = pd.to_numeric(response, errors="coerce")
    bad = numeric.isna() & response.notna()
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        raise IRTError(f"column {name!r} has non-numeric values {_listed(pd.unique(response[bad]))} in rows "
                         f"{_listed(rows)}; map them to 0/1 (or 0..K-1) or drop them")
    values = numeric.to_numpy(dtype=float)
    checks = (
        (np.isinf(values), "infinite values", "replace them by NaN (missing) or a valid category"),
        (values < 0, "negative values", "code categories as 0..K-1"),
        (np.isfinite(values) & (values != np.round(values)), "non-integer values",
         "IRT models take 0/1 or ordered categories 0..K-1: round or threshold them"),
    )
    for mask, what, fix in checks:
        if mask.any():
            rows = np.flatnonzero(mask)
            raise IRTError(f"column {name!r} has {what} {_listed(values[rows])} in rows {_listed(rows)}; {fix}")
    return values


def _item_dimensions(dimension: pd.Series, i_codes: np.ndarray, i_ids: tuple, name: str | None):
    rows = np.flatnonzero(dimension.isna().to_numpy())
    if len(rows):
        raise IRTError(f"column {name!r} has missing dimensions in rows {_listed(rows)}")
    d_codes, d_ids = _encode(dimension)
    item_dimension = np.full(len(i_ids), -1, dtype=np.int32)
    for i in range(len(i_ids)):
        dims = np.unique(d_codes[i_codes == i])
        if dims.size > 1:
            raise IRTError(f"item {i_ids[i]!r} is assigned to several dimensions "
                             f"{_listed([d_ids[d] for d in dims])} in column {name!r}; an item measures one "
                             "dimension here (use a Q-matrix in irt.fit for within-item loadings)")
        item_dimension[i] = dims[0]
    return item_dimension, d_ids
