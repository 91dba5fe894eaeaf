"""Decay of continuous scores: a linear mixed model by REML with per-model slopes from the BLUPs."""

from __future__ import annotations

import numpy as np
from scipy import stats

from gapeval.decay import reml
from gapeval.decay.mixed import fit_lmm, summarize, wald_z, warn_if_unclean
from gapeval.decay.prepare import DecayData
from gapeval.estimates import WALD_Z, DecayResult, ModelSlope, VarianceComponent
from gapeval.responses import DIRECTIONS, GENERATION, UNDERSTANDING

__all__ = ["fit_gaussian"]

SLOPE_INTERVAL = f"{WALD_Z} (fixed effects + BLUP, conditional on the variance estimates)"


def _re_formula(random_slopes: str) -> str:
    return "~t" if random_slopes == "turn" else "~tu + tg"


def _slope_columns(random_slopes: str) -> dict[str, int]:
    """Index of each direction's turn slope among the model random effects."""
    return {UNDERSTANDING: 1, GENERATION: 1} if random_slopes == "turn" else {UNDERSTANDING: 1, GENERATION: 2}


def _contrasts(n_fixed: int) -> dict[str, np.ndarray]:
    """Fixed-effect contrasts of the turn slope in each direction (columns: 1, t, u, tu, covariates).

    Generation is the reference level: its slope is the ``turn`` effect; understanding adds ``tu``.
    """
    under, gen = np.zeros(n_fixed), np.zeros(n_fixed)
    under[[1, 3]] = 1.0
    gen[1] = 1.0
    return {UNDERSTANDING: under, GENERATION: gen}


def fit_gaussian(data: DecayData, *, random_slopes: str, level: float) -> DecayResult:
    """Fit the Gaussian decay model and collect fixed effects, variance components and slopes."""
    formula = "y ~ " + " + ".join(data.fixed_cols)
    vc = {"session": "0 + C(s)"} if data.has_session else None
    fit = fit_lmm(formula, data.frame, groups="m", re_formula=_re_formula(random_slopes), vc_formula=vc)
    warn_if_unclean(fit, stacklevel=4)
    mixed = summarize(fit, formula=formula, groups="model", re_formula=_re_formula(random_slopes),
                      vc_formula=vc, level=level, term_names=data.term_names)
    q = stats.norm.ppf(0.5 + level / 2)
    columns, contrasts = _slope_columns(random_slopes), _contrasts(len(mixed.fixed_effects))
    labels = [str(g) for g in fit.model.group_labels]
    slopes = []
    for model_name in data.models:
        gi = labels.index(model_name)
        for direction in DIRECTIONS:
            ell = contrasts[direction]
            est, se = reml.group_effect(fit.problem, fit.varpar, group=gi, contrast=ell,
                                        column=columns[direction])
            fixed = float(ell @ np.array([fe.estimate for fe in mixed.fixed_effects]))
            slopes.append(ModelSlope(
                model=model_name, direction=direction, estimate=est, sd=se, lower=est - q * se,
                upper=est + q * se, fixed=fixed, deviation=est - fixed, interval=SLOPE_INTERVAL,
                test=wald_z(est, se),
            ))
    components = tuple(
        VarianceComponent(row.group, _re_name(row.var1), _re_name(row.var2), row.vcov, row.sdcor)
        for row in mixed.variance_components
    )
    interaction = mixed.fixed_effects[3]
    return DecayResult(
        family="gaussian", estimator="REML (statsmodels MixedLM)",
        formula=data.display_formula(random_slopes=random_slopes, family="gaussian"),
        fixed_effects=mixed.fixed_effects,
        variance_components=components, slopes=tuple(slopes), interaction=interaction, level=level,
        nobs=mixed.nobs, n_models=len(data.models), n_sessions=data.n_sessions,
        random_slopes=random_slopes, covariates=data.covariates, converged=mixed.converged, mixed=mixed,
    )


def _re_name(name: str | None) -> str | None:
    return {"t": "turn", "tu": f"turn:{UNDERSTANDING}", "tg": f"turn:{GENERATION}"}.get(name, name)
