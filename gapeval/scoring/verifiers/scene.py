"""The scene verifier: count constraints and spatial relations checked on a read scene.

The reading (objects, descriptors, relations) is :mod:`gapeval.scenes.scene`; this module owns the
pass/fail check of a bank's ``scene`` verifier answer.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any

from gapeval.scenes.palette import quantise
from gapeval.scenes.scene import RELATIONS, count, matches, read_objects, relation_holds
from gapeval.scoring.verifiers.result import VerifierResult, judged, unscorable

_OPS = {"==": operator.eq, ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le}


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
