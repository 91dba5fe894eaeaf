"""Property tests: random grids and scenes, rendered and JPEG-compressed, read back exactly."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image

from gapeval.bank.families.base import SHAPES, place
from gapeval.bank.grids import GRID_COLOURS
from gapeval.scenes.grid import read_grid
from gapeval.scenes.render import render_grid, render_scene
from gapeval.scoring.verifiers import verify


def _jpeg(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=75)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(1, 8),
    cols=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([0.6, 1.0, 2.0]),
)
def test_grid_round_trip(rows: int, cols: int, seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    cells = [[str(rng.choice(("white",) + GRID_COLOURS)) for _ in range(cols)] for _ in range(rows)]
    image = _jpeg(render_grid(cells))
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
    assert read_grid(image, rows=rows, cols=cols) == cells


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20))
@example(seed=110143, n=12)  # an 18-pixel yellow square whose corners JPEG blurs into white: read as a circle once
def test_scene_round_trip(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    kinds = [(str(rng.choice(GRID_COLOURS)), str(rng.choice(SHAPES))) for _ in range(n)]
    counts: dict[str, int] = {}
    for colour, shape in kinds:
        counts[f"{colour} {shape}"] = counts.get(f"{colour} {shape}", 0) + 1
    constraints = [[key, "==", value] for key, value in counts.items()] + [["object", "==", n]]
    result = verify("scene", _jpeg(render_scene(place(rng, kinds))), {"constraints": constraints})
    assert result.status == "pass", result.detail
