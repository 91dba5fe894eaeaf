"""Where a ``gap_score`` NUTS fit's CPU goes, program by program: tracing, XLA compilation, running.

    PYTHONPATH=. .venv/bin/python benchmarks/gap/phases.py --fits 2 > benchmarks/gap/timing/phases.jsonl

20 models x 600 pairs (``simulate_gap_responses(20, 600, seed=2026 + k)`` for fit k), seed 0, persistent
compilation cache off, as ``bench_warm.py``. Each compiled program of the sampler layer
(:func:`irt.inference.compiled.program`) is timed in three phases (process CPU and wall seconds):
``trace`` (tracing and lowering to HLO), ``xla`` (XLA's compilation) and ``run`` (its calls, waited for),
and so are the fit's convergence checks (``checks``: :meth:`irt.diagnostics.Diagnostics.from_draws`).
Prints one JSON line per fit: the fit's wall and CPU seconds, draws per chain, the checks made (draws,
failed checks) and the phases. Timing the calls waits for each, which the fit does anyway (it copies
every output to NumPy).
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from contextlib import contextmanager  # noqa: E402

PHASES: dict = defaultdict(lambda: {"calls": 0, "wall_s": 0.0, "cpu_s": 0.0})


@contextmanager
def _timed(label: str):
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        phase = PHASES[label]
        phase["calls"] += 1
        phase["wall_s"] += time.perf_counter() - wall
        phase["cpu_s"] += time.process_time() - cpu


class _Lowered:
    def __init__(self, name, lowered):
        self._name, self._lowered = name, lowered

    def compile(self):
        with _timed(f"{self._name}:xla"):
            return _Program(self._name, self._lowered.compile())


class _Traceable:
    def __init__(self, name, function):
        self._name, self._function = name, function

    def lower(self, *args):
        with _timed(f"{self._name}:trace"):
            return _Lowered(self._name, self._function.lower(*args))


class _Program:
    def __init__(self, name, program):
        self._name, self._program = name, program

    def __call__(self, *args):
        import jax

        with _timed(f"{self._name}:run"):
            return jax.block_until_ready(self._program(*args))


def _instrument() -> None:
    from irt import diagnostics
    from irt.inference import compiled

    program = compiled.program
    compiled.program = lambda name, layout, build, args: program(name, layout, lambda: _Traceable(name, build()), args)
    from_draws = diagnostics.Diagnostics.from_draws.__func__

    def timed_from_draws(cls, *args, **kwargs):
        with _timed("checks"):
            return from_draws(cls, *args, **kwargs)

    diagnostics.Diagnostics.from_draws = classmethod(timed_from_draws)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=2, help="fits in the process (data sets 2026, 2027, ...)")
    args = parser.parse_args()
    os.environ["GAPEVAL_JAX_CACHE"] = "off"
    _instrument()
    from gapeval.gap.score import gap_score
    from gapeval.gap.simulate import simulate_gap_responses

    for k in range(args.fits):
        PHASES.clear()
        df, _ = simulate_gap_responses(20, 600, seed=2026 + k)
        wall, cpu = time.perf_counter(), time.process_time()
        table = gap_score(df, inference="nuts", seed=0)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        info = table.attrs["result"].info
        phases = {label: {key: round(value, 2) for key, value in phase.items()} for label, phase in PHASES.items()}
        print(json.dumps({"fit": k, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "num_samples": info["num_samples"],
                          "checks": info.get("checks"), "load_1min": round(os.getloadavg()[0], 2), "phases": phases}),
              flush=True)


if __name__ == "__main__":
    main()
