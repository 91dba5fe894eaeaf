"""Protocol specs: which evaluation protocol a run uses, under which label, with which options.

On the command line a protocol is ``KIND[:key=value,...]`` (like a model spec), e.g. ``direct``,
``cot``, ``stepwise``, ``self-verify:rounds=3`` or ``best-of-n:n=4,picker=self``. The option
``name`` sets the label stored with every answer (the ``protocol`` column of the long table); it
defaults to the kind, so two variants of one kind in a run need names
(``best-of-n:n=2,name=bo2``). In a TOML config a protocol is a ``[[protocols]]`` table with
``kind = "..."`` and the same options.

Kinds
-----
``direct``
    One call: the item as asked.
``cot``
    Chain of thought: the model first writes its reasoning (step ``thought``), then answers with the
    reasoning in its history (``final``).
``stepwise``
    Decomposition. A generation item: the model rewrites the request with the knowledge it needs
    (``rewrite``), then draws from its own rewrite (``final``). An understanding item: the model
    first draws an image that helps (``sketch``), then answers with that image in its history.
``self-verify``
    The model answers (``candidate-1``), judges its own answer (``verify-1``: YES or NO); after a NO
    it tries again (``candidate-2``), up to ``rounds`` candidates. The ``final`` row repeats the
    accepted candidate (or the last one) without a new call.
``best-of-n``
    ``n`` candidates with different seeds (``candidate-1`` has the direct answer's seed), then the
    ``picker`` chooses: ``self`` (the model rates each candidate 0-10, steps ``rate-k``; the best
    rating wins, ties to the lowest k) or ``first`` (no rating: candidate 1; a control). The
    ``final`` row repeats the chosen candidate. With ``n=1`` it equals ``direct``.

Examples
--------
>>> parse_protocol_spec("best-of-n:n=4")
ProtocolSpec(name='best-of-n', kind='best-of-n', n=4, picker='self', rounds=2)
>>> parse_protocol_spec("self-verify:rounds=3,name=sv3").name
'sv3'
>>> parse_protocol_spec("cot:n=2")
Traceback (most recent call last):
    ...
gapeval.protocols.spec.ProtocolSpecError: protocol 'cot:n=2': option 'n' does not apply to cot \
(it takes: name)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError

from gapeval.errors import GapevalError
from gapeval.records._base import Record
from gapeval.spec_text import split_spec

__all__ = ["KINDS", "ProtocolSpec", "ProtocolSpecError", "parse_protocol_spec", "protocol_from_mapping"]

#: The protocol kinds and the options each takes (besides ``name``).
KINDS: dict[str, tuple[str, ...]] = {
    "direct": (),
    "cot": (),
    "stepwise": (),
    "self-verify": ("rounds",),
    "best-of-n": ("n", "picker"),
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+\-]*$")


class ProtocolSpecError(GapevalError):
    """A protocol spec could not be read."""


class ProtocolSpec(Record):
    """One evaluation protocol of a run (see the module docstring)."""

    name: str = Field(min_length=1, pattern=_NAME.pattern)
    """Label stored with every answer (the ``protocol`` column); unique within a run."""
    kind: Literal["direct", "cot", "stepwise", "self-verify", "best-of-n"]
    """What the protocol does."""
    n: int = Field(default=4, ge=1, le=64)
    """``best-of-n``: candidates per item."""
    picker: Literal["self", "first"] = "self"
    """``best-of-n``: who picks the candidate (``self``: the model's own 0-10 ratings)."""
    rounds: int = Field(default=2, ge=1, le=16)
    """``self-verify``: the most candidates (1 = answer and verify once, no retry)."""

    def options(self) -> dict[str, Any]:
        """The options that define the protocol (what a resumed run must share)."""
        return {"kind": self.kind, **{key: getattr(self, key) for key in KINDS[self.kind]}}

    @property
    def extra_calls(self) -> str:
        """The calls per item beyond the direct one, in words (for docs and reports)."""
        return {
            "direct": "none",
            "cot": "1 (the thought)",
            "stepwise": "1 (the rewrite or the sketch)",
            "self-verify": f"1 verdict per candidate, up to {self.rounds} candidates",
            "best-of-n": f"{self.n - 1} more candidate{'' if self.n == 2 else 's'}"
            + (f" + {self.n} ratings" if self.picker == "self" and self.n > 1 else ""),
        }[self.kind]


def _build(kind: str, options: dict[str, Any], *, where: str) -> ProtocolSpec:
    if kind not in KINDS:
        raise ProtocolSpecError(f"protocol {where}: unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    name = str(options.pop("name", kind))
    if name in KINDS and name != kind:
        raise ProtocolSpecError(f"protocol {where}: the label {name!r} is the name of another kind; pick another name")
    for key in options:
        if key not in KINDS[kind]:
            takes = ", ".join(("name", *KINDS[kind]))
            raise ProtocolSpecError(f"protocol {where}: option {key!r} does not apply to {kind} (it takes: {takes})")
    try:
        return ProtocolSpec(name=name, kind=kind, **options)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(map(str, first["loc"]))
        raise ProtocolSpecError(f"protocol {where}: {field}: {first['msg']}") from error


def parse_protocol_spec(text: str) -> ProtocolSpec:
    """Read a command-line protocol spec ``KIND[:key=value,...]`` (see the module docstring)."""
    try:
        kind, options = split_spec(text, example="best-of-n:n=4,picker=self")
    except ValueError as error:
        raise ProtocolSpecError(f"protocol {text!r}: {error}") from None
    return _build(kind, options, where=repr(text))


def protocol_from_mapping(table: Mapping[str, Any]) -> ProtocolSpec:
    """Read a protocol from a TOML table ``{kind = ..., name = ..., <options>}``."""
    options = dict(table)
    kind = options.pop("kind", None)
    if not isinstance(kind, str) or not kind:
        raise ProtocolSpecError(f"protocol table {dict(table)!r} needs kind = \"<protocol kind>\"")
    return _build(kind, options, where=repr(dict(table)))
