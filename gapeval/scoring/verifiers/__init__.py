"""Programmatic image verifiers for the built-in bank's clean flat-colour renderings.

Each verifier reads an image (PIL image or uint8 array, any size, PNG or JPEG) and returns a
:class:`VerifierResult` whose status is ``pass``, ``fail`` or ``unscorable``. Unscorable means the
image is not a clean rendering the verifier can read (a photo-like image, noise, a missing part); a
judge model should score it against the item's evaluation points instead.

Examples
--------
>>> from PIL import Image
>>> verify("colour", Image.new("RGB", (64, 64), (20, 60, 220)), {"colour": "blue"}).status
'pass'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gapeval.scoring.verifiers.grid import read_grid, verify_grid, verify_path
from gapeval.scoring.verifiers.misc import verify_clock, verify_colour, verify_template
from gapeval.scoring.verifiers.palette import COLOUR_NAMES, PALETTE, quantise
from gapeval.scoring.verifiers.result import VerifierResult
from gapeval.scoring.verifiers.scene import read_objects, verify_scene

#: Verifier names as used in a bank's ``{"kind": "verifier", "verifier": NAME, "params": {...}}``.
VERIFIERS: dict[str, Callable[..., VerifierResult]] = {
    "scene": verify_scene,
    "grid": verify_grid,
    "path": verify_path,
    "clock": verify_clock,
    "template": verify_template,
    "colour": verify_colour,
}


def verify(name: str, image: Any, params: Mapping[str, Any]) -> VerifierResult:
    """Run verifier ``name`` on ``image`` with keyword ``params``.

    Raises
    ------
    ValueError
        For an unknown verifier name or parameters the verifier does not take.
    """
    if name not in VERIFIERS:
        raise ValueError(f"unknown verifier {name!r}; use one of {', '.join(VERIFIERS)}")
    try:
        return VERIFIERS[name](image, **params)
    except TypeError as error:
        raise ValueError(f"bad parameters {sorted(params)} for verifier {name!r}: {error}") from None


__all__ = [
    "COLOUR_NAMES",
    "PALETTE",
    "VERIFIERS",
    "VerifierResult",
    "quantise",
    "read_grid",
    "read_objects",
    "verify",
]
