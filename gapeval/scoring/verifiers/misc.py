"""Verifiers for clock faces, flag-like templates and colour swatches.

The clock hands are read by :mod:`gapeval.scenes.clock`, flags as a coarse grid by
:func:`gapeval.scenes.grid.read_grid`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gapeval.scenes.clock import clock_centre, hand_angle
from gapeval.scenes.grid import read_grid
from gapeval.scenes.palette import COLOUR_NAMES, colour_label, quantise
from gapeval.scoring.verifiers.result import VerifierResult, judged, unscorable


def verify_clock(
    image: Any,
    *,
    hour: int,
    minute: int,
    hour_colour: str = "blue",
    minute_colour: str = "red",
    tolerance_deg: float = 12.0,
) -> VerifierResult:
    """Pass if the clock's hour and minute hands point at ``hour:minute`` within ``tolerance_deg``.

    The centre is the middle of the black face outline (or of the image when there is none); each
    hand's direction is that of the centroid of its pixels.

    Examples
    --------
    >>> from PIL import Image, ImageDraw
    >>> im = Image.new("RGB", (100, 100), "white"); d = ImageDraw.Draw(im)
    >>> d.line([50, 50, 50, 10], fill=(220, 20, 20), width=3); d.line([50, 50, 75, 50], fill=(20, 60, 220), width=5)
    >>> verify_clock(im, hour=3, minute=0).status
    'pass'
    """
    quantised = quantise(image)
    if not quantised.readable:
        return unscorable(f"not a flat-colour rendering: {quantised.reason()}")
    labels = quantised.labels
    centre = clock_centre(labels)
    minute_angle = hand_angle(labels, minute_colour, centre)
    hour_angle = hand_angle(labels, hour_colour, centre)
    if minute_angle is None or hour_angle is None:
        return unscorable(f"no {hour_colour} hour hand or no {minute_colour} minute hand found")
    want_minute = 6.0 * minute
    want_hour = 30.0 * (hour % 12) + 0.5 * minute
    off_minute = _angle_gap(minute_angle, want_minute)
    off_hour = _angle_gap(hour_angle, want_hour)
    readout = {"hour_angle": round(hour_angle, 1), "minute_angle": round(minute_angle, 1)}
    detail = (
        f"hour hand {hour_angle:.0f} deg (want {want_hour:.0f}), "
        f"minute hand {minute_angle:.0f} deg (want {want_minute:.0f})"
    )
    return judged(off_minute <= tolerance_deg and off_hour <= tolerance_deg, detail, readout)


def verify_template(
    image: Any, *, template: Sequence[Sequence[str]], min_agree: float = 0.9
) -> VerifierResult:
    """Pass if at least ``min_agree`` of the sampled cells match ``template`` (``"?"`` cells skipped).

    The image is divided evenly into the template's rows and columns (flags: 6 x 9 samples).

    Examples
    --------
    >>> from PIL import Image
    >>> verify_template(Image.new("RGB", (90, 60), "white"), template=[["white", "?"]]).status
    'pass'
    """
    rows, cols = len(template), len(template[0])
    grid = read_grid(image, rows=rows, cols=cols, min_share=0.5, strict=False)
    if grid is None:
        return unscorable(f"not a flat-colour rendering: {quantise(image).reason()}")
    checked = [(grid[r][c], template[r][c]) for r in range(rows) for c in range(cols) if template[r][c] != "?"]
    agree = sum(got == want for got, want in checked) / max(1, len(checked))
    return judged(agree >= min_agree, f"{agree:.0%} of sampled cells match (need {min_agree:.0%})", {"grid": grid})


def verify_colour(image: Any, *, colour: str, min_share: float = 0.6) -> VerifierResult:
    """Pass if ``colour`` covers at least ``min_share`` of the central half of the image.

    Examples
    --------
    >>> from PIL import Image
    >>> verify_colour(Image.new("RGB", (40, 40), (0, 150, 50)), colour="green").status
    'pass'
    """
    quantised = quantise(image)
    if not quantised.readable:
        return unscorable(f"not a flat-colour rendering: {quantised.reason()}")
    labels = quantised.labels
    height, width = labels.shape
    centre = labels[height // 4 : height - height // 4, width // 4 : width - width // 4]
    values, counts = np.unique(centre, return_counts=True)
    best = int(values[counts.argmax()])
    name = COLOUR_NAMES[best] if best >= 0 else "unknown"
    share = float((centre == colour_label(colour)).mean())
    return judged(share >= min_share, f"{share:.0%} {colour} in the centre (mostly {name})", {"dominant": name})


def _angle_gap(a: float, b: float) -> float:
    gap = abs(a - b) % 360
    return min(gap, 360 - gap)
