"""Single-answer letter extraction: RealUnify's rule (compat) and a robust reader.

``mode="compat"`` reproduces RealUnify's ``extract_characters_regex`` (``eval_understanding.py``):
strip the reply, delete (case-sensitively, in this order) the phrases "The best answer is",
"The correct answer is", "The answer is", "The answer", "The best option is", "The correct option
is", "Best answer:", "Best option:", "Answer", "Answer is", then take the **first** capital A–D
anywhere in what is left, inside words included. Its defect: "After careful analysis the answer is
B" reads "A" (from "After"). The reply is correct when the extracted string equals the key exactly.
A reply with no capital A–D extracts "" and scores 0.

``mode="robust"`` reads, in order of priority, and stops at the first rule that finds a letter:

1. ``\\boxed{X}`` (last occurrence);
2. an answer phrase: "final answer", then any "answer", followed by optional "is", "would be",
   "should be", ":", "=", optional "option"/"choice" and an optionally bracketed capital letter
   (last occurrence within the first of the two phrase kinds that occurs);
3. a reply that is a lone letter with punctuation around it (``"(B)."``);
4. a reply that starts with a letter label (``"C. the blue one"``, ``"(D) ..."``);
5. the last capital letter among the choices standing alone as a word, where an "A" followed by
   a space and a lower-case word is read as the article, not as a choice.

Markdown emphasis (``*``, ``_``, backticks) is removed and the text NFKC-normalised first. When no
rule finds a letter, the reply is ``unscorable`` (no choice was given), never a silent 0.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

from gapeval.errors import GapevalError
from gapeval.scoring.result import Score, scored, unscorable

__all__ = [
    "CHOICE_VERSION",
    "REALUNIFY_PREFIXES",
    "extract_choice_robust",
    "extract_choice_realunify",
    "score_choice",
]

#: Version of this scorer; bumped whenever a score can change.
CHOICE_VERSION = "1"

ChoiceMode = Literal["compat", "robust"]

#: The phrases RealUnify deletes before searching, in its order.
REALUNIFY_PREFIXES: tuple[str, ...] = (
    "The best answer is",
    "The correct answer is",
    "The answer is",
    "The answer",
    "The best option is",
    "The correct option is",
    "Best answer:",
    "Best option:",
    "Answer",
    "Answer is",
)


def extract_choice_realunify(response: str | None) -> str:
    """RealUnify's letter extraction, reproduced exactly (returns ``""`` when nothing is found).

    Examples
    --------
    >>> extract_choice_realunify("The answer is B")
    'B'
    >>> extract_choice_realunify("After careful analysis the answer is B")
    'A'
    >>> extract_choice_realunify("none of them")
    ''
    """
    if not isinstance(response, str):
        return ""
    text = response.strip()
    for prefix in REALUNIFY_PREFIXES:
        text = text.replace(prefix, "")
    if len(text.split()) > 10 and not re.search("[ABCD]", text):
        return ""
    match = re.search(r"[ABCD]", text)
    return "" if match is None else match[0]


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[*_`]+", "", text)


@lru_cache(maxsize=32)
def _robust_patterns(letters: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    cls = f"[{re.escape(letters)}]"
    verb = r"(?:(?i:is|would\s+be|should\s+be)\b)?"
    tail = rf"\s*{verb}\s*[:=\-]?\s*(?:(?i:option|choice)\s*)?[(\[]?({cls})(?![A-Za-z0-9])"
    return (
        ("boxed", re.compile(rf"\\boxed\s*\{{\s*[(\[]?({cls})[)\]]?\s*\}}")),
        ("final answer phrase", re.compile(rf"(?i:\bfinal\s+answer)\b{tail}")),
        ("answer phrase", re.compile(rf"(?i:\banswer)\b{tail}")),
        ("lone letter", re.compile(rf"^\W*({cls})\W*$")),
        ("leading label", re.compile(rf"^\s*[(\[]?({cls})[)\].:](?:\s|$)")),
        ("last standalone letter", re.compile(rf"(?<![A-Za-z0-9])({cls})(?![A-Za-z0-9])")),
    )


def extract_choice_robust(response: str | None, *, choices: str = "ABCD") -> tuple[str | None, str]:
    """Read the chosen letter with the robust rules; return ``(letter or None, rule used)``.

    Examples
    --------
    >>> extract_choice_robust("After careful analysis the answer is B")
    ('B', 'answer phrase')
    >>> extract_choice_robust("A cat sits on the mat, so C")
    ('C', 'last standalone letter')
    >>> extract_choice_robust("I cannot tell")
    (None, 'no letter found')
    """
    if not isinstance(response, str):
        return None, "no letter found"
    text = _clean(response)
    *phrases, (last_rule, standalone) = _robust_patterns(choices)
    for rule, pattern in phrases:
        matches = pattern.findall(text)
        if matches:
            return matches[-1], rule
    letters = [
        m.group(1)
        for m in standalone.finditer(text)
        if not (m.group(1) == "A" and re.match(r"\s+[a-z]", text[m.end() :]))
    ]
    if letters:
        return letters[-1], last_rule
    return None, "no letter found"


def score_choice(
    response: str | None,
    *,
    key: str,
    mode: ChoiceMode = "compat",
    choices: str = "ABCD",
) -> Score:
    """Score a single-letter multiple-choice reply (RealUnify style): 1 if the letter matches.

    Parameters
    ----------
    response
        The model's reply text.
    key
        The correct letter, e.g. ``"B"``.
    mode
        ``"compat"`` (RealUnify's extraction, exact string comparison with ``key``) or
        ``"robust"`` (see the module notes; ``key`` is stripped and upper-cased).
    choices
        The allowed letters in ``robust`` mode (``compat`` always uses A–D, as the reference).

    Returns
    -------
    Score
        Scorer ``"realunify_choice"``; ``extracted`` holds the letter read (``""`` if none).

    Raises
    ------
    GapevalError
        If ``mode`` is unknown or ``choices`` is not a string of distinct capital letters.

    Examples
    --------
    >>> reply = "After careful analysis the answer is B"
    >>> score_choice(reply, key="B").value, score_choice(reply, key="B", mode="robust").value
    (0.0, 1.0)
    """
    if mode not in ("compat", "robust"):
        raise GapevalError(f"unknown choice mode {mode!r}; use 'compat' or 'robust'")
    if not re.fullmatch(r"[A-Z]+", choices) or len(set(choices)) != len(choices):
        raise GapevalError(
            f"choices must be distinct capital letters such as 'ABCD', got {choices!r}"
        )
    meta = {"scorer": "realunify_choice", "mode": mode, "version": CHOICE_VERSION}
    if mode == "compat":
        letter = extract_choice_realunify(response)
        value = 1.0 if letter == key else 0.0
        return scored(
            value, detail=f"read {letter or 'nothing'!r}, key {key!r}", extracted=letter, **meta
        )
    target = key.strip().upper() if isinstance(key, str) else ""
    if len(target) != 1 or target not in choices:
        return unscorable(
            f"answer key {key!r} is not one of the letters {choices!r}; fix the item's answer spec",
            **meta,
        )
    letter, rule = extract_choice_robust(response, choices=choices)
    if letter is None:
        return unscorable("no choice letter found in the reply", **meta)
    return scored(
        1.0 if letter == target else 0.0,
        detail=f"read {letter!r} by rule '{rule}', key {target!r}",
        extracted=letter,
        **meta,
    )
