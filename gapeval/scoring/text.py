"""Short free-text answers: exact or normalised match against a list of aliases.

Normalisation (:func:`normalize_text`), in order: Unicode NFKC, case folding, every Unicode
punctuation or symbol character replaced by a space, the English articles "a", "an", "the" removed
as whole words, whitespace collapsed. So ``"The Eiffel-Tower!"`` and ``"eiffel tower"`` are equal.

Modes:

* ``"exact"``: the stripped reply equals an alias exactly (stripped);
* ``"normalized"``: the normalised reply equals a normalised alias;
* ``"contains"``: a normalised alias occurs in the normalised reply as a run of whole words
  (``"it is a red square"`` contains ``"red square"`` but not ``"red squares"``).

Aliases that normalise to nothing (``"the"``, ``"!"``) are ignored in the normalising modes; when no
alias is left the score is ``unscorable`` (a defect of the answer key).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

from gapeval.errors import GapevalError
from gapeval.scoring.result import Score, scored, unscorable

__all__ = ["TEXT_VERSION", "normalize_text", "score_text"]

#: Version of this scorer; bumped whenever a score can change.
TEXT_VERSION = "1"

TextMode = Literal["exact", "normalized", "contains"]

_ARTICLES = re.compile(r"\b(?:a|an|the)\b")


def normalize_text(text: str | None) -> str:
    """Normalise a short answer for comparison (see the module notes).

    Examples
    --------
    >>> normalize_text("  The Eiffel-Tower! ")
    'eiffel tower'
    >>> normalize_text("Ｃａｆé")
    'café'
    """
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def score_text(
    response: str | None,
    *,
    answers: str | Sequence[str],
    mode: TextMode = "normalized",
) -> Score:
    """Score a short text reply: 1 if it matches any alias under ``mode``, else 0.

    Parameters
    ----------
    response
        The model's reply text.
    answers
        The correct answer, or a sequence of accepted aliases.
    mode
        ``"exact"``, ``"normalized"`` (default) or ``"contains"``.

    Returns
    -------
    Score
        Scorer ``"text"``; ``extracted`` holds the first 200 characters of the reply as compared
        (normalised unless ``mode="exact"``).

    Raises
    ------
    GapevalError
        If ``mode`` is unknown or ``answers`` is empty or holds a non-string.

    Examples
    --------
    >>> score_text("The Eiffel Tower.", answers=["Eiffel Tower", "Tour Eiffel"]).value
    1.0
    >>> score_text("It is a red square", answers="red square", mode="contains").value
    1.0
    >>> score_text("red square", answers="Red square", mode="exact").value
    0.0
    """
    if mode not in ("exact", "normalized", "contains"):
        raise GapevalError(f"unknown text mode {mode!r}; use 'exact', 'normalized' or 'contains'")
    aliases = [answers] if isinstance(answers, str) else list(answers)
    if not aliases or not all(isinstance(a, str) for a in aliases):
        raise GapevalError(
            f"answers must be a string or a non-empty sequence of strings, got {answers!r}"
        )
    meta = {"scorer": "text", "mode": mode, "version": TEXT_VERSION}
    text = response if isinstance(response, str) else ""
    if mode == "exact":
        reply = text.strip()
        hit = next((a for a in aliases if a.strip() == reply), None)
    else:
        reply = normalize_text(text)
        keys = [k for k in (normalize_text(a) for a in aliases) if k]
        if not keys:
            return unscorable(
                f"every answer alias {aliases!r} is empty after normalisation; fix the answer spec",
                **meta,
            )
        if mode == "normalized":
            hit = next((k for k in keys if k == reply), None)
        else:
            hit = next((k for k in keys if f" {k} " in f" {reply} "), None)
    detail = f"matched alias {hit!r}" if hit is not None else "no alias matched"
    return scored(1.0 if hit is not None else 0.0, detail=detail, extracted=reply[:200], **meta)
