"""Read a rows x cols grid of flat-coloured cells from an image.

This module owns the grid reader shared by the grid verifiers, the bank's dynamic dialogue keys and
the procedural respondent. Each cell is read from the central half of its area (the grid lines and
the fringes around them are ignored) as the majority palette colour; a cell whose majority is weak
or unknown makes the whole image unreadable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gapeval.scenes.palette import COLOUR_NAMES, READABLE_GRID, quantise

__all__ = ["Grid", "read_grid"]

Grid = list[list[str]]


def read_grid(
    image: Any, *, rows: int, cols: int, min_share: float = 0.6, strict: bool = True
) -> Grid | None:
    """Return the colour name of every cell, or None when the image is not a readable grid.

    With ``strict=False`` a cell without a clear majority colour reads as ``"?"`` instead of making
    the whole grid unreadable (used for flags, whose discs and crosses cut through cells).

    Examples
    --------
    >>> from PIL import Image
    >>> read_grid(Image.new("RGB", (90, 60), (0, 150, 50)), rows=2, cols=3)
    [['green', 'green', 'green'], ['green', 'green', 'green']]
    """
    quantised = quantise(image)
    labels = quantised.labels
    if not quantised.is_readable(**READABLE_GRID):
        return None
    height, width = labels.shape
    grid: Grid = []
    for r in range(rows):
        row = []
        top, bottom = r * height / rows, (r + 1) * height / rows
        for c in range(cols):
            left, right = c * width / cols, (c + 1) * width / cols
            patch = labels[
                int(top + (bottom - top) / 4) : int(np.ceil(bottom - (bottom - top) / 4)),
                int(left + (right - left) / 4) : int(np.ceil(right - (right - left) / 4)),
            ].ravel()
            if patch.size == 0:
                return None
            values, counts = np.unique(patch, return_counts=True)
            best = counts.argmax()
            if values[best] < 0 or counts[best] < min_share * patch.size:
                if strict:
                    return None
                row.append("?")
                continue
            row.append(COLOUR_NAMES[values[best]])
        grid.append(row)
    return grid
