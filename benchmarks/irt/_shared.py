"""Helpers shared by the ``irt`` benchmarks: recovery scores, JAX compile timing, machine facts, tables.

Runs in the project environment. Importing this module does not import JAX; :class:`CompileClock`
imports it when first used, so scripts can set ``XLA_FLAGS`` before that.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["recovery", "CompileClock", "cpu_seconds", "peak_rss_mb", "machine_facts", "markdown_table", "simulate_case",
           "emit_json_line"]

#: JAX's monitoring events whose durations add up to the time spent tracing, lowering and compiling.
COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration", "/jax/core/compile/jaxpr_to_mlir_module_duration",
                  "/jax/core/compile/backend_compile_duration")


def simulate_case(*, num_respondents: int, num_items: int, num_dims: int, seed: int):
    """A benchmark case's 2PL data and truth; with ``num_dims > 1`` the items load on consecutive blocks."""
    import irt

    q = None
    if num_dims > 1:
        q = np.zeros((num_items, num_dims), dtype=int)
        for k, block in enumerate(np.array_split(np.arange(num_items), num_dims)):
            q[block, k] = 1
    return irt.simulate("2pl", num_respondents=num_respondents, num_items=num_items, q_matrix=q, seed=seed)


def recovery(estimate: np.ndarray, truth: np.ndarray, *, lower: np.ndarray | None = None,
             upper: np.ndarray | None = None) -> dict[str, float]:
    """Pearson r and RMSE of ``estimate`` against ``truth`` (1-D), and interval coverage when given.

    >>> recovery(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.5]))["r"] > 0.99
    True
    """
    estimate, truth = np.asarray(estimate, float).ravel(), np.asarray(truth, float).ravel()
    ok = np.isfinite(estimate)
    out = {"r": float(np.corrcoef(estimate[ok], truth[ok])[0, 1]) if ok.sum() > 2 else float("nan"),
           "rmse": float(np.sqrt(np.mean((estimate[ok] - truth[ok]) ** 2))) if ok.any() else float("nan"),
           "missing": int((~ok).sum())}
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, float).ravel(), np.asarray(upper, float).ravel()
        out["coverage"] = float(np.mean((lo <= truth) & (truth <= hi)))
        out["mean_width"] = float(np.mean(hi - lo))
    return out


class CompileClock:
    """Adds up JAX's trace, lowering and XLA compile durations (seconds) while it is open.

    One process-wide listener is registered on first use; each ``with`` block reads the difference.
    """

    _totals: dict[str, float] = {}
    _registered = False

    def __enter__(self) -> "CompileClock":
        if not CompileClock._registered:
            import jax

            def listen(event: str, duration: float, **_: object) -> None:
                if event in COMPILE_EVENTS:
                    CompileClock._totals[event] = CompileClock._totals.get(event, 0.0) + duration

            jax.monitoring.register_event_duration_secs_listener(listen)
            CompileClock._registered = True
        self._start = sum(CompileClock._totals.values())
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = sum(CompileClock._totals.values()) - self._start


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass(frozen=True)
class MachineFacts:
    """What the timings ran on, and how busy it was."""

    cpus: int
    cpu_model: str
    memory_gb: float
    load_average: tuple[float, float, float]
    python: str
    when_utc: str


def machine_facts() -> MachineFacts:
    """CPU count and model, memory, the 1/5/15-minute load averages and the time (UTC)."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    return MachineFacts(cpus=os.cpu_count() or 0, cpu_model=model, memory_gb=round(memory, 1),
                        load_average=tuple(round(x, 2) for x in os.getloadavg()), python=platform.python_version(),
                        when_utc=time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()))


def emit_json_line(record: dict, out: str | Path | None) -> None:
    """Print ``record`` as one JSON line and append it to ``out`` (when given) at once, so a stopped run
    keeps what it measured."""
    line = json.dumps(record)
    print(line, flush=True)
    if out:
        with Path(out).open("a") as fh:
            print(line, file=fh)


def uptime_line() -> str:
    """The output of ``uptime`` (load averages as the shell shows them)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "uptime unavailable"


def markdown_table(rows: list[dict], columns: list[str], *, digits: int = 3) -> str:
    """Render ``rows`` (dicts) as a Markdown table with the given columns; floats are rounded.

    >>> print(markdown_table([{"a": 1.23456, "b": "x"}], ["a", "b"], digits=2))
    | a | b |
    |---|---|
    | 1.23 | x |
    """
    def cell(value: object) -> str:
        if isinstance(value, float):
            return "nan" if not np.isfinite(value) else f"{value:.{digits}f}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)
