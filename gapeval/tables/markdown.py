"""Markdown rendering (pipe table, as GitHub and pandoc read it) of a :class:`~gapeval.tables.table.Table`."""

from __future__ import annotations

from gapeval.tables.format import Dialect, format_row
from gapeval.tables.texmath import math_to_text, split_math
from gapeval.tables.table import Table, require_table

__all__ = ["to_markdown", "escape_markdown", "markdown_text"]

_SPECIALS = "\\`*_|[]<>"


def escape_markdown(text: str) -> str:
    """Backslash-escape the characters that would end a cell or start emphasis, code or a link.

    Examples
    --------
    >>> print(escape_markdown("gpt_4o | *beta*"))
    gpt\\_4o \\| \\*beta\\*
    """
    return "".join("\\" + ch if ch in _SPECIALS else ch for ch in text)


def markdown_text(text: str) -> str:
    """A label, caption or note: ``$...$`` segments as Unicode with ``<sub>`` tags, the rest escaped.

    Examples
    --------
    >>> print(markdown_text(r"$\\theta_U$ of gpt_4o"))
    θ<sub>U</sub> of gpt\\_4o
    """
    return "".join(
        math_to_text(piece, sub=lambda s: f"<sub>{s}</sub>", sup=lambda s: f"<sup>{s}</sup>") if math
        else escape_markdown(piece)
        for math, piece in split_math(text)
    )


MARKDOWN = Dialect(minus="-", empty="—", escape=escape_markdown, less="< ", greater="> ")


def to_markdown(table: Table) -> str:
    """Render ``table`` as a Markdown pipe table with a pandoc-style caption line and a note.

    Returns
    -------
    str
        ``Table: caption``, a blank line, the pipe table, then (if any) a blank line and the note
        paragraph; ends with a newline.

    Examples
    --------
    >>> from gapeval.tables import Column, Table
    >>> t = Table(columns=(Column("m", "Model", "text"), Column("x", "Score", digits=2)),
    ...           rows=(("gpt_4o", 0.5),), caption="Scores")
    >>> print(to_markdown(t))
    Table: Scores
    <BLANKLINE>
    | Model | Score |
    | :--- | ---: |
    | gpt\\_4o | 0.50 |
    <BLANKLINE>
    """
    require_table(table, function="to_markdown")
    header = "| " + " | ".join(markdown_text(c.label) for c in table.columns) + " |"
    rule = "| " + " | ".join(":---" if c.kind == "text" else "---:" for c in table.columns) + " |"
    lines = [f"Table: {markdown_text(table.caption)}", "", header, rule]
    for row in table.rows:
        lines.append("| " + " | ".join(format_row(table, row, MARKDOWN, escape_markdown)) + " |")
    notes = table.note_lines()
    if notes:
        lines += ["", "*Note.* " + " ".join(markdown_text(n) for n in notes)]
    return "\n".join(lines) + "\n"
