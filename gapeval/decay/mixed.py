"""Linear mixed models by REML with named tests and Satterthwaite df, and the summaries of the decay fits.

:func:`mixed_model` is the lower-level entry point for any fixed-effects formula with a grouping
column (statsmodels' ``MixedLM`` calling convention: ``groups``, ``re_formula``, ``vc_formula``). It
fits by the one REML engine, :func:`gapeval.decay.lmer.fit_reml`, which :func:`gapeval.decay.decay`
also uses, so it can be checked against lme4 on published examples.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from gapeval.decay.errors import DecayError
from gapeval.decay.terms import RandomTerm, parse_re_columns, term_design
from gapeval.estimates import CONTAINMENT_T, SATTERTHWAITE_T, WALD_Z, FixedEffect, MixedModelResult, TestResult, VarianceComponent
from irt.diagnostics import ConvergenceWarning

__all__ = ["mixed_model"]


def wald_z(estimate: float, se: float) -> TestResult:
    """Wald z test of ``estimate = 0``."""
    z = estimate / se if se > 0 else np.nan
    return TestResult(WALD_Z, float(z), float(2 * stats.norm.sf(abs(z))))


def t_test(estimate: float, se: float, df: float, *, name: str = SATTERTHWAITE_T) -> TestResult:
    """t test of ``estimate = 0`` with ``df`` degrees of freedom (``name``: which df)."""
    t = estimate / se if se > 0 else np.nan
    return TestResult(name, float(t), float(2 * stats.t.sf(abs(t), df)), float(df))


def fixed_effect(term: str, estimate: float, se: float, df: float, *, level: float,
                 t_name: str = SATTERTHWAITE_T) -> FixedEffect:
    """Build a :class:`FixedEffect`: a t test first (its df named by ``t_name``: :data:`SATTERTHWAITE_T` or
    :data:`CONTAINMENT_T`) when ``df`` is finite, Wald z always; the interval follows the first test."""
    z = wald_z(estimate, se)
    if np.isfinite(df):
        q, name, tests = stats.t.ppf(0.5 + level / 2, df), t_name, (t_test(estimate, se, df, name=t_name), z)
    else:
        q, name, tests = stats.norm.ppf(0.5 + level / 2), WALD_Z, (z,)
    return FixedEffect(term, float(estimate), float(se), float(estimate - q * se),
                       float(estimate + q * se), name, tests)


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
        random intercept of ``session`` nested in ``groups`` (lme4's ``(1 | groups:session)``; the
        component is reported under its key). ``0 + C(column)`` is the form accepted.
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
        If ``groups`` is not a column of ``data``, ``level`` is outside (0, 1), a formula names a
        missing column or holds missing values, or ``re_formula`` / ``vc_formula`` are not of the
        forms above.

    Warns
    -----
    ConvergenceWarning
        When the optimiser did not converge or the fit is singular (lme4's ``isSingular``).

    Notes
    -----
    The fit is :func:`gapeval.decay.lmer.fit_reml` (lme4's profiled REML criterion, lmerTest's
    Satterthwaite df), the engine of :func:`gapeval.decay.decay`, on the terms
    ``(re_formula | groups)`` and ``(1 | groups:column)`` per variance component.

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
    from gapeval.decay.lmer import fit_reml

    check_level(level)
    if groups not in data.columns:
        raise DecayError(f"groups={groups!r} is not a column of data; columns: {list(data.columns)}")
    y, x, x_names = _fixed_design(formula, data)
    vc = dict(vc_formula or {})
    terms = (_re_term(groups, re_formula), *(_vc_term(groups, name, form) for name, form in vc.items()))
    fit = fit_reml(y, x, x_names, tuple(term_design(data, t) for t in terms))
    messages = lme_messages(fit)
    if messages:
        warnings.warn(f"REML fit: {'; '.join(messages)}", ConvergenceWarning, stacklevel=2)
    result = summarize_lme(fit, formula=formula, level=level, groups=(groups, *vc))
    return dataclasses.replace(result, re_formula=re_formula, vc_formula=tuple(vc.items()))


def _fixed_design(formula: str, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Response, fixed-effects matrix and column names of a patsy formula (no row may be dropped)."""
    import patsy

    try:
        y, x = patsy.dmatrices(formula, data, return_type="dataframe", NA_action="raise")
    except patsy.PatsyError as error:
        raise DecayError(f"formula {formula!r}: {error.message}; name columns of data (columns: "
                         f"{list(data.columns)}) and drop or fill missing values") from None
    return y.iloc[:, 0].to_numpy(float), x.to_numpy(float), tuple(str(c) for c in x.columns)


def _re_term(groups: str, re_formula: str | None) -> RandomTerm:
    """``(re_formula | groups)``: ``"~Days"`` → ``(1 + Days | groups)``; default a random intercept."""
    text = (re_formula or "1").strip()
    return RandomTerm((groups,), parse_re_columns(text.removeprefix("~"), f"re_formula={re_formula!r}"))


_VC_FORM = re.compile(r"^0\s*\+\s*C\(\s*([^()]+?)\s*\)$")


def _vc_term(groups: str, name: str, form: str) -> RandomTerm:
    """A variance component ``{"session": "0 + C(session)"}`` as the nested term ``(1 | groups:session)``."""
    match = _VC_FORM.match(form.strip())
    if not match:
        raise DecayError(f"vc_formula[{name!r}] = {form!r}: write a random intercept per level of a column nested in "
                         f"{groups!r} as '0 + C(column)'")
    return RandomTerm((groups, match.group(1)), ("Intercept",))
