"""gapeval: does a multimodal model understand as well as it generates?

The benchmark side of the toolkit: item banks, adapters, runner, store, scorers, the Gap Score,
decay models, tables and the command line. It stands on the standalone IRT library :mod:`irt`.

Importing this package never imports torch, transformers or diffusers; the functions that need
them import them when called.
"""

from __future__ import annotations

import irt  # noqa: F401  (light: it asks JAX for one CPU device per core before JAX starts, see irt._host)

__version__ = "0.1.0"

__all__ = ["__version__", "gap_score", "gap_compare", "joint_table"]

_LAZY = {"gap_score": "gapeval.gap.score", "gap_compare": "gapeval.gap.compare", "joint_table": "gapeval.gap.joint"}


def __getattr__(name: str):
    """Import the Gap Score functions on first use, so that ``import gapeval`` stays light."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gapeval' has no attribute {name!r}")
