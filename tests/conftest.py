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
