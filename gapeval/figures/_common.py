"""Shared pieces of the figure functions: the error class, input checks and a fresh figure."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gapeval.errors import GapevalError

__all__ = ["FigureError", "require_frame", "require_columns", "numeric_column", "check_level", "check_choice",
           "new_axes", "model_column", "select", "place_labels"]

# Offsets (points) tried for a point's label, in order: up-right, down-right, up-left, down-left, then
# further up and down; a label takes the first where it overlaps no other text and stays in its axes.
_OFFSETS = [(5, 4), (5, -12), (-5, 4), (-5, -12)] + [(dx, dy) for step in range(1, 7)
                                                    for dy in (4 + 9 * step, -12 - 9 * step) for dx in (5, -5)]


class FigureError(GapevalError):
    """The input of a figure function is not what it needs (missing columns, bad values, bad options)."""


def require_frame(obj: object, *, what: str, hint: str) -> pd.DataFrame:
    """Return ``obj`` if it is a DataFrame with rows, else raise :class:`FigureError` naming ``what``."""
    if not isinstance(obj, pd.DataFrame):
        raise FigureError(f"{what} must be a pandas DataFrame, got {type(obj).__name__}; {hint}")
    if obj.empty:
        raise FigureError(f"{what} has no rows; {hint}")
    return obj


def require_columns(frame: pd.DataFrame, columns: Sequence[Hashable], *, what: str, hint: str) -> None:
    """Raise :class:`FigureError` naming every column of ``columns`` that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FigureError(f"{what} lacks column(s) {missing} (it has {list(frame.columns)}); {hint}")


def numeric_column(frame: pd.DataFrame, column: Hashable, *, what: str, allow_nan: bool = False) -> np.ndarray:
    """The column as floats; raise :class:`FigureError` naming non-numeric (or missing) values and rows."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) if not allow_nan else (np.isnan(values) & frame[column].notna().to_numpy())
    bad |= np.isinf(values)
    if bad.any():
        shown = frame[column][bad].tolist()[:5]
        raise FigureError(f"column {column!r} of {what} has non-numeric or missing values {shown} in rows "
                          f"{frame.index[bad][:5].tolist()}; fix or drop those rows")
    return values


def check_level(level: float) -> float:
    """Raise :class:`FigureError` unless ``0 < level < 1``."""
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        raise FigureError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    return float(level)


def check_choice(name: str, value: object, options: Sequence[object]) -> None:
    """Raise :class:`FigureError` unless ``value`` is one of ``options``."""
    if value not in options:
        raise FigureError(f"{name}={value!r} is not one of {list(options)}")


def new_axes(ax: Axes | None, *, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """A new one-axes figure, or ``ax`` and its figure when the caller gives axes to draw into."""
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        return fig, fig.add_subplot()
    if not isinstance(ax, Axes):
        raise FigureError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax.figure, ax


def model_column(frame: pd.DataFrame, model: Hashable | None) -> Hashable:
    """The model column: ``model`` if given (must exist), else the table's first column (gap_score's layout)."""
    if model is None:
        return frame.columns[0]
    require_columns(frame, [model], what="the gap table",
                    hint="pass model=<the column naming the models> (gap_score's first column)")
    return model


def select(available: Sequence[Hashable], wanted: Sequence[Hashable] | None, *, what: str) -> list[Hashable]:
    """``wanted`` in its order after checking each is in ``available`` (all of ``available`` when None)."""
    if wanted is None:
        return list(available)
    if isinstance(wanted, (str, bytes)) or not isinstance(wanted, Sequence):
        raise FigureError(f"{what}s must be a list of {what} ids, got {wanted!r}")
    unknown = [w for w in wanted if w not in set(available)]
    if unknown:
        raise FigureError(f"unknown {what}(s) {unknown[:8]}; available: {list(available)[:12]}"
                          f"{' ...' if len(available) > 12 else ''}")
    if not wanted:
        raise FigureError(f"{what}s is empty; give at least one {what} id or None for all")
    return list(wanted)


def _renderer(fig: Figure) -> object:
    """A renderer of ``fig`` (an Agg canvas is attached to a figure made with ``Figure()``)."""
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def place_labels(fig: Figure, labels: Sequence[object], *, obstacles: Sequence[object] = ()) -> None:
    """Move point labels (annotations in offset points) so that none overlaps another text or leaves its axes.

    Each label tries the offsets of ``_OFFSETS`` in turn and keeps the first free one (its
    text boxes measured by the renderer after a draw); ``obstacles`` are other texts to keep clear
    of (legend, notes). A label that finds no free place keeps its first offset.
    """
    if not labels:
        return
    renderer = _renderer(fig)
    fig.draw(renderer)  # lays the figure out (constrained layout) so that extents are final
    taken = [t.get_window_extent(renderer) for t in obstacles if t.get_visible() and t.get_text()]
    for label in sorted(labels, key=lambda t: t.xy[1]):
        frame = label.axes.get_window_extent(renderer)
        for dx, dy in _OFFSETS:
            label.set_position((dx, dy))
            label.set_horizontalalignment("left" if dx > 0 else "right")
            box = label.get_window_extent(renderer)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in taken):
                break
        else:
            label.set_position(_OFFSETS[0])
            label.set_horizontalalignment("left")
        taken.append(label.get_window_extent(renderer))
