"""IMUG-Bench multiple-choice scoring (single and multi-answer) with its format weight.

The rule (docs/methods.md §5): with E the letters of the key and P the letters read from the reply,

    score = max(0, (|P ∩ E| − |P ∖ E|) / |E|) · w_fmt

where w_fmt is 1 when the stripped reply is only letters A–G, 0.75 when it is only letters,
whitespace and the separators ``, . ; -``, 0.5 otherwise, and 0 when the reply is empty.

``mode="compat"`` reproduces the reference implementation (IMUG-Bench ``score_mcq.py``) exactly:

* letters are read with the Python regex ``\\b([A-G])\\b`` (Unicode word boundaries), applied to the
  key **and** to the reply. A letter is read only when it stands alone as a word, so a key written
  without separators (``"AC"``) yields no letters and every answer to it scores 0;
* ``w_fmt`` uses ``re.fullmatch`` on the stripped reply with ``[A-G]+`` and ``[A-G\\s,.;\\-]+``;
  an empty (or ``None``) reply has weight 0, a whitespace-only reply weight 0.5;
* the result is rounded to 4 decimals (``round(x, 4)``) and a key with no letters scores 0.0.

``mode="fixed"`` reads letters written together: a word made only of capital letters A–G with no
letter repeated (``"AC"``, ``"BDF"``) counts as those letters, in the key and in the reply. A key
that still yields no letters is ``unscorable`` (a defect of the item, not of the answer), and the
value is not rounded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from typing import Literal

from gapeval.errors import GapevalError
from gapeval.scoring.result import Score, scored, unscorable

__all__ = [
    "IMUG_MCQ_VERSION",
    "compat_letters",
    "imug_dynamic_key",
    "read_determined_answer",
    "fixed_letters",
    "format_weight",
    "score_imug_mcq",
]

#: Version of this scorer; bumped whenever a score can change.
IMUG_MCQ_VERSION = "1"

McqMode = Literal["compat", "fixed"]

_STANDALONE_LETTER = re.compile(r"\b([A-G])\b")
_LETTER_WORD = re.compile(r"\b([A-G]{1,7})\b")
_ONLY_LETTERS = re.compile(r"[A-G]+")
_LETTERS_AND_SEPARATORS = re.compile(r"[A-G\s,.;\-]+")
_ANY_LETTER = re.compile(r"[A-G]")
_JSON_OBJECT = re.compile(r"(\{.*\})", re.DOTALL)


def compat_letters(text: str | None) -> frozenset[str]:
    """Letters A–G standing alone as words, as the IMUG-Bench reference reads them.

    Examples
    --------
    >>> sorted(compat_letters("A, B, C"))
    ['A', 'B', 'C']
    >>> sorted(compat_letters("AC"))
    []
    >>> sorted(compat_letters("The answer is A"))
    ['A']
    """
    if not text or not isinstance(text, str):
        return frozenset()
    return frozenset(_STANDALONE_LETTER.findall(text))


def fixed_letters(text: str | None) -> frozenset[str]:
    """Letters A–G standing alone, plus letters of words made only of distinct letters A–G.

    Words with a repeated letter (``"ADD"``, ``"BEE"``) are English words, not answers, and are
    ignored; all-capital words of distinct letters A–G (``"BAD"``, ``"FACE"``) are read as letters.

    Examples
    --------
    >>> sorted(fixed_letters("AC"))
    ['A', 'C']
    >>> sorted(fixed_letters("answer: BD, not ADD"))
    ['B', 'D']
    """
    if not text or not isinstance(text, str):
        return frozenset()
    letters: set[str] = set()
    for word in _LETTER_WORD.findall(text):
        if len(set(word)) == len(word):
            letters.update(word)
    return frozenset(letters)


def format_weight(response: str | None) -> float:
    """IMUG-Bench's format weight w_fmt of a reply (identical in both modes).

    Examples
    --------
    >>> [format_weight(reply) for reply in ("AC", "A.", "The answer is A", "")]
    [1.0, 0.75, 0.5, 0.0]
    """
    if not response or not isinstance(response, str):
        return 0.0
    stripped = response.strip()
    if _ONLY_LETTERS.fullmatch(stripped):
        return 1.0
    if _LETTERS_AND_SEPARATORS.fullmatch(stripped):
        return 0.75
    return 0.5


def _joined(letters: frozenset[str]) -> str:
    return ",".join(sorted(letters))


def score_imug_mcq(response: str | None, *, key: str, mode: McqMode = "compat") -> Score:
    """Score a multiple-choice reply with IMUG-Bench's rule.

    Parameters
    ----------
    response
        The model's reply text (any string; ``None`` counts as empty).
    key
        The answer key, e.g. ``"B"`` or ``"A,C"`` (``"AC"`` is read only in ``fixed`` mode).
    mode
        ``"compat"`` reproduces the reference exactly; ``"fixed"`` also reads letters written
        together and reports keys without letters as unscorable.

    Returns
    -------
    Score
        Scorer ``"imug_mcq"``; ``extracted`` holds the letters read from the reply.

    Raises
    ------
    GapevalError
        If ``mode`` is not ``"compat"`` or ``"fixed"``.

    Examples
    --------
    >>> score_imug_mcq("A.", key="A").value
    0.75
    >>> score_imug_mcq("A, B, C", key="A,C").value
    0.375
    >>> score_imug_mcq("AC", key="AC").value, score_imug_mcq("AC", key="AC", mode="fixed").value
    (0.0, 1.0)
    """
    if mode not in ("compat", "fixed"):
        raise GapevalError(f"unknown IMUG-Bench MCQ mode {mode!r}; use 'compat' or 'fixed'")
    reader = compat_letters if mode == "compat" else fixed_letters
    expected = reader(key)
    predicted = reader(response)
    weight = format_weight(response)
    meta = {"scorer": "imug_mcq", "mode": mode, "version": IMUG_MCQ_VERSION}
    if not expected:
        if mode == "fixed":
            return unscorable(
                f"answer key {key!r} contains no letters A-G; fix the item's answer spec", **meta
            )
        return scored(
            0.0,
            detail=(
                f"answer key {key!r} yields no standalone letter under the reference regex, "
                "so the reference scores 0 (mode='fixed' reads it)"
            ),
            extracted=_joined(predicted),
            **meta,
        )
    correct = len(predicted & expected)
    incorrect = len(predicted - expected)
    value = max(0.0, (correct - incorrect) / len(expected)) * weight
    if mode == "compat":
        value = round(value, 4)
    return scored(
        value,
        detail=(
            f"expected {_joined(expected)}, read {_joined(predicted) or 'nothing'}: "
            f"{correct} correct, {incorrect} incorrect, format weight {weight}"
        ),
        extracted=_joined(predicted),
        **meta,
    )


def read_determined_answer(reply: str | None) -> str | None:
    """The ``determined_answer`` of a dynamic-key judge reply, read as IMUG-Bench reads it.

    The reference takes the text from the first ``{`` to the last ``}``, parses it as JSON and
    returns ``str(payload.get("determined_answer", "")).upper()``. A reply without such an object
    (or with invalid JSON) gives ``None``: the reference fails on it and leaves the turn unscored.

    Examples
    --------
    >>> read_determined_answer('Sure: {"determined_answer": "bc", "reasoning": "..."}')
    'BC'
    >>> read_determined_answer('{"reasoning": "none fit"}'), read_determined_answer("B") is None
    ('', True)
    """
    if not isinstance(reply, str):
        return None
    match = _JSON_OBJECT.search(reply)
    if match is None:
        return None
    try:
        payload = json.loads(match.group(1))
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    return str(payload.get("determined_answer", "")).upper()


def imug_dynamic_key(
    determined: str, *, fixed: Sequence[str] = (), mode: McqMode = "compat",
    allowed: Collection[str] | None = None,
) -> str:
    """The answer key of a dynamic multiple-choice turn: fixed letters plus the judge's letters.

    ``compat`` builds it as IMUG-Bench stores it: every capital A–G in ``determined`` (anywhere,
    so ``"NONE"`` gives ``E``), united with ``fixed`` and **joined without a separator**
    (``"AC"``). The reference's own letter regex reads no letter from a joined key, so every
    dynamic turn whose key has two or more letters scores 0 there, whatever the reply; scoring
    the key with :func:`score_imug_mcq` in ``compat`` mode reproduces that. ``fixed`` reads
    ``determined`` with :func:`fixed_letters` (restricted to ``allowed`` when given) and joins
    the key with commas, so it is scored as meant.

    Examples
    --------
    >>> imug_dynamic_key("C", fixed=("A",)), imug_dynamic_key("C", fixed=("A",), mode="fixed")
    ('AC', 'A,C')
    >>> score_imug_mcq("A, C", key=imug_dynamic_key("C", fixed=("A",))).value
    0.0
    >>> score_imug_mcq("A, C", key=imug_dynamic_key("C", fixed=("A",), mode="fixed"), mode="fixed").value
    0.75
    """
    if mode == "compat":
        letters = set(_ANY_LETTER.findall("".join(fixed))) | set(_ANY_LETTER.findall(determined.upper()))
        return "".join(sorted(letters))
    read = fixed_letters(determined)
    if allowed is not None:
        read = read & frozenset(allowed)
    return ",".join(sorted(read | set(fixed)))
