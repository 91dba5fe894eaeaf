"""Markdown rendering (pipe table, as GitHub and pandoc read it) of a :class:`~gapeval.tables.table.Table`."""

from __future__ import annotations

from gapeval.tables.format import Dialect, format_cell
from gapeval.tables.table import Table

__all__ = ["to_markdown", "escape_markdown"]

_SPECIALS = "\\`*_|[]<>"


def escape_markdown(text: str) -> str:
    """Backslash-escape the characters that would end a cell or start emphasis, code or a link.

    Examples
    --------
    >>> print(escape_markdown("gpt_4o | *beta*"))
    gpt\\_4o \\| \\*beta\\*
    """
    return "".join("\\" + ch if ch in _SPECIALS else ch for ch in text)


MARKDOWN = Dialect(minus="-", empty="—", escape=escape_markdown, power="{m}e{e}")


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
    header = "| " + " | ".join(escape_markdown(c.label) for c in table.columns) + " |"
    rule = "| " + " | ".join(":---" if c.kind == "text" else "---:" for c in table.columns) + " |"
    lines = [f"Table: {escape_markdown(table.caption)}", "", header, rule]
    mark_key = table.marks.column if table.marks else None
    for row in table.rows:
        cells = []
        for column, value in zip(table.columns, row):
            text = format_cell(value, column, MARKDOWN)
            if column.key == mark_key:
                text += escape_markdown(table.marks.mark(value))
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    notes = table.note_lines()
    if notes:
        lines += ["", "*Note.* " + " ".join(escape_markdown(n) for n in notes)]
    return "\n".join(lines) + "\n"
