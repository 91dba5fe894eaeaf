"""The flat-colour palette of the built-in bank and the pixel quantiser every reader shares.

Built-in renderings use only the colours of :data:`PALETTE`, drawn without anti-aliasing, so a
verifier can map every pixel back to a colour name. Pixels further than ``tolerance`` from every
palette colour are "unknown" (label ``-1``); an image with too many unknown or too few flat pixels is
not a clean rendering and verifiers call it unscorable instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

#: Colour names and their RGB values. Neighbouring hues stay >= 90 apart in RGB so that JPEG
#: compression and resampling cannot move an interior pixel onto another colour.
PALETTE: dict[str, tuple[int, int, int]] = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "gray": (128, 128, 128),
    "red": (220, 20, 20),
    "orange": (255, 140, 0),
    "yellow": (255, 230, 0),
    "green": (0, 150, 50),
    "blue": (20, 60, 220),
    "cyan": (0, 210, 230),
    "purple": (130, 40, 170),
    "pink": (255, 150, 200),
    "brown": (130, 70, 20),
}

#: Colour names in label order: label ``k`` of a quantised image is ``COLOUR_NAMES[k]``.
COLOUR_NAMES: tuple[str, ...] = tuple(PALETTE)

_RGB = np.array([PALETTE[name] for name in COLOUR_NAMES], dtype=np.float64)

#: Default readability limits: at most 15% unknown pixels, at least 70% near-exact palette pixels
#: and 75% flat pixels. Noise fails the flat test, photographs and gradients the palette tests.
READABLE = {"max_unknown": 0.15, "min_fit": 0.7, "min_flat": 0.75}
#: Looser limits for grids, whose many gray lines leave more edge pixels after JPEG and resizing;
#: every cell must still show a clear majority colour.
READABLE_GRID = {"max_unknown": 0.2, "min_fit": 0.55, "min_flat": 0.6}

#: Largest side, in pixels, at which verifiers analyse an image (larger inputs are downscaled).
ANALYSIS_SIDE = 256
#: Images whose longer side is shorter than this are upscaled first, so that small objects keep
#: enough pixels to survive the morphological clean-up.
MIN_SIDE = 192


@dataclass(frozen=True)
class Quantised:
    """A colour-label image and the statistics that decide whether it is readable.

    Attributes
    ----------
    labels
        ``(height, width)`` int array: index into :data:`COLOUR_NAMES`, or ``-1`` for unknown.
    rgb
        ``(height, width, 3)`` float array: the pixels that were quantised (after :func:`to_rgb_array`).
    unknown_fraction
        Share of pixels further than the tolerance from every palette colour.
    fit_fraction
        Share of pixels within ``tolerance / 2`` of their palette colour (near-exact matches).
    flat_fraction
        Share of pixels whose label equals the labels of their right and lower neighbours.
    """

    labels: np.ndarray
    rgb: np.ndarray
    unknown_fraction: float
    fit_fraction: float
    flat_fraction: float

    @property
    def readable(self) -> bool:
        """True when the image looks like a flat-colour rendering (thresholds of :data:`READABLE`)."""
        return self.is_readable(**READABLE)

    def is_readable(self, *, max_unknown: float, min_fit: float, min_flat: float) -> bool:
        """True when the unknown, near-exact and flat shares are within the given limits."""
        return (
            self.unknown_fraction <= max_unknown
            and self.fit_fraction >= min_fit
            and self.flat_fraction >= min_flat
        )

    def reason(self) -> str:
        """Explain, in one line, why the image is (not) readable."""
        return (
            f"unknown pixels {self.unknown_fraction:.0%}, near-exact palette pixels "
            f"{self.fit_fraction:.0%}, flat pixels {self.flat_fraction:.0%}"
        )


def to_rgb_array(image: Any, *, max_side: int = ANALYSIS_SIDE) -> np.ndarray:
    """Return an ``(h, w, 3)`` float array of ``image``, downscaled so its longer side <= ``max_side``
    (or upscaled so it is at least :data:`MIN_SIDE`).

    ``image`` is a PIL image or an ``(h, w, 3)`` / ``(h, w)`` uint8 array. Transparent pixels are
    composited on white.

    Examples
    --------
    >>> from PIL import Image
    >>> to_rgb_array(Image.new("RGB", (600, 300), "red")).shape
    (128, 256, 3)
    """
    if isinstance(image, np.ndarray):
        image = Image.fromarray(np.asarray(image, dtype=np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    image = image.convert("RGB")
    width, height = image.size
    scale = max_side / max(width, height)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.BOX)
    elif max(width, height) < MIN_SIDE:
        scale = MIN_SIDE / max(width, height)
        image = image.resize((round(width * scale), round(height * scale)), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.float64)


def quantise(image: Any, *, tolerance: float = 80.0, max_side: int = ANALYSIS_SIDE) -> Quantised:
    """Map each pixel of ``image`` to its nearest palette colour within ``tolerance`` (RGB distance).

    Examples
    --------
    >>> from PIL import Image
    >>> q = quantise(Image.new("RGB", (8, 8), (250, 250, 250)))
    >>> COLOUR_NAMES[q.labels[0, 0]], q.readable
    ('white', True)
    """
    pixels = to_rgb_array(image, max_side=max_side)
    rgb = pixels.astype(np.int64)
    # Distances are computed once per distinct colour: flat renderings have few of them.
    keys = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    distinct, inverse = np.unique(keys.ravel(), return_inverse=True)
    colours = np.stack([distinct >> 16, (distinct >> 8) & 255, distinct & 255], axis=-1).astype(np.float64)
    distances = np.sqrt(((colours[:, None, :] - _RGB[None, :, :]) ** 2).sum(axis=-1))
    nearest = distances.argmin(axis=-1)
    best_distinct = distances[np.arange(distinct.size), nearest]
    best = best_distinct[inverse].reshape(keys.shape)
    labels = np.where(best_distinct <= tolerance, nearest, -1)[inverse].reshape(keys.shape)
    same_right = labels[:, :-1] == labels[:, 1:]
    same_down = labels[:-1, :] == labels[1:, :]
    flat = same_right[:-1, :] & same_down[:, :-1]
    return Quantised(
        labels=labels,
        rgb=pixels,
        unknown_fraction=float((labels < 0).mean()),
        fit_fraction=float((best <= tolerance / 2).mean()),
        flat_fraction=float(flat.mean()) if flat.size else 1.0,
    )


def colour_label(name: str) -> int:
    """Return the label of colour ``name``; raise a ValueError naming the valid colours otherwise."""
    try:
        return COLOUR_NAMES.index(name)
    except ValueError:
        raise ValueError(
            f"unknown colour {name!r}; use one of {', '.join(COLOUR_NAMES)}"
        ) from None
