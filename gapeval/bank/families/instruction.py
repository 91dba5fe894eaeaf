"""Instruction following: apply a rule to an input grid (describe the result vs perform the edit)."""

from __future__ import annotations

import numpy as np

from gapeval.bank.families.base import PairDraft
from gapeval.bank.grids import GRID_COLOURS, Grid, apply_rules, describe, random_grid, random_rule
from gapeval.bank.schema import NumberAnswer, TextAnswer
from gapeval.scenes.render import render_grid

CATEGORY = "instruction_following"
OPS = ("recolour", "move", "mirror", "rotate", "composed")
_SIZE = {1: 3, 2: 4, 3: 4, 4: 5, 5: 6}
_NUM_COLOURS = {1: 2, 2: 2, 3: 3, 4: 4, 5: 5}


def edit(rng: np.random.Generator, difficulty: int, *, op: str) -> PairDraft:
    """One edit rule (or 2-3 composed rules for ``op="composed"``) on a random grid."""
    size = _SIZE[difficulty]
    colours = [str(c) for c in rng.choice(GRID_COLOURS, size=_NUM_COLOURS[difficulty], replace=False)]
    while True:
        grid = random_grid(rng, size=size, colours=colours, density=0.25 + 0.05 * difficulty)
        kinds = [op] if op != "composed" else list(rng.choice(OPS[:4], size=2 + (difficulty >= 4), replace=False))
        rules = [random_rule(rng, grid, str(kind)) for kind in kinds]
        if any(rule is None for rule in rules):
            continue
        result = apply_rules(grid, rules)  # type: ignore[arg-type]
        if result != grid and _stays_on_grid(grid, rules):
            break
    instruction = ", then ".join(describe(rule) for rule in rules)  # type: ignore[arg-type]
    instruction = instruction[0].upper() + instruction[1:]
    if op == "recolour":
        target = rules[0]["to"]  # type: ignore[index]
        value = sum(cell == target for row in result for cell in row)
        question = f"How many {target} cells will the grid have after this edit? Answer with a number."
        answer: NumberAnswer | TextAnswer = NumberAnswer(value=value)
        asked: dict[str, object] = {"count": target}
    else:
        changed = [(r, c) for r in range(size) for c in range(size) if result[r][c] != grid[r][c]]
        r, c = changed[int(rng.integers(len(changed)))]
        question = (
            f"After this edit, what colour is the cell in row {r + 1}, column {c + 1} (rows counted from the top, "
            "columns from the left)? Answer with one colour name."
        )
        answer = TextAnswer(value=result[r][c])
        asked = {"row": r + 1, "col": c + 1}
    return PairDraft(
        category=CATEGORY,
        subtask=op,
        difficulty=difficulty,
        params={"grid": grid, "rules": rules, "asked": asked},
        und_text=f"The image shows a {size}x{size} grid. Instruction: {instruction}. {question}",
        und_images=(render_grid(grid),),
        und_answer=answer,
        gen_text=(
            f"Edit this {size}x{size} grid. Instruction: {instruction}. Keep the grid size, the gray grid "
            "lines and the white background; change nothing else."
        ),
        gen_images=(render_grid(grid),),
        gen_verifier="grid",
        gen_params={"cells": result},
        gen_points=(f"the grid is still {size}x{size}", f"the result of: {instruction}", "no other cell changed"),
        reference=render_grid(result),
        wrong=render_grid(_near_miss(rng, result)),
    )


def _stays_on_grid(grid: Grid, rules: list) -> bool:
    before = sum(cell != "white" for row in grid for cell in row)
    after = sum(cell != "white" for row in apply_rules(grid, rules) for cell in row)
    return before == after


def _near_miss(rng: np.random.Generator, grid: Grid) -> Grid:
    """``grid`` with one cell changed to another colour."""
    wrong = [list(row) for row in grid]
    r, c = int(rng.integers(len(grid))), int(rng.integers(len(grid[0])))
    wrong[r][c] = "white" if grid[r][c] != "white" else "black"
    return wrong
