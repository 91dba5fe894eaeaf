"""Read flat-colour scenes of circles, squares and triangles on white: objects, counts and relations.

This module owns the scene reader (:func:`read_objects`), the object vocabulary (:data:`SHAPES`,
:data:`RELATIONS`, descriptors such as ``"red circle"``) and the counting and relation rules that the
scene verifier (:func:`gapeval.scoring.verifiers.scene.verify_scene`), the bank's generators and the
procedural respondent share. A scene is read by quantising to the palette, taking a 3x3 majority vote of the labels, opening
each colour mask (which removes the thin fringes JPEG and resampling leave along edges, where
blended pixels fall on other palette colours) and labelling connected components with
:func:`scipy.ndimage.label`. The shape of a component follows from how much of its bounding box it
fills (a square all of it, a disc pi/4, a triangle half), how round it is and whether its bounding
box's corners are background (a disc) or the object's colour (a square).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import ndimage

from gapeval.scenes.palette import COLOUR_NAMES, PALETTE, quantise

SHAPES = ("circle", "square", "triangle")
RELATIONS = ("left_of", "right_of", "above", "below")
_STRUCTURE = np.ones((3, 3), dtype=bool)


def classify_shape(fill: float, roundness: float, corner_tint: float) -> str:
    """Name the shape of a component from ``fill`` (share of its bounding box it covers),
    ``roundness`` (its area over that of the disc reaching its farthest pixel from the centroid) and
    ``corner_tint`` (how far its bounding box's corner pixels are from white, see :func:`corner_tint`).

    Any triangle has roundness at most 0.41 and fill about 1/2; a disc roundness near 1 and fill
    pi/4; a square roundness 2/pi and fill 1. All three measures are unchanged by resizing. Discs and
    squares are told apart by their corners: a disc leaves its bounding box's corners background
    (tint near 0), a square covers them (tint near 1). Fill and roundness alone cannot do it once
    JPEG has rounded a square's corners: chroma subsampling blurs a light colour such as yellow into
    white there, and the square's mask becomes a rounded square (fill 0.85, roundness 0.75).

    The limits come from 8,000 scenes of 1–20 objects rendered by :func:`gapeval.scenes.render.
    render_scene`, JPEG-compressed at quality 50 or 75 and resized 0.6–2 times: triangles' roundness
    reached 0.64 and discs' fell to 0.72 (limit 0.68); discs' corner tint reached 0.20 and squares'
    fell to 0.26 (limit 0.225).

    Examples
    --------
    >>> classify_shape(0.785, 0.95, 0.0), classify_shape(1.0, 0.64, 1.0), classify_shape(0.85, 0.75, 0.45)
    ('circle', 'square', 'square')
    >>> classify_shape(0.5, 0.36, 0.4), classify_shape(0.2, 0.1, 0.0)
    ('triangle', 'other')
    """
    if fill < 0.35 or roundness < 0.2:
        return "other"
    if roundness < 0.68 and fill < 0.8:
        return "triangle"
    return "square" if corner_tint >= 0.225 else "circle"


def corner_tint(rgb: np.ndarray, colour: str) -> float:
    """Median, over the four corner pixels of ``rgb`` (an object's bounding box), of their distance
    from white as a share of ``colour``'s distance from white: 0 where the corners are background,
    1 where they are the object's colour.

    Examples
    --------
    >>> import numpy as np
    >>> box = np.full((5, 5, 3), 255.0)
    >>> box[1:4, 1:4] = (220, 20, 20)
    >>> corner_tint(box, "red"), corner_tint(np.tile(np.array([220.0, 20, 20]), (5, 5, 1)), "red")
    (0.0, 1.0)
    """
    white = np.array(PALETTE["white"], dtype=np.float64)
    full = np.linalg.norm(np.array(PALETTE[colour], dtype=np.float64) - white)
    corners = rgb[[0, 0, -1, -1], [0, -1, 0, -1]]
    return float(np.median(np.linalg.norm(corners - white, axis=-1)) / full)


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
                    "shape": classify_shape(area / box_area, roundness(pixels), corner_tint(quantised.rgb[box], colour)),
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
