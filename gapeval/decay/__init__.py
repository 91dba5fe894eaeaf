"""Turn-wise decay (exposure bias) with mixed-effects models.

``decay`` fits ``score ~ turn × direction`` with random model intercepts and turn slopes and random
dialogue intercepts; ``mixed_model`` fits any formula with a grouping column by the same REML engine
(:mod:`gapeval.decay.lmer`), with Wald z and Satterthwaite t tests. See ``docs/decay.md``. The result records live in
:mod:`gapeval.estimates` and are re-exported here; ``ConvergenceWarning`` is :class:`irt.ConvergenceWarning`.
"""

from __future__ import annotations

from gapeval.decay.api import decay
from gapeval.decay.context import ContextCurveResult, binned_means, context_curve
from gapeval.decay.irt_decay import IdentificationWarning, IRTDecayResult, irt_decay
from gapeval.decay.mixed import mixed_model
from gapeval.decay.errors import DecayError
from gapeval.decay.self_verification import SelfVerificationResult, self_verification_drift
from gapeval.decay.simulate import DecayTruth, simulate_decay
from gapeval.decay.simulate_confounded import ConfoundedTruth, simulate_confounded
from gapeval.estimates import (
    CONTAINMENT_T,
    POSTERIOR,
    POSTERIOR_NUTS,
    SATTERTHWAITE_T,
    WALD_Z,
    DecayResult,
    FixedEffect,
    MixedModelResult,
    ModelSlope,
    TestResult,
    VarianceComponent,
)
from irt.diagnostics import ConvergenceWarning

__all__ = [
    "decay",
    "mixed_model",
    "simulate_decay",
    "DecayTruth",
    "DecayResult",
    "MixedModelResult",
    "FixedEffect",
    "ModelSlope",
    "TestResult",
    "VarianceComponent",
    "DecayError",
    "ConvergenceWarning",
    "WALD_Z",
    "SATTERTHWAITE_T",
    "CONTAINMENT_T",
    "POSTERIOR",
    "POSTERIOR_NUTS",
    "irt_decay",
    "context_curve",
    "binned_means",
    "ContextCurveResult",
    "self_verification_drift",
    "SelfVerificationResult",
    "IRTDecayResult",
    "IdentificationWarning",
    "simulate_confounded",
    "ConfoundedTruth",
]
