"""The step machine of each protocol: given what is stored, what to ask next.

:func:`next_action` is a pure function of the protocol, the item's direct request (``base``) and
the steps already stored for it, so a resumed run continues exactly where it stopped and never asks
a stored step again. It returns :class:`Ask` (requests to send, all answerable at once),
:class:`Choose` (the ``final`` row repeats a stored candidate; no call) or ``None`` (done: the
``final`` step is stored).

Step requests are derived from ``base``: same model, item, turn, sample and output spec, the
protocol's label in ``protocol``, the step name in ``step`` and a request id and seed of their own.
``final`` and ``candidate-1`` keep the base seed, so a one-candidate best-of-N (and the first
self-verification candidate) is the direct answer; the other steps' seeds are derived from the base
seed and the step name (:func:`step_seed`).

Examples
--------
>>> from gapeval.protocols.spec import parse_protocol_spec
>>> from gapeval.records import Message, OutputSpec, TextPart, TurnRequest, TurnResult
>>> base = TurnRequest(request_id="m|q1|0|0", model="m", item="q1", seed=11,
...     history=(Message(role="user", parts=(TextPart(text="2+2?"),)),), output=OutputSpec(kind="text"))
>>> cot = parse_protocol_spec("cot")
>>> [r.step for r in next_action(cot, base, {}).requests]
['thought']
>>> thought = next_action(cot, base, {}).requests[0]
>>> done = {"thought": (thought, TurnResult(request_id=thought.request_id, status="ok",
...                                          output=TextPart(text="2 and 2 make 4.")))}
>>> final = next_action(cot, base, done).requests[0]
>>> final.step, final.seed == base.seed, [m.role for m in final.history], final.question
('final', True, ['user', 'assistant', 'user'], 0)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from gapeval.protocols import prompts
from gapeval.protocols.spec import ProtocolSpec
from gapeval.records import (
    ImagePart,
    Message,
    OutputSpec,
    Part,
    TextPart,
    TurnRequest,
    TurnResult,
)
from gapeval.records.seeds import MAX_SEED

__all__ = [
    "ANSWER_STEP_PREFIXES",
    "Ask",
    "Choose",
    "Done",
    "final_copy",
    "is_answer_step",
    "next_action",
    "step_request_id",
    "step_seed",
]

#: Steps whose output answers the item (scored like a direct answer): ``final`` and ``candidate-k``.
ANSWER_STEP_PREFIXES = ("final", "candidate-")
#: Size of a sketch when the question has no image to copy the size from.
SKETCH_SIZE = (256, 256)

Done = Mapping[str, tuple[TurnRequest, TurnResult]]


@dataclass(frozen=True)
class Ask:
    """Send these step requests (they do not depend on each other)."""

    requests: tuple[TurnRequest, ...]


@dataclass(frozen=True)
class Choose:
    """Store the ``final`` step as a copy of the stored step ``step`` (no model call)."""

    step: str


def is_answer_step(step: str) -> bool:
    """Whether a step's output answers the item (``final`` or ``candidate-k``).

    Examples
    --------
    >>> [is_answer_step(s) for s in ("final", "candidate-2", "verify-1", "thought")]
    [True, True, False, False]
    """
    return step == "final" or step.startswith("candidate-")


def step_seed(base_seed: int, step: str) -> int:
    """The seed of ``step``: the base seed for ``final`` and ``candidate-1``, else derived.

    Examples
    --------
    >>> step_seed(5, "final"), step_seed(5, "candidate-1"), step_seed(5, "candidate-2") == 5
    (5, 5, False)
    """
    if step in ("final", "candidate-1"):
        return base_seed
    digest = hashlib.sha256(f"gapeval-step-v1|{base_seed}|{step}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & MAX_SEED


def step_request_id(base_id: str, protocol: str, step: str) -> str:
    """The request id of a step: the base id, plus ``|protocol|step`` unless direct/final."""
    return base_id if (protocol, step) == ("direct", "final") else f"{base_id}|{protocol}|{step}"


def _derive(
    base: TurnRequest,
    protocol: ProtocolSpec,
    step: str,
    *,
    history: tuple[Message, ...] | None = None,
    output: OutputSpec | None = None,
    question: int | None = None,
) -> TurnRequest:
    return base.model_copy(
        update={
            "request_id": step_request_id(base.request_id, protocol.name, step),
            "protocol": protocol.name,
            "step": step,
            "seed": step_seed(base.seed, step),
            "history": base.history if history is None else history,
            "output": base.output if output is None else output,
            "question": question,
            "copied_from": None,
        }
    )


def _with_instruction(base: TurnRequest, text: str) -> tuple[Message, ...]:
    """The base history with ``text`` appended to the question message."""
    question = base.history[-1]
    asked = Message(role="user", parts=(*question.parts, TextPart(text=text)))
    return (*base.history[:-1], asked)


def _said(result: TurnResult | None) -> Part:
    """What an earlier step said, as an assistant part (a note when it gave nothing)."""
    if result is not None and result.status == "ok" and result.output is not None:
        return result.output
    return TextPart(text="(no answer)")


def _followed_by(base: TurnRequest, *turns: tuple[Part, str]) -> tuple[Message, ...]:
    """The base history, then (assistant part, user text) exchanges."""
    history = list(base.history)
    for said, asked in turns:
        history += [Message(role="assistant", parts=(said,)), Message(role="user", parts=(TextPart(text=asked),))]
    return tuple(history)


def _ok_text(result: TurnResult | None) -> str | None:
    if result is not None and result.status == "ok" and isinstance(result.output, TextPart):
        return result.output.text
    return None


def _cot(protocol: ProtocolSpec, base: TurnRequest, done: Done) -> Ask | None:
    image = base.output.kind == "image"
    if "thought" not in done:
        think = prompts.COT_THINK_IMAGE if image else prompts.COT_THINK_TEXT
        return Ask((_derive(base, protocol, "thought", history=_with_instruction(base, think),
                            output=OutputSpec(kind="text")),))
    if "final" in done:
        return None
    thought = done["thought"][0]
    history = (*thought.history, Message(role="assistant", parts=(_said(done["thought"][1]),)),
               Message(role="user", parts=(TextPart(text=prompts.COT_FINAL_IMAGE if image else prompts.COT_FINAL_TEXT),)))
    return Ask((_derive(base, protocol, "final", history=history, question=len(base.history) - 1),))


def _sketch_output(base: TurnRequest) -> OutputSpec:
    images = [part for part in base.history[-1].parts if isinstance(part, ImagePart)]
    width, height = (images[-1].width, images[-1].height) if images else SKETCH_SIZE
    return OutputSpec(kind="image", width=width, height=height)


def _stepwise(protocol: ProtocolSpec, base: TurnRequest, done: Done) -> Ask | None:
    first = "rewrite" if base.output.kind == "image" else "sketch"
    if first not in done:
        if first == "rewrite":
            return Ask((_derive(base, protocol, "rewrite", history=_with_instruction(base, prompts.REWRITE),
                                output=OutputSpec(kind="text")),))
        return Ask((_derive(base, protocol, "sketch", history=_with_instruction(base, prompts.SKETCH),
                            output=_sketch_output(base)),))
    if "final" in done:
        return None
    request, result = done[first]
    if first == "rewrite":
        rewrite = _ok_text(result)
        if rewrite is None:  # no rewrite to draw from: draw from the request itself
            return Ask((_derive(base, protocol, "final"),))
        images = tuple(part for part in base.history[-1].parts if isinstance(part, ImagePart))
        asked = Message(role="user", parts=(*images, TextPart(text=prompts.REWRITE_DRAW.format(rewrite=rewrite))))
        return Ask((_derive(base, protocol, "final", history=(*base.history[:-1], asked)),))
    history = (*request.history, Message(role="assistant", parts=(_said(result),)),
               Message(role="user", parts=(TextPart(text=prompts.SKETCH_ANSWER),)))
    return Ask((_derive(base, protocol, "final", history=history, question=len(base.history) - 1),))


def _self_verify(protocol: ProtocolSpec, base: TurnRequest, done: Done) -> Ask | Choose | None:
    if "final" in done:
        return None
    question = len(base.history) - 1
    for k in range(1, protocol.rounds + 1):
        candidate = f"candidate-{k}"
        if candidate not in done:
            if k == 1:
                return Ask((_derive(base, protocol, candidate),))
            previous = done[f"candidate-{k - 1}"][1]
            verdict = done[f"verify-{k - 1}"][1]
            history = _followed_by(base, (_said(previous), prompts.VERIFY), (_said(verdict), prompts.RETRY))
            return Ask((_derive(base, protocol, candidate, history=history, question=question),))
        result = done[candidate][1]
        if result.status != "ok":
            return Choose(candidate)
        verify = f"verify-{k}"
        if verify not in done:
            history = _followed_by(base, (_said(result), prompts.VERIFY))
            return Ask((_derive(base, protocol, verify, history=history, output=OutputSpec(kind="text"),
                                question=question),))
        if prompts.parse_verdict(_ok_text(done[verify][1])) or k == protocol.rounds:
            return Choose(candidate)
    raise AssertionError("unreachable: the last round always chooses")  # pragma: no cover


def _best_of_n(protocol: ProtocolSpec, base: TurnRequest, done: Done) -> Ask | Choose | None:
    if "final" in done:
        return None
    names = [f"candidate-{k}" for k in range(1, protocol.n + 1)]
    missing = [name for name in names if name not in done]
    if missing:
        return Ask(tuple(_derive(base, protocol, name) for name in missing))
    ok = [name for name in names if done[name][1].status == "ok"]
    if protocol.n == 1 or protocol.picker == "first" or not ok:
        return Choose(names[0] if not ok or protocol.picker == "first" else ok[0])
    question = len(base.history) - 1
    unrated = [name for name in ok if f"rate-{name.split('-')[1]}" not in done]
    if unrated:
        return Ask(tuple(
            _derive(base, protocol, f"rate-{name.split('-')[1]}", output=OutputSpec(kind="text"), question=question,
                    history=_followed_by(base, (_said(done[name][1]), prompts.RATE)))
            for name in unrated
        ))
    ratings = {name: prompts.parse_rating(_ok_text(done[f"rate-{name.split('-')[1]}"][1])) for name in ok}
    best = max(ok, key=lambda name: (-1.0 if ratings[name] is None else ratings[name], -ok.index(name)))
    return Choose(best)


def next_action(protocol: ProtocolSpec, base: TurnRequest, done: Done) -> Ask | Choose | None:
    """What to do next for one item (or dialogue turn) under ``protocol``.

    Parameters
    ----------
    protocol : ProtocolSpec
        The protocol.
    base : TurnRequest
        The item's direct request (as :class:`~gapeval.runner.requests.RequestBuilder` builds it).
    done : mapping
        Step name -> (request, result) of every step stored so far for this item under ``protocol``
        (results as stored: statuses ``ok``, ``refused`` or ``unsupported``).

    Returns
    -------
    Ask, Choose or None
        The requests to send, the candidate the ``final`` row repeats, or ``None`` when ``final``
        is stored.
    """
    if protocol.kind == "direct":
        return None if "final" in done else Ask((_derive(base, protocol, "final"),))
    if protocol.kind == "cot":
        return _cot(protocol, base, done)
    if protocol.kind == "stepwise":
        return _stepwise(protocol, base, done)
    if protocol.kind == "self-verify":
        return _self_verify(protocol, base, done)
    return _best_of_n(protocol, base, done)


def final_copy(base: TurnRequest, request: TurnRequest, result: TurnResult) -> tuple[TurnRequest, TurnResult]:
    """The ``final`` step of ``base``'s item repeating the stored candidate ``(request, result)``
    (no model call)."""
    final_id = step_request_id(base.request_id, request.protocol, "final")
    copied = request.model_copy(update={"request_id": final_id, "step": "final", "copied_from": request.step})
    return copied, result.model_copy(update={"request_id": final_id})
