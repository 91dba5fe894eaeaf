"""Decay of continuous scores: a linear mixed model by REML with per-model slopes from the BLUPs.

The random-effect structure (nested or crossed, :mod:`gapeval.decay.structure`) is fitted by
:func:`gapeval.decay.lmer.fit_reml`: lme4's REML criterion, Satterthwaite t tests (lmerTest's method).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from gapeval.decay.lmer import fit_reml
from gapeval.decay.mixed import lme_messages, summarize_lme, wald_z
from gapeval.decay.prepare import DecayData
from gapeval.decay.terms import term_design
from gapeval.estimates import WALD_Z, DecayResult, ModelSlope
from gapeval.responses import DIRECTIONS, GENERATION, UNDERSTANDING
from irt.diagnostics import ConvergenceWarning

__all__ = ["fit_gaussian", "design_matrices", "slope_requests", "model_slopes", "fit_engine", "group_names", "EFFECT_NAMES"]

SLOPE_INTERVAL = f"{WALD_Z} (fixed effects + BLUP, conditional on the variance estimates)"
#: Names of the random-effect columns in the variance components.
EFFECT_NAMES = {"t": "turn", "tu": f"turn:{UNDERSTANDING}", "tg": f"turn:{GENERATION}"}


def design_matrices(data: DecayData, random_slopes: str):
    """The response, the fixed-effects matrix (``1, t, u, tu``, covariates) and the random terms' designs."""
    frame = data.frame
    x = np.column_stack([np.ones(len(frame))] + [frame[c].to_numpy(float) for c in data.fixed_cols])
    terms = data.structure.terms(data.slope_columns(random_slopes))
    designs = tuple(term_design(frame, t) for t in terms)
    return frame.y.to_numpy(float), x, designs


def group_names(data: DecayData) -> tuple[str, ...]:
    """Variance-component group of each term, as lme4's ``VarCorr`` names them: ``model``, ``session``
    (the dialogue, shared by the models), ``item``, and ``model:session`` (a model's run of a dialogue)."""
    s = data.structure
    return ("model",) + (("session",) if s.session_term else ()) + (("item",) if s.item_term else ()) + (
        ("model:session",) if s.run_term else ())


def contrasts(n_fixed: int) -> dict[str, np.ndarray]:
    """Fixed-effect contrasts of the turn slope in each direction (columns: 1, t, u, tu, covariates).

    Generation is the reference level: its slope is the ``turn`` effect; understanding adds ``tu``.
    """
    under, gen = np.zeros(n_fixed), np.zeros(n_fixed)
    under[[1, 3]] = 1.0
    gen[1] = 1.0
    return {UNDERSTANDING: under, GENERATION: gen}


def slope_requests(data: DecayData, random_slopes: str, n_fixed: int):
    """``(term, level, column, contrast)`` of every model's slope in each direction (model term first)."""
    columns = {UNDERSTANDING: 1, GENERATION: 1} if random_slopes == "turn" else {UNDERSTANDING: 1, GENERATION: 2}
    ells = contrasts(n_fixed)
    return tuple((0, level, columns[d], ells[d]) for level in range(len(data.models)) for d in DIRECTIONS)


def fit_engine(data: DecayData, random_slopes: str, engine, *, what: str):
    """Run ``engine`` (:func:`~gapeval.decay.lmer.fit_reml` or :func:`~gapeval.decay.glmer.fit_laplace`) on the
    decay design, warn about non-convergence and singular fits, and return the fit, its slope requests and the
    fixed-effects matrix."""
    y, x, designs = design_matrices(data, random_slopes)
    requests = slope_requests(data, random_slopes, x.shape[1])
    fit = engine(y, x, ("Intercept", *data.fixed_cols), designs, slopes=requests)
    messages = lme_messages(fit, data.user_names())
    if messages:  # engine <- fit_gaussian / fit_binomial_laplace <- decay <- the caller
        warnings.warn(f"{what}: {'; '.join(messages)}", ConvergenceWarning, stacklevel=4)
    return fit, requests, x


def model_slopes(fit, data: DecayData, requests, *, level: float, interval: str) -> tuple[ModelSlope, ...]:
    """Every model's slope in each direction from a fit of :mod:`~gapeval.decay.lmer` or :mod:`~gapeval.decay.glmer`:
    the fixed slope plus the model's BLUP (conditional mode), with its prediction SD and a Wald interval."""
    q = stats.norm.ppf(0.5 + level / 2)
    slopes = []
    for (term, lev, column, ell), (model_name, direction) in zip(
            requests, ((m, d) for m in data.models for d in DIRECTIONS)):
        fixed = float(ell @ fit.beta)
        est = fixed + float(fit.modes[term][lev, column])
        se = fit.prediction_sd(term, lev, column)
        slopes.append(ModelSlope(
            model=model_name, direction=direction, estimate=est, sd=se, lower=est - q * se, upper=est + q * se,
            fixed=fixed, deviation=est - fixed, interval=interval, test=wald_z(est, se),
        ))
    return tuple(slopes)


def fit_gaussian(data: DecayData, *, random_slopes: str, level: float) -> DecayResult:
    """Fit the Gaussian decay model and collect fixed effects, variance components and slopes."""
    fit, requests, _ = fit_engine(data, random_slopes, fit_reml, what="REML fit")
    formula = data.display_formula(random_slopes=random_slopes, family="gaussian")
    mixed = summarize_lme(fit, formula=formula, level=level, groups=group_names(data), columns=EFFECT_NAMES,
                          term_names=data.term_names)
    slopes = model_slopes(fit, data, requests, level=level, interval=SLOPE_INTERVAL)
    return DecayResult(
        family="gaussian", estimator="REML (lme4's criterion; gapeval.decay.lmer)", formula=formula,
        fixed_effects=mixed.fixed_effects, variance_components=mixed.variance_components, slopes=slopes,
        interaction=mixed.fixed_effects[3], level=level, nobs=mixed.nobs, n_models=len(data.models),
        n_sessions=data.n_sessions, random_slopes=random_slopes, covariates=data.covariates,
        converged=mixed.converged, mixed=mixed, structure=data.structure.name,
        structure_reason=data.structure.reason,
    )
