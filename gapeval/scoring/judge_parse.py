"""Parsing a judge's raw reply, and aggregating parsed replies into a score (pure functions).

Each parser returns the parsed value or ``None`` when the reply cannot be read; the judge driver
(:mod:`gapeval.scoring.judge`) retries on ``None`` and finally stores the score as unscorable.

* Evaluation points (IMUG-Bench): the reply holds a JSON object
  ``{"evaluation_results": [{"point_id": 1, "score": 4}, ...]}``. ``compat`` reads it as the
  reference does (the text from the first ``{`` to the last ``}``) and keeps the points that carry
  a score; ``strict`` also requires every point id 1..n exactly once with a score in [0, 5].
  The turn score is the mean point score divided by 5, clipped to [0, 1] (the reference does not
  clip, so a judge that answers 7 would give it more than 100%).
* Yes/no polling (RealUnify): ``compat`` lower-cases the reply and reads "yes" if it contains
  the substring "yes" anywhere, else "no" if it contains "no" anywhere; any other non-empty text
  is kept as is (and never equals a key). Substrings inside words count: "No, its eyes are
  closed" reads "yes" (from "eyes"), "I cannot tell" reads "no". ``compat`` compares the reading
  with the key case-sensitively, as the reference does (a key "Yes" never matches). ``robust`` reads a leading
  yes/no word, else the only one of the two words present as a whole word, else nothing.
  An image passes when every answer matches its key.
* Verdict (GapEval): ``VERDICT: 1`` / ``VERDICT: 0`` (last occurrence), or a reply that is only
  ``1`` or ``0``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence

__all__ = [
    "parse_points",
    "parse_verdict",
    "parse_yes_no",
    "points_value",
    "polling_value",
]


def parse_points(
    reply: str | None, *, num_points: int, mode: str = "strict"
) -> tuple[float, ...] | None:
    """Point scores (in point-id order for ``strict``) from an evaluation-points reply.

    Examples
    --------
    >>> parse_points('{"evaluation_results": [{"point_id": 2, "score": 3}, '
    ...              '{"point_id": 1, "score": 5}]}', num_points=2)
    (5.0, 3.0)
    >>> parse_points("I would give it a 4", num_points=1) is None
    True
    """
    if not isinstance(reply, str):
        return None
    match = re.search(r"(\{.*\})", reply, re.DOTALL)
    if match is None:
        return None
    try:
        payload = json.loads(match.group(1))
        results = payload.get("evaluation_results", [])
        rows = [(r.get("point_id"), r.get("score")) for r in results]
    except (ValueError, AttributeError, TypeError, RecursionError):
        return None
    if mode == "compat":
        try:
            scores = tuple(float(score) for point_id, score in rows if score is not None)
        except (TypeError, ValueError):
            return None
        return scores if scores and all(math.isfinite(s) for s in scores) else None
    by_id: dict[int, float] = {}
    for point_id, score in rows:
        if isinstance(point_id, bool) or not isinstance(point_id, int | str):
            return None
        if isinstance(score, bool) or not isinstance(score, int | float):
            return None
        try:
            key = int(point_id)
        except ValueError:
            return None
        if key in by_id or not 0 <= score <= 5:
            return None
        by_id[key] = float(score)
    if sorted(by_id) != list(range(1, num_points + 1)):
        return None
    return tuple(by_id[k] for k in range(1, num_points + 1))


def points_value(scores: Sequence[float]) -> float:
    """IMUG-Bench turn score: mean point score / 5, clipped to [0, 1].

    Examples
    --------
    >>> points_value([5, 4, 3])
    0.8
    """
    return min(1.0, max(0.0, sum(scores) / len(scores) / 5.0))


def parse_yes_no(reply: str | None, *, mode: str = "robust") -> str | None:
    """Read "yes" or "no" from a polling reply (``None`` when unreadable; see module notes).

    Examples
    --------
    >>> parse_yes_no("No, its eyes are closed.", mode="compat"), parse_yes_no("No, its eyes...")
    ('yes', 'no')
    >>> parse_yes_no("I cannot tell.", mode="compat"), parse_yes_no("I cannot tell.")
    ('no', None)
    """
    if not isinstance(reply, str) or reply == "":
        return None
    if mode == "compat":
        text = reply.lower()
        if "yes" in text:
            text = "yes"
        if "no" in text:
            text = "no"
        return text
    text = reply.strip().lower()
    leading = re.match(r"^\W*(yes|no)\b", text)
    if leading:
        return leading.group(1)
    words = set(re.findall(r"\b(yes|no)\b", text))
    return words.pop() if len(words) == 1 else None


def polling_value(
    answers: Sequence[str | None], keys: Sequence[str], *, mode: str = "robust"
) -> float:
    """1.0 when every parsed answer equals its key, else 0.0.

    ``compat`` compares as the reference does, case-sensitively: the parsed answer is lower-case,
    so a key written ``"Yes"`` never matches. ``robust`` compares with the key stripped and
    lower-cased.

    Examples
    --------
    >>> polling_value(["yes", "no"], ["yes", "no"]), polling_value(["yes", "yes"], ["yes", "no"])
    (1.0, 0.0)
    >>> polling_value(["yes"], ["Yes"], mode="compat"), polling_value(["yes"], ["Yes"])
    (0.0, 1.0)
    """
    if mode == "compat":
        matches = (a is not None and a == k for a, k in zip(answers, keys, strict=True))
    else:
        matches = (a is not None and a == k.strip().lower() for a, k in zip(answers, keys, strict=True))
    return 1.0 if all(matches) else 0.0


def parse_verdict(reply: str | None) -> int | None:
    """A 0/1 verdict from ``VERDICT: 1``-style replies (last one wins), or a bare ``0``/``1``.

    Examples
    --------
    >>> parse_verdict("The clock shows 3:15. VERDICT: 1"), parse_verdict(" 0 "), parse_verdict("ok")
    (1, 0, None)
    """
    if not isinstance(reply, str):
        return None
    found = re.findall(r"(?i:verdict)\s*[:=]?\s*\**\s*([01])\b", reply)
    if found:
        return int(found[-1])
    bare = re.fullmatch(r"\W*([01])\W*", reply)
    return int(bare.group(1)) if bare else None
