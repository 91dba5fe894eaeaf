"""Shared test configuration.

JAX must see two host devices before it initialises so that NUTS chains can run in parallel on the
two CI cores; this is set here (the test process's entry point), never at library import time.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

REFERENCE_DIR = Path(__file__).parent / "reference_data"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Folder holding the published reference data sets (copied from shared/reference)."""
    return REFERENCE_DIR
