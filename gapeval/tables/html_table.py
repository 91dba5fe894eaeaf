"""HTML rendering of a :class:`~gapeval.tables.table.Table` (for the self-contained ``report.html``)."""

from __future__ import annotations

import html

from gapeval.tables.format import Dialect, format_row
from gapeval.tables.texmath import math_to_text, split_math
from gapeval.tables.table import Table, require_table

__all__ = ["html_text", "to_html"]


def html_text(text: str) -> str:
    """A label, caption or note: ``$...$`` segments as Unicode with ``<sub>`` tags, the rest escaped.

    Examples
    --------
    >>> print(html_text(r"$\\theta_U$ of <b>"))
    θ<sub>U</sub> of &lt;b&gt;
    """
    return "".join(
        math_to_text(piece, sub=lambda s: f"<sub>{html.escape(s)}</sub>", sup=lambda s: f"<sup>{html.escape(s)}</sup>")
        if math else html.escape(piece)
        for math, piece in split_math(text)
    )


HTML = Dialect(minus="−", empty="—", escape=html.escape, less="&lt; ", greater="&gt; ")


def to_html(table: Table) -> str:
    """Render ``table`` as an HTML ``<table>`` with its caption, and the note in a ``<p class="note">``.

    Examples
    --------
    >>> from gapeval.tables import Column, Table
    >>> t = Table(columns=(Column("m", "Model", "text"), Column("x", "$\\\\theta_U$", digits=2)),
    ...           rows=(("a<b", -0.5),), caption="Scores")
    >>> print(to_html(t))
    <table>
    <caption>Scores</caption>
    <thead><tr><th class="text">Model</th><th class="number">θ<sub>U</sub></th></tr></thead>
    <tbody>
    <tr><td class="text">a&lt;b</td><td class="number">−0.50</td></tr>
    </tbody>
    </table>
    <BLANKLINE>
    """
    require_table(table, function="to_html")
    def cls(kind: str) -> str:
        return "text" if kind == "text" else "number"

    lines = ["<table>", f"<caption>{html_text(table.caption)}</caption>"]
    lines.append("<thead><tr>" + "".join(f'<th class="{cls(c.kind)}">{html_text(c.label)}</th>' for c in table.columns)
                 + "</tr></thead>")
    lines.append("<tbody>")
    for row in table.rows:
        cells = format_row(table, row, HTML, lambda symbol: f"<sup>{html.escape(symbol)}</sup>")
        lines.append("<tr>" + "".join(f'<td class="{cls(c.kind)}">{text}</td>' for c, text in zip(table.columns, cells))
                     + "</tr>")
    lines += ["</tbody>", "</table>"]
    notes = table.note_lines()
    if notes:
        lines.append('<p class="note"><em>Note.</em> ' + " ".join(html_text(n) for n in notes) + "</p>")
    return "\n".join(lines) + "\n"
