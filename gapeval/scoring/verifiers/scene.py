"""Read flat-colour scenes of circles, squares and triangles on white, and check counts and relations.

A scene is read by quantising to the palette, taking a 3x3 majority vote of the labels, opening
each colour mask (which removes the thin fringes JPEG and resampling leave along edges, where
blended pixels fall on other palette colours) and labelling connected components with
:func:`scipy.ndimage.label`. The shape of a component follows from how much of its bounding box it
fills (a square all of it, a disc pi/4, a triangle half) and how round it is.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import ndimage

from gapeval.scoring.verifiers.palette import COLOUR_NAMES, quantise
from gapeval.scoring.verifiers.result import VerifierResult, judged, unscorable

SHAPES = ("circle", "square", "triangle")
RELATIONS = ("left_of", "right_of", "above", "below")
_OPS = {"==": operator.eq, ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le}
_STRUCTURE = np.ones((3, 3), dtype=bool)


def classify_shape(fill: float, roundness: float) -> str:
    """Name the shape of a component from ``fill`` (share of its bounding box it covers) and
    ``roundness`` (its area over that of the disc reaching its farthest pixel from the centroid).

    A disc has roundness near 1 and fill pi/4; a square roundness 2/pi and fill 1; any triangle
    roundness at most 0.41 and fill about 1/2. Both measures are unchanged by resizing.

    Examples
    --------
    >>> classify_shape(0.785, 0.95), classify_shape(1.0, 0.64), classify_shape(0.5, 0.36), classify_shape(0.2, 0.1)
    ('circle', 'square', 'triangle', 'other')
    """
    if fill >= 0.9:
        return "square"
    if roundness >= 0.72:
        return "circle"
    if fill >= 0.8 and roundness >= 0.5:
        return "square"
    if fill >= 0.35 and roundness >= 0.2:
        return "triangle"
    return "other"


def roundness(pixels: np.ndarray) -> float:
    """Area of the boolean mask ``pixels`` over the area of the disc centred on its centroid that
    reaches its farthest pixel (pixel corners included).

    Examples
    --------
    >>> import numpy as np
    >>> round(roundness(np.ones((20, 20), dtype=bool)), 2)
    0.64
    """
    ys, xs = np.nonzero(pixels)
    dy, dx = ys - ys.mean(), xs - xs.mean()
    reach = np.sqrt((np.abs(dx) + 0.5) ** 2 + (np.abs(dy) + 0.5) ** 2).max()
    return float(ys.size / (np.pi * reach**2))


def read_objects(image: Any, *, min_area_fraction: float = 0.0012) -> list[dict[str, Any]] | None:
    """Return the objects of a scene (colour, shape, centre in [0, 1] coordinates, area), or None.

    None means the image is not a readable flat-colour rendering. White is the background.
    """
    quantised = quantise(image)
    if not quantised.readable:
        return None
    labels = _majority(quantised.labels)
    height, width = labels.shape
    min_area = max(4, int(min_area_fraction * height * width))
    objects = []
    for colour_index in np.unique(labels):
        colour = COLOUR_NAMES[colour_index] if colour_index >= 0 else "white"
        if colour == "white":
            continue
        raw = labels == colour_index
        opened = ndimage.binary_opening(raw, structure=_STRUCTURE)
        if not opened.any():
            continue
        components, _ = ndimage.label(opened)
        for index, box in enumerate(ndimage.find_objects(components), start=1):
            pixels = components[box] == index
            area = int(pixels.sum())
            if area < min_area:
                continue
            box_area = pixels.size
            objects.append(
                {
                    "colour": colour,
                    "shape": classify_shape(area / box_area, roundness(pixels)),
                    "x": round((box[1].start + box[1].stop) / 2 / width, 4),
                    "y": round((box[0].start + box[0].stop) / 2 / height, 4),
                    "area": round(area / (height * width), 5),
                }
            )
    return sorted(objects, key=lambda o: (o["y"], o["x"]))


def matches(obj: Mapping[str, Any], descriptor: str) -> bool:
    """True if ``obj`` fits ``descriptor``: ``"red circle"``, ``"red"``, ``"circle"`` or ``"object"``.

    Examples
    --------
    >>> matches({"colour": "red", "shape": "circle"}, "red circle"), matches({"colour": "red", "shape": "circle"}, "square")
    (True, False)
    """
    words = descriptor.split()
    for word in words:
        if word == "object":
            continue
        if word in SHAPES or word == "other":
            if obj["shape"] != word:
                return False
        elif word in COLOUR_NAMES:
            if obj["colour"] != word:
                return False
        else:
            raise ValueError(
                f"unknown word {word!r} in object descriptor {descriptor!r}; use colour names "
                f"({', '.join(COLOUR_NAMES)}), shapes ({', '.join(SHAPES)}) or 'object'"
            )
    return True


def count(objects: Sequence[Mapping[str, Any]], descriptor: str) -> int:
    """Number of ``objects`` that fit ``descriptor``."""
    return sum(matches(obj, descriptor) for obj in objects)


def relation_holds(a: Mapping[str, Any], relation: str, b: Mapping[str, Any]) -> bool:
    """True if object ``a`` is clearly (along the dominant axis) ``relation`` object ``b``."""
    dx, dy = a["x"] - b["x"], a["y"] - b["y"]
    horizontal = abs(dx) > abs(dy)
    return {
        "left_of": horizontal and dx < 0,
        "right_of": horizontal and dx > 0,
        "above": not horizontal and dy < 0,
        "below": not horizontal and dy > 0,
    }[relation]


def verify_scene(
    image: Any,
    *,
    constraints: Sequence[Sequence[Any]] = (),
    relations: Sequence[Sequence[str]] = (),
) -> VerifierResult:
    """Check a scene against count ``constraints`` and spatial ``relations``.

    Parameters
    ----------
    image
        PIL image or uint8 array.
    constraints
        ``[descriptor, op, value]`` triples; ``op`` in ``== > < >= <=``; ``value`` an int or another
        descriptor (compare two counts), e.g. ``["red circle", "==", 3]``, ``["red", ">", "blue"]``.
    relations
        ``[a, relation, b]`` triples, ``relation`` in ``left_of right_of above below``; ``a`` and
        ``b`` must each match exactly one object, or the result is a fail.

    Examples
    --------
    >>> from PIL import Image, ImageDraw
    >>> im = Image.new("RGB", (128, 128), "white"); d = ImageDraw.Draw(im)
    >>> d.rectangle([10, 50, 30, 70], fill=(220, 20, 20)); d.ellipse([80, 50, 100, 70], fill=(20, 60, 220))
    >>> verify_scene(im, constraints=[["object", "==", 2]], relations=[["red square", "left_of", "blue circle"]]).status
    'pass'
    """
    objects = read_objects(image)
    if objects is None:
        return unscorable(f"not a flat-colour rendering: {quantise(image).reason()}")
    readout = {"objects": objects}
    failures = []
    for descriptor, op, value in constraints:
        if op not in _OPS:
            raise ValueError(f"unknown comparison {op!r}; use one of {', '.join(_OPS)}")
        left = count(objects, descriptor)
        right = count(objects, value) if isinstance(value, str) else int(value)
        if not _OPS[op](left, right):
            failures.append(f"{descriptor}: {left} {op} {value} ({right}) is false")
    for a, relation, b in relations:
        if relation not in RELATIONS:
            raise ValueError(f"unknown relation {relation!r}; use one of {', '.join(RELATIONS)}")
        found_a = [o for o in objects if matches(o, a)]
        found_b = [o for o in objects if matches(o, b)]
        if len(found_a) != 1 or len(found_b) != 1:
            failures.append(f"need one {a} and one {b}, found {len(found_a)} and {len(found_b)}")
        elif not relation_holds(found_a[0], relation, found_b[0]):
            failures.append(f"{a} is not {relation.replace('_', ' ')} {b}")
    summary = ", ".join(
        f"{n} {key}" for key, n in sorted(_tally(objects).items())
    ) or "no objects"
    detail = f"read {summary}" + (f"; {'; '.join(failures)}" if failures else "")
    return judged(not failures, detail, readout)


def _tally(objects: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    tally: dict[str, int] = {}
    for obj in objects:
        key = f"{obj['colour']} {obj['shape']}"
        tally[key] = tally.get(key, 0) + 1
    return tally


def _majority(labels: np.ndarray) -> np.ndarray:
    """Replace each label by the most common label of its 3x3 neighbourhood (ties keep the pixel's own),
    which removes the isolated wrong-colour pixels JPEG leaves along edges."""
    padded = np.pad(labels, 1, mode="edge")
    height, width = labels.shape
    windows = np.stack([padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3)])
    counts = (windows[:, None, :, :] == windows[None, :, :, :]).sum(axis=1)
    best = np.take_along_axis(windows, counts.argmax(axis=0)[None], axis=0)[0]
    own = (windows == labels[None]).sum(axis=0)
    return np.where(own >= counts.max(axis=0), labels, best)
