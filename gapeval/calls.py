"""Calling adapters: batching, retries with back-off, time-outs and concurrency limits.

This module owns how any adapter is called — by the runner for the models under test and by
:func:`gapeval.scoring.adapter_judge` for judge models — so there is one retry policy
(:class:`CallPolicy`) and one retry loop. :class:`Caller` hands requests to a synchronous adapter
in batches (or to an asynchronous one with at most ``concurrency`` calls in flight), retries
transient errors (rate limits, time-outs, busy servers) with exponential back-off — a server's
``Retry-After`` wins when longer — and calls ``commit`` with each batch of final results as soon as
it is ready, so a crash loses at most the batch in flight.

Waiting is bounded: no single wait is longer than ``max_wait_s`` (our own back-off is cut to it; a
server asking for longer gets no retry: the call ends as a transient error saying so, which the
store logs and a resumed run asks again), and no retry starts once a call has taken ``max_call_s``
since its first attempt. ``on_wait`` hears of every wait (the runner's progress display shows them). An adapter that raises, or breaks the protocol, turns into ``error`` results for
the requests concerned; the run goes on.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gapeval.adapters.base import check_results
from gapeval.errors import GapevalError
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
    max_wait_s: float = 120.0
    """Longest single wait before a retry; a server's ``Retry-After`` beyond it ends the call."""
    max_call_s: float | None = 600.0
    """Longest time from a call's first attempt to the start of its last retry (``None``: no limit)."""
    sleep: Callable[[float], None] = time.sleep
    """How to wait (tests pass a recorder)."""
    on_wait: Callable[[float, str], None] | None = None
    """Told ``(seconds, why)`` before each wait (a progress display)."""
    clock: Callable[[], float] = time.monotonic
    """Time source of ``max_call_s`` (tests pass a fake clock)."""

    def __post_init__(self) -> None:
        if not self.max_wait_s > 0 or (self.max_call_s is not None and not self.max_call_s > 0):
            raise GapevalError(
                f"max_wait_s and max_call_s must be positive seconds, got {self.max_wait_s!r} and "
                f"{self.max_call_s!r}; e.g. --max-wait 120 --max-call-time 600"
            )

    def wait_s(self, attempt: int, result: TurnResult) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based) of ``result``: the back-off (at
        most ``max_wait_s``) or the server's ``Retry-After`` if longer."""
        return max(min(self.backoff_s * 2 ** (attempt - 1), self.max_wait_s), result.retry_after_s or 0.0)

    def next_wait(self, attempt: int, result: TurnResult, started: float) -> float | TurnResult:
        """The wait before retrying ``result`` (attempt ``attempt``, first one at ``started``), or
        the final result when the wait is over a cap: a transient error that says which."""
        wait = self.wait_s(attempt, result)
        elapsed = self.clock() - started
        if wait > self.max_wait_s:
            why = (f"the server asked to wait {wait:g} s before retrying (Retry-After), more than the "
                   f"{self.max_wait_s:g} s cap on one wait (--max-wait)")  # fmt: skip
        elif self.max_call_s is not None and elapsed + wait > self.max_call_s:
            why = (f"{attempt} attempts took {elapsed:.0f} s and the next wait ({wait:g} s) would pass the "
                   f"{self.max_call_s:g} s limit per call (--max-call-time)")  # fmt: skip
        else:
            if self.on_wait is not None:
                reason = "the server's Retry-After" if wait == (result.retry_after_s or 0.0) else "back-off"
                self.on_wait(wait, f"before retry {attempt} ({reason}; {result.error})")
            return wait
        return result.model_copy(
            update={"error": f"{result.error}; not retried: {why}; re-run the same command later to ask again"}
        )


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
        attempt, started = 0, policy.clock()
        while pending:
            results = _call_sync(run_turns, pending)
            attempt += 1
            final: list[tuple[TurnRequest, TurnResult]] = []
            again: list[tuple[TurnRequest, float]] = []
            for request, result in zip(pending, results, strict=True):
                decided = policy.next_wait(attempt, result, started) if _retryable(result, attempt, policy) else result
                if isinstance(decided, TurnResult):
                    final.append((request, decided))
                else:
                    again.append((request, decided))
            if final:
                commit(final)
            if again:
                policy.sleep(max(wait for _, wait in again))
            pending = [q for q, _ in again]


async def _answer_one(
    run_turns: RunTurns, request: TurnRequest, policy: CallPolicy, gate: asyncio.Semaphore
) -> TurnResult:
    attempt, started = 0, policy.clock()
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
        wait = policy.next_wait(attempt, result, started)
        if isinstance(wait, TurnResult):
            return wait
        await asyncio.sleep(wait)


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
