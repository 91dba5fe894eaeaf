"""Self-verification drift: does a model grow more permissive with its own outputs over the turns?

Input: one row per (model, turn, output) with the model's own verdict on its output (accept or
reject) and the reference scorer's verdict. The quantity (``docs/methods.md`` §3) is the *false
acceptance rate*: among outputs the reference rejects, the share the model accepts. It is reported
per model and turn with a binomial interval, and its trend over turns per model by logistic
regression, ``logit P(accept | reference rejects) = α_m + δ_m·(turn − 1)``, fitted by maximum
likelihood (statsmodels ``GLM``, binomial family) with a Wald z test of δ_m = 0. δ_m > 0 is drift
towards permissiveness. An ``all models`` row fits one common δ with a separate α per model.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from gapeval.decay.errors import DecayError
from gapeval.estimates import WALD_Z
from gapeval.gap.joint import jeffreys_interval

__all__ = ["self_verification_drift", "wilson_interval", "SelfVerificationResult", "ALL_MODELS"]

#: Label of the pooled row of :attr:`SelfVerificationResult.slopes`.
ALL_MODELS = "all models"
_ACCEPT = {"accept", "accepted", "yes", "true", "pass", "1"}
_REJECT = {"reject", "rejected", "no", "false", "fail", "0"}
_INTERVALS = ("jeffreys", "wilson")


def wilson_interval(successes, trials, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (NaN where ``trials`` is 0).

    Examples
    --------
    >>> lower, upper = wilson_interval([3], [10])
    >>> round(float(lower[0]), 4), round(float(upper[0]), 4)
    (0.1078, 0.6032)
    """
    x, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = (p + z ** 2 / (2 * n)) / (1 + z ** 2 / n)
        half = z / (1 + z ** 2 / n) * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2))
    empty = n == 0
    return np.where(empty, np.nan, np.clip(centre - half, 0, 1)), np.where(empty, np.nan, np.clip(centre + half, 0, 1))


@dataclass(frozen=True, eq=False)
class SelfVerificationResult:
    """False acceptance of a model's own outputs by turn, and its drift.

    Attributes
    ----------
    rates : pandas.DataFrame
        One row per model and turn: ``model``, ``turn``, ``n_rejected`` (outputs the reference
        rejects), ``n_false_accept`` (of those, accepted by the model), ``rate``, ``lower``,
        ``upper`` (``interval`` at ``level``), and ``n`` (all outputs at that turn).
    slopes : pandas.DataFrame
        One row per model plus :data:`ALL_MODELS`: ``model``, ``estimate`` (δ, log-odds of false
        acceptance per turn), ``sd`` (its standard error), ``lower``, ``upper`` (Wald), ``odds_ratio`` (exp δ),
        ``test`` (:data:`~gapeval.decay.WALD_Z`), ``statistic``, ``p_value``, ``n`` (rejected
        outputs used), ``note`` (why a slope is missing, e.g. no false acceptance at all).
    level : float
    interval : str
        ``jeffreys`` or ``wilson``.
    """

    rates: pd.DataFrame
    slopes: pd.DataFrame
    level: float
    interval: str


def _verdicts(series: pd.Series, column: Hashable) -> np.ndarray:
    text = series.map(lambda v: str(int(v)) if isinstance(v, bool | np.bool_) else str(v)).str.strip().str.lower()
    text = text.str.replace(r"^1\.0$", "1", regex=True).str.replace(r"^0\.0$", "0", regex=True)
    bad = ~text.isin(_ACCEPT | _REJECT) | series.isna()
    if bad.any():
        raise DecayError(f"column {column!r} has verdicts {list(series[bad].astype(str).unique()[:5])} in rows "
                         f"{list(series.index[bad][:5])}; verdicts must be accept/reject (also 1/0, True/False, "
                         "pass/fail, yes/no)")
    return text.isin(_ACCEPT).to_numpy()


def _slope(y: np.ndarray, x: np.ndarray, groups: np.ndarray | None, level: float) -> dict:
    """Logistic regression of ``y`` on ``x`` (with one intercept per group when given): the slope row."""
    import statsmodels.api as sm

    n = len(y)
    if n == 0 or np.ptp(x) == 0:
        return {"n": n, "note": "fewer than two turns with outputs the reference rejects"}
    if y.all() or not y.any():
        return {"n": n, "note": "the model " + ("accepts" if y.all() else "rejects") + " every output the reference "
                "rejects: the slope is not estimable (separation)"}
    if groups is None and (x[~y].max() <= x[y].min() or x[y].max() <= x[~y].min()):
        return {"n": n, "note": "the turns of accepted and rejected outputs do not overlap (separation): the "
                "slope is infinite"}
    design = (pd.get_dummies(pd.Series(groups), dtype=float).to_numpy() if groups is not None
              else np.ones((n, 1)))
    design = np.column_stack([x, design])
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=sm.tools.sm_exceptions.PerfectSeparationWarning)
        try:
            fit = sm.GLM(y.astype(float), design, family=sm.families.Binomial()).fit()
        except (sm.tools.sm_exceptions.PerfectSeparationWarning, sm.tools.sm_exceptions.PerfectSeparationError):
            return {"n": n, "note": "perfect separation by turn: the slope is infinite"}
    est, se = float(fit.params[0]), float(fit.bse[0])
    if not (fit.converged and np.isfinite(se) and se < 100):
        return {"n": n, "note": f"quasi-separation: the fit diverges (slope {est:.3g}, se {se:.3g})"}
    z = stats.norm.ppf(0.5 + level / 2)
    return {"estimate": est, "sd": se, "lower": est - z * se, "upper": est + z * se, "odds_ratio": float(np.exp(est)),
            "test": WALD_Z, "statistic": est / se, "p_value": float(2 * stats.norm.sf(abs(est / se))), "n": n,
            "note": ""}


def self_verification_drift(
    verdicts: pd.DataFrame,
    *,
    model: Hashable = "model",
    turn: Hashable = "turn",
    self_verdict: Hashable = "self_verdict",
    reference: Hashable = "reference",
    interval: str = "jeffreys",
    level: float = 0.95,
) -> SelfVerificationResult:
    """False acceptance of a model's own outputs per turn, and its logistic trend over turns.

    Parameters
    ----------
    verdicts : pandas.DataFrame
        One row per judged output; not modified.
    model, turn, self_verdict, reference : hashable
        Columns: the model, the 1-based turn, the model's verdict on its own output, and the
        reference scorer's verdict. Verdicts are accept/reject (or 1/0, True/False, pass/fail, yes/no).
    interval : {"jeffreys", "wilson"}
        Interval of the per-turn rates: equal-tailed Jeffreys (Brown, Cai & DasGupta 2001) or
        Wilson score.
    level : float
        Level of every interval.

    Returns
    -------
    SelfVerificationResult
        ``rates`` (per model and turn) and ``slopes`` (per model and pooled, Wald z tests).

    Raises
    ------
    DecayError
        A missing column, an unreadable verdict, a missing or non-numeric turn or a turn below 1,
        an unknown ``interval`` or a ``level`` outside (0, 1).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"model": ["m"] * 6, "turn": [1, 1, 2, 2, 3, 3],
    ...                    "self_verdict": ["reject", "accept", "accept", "reject", "accept", "accept"],
    ...                    "reference": ["reject"] * 6})
    >>> result = self_verification_drift(df)
    >>> [(int(r.turn), int(r.n_rejected), int(r.n_false_accept), round(float(r.rate), 2))
    ...  for r in result.rates.itertuples()]
    [(1, 2, 1, 0.5), (2, 2, 1, 0.5), (3, 2, 2, 1.0)]
    """
    if interval not in _INTERVALS:
        raise DecayError(f"interval={interval!r} is not one of {list(_INTERVALS)}")
    if not 0 < level < 1:
        raise DecayError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    if not isinstance(verdicts, pd.DataFrame):
        raise DecayError(f"verdicts must be a pandas DataFrame, got {type(verdicts).__name__}")
    for role, col in (("model", model), ("turn", turn), ("self_verdict", self_verdict), ("reference", reference)):
        if col not in verdicts.columns:
            raise DecayError(f"verdicts has no column {col!r} for the {role} (columns: {list(verdicts.columns)}); "
                             f"pass {role}=... to name the column that holds it")
    turns = pd.to_numeric(verdicts[turn], errors="coerce")
    bad = turns.isna() | (turns < 1)
    if bad.any():
        shown = list(verdicts.loc[bad, turn].astype(str).unique()[:5])
        raise DecayError(f"column {turn!r} has missing, non-numeric or below-1 values {shown} in rows "
                         f"{list(verdicts.index[bad][:5])}; turns are 1-based numbers")
    frame = pd.DataFrame({"model": verdicts[model].to_numpy(), "turn": turns.to_numpy(float),
                          "accept": _verdicts(verdicts[self_verdict], self_verdict),
                          "rejected": ~_verdicts(verdicts[reference], reference)})
    totals = frame.groupby(["model", "turn"], sort=True).size().rename("n")
    wrong = frame[frame["rejected"]]
    counts = wrong.groupby(["model", "turn"], sort=True)["accept"].agg(n_rejected="size", n_false_accept="sum")
    rates = pd.concat([counts, totals], axis=1).fillna(0).astype(int).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        rates["rate"] = rates["n_false_accept"] / rates["n_rejected"].where(rates["n_rejected"] > 0)
    bounds = (jeffreys_interval if interval == "jeffreys" else wilson_interval)(
        rates["n_false_accept"].to_numpy(), rates["n_rejected"].to_numpy(), level=level)
    rates["lower"], rates["upper"] = bounds
    rates = rates[["model", "turn", "n_rejected", "n_false_accept", "rate", "lower", "upper", "n"]]
    if (rates["turn"] == np.floor(rates["turn"])).all():
        rates["turn"] = rates["turn"].astype(int)
    rows = []
    for name, group in wrong.groupby("model", sort=True):
        rows.append({"model": name, **_slope(group["accept"].to_numpy(bool), group["turn"].to_numpy() - 1.0, None,
                                             level)})
    if wrong["model"].nunique() > 1:
        rows.append({"model": ALL_MODELS, **_slope(wrong["accept"].to_numpy(bool), wrong["turn"].to_numpy() - 1.0,
                                                   wrong["model"].astype(str).to_numpy(), level)})
    columns = ["model", "estimate", "sd", "lower", "upper", "odds_ratio", "test", "statistic", "p_value", "n", "note"]
    slopes = pd.DataFrame(rows).reindex(columns=columns)
    return SelfVerificationResult(rates=rates, slopes=slopes, level=level, interval=interval)
