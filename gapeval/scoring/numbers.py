"""Numeric answers with an absolute/relative tolerance and units.

A reply is correct when the number read from it, converted to the key's unit, satisfies
``|x − target| ≤ max(abs_tol, rel_tol · |target|)`` (the rule of :func:`math.isclose`).

Numbers are read as decimal numerals (``-3``, ``1,234.5``, ``2.5e3``, ``.5``, Unicode minus),
simple fractions (``3/4``) and the English number words zero–twenty and the tens (``"seven"``,
``"forty"``); a numeral may be followed by a unit (``12 cm``, ``45°``, ``30 %``).

Modes:

* ``"lenient"``: the number after an answer phrase (``answer is``, ``answer:``, ``=``) if there is
  one, else the last number in the reply; a reply with no number is ``unscorable``;
* ``"strict"``: the whole reply (trailing full stop allowed) must be one number with an optional
  unit; anything else scores 0.

Units: when the key has a unit and the reply gives a unit of the same dimension, the reply is
converted (``120 cm`` equals ``1.2 m``); a unit of another dimension scores 0; a reply without a
unit is taken to be in the key's unit. Known units are listed in :data:`UNITS`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Literal

from gapeval.errors import GapevalError
from gapeval.scoring.result import Score, scored, unscorable

__all__ = ["NUMBER_VERSION", "UNITS", "read_numbers", "score_number"]

#: Version of this scorer; bumped whenever a score can change.
NUMBER_VERSION = "1"

NumberMode = Literal["lenient", "strict"]

_LENGTH = {"m": 1.0, "cm": 0.01, "mm": 0.001, "km": 1000.0, "in": 0.0254, "ft": 0.3048}
_MASS = {"kg": 1.0, "g": 0.001, "mg": 1e-6, "lb": 0.45359237}
_TIME = {"s": 1.0, "ms": 0.001, "min": 60.0, "h": 3600.0}
_ANGLE = {"deg": 1.0, "rad": 180.0 / math.pi}

#: Canonical unit → (dimension, factor to the dimension's base unit).
UNITS: dict[str, tuple[str, float]] = {
    **{u: ("length", f) for u, f in _LENGTH.items()},
    **{u: ("mass", f) for u, f in _MASS.items()},
    **{u: ("time", f) for u, f in _TIME.items()},
    **{u: ("angle", f) for u, f in _ANGLE.items()},
    "percent": ("percent", 1.0),
}

_ALIASES: dict[str, str] = {
    "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "centimeter": "cm", "centimeters": "cm", "centimetre": "cm", "centimetres": "cm",
    "millimeter": "mm", "millimeters": "mm", "millimetre": "mm", "millimetres": "mm",
    "kilometer": "km", "kilometers": "km", "kilometre": "km", "kilometres": "km",
    "inch": "in", "inches": "in", "foot": "ft", "feet": "ft",
    "kilogram": "kg", "kilograms": "kg", "gram": "g", "grams": "g",
    "milligram": "mg", "milligrams": "mg", "lbs": "lb", "pound": "lb", "pounds": "lb",
    "sec": "s", "second": "s", "seconds": "s", "millisecond": "ms", "milliseconds": "ms",
    "minute": "min", "minutes": "min", "mins": "min", "hour": "h", "hours": "h", "hr": "h",
    "°": "deg", "degree": "deg", "degrees": "deg", "radian": "rad", "radians": "rad",
    "%": "percent", "percentage": "percent", "pct": "percent",
}  # fmt: skip

_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_NUMBER_WORDS: dict[str, float] = {w: float(i) for i, w in enumerate(_WORDS)}
_NUMBER_WORDS.update(
    {w: 10.0 * i for i, w in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), 3)}
)

# "in" is not read after a number in replies ("2 in the box"); write "inch" or "inches".
_UNIT_TOKENS = sorted((set(_ALIASES) | set(UNITS)) - {"in"}, key=len, reverse=True)
_UNIT_RE = "|".join(re.escape(u) for u in _UNIT_TOKENS)
_NUMERAL = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?"
_NUMBER = re.compile(
    rf"(?<![\w.])(?P<num>[-+]?\d+\s*/\s*\d+|{_NUMERAL})(?<=\d)"
    rf"(?:\s*(?P<unit>{_UNIT_RE})(?![A-Za-z]))?"
)
_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_ANSWER = re.compile(r"(?i:\banswer\b\s*(?:is\b)?\s*[:=]?|=)\s*")


def _canonical_unit(unit: str | None) -> str | None:
    if unit is None:
        return None
    lowered = unit.strip()
    lowered = lowered if lowered in ("°", "%") else lowered.lower()
    return _ALIASES.get(lowered, lowered if lowered in UNITS else None)


def _to_float(text: str) -> float | None:
    text = text.replace(",", "").replace(" ", "")
    try:
        if "/" in text:
            num, den = text.split("/")
            return float(num) / float(den) if float(den) != 0 else None
        return float(text)
    except ValueError:
        return None


def read_numbers(text: str | None) -> list[tuple[int, float, str | None]]:
    """Every number in ``text`` as ``(position, value, canonical unit or None)``, in order.

    Examples
    --------
    >>> read_numbers("It is 1,200.5 cm, not three m")
    [(6, 1200.5, 'cm'), (22, 3.0, None)]
    >>> read_numbers("−3/4 and 45°")
    [(0, -0.75, None), (9, 45.0, 'deg')]
    """
    if not isinstance(text, str):
        return []
    text = unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    found: list[tuple[int, float, str | None]] = []
    for match in _NUMBER.finditer(text):
        value = _to_float(match["num"])
        if value is not None and math.isfinite(value):
            found.append((match.start(), value, _canonical_unit(match["unit"])))
    for match in _WORD.finditer(text):
        found.append((match.start(), _NUMBER_WORDS[match[1].lower()], None))
    return sorted(found, key=lambda item: item[0])


def _pick(text: str, numbers: list[tuple[int, float, str | None]]) -> tuple[float, str | None, str]:
    answers = [m.end() for m in _ANSWER.finditer(unicodedata.normalize("NFKC", text))]
    if answers:
        after = [n for n in numbers if n[0] >= answers[-1]]
        if after:
            return after[0][1], after[0][2], "number after the last answer phrase"
    return numbers[-1][1], numbers[-1][2], "last number in the reply"


def score_number(
    response: str | None,
    *,
    target: float,
    abs_tol: float = 0.0,
    rel_tol: float = 1e-9,
    unit: str | None = None,
    mode: NumberMode = "lenient",
) -> Score:
    """Score a numeric reply against ``target`` with a tolerance and an optional unit.

    Parameters
    ----------
    response
        The model's reply text.
    target
        The correct value, in ``unit``.
    abs_tol, rel_tol
        Non-negative tolerances; the reply is correct when
        ``|x − target| ≤ max(abs_tol, rel_tol·|target|)``.
    unit
        The key's unit (any name in :data:`UNITS` or an alias such as ``"meters"``), or ``None``
        to ignore units.
    mode
        ``"lenient"`` or ``"strict"`` (see the module notes).

    Returns
    -------
    Score
        Scorer ``"number"``; ``extracted`` holds the number read, converted to ``unit``.

    Raises
    ------
    GapevalError
        If a tolerance is negative, ``target`` is not finite, ``unit`` is unknown or ``mode`` is
        unknown.

    Examples
    --------
    >>> score_number("The answer is 120 cm", target=1.2, unit="m").value
    1.0
    >>> score_number("about 3.14", target=3.14159, abs_tol=0.01).value
    1.0
    >>> score_number("no idea", target=3).status
    'unscorable'
    """
    if mode not in ("lenient", "strict"):
        raise GapevalError(f"unknown number mode {mode!r}; use 'lenient' or 'strict'")
    if not (abs_tol >= 0 and rel_tol >= 0):
        raise GapevalError(f"tolerances must be >= 0, got abs_tol={abs_tol!r}, rel_tol={rel_tol!r}")
    if not math.isfinite(target):
        raise GapevalError(f"target must be a finite number, got {target!r}")
    key_unit = _canonical_unit(unit)
    if unit is not None and key_unit is None:
        raise GapevalError(f"unknown unit {unit!r}; use one of {sorted(UNITS)} or an alias of them")
    meta = {"scorer": "number", "mode": mode, "version": NUMBER_VERSION}
    text = response if isinstance(response, str) else ""
    numbers = read_numbers(text)
    if mode == "strict":
        bare = unicodedata.normalize("NFKC", text).strip().rstrip(".").strip()
        whole = _NUMBER.fullmatch(bare.replace("\u2212", "-")) or _WORD.fullmatch(bare)
        if whole is None or len(numbers) != 1:
            return scored(0.0, detail="reply is not a single bare number", **meta)
        how = "whole reply"
        value, reply_unit = numbers[0][1], numbers[0][2]
    elif not numbers:
        return unscorable("no number found in the reply", **meta)
    else:
        value, reply_unit, how = _pick(text, numbers)
    if key_unit is not None and reply_unit is not None and reply_unit != key_unit:
        (key_dim, key_factor), (dim, factor) = UNITS[key_unit], UNITS[reply_unit]
        if dim != key_dim:
            return scored(
                0.0,
                detail=f"read {value:g} {reply_unit} ({how}): a {dim}, but the key is a {key_dim}",
                extracted=f"{value:g} {reply_unit}",
                **meta,
            )
        value = value * factor / key_factor
    ok = abs(value - target) <= max(abs_tol, rel_tol * abs(target))
    shown = f"{value:g}" + (f" {key_unit}" if key_unit else "")
    return scored(
        1.0 if ok else 0.0,
        detail=f"read {shown} ({how}); target {target:g}, abs_tol {abs_tol:g}, rel_tol {rel_tol:g}",
        extracted=shown,
        **meta,
    )
