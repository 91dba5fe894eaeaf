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


def write_verification_part(writer: Any, outcome: Outcome) -> None:
    """Add the false-acceptance tables to a report being written (see ``build.py``)."""
    from gapeval.tables import table_from_frame

    if outcome.skipped:
        writer.skipped("Self-verification", outcome)
        return
    for key, unit in (("by_round", "round"), ("by_turn", "turn")):
        if key not in outcome.results:
            continue
        result = outcome.results[key]
        rates = result.rates.rename(columns={"turn": unit})
        note = (f"False acceptance: among the candidates the reference scorer rejects (score below the "
                f"threshold), the share the model's own verdict accepted, by {unit}; {result.level:.0%} "
                f"{result.interval} intervals. n = all verdicts at that {unit}.")
        table = table_from_frame(rates, caption=f"Self-verification: false acceptance by {unit}",
                                 label=f"tab:false-accept-{unit}", notes=[note])
        writer.table(f"self_verification_{unit}", table, f"Self-verification: false acceptance by {unit}")
        slopes = result.slopes.drop(columns=["note"], errors="ignore")
        table = table_from_frame(
            slopes, caption=f"Trend of false acceptance over {unit}s", label=f"tab:false-accept-trend-{unit}",
            notes=[f"logit P(accept | reference rejects) = α + δ·({unit} − 1), maximum likelihood; Wald z "
                   "test of δ = 0; δ > 0: more permissive later."])
        writer.table(f"self_verification_{unit}_trend", table, f"Trend of false acceptance over {unit}s")
