"""The analyses of a report, each a function of the long table that never raises on thin data.

Each function returns an :class:`Outcome`: the result objects when the analysis could run, or the
reason it was skipped (too few models, no dialogues, one direction only...), which the report
prints instead of a table. Nothing is dropped silently. Sampler settings left unset take the
defaults of :mod:`gapeval.sampling`, the same as the library functions'.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gapeval.errors import GapevalError
from gapeval.responses import DIRECTIONS
from gapeval.sampling import BINOMIAL_METHOD, GAP_INFERENCE

__all__ = ["Outcome", "decay_outcome", "gap_outcome", "joint_outcome", "recording", "summary_frame"]


@dataclass(frozen=True)
class Outcome:
    """What one analysis gave: ``results`` by name, or why it was ``skipped``."""

    name: str
    results: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None
    warnings: tuple[str, ...] = ()
    """Warnings the fit raised (convergence, boundary estimates), reported beside its tables."""


def recording(name: str, compute: Any) -> Outcome:
    """Run ``compute()`` (returning an Outcome) and attach the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = compute()
    messages = tuple(dict.fromkeys(str(w.message).splitlines()[0] for w in caught
                                   if not issubclass(w.category, (DeprecationWarning, FutureWarning))))
    return Outcome(name, results=outcome.results, skipped=outcome.skipped, warnings=messages)


def _standalone(responses: pd.DataFrame) -> pd.DataFrame:
    if "session" not in responses.columns:
        return responses
    return responses[responses["session"].isna()]


def _dialogue(responses: pd.DataFrame) -> pd.DataFrame:
    if "session" not in responses.columns or "turn" not in responses.columns:
        return responses.iloc[0:0]
    return responses[responses["session"].notna() & responses["turn"].notna()]


def summary_frame(responses: pd.DataFrame) -> pd.DataFrame:
    """Answers and mean score per model and direction, standalone items and dialogue turns apart.

    Examples
    --------
    >>> frame = pd.DataFrame({"model": ["a", "a"], "item": ["i", "j"],
    ...                       "direction": ["understanding", "generation"], "score": [1.0, 0.0]})
    >>> summary_frame(frame).to_dict("records")[0]
    {'model': 'a', 'part': 'items', 'direction': 'generation', 'answers': 1, 'mean_score': 0.0}
    """
    parts = []
    for part, rows in (("items", _standalone(responses)), ("dialogues", _dialogue(responses))):
        if rows.empty:
            continue
        grouped = rows.groupby(["model", "direction"], sort=True)["score"]
        table = grouped.agg(answers="size", mean_score="mean").reset_index()
        table.insert(1, "part", part)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)


def gap_outcome(responses: pd.DataFrame, *, inference: str = GAP_INFERENCE, seed: int, level: float,
                **options: Any) -> Outcome:
    """Gap scores and pairwise comparisons on the standalone items (one joint fit).

    ``options`` are :func:`gapeval.gap_score`'s sampler keywords (``num_steps``, ``num_samples``, ...);
    those not given keep its defaults (:data:`gapeval.sampling.GAP_NUTS`, :data:`gapeval.sampling.GAP_SVI`).
    """
    return recording("gap", lambda: _gap(responses, inference=inference, seed=seed, level=level, **options))


def _gap(responses: pd.DataFrame, *, inference: str, seed: int, level: float, **options: Any) -> Outcome:
    from gapeval.gap import gap_compare, gap_score

    rows = _standalone(responses)
    directions = set(rows["direction"])
    if directions != set(DIRECTIONS):
        return Outcome("gap", skipped=f"the items cover {sorted(directions)} only; a gap needs both directions")
    if rows["model"].nunique() < 2:
        return Outcome("gap", skipped="one model only; the joint fit needs a cohort of at least two models")
    paired = "pair" in rows.columns and rows["pair"].notna().any()
    try:
        gaps = gap_score(
            rows, pair="pair" if paired else None, scale="paired" if paired else "standardized",
            inference=inference, seed=seed, level=level, **options,
        )
        comparisons = gap_compare(gaps)
    except GapevalError as error:
        return Outcome("gap", skipped=f"gap_score refused the data: {error}")
    return Outcome("gap", results={"gaps": gaps, "comparisons": comparisons})


def joint_outcome(responses: pd.DataFrame, *, level: float) -> Outcome:
    """Joint proportions of paired items per model and category, with cross-modal consistency."""
    from gapeval.gap import joint_table

    rows = _standalone(responses)
    if "pair" not in rows.columns or rows["pair"].isna().all():
        return Outcome("joint", skipped="no paired items (no pair column)")
    binary = rows["score"].isin([0, 1]).all()
    try:
        table = joint_table(rows, by="category" if "category" in rows.columns else None,
                            threshold=None if binary else 0.5, level=level)
    except GapevalError as error:
        return Outcome("joint", skipped=f"joint_table refused the data: {error}")
    return Outcome("joint", results={"joint": table, "threshold": None if binary else 0.5})


def decay_outcome(responses: pd.DataFrame, *, seed: int, level: float,
                  binomial_method: str = BINOMIAL_METHOD) -> Outcome:
    """The mixed-effects decay model on the dialogue turns.

    0/1 scores are fitted by glmer's Laplace approximation by default
    (:data:`gapeval.sampling.BINOMIAL_METHOD`: intervals that cover; minutes when crossed); ``"nuts"`` samples the
    Bayesian GLMM; ``"vb"`` takes seconds but its intervals are far too narrow. The random-effect
    structure (nested or crossed) follows the design (:func:`gapeval.decay.decay`).
    """
    return recording("decay", lambda: _decay(responses, seed=seed, level=level, binomial_method=binomial_method))


def _decay(responses: pd.DataFrame, *, seed: int, level: float, binomial_method: str) -> Outcome:
    from gapeval.decay import decay

    rows = _dialogue(responses)
    if rows.empty:
        return Outcome("decay", skipped="no dialogue turns in the data")
    if rows["model"].nunique() < 2 or rows["turn"].nunique() < 3:
        return Outcome("decay", skipped="decay needs at least two models and three distinct turns")
    try:
        result = decay(rows.assign(turn=rows["turn"].astype(int)), seed=seed, level=level,
                       binomial_method=binomial_method)
    except (GapevalError, ValueError, ArithmeticError) as error:
        return Outcome("decay", skipped=f"the decay model could not be fitted: {error}")
    return Outcome("decay", results={"decay": result, "rows": rows})
