"""IMUG-Bench's deterministic scoring of the Geometric_Coloring cube turns (``data/grid_gt``).

IMUG-Bench does not send the image turns of ``Geometric_Coloring`` / ``cubes_coloring``,
``cubes_completion`` and ``cubes_synthesis`` to its judge: ``scripts/auxiliary/score_grid.py``
reads a 3 x 3 grid of cells from the model's image and scores the turn's evaluation points against
the ground truth in ``data/grid_gt/Geometric_Coloring__<subdomain>__<sample_id>.jsonl``
(``{"turn": t, "grid": [["1", "0", "0"], ...]}``; ``"0"`` an empty cell, ``"1"`` a cube, ``"r"``
a red cube, ``"g"`` a green cube).

The points, as the reference scores them (each 0 or 5; the turn score is their mean / 5):

1. 5 when a grid was read at all;
2. 5 when the pattern of filled cells equals the ground truth's (otherwise scoring stops here and
   every later point is 0);
3. (when the turn has at least 3 points) 5 when the red cells are exactly the ground truth's;
4. (when it has at least 4 points) 5 when the green cells are exactly the ground truth's.

:func:`grid_point_scores` is that rule, exactly. :func:`read_cube_grid` reads the grid with the
reference's steps (an adaptive threshold of the grey image, the bounding box of everything drawn,
a 3 x 3 erosion that removes thin grid lines, the filled outlines of what is left, 100-pixel cells
of a 300 x 300 crop, HSV colour ranges) written with numpy and scipy instead of OpenCV; on clean
renderings it reads what OpenCV reads, on borderline images the two may differ (OpenCV's resizing
and contour areas are not reproduced bit for bit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from gapeval.scoring.verifiers.result import VerifierResult

__all__ = ["GRID_SUBDOMAINS", "grid_point_scores", "read_cube_grid", "verify_imug_grid"]

#: IMUG-Bench subdomains of ``Geometric_Coloring`` scored this way (``score_grid.py``).
GRID_SUBDOMAINS: tuple[str, ...] = ("cubes_coloring", "cubes_completion", "cubes_synthesis")
_CELLS = ("0", "1", "r", "g")
_SIZE, _CELL = 300, 100


def _check_grid(grid: Sequence[Sequence[str]], name: str) -> list[list[str]]:
    rows = [list(map(str, row)) for row in grid]
    if len(rows) != 3 or any(len(row) != 3 for row in rows):
        raise ValueError(f"{name} must be 3 rows of 3 cells, got {grid!r}")
    bad = sorted({cell for row in rows for cell in row} - set(_CELLS))
    if bad:
        raise ValueError(f"{name} has cells {bad}; use {', '.join(_CELLS)}")
    return rows


def grid_point_scores(
    detected: Sequence[Sequence[str]] | None, truth: Sequence[Sequence[str]], num_points: int
) -> tuple[int, ...]:
    """Score of each evaluation point (0 or 5), as IMUG-Bench's ``score_logic`` gives them.

    Examples
    --------
    >>> truth = [["g", "r", "0"], ["0", "0", "0"], ["1", "0", "0"]]
    >>> grid_point_scores(truth, truth, 4)
    (5, 5, 5, 5)
    >>> grid_point_scores([["r", "r", "0"], ["0", "0", "0"], ["1", "0", "0"]], truth, 4)
    (5, 5, 0, 0)
    >>> grid_point_scores([["1", "0", "0"], ["0", "0", "0"], ["0", "0", "0"]], truth, 3)
    (5, 0, 0)
    >>> grid_point_scores(None, truth, 2)
    (0, 0)
    """
    if num_points < 1:
        raise ValueError(f"num_points must be at least 1, got {num_points}")
    truth = _check_grid(truth, "the ground truth")
    scores = [0] * num_points
    if detected is None:
        return tuple(scores)
    detected = _check_grid(detected, "the detected grid")
    scores[0] = 5
    filled = [[cell != "0" for cell in row] for row in detected]
    if filled != [[cell != "0" for cell in row] for row in truth]:
        return tuple(scores)
    if num_points >= 2:
        scores[1] = 5
    else:  # the reference sets point 2 even when the turn has one point (same mean, one more entry)
        scores.append(5)
    for point, colour in ((3, "r"), (4, "g")):
        if num_points >= point:
            same = all((detected[r][c] == colour) == (truth[r][c] == colour) for r in range(3) for c in range(3))
            scores[point - 1] = 5 if same else 0
    return tuple(scores)


def _adaptive_ink(gray: np.ndarray) -> np.ndarray:
    """OpenCV's ADAPTIVE_THRESH_GAUSSIAN_C, block 15, C = 10, THRESH_BINARY_INV, as a boolean mask."""
    from scipy import ndimage

    sigma = 0.3 * ((15 - 1) * 0.5 - 1) + 0.8  # OpenCV's sigma for a 15-pixel Gaussian kernel
    local = ndimage.gaussian_filter(gray, sigma=sigma, mode="nearest", truncate=7 / sigma)
    return gray <= np.round(local) - 10


def _filled_outlines(mask: np.ndarray, *, min_area: int = 50) -> np.ndarray:
    """Each 8-connected component of ``mask`` with its holes filled, kept when larger than ``min_area``."""
    from scipy import ndimage

    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    solid = np.zeros_like(mask)
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        filled = ndimage.binary_fill_holes(labels[box] == index)
        if filled.sum() > min_area:
            solid[box] |= filled
    return solid


def _hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue in OpenCV's 0-180 scale, saturation and value in 0-255, of a float RGB array."""
    high, low = rgb.max(axis=-1), rgb.min(axis=-1)
    spread = high - low
    safe = np.where(spread == 0, 1.0, spread)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    hue = np.where(high == r, (g - b) / safe, np.where(high == g, 2 + (b - r) / safe, 4 + (r - g) / safe))
    hue = np.where(spread == 0, 0.0, (hue * 30) % 180)
    saturation = np.where(high == 0, 0.0, 255 * spread / np.where(high == 0, 1.0, high))
    return hue, saturation, high


def read_cube_grid(image: Any) -> list[list[str]] | None:
    """The 3 x 3 grid of cells ("0", "1", "r", "g") drawn in ``image``, or None when none is found.

    Examples
    --------
    >>> read_cube_grid(Image.new("RGB", (90, 90), "white")) is None
    True
    """
    picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image, dtype=np.uint8))
    rgb = np.asarray(picture.convert("RGB"), dtype=np.float64)
    gray = np.round(rgb @ np.array([0.299, 0.587, 0.114]))
    ink = _adaptive_ink(gray)
    if not ink.any():
        return None
    rows, cols = np.nonzero(ink)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    from scipy import ndimage

    eroded = ndimage.binary_erosion(ink, structure=np.ones((3, 3), dtype=bool), border_value=1)
    solid = _filled_outlines(eroded)[top:bottom, left:right]
    solid = np.asarray(Image.fromarray((solid * 255).astype(np.uint8)).resize((_SIZE, _SIZE), Image.BILINEAR),
                       dtype=np.float64)
    crop = picture.convert("RGB").crop((int(left), int(top), int(right), int(bottom))).resize((_SIZE, _SIZE),
                                                                                              Image.BILINEAR)
    hue, saturation, value = _hsv(np.asarray(crop, dtype=np.float64))
    coloured = (saturation >= 70) & (value >= 40)
    red = coloured & ((hue <= 10) | (hue >= 160))
    green = coloured & (hue >= 35) & (hue <= 95)
    grid = []
    for r in range(3):
        row = []
        for c in range(3):
            outer = (slice(r * _CELL + 10, (r + 1) * _CELL - 10), slice(c * _CELL + 10, (c + 1) * _CELL - 10))
            if solid[outer].mean() < 15:
                row.append("0")
                continue
            inner = (slice(r * _CELL + 20, (r + 1) * _CELL - 20), slice(c * _CELL + 20, (c + 1) * _CELL - 20))
            if red[inner].mean() * 255 > 30:
                row.append("r")
            elif green[inner].mean() * 255 > 30:
                row.append("g")
            else:
                row.append("1")
        grid.append(row)
    return grid


def verify_imug_grid(image: Any, *, grid: Sequence[Sequence[str]], points: int) -> VerifierResult:
    """Score an image of a Geometric_Coloring cube turn against its ``grid_gt`` ground truth.

    ``points`` is the number of the turn's evaluation points. The score is the mean point score
    divided by 5 (IMUG-Bench reports it x 100); the status is ``pass`` only when every point
    scores 5. An image in which no grid can be found scores 0 on every point, as in the reference.

    Examples
    --------
    >>> result = verify_imug_grid(Image.new("RGB", (90, 90), "white"), grid=[["1", "0", "0"],
    ...                           ["0", "0", "0"], ["0", "0", "1"]], points=2)
    >>> result.status, result.score, result.readout["points"]
    ('fail', 0.0, [0, 0])
    """
    truth = _check_grid(grid, "grid")
    detected = read_cube_grid(image)
    scores = grid_point_scores(detected, truth, int(points))
    value = sum(scores) / len(scores) / 5
    read = "no grid found" if detected is None else f"read {detected}"
    detail = f"{read}, expected {truth}: point scores {list(scores)}"
    status = "pass" if value == 1.0 else "fail"
    return VerifierResult(status=status, detail=detail, readout={"grid": detected, "points": list(scores)},
                          value=value)
