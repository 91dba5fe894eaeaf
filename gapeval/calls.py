"""Calling adapters: batching, retries with back-off, time-outs and concurrency limits.

This module owns how any adapter is called — by the runner for the models under test and by
:func:`gapeval.scoring.adapter_judge` for judge models — so there is one retry policy
(:class:`CallPolicy`) and one retry loop. :class:`Caller` hands requests to a synchronous adapter
in batches (or to an asynchronous one with at most ``concurrency`` calls in flight), retries
transient errors (rate limits, time-outs, busy servers) with exponential back-off — a server's
``Retry-After`` wins when longer — and calls ``commit`` with each batch of final results as soon as
it is ready, so a crash loses at most the batch in flight. An adapter that raises, or breaks the protocol, turns into ``error`` results for
the requests concerned; the run goes on.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gapeval.adapters.base import check_results
from gapeval.records import TurnRequest, TurnResult

__all__ = ["CallPolicy", "Caller", "is_async_adapter"]

Commit = Callable[[list[tuple[TurnRequest, TurnResult]]], None]


@dataclass(frozen=True)
class CallPolicy:
    """How an adapter is called: batches, retries of transient errors, time-outs, concurrency."""

    batch_size: int = 1
    """Requests per call of a synchronous adapter."""
    max_retries: int = 3
    """Retries of a transient error."""
    backoff_s: float = 1.0
    """First back-off wait, doubled at each retry."""
    timeout_s: float | None = None
    """Per-call time-out (asynchronous adapters)."""
    concurrency: int = 8
    """Calls in flight at once (asynchronous adapters)."""
    sleep: Callable[[float], None] = time.sleep
    """How to wait (tests pass a recorder)."""

    def wait_s(self, attempt: int, result: TurnResult) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based) of ``result``."""
        return max(self.backoff_s * 2 ** (attempt - 1), result.retry_after_s or 0.0)


def is_async_adapter(adapter: object) -> bool:
    """Whether ``adapter.run_turns`` is a coroutine function (an :class:`AsyncAdapter`)."""
    return inspect.iscoroutinefunction(getattr(adapter, "run_turns", None))


def _retryable(result: TurnResult, attempt: int, policy: CallPolicy) -> bool:
    return result.status == "error" and result.transient and attempt <= policy.max_retries


def _crashed(requests: Sequence[TurnRequest], error: BaseException) -> list[TurnResult]:
    message = f"adapter failed: {type(error).__name__}: {error}"
    return [TurnResult.failure(request, message) for request in requests]


RunTurns = Callable[[Sequence[TurnRequest]], object]


def _call_sync(run_turns: RunTurns, batch: Sequence[TurnRequest]) -> list[TurnResult]:
    try:
        results = list(run_turns(batch))  # type: ignore[call-overload]
        check_results(batch, results)
    except Exception as error:  # noqa: BLE001 - a broken adapter must not stop the run
        return _crashed(batch, error)
    return results


def _answer_sync(
    run_turns: RunTurns, requests: Sequence[TurnRequest], policy: CallPolicy, commit: Commit
) -> None:
    size = max(policy.batch_size, 1)
    for start in range(0, len(requests), size):
        pending = list(requests[start : start + size])
        attempt = 0
        while pending:
            results = _call_sync(run_turns, pending)
            attempt += 1
            final = [(q, r) for q, r in zip(pending, results, strict=True) if not _retryable(r, attempt, policy)]
            again = [(q, r) for q, r in zip(pending, results, strict=True) if _retryable(r, attempt, policy)]
            if final:
                commit(final)
            if again:
                policy.sleep(max(policy.wait_s(attempt, r) for _, r in again))
            pending = [q for q, _ in again]


async def _answer_one(
    run_turns: RunTurns, request: TurnRequest, policy: CallPolicy, gate: asyncio.Semaphore
) -> TurnResult:
    attempt = 0
    while True:
        attempt += 1
        async with gate:
            try:
                results = await asyncio.wait_for(run_turns([request]), policy.timeout_s)  # type: ignore[arg-type]
                check_results([request], results)
                result = results[0]
            except TimeoutError:
                result = TurnResult.failure(
                    request, f"no answer within {policy.timeout_s} s (time-out)", transient=True
                )
            except Exception as error:  # noqa: BLE001 - a broken adapter must not stop the run
                result = _crashed([request], error)[0]
        if not _retryable(result, attempt, policy):
            return result
        await asyncio.sleep(policy.wait_s(attempt, result))


async def _answer_async(
    run_turns: RunTurns, requests: Sequence[TurnRequest], policy: CallPolicy, commit: Commit
) -> None:
    gate = asyncio.Semaphore(policy.concurrency)

    async def one(request: TurnRequest) -> None:
        result = await _answer_one(run_turns, request, policy, gate)
        commit([(request, result)])

    await asyncio.gather(*(one(request) for request in requests))


class Caller:
    """Calls one adapter (for the runner or a judge); asynchronous adapters share one event loop.

    An asynchronous adapter's clients (e.g. an ``httpx.AsyncClient``) are bound to the loop that
    first used them, so every call of one adapter, and its ``close``, run on the same loop.
    """

    def __init__(self, adapter: object, policy: CallPolicy) -> None:
        self.adapter = adapter
        self.policy = policy
        self.is_async = is_async_adapter(adapter)
        self.calls = 0
        """Number of ``run_turns`` calls made so far (retries included)."""
        self._loop: asyncio.AbstractEventLoop | None = None

    def _run_turns(self, batch: Sequence[TurnRequest]):
        self.calls += 1
        return self.adapter.run_turns(batch)  # type: ignore[attr-defined]

    def answer(self, requests: Sequence[TurnRequest], commit: Commit) -> None:
        """Answer every request, calling ``commit`` with final results as they come.

        A final result is anything but a transient error with retries left; transient errors whose
        retries are spent are committed as errors (the store logs them; a resumed run asks again).
        """
        if not requests:
            return
        if self.is_async:
            if self._loop is None:  # made on first use, and again after close()
                self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(_answer_async(self._run_turns, requests, self.policy, commit))
        else:
            _answer_sync(self._run_turns, requests, self.policy, commit)

    def ask(self, request: TurnRequest) -> TurnResult:
        """Answer one request (retrying transient errors) and return its final result."""
        answered: list[tuple[TurnRequest, TurnResult]] = []
        self.answer([request], answered.extend)
        return answered[0][1]

    def close(self, *, adapter: bool = True) -> None:
        """Close the adapter (awaiting an asynchronous ``close``) unless ``adapter=False``, and the event loop."""
        closing = self.adapter.close() if adapter else None  # type: ignore[attr-defined]
        if inspect.isawaitable(closing):
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(closing)
        if self._loop is not None:
            self._loop.close()
            self._loop = None
