"""The grid and path verifiers: a grid read from an image checked cell by cell, and drawn paths.

The reading is :func:`gapeval.scenes.grid.read_grid`; a grid it cannot read makes the image
unscorable.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from gapeval.scenes.grid import read_grid
from gapeval.scoring.verifiers.result import VerifierResult, judged, unscorable


def verify_grid(image: Any, *, cells: Sequence[Sequence[str]]) -> VerifierResult:
    """Pass if the image shows exactly the grid ``cells`` (rows of colour names).

    Examples
    --------
    >>> from PIL import Image
    >>> verify_grid(Image.new("RGB", (40, 40), "white"), cells=[["white", "white"]]).status
    'pass'
    """
    rows, cols = len(cells), len(cells[0])
    grid = read_grid(image, rows=rows, cols=cols)
    if grid is None:
        return unscorable(f"could not read a {rows}x{cols} grid of palette colours")
    wrong = [
        (r + 1, c + 1, grid[r][c], cells[r][c])
        for r in range(rows)
        for c in range(cols)
        if grid[r][c] != cells[r][c]
    ]
    detail = "grid matches" if not wrong else "cells (row, col, read, expected) differ: " + ", ".join(
        f"({r}, {c}, {got}, {want})" for r, c, got, want in wrong[:6]
    ) + (" ..." if len(wrong) > 6 else "")
    return judged(not wrong, detail, {"grid": grid})


def shortest_path_length(cells: Sequence[Sequence[str]], *, wall: str = "black") -> int | None:
    """Steps of the shortest 4-connected path from the green cell to the red cell avoiding walls.

    Examples
    --------
    >>> shortest_path_length([["green", "white", "red"]])
    2
    """
    start = _find(cells, "green")
    goal = _find(cells, "red")
    distance = {start: 0}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here == goal:
            return distance[here]
        for nxt in _neighbours(here, len(cells), len(cells[0])):
            if nxt not in distance and cells[nxt[0]][nxt[1]] != wall:
                distance[nxt] = distance[here] + 1
                queue.append(nxt)
    return None


def verify_path(
    image: Any, *, cells: Sequence[Sequence[str]], path_colour: str = "blue", shortest: int
) -> VerifierResult:
    """Pass if the image is ``cells`` with a shortest green-to-red path painted in ``path_colour``.

    Every other cell must be unchanged, painted cells must have been empty (white), and the painted
    cells must join start to goal in ``shortest`` steps.
    """
    rows, cols = len(cells), len(cells[0])
    grid = read_grid(image, rows=rows, cols=cols)
    if grid is None:
        return unscorable(f"could not read a {rows}x{cols} grid of palette colours")
    painted = set()
    for r in range(rows):
        for c in range(cols):
            if grid[r][c] == cells[r][c]:
                continue
            if grid[r][c] != path_colour or cells[r][c] != "white":
                return judged(False, f"cell ({r + 1}, {c + 1}) changed from {cells[r][c]} to {grid[r][c]}", {"grid": grid})
            painted.add((r, c))
    if len(painted) != shortest - 1:
        return judged(False, f"{len(painted)} path cells painted, a shortest path has {shortest - 1}", {"grid": grid})
    start, goal = _find(cells, "green"), _find(cells, "red")
    seen, queue = {start}, deque([start])
    while queue:
        here = queue.popleft()
        for nxt in _neighbours(here, rows, cols):
            if nxt not in seen and (nxt in painted or nxt == goal):
                seen.add(nxt)
                queue.append(nxt)
    ok = goal in seen
    return judged(ok, "path joins start and goal" if ok else "painted cells do not join start and goal", {"grid": grid})


def _find(cells: Sequence[Sequence[str]], colour: str) -> tuple[int, int]:
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            if value == colour:
                return r, c
    raise ValueError(f"the grid has no {colour} cell; a path grid needs one green start and one red goal")


def _neighbours(cell: tuple[int, int], rows: int, cols: int) -> list[tuple[int, int]]:
    r, c = cell
    candidates = [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)]
    return [(a, b) for a, b in candidates if 0 <= a < rows and 0 <= b < cols]
