"""irt: Bayesian and classical item response theory on JAX/NumPyro.

A standalone library (it never imports ``gapeval``): validated response data in, tidy tables and
ArviZ InferenceData out.

Importing ``irt`` is light: the names below are imported on first use (JAX, NumPyro and pandas with
them). Before JAX starts, ``irt`` asks it for one CPU device per core, so that NUTS chains run in
parallel (:mod:`irt._host`; set ``XLA_FLAGS`` or ``IRT_HOST_DEVICES`` to choose otherwise).

>>> import irt
>>> data, truth = irt.simulate("2pl", num_respondents=50, num_items=10, seed=0)
>>> data.num_respondents, data.num_items
(50, 10)
"""

from __future__ import annotations

import importlib
import sys
import types

from irt._host import use_host_cores

use_host_cores()

__version__ = "0.1.0"

__all__ = [
    "ResponseData", "fit", "FitResult", "simulate", "SimulationTruth", "compare", "ConvergenceWarning",
    "ApproximationWarning", "Diagnostics", "NUTSOptions", "SVIOptions", "models", "MODEL_NAMES", "IRTError",
    "EstimationError", "SlowFitWarning", "__version__",
]

#: Public name -> the module that defines it (imported on first use).
_LAZY: dict[str, str] = {
    "models": "irt.models", "compare": "irt.compare", "ResponseData": "irt.data",
    "ConvergenceWarning": "irt.diagnostics", "ApproximationWarning": "irt.diagnostics",
    "Diagnostics": "irt.diagnostics", "EstimationError": "irt.errors", "IRTError": "irt.errors",
    "SlowFitWarning": "irt.errors", "fit": "irt.fit", "NUTSOptions": "irt.inference.options",
    "SVIOptions": "irt.inference.options", "MODEL_NAMES": "irt.problem", "FitResult": "irt.results",
    "SimulationTruth": "irt.simulate", "simulate": "irt.simulate",
}


#: Functions named like the module that defines them: ``irt.fit`` is the function, not the module.
_FUNCTIONS_OF_MODULES = frozenset({"fit", "compare", "simulate"})


def __getattr__(name: str):
    """Import a public name on first use, so that ``import irt`` does not start JAX."""
    if name not in _LAZY:
        raise AttributeError(f"module 'irt' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    value = module if _LAZY[name] == f"irt.{name}" and name not in _FUNCTIONS_OF_MODULES else getattr(module, name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """The ``irt`` package: importing the submodule ``irt.fit`` must not replace the function ``irt.fit``."""

    def __setattr__(self, name: str, value) -> None:
        if name in _FUNCTIONS_OF_MODULES and isinstance(value, types.ModuleType):
            return   # the import system binds a submodule to its parent; these names stay the functions
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
