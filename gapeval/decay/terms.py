"""Random-effect terms in lme4's notation, and their design arrays.

A term ``(1 + x | g)`` gives every level of the grouping factor ``g`` a vector of correlated effects,
one per column (here an intercept and a slope on ``x``); ``g`` may be an interaction of columns
(``model:session``: one level per combination that occurs). Terms are independent of each other, so
crossed factors (``(1 | session) + (1 | item)`` with sessions and items shared by several models) and
nested ones (``(1 | model:session)``) are written the same way (Bates et al. 2015, *J. Stat. Softw.*
67(1), section 2).

:func:`parse_formula` splits ``"y ~ x + (1 + x | g) + (1 | h)"`` into the fixed part and the terms;
:func:`term_design` lays a term out on a table: one level code per row and the term's column values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapeval.decay.errors import DecayError

__all__ = ["RandomTerm", "TermDesign", "parse_formula", "parse_re_columns", "term_design", "format_terms"]

_TERM = re.compile(r"\(([^()|]*)\|([^()|]*)\)")
_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


@dataclass(frozen=True)
class RandomTerm:
    """One random-effect term ``(columns | group)``.

    Examples
    --------
    >>> RandomTerm(("model",), ("Intercept", "turn")).label
    '(1 + turn | model)'
    """

    group: tuple[str, ...]
    """Columns whose combinations are the levels (``("model", "session")`` for ``model:session``)."""
    columns: tuple[str, ...]
    """Effect columns; ``"Intercept"`` is the constant 1."""

    @property
    def group_name(self) -> str:
        """The grouping factor as lme4 writes it (``model:session``)."""
        return ":".join(self.group)

    @property
    def label(self) -> str:
        """The term in lme4's notation."""
        parts = ["1" if c == "Intercept" else c for c in self.columns]
        if "Intercept" not in self.columns:
            parts.insert(0, "0")
        return f"({' + '.join(parts)} | {self.group_name})"


@dataclass(frozen=True, eq=False)
class TermDesign:
    """A :class:`RandomTerm` laid out on a table of ``n`` rows."""

    term: RandomTerm
    codes: np.ndarray
    """Level code of every row, shape (n,), in ``0..len(levels) - 1``."""
    levels: tuple
    """Level labels in code order (a tuple of tuples for an interaction)."""
    values: np.ndarray
    """Values of the term's columns on every row, shape (n, k)."""

    @property
    def num_levels(self) -> int:
        return len(self.levels)

    @property
    def k(self) -> int:
        """Number of correlated effects per level."""
        return self.values.shape[1]


def parse_formula(formula: str) -> tuple[str, tuple[RandomTerm, ...]]:
    """Split an lme4 formula into its fixed-effects formula and its random-effect terms.

    Examples
    --------
    >>> fixed, terms = parse_formula("score ~ turn * direction + (1 + turn | model) + (1 | model:session)")
    >>> fixed, [t.label for t in terms]
    ('score ~ turn * direction', ['(1 + turn | model)', '(1 | model:session)'])
    """
    if "~" not in formula:
        raise DecayError(f"formula {formula!r} has no '~'; write it as 'y ~ x + (1 + x | group)'")
    terms = tuple(_parse_term(left, right, formula) for left, right in _TERM.findall(formula))
    lhs, rhs = formula.split("~", 1)
    parts = [p.strip() for p in _top_level_split(_TERM.sub("", rhs)) if p.strip()]
    if any("|" in p for p in parts):
        raise DecayError(f"formula {formula!r}: write every random term in parentheses, e.g. '(1 + x | group)'")
    return f"{lhs.strip()} ~ {' + '.join(parts) or '1'}", terms


def _top_level_split(text: str) -> list[str]:
    """``text`` split at the ``+`` signs outside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "+" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    return parts + ["".join(current)]


def _parse_term(left: str, right: str, formula: str) -> RandomTerm:
    group = tuple(g.strip() for g in right.split(":"))
    if not group or not all(_NAME.match(g) for g in group):
        raise DecayError(f"formula {formula!r}: the grouping factor {right.strip()!r} must be a column name or an "
                         "interaction of column names such as 'model:session'")
    return RandomTerm(group=group, columns=parse_re_columns(left, formula))


def parse_re_columns(left: str, formula: str) -> tuple[str, ...]:
    """The effect columns of the left side of a term, ``"1 + x"`` → ``("Intercept", "x")`` (``0`` drops the 1).

    Examples
    --------
    >>> parse_re_columns("1 + turn", "(1 + turn | model)"), parse_re_columns("0 + turn", "(0 + turn | model)")
    (('Intercept', 'turn'), ('turn',))
    """
    parts = [p.strip() for p in left.split("+") if p.strip()]
    intercept = "0" not in parts and "-1" not in parts
    columns = [p for p in parts if p not in ("0", "1", "-1")]
    bad = [c for c in columns if not _NAME.match(c)]
    if bad:
        raise DecayError(f"formula {formula!r}: random-effect columns {bad} must be plain column names (make a "
                         "column for a transformed variable first)")
    if not intercept and not columns:
        raise DecayError(f"formula {formula!r}: the term '({left.strip()} | ...)' has no effect")
    return (("Intercept",) if intercept else ()) + tuple(columns)


def term_design(frame: pd.DataFrame, term: RandomTerm) -> TermDesign:
    """Level codes and column values of ``term`` on ``frame`` (levels sorted, as lme4 sorts them).

    Raises
    ------
    DecayError
        When a grouping or effect column is missing or has missing values, or an effect column is not
        numeric.
    """
    for col in (*term.group, *(c for c in term.columns if c != "Intercept")):
        if col not in frame.columns:
            raise DecayError(f"random term {term.label}: column {col!r} is not in the data (columns: "
                             f"{list(frame.columns)})")
        if frame[col].isna().any():
            rows = list(frame.index[frame[col].isna()][:5])
            raise DecayError(f"random term {term.label}: column {col!r} has missing values in rows {rows}; drop "
                             "or fill them")
    keys = frame[list(term.group)].astype(str)
    key = keys.iloc[:, 0] if len(term.group) == 1 else keys.agg("\x1f".join, axis=1)
    labels, codes = np.unique(key.to_numpy(), return_inverse=True)
    levels = tuple(tuple(lab.split("\x1f")) if len(term.group) > 1 else lab for lab in labels)
    values = []
    for col in term.columns:
        if col == "Intercept":
            values.append(np.ones(len(frame)))
            continue
        series = pd.to_numeric(frame[col], errors="coerce")
        if series.isna().any():
            raise DecayError(f"random term {term.label}: column {col!r} is not numeric; random slopes need a "
                             "numeric column")
        values.append(series.to_numpy(float))
    return TermDesign(term=term, codes=codes.astype(np.int64), levels=levels, values=np.column_stack(values))


def format_terms(terms: tuple[RandomTerm, ...], names: dict[str, str] | None = None) -> str:
    """The terms in lme4's notation joined by ``+``, columns renamed by ``names``.

    Examples
    --------
    >>> format_terms((RandomTerm(("m",), ("Intercept", "t")), RandomTerm(("m", "s"), ("Intercept",))),
    ...              {"m": "model", "t": "turn", "s": "session"})
    '(1 + turn | model) + (1 | model:session)'
    """
    names = names or {}
    renamed = (RandomTerm(tuple(names.get(g, g) for g in t.group), tuple(names.get(c, c) for c in t.columns))
               for t in terms)
    return " + ".join(t.label for t in renamed)
