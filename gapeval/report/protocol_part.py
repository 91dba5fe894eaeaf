"""The protocol part of a report: when a run used several protocols, their effects and costs.

With more than one protocol in the responses, every other part of the report treats each
(model, protocol) as a respondent, named ``model [protocol]`` (:func:`by_respondent`), and this part
adds the protocol effects on θ_U, θ_G and the gap from one joint fit (:func:`gapeval.protocol_analysis.
protocol_effects`) with the cost of each protocol beside its gain, the forest plot, and — when
there are dialogue turns — the protocol × turn terms of the decay model.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from gapeval.report.analyses import Outcome, recording

__all__ = ["baseline_of", "by_respondent", "protocol_labels", "protocol_outcome", "write_protocol_part"]


def protocol_labels(responses: pd.DataFrame) -> list[str]:
    """The protocol labels in ``responses`` (empty without a ``protocol`` column), sorted."""
    if "protocol" not in responses.columns:
        return []
    return sorted(str(label) for label in responses["protocol"].dropna().unique())


def baseline_of(labels: list[str]) -> str:
    """``direct`` when the run has it, else the first label."""
    return "direct" if "direct" in labels else labels[0]


def by_respondent(responses: pd.DataFrame) -> pd.DataFrame:
    """``responses`` with ``model`` renamed ``model [protocol]`` when there are several protocols.

    Examples
    --------
    >>> frame = pd.DataFrame({"model": ["m", "m"], "protocol": ["direct", "cot"]})
    >>> by_respondent(frame)["model"].tolist()
    ['m [direct]', 'm [cot]']
    """
    if len(protocol_labels(responses)) < 2:
        return responses
    return responses.assign(model=responses["model"].astype(str) + " [" + responses["protocol"].astype(str) + "]")


def protocol_outcome(
    responses: pd.DataFrame, *, steps: pd.DataFrame | None, inference: str, seed: int, level: float,
    decay_binomial: str, **options: Any,
) -> Outcome:
    """Protocol effects (and protocol × turn decay terms) of ``responses``, or why not."""
    return recording("protocols", lambda: _protocols(
        responses, steps=steps, inference=inference, seed=seed, level=level, decay_binomial=decay_binomial,
        **options))


def _protocols(responses: pd.DataFrame, *, steps: pd.DataFrame | None, inference: str, seed: int, level: float,
               decay_binomial: str, **options: Any) -> Outcome:
    from gapeval.protocol_analysis import protocol_decay, protocol_effects

    labels = protocol_labels(responses)
    if len(labels) < 2:
        return Outcome("protocols", skipped="one protocol only")
    baseline = baseline_of(labels)
    standalone = responses[responses["session"].isna()] if "session" in responses.columns else responses
    results: dict[str, Any] = {"baseline": baseline}
    try:
        results["effects"] = protocol_effects(standalone, baseline=baseline, inference=inference, seed=seed,
                                              level=level, steps=steps, **options)
    except ValueError as error:
        results["effects_skipped"] = f"protocol_effects refused the data: {error}"
    dialogue = responses[responses["turn"].notna()] if "turn" in responses.columns else responses.iloc[:0]
    if dialogue.empty:
        results["decay_skipped"] = "no dialogue turns in the data"
    else:
        try:
            results["decay"] = protocol_decay(dialogue, baseline=baseline, binomial_method=decay_binomial,
                                              level=level, seed=seed)
        except ValueError as error:
            results["decay_skipped"] = f"the decay model with protocol terms could not be fitted: {error}"
    return Outcome("protocols", results=results)


def write_protocol_part(writer: Any, outcome: Outcome) -> None:
    """Add the protocol tables and figure to a report being written (see ``build.py``)."""
    from gapeval.protocol_analysis import (
        protocol_decay_table,
        protocol_effects_table,
        protocol_forest_plot,
    )

    if outcome.skipped:
        return
    results = outcome.results
    heading = f"Protocol effects (against {results['baseline']})"
    if "effects" in results:
        effects = results["effects"]
        # effects and cost side by side are wider than a landscape page: two tables
        writer.table("protocol_effects", protocol_effects_table(effects, cost=False, label="tab:protocol-effects"),
                     heading)
        if effects.cost is not None:
            writer.table("protocol_cost", protocol_effects_table(effects, quantities=(), caption="Protocol cost",
                                                                 label="tab:protocol-cost"),
                         f"Cost of each protocol (against {results['baseline']})")
        writer.figure("protocol_effects", lambda: protocol_forest_plot(effects),
                      "Effect of each protocol on the abilities to understand and to generate and on the gap, per model and pooled")
    else:
        writer.lines += [f"## {heading}", "", f"Not estimated: {results['effects_skipped']}.", ""]
    if "decay" in results:
        writer.table("protocol_decay", protocol_decay_table(results["decay"], label="tab:protocol-decay"),
                     "Protocol and protocol × turn effects on decay")
    else:
        writer.lines += ["## Protocol × turn", "", f"Not estimated: {results['decay_skipped']}.", ""]
