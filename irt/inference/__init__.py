"""Estimators. Each module exposes an ``Options`` frozen dataclass and ``run(problem, *, seed, options)``.

``ESTIMATORS`` is the one literal table of methods: name -> module path (imported on first use).
"""

from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType
from typing import Any

__all__ = ["ESTIMATORS", "load_estimator", "build_options"]

ESTIMATORS: dict[str, str] = {
    "nuts": "irt.inference.nuts",
    "svi": "irt.inference.svi",
    "map": "irt.inference.map",
    "mml": "irt.mml",
}


def load_estimator(method: str) -> ModuleType:
    """Import the module implementing ``method``."""
    if method not in ESTIMATORS:
        raise ValueError(f"unknown method {method!r}; choose one of {list(ESTIMATORS)}")
    try:
        return importlib.import_module(ESTIMATORS[method])
    except ModuleNotFoundError as error:
        if error.name == ESTIMATORS[method]:
            raise ValueError(f"method {method!r} is not available in this version of irt") from None
        raise


def build_options(module: ModuleType, method: str, options: dict[str, Any]):
    """Build ``module.Options`` from keyword options, naming unknown ones and the valid choices."""
    fields = [f.name for f in dataclasses.fields(module.Options)]
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for method {method!r}; valid options are {fields}")
    return module.Options(**options)
