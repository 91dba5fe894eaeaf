"""Decay of 0/1 scores: a logistic GLMM by variational Bayes (statsmodels ``BinomialBayesMixedGLM``).

The predictor is the one of the Gaussian model, ``logit P(y = 1) = β0 + β_t·x + β_u·U + β_tu·x·U``
plus random effects, but statsmodels' Bayesian GLMM only has *independent* variance components, so
the model intercept and the model turn slope(s) are uncorrelated normal effects here (the Gaussian
model estimates their correlation). Priors: ``β ~ N(0, fe_prior_sd²)`` (default
:data:`gapeval.sampling.GLMM_PRIOR_SD`, as in the NUTS fit); each random-effect log-SD
``~ N(0, vc_prior_sd²)``. The posterior is approximated by a mean-field Gaussian (Blei et al. 2017);
such approximations are known to understate posterior spread, so the slope intervals lean narrow.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from gapeval.decay.prepare import DecayData
from gapeval.estimates import POSTERIOR, DecayResult, FixedEffect, ModelSlope, TestResult, VarianceComponent
from gapeval.responses import DIRECTIONS, GENERATION, UNDERSTANDING
from gapeval.sampling import GLMM_PRIOR_SD
from irt.diagnostics import ConvergenceWarning

__all__ = ["fit_binomial", "VB_CAVEAT"]

SLOPE_INTERVAL = f"{POSTERIOR}: fixed + model effect, mean-field normal"


def posterior_test(mean: float, sd: float) -> TestResult:
    """Two-sided posterior tail probability ``2·min(P(β > 0), P(β < 0))`` of a normal posterior."""
    z = mean / sd if sd > 0 else np.nan
    return TestResult(POSTERIOR, float(z), float(2 * stats.norm.sf(abs(z))))


#: The caveat every VB result carries in its ``notes``.
VB_CAVEAT = ("variational Bayes (mean-field) understates posterior spread: on simulated dialogues its 95% "
             "fixed-effect intervals covered the truth 25-75% of the time (docs/decay.md); trust the point "
             "estimates and the sign of the direction x turn effect, not the intervals or p-values; use "
             "binomial_method='laplace' (the default) or 'nuts' for intervals")


def _vc_formulas(data: DecayData, random_slopes: str) -> dict[str, str]:
    vc = {"model": "0 + C(m)"}
    if random_slopes == "turn":
        vc["model_turn"] = "0 + C(m):t"
    else:
        vc["model_turn_understanding"] = "0 + C(m):tu"
        vc["model_turn_generation"] = "0 + C(m):tg"
    if data.structure.session_term:
        vc["dialogue"] = "0 + C(d)"
    if data.structure.item_term:
        vc["item"] = "0 + C(i)"
    if data.structure.run_term:
        vc["run"] = "0 + C(s)"
    return vc


def _component_labels() -> dict[str, tuple[str, str]]:
    return {
        "model": ("model", "Intercept"),
        "model_turn": ("model", "turn"),
        "model_turn_understanding": ("model", f"turn:{UNDERSTANDING}"),
        "model_turn_generation": ("model", f"turn:{GENERATION}"),
        "dialogue": ("session", "Intercept"),
        "item": ("item", "Intercept"),
        "run": ("model:session", "Intercept"),
    }


def fit_binomial(
    data: DecayData,
    *,
    random_slopes: str,
    level: float,
    seed: int,
    fe_prior_sd: float = GLMM_PRIOR_SD,
    vc_prior_sd: float = 1.0,
) -> DecayResult:
    """Fit the binomial decay model by variational Bayes and collect the same summaries."""
    from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

    formula = "y ~ " + " + ".join(data.fixed_cols)
    vc = _vc_formulas(data, random_slopes)
    model = BinomialBayesMixedGLM.from_formula(formula, vc, data.frame, vcp_p=vc_prior_sd, fe_p=fe_prior_sd)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit_vb(rng=seed)
    retvals = getattr(res, "optim_retvals", None)
    converged = bool(retvals.get("success", True)) if isinstance(retvals, dict) else True
    messages = sorted({str(w.message) for w in caught if "converge" in str(w.message).lower()})
    if messages or not converged:
        warnings.warn(f"BinomialBayesMixedGLM variational fit: {'; '.join(messages) or 'not converged'}",
                      ConvergenceWarning, stacklevel=3)
    q = stats.norm.ppf(0.5 + level / 2)
    fe_mean, fe_sd = np.asarray(res.fe_mean), np.asarray(res.fe_sd)
    effects = tuple(
        FixedEffect(data.term_names.get(name, name), float(m), float(s), float(m - q * s),
                    float(m + q * s), POSTERIOR, (posterior_test(m, s),))
        for name, m, s in zip(model.fep_names, fe_mean, fe_sd)
    )
    components = tuple(
        VarianceComponent(*_component_labels()[name], None, float(np.exp(2 * v)), float(np.exp(v)))
        for name, v in zip(model.vcp_names, np.asarray(res.vcp_mean))
    )
    vc_index = {name: i for i, name in enumerate(model.vc_names)}
    vc_mean, vc_sd = np.asarray(res.vc_mean), np.asarray(res.vc_sd)
    slopes = []
    for name in data.models:
        for direction in DIRECTIONS:  # generation is the reference level: its slope is the turn effect
            fixed_idx = [1, 3] if direction == UNDERSTANDING else [1]
            col = "t" if random_slopes == "turn" else ("tu" if direction == UNDERSTANDING else "tg")
            k = vc_index[f"C(m)[{name}]:{col}"]
            fixed = float(fe_mean[fixed_idx].sum())
            mean = fixed + float(vc_mean[k])
            sd = float(np.sqrt(np.sum(fe_sd[fixed_idx] ** 2) + vc_sd[k] ** 2))
            slopes.append(ModelSlope(name, direction, mean, sd, mean - q * sd, mean + q * sd, fixed,
                                     mean - fixed, SLOPE_INTERVAL, posterior_test(mean, sd)))
    return DecayResult(
        family="binomial", estimator="variational Bayes (statsmodels BinomialBayesMixedGLM)",
        formula=data.display_formula(random_slopes=random_slopes, family="binomial"), fixed_effects=effects,
        variance_components=components, slopes=tuple(slopes), interaction=effects[3], level=level,
        nobs=len(data.frame), n_models=len(data.models), n_sessions=data.n_sessions,
        random_slopes=random_slopes, covariates=data.covariates, converged=converged, mixed=None,
        structure=data.structure.name, structure_reason=data.structure.reason, notes=(VB_CAVEAT,),
    )
