"""Turn requests and turn results: what the runner sends an adapter and what comes back.

Examples
--------
>>> from gapeval.records import Message, TextPart, derive_seed
>>> request = TurnRequest(
...     request_id="r1", model="mock", item="q1", seed=derive_seed(0, "q1", None, 0),
...     history=(Message(role="user", parts=(TextPart(text="2+2?"),)),),
...     output=OutputSpec(kind="text"),
... )
>>> TurnRequest.model_validate_json(request.model_dump_json()) == request
True
>>> request.direction
'understanding'
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, JsonValue, model_validator

from gapeval.records._base import Record
from gapeval.records.parts import ImagePart, Message, Part
from gapeval.records.seeds import MAX_SEED
from gapeval.responses import GENERATION, UNDERSTANDING

__all__ = ["Decoding", "ItemInfo", "OutputSpec", "TurnRequest", "TurnResult", "Usage"]

#: Pattern of protocol and step labels: a letter or digit, then letters, digits and ``. _ + -``.
_LABEL = r"^[A-Za-z0-9][A-Za-z0-9_.+\-]*$"


class OutputSpec(Record):
    """The output a turn asks for: text, or an image of a given size."""

    kind: Literal["text", "image"]
    """``text`` (an understanding turn) or ``image`` (a generation turn)."""
    width: int | None = Field(default=None, gt=0)
    """Width of the wanted image; required for image output, absent for text."""
    height: int | None = Field(default=None, gt=0)
    """Height of the wanted image; required for image output, absent for text."""

    @model_validator(mode="after")
    def _check_size(self) -> OutputSpec:
        has_size = self.width is not None and self.height is not None
        if self.kind == "image" and not has_size:
            raise ValueError("image output needs width and height, e.g. width=512, height=512")
        if self.kind == "text" and (self.width is not None or self.height is not None):
            raise ValueError("text output takes no width or height; drop them")
        return self


class Decoding(Record):
    """Decoding settings; adapters ignore the ones their model does not have."""

    temperature: float = Field(default=0.0, ge=0.0)
    """Sampling temperature; 0 means greedy."""
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    """Nucleus sampling mass."""
    top_k: int | None = Field(default=None, gt=0)
    """Top-k sampling cut-off (``None``: no cut-off)."""
    max_new_tokens: int = Field(default=512, gt=0)
    """Largest number of generated text tokens."""
    guidance_scale: float | None = Field(default=None, ge=0.0)
    """Classifier-free guidance scale for image generation (``None``: the model's default)."""
    num_inference_steps: int | None = Field(default=None, gt=0)
    """Denoising steps for diffusion models (``None``: the model's default)."""


class ItemInfo(Record):
    """Bank taxonomy carried along so the store can export the long table without the bank."""

    pair: str | None = None
    """Id of the question shared by the understanding and generation forms."""
    category: str | None = None
    """Bank category."""
    subtask: str | None = None
    """Bank subtask."""


class TurnRequest(Record):
    """One turn to answer: the whole interleaved history and the output wanted.

    A standalone item has ``session=None`` and ``turn=None``; a dialogue turn has the dialogue id in
    ``session``, its 1-based index in ``turn`` and the id of the turn's step in ``item``.
    """

    request_id: str
    """Unique id of the request within a run (used to match results to requests)."""
    model: str
    """Name of the model spec that answers (the respondent's id in the long table)."""
    item: str
    """Item id (for a dialogue turn, the id of the step item)."""
    session: str | None = None
    """Dialogue id, or ``None`` for a standalone item."""
    turn: int | None = Field(default=None, ge=1)
    """1-based turn index in the dialogue, or ``None`` for a standalone item."""
    sample: int = Field(default=0, ge=0)
    """Repeat index when an item is answered several times."""
    seed: int = Field(ge=0, le=MAX_SEED)
    """Seed of this request (see :func:`derive_seed`)."""
    history: tuple[Message, ...]
    """The full interleaved history, ending with the message to answer."""
    output: OutputSpec
    """The output wanted."""
    decoding: Decoding = Decoding()
    """Decoding settings."""
    info: ItemInfo = ItemInfo()
    """Bank taxonomy, passed through to the store."""
    protocol: str = Field(default="direct", pattern=_LABEL)
    """Label of the evaluation protocol this request belongs to (see :mod:`gapeval.protocols`)."""
    step: str = Field(default="final", pattern=_LABEL)
    """The protocol step: ``final`` for the answer that counts, else e.g. ``thought``, ``rewrite``,
    ``sketch``, ``candidate-2``, ``verify-1``, ``rate-3``."""
    question: int | None = None
    """Index in ``history`` of the user message that asks the item (``None``: the last message).
    Protocol steps that add messages after the question (a chain of thought, a verdict) set it, so
    adapters that parse the question and scorers that quote it find it."""
    copied_from: str | None = Field(default=None, pattern=_LABEL)
    """For a ``final`` step that repeats a chosen candidate without a new model call: that step."""

    @model_validator(mode="after")
    def _check_shape(self) -> TurnRequest:
        if (self.session is None) != (self.turn is None):
            raise ValueError(
                f"request {self.request_id!r}: give both session and turn (a dialogue turn) "
                f"or neither (a standalone item); got session={self.session!r}, turn={self.turn!r}"
            )
        if not self.history:
            raise ValueError(f"request {self.request_id!r} has an empty history")
        if self.question is not None and not -len(self.history) <= self.question < len(self.history):
            raise ValueError(
                f"request {self.request_id!r}: question={self.question} is outside the history of "
                f"{len(self.history)} messages"
            )
        return self

    @property
    def question_message(self) -> Message:
        """The user message that asks the item (the last message unless ``question`` says)."""
        return self.history[-1 if self.question is None else self.question]

    @property
    def unit(self) -> str:
        """The item id for a standalone item, the dialogue id for a dialogue turn."""
        return self.session if self.session is not None else self.item

    @property
    def direction(self) -> Literal["understanding", "generation"]:
        """``understanding`` for text output, ``generation`` for image output."""
        return UNDERSTANDING if self.output.kind == "text" else GENERATION

    @property
    def images(self) -> tuple[ImagePart, ...]:
        """Every image of the history, in order."""
        return tuple(image for message in self.history for image in message.images)


class Usage(Record):
    """Token counts reported by the model (``None`` when unknown)."""

    input_tokens: int | None = Field(default=None, ge=0)
    """Tokens of context the answer was produced in (the long table's ``context_tokens``)."""
    output_tokens: int | None = Field(default=None, ge=0)
    """Tokens generated (text tokens, or image tokens for autoregressive image models)."""


class TurnResult(Record):
    """The answer to one :class:`TurnRequest`.

    ``ok`` carries an output part of the kind requested; ``refused`` may carry the refusal text;
    ``error`` carries a message (``transient=True`` when a retry may succeed, e.g. HTTP 429);
    ``unsupported`` means the model cannot produce the requested kind of output.
    """

    request_id: str
    """Id of the request answered."""
    status: Literal["ok", "refused", "error", "unsupported"]
    """Outcome of the turn."""
    output: Part | None = None
    """The answer: a text part or an image part (``origin='model'``)."""
    usage: Usage = Usage()
    """Token counts."""
    latency_s: float | None = Field(default=None, ge=0.0)
    """Wall-clock seconds the adapter spent on this turn (or its share of a batch)."""
    error: str | None = None
    """Error or refusal explanation."""
    transient: bool = False
    """For ``error``: whether retrying may succeed (rate limit, time-out, server busy)."""
    retry_after_s: float | None = Field(default=None, ge=0.0)
    """For transient errors: how long the server asked to wait, if it said."""
    raw: dict[str, JsonValue] = Field(default_factory=dict)
    """Adapter-specific extras (finish reason, server ids...); never credentials."""

    @model_validator(mode="after")
    def _check_status(self) -> TurnResult:
        if self.status == "ok" and self.output is None:
            raise ValueError(f"result {self.request_id!r}: status 'ok' needs an output part")
        if self.status == "error" and not self.error:
            raise ValueError(f"result {self.request_id!r}: status 'error' needs an error message")
        if self.transient and self.status != "error":
            raise ValueError(f"result {self.request_id!r}: only errors can be transient")
        return self

    @classmethod
    def failure(
        cls,
        request: TurnRequest,
        message: str,
        *,
        transient: bool = False,
        retry_after_s: float | None = None,
    ) -> TurnResult:
        """An ``error`` result for ``request``."""
        return cls(
            request_id=request.request_id,
            status="error",
            error=message,
            transient=transient,
            retry_after_s=retry_after_s,
        )

    @classmethod
    def unsupported(cls, request: TurnRequest, reason: str) -> TurnResult:
        """An ``unsupported`` result for ``request`` (the model cannot give this output)."""
        return cls(request_id=request.request_id, status="unsupported", error=reason)
