"""The analysis of evaluation protocols: what each protocol does to the abilities, the gap and decay.

This package owns the analysis half of the protocols (``docs/protocols_analysis.md``):
:func:`protocol_effects` (one joint fit, effects on θ_U, θ_G and the gap), :func:`protocol_cost`,
:func:`protocol_decay`, their tables (:func:`protocol_effects_table`, :func:`protocol_decay_table`)
and figure (:func:`protocol_forest_plot`), :func:`simulate_protocol_responses`, and
:func:`verification_frame`, the model's own verdicts beside the reference scorer's, read from a
run's store. Running the protocols is :mod:`gapeval.protocols`.

The functions import the fitting stack (JAX) on first use, so ``import gapeval.protocol_analysis``
stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "protocol_cost",
    "protocol_decay",
    "protocol_decay_table",
    "protocol_effects",
    "protocol_effects_table",
    "protocol_forest_plot",
    "simulate_protocol_responses",
    "verification_frame",
]

_LAZY = {
    "protocol_effects": "gapeval.protocol_analysis.effects",
    "protocol_cost": "gapeval.protocol_analysis.cost",
    "protocol_decay": "gapeval.protocol_analysis.decay",
    "protocol_effects_table": "gapeval.protocol_analysis.tables",
    "protocol_decay_table": "gapeval.protocol_analysis.tables",
    "protocol_forest_plot": "gapeval.protocol_analysis.figures",
    "simulate_protocol_responses": "gapeval.protocol_analysis.simulate",
    "verification_frame": "gapeval.protocol_analysis.verdicts",
}


def __getattr__(name: str) -> Any:
    """Import an analysis function on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gapeval.protocol_analysis' has no attribute {name!r}")
