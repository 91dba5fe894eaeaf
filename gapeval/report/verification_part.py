"""The self-verification part of a report: how often a model accepts its own wrong answers.

For a run with ``self-verify`` steps, :func:`gapeval.protocol_analysis.verification_frame` puts each of
the model's verdicts beside the reference scorer's verdict on the same candidate. This part reports
the false acceptance rate (accepted, among candidates the reference rejects) by round and, for
dialogue turns, by turn, with Jeffreys intervals and the logistic trend of
:func:`gapeval.decay.self_verification_drift` (docs/methods.md §3).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from gapeval.report.analyses import Outcome, recording

__all__ = ["verification_outcome", "write_verification_part"]


def _labelled(verdicts: pd.DataFrame) -> pd.DataFrame:
    known = verdicts[verdicts["reference"].notna()]
    if known["protocol"].nunique() > 1:
        known = known.assign(model=known["model"].astype(str) + " [" + known["protocol"].astype(str) + "]")
    return known


def verification_outcome(verdicts: pd.DataFrame | None, *, level: float) -> Outcome:
    """False acceptance by round and by turn, or why not."""
    return recording("verification", lambda: _verification(verdicts, level=level))


def _verification(verdicts: pd.DataFrame | None, *, level: float) -> Outcome:
    from gapeval.decay import self_verification_drift

    if verdicts is None or verdicts.empty:
        return Outcome("verification", skipped="no self-verification verdicts in the run")
    known = _labelled(verdicts)
    if known.empty:
        return Outcome("verification", skipped="no verdict's candidate has a reference score")
    results: dict[str, Any] = {"by_round": self_verification_drift(known, turn="round", level=level)}
    turns = known[known["turn"].notna()]
    if turns["turn"].nunique() >= 2:
        results["by_turn"] = self_verification_drift(turns, turn="turn", level=level)
    return Outcome("verification", results=results)


def _rates_table(rates: pd.DataFrame, unit: str, note: str) -> Any:
    from gapeval.tables import Column, Table

    columns = (Column("model", "Model", "text"), Column(unit, unit.capitalize(), "integer"),
               Column("n_rejected", "Wrong", "integer"), Column("n_false_accept", "Accepted", "integer"),
               Column("rate", "Rate"), Column("interval", "CI", "interval"), Column("n", "$n$", "integer"))
    rows = tuple(
        (r.model, getattr(r, unit), r.n_rejected, r.n_false_accept, None if pd.isna(r.rate) else r.rate,
         None if pd.isna(r.lower) else (r.lower, r.upper), r.n)
        for r in rates.itertuples(index=False)
    )
    return Table(columns=columns, rows=rows, caption=f"Self-verification: false acceptance by {unit}",
                 label=f"tab:false-accept-{unit}", notes=(note,))


def _trend_table(slopes: pd.DataFrame, unit: str, level: float) -> Any:
    from gapeval.tables import Column, Table

    columns = (Column("model", "Model", "text"), Column("estimate", "$\\delta$"), Column("sd", "SE"),
               Column("interval", f"{level:.0%} CI", "interval"), Column("odds_ratio", "OR"),
               Column("statistic", "$z$", digits=2), Column("p_value", "$p$", "p_value"), Column("n", "$n$", "integer"))
    rows = tuple(
        tuple(None if isinstance(v, float) and pd.isna(v) else v for v in (
            r.model, r.estimate, r.sd, (r.lower, r.upper) if pd.notna(r.lower) else None, r.odds_ratio,
            r.statistic, r.p_value, r.n))
        for r in slopes.itertuples(index=False)
    )
    note = (f"logit P(accept | reference rejects) = $\\alpha + \\delta$ ({unit} $-$ 1), maximum likelihood; "
            f"$\\delta > 0$: more permissive later. OR = exp($\\delta$), the odds ratio per {unit}; Wald $z$ test of "
            f"$\\delta = 0$; $n$: verdicts on candidates the reference rejects.")
    return Table(columns=columns, rows=rows, caption=f"Trend of false acceptance over {unit}s",
                 label=f"tab:false-accept-trend-{unit}", notes=(note,), tests=("Wald z",))


def write_verification_part(writer: Any, outcome: Outcome) -> None:
    """Add the false-acceptance tables to a report being written (see ``build.py``)."""
    if outcome.skipped:
        writer.skipped("Self-verification", outcome)
        return
    for key, unit in (("by_round", "round"), ("by_turn", "turn")):
        if key not in outcome.results:
            continue
        result = outcome.results[key]
        rates = result.rates.rename(columns={"turn": unit})
        note = (f"False acceptance by {unit}. Wrong: candidates the reference scorer rejects (score below the "
                f"threshold); Accepted: those the model's own verdict accepted; Rate = Accepted / Wrong; CI: "
                f"{result.level:.0%} {result.interval} interval. $n$: all verdicts at that {unit}.")
        writer.table(f"self_verification_{unit}", _rates_table(rates, unit, note),
                     f"Self-verification: false acceptance by {unit}")
        writer.table(f"self_verification_{unit}_trend", _trend_table(result.slopes, unit, result.level),
                     f"Trend of false acceptance over {unit}s")
