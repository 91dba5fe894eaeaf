"""Forest plot of Gap Scores: one row per model, the gap with its interval, and the zero line."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gapeval.figures._common import FigureError, model_column, new_axes, numeric_column, require_columns, require_frame

__all__ = ["forest_plot", "gap_axis_label", "interval_label"]

_HINT = "pass the table gapeval.gap_score returns (columns gap, gap_lower, gap_upper)"


def gap_axis_label(attrs: dict) -> str:
    """Axis label of a gap, naming the scale (or the legacy method) recorded in the table's ``attrs``."""
    if attrs.get("method") == "gapeval-2026":
        return str(attrs.get("label") or "legacy GapEval-2026 gap score (unsigned)")
    scale = attrs.get("scale")
    return r"gap $\theta_U - \theta_G$" + (f" ({scale} scale)" if scale else "")


def interval_label(attrs: dict) -> str | None:
    """``"95% credible interval"`` from ``attrs`` ``level`` and ``interval``; None without a level."""
    level = attrs.get("level")
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        return None
    return f"{100 * level:g}% {attrs.get('interval') or 'interval'}"


def _ordered(frame: pd.DataFrame, gap: np.ndarray, sort: bool) -> np.ndarray:
    """Row positions from the bottom of the plot to the top."""
    if sort:  # largest gap on top; models without a gap at the bottom
        return np.argsort(np.where(np.isnan(gap), -np.inf, gap), kind="stable")
    return np.arange(len(frame))[::-1]  # first row on top, as the table reads


def forest_plot(gaps: pd.DataFrame, *, model: Hashable | None = None, sort: bool = True,
                ax: Axes | None = None) -> Figure:
    """Gap of every model with its interval, as a forest plot with a line at zero.

    Parameters
    ----------
    gaps : pandas.DataFrame
        The table :func:`gapeval.gap_score` returns: a model column and ``gap``, ``gap_lower``,
        ``gap_upper``. ``attrs`` (``scale``, ``level``, ``interval``, ``method``) name the axis and
        the title when present. A model whose gap is NaN (it answered one direction only) keeps its
        row, marked "no gap"; a row without interval bounds (the legacy score) is drawn as a point.
    model : hashable, optional
        Column naming the models; default the table's first column (gap_score's layout).
    sort : bool
        Order the rows by gap, largest at the top; False keeps the table's order, first row at the top.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (its figure is returned); default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One error bar per model with an interval (``gid`` ``"gap:<model>"``) and the zero line
        (``gid`` ``"zero"``).

    Raises
    ------
    FigureError
        Not a DataFrame, no rows, a missing column (named), non-numeric values, or an interval that
        does not contain its gap.

    Examples
    --------
    >>> import pandas as pd
    >>> gaps = pd.DataFrame({"model": ["a", "b"], "gap": [0.5, -0.2], "gap_lower": [0.1, -0.6],
    ...                      "gap_upper": [0.9, 0.3]})
    >>> fig = forest_plot(gaps)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['b', 'a']
    """
    frame = require_frame(gaps, what="gaps", hint=_HINT)
    name = model_column(frame, model)
    require_columns(frame, ["gap", "gap_lower", "gap_upper"], what="gaps", hint=_HINT)
    gap, lower, upper = (numeric_column(frame, c, what="gaps", allow_nan=True)
                         for c in ("gap", "gap_lower", "gap_upper"))
    with np.errstate(invalid="ignore"):
        outside = np.isfinite(lower) & np.isfinite(upper) & ((lower > gap) | (gap > upper))
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise FigureError(f"model {frame[name].iloc[i]!r} has gap {gap[i]:g} outside its interval "
                          f"[{lower[i]:g}, {upper[i]:g}]; gap_lower <= gap <= gap_upper is required")
    fig, ax = new_axes(ax, figsize=(6.0, 1.2 + 0.35 * len(frame)))
    order = _ordered(frame, gap, sort)
    labels = []
    for y, i in enumerate(order):
        label = str(frame[name].iloc[i])
        labels.append(label)
        if np.isfinite(lower[i]) and np.isfinite(upper[i]):
            ax.errorbar([gap[i]], [y], xerr=[[gap[i] - lower[i]], [upper[i] - gap[i]]], fmt="o", color="C0",
                        capsize=3, gid=f"gap:{label}")
        elif np.isfinite(gap[i]):
            ax.plot([gap[i]], [y], "o", color="C0", gid=f"gap:{label}")
        else:
            ax.annotate("no gap (one direction)", (0, y), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize="small", color="0.4")
    ax.axvline(0.0, color="0.5", linestyle="--", linewidth=1, gid="zero")
    ax.set_yticks(range(len(order)), labels)
    ax.set_ylim(-0.7, len(order) - 0.3)
    ax.set_xlabel(gap_axis_label(frame.attrs))
    ax.set_ylabel("model")
    title = interval_label(frame.attrs)
    # the interval on a line of its own: "approximate credible interval" beside long model names
    # would run past the figure's edge
    ax.set_title("Gap Score" + (f"\nwith {title}" if title else ""), fontsize="medium")
    return fig
