"""Model specs: which adapter answers, under which respondent name, with which options.

On the command line a spec is ``ADAPTER[:key=value,key=value...]``; values are read as JSON when
they parse (numbers, ``true``/``false``, ``null``, quoted strings) and kept as text otherwise. The
option ``name`` sets the respondent's name (the ``model`` column of the long table); it defaults to
the adapter name. Two more options belong to the runner, not the adapter: ``include`` (``all``,
``items`` or ``dialogues``) and ``limit`` (the first N items and N dialogues) narrow what this one
model is asked, within the run's own selection — e.g. a slow model on a subset. In a TOML config a
spec is a table ``{adapter = "...", name = "...", ...}``.

Examples
--------
>>> parse_model_spec("procedural")
ModelSpec(name='procedural', adapter='procedural', options={})
>>> spec = parse_model_spec("simulated:theta_understanding=1.5,name=sim-a")
>>> spec.name, spec.adapter, spec.options
('sim-a', 'simulated', {'theta_understanding': 1.5})
>>> parse_model_spec("hf-janus:weights=/models/janus 1b,dtype=bf16").options
{'weights': '/models/janus 1b', 'dtype': 'bf16'}
>>> spec = parse_model_spec("hf-janus:weights=/w,include=items,limit=100")
>>> spec.include, spec.limit, spec.options
('items', 100, {'weights': '/w'})
>>> parse_model_spec("simulated:theta")
Traceback (most recent call last):
    ...
gapeval.model_spec.ModelSpecError: model spec 'simulated:theta': option 'theta' has no value; \
write key=value pairs separated by commas, e.g. simulated:theta_understanding=1.0,name=sim-a
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, JsonValue, ValidationError

from gapeval.errors import GapevalError
from gapeval.records._base import Record
from gapeval.spec_text import split_spec

__all__ = ["ModelSpec", "ModelSpecError", "parse_model_spec", "spec_from_mapping"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+\-]*$")


class ModelSpecError(GapevalError):
    """A model spec could not be read."""


class ModelSpec(Record):
    """One respondent of a run: its name, its adapter and the adapter's options."""

    name: str = Field(min_length=1)
    """Respondent name (the ``model`` column of the long table; unique within a run)."""
    adapter: str = Field(min_length=1)
    """Key of :data:`gapeval.adapters.registry.ADAPTERS`."""
    options: dict[str, JsonValue] = Field(default_factory=dict)
    """Keyword arguments of the adapter's factory."""
    include: Literal["all", "items", "dialogues"] | None = None
    """Ask this model only items or only dialogues (``None``: the run's setting)."""
    limit: int | None = Field(default=None, ge=1)
    """Ask this model only the first ``limit`` items and dialogues (``None``: the run's setting)."""

    def __repr__(self) -> str:
        return f"ModelSpec(name={self.name!r}, adapter={self.adapter!r}, options={self.options!r})"


def _checked(name: str, adapter: str, options: dict[str, Any], *, where: str) -> ModelSpec:
    if not _NAME.match(name):
        raise ModelSpecError(
            f"model spec {where}: name {name!r} must start with a letter or digit and hold only "
            "letters, digits and . _ + -"
        )
    runner = {key: options.pop(key) for key in ("include", "limit") if key in options}
    try:
        return ModelSpec(name=name, adapter=adapter, options=options, **runner)
    except ValidationError as error:
        first = error.errors()[0]
        raise ModelSpecError(
            f"model spec {where}: {'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from error


def parse_model_spec(text: str) -> ModelSpec:
    """Read a command-line model spec ``ADAPTER[:key=value,...]`` (see the module docstring)."""
    try:
        adapter, options = split_spec(text, example="simulated:theta_understanding=1.0,name=sim-a")
    except ValueError as error:
        raise ModelSpecError(f"model spec {text!r}: {error}") from None
    if not adapter:
        raise ModelSpecError(f"model spec {text!r} names no adapter; write e.g. procedural")
    name = str(options.pop("name", adapter))
    return _checked(name, adapter.strip(), options, where=repr(text))


def spec_from_mapping(table: Mapping[str, Any]) -> ModelSpec:
    """Read a model spec from a TOML table ``{adapter = ..., name = ..., <options>}``."""
    options = dict(table)
    adapter = options.pop("adapter", None)
    if not isinstance(adapter, str) or not adapter:
        raise ModelSpecError(f"model table {dict(table)!r} needs adapter = \"<adapter name>\"")
    name = str(options.pop("name", adapter))
    return _checked(name, adapter, options, where=repr(dict(table)))
