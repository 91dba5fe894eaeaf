"""What a family generator returns, and helpers shared by the families."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from gapeval.bank.schema import McqAnswer, NumberAnswer, PointsAnswer, TextAnswer
from gapeval.scenes.render import render_scene

SCENE_COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "cyan", "black")
#: Groups of colours that are easy to confuse, used to make harder items.
SIMILAR = (("red", "orange", "pink", "brown"), ("blue", "cyan", "purple"), ("green", "cyan", "yellow"))
SHAPES = ("circle", "square", "triangle")


@dataclass(frozen=True)
class PairDraft:
    """One question in both directions, before ids and file names are assigned.

    The understanding form asks ``und_text`` about ``und_images``; the generation form asks for an
    image (``gen_text``, editing ``gen_images`` when there are any) checked by verifier
    ``gen_verifier`` with ``gen_params``. ``reference`` passes that check, ``wrong`` (a near miss)
    does not; ``wrong`` is kept for tests only and is not written to the bank.
    """

    category: str
    subtask: str
    difficulty: int
    params: dict[str, Any]
    und_text: str
    und_images: tuple[Image.Image, ...]
    und_answer: McqAnswer | NumberAnswer | TextAnswer | PointsAnswer
    gen_text: str
    gen_images: tuple[Image.Image, ...]
    gen_verifier: str
    gen_params: dict[str, Any]
    gen_points: tuple[str, ...]
    reference: Image.Image
    wrong: Image.Image = field(repr=False)


def plural(shape: str, n: int = 2) -> str:
    """``"circle"`` -> ``"circles"`` unless ``n == 1``."""
    return shape if n == 1 else shape + "s"


def mcq(question: str, options: Sequence[str], correct: int) -> tuple[str, McqAnswer]:
    """Prompt text listing lettered ``options`` and the answer spec with ``options[correct]`` right."""
    letters = [chr(ord("A") + i) for i in range(len(options))]
    lines = "\n".join(f"{letter}. {option}" for letter, option in zip(letters, options))
    text = f"{question}\n{lines}\nAnswer with the letter of the correct option."
    return text, McqAnswer(options=tuple(options), correct=(letters[correct],))


def place(rng: np.random.Generator, kinds: Sequence[tuple[str, str]], *, canvas: int = 192) -> list[dict[str, Any]]:
    """Place one object per ``(colour, shape)`` in distinct slots of a 6 x 6 layout, sizes 18-26 px."""
    slots = 6
    slot = canvas // slots
    if len(kinds) > slots * slots:
        raise ValueError(f"{len(kinds)} objects do not fit a {slots}x{slots} layout; use at most {slots * slots}")
    chosen = rng.choice(slots * slots, size=len(kinds), replace=False)
    objects = []
    for (colour, shape), index in zip(kinds, chosen):
        size = int(rng.integers(18, 27))
        jitter = slot - size - 4
        x = int(index % slots) * slot + 2 + int(rng.integers(0, jitter + 1))
        y = int(index // slots) * slot + 2 + int(rng.integers(0, jitter + 1))
        objects.append({"colour": colour, "shape": shape, "x": x, "y": y, "size": size})
    return objects


def scene(rng: np.random.Generator, counts: dict[tuple[str, str], int]) -> tuple[Image.Image, list[dict[str, Any]]]:
    """Render a scene with ``counts[(colour, shape)]`` objects of each kind; return image and layout."""
    kinds = [kind for kind, n in counts.items() for _ in range(n)]
    objects = place(rng, kinds)
    return render_scene(objects), objects


def scene_points(counts: dict[tuple[str, str], int]) -> tuple[str, ...]:
    """Evaluation points for a judge describing a scene with ``counts``."""
    points = [f"exactly {n} {c} {plural(s, n)}" for (c, s), n in counts.items()]
    return tuple(points) + ("flat shapes on a plain white background, not overlapping",)


def pick_kinds(rng: np.random.Generator, n: int, *, similar: bool, exclude: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """Draw ``n`` distinct (colour, shape) kinds, from one group of similar colours when ``similar``."""
    colours = list(SIMILAR[int(rng.integers(len(SIMILAR)))]) if similar else list(SCENE_COLOURS)
    pool = [(c, s) for c in colours for s in SHAPES if (c, s) not in exclude]
    if len(pool) < n:
        pool = [(c, s) for c in SCENE_COLOURS for s in SHAPES if (c, s) not in exclude]
    order = rng.permutation(len(pool))[:n]
    return [pool[i] for i in order]
