"""Decay of 0/1 scores by maximum likelihood: a logistic GLMM by the Laplace approximation (glmer's).

The predictor and the random-effect structure are the Gaussian model's (correlated model intercept
and turn slope(s); nested dialogue runs, or dialogues and items crossed with the models) on the
logit scale, fitted by :func:`gapeval.decay.glmer.fit_laplace` — lme4's ``glmer(..., family =
binomial)`` with its default ``nAGQ = 1``, and glmer's standard errors (the inverse Hessian of the
deviance in (θ, β)). A fixed effect that a random term contains (the intercept and the turn slope under
``(1 + turn | model)``) is tested, and its interval built, with a t reference on the containment
df of :mod:`gapeval.decay.containment` (the number of models less the effects estimated between them,
SAS GLIMMIX's default for models with random effects): with a
handful of models glmer's Wald z intervals of those effects ran narrow (``turn`` covered 0.85–0.88,
``benchmarks/decay/RESULTS.md``). The other effects, and every effect's Wald z test (glmer's
``summary``), are as glmer reports them. Per-model slopes are the fixed slope plus the model's
conditional mode, with the conditional variance of both (variance parameters held fixed).
"""

from __future__ import annotations

import numpy as np

from gapeval.decay.containment import containment_df
from gapeval.decay.gaussian import EFFECT_NAMES, fit_engine, group_names, model_slopes
from gapeval.decay.glmer import fit_laplace
from gapeval.decay.mixed import fixed_effect, lme_variance_components
from gapeval.decay.prepare import DecayData
from gapeval.estimates import CONTAINMENT_T, WALD_Z, DecayResult

__all__ = ["fit_binomial_laplace", "ESTIMATOR"]

ESTIMATOR = "Laplace approximation (glmer's nAGQ = 1; gapeval.decay.glmer)"
SLOPE_INTERVAL = f"{WALD_Z} (fixed effects + conditional mode, conditional on the variance estimates)"


def fit_binomial_laplace(data: DecayData, *, random_slopes: str, level: float) -> DecayResult:
    """Fit the logistic decay GLMM by the Laplace approximation and summarise it like the other fits."""
    fit, requests, x = fit_engine(data, random_slopes, fit_laplace, what="Laplace GLMM fit")
    names = ("Intercept", *data.fixed_cols)
    df = containment_df(x, fit.designs)
    effects = tuple(fixed_effect(data.term_names.get(n, n), b, np.sqrt(fit.beta_cov[i, i]), df[i], level=level,
                                 t_name=CONTAINMENT_T)
                    for i, (n, b) in enumerate(zip(names, fit.beta)))
    slopes = model_slopes(fit, data, requests, level=level, interval=SLOPE_INTERVAL)
    components = lme_variance_components(fit, groups=group_names(data), columns=EFFECT_NAMES, residual=False)
    return DecayResult(
        family="binomial", estimator=f"{ESTIMATOR}; {fit.info['seconds']:.1f} s",
        formula=data.display_formula(random_slopes=random_slopes, family="binomial_correlated"),
        fixed_effects=effects, variance_components=components, slopes=slopes, interaction=effects[3],
        level=level, nobs=fit.nobs, n_models=len(data.models), n_sessions=data.n_sessions,
        random_slopes=random_slopes, covariates=data.covariates, converged=fit.converged, mixed=None,
        structure=data.structure.name, structure_reason=data.structure.reason,
    )
