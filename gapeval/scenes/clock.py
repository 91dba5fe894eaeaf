"""Read an analogue clock face: where its centre is and which way each coloured hand points.

This module owns the clock readers shared by the clock verifier
(:func:`gapeval.scoring.verifiers.misc.verify_clock`) and the procedural respondent. Both work on
the colour labels of :func:`gapeval.scenes.palette.quantise`.
"""

from __future__ import annotations

import math

import numpy as np

from gapeval.scenes.palette import colour_label

__all__ = ["clock_centre", "hand_angle"]


def hand_angle(labels: np.ndarray, colour: str, centre: tuple[float, float]) -> float | None:
    """Clockwise angle from 12 o'clock, in degrees, of the pixels of ``colour`` seen from ``centre``.

    Returns None when fewer than 8 pixels have that colour.
    """
    ys, xs = np.nonzero(labels == colour_label(colour))
    if xs.size < 8:
        return None
    dx, dy = xs.mean() + 0.5 - centre[0], ys.mean() + 0.5 - centre[1]
    return math.degrees(math.atan2(dx, -dy)) % 360


def clock_centre(labels: np.ndarray) -> tuple[float, float]:
    """Centre of a clock face: the middle of its black outline's box, else the image centre."""
    height, width = labels.shape
    ys, xs = np.nonzero(labels == colour_label("black"))
    if xs.size > 0.01 * labels.size:
        return ((xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2)
    return (width / 2, height / 2)
