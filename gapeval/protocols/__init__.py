"""Evaluation protocols (direct, stepwise, chain-of-thought, self-verification, best-of-N) and their analysis.

Running (``docs/protocols.md``): :class:`ProtocolSpec` and :func:`parse_protocol_spec` say which
protocols a run uses; :func:`next_action` is each protocol's step machine, carried out by the
runner; :func:`verification_frame` reads the model's own verdicts beside the reference scorer's.

Analysis (``docs/protocols_analysis.md``): :func:`protocol_effects`, :func:`protocol_cost`,
:func:`protocol_decay`, their tables and figure, and :func:`simulate_protocol_responses`. These
import the fitting stack (JAX) on first use, so ``import gapeval.protocols`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from gapeval.protocols.spec import (
    KINDS,
    ProtocolSpec,
    ProtocolSpecError,
    parse_protocol_spec,
)
from gapeval.protocols.steps import Ask, Choose, is_answer_step, next_action
from gapeval.protocols.verdicts import verification_frame

__all__ = [
    "KINDS",
    "Ask",
    "Choose",
    "ProtocolSpec",
    "ProtocolSpecError",
    "is_answer_step",
    "next_action",
    "parse_protocol_spec",
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
    "protocol_effects": "gapeval.protocols.effects",
    "protocol_cost": "gapeval.protocols.cost",
    "protocol_decay": "gapeval.protocols.decay",
    "protocol_effects_table": "gapeval.protocols.tables",
    "protocol_decay_table": "gapeval.protocols.tables",
    "protocol_forest_plot": "gapeval.protocols.figures",
    "simulate_protocol_responses": "gapeval.protocols.simulate",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gapeval.protocols' has no attribute {name!r}")
