"""The report's gap tables for a paper, and a gap fit's abilities and items in ``irt``'s layout.

:func:`gap_score_table`, :func:`gap_comparison_table`, :func:`joint_proportion_table` and
:func:`summary_table` put result frames into :class:`gapeval.tables.Table` objects with human
headers (θ with subscripts, one ``[l, u]`` interval column, posterior probabilities named so).

The figures of :mod:`gapeval.figures` (item curves, Wright map) read ``irt`` tables; these
functions express a :class:`~gapeval.gap.result.GapResult` in that layout: abilities by
``respondent`` (the model) and ``dimension`` (the direction), and per item a slope
``a[<direction>]`` and intercept ``d = −a·b`` (posterior means).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from gapeval.responses import DIRECTIONS
from gapeval.tables import Column, Table

__all__ = ["gap_abilities_table", "gap_comparison_table", "gap_items_table", "gap_score_table",
           "joint_proportion_table", "summary_table"]


def _mean(draws: np.ndarray) -> np.ndarray:
    return draws.reshape((-1,) + draws.shape[2:]).mean(axis=0)


def gap_abilities_table(result: Any) -> pd.DataFrame:
    """Posterior mean and sd of θ per model and direction (``irt`` abilities layout)."""
    theta = result.samples["theta"]
    flat = theta.reshape((-1,) + theta.shape[2:])
    rows = [
        {"respondent": model, "dimension": direction, "estimate": float(flat[:, m, d].mean()),
         "sd": float(flat[:, m, d].std(ddof=1))}
        for m, model in enumerate(result.data.model_ids)
        for d, direction in enumerate(DIRECTIONS)
    ]
    return pd.DataFrame(rows)


def gap_items_table(result: Any) -> pd.DataFrame:
    """Posterior means of each item's slope ``a[<direction>]`` and intercept ``d = −a·b``."""
    a, b = result.samples["a"], result.samples["b"]
    intercept = _mean(-a * b)
    slope = _mean(a)
    rows = []
    for i, item in enumerate(result.data.item_ids):
        direction = DIRECTIONS[int(result.data.item_slot[i])]
        rows.append({"item": item, "param": f"a[{direction}]", "estimate": float(slope[i])})
        rows.append({"item": item, "param": "d", "estimate": float(intercept[i])})
    return pd.DataFrame(rows)


def _interval(lower: float, upper: float) -> tuple[float, float] | None:
    """``(lower, upper)``, or None (an empty cell) when the bounds are missing (one direction only)."""
    return None if pd.isna(lower) or pd.isna(upper) else (lower, upper)


def _level_words(attrs: dict[str, Any], default: str) -> tuple[str, str]:
    """``("95%", "approximate credible interval")`` from a result frame's ``attrs``."""
    return f"{attrs.get('level', 0.95):.0%}", str(attrs.get("interval", default))


def gap_score_table(gaps: pd.DataFrame, *, notes: Sequence[str] = ()) -> Table:
    """The :func:`gapeval.gap_score` table as a paper prints it: one interval column, θ with subscripts.

    Columns: Model, Gap, the interval ``[l, u]``, P(gap > 0) (a posterior probability), θ_U, θ_G and the
    numbers of items answered in each direction. ``notes`` are appended to the table's own note
    (which defines every symbol).
    """
    level, interval = _level_words(gaps.attrs, "credible interval")
    short = "CrI" if "credible" in interval else "CI"
    columns = (
        Column("model", "Model", "text"), Column("gap", "Gap"),
        Column("interval", f"{level} {short}", "interval"),
        Column("p_gap_positive", "$P(\\mathrm{gap} > 0)$", "probability"),
        Column("theta_understanding", "$\\theta_U$"), Column("theta_generation", "$\\theta_G$"),
        Column("n_understanding", "$n_U$", "integer"), Column("n_generation", "$n_G$", "integer"),
    )
    rows = tuple(
        (r.model, r.gap, _interval(r.gap_lower, r.gap_upper), r.p_gap_positive, r.theta_understanding,
         r.theta_generation, r.n_understanding, r.n_generation)
        for r in gaps.itertuples(index=False)
    )
    rows = tuple(tuple(None if isinstance(v, float) and np.isnan(v) else v for v in row) for row in rows)
    note = (f"Gap = $\\theta_U - \\theta_G$, the model's ability to understand ($\\theta_U$) less its ability to "
            f"generate ($\\theta_G$), on the {gaps.attrs.get('scale')} scale, from one joint two-dimensional IRT "
            f"fit of all models ({gaps.attrs.get('inference')}). {short}: {level} {interval}. $P(\\mathrm{{gap}} > 0)$: the "
            f"posterior probability that the gap is above 0 (not a p-value). $n_U$, $n_G$: items answered in "
            f"each direction.")
    return Table(columns=columns, rows=rows, caption="Gap scores", label="tab:gap", notes=(note, *notes))


def gap_comparison_table(comparisons: pd.DataFrame, *, interval: str = "credible interval") -> Table:
    """:func:`gapeval.gap_compare`: Δ = gap(m) − gap(m′) per pair, its interval and P(Δ > 0).

    ``interval`` names the interval as the gap table does (``approximate credible interval`` for SVI).
    """
    level, _ = _level_words(comparisons.attrs, interval)
    columns = (
        Column("model", "Model $m$", "text"), Column("other", "Model $m'$", "text"),
        Column("difference", "$\\Delta$"), Column("difference_sd", "SD"),
        Column("interval", f"{level} CrI", "interval"), Column("p_greater", "$P(\\Delta > 0)$", "probability"),
    )
    rows = tuple(
        (r.model, r.other, r.difference, r.difference_sd, _interval(r.difference_lower, r.difference_upper),
         r.p_greater)
        for r in comparisons.itertuples(index=False)
    )
    note = (f"$\\Delta$ = gap($m$) $-$ gap($m'$), from the draws of the one joint fit; SD: its posterior standard "
            f"deviation; CrI: {level} {interval}; $P(\\Delta > 0)$: the posterior probability that $m$ has the "
            f"larger gap (not a p-value; no multiplicity adjustment applies).")
    return Table(columns=columns, rows=rows, caption="Pairwise gap differences", label="tab:gap-pairs",
                 notes=(note,))


def joint_proportion_table(joint: pd.DataFrame, *, threshold: float | None) -> Table:
    """:func:`gapeval.gap.joint_table`: the four joint proportions and the consistency with its interval.

    The marginal accuracies (p11 + p10, p11 + p01) and the counts behind the consistency follow from
    the columns shown; pairs answered in one direction only are counted in the note.
    """
    level, interval = _level_words(joint.attrs, "jeffreys")
    interval = "Jeffreys interval" if interval == "jeffreys" else interval
    by = [c for c in joint.columns if c not in _JOINT_VALUES and not c.startswith("consistency")]
    key_columns = tuple(Column(c, c.replace("_", " ").capitalize(), "text") for c in by)
    columns = (
        *key_columns, Column("n_pairs", "Pairs", "integer"),
        *(Column(c, f"$p_{{{c[1:]}}}$", digits=2) for c in ("p11", "p10", "p01", "p00")),
        Column("consistency", "$C$", digits=2), Column("interval", f"{level} CI", "interval", digits=2),
    )
    rows = tuple(
        tuple(None if isinstance(v, float) and np.isnan(v) else v for v in (
            *(getattr(r, c) for c in by), r.n_pairs, r.p11, r.p10, r.p01, r.p00, r.consistency,
            _interval(r.consistency_lower, r.consistency_upper)))
        for r in joint.itertuples(index=False)
    )
    incomplete = int(joint["n_incomplete"].sum()) if "n_incomplete" in joint.columns else 0
    note = ("Pairs: questions answered in both directions. $p_{11}$: both right; $p_{10}$: understanding right, "
            "generation wrong; $p_{01}$: generation right, understanding wrong; $p_{00}$: both wrong. "
            "$C$: cross-modal consistency, P(both right | at least one right) = $p_{11}/(1 - p_{00})$; CI: "
            f"{level} {interval}.")
    if threshold is not None:
        note += f" Scores $\\geq$ {threshold} count as right."
    if incomplete:
        note += f" {incomplete} pairs answered in one direction only are left out."
    return Table(columns=columns, rows=rows, caption="Joint proportions of paired items", label="tab:joint",
                 notes=(note,))


_JOINT_VALUES = ("n_pairs", "p11", "p10", "p01", "p00", "p_understanding", "p_generation", "n_incomplete",
                 "n_either")


def summary_table(summary: pd.DataFrame) -> Table:
    """Answers and mean score per model, part (standalone items or dialogue turns) and direction."""
    columns = (Column("model", "Model", "text"), Column("part", "Part", "text"),
               Column("direction", "Direction", "text"), Column("answers", "Answers", "integer"),
               Column("mean_score", "Mean score"))
    rows = tuple(summary[[c.key for c in columns]].itertuples(index=False, name=None))
    return Table(columns=columns, rows=rows, caption="Answers and mean scores", label="tab:answers",
                 notes=("Items: standalone questions; dialogues: turns of multi-turn dialogues.",))
