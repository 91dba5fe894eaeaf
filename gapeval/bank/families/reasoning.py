"""Reasoning: spatial relations, the next element of a sequence, symmetry completion, shortest paths."""

from __future__ import annotations

from collections import deque

import numpy as np

from gapeval.bank.families.base import PairDraft, mcq, pick_kinds, place, plural
from gapeval.bank.grids import GRID_COLOURS, Grid
from gapeval.bank.schema import NumberAnswer, TextAnswer
from gapeval.scenes.render import render_grid, render_scene
from gapeval.scenes.scene import RELATIONS

CATEGORY = "reasoning"
_WORDS = {"left_of": "to the left of", "right_of": "to the right of", "above": "above", "below": "below"}


def spatial(rng: np.random.Generator, difficulty: int) -> PairDraft:
    """Where one object is relative to another, among distractors."""
    kinds = pick_kinds(rng, 2 + (difficulty - 1), similar=difficulty >= 4)
    extra = {kind: int(rng.integers(1, 1 + difficulty)) for kind in kinds[2:]}
    while True:
        objects = place(rng, kinds[:2] + [k for k, n in extra.items() for _ in range(n)])
        (ax, ay), (bx, by) = [(o["x"] + o["size"] / 2, o["y"] + o["size"] / 2) for o in objects[:2]]
        dx, dy = ax - bx, ay - by
        if max(abs(dx), abs(dy)) >= 2 * min(abs(dx), abs(dy)) + 10:
            break
    relation = ("left_of" if dx < 0 else "right_of") if abs(dx) > abs(dy) else ("above" if dy < 0 else "below")
    a, b = f"{kinds[0][0]} {kinds[0][1]}", f"{kinds[1][0]} {kinds[1][1]}"
    text, answer = mcq(
        f"Where is the {a} relative to the {b}?",
        [f"{_WORDS[r]} the {b}".capitalize() for r in RELATIONS],
        RELATIONS.index(relation),
    )
    also = ", ".join(f"{n} {c} {plural(s, n)}" for (c, s), n in extra.items())
    swapped = [dict(objects[0], x=objects[1]["x"], y=objects[1]["y"]), dict(objects[1], x=objects[0]["x"], y=objects[0]["y"])]
    return PairDraft(
        category=CATEGORY,
        subtask="spatial_relation",
        difficulty=difficulty,
        params={"a": a, "b": b, "relation": relation, "layout": objects},
        und_text=text,
        und_images=(render_scene(objects),),
        und_answer=answer,
        gen_text=f"Draw one {a} clearly {_WORDS[relation]} one {b}"
        + (f", and also {also} elsewhere" if also else "")
        + ". Draw flat, separate shapes on a plain white background.",
        gen_images=(),
        gen_verifier="scene",
        gen_params={
            "constraints": [[a, "==", 1], [b, "==", 1]] + [[f"{c} {s}", "==", n] for (c, s), n in extra.items()],
            "relations": [[a, relation, b]],
        },
        gen_points=(f"one {a} {_WORDS[relation]} one {b}",) + ((f"also {also}",) if also else ()),
        reference=render_scene(objects),
        wrong=render_scene(swapped + objects[2:]),
    )


def sequence(rng: np.random.Generator, difficulty: int) -> PairDraft:
    """A row of cells repeating a colour pattern; the last cell is blank."""
    period = {1: 2, 2: 2, 3: 3, 4: 4, 5: 4}[difficulty]
    length = 2 * period + 1 + int(rng.integers(0, 3))
    while True:
        unit = [str(c) for c in rng.choice(GRID_COLOURS, size=period, replace=difficulty >= 5)]
        if _minimal_period(unit) == period:
            break
    full = [unit[i % period] for i in range(length)]
    shown = full[:-1] + ["white"]
    answer = full[-1]
    wrong = full[:-1] + [next(c for c in GRID_COLOURS if c != answer)]
    return PairDraft(
        category=CATEGORY,
        subtask="sequence",
        difficulty=difficulty,
        params={"unit": unit, "length": length},
        und_text="The cells in this row follow a repeating colour pattern and the last (white) cell is blank. "
        "What colour should the last cell be? Answer with one colour name.",
        und_images=(render_grid([shown], side=352),),
        und_answer=TextAnswer(value=answer),
        gen_text="The cells in this row follow a repeating colour pattern and the last (white) cell is blank. "
        "Fill the last cell with the colour that continues the pattern; change nothing else.",
        gen_images=(render_grid([shown], side=352),),
        gen_verifier="grid",
        gen_params={"cells": [full]},
        gen_points=(f"the last cell is {answer}", "the other cells are unchanged"),
        reference=render_grid([full], side=352),
        wrong=render_grid([wrong], side=352),
    )


def symmetry(rng: np.random.Generator, difficulty: int) -> PairDraft:
    """Complete a grid so it is mirror-symmetric; gray cells are hidden."""
    size = {1: 4, 2: 4, 3: 5, 4: 6, 5: 6}[difficulty]
    axis = "left_right" if difficulty <= 2 or rng.random() < 0.5 else "top_bottom"
    colours = list(rng.choice(GRID_COLOURS, size=1 + min(difficulty, 4), replace=False))
    half = [[str(rng.choice(colours)) if rng.random() < 0.6 else "white" for _ in range(size)] for _ in range(size)]
    full = [row[: (size + 1) // 2] + row[: size // 2][::-1] for row in half]
    if axis == "top_bottom":
        full = [list(col) for col in zip(*full)]
    hidden = [(r, c) for r in range(size) for c in range(size) if (c if axis == "left_right" else r) >= (size + 1) // 2]
    shown = [list(row) for row in full]
    for r, c in hidden:
        shown[r][c] = "gray"
    r, c = hidden[int(rng.integers(len(hidden)))]
    wrong = [list(row) for row in full]
    wrong[r][c] = "black" if full[r][c] != "black" else "white"
    mirror = "left to right (about a vertical axis)" if axis == "left_right" else "top to bottom (about a horizontal axis)"
    return PairDraft(
        category=CATEGORY,
        subtask="symmetry",
        difficulty=difficulty,
        params={"grid": full, "axis": axis, "asked": {"row": r + 1, "col": c + 1}},
        und_text=f"This {size}x{size} grid must become mirror-symmetric {mirror}; the gray cells are hidden. What "
        f"colour should the hidden cell in row {r + 1}, column {c + 1} be (rows from the top, columns from the "
        "left)? Answer with one colour name.",
        und_images=(render_grid(shown),),
        und_answer=TextAnswer(value=full[r][c]),
        gen_text=f"Fill every gray cell of this {size}x{size} grid so that the grid becomes mirror-symmetric "
        f"{mirror}; change nothing else.",
        gen_images=(render_grid(shown),),
        gen_verifier="grid",
        gen_params={"cells": full},
        gen_points=("no gray cells remain", f"the grid is mirror-symmetric {mirror}"),
        reference=render_grid(full),
        wrong=render_grid(wrong),
    )


def path(rng: np.random.Generator, difficulty: int) -> PairDraft:
    """Shortest path from the green to the red cell around black walls."""
    size = {1: 4, 2: 5, 3: 6, 4: 7, 5: 8}[difficulty]
    while True:
        cells: Grid = [["black" if rng.random() < 0.12 + 0.05 * difficulty else "white" for _ in range(size)] for _ in range(size)]
        start, goal = (int(rng.integers(size)), 0), (int(rng.integers(size)), size - 1)
        cells[start[0]][start[1]], cells[goal[0]][goal[1]] = "green", "red"
        route = _shortest_route(cells, start, goal)
        if route is not None and len(route) >= 3:
            break
    solved = [list(row) for row in cells]
    for r, c in route[1:-1]:
        solved[r][c] = "blue"
    wrong = [list(row) for row in solved]
    r, c = route[len(route) // 2]
    wrong[r][c] = "white"
    steps = len(route) - 1
    return PairDraft(
        category=CATEGORY,
        subtask="path",
        difficulty=difficulty,
        params={"grid": cells, "shortest": steps},
        und_text="In this grid, moving one step at a time between cells that share a side and never entering a "
        "black cell, how many steps does the shortest path from the green cell to the red cell take? Answer with a number.",
        und_images=(render_grid(cells),),
        und_answer=NumberAnswer(value=steps),
        gen_text="Paint blue the cells of one shortest path from the green cell to the red cell (not the green and "
        "red cells themselves), moving between cells that share a side and never through black cells; change nothing else.",
        gen_images=(render_grid(cells),),
        gen_verifier="path",
        gen_params={"cells": cells, "path_colour": "blue", "shortest": steps},
        gen_points=("a blue path of side-adjacent cells joins green to red", f"the path takes {steps} steps", "walls unchanged"),
        reference=render_grid(solved),
        wrong=render_grid(wrong),
    )


def _minimal_period(unit: list[str]) -> int:
    n = len(unit)
    return next(p for p in range(1, n + 1) if n % p == 0 and unit == unit[:p] * (n // p))


def _shortest_route(cells: Grid, start: tuple[int, int], goal: tuple[int, int]) -> list[tuple[int, int]] | None:
    size = len(cells)
    previous: dict[tuple[int, int], tuple[int, int] | None] = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here == goal:
            route = [here]
            while previous[route[-1]] is not None:
                route.append(previous[route[-1]])  # type: ignore[arg-type]
            return route[::-1]
        r, c = here
        for nxt in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= nxt[0] < size and 0 <= nxt[1] < size and nxt not in previous and cells[nxt[0]][nxt[1]] != "black":
                previous[nxt] = here
                queue.append(nxt)
    return None
