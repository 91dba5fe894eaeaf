"""irt: Bayesian and classical item response theory on JAX/NumPyro.

A standalone library (it never imports ``gapeval``): validated response data in, tidy tables and
ArviZ InferenceData out.

>>> import irt
>>> data, truth = irt.simulate("2pl", num_respondents=50, num_items=10, seed=0)
>>> data.num_respondents, data.num_items
(50, 10)
"""

from __future__ import annotations

from irt import models
from irt.compare import compare
from irt.data import ResponseData
from irt.diagnostics import ConvergenceWarning, Diagnostics
from irt.errors import EstimationError, IRTError
from irt.fit import fit
from irt.inference.options import NUTSOptions, SVIOptions
from irt.problem import MODEL_NAMES
from irt.results import FitResult
from irt.simulate import SimulationTruth, simulate

__version__ = "0.1.0"

__all__ = [
    "ResponseData", "fit", "FitResult", "simulate", "SimulationTruth", "compare", "ConvergenceWarning",
    "Diagnostics", "NUTSOptions", "SVIOptions", "models", "MODEL_NAMES", "IRTError", "EstimationError",
    "__version__",
]
