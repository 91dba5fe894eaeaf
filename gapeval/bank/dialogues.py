"""Interleaved dialogues: building the built-in sessions and resolving turns against model outputs.

A built-in session starts from a grid; generation turns edit the latest grid (the model's own
image, or the reference in a gold-history twin) and understanding turns ask about it with a
dynamic multiple-choice key read from that image by the grid verifier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image

from gapeval.bank.grids import GRID_COLOURS, Grid, apply_rule, apply_rules, describe, random_grid, random_rule
from gapeval.scenes.render import png_bytes, render_grid
from gapeval.bank.schema import (
    Dialogue, DynamicGridAnswer, DynamicMcqAnswer, BankImage, McqAnswer, BankText, Turn, BankTurnImage, VerifierAnswer,
)
from gapeval.scenes.grid import read_grid

NONE_OPTION = "none of these"
#: Lengths of the built-in sessions (three sessions per length, each with a gold-history twin).
SESSION_LENGTHS = (2, 4, 6, 8, 10, 12, 16, 20, 24, 30)


def evaluate_query(grid: Sequence[Sequence[str]], query: Mapping[str, Any]) -> str:
    """Answer ``query`` about ``grid``: ``{"op": "cell", "row": r, "col": c}`` (1-based) gives a colour,
    ``{"op": "count", "colour": c}`` the number of cells of that colour, as text.

    Examples
    --------
    >>> evaluate_query([["red", "blue"]], {"op": "cell", "row": 1, "col": 2})
    'blue'
    >>> evaluate_query([["red", "red"]], {"op": "count", "colour": "red"})
    '2'
    """
    if query.get("op") == "cell":
        return str(grid[int(query["row"]) - 1][int(query["col"]) - 1])
    if query.get("op") == "count":
        return str(sum(cell == query["colour"] for row in grid for cell in row))
    raise ValueError(f"unknown query {query!r}; use op 'cell' (row, col) or 'count' (colour)")


def dynamic_key(answer: DynamicMcqAnswer, image: Any) -> McqAnswer | None:
    """The multiple-choice key of ``answer`` given the image generated at its source turn.

    Returns None (unscorable) when the image is not a readable ``rows`` x ``cols`` grid. A result
    not among the options makes the last option (``"none of these"``) correct.
    """
    grid = read_grid(image, rows=answer.rows, cols=answer.cols)
    if grid is None:
        return None
    value = evaluate_query(grid, answer.query)
    index = answer.options.index(value) if value in answer.options else len(answer.options) - 1
    return McqAnswer(options=answer.options, correct=(chr(ord("A") + index),))


def dynamic_cells(answer: DynamicGridAnswer, image: Any) -> Grid | None:
    """Expected grid of a dynamic edit: ``answer.transforms`` applied to the grid read from ``image``."""
    grid = read_grid(image, rows=answer.rows, cols=answer.cols)
    return None if grid is None else apply_rules(grid, answer.transforms)


def source_image(
    dialogue: Dialogue, turn: int, *, outputs: Mapping[int, Any], open_image: Callable[[str], Image.Image]
) -> Any | None:
    """The image turn ``turn`` produced: the model's (``outputs[turn]``), or its reference in gold history."""
    if dialogue.history == "gold":
        reference = dialogue.turns[turn - 1].reference
        return None if reference is None else open_image(reference)
    return outputs.get(turn)


def resolve_answer(
    dialogue: Dialogue, index: int, *, outputs: Mapping[int, Any], open_image: Callable[[str], Image.Image]
) -> Any | None:
    """The static answer spec of turn ``index`` given earlier outputs; None when unscorable.

    Dynamic keys are computed from the source turn's image (see :func:`source_image`); a missing or
    unreadable image gives None, never a wrong key.
    """
    answer = dialogue.turns[index - 1].answer
    if not isinstance(answer, (DynamicMcqAnswer, DynamicGridAnswer)):
        return answer
    image = source_image(dialogue, answer.source_turn, outputs=outputs, open_image=open_image)
    if image is None:
        return None
    if isinstance(answer, DynamicMcqAnswer):
        return dynamic_key(answer, image)
    cells = dynamic_cells(answer, image)
    return None if cells is None else VerifierAnswer(verifier="grid", params={"cells": cells}, points=answer.points)


def resolve_prompt(
    dialogue: Dialogue, index: int, *, outputs: Mapping[int, Any], open_image: Callable[[str], Image.Image]
) -> list[Any]:
    """Prompt of turn ``index`` as text strings and images, earlier-turn references filled in.

    A reference to an output the model did not produce resolves to None.
    """
    resolved: list[Any] = []
    for part in dialogue.turns[index - 1].prompt:
        if isinstance(part, BankText):
            resolved.append(part.text)
        elif isinstance(part, BankImage):
            resolved.append(open_image(part.path))
        elif part.source == "output":
            resolved.append(source_image(dialogue, part.turn, outputs=outputs, open_image=open_image))
        else:
            earlier = resolve_prompt(dialogue, part.turn, outputs=outputs, open_image=open_image)
            resolved.append([p for p in earlier if not isinstance(p, str)][part.index])
    return resolved


def build_dialogues(seed: int) -> tuple[list[Dialogue], dict[str, bytes]]:
    """Built-in sessions (model history and gold-history twins) and their images (path -> PNG bytes)."""
    dialogues: list[Dialogue] = []
    images: dict[str, bytes] = {}
    for number, length in enumerate(np.repeat(SESSION_LENGTHS, 3)):
        rng = np.random.default_rng([seed, 7, number])
        session_id = f"session-{number + 1:03d}"
        turns, session_images, params = _session(rng, session_id, int(length))
        images.update(session_images)
        common = {"category": "interleaved", "turns": turns, "params": params,
                  "source": "gapeval-builtin", "licence": "Apache-2.0"}
        dialogues.append(Dialogue(id=session_id, history="model", twin=f"{session_id}-gold", **common))
        dialogues.append(Dialogue(id=f"{session_id}-gold", history="gold", twin=session_id, **common))
    return dialogues, images


def _session(rng: np.random.Generator, session_id: str, length: int) -> tuple[tuple[Turn, ...], dict[str, bytes], dict]:
    size = int(rng.integers(4, 6))
    colours = [str(c) for c in rng.choice(GRID_COLOURS, size=3, replace=False)]
    grid = random_grid(rng, size=size, colours=colours, density=0.45)
    start_path = f"images/{session_id}-start.png"
    images = {start_path: png_bytes(render_grid(grid))}
    turns: list[Turn] = []
    last_output: int | None = None
    for index in range(1, length + 1):
        if index % 2 == 1:
            rule = _edit_rule(rng, grid)
            grid = apply_rule(grid, rule)
            reference = f"images/{session_id}-turn{index:02d}.png"
            images[reference] = png_bytes(render_grid(grid))
            text = f"Edit the grid: {describe(rule)}. Keep the grid size and the gray lines; change nothing else."
            if last_output is None:
                prompt: tuple = (BankImage(path=start_path), BankText(text=f"Here is a {size}x{size} grid. {text}"))
                answer: Any = VerifierAnswer(verifier="grid", params={"cells": grid}, points=(describe(rule),))
            else:
                prompt = (BankTurnImage(turn=last_output, source="output"), BankText(text=f"Take your last grid. {text}"))
                answer = DynamicGridAnswer(source_turn=last_output, rows=size, cols=size, transforms=(rule,),
                                           points=(describe(rule) + " applied to the previous grid",))
            turns.append(Turn(index=index, direction="generation", subtask=f"edit_{rule['op']}",
                              prompt=prompt, answer=answer, reference=reference, difficulty=2 + (size == 5)))
            last_output = index
        else:
            question, query, options = _question(rng, grid, size)
            letters = "\n".join(f"{chr(ord('A') + i)}. {o}" for i, o in enumerate(options))
            text = f"Look at the grid you just made. {question}\n{letters}\nAnswer with the letter."
            turns.append(Turn(
                index=index, direction="understanding", subtask=f"query_{query['op']}",
                prompt=(BankTurnImage(turn=index - 1, source="output"), BankText(text=text)),
                answer=DynamicMcqAnswer(source_turn=index - 1, rows=size, cols=size, query=query, options=tuple(options)),
                difficulty=2 + (query["op"] == "count"),
            ))
    return tuple(turns), images, {"size": size, "colours": colours, "length": length}


def _edit_rule(rng: np.random.Generator, grid: Grid) -> dict[str, Any]:
    while True:
        op = str(rng.choice(["recolour", "mirror", "rotate", "move", "paint"]))
        if op == "paint":
            r, c = int(rng.integers(len(grid))), int(rng.integers(len(grid)))
            colour = str(rng.choice([g for g in GRID_COLOURS if g != grid[r][c]]))
            return {"op": "paint", "row": r + 1, "col": c + 1, "colour": colour}
        rule = random_rule(rng, grid, op)
        if rule is not None:
            return rule


def _question(rng: np.random.Generator, grid: Grid, size: int) -> tuple[str, dict[str, Any], list[str]]:
    if rng.random() < 0.6:
        r, c = int(rng.integers(size)), int(rng.integers(size))
        truth = grid[r][c]
        others = [g for g in ("white",) + GRID_COLOURS if g != truth]
        options = [truth] + [str(o) for o in rng.choice(others, size=3, replace=False)]
        query = {"op": "cell", "row": r + 1, "col": c + 1}
        question = f"What colour is the cell in row {r + 1}, column {c + 1}?"
    else:
        colour = str(rng.choice(sorted({g for row in grid for g in row if g != "white"} or {"red"})))
        truth_n = sum(g == colour for row in grid for g in row)
        candidates = sorted({max(0, truth_n + d) for d in (-2, -1, 1, 2, 3)} - {truth_n})
        options = [str(truth_n)] + [str(n) for n in rng.choice(candidates, size=3, replace=False)]
        query = {"op": "count", "colour": colour}
        question = f"How many {colour} cells does the grid have?"
    order = rng.permutation(len(options))
    return question, query, [options[i] for i in order] + [NONE_OPTION]
