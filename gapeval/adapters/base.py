"""The adapter protocol: stateless turn functions that only talk to a model.

An adapter answers turns. It receives :class:`~gapeval.records.TurnRequest` records, each holding
the whole interleaved history, and returns one :class:`~gapeval.records.TurnResult` per request, in
the same order. It keeps no dialogue state, never raises for one bad request (the failure becomes a
result with status ``error``) and answers a request for an output it cannot produce with status
``unsupported``. Retries, caching, concurrency, output paths and resume belong to the runner.

:class:`Adapter` is the synchronous protocol (models in this process), :class:`AsyncAdapter` the
asynchronous one (HTTP clients). :class:`TurnAdapter` is an optional base class that implements
``run_turns`` from a per-request :meth:`TurnAdapter.answer` (or a batched
:meth:`TurnAdapter.answer_batch`) with capability checks, exception capture and batch halving.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import Field

from gapeval.errors import GapevalError
from gapeval.records import TurnRequest, TurnResult
from gapeval.records._base import Record

__all__ = [
    "AdapterOptionError",
    "Adapter",
    "AdapterContractError",
    "AsyncAdapter",
    "Capabilities",
    "TurnAdapter",
    "check_results",
    "library_versions",
    "loaded",
    "unsupported_reason",
]


class AdapterOptionError(GapevalError):
    """An adapter was given an option its factory does not take, or lacks a required one."""


class AdapterContractError(GapevalError):
    """An adapter returned results that break the protocol (wrong count, order or ids)."""


class Capabilities(Record):
    """What a model can take in and put out."""

    text_in: bool = True
    """Reads text in the history."""
    image_in: bool = False
    """Reads images in the history."""
    text_out: bool = True
    """Answers understanding turns (text output)."""
    image_out: bool = False
    """Answers generation turns (image output)."""
    max_batch: int = Field(default=1, ge=1)
    """Largest number of requests answered in one forward pass (1: one at a time)."""
    seeded: bool = True
    """Honours :attr:`TurnRequest.seed` (same seed, same output)."""


@runtime_checkable
class Adapter(Protocol):
    """A synchronous adapter: a model in this process, answering turns.

    ``run_turns`` must return exactly one result per request, in order, with matching
    ``request_id``; it must not raise because one request is bad. ``load`` reads weights (from local
    files) and may be slow; ``close`` frees memory. ``fingerprint`` returns a JSON-serialisable dict
    identifying weights, revision, dtype, device and library versions, and never credentials.
    """

    def load(self) -> None:
        """Load weights and clients; called once before the first ``run_turns``."""

    def close(self) -> None:
        """Release memory and connections."""

    def capabilities(self) -> Capabilities:
        """What the model can take in and put out."""

    def fingerprint(self) -> dict[str, Any]:
        """Identify the model: weights, revision, dtype, device, library versions."""

    def run_turns(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Answer each request; same length and order as ``requests``."""


@runtime_checkable
class AsyncAdapter(Protocol):
    """An asynchronous adapter (HTTP APIs, inference servers); same contract as :class:`Adapter`.

    ``run_turns`` and ``close`` are coroutines; the runner awaits many ``run_turns`` calls at once,
    within its concurrency limit.
    """

    def load(self) -> None:
        """Build clients and check configuration (no network call needed)."""

    async def close(self) -> None:
        """Close connections."""

    def capabilities(self) -> Capabilities:
        """What the model can take in and put out."""

    def fingerprint(self) -> dict[str, Any]:
        """Identify the model: endpoint model name, revision if known, library versions."""

    async def run_turns(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Answer each request; same length and order as ``requests``."""


def unsupported_reason(request: TurnRequest, capabilities: Capabilities) -> str | None:
    """Say why a model with ``capabilities`` cannot answer ``request``, or ``None`` if it can.

    Examples
    --------
    >>> from gapeval.records import Message, OutputSpec, TextPart
    >>> request = TurnRequest(
    ...     request_id="r1", model="vlm", item="q1", seed=0,
    ...     history=(Message(role="user", parts=(TextPart(text="Draw a cat."),)),),
    ...     output=OutputSpec(kind="image", width=64, height=64),
    ... )
    >>> unsupported_reason(request, Capabilities(image_in=True))
    'the model cannot generate images (image_out=False)'
    """
    if request.output.kind == "image" and not capabilities.image_out:
        return "the model cannot generate images (image_out=False)"
    if request.output.kind == "text" and not capabilities.text_out:
        return "the model cannot answer in text (text_out=False)"
    if request.images and not capabilities.image_in:
        count = len(request.images)
        return f"the model cannot read images (image_in=False); the history has {count}"
    return None


def check_results(requests: Sequence[TurnRequest], results: Sequence[TurnResult]) -> None:
    """Raise :class:`AdapterContractError` unless ``results`` match ``requests`` one to one.

    Examples
    --------
    >>> check_results([], [])
    """
    if len(results) != len(requests):
        raise AdapterContractError(
            f"adapter returned {len(results)} results for {len(requests)} requests; "
            "run_turns must return exactly one result per request"
        )
    for position, (request, result) in enumerate(zip(requests, results, strict=True)):
        if result.request_id != request.request_id:
            raise AdapterContractError(
                f"result {position} has request_id {result.request_id!r} but request {position} "
                f"is {request.request_id!r}; run_turns must keep the order of the requests"
            )


def library_versions(*distributions: str) -> dict[str, str | None]:
    """Installed versions of ``distributions`` (``None`` when absent), without importing them.

    Examples
    --------
    >>> library_versions("pydantic")["pydantic"] is not None
    True
    >>> library_versions("no-such-distribution-xyz")
    {'no-such-distribution-xyz': None}
    """
    versions: dict[str, str | None] = {}
    for name in distributions:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


A = TypeVar("A", bound=Adapter)


@contextmanager
def loaded(adapter: A) -> Iterator[A]:
    """Load ``adapter`` on entry and close it on exit (even after an error)."""
    adapter.load()
    try:
        yield adapter
    finally:
        adapter.close()


class TurnAdapter:
    """Base class that implements :meth:`run_turns` for a model answering one request at a time.

    Subclasses implement :meth:`answer` (one request) or, for batched models, override
    :meth:`answer_batch`; plus :meth:`capabilities` and :meth:`fingerprint`. ``run_turns`` then:

    1. answers requests the model cannot serve with ``unsupported`` (see :func:`unsupported_reason`)
       without calling the model;
    2. cuts the rest into batches of at most ``capabilities().max_batch``;
    3. if a batch raises (a bad request, or running out of GPU memory), halves it and retries each
       half, down to single requests; a single request that raises becomes an ``error`` result;
    4. fills ``latency_s`` with the batch's wall time divided by its size when the adapter left it
       empty, and checks the protocol with :func:`check_results`.
    """

    def load(self) -> None:
        """Load the model; the default does nothing."""

    def close(self) -> None:
        """Release the model; the default does nothing."""

    def capabilities(self) -> Capabilities:
        """What the model can do; subclasses override this."""
        return Capabilities()

    def fingerprint(self) -> dict[str, Any]:
        """Identify the model; subclasses override this."""
        return {"adapter": type(self).__name__}

    def answer(self, request: TurnRequest) -> TurnResult:
        """Answer one request; subclasses override this or :meth:`answer_batch`."""
        raise NotImplementedError(f"{type(self).__name__} must implement answer or answer_batch")

    def answer_batch(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Answer a batch of supported requests; the default calls :meth:`answer` on each."""
        return [self.answer(request) for request in requests]

    def run_turns(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Answer each request; same length and order as ``requests``; never raises for one."""
        capabilities = self.capabilities()
        results: list[TurnResult | None] = [None] * len(requests)
        supported: list[int] = []
        for index, request in enumerate(requests):
            reason = unsupported_reason(request, capabilities)
            if reason is None:
                supported.append(index)
            else:
                results[index] = TurnResult.unsupported(request, reason)
        size = capabilities.max_batch
        for start in range(0, len(supported), size):
            chunk = supported[start : start + size]
            answers = self._answer_halving([requests[i] for i in chunk])
            for index, result in zip(chunk, answers, strict=True):
                results[index] = result
        final = [result for result in results if result is not None]
        check_results(requests, final)
        return final

    def _answer_halving(self, batch: Sequence[TurnRequest]) -> list[TurnResult]:
        started = time.perf_counter()
        try:
            answers = list(self.answer_batch(batch))
            check_results(batch, answers)
        except Exception as error:  # noqa: BLE001 - one bad request must not stop the run
            if len(batch) == 1:
                message = f"{type(error).__name__}: {error}"
                return [TurnResult.failure(batch[0], message)]
            middle = len(batch) // 2
            return self._answer_halving(batch[:middle]) + self._answer_halving(batch[middle:])
        share = (time.perf_counter() - started) / len(batch)
        return [
            answer.model_copy(update={"latency_s": share}) if answer.latency_s is None else answer
            for answer in answers
        ]
