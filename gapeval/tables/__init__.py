"""Tables for papers: one frozen table object, built from results, rendered to LaTeX and Markdown.

Every p-value or interval names its test; multiple-comparison corrections (Holm,
Benjamini–Hochberg) and significance marks are stated in the note. See ``docs/tables.md``.
"""

from __future__ import annotations

from gapeval.tables.build import coef_table, slope_table, table_from_frame, variance_table
from gapeval.tables.corrections import CORRECTIONS, adjust, benjamini_hochberg, holm
from gapeval.tables.html_table import to_html
from gapeval.tables.latex import escape_latex, to_latex
from gapeval.tables.markdown import escape_markdown, to_markdown
from gapeval.tables.table import KINDS, TEST_DEFINITIONS, Column, Marks, Table

__all__ = [
    "Table",
    "Column",
    "Marks",
    "KINDS",
    "TEST_DEFINITIONS",
    "coef_table",
    "slope_table",
    "variance_table",
    "table_from_frame",
    "to_latex",
    "to_markdown",
    "to_html",
    "escape_latex",
    "escape_markdown",
    "holm",
    "benjamini_hochberg",
    "adjust",
    "CORRECTIONS",
]
