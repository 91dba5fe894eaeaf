"""Validate the long responses table and turn it into the design that the decay models fit.

This module owns the decay design and its coding. Direction is a treatment-coded factor whose
reference level is generation (R's default for the alphabetically ordered levels "generation" <
"understanding"), so every direction contrast reads understanding minus generation, the sign of the
gap (:func:`gapeval.responses.direction_contrast`): ``Intercept`` and ``turn`` are generation's,
``direction[understanding]`` and ``turn:direction[understanding]`` (:data:`INTERACTION`) the
understanding-minus-generation differences.

The table is checked by the one validator, :func:`gapeval.responses.standardize_responses` (columns
present, model ids, directions, numeric scores, sessions), with what decay allows: any finite score
(judge means, simulated scores a little outside [0, 1]; :func:`gapeval.decay.decay` picks the family
from them), no item column, and several answers per model. The turn is checked here, because
:func:`gapeval.decay.context_curve` passes a log-context slope variable in its place; so are the
checks of the design itself (two turns, both directions, two models, covariates).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapeval.decay.errors import DecayError
from gapeval.decay.structure import Structure, choose_structure
from gapeval.decay.terms import format_terms
from gapeval.responses import DIRECTION, GENERATION, MODEL, SCORE, SESSION, UNDERSTANDING, require_columns, \
    standardize_responses

__all__ = ["DecayData", "prepare", "BASE_TERMS", "INTERACTION", "FAMILIES", "RANDOM_SLOPES"]

FAMILIES = ("auto", "gaussian", "binomial")
RANDOM_SLOPES = ("turn", "turn_by_direction")
#: The direction term of the design: understanding against the reference level, generation.
DIRECTION_TERM = f"direction[{UNDERSTANDING}]"
#: The direction x turn term: the understanding turn slope minus the generation one.
INTERACTION = f"turn:{DIRECTION_TERM}"
#: Fixed-effect names of the design, in order (covariates follow).
BASE_TERMS = ("Intercept", "turn", DIRECTION_TERM, INTERACTION)


@dataclass(frozen=True, eq=False)
class DecayData:
    """The fitting frame with patsy-safe column names, and how they map back to the user's names.

    Columns of ``frame``: ``y`` score, ``t`` = turn − 1, ``u`` = 1 for understanding (generation is
    the reference level), ``tu`` = t·u, ``tg`` = t·(1 − u), ``m`` model id (str), ``s`` run key
    (an integer per model × session), ``d`` session id and ``i`` item id (str, when given), and
    ``c0, c1, …`` covariate columns. The fixed effects are ``1, t, u, tu`` and the covariates
    (:data:`BASE_TERMS`).
    """

    frame: pd.DataFrame
    fixed_cols: tuple[str, ...]
    """Safe names of the fixed-effect columns after the intercept, in order."""
    term_names: dict[str, str]
    """Safe name → displayed term name (``t`` → ``turn`` …)."""
    family: str
    models: tuple[str, ...]
    n_sessions: int
    has_session: bool
    covariates: tuple[str, ...]
    names: dict[str, str]
    """The user's column names by role (``score``, ``turn``, ``direction``, ``model``, ``session``, ``item``)."""
    structure: Structure
    """The random-effect structure (nested or crossed) and why it was chosen."""

    def slope_columns(self, random_slopes: str) -> tuple[str, ...]:
        """Columns of the model's random turn slope(s): ``t``, or ``tu`` and ``tg``."""
        return ("t",) if random_slopes == "turn" else ("tu", "tg")

    def user_names(self) -> dict[str, str]:
        """The user's name of each fitting-frame column of the random terms (``m`` → ``model``, ``t`` → ``turn``)."""
        n = self.names
        slope = f"{n['turn']}:{n['direction']}"
        return {"m": n["model"], "d": n["session"], "i": n["item"], "t": n["turn"],
                "tu": f"{slope}[{UNDERSTANDING}]", "tg": f"{slope}[{GENERATION}]"}

    def display_formula(self, *, random_slopes: str, family: str) -> str:
        """The model in lme4-like notation with the user's column names.

        ``family`` is ``gaussian``, ``binomial`` (independent model effects) or
        ``binomial_correlated`` (correlated model effects, as the Gaussian model).
        """
        n = self.names
        lhs = n["score"] if family == "gaussian" else f"logit P({n['score']} = 1)"
        fixed = f"{n['turn']} * {n['direction']}" + "".join(f" + {c}" for c in self.covariates)
        turn = n["turn"]
        if family in ("gaussian", "binomial_correlated"):
            re = (f"(1 + {turn} | {n['model']})" if random_slopes == "turn"
                  else f"(1 + {turn}:{n['direction']} | {n['model']})")
        else:
            re = (f"(1 | {n['model']}) + (0 + {turn} | {n['model']})" if random_slopes == "turn"
                  else f"(1 | {n['model']}) + (0 + {turn}:{n['direction']} | {n['model']})")
        rest = format_terms(self.structure.terms(())[1:], self.user_names())
        return f"{lhs} ~ {fixed} + {re}" + (f" + {rest}" if rest else "")


def _numeric(df: pd.DataFrame, col: str, role: str) -> pd.Series:
    values = pd.to_numeric(df[col], errors="coerce")
    bad = values.isna()
    if bad.any():
        rows = list(df.index[bad][:5])
        shown = list(df.loc[bad, col].astype(str).unique()[:5])
        raise DecayError(
            f"column {col!r} ({role}) has missing or non-numeric values {shown} in rows {rows}; "
            "drop those rows or map them to numbers"
        )
    return values.astype(float)


def _family(y: pd.Series, family: str, col: str) -> str:
    if family not in FAMILIES:
        raise DecayError(f"family={family!r} is not one of {list(FAMILIES)}")
    binary = bool(np.isin(y.unique(), (0.0, 1.0)).all())
    if family == "binomial" and not binary:
        odd = sorted(set(y.unique()) - {0.0, 1.0})[:5]
        raise DecayError(
            f"family='binomial' needs 0/1 scores but column {col!r} has {odd}; "
            "use family='gaussian' for fractional scores"
        )
    if family == "auto":
        return "binomial" if binary else "gaussian"
    return family


def _understanding(d: pd.Series, col: str) -> pd.Series:
    """The understanding indicator (generation is the reference level); both directions must occur."""
    found = sorted(d.unique())
    if len(found) < 2:
        raise DecayError(
            f"column {col!r} holds only {found[0]!r}; the direction x turn model needs both "
            f"{UNDERSTANDING!r} and {GENERATION!r} responses"
        )
    return (d == UNDERSTANDING).astype(float)


def _covariates(df: pd.DataFrame, covariates: tuple[str, ...]) -> tuple[pd.DataFrame, dict[str, str]]:
    out, names = {}, {}
    require_columns(df, {"covariates": col for col in covariates}, error=DecayError)
    for col in covariates:
        series = df[col]
        if series.isna().any():
            rows = list(df.index[series.isna()][:5])
            raise DecayError(f"covariate {col!r} has missing values in rows {rows}; drop or fill them")
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            key = f"c{len(out)}"
            out[key], names[key] = series.astype(float).to_numpy(), col
            continue
        levels = sorted(series.astype(str).unique())
        if len(levels) < 2:
            raise DecayError(f"covariate {col!r} has a single value {levels[0]!r}; drop it")
        for level in levels[1:]:
            key = f"c{len(out)}"
            out[key], names[key] = (series.astype(str) == level).astype(float).to_numpy(), f"{col}[{level}]"
    return pd.DataFrame(out, index=df.index), names


def prepare(
    responses: pd.DataFrame,
    *,
    score: str,
    turn: str,
    direction: str,
    model: str,
    session: str | None,
    covariates: tuple[str, ...],
    family: str,
    random_slopes: str,
    item: str | None = None,
    structure: str = "nested",
) -> DecayData:
    """Check the responses table and build the fitting frame (the caller's frame is not modified)."""
    if not isinstance(responses, pd.DataFrame):
        raise DecayError(f"responses must be a pandas DataFrame, got {type(responses).__name__}")
    if random_slopes not in RANDOM_SLOPES:
        raise DecayError(f"random_slopes={random_slopes!r} is not one of {list(RANDOM_SLOPES)}")
    df = responses.reset_index(drop=True)
    checked = standardize_responses(df, model=model, item=None, direction=direction, score=score, session=session,
                                    extra={"turn": turn}, scores="real", unique=False, error=DecayError)
    y = checked[SCORE].astype(float)
    t = _numeric(df, turn, "turn")
    if t.nunique() < 2:
        raise DecayError(
            f"column {turn!r} has a single value {t.iloc[0]:g}; decay needs responses at two or more turns"
        )
    u = _understanding(checked[DIRECTION], direction)
    models = checked[MODEL].astype(str)
    if models.nunique() < 2:
        raise DecayError(
            f"column {model!r} holds one model ({models.iloc[0]!r}); random model slopes need at least "
            "two models (fit one model's decay with mixed_model and a session grouping instead)"
        )
    frame = pd.DataFrame({"y": y, "t": t - 1.0, "u": u, "m": models})
    frame["tu"], frame["tg"] = frame.t * frame.u, frame.t * (1.0 - frame.u)
    has_session = session is not None
    if has_session and checked[SESSION].isna().any():
        rows = list(df.index[checked[SESSION].isna()][:5])
        raise DecayError(
            f"column {session!r} (session) has missing values in rows {rows}; fill them (one id per "
            "dialogue run) or pass session=None"
        )
    frame["s"] = (
        df.assign(_m=models, _s=checked[SESSION].astype(str)).groupby(["_m", "_s"], sort=True).ngroup()
        if has_session else 0
    )
    n_sessions = int(frame.s.nunique()) if has_session else 0
    if has_session and n_sessions == len(frame):
        raise DecayError(
            f"every {session!r} value holds a single row, so a session intercept cannot be told apart "
            "from the residual; pass session=None"
        )
    if has_session:
        frame["d"] = checked[SESSION].astype(str).to_numpy()
    has_item = item is not None
    if has_item:
        require_columns(df, {"item": item}, error=DecayError)
        if df[item].isna().any():
            rows = list(df.index[df[item].isna()][:5])
            raise DecayError(f"column {item!r} (item) has missing values in rows {rows}; fill them (one id per "
                             "item) or pass item=None")
        frame["i"] = df[item].astype(str).to_numpy()
    names = {"score": score, "turn": turn, "direction": direction, "model": model, "session": session or "",
             "item": item or ""}
    chosen = choose_structure(frame, requested=structure, has_session=has_session, has_item=has_item, names=names)
    cov_frame, cov_names = _covariates(df, tuple(covariates))
    frame = pd.concat([frame, cov_frame], axis=1)
    term_names = dict(zip(("Intercept", "t", "u", "tu"), BASE_TERMS)) | cov_names
    return DecayData(
        frame=frame, fixed_cols=("t", "u", "tu", *cov_names), term_names=term_names,
        family=_family(y, family, score), models=tuple(sorted(models.unique())),
        n_sessions=n_sessions, has_session=has_session, covariates=tuple(covariates), names=names,
        structure=chosen,
    )
