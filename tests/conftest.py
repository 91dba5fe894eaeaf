"""Shared test configuration.

JAX must see two host devices before it initialises so that NUTS chains can run in parallel on the
two CI cores; this is set here (the test process's entry point), never at library import time.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("GAPEVAL_JAX_CACHE", "off")   # no compilation cache under the home folder from tests

import pytest  # noqa: E402

REFERENCE_DIR = Path(__file__).parent / "reference_data"

#: Test modules that take minutes each (set-up and calls, measured on the 2-core CI machine: the README
#: demo's 6 minutes first). They are collected first, so that under ``make test`` (pytest-xdist,
#: ``--dist loadfile``: one module per worker at a time, in collection order) a worker starts each of
#: them while the other runs the many short modules, instead of one of them running alone at the end.
LONGEST_MODULES: tuple[str, ...] = (
    "tests/gapeval/test_demo_pipeline.py",
    "tests/gapeval/gap/test_gap_score.py",
    "tests/irt/test_irt_recovery.py",
    "tests/irt/test_irt_reference_lsat7.py",
    "tests/gapeval/gap/test_gap_small_cohort.py",
    "tests/analyses/test_analyses_quick.py",
    "tests/gapeval/protocols/test_protocol_run_effects.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    """Move the tests of :data:`LONGEST_MODULES` to the front, in that order (the rest keep theirs)."""
    rank = {module: position for position, module in enumerate(LONGEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Folder holding the published reference data sets (copied from shared/reference)."""
    return REFERENCE_DIR


@pytest.fixture
def memory_map_count():
    """A function counting this process's memory maps (Linux); skips the test elsewhere.

    Compiled XLA programs hold memory maps and Linux allows 65,530 per process, so tests of repeated
    fits check that the count stays flat.
    """
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("counts Linux memory maps (/proc/self/maps)")
    return lambda: sum(1 for _ in maps.open())


@pytest.fixture
def kill_repeatedly():
    """A function that starts a writer process again and again and SIGKILLs each at a random point of its work.

    ``kill_repeatedly(start, progress, check, kills=, seed=, longest=)``: ``start()`` returns a new
    :class:`subprocess.Popen`; ``progress()`` counts what is committed so far; each process is killed
    (unless it finished) a uniform ``0..longest`` seconds after it committed something new (start-up
    time varies with the machine's load); ``check()`` runs after each process ended and returns whether
    the work was then part done. Returns (processes killed, times the work was part done).
    """
    import random
    import signal
    import time

    def loop(start, progress, check, *, kills: int, seed: int, longest: float) -> tuple[int, int]:
        rng = random.Random(seed)
        killed = part_done = before = 0
        for _ in range(kills):
            process = start()
            while process.poll() is None and progress() <= before:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, longest))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                killed += 1
            process.wait()
            part_done += bool(check())
            before = progress()
        return killed, part_done

    return loop
