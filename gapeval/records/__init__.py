"""Typed records shared by the runner, the adapters and the store.

They are frozen pydantic models that round-trip through JSON and do not depend on the item bank:
an item id is a plain string and a turn index a plain integer.

- :class:`TextPart` / :class:`ImagePart` (a tagged union :data:`Part`) and :class:`Message`;
- :class:`TurnRequest` (whole interleaved history, :class:`OutputSpec`, :class:`Decoding`, seed);
- :class:`TurnResult` (status ``ok | refused | error | unsupported``, output part, :class:`Usage`);
- :func:`derive_seed`, the per-request seed.

Examples
--------
>>> from gapeval.records import Message, OutputSpec, TextPart, TurnRequest, derive_seed
>>> request = TurnRequest(
...     request_id="r1", model="mock", item="q1", seed=derive_seed(0, "q1", None, 0),
...     history=(Message(role="user", parts=(TextPart(text="Draw a red square."),)),),
...     output=OutputSpec(kind="image", width=64, height=64),
... )
>>> request.direction, request.unit
('generation', 'q1')
"""

from __future__ import annotations

from gapeval.records.parts import ImagePart, Message, Origin, Part, TextPart, encode_png
from gapeval.records.seeds import MAX_SEED, derive_seed
from gapeval.records.turns import Decoding, ItemInfo, OutputSpec, TurnRequest, TurnResult, Usage

__all__ = [
    "MAX_SEED",
    "Decoding",
    "ImagePart",
    "ItemInfo",
    "Message",
    "Origin",
    "OutputSpec",
    "Part",
    "TextPart",
    "TurnRequest",
    "TurnResult",
    "Usage",
    "derive_seed",
    "encode_png",
]
