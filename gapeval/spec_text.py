"""The command-line spec syntax shared by model and protocol specs: ``HEAD[:key=value,...]``.

Values are read as JSON when they parse (numbers, ``true``/``false``, ``null``, quoted strings) and
kept as text otherwise.

Examples
--------
>>> split_spec("best-of-n:n=4,picker=self", example="best-of-n:n=4")
('best-of-n', {'n': 4, 'picker': 'self'})
>>> split_spec("simulated:theta", example="simulated:theta_understanding=1.0")
Traceback (most recent call last):
    ...
ValueError: option 'theta' has no value; write key=value pairs separated by commas, e.g. \
simulated:theta_understanding=1.0
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["split_spec", "spec_value"]


def spec_value(text: str) -> Any:
    """``text`` read as JSON when it parses, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def split_spec(text: str, *, example: str) -> tuple[str, dict[str, Any]]:
    """Split ``HEAD[:key=value,...]`` into the head and its options.

    Raises
    ------
    ValueError
        If an option has no ``=`` or no key, or is given twice; the message shows ``example``. Callers re-raise it
        with the spec named.
    """
    head, _, rest = text.strip().partition(":")
    options: dict[str, Any] = {}
    for piece in filter(None, (p.strip() for p in rest.split(","))):
        key, equals, value = piece.partition("=")
        if not equals or not key.strip():
            raise ValueError(
                f"option {piece!r} has no value; write key=value pairs separated by commas, e.g. {example}"
            )
        if key.strip() in options:
            raise ValueError(f"option {key.strip()!r} is given twice; give each option once, e.g. {example}")
        options[key.strip()] = spec_value(value.strip())
    return head.strip(), options
