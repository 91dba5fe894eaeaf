"""``report.html``: the report index as one self-contained page to share (figures inline, no links out).

The page is made from the same lines as ``report.md`` (headings, paragraphs, lists, images) and
the same table objects (:func:`gapeval.tables.to_html`), so the two never disagree. Figures are
embedded as base64 PNG data; links to the report's other files (``responses.csv``, ``.tex``) print
as file names, since the page travels alone. No script, no stylesheet or font from elsewhere.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from gapeval.tables import Table, to_html

__all__ = ["render_html"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1, h2 { font-weight: 600; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 1rem 0 .3rem; font-size: .9rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
thead th { border-top: 2px solid #222; border-bottom: 1px solid #222; padding: .25rem .6rem; }
tbody tr:last-child td { border-bottom: 2px solid #222; }
td { padding: .15rem .6rem; } .number { text-align: right; font-variant-numeric: tabular-nums; }
.text { text-align: left; } .note { font-size: .85rem; color: #444; max-width: 60rem; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #444; } .warnings { background: #fff6e0; padding: .3rem 1rem; }
code { background: #f3f3f3; padding: 0 .2rem; }
"""
_IMAGE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<path>[^)]+\.png)\)$")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def _inline(text: str) -> str:
    """Escape a Markdown line of the index and keep its few marks: code, emphasis, links as names."""
    out = html.escape(_LINK.sub(r"\1", text), quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"(?<![\w*])\*([^*]+)\*(?![\w*])", r"<em>\1</em>", out)


def _figure(folder: Path, alt: str, path: str) -> str:
    data = base64.b64encode((folder / path).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>")


def render_html(lines: Sequence[str], tables: Mapping[str, Table], folder: Path, *, title: str) -> str:
    """The page of a report whose index has ``lines``.

    Parameters
    ----------
    lines : sequence of str
        The Markdown lines of ``report.md``; a line that is a key of ``tables`` is that table's Markdown.
    tables : mapping
        Markdown rendering → the :class:`~gapeval.tables.Table` it came from (rendered again as HTML).
    folder : Path
        The report folder, where the figures named by image lines are read.
    title : str
        The page title.

    Returns
    -------
    str
        The whole HTML document.
    """
    body: list[str] = []
    in_list = False
    skip_caption = None
    for line in lines:
        if line.startswith("- ") and not in_list:
            body.append('<ul class="warnings">' if body and "Warnings" in body[-1] else "<ul>")
            in_list = True
        elif not line.startswith("- ") and in_list:
            body.append("</ul>")
            in_list = False
        image = _IMAGE.match(line)
        if line in tables:
            body.append(to_html(tables[line]))
        elif image:
            body.append(_figure(folder, image["alt"], image["path"]))
            skip_caption = f"*{image['alt']}*"
        elif line == skip_caption:
            skip_caption = None  # the figure's caption, already under the image
        elif line.startswith("LaTeX: ["):
            continue  # a link to a file beside report.md; the page travels alone
        elif line.startswith("# "):
            body.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("- "):
            body.append(f"<li>{_inline(line[2:])}</li>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    if in_list:
        body.append("</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
