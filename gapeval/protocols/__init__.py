"""Evaluation protocols at run time: direct, stepwise, chain-of-thought, self-verification, best-of-N.

This package owns what a run needs to carry out a protocol (``docs/protocols.md``):
:class:`ProtocolSpec` and :func:`parse_protocol_spec` say which protocols a run uses
(:mod:`gapeval.protocols.spec`); :func:`next_action` is each protocol's step machine, carried out by
the runner (:mod:`gapeval.protocols.steps`); :mod:`gapeval.protocols.prompts` holds the instructions
each step adds and the parsers of the model's verdicts and ratings.

The analysis of a run's protocols (effects on the abilities and the gap, cost, decay, tables,
figures, the self-verification verdicts read from a store) is :mod:`gapeval.protocol_analysis`.
"""

from __future__ import annotations

from gapeval.protocols.spec import (
    KINDS,
    ProtocolSpec,
    ProtocolSpecError,
    parse_protocol_spec,
)
from gapeval.protocols.steps import Ask, Choose, is_answer_step, next_action

__all__ = [
    "KINDS",
    "Ask",
    "Choose",
    "ProtocolSpec",
    "ProtocolSpecError",
    "is_answer_step",
    "next_action",
    "parse_protocol_spec",
]
