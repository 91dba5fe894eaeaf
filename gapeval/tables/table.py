"""The table object: one frozen record that both the LaTeX and the Markdown renderers read."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from gapeval.errors import GapevalError
from gapeval.tables.corrections import CORRECTIONS, describe

__all__ = ["Column", "Marks", "Table", "TEST_DEFINITIONS", "KINDS", "require_table"]

KINDS = ("text", "number", "integer", "p_value", "probability", "interval")
"""Column kinds: how a renderer formats the raw values of a column. ``p_value`` prints values below
``10**-digits`` as ``< 0.001``; ``probability`` (a posterior probability, a share of draws) also
prints values above ``1 - 10**-digits`` as ``> 0.999``."""

TEST_DEFINITIONS = {
    "Wald z": "Wald z: estimate / SE referred to the standard normal (large-sample; what statsmodels "
              "MixedLM prints).",
    "t (Satterthwaite df)": "t (Satterthwaite df): estimate / SE referred to Student's t with "
                            "Satterthwaite's approximate degrees of freedom (as lmerTest).",
    "t (containment df)": "t (containment df): estimate / SE referred to Student's t whose degrees of freedom "
                          "are the levels of the random term containing the effect less the fixed effects "
                          "estimated between them (SAS GLIMMIX's DDFM=CONTAIN).",
    "likelihood ratio": "likelihood ratio: twice the log-likelihood difference referred to chi-squared.",
    "posterior probability (variational Bayes)": "posterior probability (variational Bayes): "
        "2 min(P(b > 0), P(b < 0)) under the mean-field normal posterior; intervals are posterior "
        "mean +/- quantile x posterior SD.",
    "posterior probability (NUTS)": "posterior probability (NUTS): 2 min(P(b > 0), P(b < 0)) over the "
        "posterior draws; intervals are equal-tailed posterior intervals.",
    "posterior probability": "posterior probability: 2 min(P(b > 0), P(b < 0)) under the posterior.",
}
"""What each test name means; a table's note defines every test it uses."""


@dataclass(frozen=True)
class Column:
    """One column: a key for lookups, the printed label and how values are formatted."""

    key: str
    label: str
    kind: str = "number"
    """One of :data:`KINDS`."""
    digits: int = 3
    """Decimals for numbers, intervals, p-values and probabilities; p-values below ``10**-digits``
    print as ``< 0.001`` (for ``digits=3``)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise GapevalError(f"column {self.key!r} has kind={self.kind!r}; use one of {list(KINDS)}")
        if not 0 <= self.digits <= 12:
            raise GapevalError(f"column {self.key!r} has digits={self.digits}; use 0..12")


@dataclass(frozen=True)
class Marks:
    """Significance marks appended to the cells of one p-value column, defined in the table note."""

    column: str
    """Key of the p-value column whose values decide the marks."""
    thresholds: tuple[tuple[float, str], ...] = ((0.001, "***"), (0.01, "**"), (0.05, "*"))
    """``(threshold, mark)`` pairs; a value below a threshold gets its mark (the first match wins)."""

    def __post_init__(self) -> None:
        values = [t for t, _ in self.thresholds]
        if not values or values != sorted(values) or not all(0 < t <= 1 for t in values):
            raise GapevalError(
                f"mark thresholds {values} must be increasing and in (0, 1], e.g. (0.001, 0.01, 0.05)"
            )

    def mark(self, p: float | None) -> str:
        """The mark for p-value ``p`` ('' when none applies or ``p`` is missing)."""
        if p is None or (isinstance(p, float) and math.isnan(p)):
            return ""
        for threshold, symbol in self.thresholds:
            if p < threshold:
                return symbol
        return ""

    def definition(self, label: str) -> str:
        """Sentence defining the marks, e.g. ``* p < 0.05; ** p < 0.01 (column p).``"""
        parts = [f"{s} {label} < {t:g}" for t, s in sorted(self.thresholds, reverse=True)]
        return "Marks: " + "; ".join(parts) + "."


@dataclass(frozen=True)
class Table:
    """A results table, independent of the output format.

    Values are raw (floats, ints, strings, ``(lower, upper)`` tuples for intervals, ``None`` for
    empty cells); the renderers format them. Every p-value or interval names the test that produced
    it (a per-row ``test`` column and/or ``tests``), and the note states the correction and the marks.
    """

    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    caption: str
    label: str | None = None
    """LaTeX ``\\label`` key (ignored by Markdown)."""
    notes: tuple[str, ...] = ()
    """Free-text notes (model, data, interval level); test, correction and mark definitions are added
    by :meth:`note_lines`."""
    tests: tuple[str, ...] = ()
    """Names of the tests that produced the table's p-values and intervals."""
    correction: str | None = None
    """``"holm"`` or ``"bh"`` when p-values were adjusted for multiple comparisons, else ``None``."""
    family_size: int | None = None
    """Number of comparisons in the corrected family."""
    marks: Marks | None = None

    def __post_init__(self) -> None:
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise GapevalError(f"column keys must be unique, got {keys}")
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise GapevalError(f"row {i} has {len(row)} cells but the table has {len(keys)} columns")
        if self.correction is not None:
            if self.correction not in CORRECTIONS:
                raise GapevalError(
                    f"correction={self.correction!r} is not one of {list(CORRECTIONS)} (or None)"
                )
            if not self.family_size:
                raise GapevalError("a corrected table must say its family_size (number of comparisons)")
        if self.marks is not None:
            col = self.column(self.marks.column)
            if col.kind != "p_value":
                raise GapevalError(f"marks need a p_value column; {col.key!r} is {col.kind!r}")

    def column(self, key: str) -> Column:
        """The column with ``key``."""
        for c in self.columns:
            if c.key == key:
                return c
        raise GapevalError(f"no column {key!r}; columns: {[c.key for c in self.columns]}")

    def values(self, key: str) -> list[object]:
        """Raw values of one column, top to bottom."""
        i = [c.key for c in self.columns].index(self.column(key).key)
        return [row[i] for row in self.rows]

    def abbreviate(self, key: str, abbreviations: Mapping[str, str], *, label: str | None = None) -> Table:
        """A new table whose ``key`` column prints ``abbreviations[value]``, each defined in the note.

        For text columns whose words make a table too wide for the page (``understanding`` → ``U``);
        values without an abbreviation print as they are. ``label`` renames the column.

        Examples
        --------
        >>> t = Table(columns=(Column("d", "Direction", "text"),), rows=(("understanding",),), caption="c")
        >>> short = t.abbreviate("d", {"understanding": "U"}, label="Dir.")
        >>> short.rows, short.notes
        ((('U',),), ('Dir.: U, understanding.',))
        """
        i = [c.key for c in self.columns].index(self.column(key).key)
        used = [value for value in dict.fromkeys(row[i] for row in self.rows) if value in abbreviations]
        rows = tuple(row[:i] + (abbreviations.get(row[i], row[i]),) + row[i + 1:] for row in self.rows)
        columns = tuple(replace(c, label=label) if c.key == key and label else c for c in self.columns)
        legend = "; ".join(f"{abbreviations[value]}, {value}" for value in used)
        notes = self.notes + ((f"{label or self.column(key).label}: {legend}.",) if used else ())
        return replace(self, columns=columns, rows=rows, notes=notes)

    def note_lines(self) -> tuple[str, ...]:
        """All note sentences in order: free notes, test definitions, correction, marks."""
        lines = list(self.notes)
        lines += [TEST_DEFINITIONS.get(t, f"{t}.") for t in self.tests]
        if self.correction is not None:
            lines.append(describe(self.correction, int(self.family_size)))
        if self.marks is not None:
            lines.append(self.marks.definition(self.column(self.marks.column).label))
        return tuple(lines)


def require_table(table: object, *, function: str) -> None:
    """Refuse anything but a :class:`Table` given to a renderer, saying how to make one.

    Examples
    --------
    >>> require_table([1, 2], function="to_latex")
    Traceback (most recent call last):
    ...
    gapeval.errors.GapevalError: to_latex needs a gapeval.tables.Table, got list; build one with coef_table, slope_table or table_from_frame(frame, caption=...)
    """
    if not isinstance(table, Table):
        raise GapevalError(f"{function} needs a gapeval.tables.Table, got {type(table).__name__}; build one with "
                           "coef_table, slope_table or table_from_frame(frame, caption=...)")
