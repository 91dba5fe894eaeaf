"""What the procedural baseline reads: grid rules and listings in prompt text, and clean scenes in images.

:class:`Context` is all a solver may look at: the request's text and images, never a bank record.

Text parsers invert the built-in bank's templates (:func:`gapeval.bank.grids.describe`, the family
generators in :mod:`gapeval.bank.families`); image readers are those of :mod:`gapeval.scenes`
(:func:`~gapeval.scenes.grid.read_grid`, :func:`~gapeval.scenes.scene.read_objects`,
:func:`~gapeval.scenes.clock.hand_angle`). Every reader returns ``None`` when it cannot
read its input, so the adapter can say it does not know instead of guessing.

Examples
--------
>>> parse_rules("Mirror the grid left to right, then recolour every red cell blue")
[{'op': 'mirror', 'axis': 'left_right'}, {'op': 'recolour', 'from': 'red', 'to': 'blue'}]
>>> parse_listing("3 red circles, 1 blue square and 2 green triangles")
{('red', 'circle'): 3, ('blue', 'square'): 1, ('green', 'triangle'): 2}
>>> parse_options("Which?\\nA. more red circles\\nB. the same number of each\\nAnswer with the letter.")
{'A': 'more red circles', 'B': 'the same number of each'}
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from gapeval.protocols.prompts import REWRITE_DRAW
from gapeval.records import TurnRequest
from gapeval.scenes.clock import clock_centre, hand_angle
from gapeval.scenes.grid import read_grid
from gapeval.scenes.palette import (
    COLOUR_NAMES,
    PALETTE,
    colour_label,
    quantise,
)
from gapeval.scenes.scene import read_objects

__all__ = [
    "MIXING",
    "RELATION_WORDS",
    "Context",
    "continue_row",
    "grid_shape",
    "mirror_fill",
    "parse_listing",
    "parse_options",
    "parse_rule",
    "parse_rules",
    "read_cells",
    "read_clock",
    "read_scene",
    "read_swatches",
    "sequence_row",
    "shortest_route",
    "singular",
]

Grid = list[list[str]]

_ROTATIONS = {"90 degrees clockwise": 1, "180 degrees": 2, "90 degrees anticlockwise": 3}
_MOVE_STEP = re.compile(r"(\d+) cells? (down|up|to the right|to the left)")
_LISTED = re.compile(r"(\d+) (\w+) (circle|square|triangle)s?")
_OPTION = re.compile(r"^([A-Z])\. (.+)$", re.MULTILINE)


def parse_rule(text: str) -> dict[str, Any] | None:
    """Invert :func:`gapeval.bank.grids.describe`: the rule an instruction names, or ``None``.

    Examples
    --------
    >>> parse_rule("move every coloured cell 1 cell up and 2 cells to the left")
    {'op': 'move', 'down': -1, 'right': -2}
    >>> parse_rule("paint the cell in row 2, column 3 red")
    {'op': 'paint', 'row': 2, 'col': 3, 'colour': 'red'}
    >>> parse_rule("make it nicer") is None
    True
    """
    text = text.strip().rstrip(".")
    text = text[:1].lower() + text[1:]
    if match := re.fullmatch(r"recolour every (\w+) cell (\w+)", text):
        return {"op": "recolour", "from": match[1], "to": match[2]}
    if match := re.fullmatch(r"mirror the grid (left to right|top to bottom)", text):
        return {"op": "mirror", "axis": match[1].replace(" to ", "_")}
    if match := re.fullmatch(r"rotate the grid (.+)", text):
        quarters = _ROTATIONS.get(match[1])
        return None if quarters is None else {"op": "rotate", "quarters": quarters}
    if match := re.fullmatch(r"move every coloured cell (.+)", text):
        down = right = 0
        for part in match[1].split(" and "):
            step = _MOVE_STEP.fullmatch(part)
            if step is None:
                return None
            n = int(step[1])
            if step[2] in ("down", "up"):
                down = n if step[2] == "down" else -n
            else:
                right = n if step[2] == "to the right" else -n
        return {"op": "move", "down": down, "right": right}
    if match := re.fullmatch(r"paint the cell in row (\d+), column (\d+) (\w+)", text):
        return {"op": "paint", "row": int(match[1]), "col": int(match[2]), "colour": match[3]}
    return None


def parse_rules(text: str) -> list[dict[str, Any]] | None:
    """Rules of an instruction whose steps are joined by ``", then "``; ``None`` if one is unknown."""
    rules = [parse_rule(part) for part in text.split(", then ")]
    return None if any(rule is None for rule in rules) else rules  # type: ignore[return-value]


def singular(word: str) -> str:
    """``"circles"`` -> ``"circle"`` (the bank's plurals only add an ``s``)."""
    return word[:-1] if word.endswith("s") else word


def parse_listing(text: str) -> dict[tuple[str, str], int] | None:
    """Counts of ``"3 red circles, 1 blue square and 2 green triangles"``; ``None`` if unreadable."""
    parts = re.split(r", | and ", text.strip())
    counts: dict[tuple[str, str], int] = {}
    for part in parts:
        match = _LISTED.fullmatch(part.strip())
        if match is None or match[2] not in PALETTE:
            return None
        counts[(match[2], match[3])] = counts.get((match[2], match[3]), 0) + int(match[1])
    return counts


def parse_options(text: str) -> dict[str, str]:
    """Lettered options (``"A. text"`` lines) of a multiple-choice prompt, letter -> text."""
    return {match[1]: match[2].strip() for match in _OPTION.finditer(text)}


def read_cells(image: Any, rows: int, cols: int) -> Grid | None:
    """Colour names of a ``rows`` x ``cols`` grid image (see :func:`read_grid`), or ``None``."""
    if image is None or rows < 1 or cols < 1:
        return None
    return read_grid(image, rows=rows, cols=cols)


def grid_shape(image: Any) -> tuple[int, int] | None:
    """``(rows, cols)`` of a grid drawn with thin gray lines, counted from the lines; or ``None``.

    A line is a run of at most a few pixel columns (rows) that are mostly gray; a grid of ``n``
    columns has ``n + 1`` such runs.
    """
    if image is None:
        return None
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    gray = np.abs(rgb - np.array(PALETTE["gray"], dtype=np.int16)).max(axis=-1) <= 40
    rows = _count_lines(gray.mean(axis=1))
    cols = _count_lines(gray.mean(axis=0))
    if rows is None or cols is None:
        return None
    return rows, cols


def _count_lines(fraction: np.ndarray) -> int | None:
    on = np.concatenate([[False], fraction >= 0.6, [False]])
    edges = np.flatnonzero(on[1:] != on[:-1])
    starts, stops = edges[0::2], edges[1::2]
    widest = max(3, round(0.04 * fraction.size))
    lines = [a for a, b in zip(starts, stops, strict=True) if b - a <= widest]
    return len(lines) - 1 if len(lines) >= 2 and len(lines) == len(starts) else None


def read_scene(image: Any) -> list[dict[str, Any]] | None:
    """Objects of a flat-colour scene (colour, shape, centre), or ``None`` (see :func:`read_objects`)."""
    return None if image is None else read_objects(image)


def read_swatches(image: Any) -> list[str] | None:
    """Colours of a row of square swatches drawn 8 pixels apart on white (as
    :func:`gapeval.scenes.render.render_swatches` lays them out), left to right; or ``None``.

    The layout, not the colour, tells where a swatch is, so a white swatch is read too.

    Examples
    --------
    >>> from gapeval.scenes.render import render_swatches
    >>> read_swatches(render_swatches(["red", "white"]))
    ['red', 'white']
    """
    if image is None:
        return None
    width, height = image.size
    side = height - 16
    count = round((width - 8) / (side + 8)) if side > 0 else 0
    if count < 1 or abs(count * side + (count + 1) * 8 - width) > 2:
        return None
    colours = []
    for index in range(count):
        left = 8 + index * (side + 8)
        patch = image.crop((left + side // 4, 8 + side // 4, left + 3 * side // 4, 8 + 3 * side // 4))
        labels = quantise(patch).labels.ravel()
        values, counts = np.unique(labels, return_counts=True)
        best = int(values[counts.argmax()])
        if best < 0 or counts.max() < 0.9 * labels.size:
            return None
        colours.append(COLOUR_NAMES[best])
    return colours


def read_clock(image: Any) -> tuple[int, int] | None:
    """``(hour, minute)`` shown by a clock with a blue hour hand and a red minute hand, or ``None``.

    The minute is read from the tip of the red hand (its farthest pixel from the centre); the hour
    is the hour whose hand angle, ``30 * hour + minute / 2``, is nearest the blue hand's.
    """
    if image is None:
        return None
    quantised = quantise(image)
    if not quantised.readable:
        return None
    labels = quantised.labels
    centre = clock_centre(labels)
    hour_angle = hand_angle(labels, "blue", centre)
    minute_angle = _tip_angle(labels, "red", centre)
    if hour_angle is None or minute_angle is None:
        return None
    minute = round(minute_angle / 6) % 60
    hour = round((hour_angle - 0.5 * minute) / 30) % 12
    return hour or 12, minute


def _tip_angle(labels: np.ndarray, colour: str, centre: tuple[float, float]) -> float | None:
    """Clockwise angle from 12 o'clock of the farthest pixels of ``colour`` from ``centre``."""
    ys, xs = np.nonzero(labels == colour_label(colour))
    if xs.size < 8:
        return None
    dx, dy = xs + 0.5 - centre[0], ys + 0.5 - centre[1]
    reach = np.hypot(dx, dy)
    far = reach >= reach.max() - 3
    return float(np.degrees(np.arctan2(dx[far].mean(), -dy[far].mean())) % 360)


def shortest_route(cells: Sequence[Sequence[str]]) -> list[tuple[int, int]] | None:
    """Cells of one shortest side-step route from the green cell to the red one avoiding black cells.

    Examples
    --------
    >>> shortest_route([["green", "white", "red"]])
    [(0, 0), (0, 1), (0, 2)]
    """
    found = [(r, c) for r, row in enumerate(cells) for c, v in enumerate(row) if v in ("green", "red")]
    starts = [p for p in found if cells[p[0]][p[1]] == "green"]
    goals = [p for p in found if cells[p[0]][p[1]] == "red"]
    if len(starts) != 1 or len(goals) != 1:
        return None
    rows, cols = len(cells), len(cells[0])
    previous: dict[tuple[int, int], tuple[int, int] | None] = {starts[0]: None}
    queue = deque([starts[0]])
    while queue:
        here = queue.popleft()
        if here == goals[0]:
            route = [here]
            while (step := previous[route[-1]]) is not None:
                route.append(step)
            return route[::-1]
        r, c = here
        for nxt in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= nxt[0] < rows and 0 <= nxt[1] < cols and nxt not in previous and cells[nxt[0]][nxt[1]] != "black":
                previous[nxt] = here
                queue.append(nxt)
    return None


#: What the baseline knows about mixing colours: (medium, frozenset of two colours) -> result.
MIXING = {
    ("paint", frozenset({"red", "yellow"})): "orange",
    ("paint", frozenset({"blue", "yellow"})): "green",
    ("paint", frozenset({"red", "blue"})): "purple",
    ("paint", frozenset({"red", "white"})): "pink",
    ("paint", frozenset({"black", "white"})): "gray",
    ("light", frozenset({"red", "green"})): "yellow",
    ("light", frozenset({"green", "blue"})): "cyan",
    ("light", frozenset({"red", "blue"})): "magenta",
}
RELATION_WORDS = {"to the left of": "left_of", "to the right of": "right_of", "above": "above", "below": "below"}


class Context:
    """What a solver may look at: the text of the question (the last user message, or the one a
    protocol step points to with ``request.question``), its last image, and the text of every user
    message (for a grid size stated in an earlier turn)."""

    def __init__(self, request: TurnRequest) -> None:
        users = [message for message in request.history if message.role == "user"]
        last = request.question_message
        # a stepwise drawing request is "Draw this: <the rewrite>"; the baseline parses the rewrite
        self.text: str = last.text.removeprefix(REWRITE_DRAW.split("{")[0])
        self.image: Image.Image | None = last.images[-1].open() if last.images else None
        self.history_text: str = "\n".join(message.text for message in users)
        earlier = request.images
        self.any_image: Image.Image | None = earlier[-1].open() if earlier else None

    def grid(self, rows: int | None = None, cols: int | None = None) -> list[list[str]] | None:
        """The grid of the image, ``rows`` x ``cols`` or of the size named in the history or seen."""
        if rows is None or cols is None:
            sizes = re.findall(r"(\d+)x(\d+) grid", self.history_text)
            shape = (int(sizes[-1][0]), int(sizes[-1][1])) if sizes else grid_shape(self.image)
            if shape is None:
                return None
            rows, cols = shape
        return read_cells(self.image, rows, cols)


def continue_row(row: list[str]) -> str | None:
    """The colour that continues ``row`` (its last cell blank) by its shortest repeating period.

    Examples
    --------
    >>> continue_row(["red", "blue", "green", "red", "blue", "green", "red", "white"])
    'blue'
    """
    known = row[:-1]
    for period in range(1, len(known) // 2 + 1):
        if all(known[i] == known[i - period] for i in range(period, len(known))):
            return known[len(row) - 1 - period]
    return None


def sequence_row(ctx: Context) -> list[str] | None:
    """The colours of a one-row grid image, however many cells it has, or ``None``."""
    shape = grid_shape(ctx.image)
    if shape is None or shape[0] != 1:
        return None
    grid = read_cells(ctx.image, 1, shape[1])
    return None if grid is None else grid[0]


def mirror_fill(grid: list[list[str]], axis: str) -> list[list[str]] | None:
    """Fill the gray cells of ``grid`` from their mirror images about ``axis``."""
    size = len(grid)
    full = [list(row) for row in grid]
    for r in range(size):
        for c in range(len(grid[0])):
            if full[r][c] == "gray":
                full[r][c] = grid[r][size - 1 - c] if axis == "left to right" else grid[size - 1 - r][c]
    return None if any(cell == "gray" for row in full for cell in row) else full
