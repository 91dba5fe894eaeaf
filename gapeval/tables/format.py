"""Cell formatting shared by the renderers: raw values to text, one dialect per output format."""

from __future__ import annotations

import math
from dataclasses import dataclass

from collections.abc import Callable

from gapeval.tables.table import Column, Table

__all__ = ["Dialect", "format_cell", "format_row"]


@dataclass(frozen=True)
class Dialect:
    """How a format writes the few symbols numbers need, and how it escapes text."""

    minus: str
    empty: str
    escape: object
    """Callable escaping free text for the format."""
    less: str
    """The ``<`` sign before a bound (``< 0.001``)."""
    greater: str
    """The ``>`` sign before a bound (``> 0.999``)."""


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: float, digits: int, dialect: Dialect) -> str:
    if _is_missing(value):
        return dialect.empty
    if math.isinf(value):
        return dialect.minus + "inf" if value < 0 else "inf"
    text = f"{value:.{digits}f}"
    if text.startswith("-"):
        # -0.000 prints as 0.000
        body = text[1:]
        return body if float(body) == 0 else dialect.minus + body
    return text


def _probability(p: float, digits: int, dialect: Dialect, *, upper: bool) -> str:
    """``< 0.001`` below the last printed decimal; ``> 0.999`` above it for a posterior probability
    (a share of draws, never exactly 0 or 1 in the posterior); the value otherwise."""
    bound = 10.0 ** -digits
    if p < bound:
        return f"{dialect.less}{bound:.{digits}f}"
    if upper and p > 1 - bound:
        return f"{dialect.greater}{1 - bound:.{digits}f}"
    return f"{p:.{digits}f}"


def format_cell(value: object, column: Column, dialect: Dialect) -> str:
    """Format one raw value for ``column`` (marks are added by the renderer)."""
    if _is_missing(value):
        return dialect.empty
    kind = column.kind
    if kind == "text":
        return dialect.escape(str(value))
    if kind == "integer":
        return _number(float(value), 0, dialect)
    if kind == "number":
        return _number(float(value), column.digits, dialect)
    if kind in ("p_value", "probability"):
        return _probability(float(value), column.digits, dialect, upper=kind == "probability")
    lower, upper = value  # interval
    return f"[{_number(float(lower), column.digits, dialect)}, {_number(float(upper), column.digits, dialect)}]"


def format_row(table: Table, row: tuple[object, ...], dialect: Dialect, mark: Callable[[str], str]) -> list[str]:
    """The cells of one row, the significance mark (wrapped by ``mark``) after the marked column's value."""
    cells = []
    for column, value in zip(table.columns, row):
        text = format_cell(value, column, dialect)
        if table.marks is not None and column.key == table.marks.column:
            symbol = table.marks.mark(value)
            text += mark(symbol) if symbol else ""
        cells.append(text)
    return cells
