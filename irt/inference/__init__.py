"""Estimators and the sampler layer.

``ESTIMATORS`` is the one literal table of :func:`irt.fit`'s methods: name -> (module implementing
``run(problem, *, seed, options)``, name of its options record in that module); modules are imported
on first use. The Bayesian methods take the shared records of :mod:`irt.inference.options`
(:class:`NUTSOptions`, :class:`SVIOptions`); :mod:`irt.inference.runners` runs NUTS and SVI on any
NumPyro model's flat unconstrained vector (what ``gapeval`` samples its models with).
"""

from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType
from typing import Any

from irt.errors import IRTError
from irt.inference.options import NUTSOptions, SVIOptions, resolve_chain_method

__all__ = ["ESTIMATORS", "load_estimator", "build_options", "NUTSOptions", "SVIOptions", "resolve_chain_method"]

ESTIMATORS: dict[str, tuple[str, str]] = {
    "nuts": ("irt.inference.nuts", "NUTSOptions"),
    "svi": ("irt.inference.svi", "SVIOptions"),
    "map": ("irt.inference.map", "Options"),
    "mml": ("irt.mml", "Options"),
}


def load_estimator(method: str) -> ModuleType:
    """Import the module implementing ``method``."""
    if method not in ESTIMATORS:
        raise IRTError(f"unknown method {method!r}; choose one of {list(ESTIMATORS)}")
    path = ESTIMATORS[method][0]
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError as error:
        if error.name == path:
            raise IRTError(f"method {method!r} is not available in this version of irt") from None
        raise


def build_options(module: ModuleType, method: str, options: dict[str, Any]):
    """Build ``method``'s options record from keyword options, naming unknown ones and the valid choices."""
    record = getattr(module, ESTIMATORS[method][1])
    fields = [f.name for f in dataclasses.fields(record)]
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise IRTError(f"unknown option(s) {unknown} for method {method!r}; valid options are {fields}")
    return record(**options)
