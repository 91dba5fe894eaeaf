"""A progress display for long runs: answers done, rate, time left, errors.

The display writes one line at most every ``every_s`` seconds (and a last one at the end) to a
stream, by default standard error: rewritten in place on a terminal, one line per update
otherwise (log files). It is plain data in, text out; the runner calls :meth:`Progress.advance`.

Examples
--------
>>> import io
>>> stream = io.StringIO()
>>> progress = Progress(stream=stream, every_s=0.0, clock=iter(range(100)).__next__)
>>> progress.start("sim-a", total=4)
>>> progress.advance(ok=3, errors=1)
>>> progress.finish()
>>> print(stream.getvalue().splitlines()[-1])
sim-a: 4/4 calls (100%), 2.0/s, left 0:00:00, 1 errors, done in 0:00:02
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress", "silent"]


def _clock_text(seconds: float) -> str:
    return str(dt.timedelta(seconds=round(max(seconds, 0.0))))


class Progress:
    """Counts calls of one model at a time and prints a status line now and then."""

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        every_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool = True,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.every_s = every_s
        self.clock = clock
        self.enabled = enabled
        self.label, self.total, self.done, self.errors = "", 0, 0, 0
        self._started = self._shown = 0.0

    def start(self, label: str, *, total: int) -> None:
        """Begin counting ``total`` calls of ``label`` (a model name)."""
        self.label, self.total, self.done, self.errors = label, total, 0, 0
        self._started = self._shown = self.clock()

    def advance(self, *, ok: int = 0, errors: int = 0) -> None:
        """Count ``ok`` finished calls (any stored status) and ``errors`` (logged errors)."""
        self.done += ok + errors
        self.errors += errors
        now = self.clock()
        if now - self._shown >= self.every_s:
            self._shown = now
            self._show(now, final=False)

    def wait(self, seconds: float, why: str) -> None:
        """Say that a call waits ``seconds`` before a retry, and ``why`` (always shown: waits matter)."""
        if self.enabled:
            self.stream.write(("\n" if self.stream.isatty() else "") + f"{self.label}: waiting {seconds:g} s {why}\n")
            self.stream.flush()

    def finish(self) -> None:
        """Print the final line of the current model."""
        self._show(self.clock(), final=True)

    def line(self, now: float) -> str:
        """The status text at time ``now``."""
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        share = 100.0 * self.done / self.total if self.total else 100.0
        left_text = _clock_text(left) if left == left else "?"
        return (
            f"{self.label}: {self.done}/{self.total} calls ({share:.0f}%), {rate:.1f}/s, "
            f"left {left_text}, {self.errors} errors"
        )

    def _show(self, now: float, *, final: bool) -> None:
        if not self.enabled:
            return
        text = self.line(now)
        if final:
            text += f", done in {_clock_text(now - self._started)}"
        if self.stream.isatty() and not final:
            self.stream.write("\r" + text)
        else:
            self.stream.write(("\r" if self.stream.isatty() else "") + text + "\n")
        self.stream.flush()


def silent() -> Progress:
    """A progress object that prints nothing."""
    return Progress(enabled=False)
