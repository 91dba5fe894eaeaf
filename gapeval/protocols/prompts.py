"""The instructions protocol steps add to a request, and how the model's verdicts are read.

The texts are part of a protocol's definition: changing one changes what the model is asked, so
:data:`PROMPTS_VERSION` goes into every run's manifest.

Examples
--------
>>> parse_verdict("YES - the clock shows 3:15")
True
>>> parse_verdict("No. The circle should be red.")
False
>>> parse_verdict("I am not sure") is None
True
>>> parse_rating("Rating: 7/10")
7.0
>>> parse_rating("excellent") is None
True
"""

from __future__ import annotations

import re

__all__ = [
    "COT_FINAL_IMAGE",
    "COT_FINAL_TEXT",
    "COT_THINK_IMAGE",
    "COT_THINK_TEXT",
    "PROMPTS_VERSION",
    "RATE",
    "RETRY",
    "REWRITE",
    "REWRITE_DRAW",
    "SKETCH",
    "SKETCH_ANSWER",
    "VERIFY",
    "parse_rating",
    "parse_verdict",
]

#: Bumped whenever a text below changes.
PROMPTS_VERSION = "1"

COT_THINK_TEXT = (
    "Before answering, think it through step by step and write out your reasoning. "
    "Do not give the final answer yet."
)
COT_THINK_IMAGE = (
    "Before drawing, think step by step about what the image must show (objects, counts, colours, "
    "positions) and write it out. Do not draw yet."
)
COT_FINAL_TEXT = "Now give only your final answer, in the form the question asks for."
COT_FINAL_IMAGE = "Now draw the image, following your reasoning."
REWRITE = (
    "Before drawing, rewrite this request as an explicit, self-contained description of the image "
    "to draw, with any knowledge it needs (facts, counts, colours, positions). Reply with the "
    "description only; do not draw yet."
)
REWRITE_DRAW = "Draw this: {rewrite}"
SKETCH = (
    "Before answering, draw an image that helps you answer this question (the scene, a diagram or "
    "a sketch of the situation). Do not answer yet."
)
SKETCH_ANSWER = "Now answer the question, using the image you drew."
VERIFY = (
    "Check your answer above against the request. Is it correct and complete? Reply YES or NO on "
    "the first line, then one sentence saying why."
)
RETRY = "You judged that answer incorrect. Give a corrected answer to the request."
RATE = (
    "Rate how well your answer above fulfils the request, from 0 (wrong) to 10 (fully correct). "
    "Reply with the number only."
)

_VERDICT = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)")


def parse_verdict(text: str | None) -> bool | None:
    """The model's own verdict: ``True`` for an answer starting YES, ``False`` for NO, else ``None``.

    The self-verification protocol treats ``None`` (no readable verdict) like NO: the model did not
    affirm its answer.
    """
    match = _VERDICT.match(text or "")
    return None if match is None else match.group(1).lower() == "yes"


def parse_rating(text: str | None) -> float | None:
    """The first number of ``text``, clipped to [0, 10]; ``None`` when there is none."""
    match = _NUMBER.search(text or "")
    return None if match is None else min(10.0, max(0.0, float(match.group(1))))
