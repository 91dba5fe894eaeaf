"""``context_curve``: how scores change with the size of the context an answer was produced in.

The decay models of :func:`gapeval.decay.decay` with ``log(context_tokens)`` in place of the turn
(``docs/methods.md`` §3), plus binned means with intervals for plotting the curve.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from gapeval.decay.api import decay
from gapeval.decay.errors import DecayError
from gapeval.decay.prepare import INTERACTION
from gapeval.estimates import DecayResult
from gapeval.responses import GENERATION, UNDERSTANDING
from gapeval.sampling import BINOMIAL_METHOD
from gapeval.gap.joint import jeffreys_interval

__all__ = ["context_curve", "binned_means", "ContextCurveResult", "BIN_COLUMNS"]

#: Columns of :func:`binned_means`.
BIN_COLUMNS: tuple[str, ...] = ("model", "direction", "bin", "context", "context_lower", "context_upper", "mean",
                                "lower", "upper", "n")


@dataclass(frozen=True, eq=False)
class ContextCurveResult:
    """Scores against log context size: the mixed model and the binned means.

    Attributes
    ----------
    fit : DecayResult
        The decay model with ``log_base(context / reference)`` as its slope variable; every term and
        slope called ``turn`` in :func:`gapeval.decay.decay`'s output is named after it here (e.g.
        ``log2(context_tokens)``), so slopes are score changes per ``log_base``-fold growth of the
        context (per doubling with the default base 2).
    binned : pandas.DataFrame
        :func:`binned_means` of the same responses (columns :data:`BIN_COLUMNS`).
    variable : str
        The slope variable's name, e.g. ``log2(context_tokens)``.
    reference : float
        Context size at which the slope variable is 0 (the intercept's context).
    log_base : float
    """

    fit: DecayResult
    binned: pd.DataFrame
    variable: str
    reference: float
    log_base: float

    def slopes_frame(self) -> pd.DataFrame:
        """Per-model, per-direction slopes of the score on the log context (see :attr:`fit`)."""
        return self.fit.slopes_frame()

    def fixed_frame(self) -> pd.DataFrame:
        """Fixed effects with their named tests."""
        return self.fit.fixed_frame()


def _log_context(responses: pd.DataFrame, context: Hashable, log_base: float, reference: float | None):
    if context not in responses.columns:
        raise DecayError(f"responses has no column {context!r} for the context size (columns: "
                         f"{list(responses.columns)}); pass context=... to name the column that holds it")
    raw = responses[context]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() | ~(values > 0)
    if bad.any():
        shown = list(raw[bad].astype(str).unique()[:5])
        raise DecayError(f"column {context!r} (context size) has missing, non-numeric or non-positive values {shown} "
                         f"in rows {list(responses.index[bad][:5])}; context sizes are positive token counts: drop "
                         "those rows")
    if not log_base > 1:
        raise DecayError(f"log_base={log_base!r} must be greater than 1 (2 gives slopes per doubling)")
    ref = float(values.min()) if reference is None else float(reference)
    if not ref > 0:
        raise DecayError(f"reference={reference!r} must be a positive context size")
    return np.log(values.to_numpy(float) / ref) / np.log(log_base), ref


_TURN_NAMES = ("turn", INTERACTION, f"turn:{UNDERSTANDING}", f"turn:{GENERATION}")


def _rename(text: str | None, variable: str) -> str | None:
    """``decay()``'s name of a slope term with ``turn`` replaced by ``variable`` (covariates untouched)."""
    return variable + text[len("turn"):] if text in _TURN_NAMES else text


def _relabel(result: DecayResult, variable: str, display: str) -> DecayResult:
    """``result`` with the slope variable's terms named ``variable`` instead of ``turn``."""
    effects = tuple(dataclasses.replace(fe, term=_rename(fe.term, variable)) for fe in result.fixed_effects)
    components = tuple(dataclasses.replace(vc, var1=_rename(vc.var1, variable), var2=_rename(vc.var2, variable))
                       for vc in result.variance_components)
    interaction = next(fe for fe in effects if fe.term == _rename(INTERACTION, variable))
    return dataclasses.replace(result, fixed_effects=effects, variance_components=components, interaction=interaction,
                               formula=result.formula.replace(display, variable))


def binned_means(
    responses: pd.DataFrame,
    *,
    context: Hashable = "context_tokens",
    score: Hashable = "score",
    direction: Hashable = "direction",
    model: Hashable = "model",
    bins: int | Sequence[float] = 6,
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean score per model, direction and context-size bin, with an interval (for plotting curves).

    Bins are equal-width on the log scale of the context, shared by every model and direction (so
    the curves line up); ``bins`` may instead give the bin edges in tokens. 0/1 scores get the
    equal-tailed Jeffreys interval (:func:`gapeval.gap.joint.jeffreys_interval`), other scores the
    t interval ``mean ± t_{n-1}·sd/√n`` (NaN for a bin with one answer).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BIN_COLUMNS`: ``bin`` (0-based), ``context`` (geometric mean context of the
        bin's answers), ``context_lower``/``context_upper`` (bin edges), ``mean``, ``lower``,
        ``upper``, ``n``; empty bins are left out. ``attrs["interval"]`` names the interval.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"model": ["m"] * 4, "direction": ["generation"] * 4,
    ...                    "context_tokens": [100, 120, 1000, 1100], "score": [1, 1, 0, 1]})
    >>> binned_means(df, bins=2)[["bin", "mean", "n"]]
       bin  mean  n
    0    0   1.0  2
    1    1   0.5  2
    """
    if not 0 < level < 1:
        raise DecayError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    for role, col in (("score", score), ("direction", direction), ("model", model)):
        if col not in responses.columns:
            raise DecayError(f"responses has no column {col!r} for the {role} (columns: {list(responses.columns)}); "
                             f"pass {role}=... to name the column that holds it")
    log_ctx, _ = _log_context(responses, context, np.e, 1.0)
    y = pd.to_numeric(responses[score], errors="coerce").to_numpy(float)
    if np.isnan(y).any():
        raise DecayError(f"column {score!r} has missing or non-numeric values; drop those rows or map them to numbers")
    if isinstance(bins, int | np.integer):
        if bins < 1:
            raise DecayError(f"bins={bins!r} must be a positive number of bins or a sequence of edges")
        lo, hi = log_ctx.min(), log_ctx.max()
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, int(bins) + 1)
    else:
        edges = np.log(np.asarray(bins, dtype=float))
        if len(edges) < 2 or np.any(np.diff(edges) <= 0):
            raise DecayError("bins given as edges must be at least two increasing positive context sizes")
    code = np.clip(np.searchsorted(edges, log_ctx, side="right") - 1, 0, len(edges) - 2)
    outside = (log_ctx < edges[0] - 1e-12) | (log_ctx > edges[-1] + 1e-12)
    frame = pd.DataFrame({"model": responses[model].to_numpy(), "direction": responses[direction].to_numpy(),
                          "bin": code, "log_context": log_ctx, "y": y})[~outside]
    binary = bool(np.isin(y, (0.0, 1.0)).all())
    grouped = frame.groupby(["model", "direction", "bin"], sort=True)
    out = grouped.agg(log_context=("log_context", "mean"), mean=("y", "mean"), sd=("y", "std"), n=("y", "size"),
                      successes=("y", "sum")).reset_index()
    if binary:
        lower, upper = jeffreys_interval(out["successes"].to_numpy(), out["n"].to_numpy(), level=level)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            half = stats.t.ppf(0.5 + level / 2, out["n"] - 1) * out["sd"] / np.sqrt(out["n"])
        lower, upper = (out["mean"] - half).to_numpy(), (out["mean"] + half).to_numpy()
    out["context"] = np.exp(out["log_context"])
    out["context_lower"], out["context_upper"] = np.exp(edges[out["bin"]]), np.exp(edges[out["bin"] + 1])
    out["lower"], out["upper"] = lower, upper
    table = out[list(BIN_COLUMNS)].copy()
    table["bin"] = table["bin"].astype(int)
    table.attrs.update(level=level, interval="Jeffreys (equal-tailed)" if binary else "t (mean ± t·sd/√n)")
    return table


def context_curve(
    responses: pd.DataFrame,
    *,
    context: Hashable = "context_tokens",
    score: str = "score",
    direction: str = "direction",
    model: str = "model",
    session: str | None = "session",
    item: str | None = "item",
    structure: str = "auto",
    covariates: Sequence[str] = (),
    family: str = "auto",
    random_slopes: str = "turn",
    binomial_method: str = BINOMIAL_METHOD,
    log_base: float = 2.0,
    reference: float | None = None,
    bins: int | Sequence[float] = 6,
    level: float = 0.95,
    seed: int = 0,
) -> ContextCurveResult:
    """Score against log context size: :func:`gapeval.decay.decay` with ``log(context)`` for the turn.

    With ``c = log_base(context / reference)`` and ``U = 1`` for understanding (generation is the
    reference level) the model is
    ``score = β0 + β_c·c + β_u·U + β_cu·c·U + (1 + c | model) + random intercepts + ε`` (the nested or
    crossed intercepts of :func:`~gapeval.decay.decay`'s ``structure``; REML for
    continuous scores, a logistic GLMM for 0/1 scores — exactly :func:`~gapeval.decay.decay`'s
    machinery), so β_c is generation's change per ``log_base``-fold context growth (per doubling by
    default) and β_cu the understanding slope minus the generation one (positive: generation degrades
    faster with context than understanding).

    Parameters
    ----------
    responses : DataFrame
        The long responses table with a context-size column; not modified.
    context : hashable
        Column of context sizes (positive token counts).
    score, direction, model, session, item, structure, covariates, family, binomial_method, level, seed :
        As in :func:`gapeval.decay.decay`.
    random_slopes : {"turn", "turn_by_direction"}
        As in :func:`gapeval.decay.decay`, where ``turn`` means the log-context slope here.
    log_base : float
        Base of the logarithm (> 1); 2 gives slopes per doubling of the context.
    reference : float, optional
        Context size where the slope variable is 0 (default: the smallest context in the table).
    bins : int or sequence of float
        Bins of :func:`binned_means`.

    Returns
    -------
    ContextCurveResult
        ``fit`` (the relabelled :class:`~gapeval.decay.DecayResult`) and ``binned`` (the binned means).

    Raises
    ------
    DecayError
        A missing context column or non-positive, missing context sizes; ``log_base <= 1``; and the
        problems :func:`gapeval.decay.decay` reports.

    Examples
    --------
    >>> import numpy as np
    >>> from gapeval.decay import context_curve, simulate_decay
    >>> df, _ = simulate_decay(num_models=5, num_sessions=8, num_turns=4, seed=1)
    >>> df["context_tokens"] = 256 * 2.0 ** (df["turn"] - 1)
    >>> result = context_curve(df)
    >>> result.variable, result.fit.interaction.term
    ('log2(context_tokens)', 'log2(context_tokens):direction[understanding]')
    """
    log_ctx, ref = _log_context(responses, context, log_base, reference)
    variable = f"log{log_base:g}({context})" if log_base != np.e else f"log({context})"
    slot = "__log_context_plus_1__"
    if slot in responses.columns:
        raise DecayError(f"responses has a column named {slot!r}, which context_curve uses internally; rename it")
    work = responses.assign(**{slot: log_ctx + 1.0})  # decay() uses turn − 1 as its slope variable
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = decay(work, score=score, turn=slot, direction=direction, model=model, session=session, item=item,
                        structure=structure, covariates=covariates, family=family, random_slopes=random_slopes,
                        binomial_method=binomial_method, level=level, seed=seed)
        except DecayError as error:
            raise DecayError(str(error).replace(slot, variable)) from None
    for caught_warning in caught:  # decay's messages name the slope column: name what the user wrote
        warnings.warn(str(caught_warning.message).replace(slot, variable), caught_warning.category, stacklevel=2)
    binned = binned_means(responses, context=context, score=score, direction=direction, model=model, bins=bins,
                          level=level)
    return ContextCurveResult(fit=_relabel(fit, variable, slot), binned=binned, variable=variable, reference=ref,
                              log_base=float(log_base))
