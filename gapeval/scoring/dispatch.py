"""Score one answer with the rule its answer spec calls for.

:func:`score_answer` takes a static answer spec of the bank (``McqAnswer``, ``NumberAnswer``,
``TextAnswer``, ``PointsAnswer``, ``VerifierAnswer``, ``JudgedMcqAnswer``; dynamic keys must be
resolved first with :func:`gapeval.bank.resolve_answer`) and the model's output part, and returns a
:class:`~gapeval.scoring.result.Score`:

=============  ================  ==================================================================
spec kind      output            scorer
=============  ================  ==================================================================
``mcq``        text              ``imug_mcq`` in ``mcq_mode``; with ``mcq_rule="realunify"``
                                 ``realunify_choice`` (``compat``, or ``robust`` for ``fixed``)
``number``     text              ``number`` (``abs_tol`` = the spec's tolerance) in ``number_mode``
``text``       text              ``text`` (value and aliases) in ``text_mode``
``verifier``   image             ``verifier:NAME``; when the verifier says unscorable and a judge
                                 is given, ``judge_points`` on the spec's ``points``
``points``     image or text     ``judge_points`` (needs a judge); points written
                                 ``"question (expected: yes|no)"`` use ``judge_polling``
``judged_mcq`` text              ``judged_mcq``: the judge reads the key from the source turns'
                                 images, then ``imug_mcq`` scores the reply against it
=============  ================  ==================================================================

Decisions, so that no error is ever scored as a silent 0:

* **Wrong output kind.** An image answer to a text spec, or a text answer to a ``verifier`` spec,
  scores **0** (scorer ``output_kind``): the request asked for the other kind, and a model that
  cannot produce it must answer ``unsupported``, which is never scored. An ``ok`` answer of the
  wrong kind is a failed answer, not a missing one.
* **No output** (``None``: refused, unsupported) is ``unscorable``; the run scorer does not even
  ask (it scores only ``ok`` answers).
* **No judge** where one is needed (``points``, ``judged_mcq``, an unreadable image for a
  verifier): ``unscorable`` with a detail saying to pass a judge.
* A judge that fails (:class:`~gapeval.scoring.judge_adapter.JudgeError`) gives ``unscorable``;
  a reply that cannot be parsed is retried (``judge_attempts``), then ``unscorable``.

Judge modes map onto the protocols' parsers: ``judge_mode="compat"`` uses ``judge_points`` mode
``compat`` and ``judge_polling`` mode ``compat`` (RealUnify's substring reading);
``"fixed"`` uses ``strict`` and ``robust``.

Examples
--------
>>> from gapeval.bank import McqAnswer, NumberAnswer
>>> from gapeval.records import TextPart
>>> spec = McqAnswer(options=("red", "blue", "green"), correct=("A", "C"))
>>> s = score_answer(spec, TextPart(text="AC"))
>>> s.value, s.scorer, s.mode
(1.0, 'imug_mcq', 'fixed')
>>> score_answer(spec, TextPart(text="AC"), mcq_mode="compat").value
0.0
>>> score_answer(NumberAnswer(value=3), TextPart(text="three")).value
1.0
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from gapeval.errors import GapevalError
from gapeval.records import ImagePart, TextPart
from gapeval.scoring.choice import CHOICE_VERSION, score_choice
from gapeval.scoring.judge import (
    IMUG_POINTS,
    JUDGE_VERSION,
    ImageLike,
    JudgeFn,
    PromptTemplate,
    RetryPolicy,
    ask,
    judge_points,
    judge_polling,
)
from gapeval.scoring.judge_adapter import JudgeError
from gapeval.scoring.mcq import (
    IMUG_MCQ_VERSION, fixed_letters, imug_dynamic_key, read_determined_answer, score_imug_mcq,
)
from gapeval.scoring.numbers import score_number
from gapeval.scoring.result import Score, scored, unscorable
from gapeval.scoring.text import score_text

if TYPE_CHECKING:
    from gapeval.bank.schema import (
        JudgedMcqAnswer, McqAnswer, NumberAnswer, PointsAnswer, TextAnswer, VerifierAnswer,
    )  # fmt: skip

    StaticSpec = McqAnswer | NumberAnswer | TextAnswer | PointsAnswer | VerifierAnswer | JudgedMcqAnswer

__all__ = [
    "DISPATCH_VERSION",
    "JUDGED_MCQ_KEY",
    "TEXT_POINTS",
    "check_modes",
    "score_answer",
]

#: Version of the dispatcher's own rules (wrong output kind, missing judge).
DISPATCH_VERSION = "1"

McqMode = Literal["compat", "fixed"]
McqRule = Literal["imug", "realunify"]
JudgeMode = Literal["compat", "fixed"]

_MODES: dict[str, tuple[str, ...]] = {
    "mcq_mode": ("compat", "fixed"),
    "mcq_rule": ("imug", "realunify"),
    "text_mode": ("exact", "normalized", "contains"),
    "number_mode": ("lenient", "strict"),
    "judge_mode": ("compat", "fixed"),
}
_TEXT_KINDS = ("mcq", "number", "text", "judged_mcq")
#: A RealUnify polling question as the importer writes it into evaluation points.
_POLLING_POINT = re.compile(r"^(?P<question>.+?)\s*\(expected:\s*(?P<key>yes|no)\)\s*$", re.I | re.S)

TEXT_POINTS = PromptTemplate(
    name="gapeval-text-points",
    version="1",
    text=(
        "Score how well the answer below satisfies each evaluation point, from 0 (not at all) to "
        "5 (fully).\n\n[Question and Answer]:\n{instruction}\n\n[Evaluation Points List]:\n{points}"
        '\n\nPlease output JSON results: {{"evaluation_results": [{{"point_id": 1, "score": 5}}]}}'
    ),
    reminder="Reply with the JSON object only, one entry per point with an integer score 0-5.",
)
"""Evaluation points for a text answer; ``instruction`` holds the question and the answer."""

JUDGED_MCQ_KEY = PromptTemplate(
    name="gapeval-judged-mcq-key",
    version="1",
    text=(
        "The image(s) above were produced earlier in this dialogue. Answer the multiple-choice "
        "question below about them.\n\n{question}\n\nReply with the letter(s) of the correct "
        "option(s) only."
    ),
    reminder="Reply with the option letter(s) only, e.g. B or A,C.",
)
"""Asks the judge for the key of a ``judged_mcq`` turn from the source turns' images."""

JUDGED_MCQ_KEY_JSON = PromptTemplate(
    name="gapeval-judged-mcq-key-json",
    version="1",
    text=(
        "The image(s) above were produced earlier in this dialogue. Answer the multiple-choice "
        "question below about them, judging only by what the images actually show.\n\n"
        "{question}\n\nReply with a JSON object only: "
        '{{"determined_answer": "<the correct option letters, e.g. A or BCD>", '
        '"reasoning": "<one sentence>"}}'
    ),
    reminder='Reply with the JSON object {"determined_answer": ..., "reasoning": ...} only.',
)
"""The same question in ``compat`` mode: the reply format IMUG-Bench's key resolver reads."""


def check_modes(**modes: str) -> None:
    """Raise :class:`GapevalError` for an unknown mode name or value.

    Examples
    --------
    >>> check_modes(mcq_mode="fixed", text_mode="contains")
    >>> check_modes(mcq_mode="loose")
    Traceback (most recent call last):
    ...
    gapeval.errors.GapevalError: unknown mcq_mode 'loose'; use one of compat, fixed
    """
    for name, value in modes.items():
        if name not in _MODES:
            raise GapevalError(f"unknown scoring option {name!r}; use one of {', '.join(_MODES)}")
        if value not in _MODES[name]:
            raise GapevalError(f"unknown {name} {value!r}; use one of {', '.join(_MODES[name])}")


def _meta(scorer: str, mode: str = "strict") -> dict[str, str]:
    return {"scorer": scorer, "mode": mode, "version": DISPATCH_VERSION}


def _score_mcq(spec: Any, text: str, *, mcq_mode: str, mcq_rule: str) -> Score:
    key = ",".join(spec.correct)
    if mcq_rule == "imug":
        return score_imug_mcq(text, key=key, mode=mcq_mode)  # type: ignore[arg-type]
    mode = "compat" if mcq_mode == "compat" else "robust"
    if len(spec.correct) != 1:
        reason = (f"RealUnify's rule scores single-answer questions; the key {key!r} has "
                  f"{len(spec.correct)} letters (use mcq_rule='imug')")  # fmt: skip
        return unscorable(reason, scorer="realunify_choice", mode=mode, version=CHOICE_VERSION)
    choices = "".join(chr(ord("A") + i) for i in range(len(spec.options)))
    return score_choice(text, key=spec.correct[0], mode=mode, choices=choices)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Judging:
    """A judge with its settings: reply parsers (``mode``), retries, cache and fingerprint."""

    judge: JudgeFn
    mode: str
    policy: RetryPolicy
    cache: MutableMapping[str, str] | None
    fingerprint: str

    def points(self, points: Sequence[str], images: Sequence[ImageLike], *, instruction: str,
               answer_text: str | None = None) -> Score:  # fmt: skip
        """Evaluation points (or polling questions) on an image, or on a text answer."""
        common: dict[str, Any] = {"cache": self.cache, "fingerprint": self.fingerprint}
        matches = [_POLLING_POINT.match(point) for point in points]
        if answer_text is None and all(matches):
            # keys keep their case: compat compares them case-sensitively, as the reference does
            questions = [(m["question"], m["key"]) for m in matches if m is not None]
            mode = "compat" if self.mode == "compat" else "robust"
            policy = None if self.mode == "compat" else self.policy
            return judge_polling(self.judge, images, questions=questions, mode=mode, policy=policy,
                                 **common).scored_with_evidence()  # fmt: skip
        mode = "compat" if self.mode == "compat" else "strict"
        template = IMUG_POINTS
        if answer_text is not None:
            template, instruction = TEXT_POINTS, f"{instruction}\n\n[Answer]:\n{answer_text}"
        return judge_points(self.judge, images, instruction=instruction, points=points, mode=mode,
                            policy=self.policy, template=template, **common).scored_with_evidence()  # fmt: skip

    def judged_mcq(self, spec: Any, text: str, images: Sequence[ImageLike], *, instruction: str,
                   mcq_mode: str) -> Score:  # fmt: skip
        """Ask the judge for the key, then score ``text`` against it with ``imug_mcq``.

        ``compat`` asks for IMUG-Bench's JSON reply, reads its ``determined_answer`` and builds the
        key as the reference stores it (letters joined without separator, see
        :func:`gapeval.scoring.mcq.imug_dynamic_key`); ``fixed`` reads the letters of the reply.
        """
        meta = {"scorer": "judged_mcq", "mode": mcq_mode, "version": f"{JUDGE_VERSION}.{IMUG_MCQ_VERSION}"}
        allowed = {chr(ord("A") + i) for i in range(len(spec.options) or 7)}
        compat = mcq_mode == "compat"
        template = JUDGED_MCQ_KEY_JSON if compat else JUDGED_MCQ_KEY
        if spec.multiple:
            instruction = f"{instruction}\n(One or more options may be right; give all of them.)"
        parse = read_determined_answer if compat else (
            lambda reply: ",".join(sorted(fixed_letters(reply) & allowed)) or None)
        call = ask(
            self.judge, images, template.render(question=instruction),
            template=template, parse=parse, policy=self.policy, cache=self.cache,
            fingerprint=self.fingerprint,
        )  # fmt: skip
        evidence = {"judge_calls": (call.evidence(),)}
        if call.parsed is None:
            detail = f"the judge's key could not be read after {len(call.replies)} attempt(s)"
            return unscorable(detail, **meta).model_copy(update=evidence)
        key = imug_dynamic_key(call.parsed, fixed=spec.fixed, mode=mcq_mode, allowed=allowed)  # type: ignore[arg-type]
        inner = score_imug_mcq(text, key=key, mode=mcq_mode)  # type: ignore[arg-type]
        detail = f"judge key {key!r} (template {template.hash[:12]}); {inner.detail}"
        if inner.value is None:
            return unscorable(detail, extracted=inner.extracted, **meta).model_copy(update=evidence)
        return scored(inner.value, detail=detail, extracted=inner.extracted, **meta).model_copy(update=evidence)


def _score_verifier(spec: Any, output: ImagePart, *, judging: _Judging | None, instruction: str,
                    context_images: Sequence[ImageLike]) -> Score:  # fmt: skip
    from gapeval.scoring.verifiers import VERIFIER_VERSION, score_image

    meta = {"scorer": f"verifier:{spec.verifier}", "mode": "exact", "version": VERIFIER_VERSION}
    try:
        image = output.open()
    except (OSError, ValueError) as error:
        return unscorable(f"the image output cannot be read: {error}", **meta)
    try:
        score = score_image(spec, image)
    except ValueError as error:
        return unscorable(f"verifier spec error: {error}; fix the item's answer spec", **meta)
    if score.is_scored or judging is None:
        return score
    if not spec.points:
        return unscorable(f"{score.detail}; the spec has no points for a judge", **meta)
    judged = judging.points(spec.points, [*context_images, output], instruction=instruction)
    return judged.model_copy(update={"detail": f"verifier unscorable ({score.detail}); judged: {judged.detail}"})


def score_answer(
    spec: StaticSpec,
    output: TextPart | ImagePart | None,
    *,
    mcq_mode: McqMode = "fixed",
    mcq_rule: McqRule = "imug",
    text_mode: str = "normalized",
    number_mode: str = "lenient",
    judge: JudgeFn | None = None,
    judge_mode: JudgeMode = "fixed",
    judge_attempts: int = 3,
    judge_cache: MutableMapping[str, str] | None = None,
    instruction: str = "",
    context_images: Sequence[ImageLike] = (),
) -> Score:
    """Score ``output`` against ``spec`` with the scorer the spec's kind calls for (module table).

    Parameters
    ----------
    spec
        A static answer spec (resolve dynamic ones with :func:`gapeval.bank.resolve_answer`).
    output
        The answer: a :class:`~gapeval.records.TextPart` or :class:`~gapeval.records.ImagePart`
        (readable: with bytes or a path), or ``None`` when there was no answer.
    mcq_mode, mcq_rule, text_mode, number_mode
        Modes of the text rules (see :mod:`gapeval.scoring.mcq`, :mod:`~gapeval.scoring.choice`,
        :mod:`~gapeval.scoring.text`, :mod:`~gapeval.scoring.numbers`).
    judge
        A judge callable (e.g. :func:`~gapeval.scoring.judge_adapter.adapter_judge`); its
        ``fingerprint`` attribute, if any, keys the cache.
    judge_mode, judge_attempts
        ``compat`` or ``fixed`` parsers (module notes) and calls per question at most.
    judge_cache
        Mapping of judge replies (e.g. :class:`~gapeval.scoring.judge_cache.JudgeCache`).
    instruction
        The question as asked (the prompt text), shown to the judge.
    context_images
        Images the judge sees before the answer: the prompt's input images; for ``judged_mcq``,
        the images of the source turns the key depends on.

    Returns
    -------
    Score
        Always with ``scorer``, ``mode`` and ``version``; never raises on the output's content.

    Raises
    ------
    GapevalError
        For an unknown mode, a dynamic (unresolved) or unknown spec kind, or ``judge_attempts < 1``.
    """
    check_modes(mcq_mode=mcq_mode, mcq_rule=mcq_rule, text_mode=text_mode, number_mode=number_mode,
                judge_mode=judge_mode)  # fmt: skip
    policy = RetryPolicy(max_attempts=judge_attempts)
    kind = getattr(spec, "kind", None)
    if kind in ("dynamic_mcq", "dynamic_grid"):
        raise GapevalError(
            f"answer spec kind {kind!r} depends on earlier turns; resolve it first with "
            "gapeval.bank.resolve_answer(dialogue, turn, outputs=..., open_image=...)"
        )
    if kind not in (*_TEXT_KINDS, "verifier", "points"):
        raise GapevalError(
            f"unknown answer spec {spec!r}; use a bank answer spec "
            "(mcq, number, text, points, verifier, judged_mcq)"
        )
    if output is None:
        return unscorable("no output to score (refused or unsupported)", **_meta("no_output"))
    if (kind in _TEXT_KINDS) != isinstance(output, TextPart) and kind != "points":
        wanted, got = ("text", "an image") if kind in _TEXT_KINDS else ("an image", "text")
        return scored(0.0, detail=f"wrong output kind: a {kind} answer needs {wanted}, got {got}",
                      **_meta("output_kind"))  # fmt: skip
    text = output.text if isinstance(output, TextPart) else ""
    fingerprint = getattr(judge, "fingerprint", "")
    judging = None if judge is None else _Judging(
        judge, judge_mode, policy, judge_cache, fingerprint if isinstance(fingerprint, str) else ""
    )  # fmt: skip
    try:
        if kind == "mcq":
            return _score_mcq(spec, text, mcq_mode=mcq_mode, mcq_rule=mcq_rule)
        if kind == "number":
            return score_number(text, target=spec.value, abs_tol=spec.tolerance, mode=number_mode)  # type: ignore
        if kind == "text":
            return score_text(text, answers=(spec.value, *spec.aliases), mode=text_mode)  # type: ignore
        if kind == "verifier":
            return _score_verifier(spec, output, judging=judging, instruction=instruction,  # type: ignore[arg-type]
                                   context_images=context_images)  # fmt: skip
        if judging is None:
            what = "a judged multiple-choice key" if kind == "judged_mcq" else "an evaluation-points answer"
            scorer, mode = ("judged_mcq", mcq_mode) if kind == "judged_mcq" else ("judge_points", judge_mode)
            return unscorable(f"{what} needs a judge; pass judge= (gapeval score --judge ADAPTER)",
                              scorer=scorer, mode=mode, version=JUDGE_VERSION)  # fmt: skip
        if kind == "judged_mcq":
            return judging.judged_mcq(spec, text, context_images, instruction=instruction, mcq_mode=mcq_mode)
        if isinstance(output, ImagePart):
            return judging.points(spec.points, [*context_images, output], instruction=instruction)  # type: ignore
        return judging.points(spec.points, context_images, instruction=instruction, answer_text=text)  # type: ignore
    except JudgeError as error:
        scorer = "judged_mcq" if kind == "judged_mcq" else "judge_points"
        return unscorable(f"judge call failed: {error}", scorer=scorer, mode=judge_mode, version=JUDGE_VERSION)
