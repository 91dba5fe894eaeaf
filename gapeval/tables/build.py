"""Pure functions that build :class:`~gapeval.tables.table.Table` objects from results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from gapeval.estimates import (
    POSTERIOR,
    POSTERIOR_NUTS,
    CONTAINMENT_T,
    SATTERTHWAITE_T,
    WALD_Z,
    DecayResult,
    MixedModelResult,
    TestResult,
)
from gapeval.errors import GapevalError
from gapeval.tables.corrections import CORRECTIONS, adjust
from gapeval.tables.table import Column, Marks, Table

__all__ = ["coef_table", "slope_table", "variance_table", "table_from_frame"]


def _quantile(test: TestResult, level: float) -> float:
    if test.df is not None and np.isfinite(test.df):
        return float(stats.t.ppf(0.5 + level / 2, test.df))
    return float(stats.norm.ppf(0.5 + level / 2))


_STATISTIC_LABELS = {WALD_Z: "$z$", SATTERTHWAITE_T: "$t$", CONTAINMENT_T: "$t$", POSTERIOR: "Mean/SD", POSTERIOR_NUTS: "Mean/SD"}
_POSTERIOR_NOTE = ("$P_{\\mathrm{tail}}$ = 2 min(P(b > 0), P(b < 0)) is a posterior probability, not a p-value; "
                   "it is not adjusted for multiple comparisons.")


def _posterior(names: Sequence[str]) -> bool:
    """Whether every test is a posterior tail probability (Bayesian fits), not a p-value."""
    return all(name in (POSTERIOR, POSTERIOR_NUTS) for name in names)


def _statistic_label(names: Sequence[str]) -> str:
    labels = {_STATISTIC_LABELS.get(name, "Statistic") for name in names}
    return labels.pop() if len(labels) == 1 else "Statistic"


def _p_columns(p: list[float], correction: str | None, digits: int, *,
               names: Sequence[str] = ()) -> tuple[list[Column], list[list]]:
    """The p column (or posterior tail probability), plus the adjusted one when a correction is asked for."""
    if names and _posterior(names):
        if correction is not None:
            raise GapevalError(
                f"correction={correction!r} adjusts p-values, but these are posterior tail probabilities "
                f"({sorted(set(names))}), which multiplicity corrections do not apply to; pass correction=None"
            )
        return [Column("p", "$P_{\\mathrm{tail}}$", "probability", digits)], [list(p)]
    cols = [Column("p", "$p$", "p_value", digits)]
    values = [list(p)]
    if correction is not None:
        if correction not in CORRECTIONS:
            raise GapevalError(f"correction={correction!r} is not one of {list(CORRECTIONS)} (or None)")
        cols.append(Column("p_adj", f"$p$ ({CORRECTIONS[correction]})", "p_value", digits))
        values.append(adjust(p, correction).tolist())
    return cols, values


def _marks(marks: bool, correction: str | None) -> Marks | None:
    return Marks("p_adj" if correction else "p") if marks else None


def _term_label(term: str) -> str:
    """A coefficient name as a reader writes it: ``turn:direction[understanding]`` → ``turn × understanding``."""
    parts = [piece.split("[", 1)[1].rstrip("]") if "[" in piece else piece for piece in term.split(":")]
    return " × ".join(parts)


def _test_columns(names: Sequence[str], test_column: bool | None) -> bool:
    """Whether the table gets a per-row Test column (``None``: only when rows use different tests)."""
    return test_column if test_column is not None else len(set(names)) > 1


def _describe(result: MixedModelResult | DecayResult) -> str:
    if isinstance(result, DecayResult):
        return (
            f"Turn-wise decay, {result.family} family, {result.estimator}: {result.formula} "
            f"(turn enters as turn - 1; generation is the reference level, so Intercept and turn are "
            f"generation's and direction[understanding] contrasts understanding with generation); "
            f"{result.nobs} responses in {result.n_sessions} dialogue runs (one per model and dialogue) of "
            f"{result.n_models} models."
        )
    re = result.re_formula or "~1"
    return (
        f"Linear mixed model by {result.method} (lme4's criterion): {result.formula}, random effects "
        f"{re} by {result.groups}; {result.nobs} observations in {result.n_groups} groups."
    )


def _require_result(result: object, kinds: tuple[type, ...], *, function: str) -> None:
    """Refuse a ``result`` that is not a fit of the ``kinds`` the table is built from, naming what to pass."""
    if not isinstance(result, kinds):
        names = " or ".join(kind.__name__ for kind in kinds)
        source = "gapeval.decay.decay" + (" or gapeval.decay.mixed_model" if MixedModelResult in kinds else "")
        raise GapevalError(f"{function} needs a {names} (a fit of {source}), got {type(result).__name__}; for a "
                           "table of any frame use table_from_frame(frame, caption=...)")


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
    test_column: bool | None = True,
    term_labels: bool = False,
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
    test_column : bool or None
        A per-row Test column; ``None`` adds it only when the rows use different tests (the note
        names the test either way).
    term_labels : bool
        Print terms as a reader writes them (``turn × understanding``) instead of the coefficient
        names (``turn:direction[understanding]``); the note gives the formula.

    Returns
    -------
    Table
        Posterior tail probabilities (Bayesian fits) sit in a column headed P_tail, never adjusted.

    Raises
    ------
    GapevalError
        Unknown ``terms``, or a ``correction`` asked of posterior tail probabilities.

    Examples
    --------
    >>> from gapeval.decay import decay, simulate_decay
    >>> result = decay(simulate_decay(num_models=4, num_sessions=6, num_turns=4, seed=2)[0])
    >>> table = coef_table(result, terms=["turn", "turn:direction[understanding]"], correction="holm")
    >>> [c.key for c in table.columns]
    ['term', 'estimate', 'se', 'ci', 'statistic', 'df', 'p', 'p_adj', 'test']
    """
    _require_result(result, (MixedModelResult, DecayResult), function="coef_table")
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
    names = [t.name for t in chosen]
    p_cols, p_vals = _p_columns([t.p_value for t in chosen], correction, digits, names=names)
    with_df = not _posterior(names)  # posterior tail probabilities have no degrees of freedom
    with_test = _test_columns(names, test_column)
    columns = (
        Column("term", "Term", "text"), Column("estimate", "Estimate", digits=digits),
        Column("se", "SD" if _posterior(names) else "SE", digits=digits),
        Column("ci", f"{level * 100:g}% {'CrI' if _posterior(names) else 'CI'}", "interval", digits),
        Column("statistic", _statistic_label(names), digits=2), *([Column("df", "df", digits=1)] if with_df else []),
        *p_cols, *([Column("test", "Test", "text")] if with_test else []),
    )
    rows = tuple(
        (_term_label(fe.term) if term_labels else fe.term, fe.estimate, fe.sd, ci, t.statistic,
         *([t.df] if with_df else []), *(v[i] for v in p_vals), *([t.name] if with_test else []))
        for i, (fe, t, ci) in enumerate(zip(effects, chosen, cis))
    )
    which = "named in its row" if with_test else f"({names[0]})" if names else ""
    interval = (f"Intervals are {level * 100:g}% posterior intervals." if names and _posterior(names)
                else f"Each interval inverts the test {which} at the {level * 100:g}% level.")
    notes = (_describe(result), interval,
             *([_POSTERIOR_NOTE] if names and _posterior(names) else []))
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
    test_column: bool | None = True,
) -> Table:
    """Per-model, per-direction turn slopes (fixed effects + the model's random deviation).

    The test is of slope = 0; the correction family is every slope in the table. ``test_column`` as
    in :func:`coef_table`; a correction of posterior tail probabilities raises ``GapevalError``.

    Examples
    --------
    >>> from gapeval.decay import decay, simulate_decay
    >>> result = decay(simulate_decay(num_models=3, num_sessions=6, num_turns=4, seed=2)[0])
    >>> slope_table(result, correction="bh").family_size
    6
    """
    _require_result(result, (DecayResult,), function="slope_table")
    slopes = list(result.slopes)
    names = [s.test.name for s in slopes]
    p_cols, p_vals = _p_columns([s.test.p_value for s in slopes], correction, digits, names=names)
    with_test = _test_columns(names, test_column)
    columns = (
        Column("model", "Model", "text"), Column("direction", "Direction", "text"),
        Column("slope", "Slope", digits=digits),
        Column("se", "SD" if _posterior(names) else "SE", digits=digits),
        Column("ci", f"{result.level * 100:g}% {'CrI' if _posterior(names) else 'CI'}", "interval", digits),
        Column("statistic", _statistic_label(names), digits=2), *p_cols,
        *([Column("test", "Test", "text")] if with_test else []),
    )
    rows = tuple(
        (s.model, s.direction, s.estimate, s.sd, (s.lower, s.upper), s.test.statistic,
         *(v[i] for v in p_vals), *([s.test.name] if with_test else []))
        for i, s in enumerate(slopes)
    )
    how = sorted({s.interval for s in slopes})
    notes = (_describe(result), "Slope: change per turn, the fixed turn slope of the direction plus the model's random "
             f"deviation; intervals: {'; '.join(how)}; test of slope = 0.",
             *([_POSTERIOR_NOTE] if names and _posterior(names) else []))
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
    _require_result(result, (MixedModelResult, DecayResult), function="variance_table")
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
    if not isinstance(frame, pd.DataFrame):
        raise GapevalError(f"table_from_frame needs a pandas DataFrame, got {type(frame).__name__}; "
                           "e.g. pd.DataFrame(rows) first")
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
