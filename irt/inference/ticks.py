"""Iteration ticks: lets a caller watch a long fit advance (a progress display) without irt knowing who watches.

A caller wraps a fit in :func:`watching` with a function ``watcher(done, total)``; while it is
active, the sampler layer announces the iterations it is about to run (:func:`announce`) and its
traced loops report them as they run (:func:`tick`, a :func:`jax.debug.callback`), so the watcher
hears how many of how many iterations are done. With no watcher nothing is traced and a fit runs
exactly as before; a watcher never changes the draws (it only reads an iteration counter): NUTS's are
the same bit for bit, SVI's up to float32 rounding (the compiler arranges the steps' arithmetic
differently around the callback when their noise is drawn in blocks, :func:`irt.inference.flat.fit_mean_field`).

Examples
--------
>>> import jax, jax.numpy as jnp
>>> heard = []
>>> def step(carry, i):
...     tick(i, every=2)
...     return carry + 1, carry
>>> with watching(lambda done, total: heard.append((done, total))):
...     announce(4)
...     _ = jax.jit(lambda: jax.lax.scan(step, 0, jnp.arange(4)))()
>>> heard
[(2, 4), (4, 4)]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["watching", "watched", "announce", "tick", "tick_each"]


class _Count:
    def __init__(self, watcher: Callable[[int, int], None]) -> None:
        self.watcher, self.done, self.total = watcher, 0, 0
        self.lock = threading.Lock()

    def add(self, n) -> None:
        with self.lock:
            self.done += int(n)
            done, total = self.done, self.total
        self.watcher(done, total)


_WATCHED: ContextVar[_Count | None] = ContextVar("irt_watched_fit", default=None)


@contextmanager
def watching(watcher: Callable[[int, int], None]) -> Iterator[None]:
    """Tell ``watcher(done, total)`` of the iterations of the fits run inside the block.

    ``total`` grows as each fit announces its iterations; ``watcher`` may be called from a thread
    of the JAX runtime, so it must be quick and thread-safe (print, count).
    """
    token = _WATCHED.set(_Count(watcher))
    try:
        yield
    finally:
        _WATCHED.reset(token)


def watched() -> bool:
    """Whether a watcher listens (the sampler layer changes nothing when none does)."""
    return _WATCHED.get() is not None


def announce(iterations: int) -> None:
    """Add ``iterations`` to the total that the watcher (if any) is told (call before the fit runs)."""
    count = _WATCHED.get()
    if count is not None:
        with count.lock:
            count.total += int(iterations)


def tick(step, *, every: int) -> None:
    """Report ``every`` iterations done when ``(step + 1) % every == 0`` (traced; ``step`` not batched).

    Call it inside a jitted loop once per iteration with the loop's counter; a host callback costs
    ~0.2 ms, so ``every`` keeps tight loops (SVI steps) to ~100 reports.
    """
    count = _WATCHED.get()
    if count is None:
        return
    import jax

    jax.lax.cond((step + 1) % every == 0, lambda: jax.debug.callback(count.add, every), lambda: None)


def tick_each(step) -> None:
    """Report one iteration done (traced; ``step`` is the loop's counter: under ``vmap`` each chain reports)."""
    count = _WATCHED.get()
    if count is None:
        return
    import jax

    jax.debug.callback(lambda _: count.add(1), step)
