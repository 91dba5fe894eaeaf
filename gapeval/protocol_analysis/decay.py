"""Protocol x turn in the decay model: does a protocol lift scores, and does it slow their decay?

The decay model of :func:`gapeval.decay.decay` (``docs/methods.md`` §3) gets, for every non-baseline
protocol p, two covariates: the indicator ``protocol[p]`` (1 for answers under p) and
``protocol[p]:turn`` = indicator x (turn - 1). Their coefficients are the protocol's effect at the
first turn and the change of the per-turn slope against the baseline (positive: the protocol
slows the decay). See ``docs/protocols_analysis.md``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import pandas as pd

from gapeval.decay.api import decay
from gapeval.estimates import DecayResult
from gapeval.errors import GapevalError
from gapeval.protocol_analysis.effects import check_protocols, select_final
from gapeval.responses import require_columns
from gapeval.sampling import BINOMIAL_METHOD

__all__ = ["ProtocolDecay", "protocol_decay", "protocol_terms"]

_COEF_COLUMNS = ["protocol", "effect", "term", "estimate", "sd", "lower", "upper", "test", "statistic", "df",
                 "p_value"]


@dataclass(frozen=True, eq=False)
class ProtocolDecay:
    """The decay model with protocol and protocol x turn terms.

    Attributes
    ----------
    decay : DecayResult
        The full fit (every fixed effect, variance components, per-model slopes). Its per-model
        slopes are those of the **baseline** protocol (the protocol terms are fixed effects).
    coefficients : pandas.DataFrame
        One row per non-baseline protocol and effect (``"protocol"``: the shift at turn 1;
        ``"protocol x turn"``: the change of the per-turn slope), columns ``protocol, effect,
        term, estimate, sd, lower, upper, test, statistic, df, p_value`` (``test`` names the test
        that gives the p-value and the interval).
    baseline : str
        The protocol the terms contrast with.
    protocols : tuple
        The baseline, then the other protocols in sorted order.
    """

    decay: DecayResult
    coefficients: pd.DataFrame
    baseline: str
    protocols: tuple

    @property
    def terms(self) -> list[str]:
        """The fixed-effect names of the protocol terms, in the order of ``coefficients``."""
        return self.coefficients["term"].tolist()


def protocol_terms(protocol_name: str, *, column: str = "protocol") -> tuple[str, str]:
    """Names of the main-effect and the turn-interaction terms of one protocol.

    Examples
    --------
    >>> protocol_terms("cot")
    ('protocol[cot]', 'protocol[cot]:turn')
    """
    return f"{column}[{protocol_name}]", f"{column}[{protocol_name}]:turn"


def _design(frame: pd.DataFrame, protocols: tuple, *, protocol, turn, session) -> tuple[pd.DataFrame, list, str | None]:
    """Add the indicator columns (and a per-protocol session id) to a copy of ``frame``."""
    out = frame.copy()
    x = pd.to_numeric(out[turn], errors="coerce").to_numpy(dtype=float) - 1.0
    names = []
    for p in protocols[1:]:
        main, slope = protocol_terms(str(p), column=str(protocol))
        clash = [c for c in (main, slope) if c in out.columns]
        if clash:
            raise GapevalError(f"the responses table already has column(s) {clash}, which protocol_decay "
                               "builds; rename them")
        indicator = (out[protocol] == p).to_numpy(dtype=float)
        out[main], out[slope] = indicator, indicator * x
        names += [main, slope]
    run = None
    if session is not None:
        require_columns(out, {"session": session})
        if out[session].isna().any():
            rows = out.index[out[session].isna()][:5].tolist()
            raise GapevalError(f"column {session!r} (session) is missing in dialogue rows {rows}; every dialogue "
                               "turn needs its dialogue id (or pass session=None)")
        run = "_protocol_session"
        while run in out.columns:
            run = "_" + run
        # a dialogue run under another protocol is another run: its own session intercept
        out[run] = [f"{s}|{p}" for s, p in zip(out[session], out[protocol])]
    return out, names, run


def protocol_decay(
    responses: pd.DataFrame,
    *,
    baseline: str = "direct",
    protocol: Hashable = "protocol",
    model: str = "model",
    score: str = "score",
    turn: str = "turn",
    direction: str = "direction",
    session: str | None = "session",
    item: str | None = "item",
    structure: str = "auto",
    step: Hashable | None = "step",
    final: str = "final",
    covariates: Sequence[str] = (),
    family: str = "auto",
    random_slopes: str = "turn",
    binomial_method: str = BINOMIAL_METHOD,
    level: float = 0.95,
    seed: int = 0,
) -> ProtocolDecay:
    """Decay model with a protocol main effect and a protocol x (turn - 1) interaction per protocol.

    With ``x = turn - 1``, ``U = 1`` for understanding (generation is the reference level, so direction
    terms read understanding minus generation) and ``P_p = 1`` for answers under protocol p:

        score = b0 + b_t x + b_u U + b_tu x U + sum_p (c_p P_p + s_p P_p x) + covariates + random effects,

    with the random effects of :func:`gapeval.decay.decay` (a model intercept and turn slope, an
    intercept per dialogue run, and — in the crossed structure, when the same dialogues and items were
    given to several models — intercepts per dialogue and per item shared by the models; a dialogue
    under each protocol is its own dialogue and its own run). ``c_p`` is
    protocol p's effect at the first turn and ``s_p`` how much it changes the per-turn slope
    against the baseline. Only dialogue rows (``turn`` not missing) and, when the step column
    exists, ``final`` steps are used.

    Parameters
    ----------
    responses : pandas.DataFrame
        The long responses table with a protocol column; not modified.
    baseline : str
        The protocol the terms contrast with.
    protocol, model, score, turn, direction, session, step : hashable
        Column names (``session=None`` drops the dialogue intercept; ``step=None`` uses every row).
    final : str
        The step value of the scored answer.
    item, structure, covariates, family, random_slopes, binomial_method, level, seed :
        As in :func:`gapeval.decay.decay`.

    Returns
    -------
    ProtocolDecay

    Raises
    ------
    GapevalError
        No dialogue rows; a missing column; the baseline missing or the only protocol among the
        dialogue rows; a model without baseline dialogues (named); and the errors of ``decay``.

    Examples
    --------
    >>> from gapeval.decay import simulate_decay
    >>> df, _ = simulate_decay(num_models=3, num_sessions=6, num_turns=4, seed=1)
    >>> both = pd.concat([df.assign(protocol="direct"), df.assign(protocol="cot")], ignore_index=True)
    >>> fit = protocol_decay(both)
    >>> fit.terms, round(float(fit.coefficients["estimate"].abs().max()), 6)
    (['protocol[cot]', 'protocol[cot]:turn'], 0.0)
    """
    frame = select_final(responses, step=step, final=final)
    if turn not in frame.columns:
        raise GapevalError(f"column {turn!r} (the turn column) is not in the responses table; it has columns "
                           f"{list(frame.columns)}; pass turn='<name>'")
    frame = frame[frame[turn].notna()]
    if frame.empty:
        raise GapevalError(f"no row has a {turn!r}: protocol x turn needs dialogue rows (turn not missing)")
    protocols = check_protocols(frame, model=model, protocol=protocol, baseline=baseline)
    design, names, run = _design(frame, protocols, protocol=protocol, turn=turn, session=session)
    result = decay(design, score=score, turn=turn, direction=direction, model=model, session=run, item=item,
                   structure=structure, covariates=(*names, *covariates), family=family, random_slopes=random_slopes,
                   binomial_method=binomial_method, level=level, seed=seed)
    effects = {fe.term: fe for fe in result.fixed_effects}
    rows = []
    for p in protocols[1:]:
        for label, term in zip(("protocol", "protocol x turn"), protocol_terms(str(p), column=str(protocol))):
            fe = effects[term]
            best = fe.tests[0]
            rows.append({"protocol": p, "effect": label, "term": term, "estimate": fe.estimate, "sd": fe.sd,
                         "lower": fe.lower, "upper": fe.upper, "test": best.name, "statistic": best.statistic,
                         "df": best.df, "p_value": best.p_value})
    return ProtocolDecay(decay=result, coefficients=pd.DataFrame(rows, columns=_COEF_COLUMNS), baseline=baseline,
                         protocols=protocols)
