"""Pure functions that build :class:`~gapeval.tables.table.Table` objects from results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from gapeval.estimates import DecayResult, MixedModelResult, TestResult
from gapeval.errors import GapevalError
from gapeval.tables.corrections import CORRECTIONS, adjust
from gapeval.tables.table import Column, Marks, Table

__all__ = ["coef_table", "slope_table", "variance_table", "table_from_frame"]


def _quantile(test: TestResult, level: float) -> float:
    if test.df is not None and np.isfinite(test.df):
        return float(stats.t.ppf(0.5 + level / 2, test.df))
    return float(stats.norm.ppf(0.5 + level / 2))


def _p_columns(p: list[float], correction: str | None, digits: int) -> tuple[list[Column], list[list]]:
    """The p column, plus the adjusted one when a correction is asked for."""
    cols = [Column("p", "p", "p_value", digits)]
    values = [list(p)]
    if correction is not None:
        if correction not in CORRECTIONS:
            raise GapevalError(f"correction={correction!r} is not one of {list(CORRECTIONS)} (or None)")
        cols.append(Column("p_adj", f"p ({CORRECTIONS[correction]})", "p_value", digits))
        values.append(adjust(p, correction).tolist())
    return cols, values


def _marks(marks: bool, correction: str | None) -> Marks | None:
    return Marks("p_adj" if correction else "p") if marks else None


def _describe(result: MixedModelResult | DecayResult) -> str:
    if isinstance(result, DecayResult):
        return (
            f"Turn-wise decay, {result.family} family, {result.estimator}: {result.formula} "
            f"(turn enters as turn - 1; generation is the reference level, so Intercept and turn are "
            f"generation's and direction[understanding] contrasts understanding with generation); "
            f"{result.nobs} responses, {result.n_models} models, {result.n_sessions} dialogues."
        )
    re = result.re_formula or "~1"
    return (
        f"Linear mixed model by {result.method} (statsmodels MixedLM): {result.formula}, random effects "
        f"{re} by {result.groups}; {result.nobs} observations in {result.n_groups} groups."
    )


def coef_table(
    result: MixedModelResult | DecayResult,
    *,
    test: str | None = None,
    terms: Sequence[str] | None = None,
    correction: str | None = None,
    marks: bool = False,
    caption: str = "Fixed effects",
    label: str | None = None,
    digits: int = 3,
) -> Table:
    """Fixed effects with SE, interval, the named test, df and p-value.

    Parameters
    ----------
    result : MixedModelResult or DecayResult
    test : str, optional
        Test to report (e.g. ``"Wald z"``); default each effect's preferred test (Satterthwaite t
        where its df exist). The interval inverts the same test.
    terms : sequence of str, optional
        Terms to show, in order (default all). The correction family is the terms shown.
    correction : {"holm", "bh"}, optional
        Adds a column of adjusted p-values and states the correction in the note.
    marks : bool
        Append significance marks (defined in the note) to the (adjusted) p-values.
    caption, label : str
        Caption and LaTeX label.
    digits : int
        Decimals for estimates and p-values.

    Returns
    -------
    Table

    Examples
    --------
    >>> from gapeval.decay import decay, simulate_decay
    >>> result = decay(simulate_decay(num_models=4, num_sessions=6, num_turns=4, seed=2)[0])
    >>> table = coef_table(result, terms=["turn", "turn:direction[understanding]"], correction="holm")
    >>> [c.key for c in table.columns]
    ['term', 'estimate', 'se', 'ci', 'statistic', 'df', 'p', 'p_adj', 'test']
    """
    effects = list(result.fixed_effects)
    if terms is not None:
        known = {fe.term: fe for fe in effects}
        missing = [t for t in terms if t not in known]
        if missing:
            raise GapevalError(f"terms {missing} are not fixed effects; available: {list(known)}")
        effects = [known[t] for t in terms]
    chosen = [fe.test(test) for fe in effects]
    level = result.level
    cis = [(fe.estimate - _quantile(t, level) * fe.sd, fe.estimate + _quantile(t, level) * fe.sd)
           for fe, t in zip(effects, chosen)]
    p_cols, p_vals = _p_columns([t.p_value for t in chosen], correction, digits)
    columns = (
        Column("term", "Term", "text"), Column("estimate", "Estimate", digits=digits),
        Column("se", "SE", digits=digits), Column("ci", f"{level * 100:g}% CI", "interval", digits),
        Column("statistic", "Statistic", digits=2), Column("df", "df", digits=1), *p_cols,
        Column("test", "Test", "text"),
    )
    rows = tuple(
        (fe.term, fe.estimate, fe.sd, ci, t.statistic, t.df, *(v[i] for v in p_vals), t.name)
        for i, (fe, t, ci) in enumerate(zip(effects, chosen, cis))
    )
    notes = (_describe(result), f"Each interval inverts the test named in its row at the {level * 100:g}% level.")
    return Table(columns=columns, rows=rows, caption=caption, label=label, notes=notes,
                 tests=tuple(dict.fromkeys(t.name for t in chosen)), correction=correction,
                 family_size=len(rows) if correction else None, marks=_marks(marks, correction))


def slope_table(
    result: DecayResult,
    *,
    correction: str | None = None,
    marks: bool = False,
    caption: str = "Per-model decay slopes",
    label: str | None = None,
    digits: int = 3,
) -> Table:
    """Per-model, per-direction turn slopes (fixed effects + the model's random deviation).

    The test is of slope = 0; the correction family is every slope in the table.

    Examples
    --------
    >>> from gapeval.decay import decay, simulate_decay
    >>> result = decay(simulate_decay(num_models=3, num_sessions=6, num_turns=4, seed=2)[0])
    >>> slope_table(result, correction="bh").family_size
    6
    """
    slopes = list(result.slopes)
    p_cols, p_vals = _p_columns([s.test.p_value for s in slopes], correction, digits)
    columns = (
        Column("model", "Model", "text"), Column("direction", "Direction", "text"),
        Column("slope", "Slope per turn", digits=digits), Column("se", "SE", digits=digits),
        Column("ci", f"{result.level * 100:g}% CI", "interval", digits),
        Column("statistic", "Statistic", digits=2), *p_cols, Column("test", "Test", "text"),
    )
    rows = tuple(
        (s.model, s.direction, s.estimate, s.sd, (s.lower, s.upper), s.test.statistic,
         *(v[i] for v in p_vals), s.test.name)
        for i, s in enumerate(slopes)
    )
    how = sorted({s.interval for s in slopes})
    notes = (_describe(result), "Slope = fixed turn slope of the direction plus the model's random "
             f"deviation; intervals: {'; '.join(how)}; test of slope = 0.")
    return Table(columns=columns, rows=rows, caption=caption, label=label, notes=notes,
                 tests=tuple(dict.fromkeys(s.test.name for s in slopes)), correction=correction,
                 family_size=len(rows) if correction else None, marks=_marks(marks, correction))


def variance_table(
    result: MixedModelResult | DecayResult,
    *,
    caption: str = "Variance components",
    label: str | None = None,
    digits: int = 4,
) -> Table:
    """Random-effect variances, covariances, SDs and correlations (lme4's ``VarCorr`` layout)."""
    rows = []
    for vc in result.variance_components:
        term = vc.var1 or ""
        if vc.var2 is not None:
            term = f"{vc.var1} × {vc.var2}"
        rows.append((vc.group, term or None, vc.vcov, vc.sdcor))
    columns = (Column("group", "Group", "text"), Column("term", "Term", "text"),
               Column("vcov", "Variance / cov.", digits=digits), Column("sdcor", "SD / corr.", digits=digits))
    notes = (_describe(result), "Rows with two terms give the covariance and the correlation.")
    return Table(columns=columns, rows=tuple(rows), caption=caption, label=label, notes=notes)


def table_from_frame(
    frame: pd.DataFrame,
    *,
    caption: str,
    kinds: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    digits: int = 3,
    notes: Sequence[str] = (),
    tests: Sequence[str] = (),
    label: str | None = None,
) -> Table:
    """A table from any frame (e.g. gap scores); column kinds default from dtypes.

    Object columns are ``text``, integer columns ``integer``, the rest ``number``; pass ``kinds`` for
    ``p_value`` or ``interval`` (cells holding ``(lower, upper)``) columns.

    Examples
    --------
    >>> import pandas as pd
    >>> t = table_from_frame(pd.DataFrame({"model": ["a_1"], "gap": [0.25]}), caption="Gaps")
    >>> [(c.key, c.kind) for c in t.columns]
    [('model', 'text'), ('gap', 'number')]
    """
    kinds, labels = dict(kinds or {}), dict(labels or {})
    unknown = sorted(set(kinds) | set(labels) - set(frame.columns))
    unknown = [k for k in unknown if k not in frame.columns]
    if unknown:
        raise GapevalError(f"kinds/labels name columns {unknown} that the frame lacks: {list(frame.columns)}")
    columns = []
    for name in frame.columns:
        series = frame[name]
        default = ("integer" if pd.api.types.is_integer_dtype(series) else
                   "number" if pd.api.types.is_numeric_dtype(series) else "text")
        columns.append(Column(str(name), labels.get(name, str(name)), kinds.get(name, default), digits))
    rows = tuple(tuple(None if (isinstance(v, float) and np.isnan(v)) else v for v in rec)
                 for rec in frame.itertuples(index=False, name=None))
    return Table(columns=tuple(columns), rows=rows, caption=caption, label=label, notes=tuple(notes),
                 tests=tuple(tests))
