"""Marginal maximum likelihood estimation of item response models (``irt.fit(..., method="mml")``).

Gauss–Hermite quadrature over the latent abilities (product grids for 2–3 correlated dimensions),
maximised with a JAX-differentiated quasi-Newton optimiser, standard errors from the observed
information, EAP/MAP/ML scoring, Lord–Wingersky sum-score tables, M2, S-X², infit/outfit, Q3,
information, reliability and AIC/BIC/likelihood-ratio comparisons. Computations run in float64.
"""

from __future__ import annotations

from irt.mml.optimise import Options, run
from irt.mml.result import MMLFit
from irt.mml.scoring import ExtremePatternError
from irt.mml.quadrature import QuadratureError

__all__ = ["Options", "run", "MMLFit", "ExtremePatternError", "QuadratureError"]
