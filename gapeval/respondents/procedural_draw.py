"""What the procedural baseline draws: scenes laid out on a slot grid, grids, and any picture fitted
to the requested output size, all with :mod:`gapeval.scenes.render`; and :func:`generate`, which
matches a generation prompt against the built-in templates and draws the answer.

Examples
--------
>>> objects = lay_out({("red", "circle"): 2, ("blue", "square"): 1}, side=96)
>>> [(o["colour"], o["shape"]) for o in objects]
[('red', 'circle'), ('red', 'circle'), ('blue', 'square')]
>>> fit(draw_scene(objects, side=96), 120, 80).size
(120, 80)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PIL import Image

from gapeval.bank.families.world import FLAGS
from gapeval.bank.grids import apply_rules
from gapeval.records import TurnRequest
from gapeval.respondents.procedural_read import (
    MIXING,
    RELATION_WORDS,
    Context,
    continue_row,
    mirror_fill,
    parse_listing,
    parse_rules,
    sequence_row,
    shortest_route,
)
from gapeval.scenes.palette import PALETTE
from gapeval.scenes.render import (
    render_clock,
    render_die,
    render_flag,
    render_grid,
    render_scene,
)

__all__ = ["blank", "draw_grid", "draw_scene", "fit", "generate", "lay_out", "lay_out_pair"]

Picture = Image.Image | None

Kind = tuple[str, str]

#: Objects fill this share of their slot's side.
_FILL = 0.62


def blank(width: int, height: int) -> Image.Image:
    """A white image: the honest answer of a generation turn the baseline cannot parse."""
    return Image.new("RGB", (width, height), PALETTE["white"])


def fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` at ``width`` x ``height``: unchanged if it already is, else resized (nearest neighbour,
    so flat colours stay flat)."""
    image = image.convert("RGB")
    if image.size == (width, height):
        return image
    return image.resize((width, height), Image.Resampling.NEAREST)


def _slot_objects(kinds: Sequence[Kind], slots: Sequence[tuple[int, int]], k: int, side: int) -> list[dict[str, Any]]:
    slot = side / k
    size = max(8, int(slot * _FILL))
    objects = []
    for (colour, shape), (row, col) in zip(kinds, slots, strict=False):
        x = int(col * slot + (slot - size) / 2)
        y = int(row * slot + (slot - size) / 2)
        objects.append({"colour": colour, "shape": shape, "x": x, "y": y, "size": size})
    return objects


def lay_out(counts: Mapping[Kind, int], *, side: int) -> list[dict[str, Any]]:
    """One object per counted ``(colour, shape)``, in reading order on a square grid of slots."""
    kinds = [kind for kind, n in counts.items() for _ in range(n)]
    k = max(2, math.ceil(math.sqrt(len(kinds))))
    slots = [(index // k, index % k) for index in range(len(kinds))]
    return _slot_objects(kinds, slots, k, side)


def lay_out_pair(a: Kind, relation: str, b: Kind, extra: Mapping[Kind, int], *, side: int) -> list[dict[str, Any]]:
    """Object ``a`` ``relation`` (``left_of``, ``right_of``, ``above``, ``below``) object ``b``, at opposite
    ends of the middle row (or column), and the ``extra`` objects in the other slots."""
    others = [kind for kind, n in extra.items() for _ in range(n)]
    k = max(3, math.ceil(math.sqrt(len(others) + 2)))
    middle = k // 2
    first, last = (middle, 0), (middle, k - 1)
    if relation in ("above", "below"):
        first, last = (0, middle), (k - 1, middle)
    a_slot, b_slot = (first, last) if relation in ("left_of", "above") else (last, first)
    free = [(r, c) for r in range(k) for c in range(k) if (r, c) not in (a_slot, b_slot)]
    return _slot_objects([a, b, *others], [a_slot, b_slot, *free], k, side)


def draw_scene(objects: Sequence[dict[str, Any]], *, side: int) -> Image.Image:
    """Render a laid-out scene on a white square of ``side`` pixels."""
    return render_scene(objects, canvas=side)


def draw_grid(cells: Sequence[Sequence[str]], *, like: Image.Image | None = None) -> Image.Image:
    """Render ``cells`` as the bank does; with ``like`` (the grid read), at that image's size."""
    rows, cols = len(cells), len(cells[0])
    if like is None:
        return render_grid(cells)
    cell = max(like.size[0] // cols, like.size[1] // rows)
    image = render_grid(cells, side=cell * max(rows, cols))
    return fit(image, *like.size)


def _edit(m: re.Match[str], ctx: Context) -> Picture:
    rules = parse_rules(m[3])
    grid = ctx.grid(int(m[1]), int(m[2]))
    return None if grid is None or rules is None else draw_grid(apply_rules(grid, rules), like=ctx.image)


def _dialogue_edit(m: re.Match[str], ctx: Context) -> Picture:
    rules, grid = parse_rules(m[1]), ctx.grid()
    return None if grid is None or rules is None else draw_grid(apply_rules(grid, rules), like=ctx.image)


def _scene(counts: dict[tuple[str, str], int] | None, side: int) -> Picture:
    if not counts or any(colour not in PALETTE for colour, _ in counts):
        return None
    return draw_scene(lay_out(counts, side=side), side=side)


def _draw_count(m: re.Match[str], ctx: Context, side: int) -> Picture:
    return _scene(parse_listing(m[1]), side)


def _draw_compare(m: re.Match[str], ctx: Context, side: int) -> Picture:
    n_a, n_b = {"more": (3, 1), "fewer": (1, 3), "as many": (2, 2)}[m[5]]
    return _scene({(m[1], m[2]): n_a, (m[3], m[4]): n_b}, side)


def _draw_arithmetic(m: re.Match[str], ctx: Context, side: int) -> Picture:
    others = parse_listing(m[5]) if m[5] else {}
    if others is None:
        return None
    both = int(m[6]) - sum(others.values())
    gap = int(m[7]) if m[8] == "more" else -int(m[7])
    if (both + gap) % 2 or both < abs(gap):
        return None
    return _scene({(m[1], m[2]): (both + gap) // 2, (m[3], m[4]): (both - gap) // 2, **others}, side)


def _draw_spatial(m: re.Match[str], ctx: Context, side: int) -> Picture:
    extra = parse_listing(m[6]) if m[6] else {}
    if extra is None or any(c not in PALETTE for c in (m[1], m[4])):
        return None
    objects = lay_out_pair((m[1], m[2]), RELATION_WORDS[m[3]], (m[4], m[5]), extra, side=side)
    return draw_scene(objects, side=side)


def _fill_sequence(m: re.Match[str], ctx: Context) -> Picture:
    row = sequence_row(ctx)
    last = None if row is None else continue_row(row)
    return None if last is None else draw_grid([row[:-1] + [last]], like=ctx.image)  # type: ignore[index]


def _fill_symmetry(m: re.Match[str], ctx: Context) -> Picture:
    grid = ctx.grid(int(m[1]), int(m[2]))
    full = None if grid is None else mirror_fill(grid, m[3])
    return None if full is None else draw_grid(full, like=ctx.image)


def _draw_path(m: re.Match[str], ctx: Context) -> Picture:
    grid = ctx.grid()
    route = None if grid is None else shortest_route(grid)
    if grid is None or route is None:
        return None
    solved = [list(row) for row in grid]
    for r, c in route[1:-1]:
        solved[r][c] = "blue"
    return draw_grid(solved, like=ctx.image)


def _draw_flag(m: re.Match[str], ctx: Context, size: tuple[int, int]) -> Picture:
    known = {alias.casefold(): geometry for name, (_, geometry, aliases) in FLAGS.items() for alias in (name, *aliases)}
    geometry = known.get(m[1].casefold())
    return None if geometry is None else render_flag(geometry, width=size[0], height=size[1])


def _draw_clock(m: re.Match[str], ctx: Context, side: int) -> Picture:
    hour, minute = int(m[1]), int(m[2])
    return render_clock(hour, minute, side=side) if 1 <= hour <= 12 and minute < 60 else None


def _draw_mix(m: re.Match[str], ctx: Context, size: tuple[int, int]) -> Picture:
    result = MIXING.get((m[3], frozenset((m[1], m[2]))))
    return None if result not in PALETTE else Image.new("RGB", size, PALETTE[result])


def _draw_die(m: re.Match[str], ctx: Context, side: int) -> Picture:
    pips = int(m[1])
    return render_die(7 - pips, side=side) if 1 <= pips <= 6 else None


_W = r"(\w+)"
_SceneSolver = Callable[[re.Match[str], Context, int], Picture]
_scene_solvers: tuple[tuple[str, str, _SceneSolver], ...] = (
    ("count", r"^Draw exactly (.+?)\. Draw flat", _draw_count),
    ("compare", rf"Draw some {_W} {_W}s and some {_W} {_W}s, at least one of each, with (more|fewer|as many) ",
     _draw_compare),
    ("arithmetic", rf"^Draw {_W} {_W}s and {_W} {_W}s(?:, plus (.+?))?: (\d+) shapes in total, with (\d+) "
                   r"(more|fewer) ", _draw_arithmetic),
    ("spatial_relation", rf"Draw one {_W} {_W} clearly (to the left of|to the right of|above|below) one {_W} "
                         rf"{_W}(?:, and also (.+?) elsewhere)?\. Draw flat", _draw_spatial),
    ("clock", r"Draw an analogue clock showing (\d{1,2}):(\d{2})", _draw_clock),
    ("die", r"opposite the face with (\d) pips", _draw_die),
)
_GridSolver = Callable[[re.Match[str], Context], Picture]
_grid_solvers: tuple[tuple[str, str, _GridSolver], ...] = (
    ("edit", r"Edit this (\d+)x(\d+) grid\. Instruction: (.+?)\. Keep the grid size", _edit),
    ("grid_edit", r"Edit the grid: (.+?)\. Keep the grid size and the gray lines", _dialogue_edit),
    ("sequence", r"Fill the last cell with the colour that continues the pattern", _fill_sequence),
    ("symmetry", r"Fill every gray cell of this (\d+)x(\d+) grid so that the grid becomes mirror-symmetric "
                 r"(left to right|top to bottom)", _fill_symmetry),
    ("path", r"Paint blue the cells of one shortest path from the green cell to the red cell", _draw_path),
)
_Sized = Callable[[re.Match[str], Context, tuple[int, int]], Picture]
_sized_solvers: tuple[tuple[str, str, _Sized], ...] = (
    ("flag", r"Draw the national flag of (.+?) so that it fills the whole image", _draw_flag),
    ("colour_mixing", r"mixing (\w+) and (\w+) (paint|light)\.", _draw_mix),
)


def generate(request: TurnRequest, ctx: Context) -> tuple[str, Picture]:
    """The name of the drawing rule whose template the prompt matches and its picture (``None`` when
    no rule matches, or the input image cannot be read); ``("unparsed", None)`` if none matches."""
    size = (request.output.width or 256, request.output.height or 256)
    side = min(size)
    for name, pattern, solver in _grid_solvers:
        if match := re.search(pattern, ctx.text, re.S):
            return name, solver(match, ctx)
    for name, pattern, scene_solver in _scene_solvers:
        if match := re.search(pattern, ctx.text, re.S):
            return name, _centred(scene_solver(match, ctx, side), size)
    for name, pattern, sized in _sized_solvers:
        if match := re.search(pattern, ctx.text, re.S):
            return name, sized(match, ctx, size)
    return "unparsed", None


def _centred(image: Picture, size: tuple[int, int]) -> Picture:
    """A square drawing centred on a white image of ``size``."""
    if not isinstance(image, Image.Image) or image.size == size:
        return image
    canvas = blank(*size)
    canvas.paste(image, ((size[0] - image.size[0]) // 2, (size[1] - image.size[1]) // 2))
    return canvas
