"""Judge protocols: score an image by asking a judge model questions about it.

A judge is any callable ``JudgeFn(parts) -> str`` that answers a prompt made of text strings and
:class:`JudgeImage` images with raw text (an adapter will provide one; see ``docs/scoring.md``).
Three protocols:

* :func:`judge_points` (IMUG-Bench): evaluation points scored 0–5; score = mean / 5;
* :func:`judge_polling` (RealUnify): yes/no questions with keys; the image passes only if all
  match;
* :func:`judge_verdict` (GapEval): a single 0/1 verdict against a rubric.

Prompts are versioned :class:`PromptTemplate` objects whose hash is stored with every call.
Exceptions raised by the judge itself (an adapter error) propagate: retrying failed calls,
back-off and time-outs belong to the runner.
A reply that cannot be parsed is asked again under a :class:`RetryPolicy` (data, not code);
after the last attempt the score is ``unscorable``. An optional cache (any mutable mapping) keyed
by (judge fingerprint, template hash, image hashes, question) returns the stored raw reply without
calling the judge again.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from gapeval.errors import GapevalError
from gapeval.scoring.judge_parse import (
    parse_points,
    parse_verdict,
    parse_yes_no,
    points_value,
    polling_value,
)
from gapeval.scoring.result import Score, scored, unscorable

__all__ = [
    "GAPEVAL_VERDICT",
    "IMUG_POINTS",
    "JUDGE_VERSION",
    "REALUNIFY_POLLING",
    "ImageLike",
    "JudgeImage",
    "JudgeCall",
    "JudgeFn",
    "Judgement",
    "PromptTemplate",
    "RetryPolicy",
    "ask",
    "judge_points",
    "judge_polling",
    "judge_verdict",
]

#: Version of the judge protocols; bumped whenever a score can change for the same replies.
JUDGE_VERSION = "2"


@dataclass(frozen=True)
class JudgeImage:
    """An encoded image in a judge prompt (PNG or JPEG bytes)."""

    data: bytes
    """The encoded image file."""
    media_type: str = "image/png"
    """MIME type of ``data``."""

    @property
    def sha256(self) -> str:
        """Content hash of the encoded bytes (used in cache keys)."""
        return hashlib.sha256(self.data).hexdigest()


@runtime_checkable
class ImageLike(Protocol):
    """Any image record with a content hash: :class:`JudgeImage` or ``gapeval.records.ImagePart``."""

    @property
    def sha256(self) -> str: ...


PromptPart = str | ImageLike
#: A judge: prompt parts (text and images) in, raw reply text out. Adapters are wrapped into it.
JudgeFn = Callable[[Sequence[PromptPart]], str]


@dataclass(frozen=True)
class PromptTemplate:
    """A versioned prompt: ``str.format`` text with named fields, plus a reminder for retries.

    Examples
    --------
    >>> t = PromptTemplate("demo", "1", "Is there a {thing}?", "Reply yes or no.")
    >>> t.render(thing="cat"), t.fields, len(t.hash)
    ('Is there a cat?', ('thing',), 64)
    """

    name: str
    """Template name, e.g. ``"realunify-polling"``."""
    version: str
    """Template version; change it whenever ``text`` or ``reminder`` changes."""
    text: str
    """The prompt, with ``{field}`` placeholders."""
    reminder: str
    """Text appended to the prompt on retries after an unreadable reply."""

    @property
    def hash(self) -> str:
        """SHA-256 of name, version, text and reminder: stored with every judged call."""
        payload = "\0".join((self.name, self.version, self.text, self.reminder))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def fields(self) -> tuple[str, ...]:
        """The placeholder names in ``text``, in order of first appearance."""
        names = (name for _, name, _, _ in string.Formatter().parse(self.text) if name)
        return tuple(dict.fromkeys(names))

    def render(self, **values: str) -> str:
        """Fill the placeholders; every field must be given and no other."""
        if set(values) != set(self.fields):
            raise GapevalError(
                f"template {self.name!r} v{self.version} needs fields {list(self.fields)}, "
                f"got {sorted(values)}"
            )
        return self.text.format(**values)


@dataclass(frozen=True)
class RetryPolicy:
    """How to re-ask a judge whose reply could not be parsed.

    ``max_attempts`` counts every call (1 = no retry); with ``remind`` the template's reminder
    is appended to the prompt on the second and later attempts.
    """

    max_attempts: int = 3
    """Calls per question at most, the first included."""
    remind: bool = True
    """Append the template's reminder on retries."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise GapevalError(f"max_attempts must be >= 1, got {self.max_attempts}")


@dataclass(frozen=True)
class JudgeCall:
    """One question put to the judge: what was asked, every raw reply, and what was parsed."""

    question: str
    """The rendered prompt text."""
    template_hash: str
    """:attr:`PromptTemplate.hash` of the template used."""
    replies: tuple[str, ...]
    """Raw replies, one per attempt (the cached reply on a cache hit)."""
    parsed: Any
    """The parsed result, or ``None`` when no reply could be parsed."""
    cache_hit: bool = False
    """True when the reply came from the cache and the judge was not called."""

    def evidence(self) -> dict[str, Any]:
        """The call as JSON-ready data: template hash, raw replies, parsed result, cache hit."""
        parsed = self.parsed if isinstance(self.parsed, (str, int, float, bool, type(None))) else repr(self.parsed)
        return {"template_hash": self.template_hash, "replies": list(self.replies), "parsed": parsed,
                "cache_hit": self.cache_hit}


@dataclass(frozen=True)
class Judgement:
    """The score of an image under a judge protocol, with the calls that produced it."""

    score: Score
    calls: tuple[JudgeCall, ...] = field(default_factory=tuple)

    def scored_with_evidence(self) -> Score:
        """:attr:`score` carrying the calls (template hash, raw replies, parsed result), so the
        evidence of a judged score is stored with it."""
        return self.score.model_copy(update={"judge_calls": tuple(call.evidence() for call in self.calls)})


IMUG_POINTS = PromptTemplate(
    name="imug-points",
    version="1",
    text=(
        "The last image was generated for the instruction below. Score how well it satisfies "
        "each evaluation point, from 0 (not at all) to 5 (fully).\n\n"
        "[Task Instruction Recap]:\n{instruction}\n\n[Evaluation Points List]:\n{points}\n\n"
        'Please output JSON results: {{"evaluation_results": [{{"point_id": 1, "score": 5}}]}}'
    ),
    reminder="Reply with the JSON object only, one entry per point with an integer score 0-5.",
)

REALUNIFY_POLLING = PromptTemplate(
    name="realunify-polling",
    version="1",
    text=(
        "Please answer the following question based on the image:\nQuestion: {question}\n\n"
        "You should only reply yes or no, and do not provide any other extra content."
    ),
    reminder="Reply with the single word yes or no.",
)

GAPEVAL_VERDICT = PromptTemplate(
    name="gapeval-verdict",
    version="1",
    text=(
        "Question: {question}\nRubric: {rubric}\n\nDoes the image answer the question correctly "
        "according to the rubric? End your reply with one line: VERDICT: 1 (correct) or "
        "VERDICT: 0 (incorrect)."
    ),
    reminder="Reply with exactly one line: VERDICT: 1 or VERDICT: 0.",
)


def cache_key(
    fingerprint: str, template_hash: str, images: Sequence[ImageLike], question: str
) -> str:
    """The cache key of one question: SHA-256 of fingerprint, template hash, images, question."""
    payload = json.dumps([fingerprint, template_hash, [i.sha256 for i in images], question])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def ask(
    judge: JudgeFn,
    images: Sequence[ImageLike],
    question: str,
    *,
    template: PromptTemplate,
    parse: Callable[[str], Any],
    policy: RetryPolicy = RetryPolicy(),
    cache: MutableMapping[str, str] | None = None,
    fingerprint: str = "",
) -> JudgeCall:
    """Ask one question about ``images``; retry unreadable replies; use and fill the cache.

    Only replies that parse are cached, so an unreadable reply is asked again next time.
    """
    key = cache_key(fingerprint, template.hash, images, question)
    if cache is not None and key in cache:
        reply = cache[key]
        return JudgeCall(question, template.hash, (reply,), parse(reply), cache_hit=True)
    replies: list[str] = []
    for attempt in range(policy.max_attempts):
        remind = attempt > 0 and policy.remind
        text = f"{question}\n\n{template.reminder}" if remind else question
        reply = judge([*images, text])
        reply = reply if isinstance(reply, str) else ""
        replies.append(reply)
        parsed = parse(reply)
        if parsed is not None:
            if cache is not None:
                cache[key] = reply
            return JudgeCall(question, template.hash, tuple(replies), parsed)
    return JudgeCall(question, template.hash, tuple(replies), None)


def _meta(protocol: str, mode: str) -> dict[str, str]:
    return {"scorer": protocol, "mode": mode, "version": JUDGE_VERSION}


def _unreadable(call: JudgeCall, template: PromptTemplate) -> str:
    return (
        f"judge reply could not be parsed after {len(call.replies)} attempt(s) "
        f"(template {template.name} v{template.version})"
    )


def judge_points(
    judge: JudgeFn,
    images: Sequence[ImageLike],
    *,
    instruction: str,
    points: Sequence[str],
    mode: str = "strict",
    template: PromptTemplate = IMUG_POINTS,
    policy: RetryPolicy = RetryPolicy(),
    cache: MutableMapping[str, str] | None = None,
    fingerprint: str = "",
) -> Judgement:
    """IMUG-Bench protocol: the judge scores every evaluation point 0–5; score = mean / 5.

    ``mode`` is the reply parser's (``"compat"`` or ``"strict"``, see
    :func:`~gapeval.scoring.judge_parse.parse_points`). The reference makes one call and no
    retry: pass ``policy=RetryPolicy(max_attempts=1)`` to match it.

    Examples
    --------
    >>> judge = lambda parts: '{"evaluation_results": [{"point_id": 1, "score": 4}]}'
    >>> judge_points(judge, [], instruction="Draw a cat", points=["a cat"]).score.value
    0.8
    """
    if mode not in ("compat", "strict"):
        raise GapevalError(f"unknown points mode {mode!r}; use 'compat' or 'strict'")
    if not points:
        raise GapevalError("points is empty; give at least one evaluation point")
    listing = "\n".join(f"{i}. {point}" for i, point in enumerate(points, 1))
    question = template.render(instruction=instruction, points=listing)
    call = ask(
        judge,
        images,
        question,
        template=template,
        parse=lambda reply: parse_points(reply, num_points=len(points), mode=mode),
        policy=policy,
        cache=cache,
        fingerprint=fingerprint,
    )
    meta = _meta("judge_points", mode)
    if call.parsed is None:
        return Judgement(unscorable(_unreadable(call, template), **meta), (call,))
    value = points_value(call.parsed)
    detail = f"point scores {list(call.parsed)}; template {template.hash[:12]}"
    return Judgement(scored(value, detail=detail, **meta), (call,))


def judge_polling(
    judge: JudgeFn,
    images: Sequence[ImageLike],
    *,
    questions: Sequence[tuple[str, str]],
    mode: str = "compat",
    template: PromptTemplate = REALUNIFY_POLLING,
    policy: RetryPolicy | None = None,
    cache: MutableMapping[str, str] | None = None,
    fingerprint: str = "",
) -> Judgement:
    """RealUnify protocol: yes/no questions with keys; the image passes only if every one matches.

    Questions are asked in order and asking stops at the first mismatch, as in the reference.
    The default policy is the reference's (15 attempts, re-asked only on an empty reply, no
    reminder) in ``compat`` mode and ``RetryPolicy()`` in ``robust`` mode. When no reply can be
    read, ``compat`` scores 0 (as the reference does) and ``robust`` returns ``unscorable``.

    Examples
    --------
    >>> judge = lambda parts: "Yes."
    >>> judge_polling(judge, [], questions=[("Is there a cat?", "yes")]).score.value
    1.0
    """
    if mode not in ("compat", "robust"):
        raise GapevalError(f"unknown polling mode {mode!r}; use 'compat' or 'robust'")
    if not questions:
        raise GapevalError("questions is empty; give at least one (question, key) pair")
    if policy is None:
        policy = RetryPolicy(15, remind=False) if mode == "compat" else RetryPolicy()
    meta = _meta("judge_polling", mode)
    bad = [key for _, key in questions if key.strip().lower() not in ("yes", "no")]
    if bad:
        reason = f"polling keys {bad} are not yes/no; fix the answer spec"
        return Judgement(unscorable(reason, **meta))
    calls: list[JudgeCall] = []
    for text, key in questions:
        call = ask(
            judge,
            images,
            template.render(question=text),
            template=template,
            parse=lambda reply: parse_yes_no(reply, mode=mode),
            policy=policy,
            cache=cache,
            fingerprint=fingerprint,
        )
        calls.append(call)
        if call.parsed is None and mode == "compat":
            replies = len(call.replies)
            detail = f"question {len(calls)}: {replies} empty replies; the reference scores 0"
            return Judgement(scored(0.0, detail=detail, **meta), tuple(calls))
        if call.parsed is None:
            return Judgement(unscorable(_unreadable(call, template), **meta), tuple(calls))
        if polling_value([call.parsed], [key], mode=mode) == 0.0:
            detail = f"question {len(calls)} of {len(questions)}: read {call.parsed!r}, key {key!r}"
            return Judgement(scored(0.0, detail=detail, **meta), tuple(calls))
    detail = f"all {len(questions)} answers match; template {template.hash[:12]}"
    return Judgement(scored(1.0, detail=detail, **meta), tuple(calls))


def judge_verdict(
    judge: JudgeFn,
    images: Sequence[ImageLike],
    *,
    question: str,
    rubric: str,
    template: PromptTemplate = GAPEVAL_VERDICT,
    policy: RetryPolicy = RetryPolicy(),
    cache: MutableMapping[str, str] | None = None,
    fingerprint: str = "",
) -> Judgement:
    """GapEval protocol: one 0/1 verdict on whether the image answers ``question`` per ``rubric``.

    Examples
    --------
    >>> judge = lambda parts: "The hands show 3:00. VERDICT: 1"
    >>> judge_verdict(judge, [], question="Draw 3 o'clock", rubric="hour hand on 3").score.value
    1.0
    """
    call = ask(
        judge,
        images,
        template.render(question=question, rubric=rubric),
        template=template,
        parse=parse_verdict,
        policy=policy,
        cache=cache,
        fingerprint=fingerprint,
    )
    meta = _meta("judge_verdict", "rubric")
    if call.parsed is None:
        return Judgement(unscorable(_unreadable(call, template), **meta), (call,))
    detail = f"verdict {call.parsed}; template {template.hash[:12]}"
    return Judgement(scored(float(call.parsed), detail=detail, **meta), (call,))
