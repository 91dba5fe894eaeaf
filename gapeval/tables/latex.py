"""LaTeX rendering (booktabs) of a :class:`~gapeval.tables.table.Table`."""

from __future__ import annotations

from gapeval.tables.format import Dialect, format_cell
from gapeval.tables.table import Table

__all__ = ["to_latex", "escape_latex"]

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


LATEX = Dialect(minus="$-$", empty="---", escape=escape_latex, power="${m}\\times 10^{{{e}}}$")


def _align(kind: str) -> str:
    return "l" if kind == "text" else "r"


def to_latex(table: Table, *, placement: str = "htbp") -> str:
    """Render ``table`` as a LaTeX ``table`` float with a booktabs ``tabular``.

    Needs ``\\usepackage{booktabs}`` in the preamble. Text cells, labels, the caption and the notes are
    escaped; the notes (free notes, test definitions, correction, marks) follow the tabular in a
    footnote-size paragraph.

    Parameters
    ----------
    table : Table
    placement : str
        Float placement specifier.

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
    spec = "".join(_align(c.kind) for c in table.columns)
    lines = [f"\\begin{{table}}[{placement}]", "  \\centering", f"  \\caption{{{escape_latex(table.caption)}}}"]
    if table.label:
        lines.append(f"  \\label{{{table.label}}}")
    lines += [f"  \\begin{{tabular}}{{{spec}}}", "    \\toprule"]
    lines.append("    " + " & ".join(escape_latex(c.label) for c in table.columns) + r" \\")
    lines.append("    \\midrule")
    mark_key = table.marks.column if table.marks else None
    for row in table.rows:
        cells = []
        for column, value in zip(table.columns, row):
            text = format_cell(value, column, LATEX)
            if column.key == mark_key:
                symbol = table.marks.mark(value)
                text += f"\\textsuperscript{{{escape_latex(symbol)}}}" if symbol else ""
            cells.append(text)
        lines.append("    " + " & ".join(cells) + r" \\")
    lines += ["    \\bottomrule", "  \\end{tabular}"]
    notes = table.note_lines()
    if notes:
        body = " ".join(escape_latex(n) for n in notes)
        lines += ["  \\par\\smallskip", "  \\begin{minipage}{\\linewidth}",
                  f"    \\footnotesize\\emph{{Note.}} {body}", "  \\end{minipage}"]
    lines.append("\\end{table}")
    return "\n".join(lines) + "\n"
