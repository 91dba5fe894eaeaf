"""A scripted mock adapter, so every harness test can run without a model.

The script maps an item id, or a ``(dialogue id, turn)`` pair, to a reply; or it is a callable
taking the :class:`~gapeval.records.TurnRequest` and returning a reply. A reply is:

- a ``str``: the text answer of an understanding turn;
- :class:`Draw`: an image of the requested size (a shape of one colour on white);
- :class:`Refuse`: status ``refused`` with a refusal text;
- :class:`Fail`: status ``error`` (permanent);
- :class:`Transient`: status ``error`` with ``transient=True`` (like an HTTP 429) for the first
  ``times`` attempts at that answer key, then the ``then`` reply;
- :class:`Crash`: the adapter raises inside the model call (the base class turns it into ``error``).

Unscripted turns get a default reply that depends only on the request's seed and the sha256 of the
history images: a letter ``A``-``D`` for a text turn, a :class:`Draw` of a derived colour for an
image turn. The adapter counts ``run_turns`` calls, batch sizes and attempts per answer key.

Examples
--------
>>> from gapeval.records import Message, OutputSpec, TextPart, TurnRequest
>>> adapter = ScriptedAdapter({"q1": "B", "q2": Refuse()})
>>> def ask(item):
...     return TurnRequest(request_id=item, model="mock", item=item, seed=0,
...                        history=(Message(role="user", parts=(TextPart(text="?"),)),),
...                        output=OutputSpec(kind="text"))
>>> results = adapter.run_turns([ask("q1"), ask("q2")])
>>> [(r.status, r.output.text) for r in results]
[('ok', 'B'), ('refused', "I can't help with that.")]
>>> adapter.calls
1
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from gapeval.adapters.base import Capabilities, TurnAdapter, library_versions
from gapeval.records import ImagePart, TextPart, TurnRequest, TurnResult, Usage

__all__ = [
    "DEFAULT_CAPABILITIES",
    "AsyncScriptedAdapter",
    "Crash",
    "Draw",
    "Fail",
    "Refuse",
    "Reply",
    "ScriptedAdapter",
    "Transient",
]

RGB = tuple[int, int, int]

#: What the mock claims unless told otherwise.
DEFAULT_CAPABILITIES = {"image_in": True, "image_out": True, "max_batch": 8}


@dataclass(frozen=True)
class Draw:
    """Reply with an image of the requested size: a ``shape`` in ``colour`` on white."""

    colour: RGB | str
    shape: Literal["circle", "square"] = "circle"


@dataclass(frozen=True)
class Refuse:
    """Reply with status ``refused``."""

    message: str = "I can't help with that."


@dataclass(frozen=True)
class Fail:
    """Reply with a permanent ``error``."""

    message: str = "scripted failure"


@dataclass(frozen=True)
class Crash:
    """Raise ``RuntimeError(message)`` inside the model call."""

    message: str = "scripted crash"


@dataclass(frozen=True)
class Transient:
    """Fail transiently (like HTTP 429) for the first ``times`` attempts, then reply ``then``."""

    times: int = 1
    message: str = "429 Too Many Requests"
    retry_after_s: float | None = None
    then: Reply | None = None
    """Reply after the failures; ``None`` gives the default reply."""


Reply = str | Draw | Refuse | Fail | Crash | Transient
ScriptKey = str | tuple[str, int]
Script = Mapping[ScriptKey, Reply] | Callable[[TurnRequest], Reply | None]


def _answering(reply: Reply) -> Reply | None:
    """The reply that ends up stored for ``reply`` (``None``: an injected failure or the default)."""
    if isinstance(reply, Transient):
        return None if reply.then is None else _answering(reply.then)
    return None if isinstance(reply, Fail | Crash) else reply


def _answer_key(request: TurnRequest) -> tuple[str | int, ...]:
    key: tuple[str | int, ...] = (request.model, request.unit, request.turn or 0, request.sample)
    if (request.protocol, request.step) != ("direct", "final"):
        key += (request.protocol, request.step)
    return key


def _request_hash(request: TurnRequest) -> int:
    images = ",".join(image.sha256 for image in request.images)
    digest = hashlib.sha256(f"{request.seed}|{images}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def default_reply(request: TurnRequest) -> Reply:
    """The reply to an unscripted turn: a function of the seed and the history images only."""
    value = _request_hash(request)
    if request.output.kind == "text":
        return "ABCD"[value % 4]
    colour = ((value >> 8) % 256, (value >> 16) % 256, (value >> 24) % 256)
    return Draw(colour=colour, shape="circle" if value % 2 else "square")


def draw(reply: Draw, width: int, height: int) -> Any:
    """Render a :class:`Draw` reply as an RGB ``PIL.Image.Image`` of ``width`` x ``height``."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "white")
    box = (width // 4, height // 4, (3 * width) // 4, (3 * height) // 4)
    canvas = ImageDraw.Draw(image)
    if reply.shape == "circle":
        canvas.ellipse(box, fill=reply.colour)
    else:
        canvas.rectangle(box, fill=reply.colour)
    return image


class ScriptedAdapter(TurnAdapter):
    """Deterministic mock adapter replying from a script; see the module docstring.

    Parameters
    ----------
    script : mapping or callable, optional
        ``{item_id: reply, (dialogue_id, turn): reply}`` or ``f(request) -> reply | None``.
        A ``(dialogue_id, turn)`` key wins over the step's item id; ``None`` means the default.
    default : reply, optional
        Reply for unscripted turns, instead of the seed-derived default.
    capabilities : Capabilities or mapping, optional
        What the mock claims. By default it reads and writes text and images and batches 8
        requests (:data:`DEFAULT_CAPABILITIES`); a mapping overrides some of these.
    delay_s : float
        Seconds slept per model call (per batch), to simulate latency.
    name : str
        Name reported in the fingerprint.
    """

    def __init__(
        self,
        script: Script | None = None,
        *,
        default: Reply | None = None,
        capabilities: Capabilities | Mapping[str, Any] | None = None,
        delay_s: float = 0.0,
        name: str = "scripted",
    ) -> None:
        self.script: Script = {} if script is None else script
        self.default = default
        if not isinstance(capabilities, Capabilities):
            overrides = dict(capabilities or {})
            capabilities = Capabilities.model_validate({**DEFAULT_CAPABILITIES, **overrides})
        self._capabilities = capabilities
        self.delay_s = float(delay_s)
        self.name = name
        self.loaded = False
        self.calls = 0
        """Number of ``run_turns`` calls."""
        self.batch_sizes: list[int] = []
        """Size of every batch that reached the (mock) model."""
        self.attempts: Counter[tuple[str | int, ...]] = Counter()
        """Attempts per answer key ``(model, item or dialogue, turn or 0, sample)``, with
        ``(protocol, step)`` appended for a protocol step other than the direct answer."""
        self._lock = threading.Lock()

    def load(self) -> None:
        """Mark the mock as loaded."""
        self.loaded = True

    def close(self) -> None:
        """Mark the mock as closed."""
        self.loaded = False

    def capabilities(self) -> Capabilities:
        """The capabilities given at construction."""
        return self._capabilities

    def fingerprint(self) -> dict[str, Any]:
        """Adapter name, a hash of the script's answers (or the callable's name) and library versions.

        Injected failures (:class:`Fail`, :class:`Crash`, the failures of :class:`Transient`) stand
        for outages, not for another model: they store no answer and leave the hash unchanged, so a
        run resumed after them is the same respondent.
        """
        if callable(self.script):
            script_id = f"{self.script.__module__}.{getattr(self.script, '__qualname__', '?')}"
        else:
            answers = {key: _answering(value) for key, value in self.script.items()}
            items = sorted((repr(key), repr(value)) for key, value in answers.items() if value is not None)
            script_id = hashlib.sha256(json.dumps(items).encode()).hexdigest()
        return {
            "adapter": "scripted",
            "name": self.name,
            "script": script_id,
            "default": repr(self.default),
            "libraries": library_versions("gapeval", "pillow"),
        }

    def run_turns(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Answer each request from the script (see :meth:`TurnAdapter.run_turns`)."""
        with self._lock:
            self.calls += 1
        return super().run_turns(requests)

    def answer_batch(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Sleep ``delay_s`` once for the batch, then answer each request."""
        with self._lock:
            self.batch_sizes.append(len(requests))
        if self.delay_s:
            time.sleep(self.delay_s)
        return [self.answer(request) for request in requests]

    def lookup(self, request: TurnRequest) -> Reply:
        """The scripted reply to ``request`` (before transient failures are counted)."""
        reply: Reply | None
        if callable(self.script):
            reply = self.script(request)
        elif request.session is not None and (request.session, request.turn) in self.script:
            reply = self.script[(request.session, request.turn)]  # type: ignore[index]
        else:
            reply = self.script.get(request.item)
        if reply is None:
            reply = self.default if self.default is not None else default_reply(request)
        return reply

    def answer(self, request: TurnRequest) -> TurnResult:
        """Answer one request from the script."""
        key = _answer_key(request)
        with self._lock:
            self.attempts[key] += 1
            attempt = self.attempts[key]
        reply = self.lookup(request)
        while isinstance(reply, Transient):
            if attempt <= reply.times:
                return TurnResult.failure(
                    request, reply.message, transient=True, retry_after_s=reply.retry_after_s
                )
            attempt -= reply.times
            reply = reply.then if reply.then is not None else default_reply(request)
        return self._render(request, reply)

    def _render(self, request: TurnRequest, reply: Reply) -> TurnResult:
        usage = Usage(
            input_tokens=sum(len(m.text.split()) for m in request.history)
            + 64 * len(request.images)
        )
        if isinstance(reply, Crash):
            raise RuntimeError(reply.message)
        if isinstance(reply, Fail):
            return TurnResult.failure(request, reply.message)
        if isinstance(reply, Refuse):
            return TurnResult(
                request_id=request.request_id,
                status="refused",
                output=TextPart(text=reply.message),
                error=reply.message,
                usage=usage,
            )
        wanted = request.output
        if isinstance(reply, str) and wanted.kind == "text":
            usage = usage.model_copy(update={"output_tokens": len(reply.split())})
            return TurnResult(
                request_id=request.request_id, status="ok", output=TextPart(text=reply), usage=usage
            )
        if isinstance(reply, Draw) and wanted.kind == "image":
            assert wanted.width is not None and wanted.height is not None
            image = draw(reply, wanted.width, wanted.height)
            part = ImagePart.from_image(image, origin="model")
            return TurnResult(request_id=request.request_id, status="ok", output=part, usage=usage)
        return TurnResult.failure(
            request,
            f"script gives {type(reply).__name__} {reply!r} for a {wanted.kind} turn "
            f"(item {request.item!r}); script a str for text turns and Draw for image turns",
        )


class AsyncScriptedAdapter:
    """The asynchronous twin of :class:`ScriptedAdapter` (for testing async runners).

    Takes the same arguments; ``delay_s`` is awaited with :func:`asyncio.sleep` per call, so many
    calls overlap. The synchronous mock doing the work is :attr:`inner` (its counters apply).
    """

    def __init__(
        self,
        script: Script | None = None,
        *,
        default: Reply | None = None,
        capabilities: Capabilities | Mapping[str, Any] | None = None,
        delay_s: float = 0.0,
        name: str = "scripted-async",
    ) -> None:
        self.inner = ScriptedAdapter(script, default=default, capabilities=capabilities, name=name)
        self.delay_s = float(delay_s)

    def load(self) -> None:
        """Mark the mock as loaded."""
        self.inner.load()

    async def close(self) -> None:
        """Mark the mock as closed."""
        self.inner.close()

    def capabilities(self) -> Capabilities:
        """The capabilities given at construction."""
        return self.inner.capabilities()

    def fingerprint(self) -> dict[str, Any]:
        """As :meth:`ScriptedAdapter.fingerprint`."""
        return self.inner.fingerprint()

    async def run_turns(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Await ``delay_s``, then answer like :meth:`ScriptedAdapter.run_turns`."""
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return self.inner.run_turns(requests)
