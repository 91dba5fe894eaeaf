"""Figures for papers and reports, built from results as matplotlib Figures (saving is the caller's job).

Every function is a pure function of its inputs: it returns a new :class:`matplotlib.figure.Figure`
made with the object API (no pyplot state, safe under any backend) and never shows or saves it;
:func:`save_figure` writes a PNG. See ``docs/figures.md``.

- :func:`forest_plot` — Gap Score per model with its interval (a :func:`gapeval.gap_score` table);
- :func:`ability_scatter` — θ_U against θ_G with error bars and the identity line;
- :func:`decay_curves` — mean score by turn per model and direction, with bands and fitted slopes;
- :func:`item_curves` — item characteristic / category / information curves of an ``irt`` fit;
- :func:`wright_map` — person abilities beside item difficulties.
"""

from __future__ import annotations

from gapeval.figures._common import FigureError
from gapeval.figures.abilities import ability_scatter
from gapeval.figures.forest import forest_plot
from gapeval.figures.items import item_curves
from gapeval.figures.save import save_figure
from gapeval.figures.turns import decay_curves, turn_means
from gapeval.figures.wright import wright_map

__all__ = [
    "forest_plot",
    "ability_scatter",
    "decay_curves",
    "turn_means",
    "item_curves",
    "wright_map",
    "save_figure",
    "FigureError",
]
