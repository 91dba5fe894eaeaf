"""Unit behaviour of the image verifiers: exact readouts, robustness, and explicit unscorable results."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gapeval.scenes.grid import read_grid
from gapeval.scenes.palette import PALETTE, quantise
from gapeval.scenes.render import render_clock, render_flag, render_grid, render_scene
from gapeval.scenes.scene import read_objects
from gapeval.scoring.verifiers import verify
from gapeval.scoring.verifiers.grid import shortest_path_length


def _noise(seed: int = 0, size: int = 160) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8))


def _photo_like(seed: int = 0, size: int = 160) -> Image.Image:
    """Smooth random colour field with fine texture: the statistics of a natural photograph, not of a drawing."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(30, 225, (6, 6, 3))
    field = np.kron(coarse, np.ones((size // 6 + 1, size // 6 + 1, 1)))[:size, :size]
    from scipy.ndimage import gaussian_filter

    smooth = gaussian_filter(field, sigma=(12, 12, 0)) + rng.normal(0, 6, (size, size, 3))
    return Image.fromarray(np.clip(smooth, 0, 255).astype(np.uint8))


SCENE = [
    {"colour": "red", "shape": "circle", "x": 10, "y": 10, "size": 24},
    {"colour": "red", "shape": "circle", "x": 60, "y": 12, "size": 20},
    {"colour": "blue", "shape": "square", "x": 120, "y": 100, "size": 22},
    {"colour": "green", "shape": "triangle", "x": 20, "y": 140, "size": 26},
]


def test_scene_readout_is_exact() -> None:
    objects = read_objects(render_scene(SCENE))
    assert [(o["colour"], o["shape"]) for o in objects] == [
        ("red", "circle"), ("red", "circle"), ("blue", "square"), ("green", "triangle")
    ]
    assert objects[2]["x"] == pytest.approx((120 + 11) / 192, abs=0.01)


@pytest.mark.parametrize(
    ("constraints", "relations", "status"),
    [
        ([["red circle", "==", 2], ["object", "==", 4]], [], "pass"),
        ([["red circle", "==", 3]], [], "fail"),
        ([["red", ">", "blue"], ["triangle", ">=", 1]], [], "pass"),
        ([["square", ">", "circle"]], [], "fail"),
        ([], [["blue square", "right_of", "green triangle"]], "pass"),
        ([], [["green triangle", "above", "blue square"]], "fail"),
        ([], [["red circle", "left_of", "blue square"]], "fail"),  # two red circles: ambiguous
    ],
)
def test_scene_constraints(constraints, relations, status) -> None:
    result = verify("scene", render_scene(SCENE), {"constraints": constraints, "relations": relations})
    assert result.status == status, result.detail


def test_scene_errors_name_the_valid_options() -> None:
    with pytest.raises(ValueError, match="unknown word 'hexagon' in object descriptor 'red hexagon'"):
        verify("scene", render_scene(SCENE), {"constraints": [["red hexagon", "==", 1]]})
    with pytest.raises(ValueError, match="unknown comparison '=>'"):
        verify("scene", render_scene(SCENE), {"constraints": [["red", "=>", 1]]})
    with pytest.raises(ValueError, match="unknown verifier 'ocr'; use one of scene, grid, path"):
        verify("ocr", render_scene(SCENE), {})
    with pytest.raises(ValueError, match=r"bad parameters \['size'\] for verifier 'colour'"):
        verify("colour", render_scene(SCENE), {"size": 3})


@pytest.mark.parametrize("name", ["scene", "grid", "clock", "template", "colour", "path"])
@pytest.mark.parametrize("image", [_noise(), _noise(1, 300), _photo_like(), _photo_like(2)], ids=["noise", "noise300", "photo", "photo2"])
def test_natural_images_are_unscorable_not_guessed(name: str, image: Image.Image) -> None:
    params = {
        "scene": {"constraints": [["object", "==", 0]]},
        "grid": {"cells": [["white"] * 3] * 3},
        "clock": {"hour": 3, "minute": 0},
        "template": {"template": [["red"] * 9] * 6},
        "colour": {"colour": "red"},
        "path": {"cells": [["green", "white", "red"]], "shortest": 2},
    }[name]
    result = verify(name, image, params)
    assert result.status == "unscorable" and result.score is None, result.detail


def test_quantise_statistics_separate_drawings_from_photos() -> None:
    clean = quantise(render_scene(SCENE))
    assert clean.readable and clean.unknown_fraction == 0 and clean.fit_fraction == 1
    assert not quantise(_photo_like()).readable
    assert quantise(_noise()).flat_fraction < 0.2


def test_grid_readout_and_path() -> None:
    cells = [["green", "white", "black"], ["black", "white", "white"], ["white", "white", "red"]]
    assert read_grid(render_grid(cells), rows=3, cols=3) == cells
    assert shortest_path_length(cells) == 4
    good = [["green", "blue", "black"], ["black", "blue", "blue"], ["white", "white", "red"]]
    assert verify("path", render_grid(good), {"cells": cells, "shortest": 4}).status == "pass"
    broken = [["green", "blue", "black"], ["black", "white", "blue"], ["white", "white", "red"]]
    assert verify("path", render_grid(broken), {"cells": cells, "shortest": 4}).status == "fail"
    through_wall = [["green", "white", "black"], ["blue", "white", "white"], ["blue", "blue", "red"]]
    result = verify("path", render_grid(through_wall), {"cells": cells, "shortest": 4})
    assert result.status == "fail" and "changed from black to blue" in result.detail


def test_grid_fails_on_one_wrong_cell_and_reports_it() -> None:
    cells = [["red", "white"], ["white", "blue"]]
    result = verify("grid", render_grid([["red", "white"], ["white", "green"]]), {"cells": cells})
    assert result.status == "fail" and "(2, 2, green, blue)" in result.detail
    assert verify("grid", render_grid(cells).resize((33, 41)), {"cells": cells}).status == "pass"


@pytest.mark.parametrize(("hour", "minute"), [(3, 0), (12, 0), (6, 30), (9, 45), (11, 55), (1, 5)])
def test_clock_reads_every_hand_position(hour: int, minute: int) -> None:
    image = render_clock(hour, minute)
    assert verify("clock", image, {"hour": hour, "minute": minute}).status == "pass"
    assert verify("clock", image, {"hour": hour % 12 + 1, "minute": minute}).status == "fail"
    assert verify("clock", image, {"hour": hour, "minute": (minute + 10) % 60}).status == "fail"


def test_clock_without_hands_is_unscorable() -> None:
    image = Image.new("RGB", (100, 100), "white")
    ImageDraw.Draw(image).ellipse([5, 5, 94, 94], outline=PALETTE["black"], width=3)
    assert verify("clock", image, {"hour": 1, "minute": 0}).status == "unscorable"


def test_flag_template_tells_neighbours_apart() -> None:
    france = render_flag({"layout": "vertical", "colours": ["blue", "white", "red"]})
    template = read_grid(france, rows=6, cols=9, strict=False)
    assert verify("template", france.resize((300, 300)), {"template": template}).status == "pass"
    italy = render_flag({"layout": "vertical", "colours": ["green", "white", "red"]})
    result = verify("template", italy, {"template": template})
    assert result.status == "fail" and result.detail.startswith("67% of sampled cells match")


def test_colour_swatch() -> None:
    image = Image.new("RGB", (80, 80), PALETTE["orange"])
    assert verify("colour", image, {"colour": "orange"}).status == "pass"
    assert verify("colour", image, {"colour": "red"}).readout == {"dominant": "orange"}
    with pytest.raises(ValueError, match="unknown colour 'teal'"):
        verify("colour", image, {"colour": "teal"})


def test_score_image_returns_scoring_records() -> None:
    from gapeval.bank.io import load_bank
    from gapeval.scoring.verifiers import score_image

    bank = load_bank("builtin")
    item = bank.item("clock-050-gen")
    good = score_image(item.answer, bank.open_image(item.reference))
    assert (good.status, good.value, good.scorer, good.mode) == ("scored", 1.0, "verifier:clock", "exact")
    assert set(json.loads(good.extracted)) == {"hour_angle", "minute_angle"}
    other = bank.item("clock-051-gen")
    bad = score_image(item.answer, bank.open_image(other.reference))
    assert (bad.status, bad.value) == ("scored", 0.0)
    noise = score_image(item.answer, _noise())
    assert (noise.status, noise.value, noise.extracted) == ("unscorable", None, None)
    assert noise.detail.startswith("not a flat-colour rendering")


def test_every_verifier_name_of_the_bank_has_a_check() -> None:
    from gapeval.bank.schema import VERIFIER_NAMES
    from gapeval.scoring.verifiers import VERIFIERS

    assert tuple(VERIFIERS) == VERIFIER_NAMES
