"""The one catalogue of adapters: a literal dict of lazy loaders.

:data:`ADAPTERS` maps an adapter name to ``"module:factory"``. Nothing is imported until an adapter
is asked for, so importing :mod:`gapeval` never pulls in torch, transformers or an HTTP SDK. When
an adapter's module (or :func:`gapeval.extras.require`, called inside an adapter) misses an optional
dependency, the error (:class:`gapeval.extras.MissingExtraError`) says which extra to install:
``install gapeval[hf]``.

Examples
--------
>>> adapter = create_adapter("scripted", {"script": {"q1": "B"}})
>>> type(adapter).__name__
'ScriptedAdapter'
>>> create_adapter("nope", {})
Traceback (most recent call last):
    ...
gapeval.adapters.registry.UnknownAdapterError: unknown adapter 'nope'; known: diffusers, \
hf-emu3, hf-janus, hf-llava, hf-qwen2.5-vl, openai-http, procedural, scripted, scripted-async, \
simulated
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from gapeval.adapters.base import AdapterOptionError
from gapeval.errors import GapevalError
from gapeval.extras import missing_extra

__all__ = [
    "ADAPTERS",
    "UnknownAdapterError",
    "create_adapter",
    "load_factory",
]

#: Adapter name -> ``"module:factory"``. The factory is called with the adapter's options as
#: keyword arguments and returns an object satisfying :class:`~gapeval.adapters.base.Adapter` or
#: :class:`~gapeval.adapters.base.AsyncAdapter`. Add new adapters here, and only here. Model clients
#: live in :mod:`gapeval.adapters`; the programs that answer without a model (the procedural
#: baseline, the simulated respondent) in :mod:`gapeval.respondents`. These strings are data: the
#: registry imports none of them until asked.
ADAPTERS: dict[str, str] = {
    "procedural": "gapeval.respondents.procedural:ProceduralAdapter",
    "simulated": "gapeval.respondents.simulated:SimulatedAdapter",
    "hf-janus": "gapeval.adapters.hf_janus:JanusAdapter",
    "hf-emu3": "gapeval.adapters.hf_emu3:Emu3Adapter",
    "hf-qwen2.5-vl": "gapeval.adapters.hf_vlm:QwenVLAdapter",
    "hf-llava": "gapeval.adapters.hf_vlm:LlavaAdapter",
    "diffusers": "gapeval.adapters.diffusers_pipeline:DiffusersAdapter",
    "openai-http": "gapeval.adapters.openai_http:OpenAIHTTPAdapter",
    "scripted": "gapeval.adapters.scripted:ScriptedAdapter",
    "scripted-async": "gapeval.adapters.scripted:AsyncScriptedAdapter",
}


class UnknownAdapterError(GapevalError):
    """No adapter of that name in :data:`ADAPTERS`."""


def load_factory(name: str) -> Callable[..., Any]:
    """Import and return the factory of adapter ``name``.

    Raises
    ------
    UnknownAdapterError
        If ``name`` is not in :data:`ADAPTERS`.
    gapeval.extras.MissingExtraError
        If the adapter's module needs an optional dependency that is not installed.
    """
    if name not in ADAPTERS:
        raise UnknownAdapterError(f"unknown adapter {name!r}; known: {', '.join(sorted(ADAPTERS))}")
    module_name, _, attribute = ADAPTERS[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        missing = error.name or module_name
        if missing == module_name or module_name.startswith(f"{missing}."):
            raise
        raise missing_extra(missing, needed_by=f"adapter {name!r}") from error
    return getattr(module, attribute)


def create_adapter(name: str, options: Mapping[str, Any]) -> Any:
    """Build adapter ``name`` with ``options`` (its factory's keyword arguments); do not load it.

    Parameters
    ----------
    name : str
        A key of :data:`ADAPTERS`.
    options : mapping
        Keyword arguments of the factory; unknown or missing ones are reported, never dropped.

    Raises
    ------
    UnknownAdapterError, gapeval.extras.MissingExtraError, AdapterOptionError

    Examples
    --------
    >>> create_adapter("scripted", {"colour": "red"})
    Traceback (most recent call last):
        ...
    gapeval.adapters.base.AdapterOptionError: adapter 'scripted' has no option 'colour'; \
valid options: capabilities, default, delay_s, name, script
    """
    factory = load_factory(name)
    parameters = inspect.signature(factory).parameters
    valid = [p for p, spec in parameters.items() if spec.kind is not spec.VAR_KEYWORD]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise AdapterOptionError(
            f"adapter {name!r} has no option{plural} {', '.join(map(repr, unknown))}; "
            f"valid options: {', '.join(sorted(valid))}"
        )
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    required = [
        p for p, spec in parameters.items() if spec.default is spec.empty and spec.kind in named
    ]
    missing = [p for p in required if p not in options]
    if missing:
        raise AdapterOptionError(
            f"adapter {name!r} needs option{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(repr, missing))}; give it in the model spec"
        )
    try:
        return factory(**dict(options))
    except (TypeError, ValueError) as error:
        if isinstance(error, GapevalError):
            raise
        message = _first_line(error)
        raise AdapterOptionError(f"adapter {name!r} rejected its options: {message}") from error


def _first_line(error: Exception) -> str:
    """One line about ``error``; for a pydantic validation error, the first field and problem."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
    return str(error).splitlines()[0] if str(error) else type(error).__name__
