"""The one progress display of long work: answering, scoring, fitting, the report.

A :class:`Progress` counts units of one step at a time (calls of a model, answers scored, iterations
of a fit) and writes a status line with the rate and an estimate of the time left, at most every
``every_s`` seconds and once at the end of the step, to a stream (standard error by default):
rewritten in place on a terminal, one line per update otherwise (log files). By default it shows
only on a terminal; ``enabled=True`` (the command line's ``--progress``) shows it in a log too and
``enabled=False`` (``--quiet``) never. Callers hand it counts: the runner calls :meth:`advance`,
the scorer :meth:`counter`'s callback, and fits run inside :meth:`phase` are counted by the
sampler layer's iteration ticks (:mod:`irt.inference.ticks`).

Examples
--------
>>> import io
>>> stream = io.StringIO()
>>> progress = Progress(stream=stream, every_s=0.0, clock=iter(range(100)).__next__, enabled=True)
>>> progress.start("sim-a", total=4)
>>> progress.advance(ok=3, errors=1)
>>> progress.finish()
>>> print(stream.getvalue().splitlines()[-1])
sim-a: 4/4 calls (100%), 2.0/s, left 0:00:00, 1 errors, done in 0:00:02
>>> count = progress.counter("scoring", unit="answers")
>>> count(5, 10)
>>> print(stream.getvalue().splitlines()[-1])
scoring: 5/10 answers (50%), 5.0/s, left ?
>>> count(10, 10)
>>> print(stream.getvalue().splitlines()[-1])
scoring: 10/10 answers (100%), 2.5/s, left 0:00:00, done in 0:00:03
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Progress", "silent"]


def _clock_text(seconds: float) -> str:
    return str(dt.timedelta(seconds=round(max(seconds, 0.0))))


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """Counts the units of one step at a time and prints a status line now and then.

    Parameters
    ----------
    stream : text stream, optional
        Where lines go (default standard error).
    every_s : float, optional
        Least seconds between two lines of a step (default 0.5 on a terminal, 10 in a log).
    clock : callable
        Seconds now (tests pass a fake clock).
    enabled : bool, optional
        Show lines: ``None`` (default) only when ``stream`` is a terminal, ``True`` always,
        ``False`` never.
    """

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        every_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = _is_terminal(self.stream)
        self.every_s = every_s if every_s is not None else (0.5 if self.terminal else 10.0)
        self.clock = clock
        self.enabled = self.terminal if enabled is None else enabled
        self.label, self.unit, self.total, self.done, self.errors = "", "calls", 0, 0, 0
        self._started = self._shown = 0.0
        self._first: tuple[float, int] | None = None
        self._width = 0
        self._lock = threading.Lock()

    def start(self, label: str, *, total: int, unit: str = "calls") -> None:
        """Begin counting ``total`` ``unit`` of the step ``label`` (a model name, ``scoring``, ...)."""
        self.label, self.unit, self.total, self.done, self.errors = label, unit, total, 0, 0
        self._started = self._shown = self.clock()
        self._first: tuple[float, int] | None = None

    def advance(self, *, ok: int = 0, errors: int = 0) -> None:
        """Count ``ok`` finished units (for calls: any stored status) and ``errors`` (logged errors)."""
        self.done += ok + errors
        self.errors += errors
        self._maybe_show()

    def update(self, done: int, total: int) -> None:
        """Set the count to ``done`` of ``total`` (callbacks that know both; may come from another thread)."""
        self.done, self.total = done, total
        self._maybe_show()

    def counter(self, label: str, *, unit: str) -> Callable[[int, int], None]:
        """Start the step ``label`` and return its callback ``(done, total)`` (e.g. ``score_run``'s ``progress``).

        The step finishes (its last line is printed) when ``done`` reaches ``total``.
        """
        self.start(label, total=0, unit=unit)

        def count(done: int, total: int) -> None:
            self.update(done, total)
            if done >= total:
                self.finish()

        return count

    @contextmanager
    def phase(self, label: str, *, unit: str = "iterations") -> Iterator[None]:
        """Show the step ``label`` while the block runs; the fits inside report their iterations.

        The sampler layer announces and ticks the iterations of every NUTS and SVI run in the block
        (:func:`irt.inference.ticks.watching`); a step without such fits (a Laplace fit, whose
        iterations are not known ahead) shows its time so far every ``every_s`` seconds instead,
        so that it never looks hung.
        """
        from irt.inference.ticks import watching

        self.start(label, total=0, unit=unit)
        self._write(f"{label} ...", final=not self.terminal)
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(stop,), daemon=True)
        if self.enabled:
            beat.start()
        try:
            with watching(self.update):
                yield
        finally:
            stop.set()
            if beat.is_alive():
                beat.join()
        self.finish()

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(max(self.every_s, 0.1)):
            if not self.total:  # nothing counted: say it is still working
                self._write(self.line(self.clock()), final=False)

    def wait(self, seconds: float, why: str) -> None:
        """Say that a call waits ``seconds`` before a retry, and ``why`` (always shown when enabled: waits matter)."""
        self._write(f"{self.label}: waiting {seconds:g} s {why}", final=True)

    def finish(self) -> None:
        """Print the final line of the current step."""
        now = self.clock()
        self._write(self.line(now) + f", done in {_clock_text(now - self._started)}", final=True)

    def line(self, now: float) -> str:
        """The status text at time ``now``.

        The rate counts from the first units done (a fit's compilation or a model's loading before
        them would make the time left too long); the time left shows ``?`` until a second count.
        """
        elapsed = max(now - self._started, 1e-9)
        if not self.total:
            return f"{self.label}: {_clock_text(elapsed)} elapsed"
        rate = self.done / elapsed
        measured = self._first is not None and now > self._first[0] and self.done > self._first[1]
        if measured:
            rate = (self.done - self._first[1]) / (now - self._first[0])
        left = (self.total - self.done) / rate if rate > 0 and (measured or self.done >= self.total) else float("nan")
        share = 100.0 * self.done / self.total
        left_text = _clock_text(left) if left == left else "?"
        text = f"{self.label}: {self.done}/{self.total} {self.unit} ({share:.0f}%), {rate:.1f}/s, left {left_text}"
        return text + (f", {self.errors} errors" if self.unit == "calls" else "")

    def _maybe_show(self) -> None:
        now = self.clock()
        if self._first is None and self.done > 0:
            self._first = (now, self.done)
        if now - self._shown >= self.every_s:
            self._shown = now
            self._write(self.line(now), final=False)

    def _write(self, text: str, *, final: bool) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self.terminal:  # rewrite the line in place; a final line stays
                self.stream.write("\r" + text.ljust(self._width) + ("\n" if final else ""))
                self._width = 0 if final else len(text)
            else:
                self.stream.write(text + "\n")
            self.stream.flush()


def silent() -> Progress:
    """A progress object that prints nothing."""
    return Progress(enabled=False)

