"""LaTeX rendering (booktabs) of a :class:`~gapeval.tables.table.Table`."""

from __future__ import annotations

from gapeval.errors import GapevalError
from gapeval.tables.format import Dialect, format_cell, format_row
from gapeval.tables.texmath import math_to_text, split_math
from gapeval.tables.table import Table, require_table

__all__ = ["ARTICLE_TEXTWIDTH_PT", "escape_latex", "latex_text", "natural_width", "to_latex"]

_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "–": "--",
    "—": "---",
    "−": "$-$",
    "×": r"$\times$",
    "±": r"$\pm$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
}
# Greek letters that appear in psychometric labels (pdfLaTeX cannot typeset them as text)
_SPECIALS.update({
    ch: f"$\\{name}$"
    for ch, name in zip("αβγδεθλμστωΔΣΘ", ["alpha", "beta", "gamma", "delta", "varepsilon", "theta",
                                          "lambda", "mu", "sigma", "tau", "omega", "Delta", "Sigma",
                                          "Theta"])
})


def escape_latex(text: str) -> str:
    """Escape LaTeX's special characters so ``text`` prints as written.

    Examples
    --------
    >>> print(escape_latex("gpt_4o & 50% #1 $5 {x}"))
    gpt\\_4o \\& 50\\% \\#1 \\$5 \\{x\\}
    """
    return "".join(_SPECIALS.get(ch, ch) for ch in text)


def latex_text(text: str) -> str:
    """A label, caption or note: ``$...$`` segments stay math, the rest is escaped.

    Examples
    --------
    >>> print(latex_text(r"$\\theta_U$ of gpt_4o"))
    $\\theta_U$ of gpt\\_4o
    """
    return "".join(f"${piece}$" if math else escape_latex(piece) for math, piece in split_math(text))


LATEX = Dialect(minus="$-$", empty="---", escape=escape_latex, less="$<$", greater="$>$")


ARTICLE_TEXTWIDTH_PT = 345.0
"""``\\textwidth`` of LaTeX's ``article`` class at 10 pt (A4 and letter), in points."""

_PLAIN = Dialect(minus="−", empty="—", escape=str, less="<", greater=">")


def _text_pt(text: str) -> float:
    """Width of ``text`` in Computer Modern at 9 pt (``\\small``), from a few classes of glyphs."""
    narrow, wide = set(".,:;!|[]()'ilIjtf1 "), set("−<>=×mwMWABCDGHKNOQRU")
    return 1.04 * sum(2.6 if ch in narrow else 7.0 if ch in wide else 4.6 for ch in text)


def natural_width(table: Table, *, colsep_pt: float = 4.0) -> float:
    """An estimate (in points) of the width the tabular of ``table`` takes at ``\\small`` size.

    Each column is as wide as its widest cell or header (glyph widths of Computer Modern at 9 pt,
    within a few percent of LaTeX's on the report's tables), plus ``\\tabcolsep`` on both sides. Used to choose landscape for tables
    that cannot fit the text block; the real check is a LaTeX run (``benchmarks/report/check_latex.py``).
    """
    total = 0.0
    for i, column in enumerate(table.columns):
        header = "".join(math_to_text(piece, sub=str, sup=str) if math else piece
                         for math, piece in split_math(column.label))
        cells = [format_cell(row[i], column, _PLAIN) for row in table.rows]
        marks = 9.0 if table.marks and table.marks.column == column.key else 0.0
        total += max(_text_pt(text) for text in [header, *cells]) + marks + 2 * colsep_pt
    return total


def _align(kind: str) -> str:
    return "l" if kind == "text" else "r"


def to_latex(
    table: Table,
    *,
    placement: str = "htbp",
    size: str | None = "small",
    colsep: str | None = "4pt",
    layout: str = "auto",
    textwidth_pt: float = ARTICLE_TEXTWIDTH_PT,
) -> str:
    """Render ``table`` as a LaTeX ``table`` float with a booktabs ``tabular``.

    Needs ``\\usepackage{booktabs}`` in the preamble (and ``pdflscape`` for a landscape table). Text
    cells are escaped; labels, the caption and the notes are escaped except their ``$...$`` math
    (:func:`latex_text`); the notes (free notes, test definitions, correction, marks) follow the tabular in a
    footnote-size paragraph.

    Parameters
    ----------
    table : Table
    placement : str
        Float placement specifier.
    size : str or None
        Font size command of the table body (``small``, as journals set tables; ``None``: the text size).
    colsep : str or None
        ``\\tabcolsep`` inside the float (``4pt``: narrower than LaTeX's 6pt default; ``None`` keeps it).
    layout : {'auto', 'portrait', 'landscape'}
        ``landscape`` sets the float on a landscape page (``\\usepackage{pdflscape}``); ``auto`` does
        so only when :func:`natural_width` exceeds ``textwidth_pt``.
    textwidth_pt : float
        The text width of the target document (default: ``article`` at 10 pt, 345 pt).

    Returns
    -------
    str
        The LaTeX source, ending with a newline.

    Examples
    --------
    >>> from gapeval.tables import Column, Table
    >>> t = Table(columns=(Column("m", "Model", "text"), Column("x", "Score", digits=2)),
    ...           rows=(("gpt_4o", 0.5),), caption="Scores")
    >>> print(to_latex(t))  # doctest: +NORMALIZE_WHITESPACE
    \\begin{table}[htbp]
      \\centering
      \\small
      \\setlength{\\tabcolsep}{4pt}
      \\caption{Scores}
      \\begin{tabular}{lr}
        \\toprule
        Model & Score \\\\
        \\midrule
        gpt\\_4o & 0.50 \\\\
        \\bottomrule
      \\end{tabular}
    \\end{table}
    <BLANKLINE>
    """
    require_table(table, function="to_latex")
    if layout not in ("auto", "portrait", "landscape"):
        raise GapevalError(f"layout={layout!r}; use 'auto', 'portrait' or 'landscape'")
    landscape = layout == "landscape" or (layout == "auto" and natural_width(table) > textwidth_pt)
    spec = "".join(_align(c.kind) for c in table.columns)
    lines = [f"\\begin{{table}}[{placement}]", "  \\centering"]
    if size:
        lines.append(f"  \\{size}")
    if colsep:
        lines.append(f"  \\setlength{{\\tabcolsep}}{{{colsep}}}")
    lines.append(f"  \\caption{{{latex_text(table.caption)}}}")
    if table.label:
        lines.append(f"  \\label{{{table.label}}}")
    lines += [f"  \\begin{{tabular}}{{{spec}}}", "    \\toprule"]
    lines.append("    " + " & ".join(latex_text(c.label) for c in table.columns) + r" \\")
    lines.append("    \\midrule")
    for row in table.rows:
        cells = format_row(table, row, LATEX, lambda symbol: f"\\textsuperscript{{{escape_latex(symbol)}}}")
        lines.append("    " + " & ".join(cells) + r" \\")
    lines += ["    \\bottomrule", "  \\end{tabular}"]
    notes = table.note_lines()
    if notes:
        body = " ".join(latex_text(n) for n in notes)
        lines += ["  \\par\\smallskip", "  \\begin{minipage}{\\linewidth}",
                  f"    \\footnotesize\\emph{{Note.}} {body}", "  \\end{minipage}"]
    lines.append("\\end{table}")
    if landscape:
        lines = ["\\begin{landscape}", *lines, "\\end{landscape}"]
    return "\n".join(lines) + "\n"
