"""Grids of colour names and the edit rules applied to them (recolour, mirror, rotate, move, paint).

A rule is a JSON object such as ``{"op": "mirror", "axis": "left_right"}``; the same rules are the
instructions of the instruction-following family and the transforms of dynamic dialogue keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

Grid = list[list[str]]
GRID_COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "cyan", "black")


def apply_rule(grid: Sequence[Sequence[str]], rule: Mapping[str, Any]) -> Grid:
    """Return a new grid: ``grid`` after ``rule``.

    Examples
    --------
    >>> apply_rule([["red", "white"]], {"op": "mirror", "axis": "left_right"})
    [['white', 'red']]
    >>> apply_rule([["red", "white"], ["white", "white"]], {"op": "rotate", "quarters": 1})
    [['white', 'red'], ['white', 'white']]
    """
    array = np.array(grid, dtype=object)
    op = rule.get("op")
    if op == "recolour":
        array = np.where(array == rule["from"], rule["to"], array)
    elif op == "mirror":
        array = array[:, ::-1] if rule["axis"] == "left_right" else array[::-1, :]
    elif op == "rotate":
        array = np.rot90(array, k=-int(rule["quarters"]))
    elif op == "move":
        moved = np.full_like(array, "white")
        rows, cols = array.shape
        for r, c in zip(*np.nonzero(array != "white")):
            nr, nc = r + int(rule["down"]), c + int(rule["right"])
            if 0 <= nr < rows and 0 <= nc < cols:
                moved[nr, nc] = array[r, c]
        array = moved
    elif op == "paint":
        array = array.copy()
        array[int(rule["row"]) - 1, int(rule["col"]) - 1] = rule["colour"]
    else:
        raise ValueError(f"unknown grid rule {op!r}; use recolour, mirror, rotate, move or paint")
    return [list(map(str, row)) for row in array]


def apply_rules(grid: Sequence[Sequence[str]], rules: Sequence[Mapping[str, Any]]) -> Grid:
    """Apply ``rules`` in order."""
    out = [list(row) for row in grid]
    for rule in rules:
        out = apply_rule(out, rule)
    return out


def describe(rule: Mapping[str, Any]) -> str:
    """Instruction text for ``rule``.

    Examples
    --------
    >>> describe({"op": "move", "down": 0, "right": 2})
    'move every coloured cell 2 cells to the right'
    """
    op = rule["op"]
    if op == "recolour":
        return f"recolour every {rule['from']} cell {rule['to']}"
    if op == "mirror":
        return "mirror the grid left to right" if rule["axis"] == "left_right" else "mirror the grid top to bottom"
    if op == "rotate":
        return {1: "rotate the grid 90 degrees clockwise", 2: "rotate the grid 180 degrees",
                3: "rotate the grid 90 degrees anticlockwise"}[int(rule["quarters"])]
    if op == "move":
        steps = []
        if rule["down"]:
            n = abs(int(rule["down"]))
            steps.append(f"{n} cell{'s' * (n > 1)} {'down' if rule['down'] > 0 else 'up'}")
        if rule["right"]:
            n = abs(int(rule["right"]))
            steps.append(f"{n} cell{'s' * (n > 1)} to the {'right' if rule['right'] > 0 else 'left'}")
        return "move every coloured cell " + " and ".join(steps)
    if op == "paint":
        return f"paint the cell in row {rule['row']}, column {rule['col']} {rule['colour']}"
    raise ValueError(f"unknown grid rule {op!r}; use recolour, mirror, rotate, move or paint")


def random_grid(rng: np.random.Generator, *, size: int, colours: Sequence[str], density: float) -> Grid:
    """A ``size`` x ``size`` grid; each cell is white or, with probability ``density``, one of ``colours``."""
    grid = []
    for _ in range(size):
        row = []
        for _ in range(size):
            row.append(str(rng.choice(colours)) if rng.random() < density else "white")
        grid.append(row)
    return grid


def random_rule(rng: np.random.Generator, grid: Sequence[Sequence[str]], op: str) -> dict[str, Any] | None:
    """A rule of kind ``op`` that changes ``grid`` and keeps every coloured cell on it, or None."""
    present = sorted({c for row in grid for c in row if c != "white"})
    if not present:
        return None
    if op == "recolour":
        source = str(rng.choice(present))
        target = str(rng.choice([c for c in GRID_COLOURS if c != source]))
        rule: dict[str, Any] = {"op": "recolour", "from": source, "to": target}
    elif op == "mirror":
        rule = {"op": "mirror", "axis": str(rng.choice(["left_right", "top_bottom"]))}
    elif op == "rotate":
        rule = {"op": "rotate", "quarters": int(rng.integers(1, 4))}
    elif op == "move":
        rows = [r for r, row in enumerate(grid) if any(c != "white" for c in row)]
        cols = [c for c in range(len(grid[0])) if any(row[c] != "white" for row in grid)]
        down = int(rng.integers(-rows[0], len(grid) - rows[-1]))
        right = int(rng.integers(-cols[0], len(grid[0]) - cols[-1]))
        rule = {"op": "move", "down": down, "right": right}
    else:
        raise ValueError(f"unknown grid rule {op!r}; use recolour, mirror, rotate or move")
    return rule if apply_rule(grid, rule) != [list(row) for row in grid] else None
