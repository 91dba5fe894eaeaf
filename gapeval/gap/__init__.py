"""The Gap Score: understanding vs generation ability, joint tables, and the legacy GapEval score.

``gap_score`` fits a two-dimensional IRT model over all models jointly (docs/methods.md §2);
``legacy_gap_score`` reproduces the GapEval-2026 reference implementation for comparison only.
``standardize_responses`` is :func:`gapeval.responses.standardize_responses`, the one validator of
the long table.

The names below are imported on first use, and only a fit imports JAX and NumPyro
(:mod:`gapeval.gap.fit`), so ``from gapeval.gap import gap_score`` is light.
"""

from __future__ import annotations

import importlib

__all__ = [
    "gap_score", "gap_compare", "GapResult", "GAP_COLUMNS", "OneDirectionWarning", "joint_table",
    "legacy_gap_score", "legacy_gap_score_from_responses", "LEGACY_METHOD", "standardize_responses",
    "GapTruth", "simulate_gap_responses",
]

#: Public name -> the module that defines it (imported on first use).
_LAZY: dict[str, str] = {
    "gap_score": "gapeval.gap.score", "GAP_COLUMNS": "gapeval.gap.score", "OneDirectionWarning": "gapeval.gap.score",
    "gap_compare": "gapeval.gap.compare", "GapResult": "gapeval.gap.result", "joint_table": "gapeval.gap.joint",
    "legacy_gap_score": "gapeval.gap.legacy", "legacy_gap_score_from_responses": "gapeval.gap.legacy",
    "LEGACY_METHOD": "gapeval.gap.legacy", "GapTruth": "gapeval.gap.simulate",
    "simulate_gap_responses": "gapeval.gap.simulate", "standardize_responses": "gapeval.responses",
}


def __getattr__(name: str):
    """Import a public name on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module 'gapeval.gap' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
