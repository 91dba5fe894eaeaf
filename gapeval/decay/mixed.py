"""Linear mixed models by REML (statsmodels ``MixedLM``) with named tests and Satterthwaite df.

:func:`mixed_model` is the lower-level entry point that :func:`gapeval.decay.decay` uses for
continuous scores; it takes any formula, so it can be checked against lme4 on published examples.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from gapeval.decay import reml
from gapeval.decay.errors import DecayError
from gapeval.decay.satterthwaite import satterthwaite_df
from gapeval.estimates import SATTERTHWAITE_T, WALD_Z, FixedEffect, MixedModelResult, TestResult, VarianceComponent
from irt.diagnostics import ConvergenceWarning

__all__ = ["mixed_model"]


@dataclass(frozen=True, eq=False)
class LMMFit:
    """A statsmodels model and the REML optimum of :mod:`gapeval.decay.reml` started from its fit."""

    model: object
    """The statsmodels ``MixedLM`` (its design defines the problem)."""
    result: object
    """statsmodels' own fit, used as the starting point."""
    problem: reml.REMLProblem
    varpar: np.ndarray
    """Variance parameters ``(vech(T), θ_vc, σ)`` at the optimum."""
    converged: bool
    messages: tuple[str, ...]
    """Problems worth a warning (non-convergence, boundary estimates)."""
    groups: str
    """The grouping column (statsmodels names the random intercept after it)."""
    re_names: tuple[str, ...]
    vc_names: tuple[str, ...]


def fit_lmm(
    formula: str,
    data: pd.DataFrame,
    *,
    groups: str,
    re_formula: str | None,
    vc_formula: Mapping[str, str] | None,
) -> LMMFit:
    """Fit by REML: statsmodels first, then a bounded polish of the profiled REML deviance.

    statsmodels' optimiser sometimes stops short of the optimum when it lies on the boundary (a
    correlation of ±1, a zero variance); the polish (L-BFGS-B on lme4's profiled criterion, with the
    boundary as a bound) reaches it. The better of the two optima is kept.
    """
    import statsmodels.formula.api as smf

    model = smf.mixedlm(
        formula, data, groups=groups, re_formula=re_formula,
        vc_formula=dict(vc_formula) if vc_formula else None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # superseded by the polish and the checks below
        result = model.fit(reml=True, method=["lbfgs", "bfgs"])
    problem = reml.problem_from_statsmodels(model)
    start = reml.varpar_from_estimates(
        np.asarray(result.cov_re), np.asarray(result.vcomp), float(result.scale), k_re=int(model.k_re)
    )
    polished, converged = reml.optimize(problem, start)
    varpar = polished if reml.reml_deviance(problem, polished) <= reml.reml_deviance(problem, start) else start
    re_names = tuple("Intercept" if str(n) in (groups, "Group") else str(n) for n in result.cov_re.index)
    vc_names = tuple(str(n) for n in model.exog_vc.names) if model.k_vc else ()
    messages = []
    if not converged:
        messages.append("the REML optimiser (L-BFGS-B) did not report convergence")
    on_boundary = reml.boundary_mask(problem, varpar)
    if on_boundary.any():
        messages.append(
            "estimate on the boundary (a random-effect variance of zero or a correlation of +/-1: "
            f"{_boundary_names(problem, on_boundary, re_names, vc_names)}); the model may be too rich "
            "for the data"
        )
    return LMMFit(model, result, problem, varpar, converged, tuple(messages), groups, re_names, vc_names)


def _boundary_names(problem, mask, re_names, vc_names) -> str:
    """Readable names of the variance parameters flagged in ``mask``."""
    labels = []
    for r, c in zip(*np.tril_indices(problem.k_re)):
        if r != c:
            labels.append("")
        elif r == 0:
            labels.append(f"variance of {re_names[0]}")
        else:
            labels.append(f"{re_names[r]}: zero variance or perfectly correlated with "
                          f"{', '.join(re_names[:r])}")
    labels += [f"variance of {name}" for name in vc_names] + [""]
    return "; ".join(labels[i] for i in np.flatnonzero(mask))


def wald_z(estimate: float, se: float) -> TestResult:
    """Wald z test of ``estimate = 0``."""
    z = estimate / se if se > 0 else np.nan
    return TestResult(WALD_Z, float(z), float(2 * stats.norm.sf(abs(z))))


def t_test(estimate: float, se: float, df: float) -> TestResult:
    """t test of ``estimate = 0`` with ``df`` degrees of freedom."""
    t = estimate / se if se > 0 else np.nan
    return TestResult(SATTERTHWAITE_T, float(t), float(2 * stats.t.sf(abs(t), df)), float(df))


def fixed_effect(term: str, estimate: float, se: float, df: float, *, level: float) -> FixedEffect:
    """Build a :class:`FixedEffect`: Satterthwaite t first when ``df`` is finite, Wald z always."""
    z = wald_z(estimate, se)
    if np.isfinite(df):
        q, name, tests = stats.t.ppf(0.5 + level / 2, df), SATTERTHWAITE_T, (t_test(estimate, se, df), z)
    else:
        q, name, tests = stats.norm.ppf(0.5 + level / 2), WALD_Z, (z,)
    return FixedEffect(term, float(estimate), float(se), float(estimate - q * se),
                       float(estimate + q * se), name, tests)


def _vc_term(formula: str) -> str:
    compact = formula.replace(" ", "")
    return "Intercept" if compact.startswith("0+C(") and compact.endswith(")") else formula


def variance_components(
    fit: LMMFit, *, group_name: str, vc_formula: Mapping[str, str] | None = None
) -> tuple[VarianceComponent, ...]:
    """lme4-style variance summary: random-effect (co)variances, variance components, residual."""
    t, theta_vc, sigma = reml.unpack(fit.problem, fit.varpar)
    cov = sigma**2 * t @ t.T
    names = list(fit.re_names)
    rows = [VarianceComponent(group_name, n, None, float(cov[i, i]), float(np.sqrt(max(cov[i, i], 0))))
            for i, n in enumerate(names)]
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            denom = np.sqrt(max(cov[i, i] * cov[j, j], 0.0))
            corr = cov[i, j] / denom if denom > 0 else np.nan
            rows.append(VarianceComponent(group_name, names[i], names[j], float(cov[i, j]), float(corr)))
    vc_forms = dict(vc_formula or {})
    for name, th in zip(fit.vc_names, theta_vc):
        var = float((sigma * th) ** 2)
        rows.append(VarianceComponent(name, _vc_term(vc_forms.get(name, "")), None, var, float(sigma * th)))
    rows.append(VarianceComponent("Residual", None, None, sigma**2, sigma))
    return tuple(rows)


def lme_variance_components(fit, *, groups: tuple[str, ...], columns: dict[str, str] | None = None,
                            residual: bool = True) -> tuple[VarianceComponent, ...]:
    """lme4's ``as.data.frame(VarCorr)`` rows of a fit of :mod:`gapeval.decay.lmer` or :mod:`gapeval.decay.glmer`.

    ``groups`` names each term's grouping factor; ``columns`` renames effect columns (``t`` → ``turn``).
    """
    columns = columns or {}
    rows = []
    for j, (design, group) in enumerate(zip(fit.designs, groups)):
        cov = fit.covariance(j)
        names = [columns.get(c, c) for c in design.term.columns]
        rows += [VarianceComponent(group, n, None, float(cov[i, i]), float(np.sqrt(max(cov[i, i], 0.0))))
                 for i, n in enumerate(names)]
        for i in range(len(names)):
            for k in range(i + 1, len(names)):
                denom = np.sqrt(max(cov[i, i] * cov[k, k], 0.0))
                rows.append(VarianceComponent(group, names[i], names[k], float(cov[i, k]),
                                              float(cov[i, k] / denom) if denom > 0 else np.nan))
    if residual:
        rows.append(VarianceComponent("Residual", None, None, fit.sigma**2, fit.sigma))
    return tuple(rows)


def summarize_lme(fit, *, formula: str, level: float, groups: tuple[str, ...],
                  columns: dict[str, str] | None = None, term_names: Mapping[str, str] | None = None
                  ) -> MixedModelResult:
    """A :class:`MixedModelResult` from a REML fit of :func:`gapeval.decay.lmer.fit_reml`."""
    rename = dict(term_names or {})
    effects = tuple(
        fixed_effect(rename.get(name, name), b, np.sqrt(fit.beta_cov[i, i]), fit.df[i], level=level)
        for i, (name, b) in enumerate(zip(fit.x_names, fit.beta))
    )
    fe_cov = fit.beta_cov.copy()
    fe_cov.setflags(write=False)
    model_levels = fit.designs[0].num_levels if fit.designs else 0
    return MixedModelResult(
        formula=formula, groups=groups[0] if groups else "", re_formula=None, vc_formula=(), method="REML",
        nobs=fit.nobs, n_groups=model_levels, fixed_effects=effects,
        variance_components=lme_variance_components(fit, groups=groups, columns=columns),
        residual_sd=fit.sigma, reml_criterion=fit.reml_criterion, level=level, converged=fit.converged,
        fe_cov=fe_cov,
    )


def lme_messages(fit, names: dict[str, str] | None = None) -> tuple[str, ...]:
    """Problems worth a warning: non-convergence, and lme4's singular fit (estimates on the boundary).

    ``names`` renames the fitting frame's columns in the messages (``m`` → ``model``).
    """
    from gapeval.decay.lmer import singular_terms

    out = [fit.message] if fit.message else []
    singular = singular_terms(fit.theta, fit.designs, names=names)
    if singular:
        out.append("boundary (singular) fit, as lme4 reports it (see lme4's ?isSingular): " + "; ".join(singular)
                   + "; the random-effect structure is richer than the data support (the estimates stay valid; "
                   "consider dropping the term)")
    return tuple(out)


def summarize(
    fit: LMMFit,
    *,
    formula: str,
    groups: str,
    re_formula: str | None,
    vc_formula: Mapping[str, str] | None,
    level: float,
    term_names: Mapping[str, str] | None = None,
) -> MixedModelResult:
    """Turn an :class:`LMMFit` into a :class:`MixedModelResult` with named tests."""
    beta, cov = reml.fixed_effects(fit.problem, fit.varpar)
    dfs = satterthwaite_df(fit.problem, fit.varpar, np.eye(len(beta)))
    rename = dict(term_names or {})
    terms = [rename.get(str(n), str(n)) for n in fit.model.exog_names]
    effects = tuple(
        fixed_effect(t, b, np.sqrt(cov[i, i]), dfs[i], level=level)
        for i, (t, b) in enumerate(zip(terms, beta))
    )
    vc = dict(vc_formula or {})
    fe_cov = cov.copy()
    fe_cov.setflags(write=False)
    return MixedModelResult(
        formula=formula, groups=groups, re_formula=re_formula, vc_formula=tuple(vc.items()),
        method="REML", nobs=fit.problem.n, n_groups=len(fit.problem.blocks), fixed_effects=effects,
        variance_components=variance_components(fit, group_name=groups, vc_formula=vc),
        residual_sd=float(fit.varpar[-1]), reml_criterion=reml.reml_deviance(fit.problem, fit.varpar),
        level=level, converged=fit.converged, fe_cov=fe_cov,
    )


def warn_if_unclean(fit: LMMFit, *, stacklevel: int = 3) -> None:
    """Issue the fit's problems (non-convergence, boundary estimates) as one :class:`ConvergenceWarning`."""
    if fit.messages:
        warnings.warn(f"REML fit: {'; '.join(fit.messages)}", ConvergenceWarning, stacklevel=stacklevel)


def check_level(level: float) -> None:
    """Refuse interval levels outside (0, 1)."""
    if not 0 < level < 1:
        raise DecayError(f"level={level!r} is not in (0, 1); pass e.g. level=0.95 for 95% intervals")


def mixed_model(
    formula: str,
    data: pd.DataFrame,
    *,
    groups: str,
    re_formula: str | None = None,
    vc_formula: Mapping[str, str] | None = None,
    level: float = 0.95,
) -> MixedModelResult:
    """Fit a linear mixed model by REML and test every fixed effect by Wald z and Satterthwaite t.

    Parameters
    ----------
    formula : str
        Fixed-effects formula (patsy), e.g. ``"Reaction ~ Days"``.
    data : DataFrame
        The data; not modified.
    groups : str
        Column whose levels are the independent groups of the random effects in ``re_formula``.
    re_formula : str, optional
        Random-effects formula within groups, e.g. ``"~Days"`` for ``(Days | group)``; default a
        random intercept.
    vc_formula : mapping of str to str, optional
        Independent variance components within groups, e.g. ``{"session": "0 + C(session)"}`` for a
        random intercept of ``session`` nested in ``groups``.
    level : float
        Interval level.

    Returns
    -------
    MixedModelResult
        Fixed effects with SE, Satterthwaite t (first) and Wald z tests and intervals (t-based when the
        Satterthwaite df exist); variance components; residual SD; REML criterion.

    Raises
    ------
    DecayError
        If ``groups`` is not a column of ``data`` or ``level`` is outside (0, 1).

    Warns
    -----
    ConvergenceWarning
        When statsmodels reports a failed optimisation or a boundary / singular estimate.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(8), 6); x = np.tile(np.arange(6), 8)
    >>> y = 1 + 0.5 * x + rng.normal(0, 1, 8)[g] + rng.normal(0, 0.3, g.size)
    >>> fit = mixed_model("y ~ x", pd.DataFrame({"y": y, "x": x, "g": g}), groups="g")
    >>> round(fit.coef("x").estimate, 2), fit.coef("x").test().name
    (0.53, 't (Satterthwaite df)')
    """
    check_level(level)
    if groups not in data.columns:
        raise DecayError(f"groups={groups!r} is not a column of data; columns: {list(data.columns)}")
    fit = fit_lmm(formula, data, groups=groups, re_formula=re_formula, vc_formula=vc_formula)
    warn_if_unclean(fit)
    return summarize(fit, formula=formula, groups=groups, re_formula=re_formula,
                     vc_formula=vc_formula, level=level)
