"""Tables for papers: protocol effects (with their cost) and protocol x turn decay coefficients.

Both return :class:`gapeval.tables.Table` objects; render them with
:func:`gapeval.tables.to_markdown` or :func:`gapeval.tables.to_latex`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from gapeval.errors import GapevalError
from gapeval.protocol_analysis.decay import ProtocolDecay
from gapeval.protocol_analysis.effects import POOLED, QUANTITIES, ProtocolEffects
from gapeval.tables import Column, Table, coef_table

__all__ = ["protocol_effects_table", "protocol_decay_table", "QUANTITY_LABELS"]

#: Printed name of each quantity's effect.
#: Each quantity's symbol (TeX math: typeset by LaTeX and matplotlib, spelled out in Markdown and HTML).
QUANTITY_LABELS = {"theta_understanding": "$\\Delta\\theta_U$", "theta_generation": "$\\Delta\\theta_G$",
                   "gap": "$\\Delta$gap"}
_COST = (("calls_per_answer", "Calls / answer", 2), ("calls_ratio", "Calls ×", 2),
         ("input_tokens_ratio", "Input tokens ×", 2), ("output_tokens_ratio", "Output tokens ×", 2))


def _effect_notes(fx: ProtocolEffects, with_cost: bool, with_effects: bool) -> tuple[str, ...]:
    how = ("approximate credible intervals (SVI, mean-field normal; typically too narrow)" if fx.approximate
           else "equal-tailed credible intervals (NUTS)")
    notes = [
        f"Effects of each protocol against {fx.baseline!r} from one joint Gap Score fit ({fx.scale} scale) "
        "in which every (model, protocol) pair is a respondent: $\\Delta\\theta_U = \\theta_U$(model, protocol) "
        "$-$ $\\theta_U$(model, baseline), likewise $\\Delta\\theta_G$; $\\Delta$gap = $\\Delta\\theta_U - "
        "\\Delta\\theta_G$ (negative: the protocol narrows an understanding-ahead gap). Logits at unit slope.",
        f"Estimates are posterior means; each is followed by its {fx.level * 100:g}% {how} (CrI) and P(>0), "
        "the posterior probability that the effect is positive.",
        f"Rows '{POOLED}': the unweighted mean of the per-model effects over the models that ran the protocol, "
        "computed draw by draw.",
    ] if with_effects else []
    if with_cost:
        notes.append("Cost: model calls per final answer, and calls and input/output tokens per final answer "
                     f"divided by the same model's under {fx.baseline!r} (×); a final answer copied from a chosen "
                     "candidate costs no call.")
    return tuple(notes)


def protocol_effects_table(
    effects: ProtocolEffects,
    *,
    quantities: Sequence[str] = QUANTITIES,
    pooled: bool = True,
    cost: bool = True,
    caption: str = "Protocol effects",
    label: str | None = None,
    digits: int = 2,
) -> Table:
    """Per model and protocol: the effect on each quantity with its interval and P(>0), cost beside it.

    Parameters
    ----------
    effects : ProtocolEffects
        From :func:`~gapeval.protocol_analysis.effects.protocol_effects`.
    quantities : sequence of str
        Which of ``theta_understanding``, ``theta_generation``, ``gap`` to show, in order; empty
        (with ``cost``) for a table of the cost alone (effects and cost side by side are wider than
        a landscape page: the report writes them as two tables).
    pooled : bool
        Add the pooled (mean over models) row of each protocol at the end.
    cost : bool
        Add the cost columns when ``effects.cost`` is present.
    caption, label : str
        Caption and LaTeX label.
    digits : int
        Decimals of effects and intervals.

    Returns
    -------
    Table

    Raises
    ------
    GapevalError
        ``effects`` is not a ProtocolEffects, or an unknown quantity.
    """
    if not isinstance(effects, ProtocolEffects):
        raise GapevalError(f"effects must be the ProtocolEffects of protocol_effects, got {type(effects).__name__}")
    with_cost = cost and effects.cost is not None
    unknown = [q for q in quantities if q not in QUANTITIES]
    if unknown or not (quantities or with_cost):
        raise GapevalError(f"quantities {list(quantities)} must be a list from {list(QUANTITIES)}, non-empty unless "
                           "the table shows the cost (cost=True and effects with a cost)")
    wide = effects.wide(pooled=pooled)
    level = f"{effects.level * 100:g}% CrI"
    columns = [Column("model", "Model", "text"), Column("protocol", "Protocol", "text")]
    for q in quantities:
        name = QUANTITY_LABELS[q]
        columns += [Column(f"{q}_estimate", name, digits=digits),
                    Column(f"{q}_ci", level, "interval", digits),
                    Column(f"{q}_p_positive", "P(>0)", digits=3)]
    if with_cost:
        columns += [Column(key, text, digits=d) for key, text, d in _COST]
    rows = []
    for rec in wide.to_dict("records"):
        row = [str(rec[effects.model]), str(rec[effects.protocol])]
        for q in quantities:
            row += [rec[f"{q}_estimate"], (rec[f"{q}_lower"], rec[f"{q}_upper"]), rec[f"{q}_p_positive"]]
        if with_cost:
            row += [rec.get(key) for key, _, _ in _COST]
        rows.append(tuple(row))
    return Table(columns=tuple(columns), rows=tuple(rows), caption=caption, label=label,
                 notes=_effect_notes(effects, with_cost, bool(quantities)))


def protocol_decay_table(
    fit: ProtocolDecay,
    *,
    test: str | None = None,
    correction: str | None = None,
    marks: bool = False,
    caption: str = "Protocol and protocol × turn effects in the decay model",
    label: str | None = None,
    digits: int = 3,
) -> Table:
    """The protocol and protocol x turn coefficients with SE, interval, named test and p-value.

    Built by :func:`gapeval.tables.coef_table` on the protocol terms (so the correction family is
    those terms), with a note saying what the terms mean.

    Parameters
    ----------
    fit : ProtocolDecay
        From :func:`~gapeval.protocol_analysis.decay.protocol_decay`.
    test, correction, marks, caption, label, digits :
        As in :func:`gapeval.tables.coef_table`.

    Returns
    -------
    Table
    """
    if not isinstance(fit, ProtocolDecay):
        raise GapevalError(f"fit must be the ProtocolDecay of protocol_decay, got {type(fit).__name__}")
    table = coef_table(fit.decay, test=test, terms=fit.terms, correction=correction, marks=marks, caption=caption,
                       label=label, digits=digits)
    meaning = (f"protocol[p] is protocol p's effect at turn 1 against {fit.baseline!r}; protocol[p]:turn is the "
               "change of the per-turn slope against the baseline (positive: slower decay).")
    return replace(table, notes=(*table.notes, meaning))
