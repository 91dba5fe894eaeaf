"""Every built-in generation item: its reference passes its own verifier after PNG and JPEG round
trips and resizing, and a near-miss answer fails. A seeded sample of 100 pairs runs by default, all
640 under ``-m slow``."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from gapeval.bank.builder import generate_drafts
from gapeval.bank.io import load_bank
from gapeval.scoring.verifiers import verify


def _jpeg(image: Image.Image, quality: int = 75) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _png(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _resize(image: Image.Image, factor: float) -> Image.Image:
    size = (round(image.width * factor), round(image.height * factor))
    return image.resize(size, Image.Resampling.BILINEAR)


VARIANTS = {
    "png": _png,
    "jpeg": _jpeg,
    "jpeg_downscaled": lambda im: _resize(_jpeg(im), 0.75),
    "upscaled": lambda im: _resize(im, 1.7),
}


@pytest.fixture(scope="module")
def bank():
    return load_bank("builtin")


@pytest.fixture(scope="module")
def drafts():
    return dict(generate_drafts())


def _check(bank, drafts, pairs: list[str]) -> None:
    failures = []
    for pair in pairs:
        item = bank.item(f"{pair}-gen")
        reference = bank.open_image(item.reference)
        for name, variant in VARIANTS.items():
            result = verify(item.answer.verifier, variant(reference), item.answer.params)
            if result.status != "pass":
                failures.append((pair, name, result.status, result.detail))
        wrong = drafts[pair].wrong
        for name, image in (("wrong", wrong), ("wrong_jpeg", _jpeg(wrong))):
            result = verify(item.answer.verifier, image, item.answer.params)
            if result.status != "fail":
                failures.append((pair, name, result.status, result.detail))
    assert not failures, failures[:5]


def test_sample_of_references_pass_and_near_misses_fail(bank, drafts) -> None:
    pairs = sorted({item.pair for item in bank.items})
    sample = random.Random(5).sample(pairs, 100)
    assert len({pair.rsplit("-", 1)[0] for pair in sample}) >= 12
    _check(bank, drafts, sample)


@pytest.mark.slow
def test_every_reference_passes_and_every_near_miss_fails(bank, drafts) -> None:
    _check(bank, drafts, sorted({item.pair for item in bank.items}))


def test_understanding_answers_agree_with_what_the_verifier_reads(bank) -> None:
    """The scene the understanding form shows is the generation reference: the counts the verifier
    reads from it give the understanding answer."""
    from gapeval.scenes.scene import count, read_objects

    checked = 0
    for item in bank.items:
        if item.subtask != "count" or item.direction != "understanding":
            continue
        colour, shape = item.params["target"]
        objects = read_objects(bank.open_image(item.prompt[0].path))
        assert count(objects, f"{colour} {shape}") == item.answer.value
        checked += 1
    assert checked == 60


def test_grid_understanding_answers_are_read_from_the_generation_reference(bank) -> None:
    """Describe vs perform: the cell the understanding form asks about has, in the edited reference,
    the colour that is its answer."""
    from gapeval.scenes.grid import read_grid

    checked = 0
    for item in bank.items:
        asked = item.params.get("asked", {})
        if item.direction != "understanding" or "row" not in asked:
            continue
        cells = bank.item(f"{item.pair}-gen").answer.params["cells"]
        grid = read_grid(bank.open_image(bank.item(f"{item.pair}-gen").reference), rows=len(cells), cols=len(cells[0]))
        assert grid[asked["row"] - 1][asked["col"] - 1] == item.answer.value, item.id
        checked += 1
    assert checked == 4 * 32 + 40  # move, mirror, rotate, composed; symmetry
