"""Writing a figure to a PNG file, atomically (readers see the old file or the whole new one)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from matplotlib.figure import Figure

from gapeval.figures._common import FigureError
from gapeval.store.atomic import write_bytes_atomic

__all__ = ["save_figure"]


def save_figure(fig: Figure, path: str | os.PathLike, *, dpi: int = 150) -> Path:
    """Render ``fig`` as a PNG and write it to ``path`` atomically; the folder is created if needed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (as returned by the functions of :mod:`gapeval.figures`). Not closed: with the
        object API no pyplot state holds it, and it is freed with its last reference.
    path : str or os.PathLike
        Target file; its suffix must be ``.png``.
    dpi : int
        Resolution; the image is ``figure size in inches × dpi`` pixels.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    FigureError
        ``fig`` is not a Figure, the suffix is not ``.png``, or ``dpi`` is not a positive integer.

    Examples
    --------
    >>> import tempfile
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1))
    >>> path = save_figure(fig, tempfile.mkdtemp() + "/empty.png", dpi=50)
    >>> path.suffix, path.stat().st_size > 0
    ('.png', True)
    """
    if not isinstance(fig, Figure):
        raise FigureError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise FigureError(f"path {str(target)!r} must end in .png; save_figure writes PNG files")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or dpi < 1:
        raise FigureError(f"dpi={dpi!r} must be a positive integer, e.g. 150")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(target, buffer.getvalue(), fsync=False, suffix=".png")
    return target
