"""Records of statistical estimates and tests, shared by the models that compute them and the tables that show them.

This module owns the frozen result records of the regression-type analyses: the test names
(:data:`WALD_Z`, :data:`SATTERTHWAITE_T`, :data:`CONTAINMENT_T`, :data:`POSTERIOR`, :data:`POSTERIOR_NUTS`), one named test
(:class:`TestResult`), a fixed effect with every test computed for it (:class:`FixedEffect`), a
variance component (:class:`VarianceComponent`), a per-model slope (:class:`ModelSlope`), and the
results of a linear mixed model (:class:`MixedModelResult`) and of the decay analysis
(:class:`DecayResult`). It computes nothing: :mod:`gapeval.decay` fills these records,
:mod:`gapeval.tables` and :mod:`gapeval.protocols` read them, and neither needs the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapeval.errors import GapevalError

__all__ = [
    "WALD_Z",
    "SATTERTHWAITE_T",
    "CONTAINMENT_T",
    "POSTERIOR",
    "POSTERIOR_NUTS",
    "TestResult",
    "FixedEffect",
    "VarianceComponent",
    "ModelSlope",
    "MixedModelResult",
    "DecayResult",
]

WALD_Z = "Wald z"
"""Name of the large-sample test ``estimate / SE`` against the standard normal (what MixedLM prints)."""
SATTERTHWAITE_T = "t (Satterthwaite df)"
"""Name of the t test with Satterthwaite's approximate degrees of freedom (lmerTest's default)."""
CONTAINMENT_T = "t (containment df)"
"""Name of the t test whose df count the levels of the random term that contains the effect, less the fixed
effects estimated between them (SAS GLIMMIX's containment method; :mod:`gapeval.decay.containment`)."""
POSTERIOR = "posterior probability (variational Bayes)"
"""Name of the two-sided posterior tail probability ``2·min(P(β>0), P(β<0))`` of a VB normal posterior."""
POSTERIOR_NUTS = "posterior probability (NUTS)"
"""Name of the two-sided posterior tail probability ``2·min(P(β>0), P(β<0))`` from NUTS draws."""


@dataclass(frozen=True)
class TestResult:
    """One named test of one estimate."""

    __test__ = False  # not a pytest test class

    name: str
    """Which test: :data:`WALD_Z`, :data:`SATTERTHWAITE_T`, :data:`CONTAINMENT_T`, :data:`POSTERIOR` or
    :data:`POSTERIOR_NUTS`."""
    statistic: float
    """z or t statistic (posterior mean / posterior SD for :data:`POSTERIOR`)."""
    p_value: float
    """Two-sided p-value (posterior tail probability for :data:`POSTERIOR`)."""
    df: float | None = None
    """Degrees of freedom for t tests; ``None`` for z and posterior tests."""


@dataclass(frozen=True)
class FixedEffect:
    """A fixed effect with its standard error, interval and every test computed for it.

    The summary fields are the one set of every estimate in the package (``estimate, sd, lower,
    upper``, as in :data:`irt.results.SUMMARY_COLUMNS`); ``sd`` is the standard error of a
    frequentist fit and the posterior standard deviation of a Bayesian one.
    """

    term: str
    """Coefficient name, e.g. ``turn`` or ``turn:direction[understanding]``."""
    estimate: float
    sd: float
    """Standard error (REML fits) or posterior standard deviation (Bayesian fits)."""
    lower: float
    upper: float
    interval: str
    """Name of the test the interval inverts (same names as :class:`TestResult`)."""
    tests: tuple[TestResult, ...]
    """The preferred test first: Satterthwaite t where available, then Wald z."""

    def test(self, name: str | None = None) -> TestResult:
        """The test called ``name``, or the preferred (first) test when ``name`` is ``None``."""
        if name is None:
            return self.tests[0]
        for t in self.tests:
            if t.name == name:
                return t
        raise GapevalError(
            f"no test {name!r} for term {self.term!r}; available: {[t.name for t in self.tests]}"
        )


@dataclass(frozen=True)
class VarianceComponent:
    """One row of a variance-covariance summary, in the layout of lme4's ``as.data.frame(VarCorr)``."""

    group: str
    """Grouping factor (``model``, ``session``, ``Residual``)."""
    var1: str | None
    """First random-effect term (``None`` for the residual)."""
    var2: str | None
    """Second term for a covariance row, ``None`` for a variance row."""
    vcov: float
    """Variance or covariance."""
    sdcor: float
    """Standard deviation (variance row) or correlation (covariance row)."""


@dataclass(frozen=True)
class ModelSlope:
    """Turn slope of one model in one direction: the fixed slope plus the model's BLUP / posterior mean."""

    model: str
    direction: str
    estimate: float
    """The turn slope."""
    sd: float
    """Prediction-error SD (Gaussian) or posterior SD (binomial)."""
    lower: float
    upper: float
    fixed: float
    """The population part (fixed effects) of the slope."""
    deviation: float
    """The model's random deviation (BLUP or posterior mean)."""
    interval: str
    """How the interval was built (e.g. ``Wald z (conditional on variance estimates)``)."""
    test: TestResult
    """Test of slope = 0."""


def _frame(records) -> pd.DataFrame:
    rows = []
    for r in records:
        row = dict(r.__dict__)
        rows.append(row)
    return pd.DataFrame(rows)


def _fixed_frame(effects: tuple[FixedEffect, ...]) -> pd.DataFrame:
    rows = []
    for fe in effects:
        best = fe.tests[0]
        rows.append({
            "term": fe.term, "estimate": fe.estimate, "sd": fe.sd, "lower": fe.lower,
            "upper": fe.upper, "test": best.name, "statistic": best.statistic, "df": best.df,
            "p_value": best.p_value,
        })
    return pd.DataFrame(rows)


@dataclass(frozen=True, eq=False)
class MixedModelResult:
    """A linear mixed model fitted by REML, with named tests for every fixed effect."""

    formula: str
    groups: str
    re_formula: str | None
    vc_formula: tuple[tuple[str, str], ...]
    method: str
    """``REML`` (the only method offered)."""
    nobs: int
    n_groups: int
    fixed_effects: tuple[FixedEffect, ...]
    variance_components: tuple[VarianceComponent, ...]
    residual_sd: float
    reml_criterion: float
    """−2 × REML log-likelihood at the optimum."""
    level: float
    converged: bool
    fe_cov: np.ndarray
    """Covariance of the fixed-effect estimates (read-only), in the order of ``fixed_effects``."""

    def coef(self, term: str) -> FixedEffect:
        """The fixed effect called ``term``."""
        for fe in self.fixed_effects:
            if fe.term == term:
                return fe
        raise GapevalError(f"no fixed effect {term!r}; terms: {[f.term for f in self.fixed_effects]}")

    def fixed_frame(self) -> pd.DataFrame:
        """Fixed effects as a tidy frame, one row per term, with the preferred test."""
        return _fixed_frame(self.fixed_effects)

    def variance_frame(self) -> pd.DataFrame:
        """Variance components as a tidy frame (lme4's ``as.data.frame(VarCorr)`` layout)."""
        return _frame(self.variance_components)


@dataclass(frozen=True, eq=False)
class DecayResult:
    """Turn-wise decay: ``score ~ turn × direction`` with model and session random effects."""

    family: str
    """``gaussian`` or ``binomial``."""
    estimator: str
    """How it was fitted, e.g. ``REML (lme4's criterion; gapeval.decay.lmer)``."""
    formula: str
    """The model in lme4-like notation, with the column names used."""
    fixed_effects: tuple[FixedEffect, ...]
    variance_components: tuple[VarianceComponent, ...]
    slopes: tuple[ModelSlope, ...]
    """Per-model, per-direction turn slopes, models in sorted order, understanding first."""
    interaction: FixedEffect
    """The direction × turn effect ``turn:direction[understanding]``: the understanding turn slope minus
    the generation one (positive: generation decays faster)."""
    level: float
    nobs: int
    n_models: int
    n_sessions: int
    random_slopes: str
    """``turn`` (one random turn slope per model) or ``turn_by_direction`` (one per direction)."""
    covariates: tuple[str, ...]
    converged: bool
    mixed: MixedModelResult | None = None
    """The underlying linear mixed model (Gaussian family only)."""
    structure: str = "nested"
    """The random-effect structure: ``nested`` (each model's dialogue runs) or ``crossed`` (dialogues
    and items shared by the models get their own random intercepts)."""
    structure_reason: str = ""
    """Why that structure was fitted (the design facts, or the user's request)."""
    notes: tuple[str, ...] = ()
    """Caveats the reader of the numbers must see (e.g. that variational intervals are too narrow)."""

    def fixed_frame(self) -> pd.DataFrame:
        """Fixed effects as a tidy frame with the preferred test of each."""
        return _fixed_frame(self.fixed_effects)

    def summary(self) -> str:
        """A plain-text report: the model, its structure and why, the fixed effects, and the notes."""
        lines = [f"Turn-wise decay ({self.family}): {self.formula}", f"Estimator: {self.estimator}",
                 f"Structure: {self.structure_reason or self.structure}",
                 f"{self.nobs} answers, {self.n_models} models, {self.n_sessions} dialogue runs", ""]
        frame = self.fixed_frame()[["term", "estimate", "sd", "lower", "upper", "test", "p_value"]]
        lines.append(frame.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def slopes_frame(self) -> pd.DataFrame:
        """Per-model slopes as a tidy frame."""
        rows = []
        for s in self.slopes:
            rows.append({
                "model": s.model, "direction": s.direction, "estimate": s.estimate, "sd": s.sd,
                "lower": s.lower, "upper": s.upper, "fixed": s.fixed, "deviation": s.deviation,
                "test": s.test.name, "statistic": s.test.statistic, "p_value": s.test.p_value,
            })
        return pd.DataFrame(rows)

    def variance_frame(self) -> pd.DataFrame:
        """Variance components as a tidy frame."""
        return _frame(self.variance_components)
