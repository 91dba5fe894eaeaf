"""Programmatic image verifiers for the built-in bank's clean flat-colour renderings.

Each verifier reads an image (PIL image or uint8 array, any size, PNG or JPEG) with the readers of
:mod:`gapeval.scenes` and returns a :class:`VerifierResult` whose status is ``pass``, ``fail`` or
``unscorable``, with what it read (``readout``). Unscorable means the image is not a clean rendering the verifier can read (a
photo-like image, noise, a missing part); a judge model should score it against the item's
evaluation points instead.

:class:`VerifierResult` is the verifier's internal readout. The score record, as for every other
scorer, is :class:`gapeval.scoring.result.Score`: :func:`score_image` turns a verdict into one
(pass 1.0, fail 0.0, unscorable without a value; scorer ``verifier:NAME``, mode ``exact``,
version :data:`VERIFIER_VERSION`, the readout as JSON in ``extracted``). Scoring code
(:func:`gapeval.scoring.dispatch.score_answer`) only uses :func:`score_image`.

Examples
--------
>>> from PIL import Image
>>> verify("colour", Image.new("RGB", (64, 64), (20, 60, 220)), {"colour": "blue"}).status
'pass'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from gapeval.scoring.result import Score, scored
from gapeval.scoring.result import unscorable as unscorable_score

from gapeval.scoring.verifiers.grid import verify_grid, verify_path
from gapeval.scoring.verifiers.imug_grid import verify_imug_grid
from gapeval.scoring.verifiers.misc import verify_clock, verify_colour, verify_template
from gapeval.scoring.verifiers.result import VerifierResult
from gapeval.scoring.verifiers.scene import verify_scene

#: Verifier names as used in a bank's ``{"kind": "verifier", "verifier": NAME, "params": {...}}``.
VERIFIERS: dict[str, Callable[..., VerifierResult]] = {
    "scene": verify_scene,
    "grid": verify_grid,
    "path": verify_path,
    "clock": verify_clock,
    "template": verify_template,
    "colour": verify_colour,
    "imug_grid": verify_imug_grid,
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


#: Version of the verifiers' reading rules; bumped whenever a verdict on some image can change.
VERIFIER_VERSION = "1"


def verify_answer(answer: Any, image: Any) -> VerifierResult:
    """Check ``image`` against a bank answer spec with ``verifier`` and ``params`` attributes
    (a :class:`gapeval.bank.schema.VerifierAnswer`)."""
    return verify(answer.verifier, image, answer.params)


def score_image(answer: Any, image: Any) -> Score:
    """Score ``image`` against a verifier answer spec as a :class:`gapeval.scoring.result.Score`.

    Pass gives 1.0, fail 0.0, and an image the verifier cannot read an unscorable score (to be
    judged on ``answer.points``). ``extracted`` holds the verifier's readout as JSON.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from PIL import Image
    >>> spec = SimpleNamespace(verifier="colour", params={"colour": "blue"})
    >>> s = score_image(spec, Image.new("RGB", (64, 64), (20, 60, 220)))
    >>> s.value, s.scorer, s.extracted
    (1.0, 'verifier:colour', '{"dominant": "blue"}')
    """
    result = verify_answer(answer, image)
    provenance = {"scorer": f"verifier:{answer.verifier}", "mode": "exact", "version": VERIFIER_VERSION}
    extracted = json.dumps(result.readout, sort_keys=True) if result.readout else None
    if result.score is None:
        return unscorable_score(result.detail, extracted=extracted, **provenance)
    return scored(result.score, detail=result.detail, extracted=extracted, **provenance)


__all__ = [
    "VERIFIERS",
    "VerifierResult",
    "VERIFIER_VERSION",
    "score_image",
    "verify",
    "verify_answer",
]
