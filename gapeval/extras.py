"""Optional dependencies: which extra of ``pyproject.toml`` provides each, and importing them.

This module owns :data:`EXTRAS` (the top-level import name of an optional dependency -> its
extra), :class:`MissingExtraError` and :func:`require`, which imports an optional dependency or
fails with the extra to install (``install gapeval[hf]``). Adapters, the runner (Ray, Parquet
export) and any other module that needs a heavy library import it from here, inside the function
that needs it, so importing :mod:`gapeval` never pulls the library in.

Examples
--------
>>> print(missing_extra("transformers.models", needed_by="adapter 'x'"))
adapter 'x' needs 'transformers', which is not installed; install gapeval[hf]
"""

from __future__ import annotations

import importlib
from types import ModuleType

from gapeval.errors import GapevalError

__all__ = ["EXTRAS", "MissingExtraError", "missing_extra", "require"]

#: Top-level import name of an optional dependency -> the extra of ``pyproject.toml`` providing it.
EXTRAS: dict[str, str] = {
    "torch": "torch",
    "transformers": "hf",
    "tokenizers": "hf",
    "diffusers": "diffusers",
    "httpx": "http",
    "tenacity": "http",
    "pyarrow": "parquet",
    "ray": "ray",
}


class MissingExtraError(GapevalError, ImportError):
    """Something needs an optional dependency that is not installed."""


def missing_extra(module: str, *, needed_by: str) -> MissingExtraError:
    """The error saying that ``needed_by`` needs ``module`` (its top-level package) and how to get it."""
    top = module.split(".")[0]
    extra = EXTRAS.get(top)
    fix = f"install gapeval[{extra}]" if extra else f"install the package providing '{top}'"
    return MissingExtraError(f"{needed_by} needs '{top}', which is not installed; {fix}")


def require(module: str, *, needed_by: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtraError` naming the extra to install.

    Adapters call this inside ``load()`` for their heavy dependencies.

    Examples
    --------
    >>> require("json", needed_by="adapter 'x'").__name__
    'json'
    >>> require("transformers_not_here", needed_by="adapter 'x'")
    Traceback (most recent call last):
        ...
    gapeval.extras.MissingExtraError: adapter 'x' needs 'transformers_not_here', \
which is not installed; install the package providing 'transformers_not_here'
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        missing = error.name or module
        raise missing_extra(missing, needed_by=needed_by) from error
