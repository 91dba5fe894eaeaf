"""Pictures of the simulated respondent: visibly wrong variants of a right image, and a generic shape.

Each wrong variant is checked against the item's verifier, so a simulated respondent's wrong image
really scores 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from gapeval.bank import VerifierAnswer
from gapeval.bank.grids import GRID_COLOURS
from gapeval.respondents import procedural_draw as draw
from gapeval.scenes.palette import PALETTE
from gapeval.scoring.verifiers import score_image

__all__ = ["generic_shape", "near_miss", "shift_colours", "wrong_image"]


def shift_colours(image: Image.Image) -> Image.Image:
    """``image`` with every grid colour replaced by the next one of
    :data:`gapeval.bank.grids.GRID_COLOURS` (white and gray kept): a visibly wrong picture."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.int64)
    keys = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    distinct, inverse = np.unique(keys.ravel(), return_inverse=True)
    cycle = zip(GRID_COLOURS, GRID_COLOURS[1:] + GRID_COLOURS[:1], strict=True)
    lookup = {_pack(PALETTE[colour]): _pack(PALETTE[following]) for colour, following in cycle}
    mapped = np.array([lookup.get(int(key), int(key)) for key in distinct], dtype=np.int64)
    new_keys = mapped[inverse].reshape(keys.shape)
    shifted = np.stack([(new_keys >> 16) & 255, (new_keys >> 8) & 255, new_keys & 255], axis=-1).astype(np.uint8)
    return Image.fromarray(shifted)


def _pack(rgb: tuple[int, int, int]) -> int:
    return (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]


def near_miss(cells: Sequence[Sequence[str]], rng: np.random.Generator) -> list[list[str]]:
    """``cells`` with one cell painted another colour."""
    wrong = [list(row) for row in cells]
    r, c = int(rng.integers(len(wrong))), int(rng.integers(len(wrong[0])))
    wrong[r][c] = str(rng.choice([g for g in ("white", *GRID_COLOURS) if g != wrong[r][c]]))
    return wrong


def generic_shape(rng: np.random.Generator, size: tuple[int, int]) -> Image.Image:
    """A disc of a random grid colour on white (the generic picture when there is nothing to go on)."""
    colour = str(rng.choice(GRID_COLOURS))
    side = min(size)
    objects = [{"colour": colour, "shape": "circle", "x": side // 4, "y": side // 4, "size": side // 2}]
    return draw.fit(draw.draw_scene(objects, side=side), *size)


def wrong_image(answer: VerifierAnswer, right: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The first visibly wrong variant of ``right`` that ``answer``'s verifier scores 0."""
    candidates = []
    cells = answer.params.get("cells")
    if answer.verifier == "grid" and cells:
        candidates.append(draw.draw_grid(near_miss(cells, rng), like=right))
    candidates += [shift_colours(right), right.rotate(180), draw.blank(*right.size),
                   right.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    for candidate in candidates:
        score = score_image(answer, candidate)
        if score.value == 0.0:
            return candidate
    return draw.blank(*right.size)
