"""Protocol effects on theta_U, theta_G and the gap, from one joint Gap Score fit.

Every (model, protocol) pair is a respondent of one :func:`gapeval.gap_score` fit, so all
protocols are measured on the same items with the same item parameters; the effect of protocol p
for model m is the posterior of theta(m, p) - theta(m, baseline) (and of the gap difference),
computed draw by draw from the joint posterior. See ``docs/protocols_analysis.md``.
"""

from __future__ import annotations

import inspect
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapeval.errors import GapevalError
from gapeval.gap.compare import gap_compare
from gapeval.gap.result import GapResult
from gapeval.gap.score import gap_score
from gapeval.responses import require_columns, require_ids
from irt.results import summarise_draws

__all__ = ["ProtocolEffects", "protocol_effects", "QUANTITIES", "POOLED", "select_final", "check_protocols"]

#: The three quantities whose protocol effect is reported (gap_score's column names).
QUANTITIES: tuple[str, ...] = ("theta_understanding", "theta_generation", "gap")
#: The ``model`` value of the pooled rows of :meth:`ProtocolEffects.wide`.
POOLED = "all models (mean)"
_EFFECT_COLUMNS = ["estimate", "sd", "lower", "upper", "p_positive"]
_RESERVED = {"responses", "model", "level", "inference", "seed", "method", "by"}


@dataclass(frozen=True, eq=False)
class ProtocolEffects:
    """Protocol effects estimated from one joint Gap Score fit with (model, protocol) respondents.

    Attributes
    ----------
    effects : pandas.DataFrame
        One row per model, non-baseline protocol and quantity (:data:`QUANTITIES`): columns
        ``model, protocol, quantity, effect`` (posterior mean of protocol - baseline), ``sd``,
        ``lower``, ``upper`` (equal-tailed interval at ``level``), ``p_positive`` (P(effect > 0)).
    pooled : pandas.DataFrame
        The same per protocol and quantity for the unweighted mean of the per-model effects over
        the models that ran the protocol (``n_models``).
    scores : pandas.DataFrame
        The gap_score table of the fit, one row per respondent, with ``model`` and ``protocol``
        columns added.
    compare : pandas.DataFrame
        The gap effect as :func:`gapeval.gap.compare.gap_compare` reports it (``difference``,
        ``difference_lower``, ``difference_upper``, ``p_greater``), oriented protocol - baseline;
        it agrees with the ``gap`` rows of ``effects`` (checked when built).
    result : GapResult
        The fit (draws, diagnostics, cohort summary).
    baseline : str
        The protocol every effect is measured against.
    protocols : tuple
        The baseline, then the compared protocols in sorted order.
    level, inference, scale : str or float
        Settings of the fit; ``approximate`` is True for SVI.
    cost : pandas.DataFrame or None
        :func:`gapeval.protocol_analysis.cost.protocol_cost` of the matching steps table when given.
    model, protocol : hashable
        Names of the model and protocol columns in ``effects``, ``pooled`` and ``scores``.
    """

    effects: pd.DataFrame
    pooled: pd.DataFrame
    scores: pd.DataFrame
    compare: pd.DataFrame
    result: GapResult
    baseline: str
    protocols: tuple
    level: float
    inference: str
    scale: str
    cost: pd.DataFrame | None = None
    model: Hashable = "model"
    protocol: Hashable = "protocol"

    @property
    def approximate(self) -> bool:
        """True for the SVI path (approximate intervals, typically too narrow)."""
        return self.result.approximate

    def effect(self, protocol: str, quantity: str = "gap", *, model: str | None = None) -> dict:
        """One effect as a dict (``effect, sd, lower, upper, p_positive``); pooled when ``model`` is None."""
        if quantity not in QUANTITIES:
            raise GapevalError(f"quantity={quantity!r} is not one of {list(QUANTITIES)}")
        frame = self.pooled if model is None else self.effects[self.effects[self.model] == model]
        row = frame[(frame[self.protocol] == protocol) & (frame["quantity"] == quantity)]
        if row.empty:
            raise GapevalError(f"no effect for protocol {protocol!r}{'' if model is None else f', model {model!r}'}; "
                               f"protocols compared: {list(self.protocols[1:])}")
        return {k: float(row.iloc[0][k]) for k in _EFFECT_COLUMNS}

    def wide(self, *, pooled: bool = True) -> pd.DataFrame:
        """One row per (model, protocol), pooled rows last (model :data:`POOLED`), cost beside each gain.

        Columns: the model and protocol columns, then per quantity ``<q>_estimate``, ``<q>_lower``,
        ``<q>_upper``, ``<q>_p_positive``, then the cost columns of ``cost`` when present.
        """
        keys = [self.model, self.protocol]
        parts = [self.effects] + ([self.pooled.assign(**{self.model: POOLED})] if pooled else [])
        rows = []
        for part in parts:
            wide = part.pivot(index=keys, columns="quantity", values=_EFFECT_COLUMNS)
            wide.columns = [f"{q}_{c}" for c, q in wide.columns]
            ordered = [f"{q}_{c}" for q in QUANTITIES for c in ("estimate", "lower", "upper", "p_positive")]
            rows.append(wide[ordered].reset_index())
        frame = pd.concat(rows, ignore_index=True)
        if self.cost is not None:
            frame = frame.merge(self.cost.drop(columns=["n_final"], errors="ignore"), on=keys, how="left")
        return frame


def select_final(responses: pd.DataFrame, *, step: Hashable | None, final: str) -> pd.DataFrame:
    """The rows that are scored answers: ``step == final`` when the step column exists, else all rows."""
    if not isinstance(responses, pd.DataFrame):
        raise GapevalError(f"responses must be a pandas DataFrame (the long table), got {type(responses).__name__}")
    if step is None or step not in responses.columns:
        return responses
    kept = responses[responses[step] == final]
    if kept.empty:
        values = sorted(map(str, responses[step].unique()))[:8]
        raise GapevalError(f"no row has {step!r} == {final!r} (values: {values}); "
                           f"only the final step of a protocol is scored; pass final='<value>' or step=None")
    return kept


def check_protocols(frame: pd.DataFrame, *, model: Hashable, protocol: Hashable, baseline: str) -> tuple:
    """Check the model and protocol columns and the baseline; return the protocols, baseline first."""
    roles = {"model": model, "protocol": protocol}
    require_columns(frame, roles)
    require_ids(frame, roles)
    found = sorted(frame[protocol].unique(), key=str)
    if baseline not in found:
        raise GapevalError(f"baseline protocol {baseline!r} is not in column {protocol!r} (protocols: {found}); "
                           "pass baseline='<protocol>' naming the protocol to compare against")
    if len(found) < 2:
        raise GapevalError(f"column {protocol!r} holds one protocol ({baseline!r}); a protocol effect needs the "
                           "baseline and at least one other protocol")
    has = frame.groupby(model, sort=True)[protocol].agg(lambda s: baseline in set(s))
    lacking = has.index[~has.to_numpy()].tolist()
    if lacking:
        raise GapevalError(f"model(s) {lacking[:8]} have no answers under the baseline protocol {baseline!r}, so "
                           "their effects cannot be measured; run them under the baseline or drop their rows")
    return (baseline, *[p for p in found if p != baseline])


def _check_gap_options(options: dict) -> None:
    allowed = [n for n in inspect.signature(gap_score).parameters if n not in _RESERVED]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise GapevalError(f"unknown gap_score option(s) {unknown}; protocol_effects passes on {allowed}")


def _respondents(frame: pd.DataFrame, *, model, protocol, item) -> tuple[pd.DataFrame, str, dict]:
    """Add a respondent column ``"<model>|<protocol>"``; return the frame, its name and id -> (model, protocol)."""
    name = "respondent"
    while name in frame.columns:
        name = "_" + name
    pairs = frame[[model, protocol]].drop_duplicates()
    ids = {f"{m}|{p}": (m, p) for m, p in pairs.itertuples(index=False, name=None)}
    if len(ids) != len(pairs):
        raise GapevalError("two (model, protocol) pairs give the same respondent id '<model>|<protocol>'; "
                           "make model and protocol ids free of '|'")
    out = frame.assign(**{name: [f"{m}|{p}" for m, p in zip(frame[model], frame[protocol])]})
    if item in out.columns:
        dup = out.duplicated([name, item], keep=False)
        if dup.any():
            first = out[dup].iloc[0]
            raise GapevalError(f"{int(dup.sum())} rows repeat a (model, protocol, item), e.g. ({first[model]!r}, "
                               f"{first[protocol]!r}, {first[item]!r}); keep one final answer per model, protocol "
                               "and item (aggregate repeated samples first)")
    return out, name, ids


def _effect_draws(result: GapResult, index: dict, model_ids, protocols) -> dict:
    """Draws (chain, draw, 3) of each (model, protocol) effect, keyed by (model, protocol)."""
    theta = result.samples["theta"].astype(np.float64)
    gap = result.gap_draws.astype(np.float64)
    draws = {}
    for m in model_ids:
        base = index[(m, protocols[0])]
        for p in protocols[1:]:
            if (m, p) not in index:
                continue
            r = index[(m, p)]
            d_theta = theta[:, :, r, :] - theta[:, :, base, :]
            draws[(m, p)] = np.stack([d_theta[..., 0], d_theta[..., 1], gap[:, :, r] - gap[:, :, base]], axis=-1)
    return draws


def _summary_rows(draws: np.ndarray, level: float) -> list[dict]:
    stats = summarise_draws(draws, level)
    with np.errstate(invalid="ignore"):
        positive = (draws > 0).mean(axis=(0, 1))
    return [{"quantity": q, "estimate": float(stats["estimate"][k]), "sd": float(stats["sd"][k]),
             "lower": float(stats["lower"][k]), "upper": float(stats["upper"][k]),
             "p_positive": float("nan") if np.isnan(stats["estimate"][k]) else float(positive[k])}
            for k, q in enumerate(QUANTITIES)]


def _compare_rows(result: GapResult, index: dict, keys, *, model, protocol, baseline) -> pd.DataFrame:
    table = gap_compare(result)
    lookup = {(r.model, r.other): r for r in table.itertuples(index=False)}
    ids = result.data.model_ids
    rows = []
    for m, p in keys:
        a, b = ids[index[(m, p)]], ids[index[(m, baseline)]]
        if (a, b) in lookup:
            r, sign = lookup[(a, b)], 1.0
        elif (b, a) in lookup:
            r, sign = lookup[(b, a)], -1.0
        else:  # a gap is NaN (one direction only): gap_compare leaves the respondent out
            continue
        lower, upper = sorted((sign * r.difference_lower, sign * r.difference_upper))
        rows.append({model: m, protocol: p, "difference": sign * r.difference, "difference_sd": r.difference_sd,
                     "difference_lower": lower, "difference_upper": upper,
                     "p_greater": r.p_greater if sign > 0 else 1.0 - r.p_greater})
    return pd.DataFrame(rows, columns=[model, protocol, "difference", "difference_sd", "difference_lower",
                                       "difference_upper", "p_greater"])


def _cross_check(effects: pd.DataFrame, compare: pd.DataFrame, *, model, protocol) -> None:
    gaps = effects[effects["quantity"] == "gap"].merge(compare, on=[model, protocol])
    # the draws are float32: the two routes agree to rounding, not bit for bit
    off = np.abs(gaps["estimate"] - gaps["difference"]) > 1e-5 * (1 + np.abs(gaps["estimate"]))
    off |= np.abs(gaps["lower"] - gaps["difference_lower"]) > 1e-5 * (1 + np.abs(gaps["lower"]))
    if off.any():
        row = gaps[off].iloc[0]
        raise RuntimeError(f"internal check failed: the gap effect of ({row[model]!r}, {row[protocol]!r}) is "
                           f"{row['estimate']!r} from the draws but {row['difference']!r} from gap_compare")


def protocol_effects(
    responses: pd.DataFrame,
    *,
    baseline: str = "direct",
    model: Hashable = "model",
    protocol: Hashable = "protocol",
    step: Hashable | None = "step",
    final: str = "final",
    inference: str = "nuts",
    level: float = 0.95,
    seed: int = 0,
    steps: pd.DataFrame | None = None,
    **gap_options,
) -> ProtocolEffects:
    """Effects of each protocol on theta_U, theta_G and the gap, per model and pooled, with intervals.

    One :func:`~gapeval.gap.score.gap_score` fit treats every (model, protocol) pair as a
    respondent; the effect of protocol p for model m is the posterior of theta(m, p) -
    theta(m, baseline) per direction and of gap(m, p) - gap(m, baseline), computed draw by draw.
    The pooled effect of p is the unweighted mean of the per-model effects (draw by draw).

    Parameters
    ----------
    responses : pandas.DataFrame
        The long responses table with a protocol column; not modified. When the ``step`` column
        exists only its ``final`` rows are used (the answers that count).
    baseline : str
        The protocol every effect is measured against; every model needs answers under it.
    model, protocol : hashable
        Column names of the model and the protocol.
    step, final : hashable, str
        The step column and the value that marks the scored answer (``None`` uses every row).
    inference : {"nuts", "svi"}
        As in ``gap_score``: ``nuts`` exact, ``svi`` fast and approximate (intervals too narrow).
    level : float
        Level of the equal-tailed intervals.
    seed : int
        Seed of the fit.
    steps : pandas.DataFrame, optional
        The steps table of the same run: :func:`~gapeval.protocol_analysis.cost.protocol_cost` is attached
        as ``cost`` (with its default column names) so cost sits beside each gain in ``wide()``.
    **gap_options
        Further options of ``gap_score`` (``item``, ``direction``, ``score``, ``pair``, ``scale``,
        ``points``, ``threshold``, ``num_warmup``, ``num_samples``, ``num_chains``,
        ``chain_method``, ``target_accept_prob``, ``num_steps``, ``learning_rate``); others are refused.

    Returns
    -------
    ProtocolEffects

    Raises
    ------
    GapevalError
        The model or protocol column is missing; the baseline is not a protocol of the table; the
        table has one protocol only; a model has no answers under the baseline (named); a
        (model, protocol, item) repeats; an unknown option; and the errors of ``gap_score``.

    Examples
    --------
    >>> from gapeval.protocol_analysis.simulate import simulate_protocol_responses
    >>> df, truth = simulate_protocol_responses(2, 20, protocols={"direct": (0, 0), "cot": (0, 1)}, seed=0)
    >>> fx = protocol_effects(df, inference="svi", num_steps=300)
    >>> fx.effects[["model", "protocol", "quantity"]].head(3).values.tolist()
    [['m00', 'cot', 'theta_understanding'], ['m00', 'cot', 'theta_generation'], ['m00', 'cot', 'gap']]
    """
    _check_gap_options(gap_options)
    if gap_options.get("method", "mirt") != "mirt":
        raise GapevalError("protocol_effects needs the posterior of gap_score(method='mirt')")
    frame = select_final(responses, step=step, final=final)
    protocols = check_protocols(frame, model=model, protocol=protocol, baseline=baseline)
    cost = None
    if steps is not None:  # before the fit, so a bad steps table fails fast
        from gapeval.protocol_analysis.cost import protocol_cost

        cost = protocol_cost(steps, baseline=baseline, model=model, protocol=protocol)
    frame, respondent, ids = _respondents(frame, model=model, protocol=protocol, item=gap_options.get("item", "item"))
    table = gap_score(frame, model=respondent, inference=inference, level=level, seed=seed, **gap_options)
    result: GapResult = table.attrs["result"]
    index = {ids[r]: k for k, r in enumerate(result.data.model_ids)}
    model_ids = sorted({m for m, _ in ids.values()}, key=str)
    draws = _effect_draws(result, index, model_ids, protocols)
    effects = pd.DataFrame(
        [{model: m, protocol: p, **row} for (m, p), d in draws.items() for row in _summary_rows(d, level)],
        columns=[model, protocol, "quantity", *_EFFECT_COLUMNS])
    pooled_rows = []
    for p in protocols[1:]:
        members = [d for (m, q), d in draws.items() if q == p]
        pooled_rows += [{protocol: p, **row, "n_models": len(members)}
                        for row in _summary_rows(np.mean(members, axis=0), level)]
    pooled = pd.DataFrame(pooled_rows, columns=[protocol, "quantity", *_EFFECT_COLUMNS, "n_models"])
    compare = _compare_rows(result, index, list(draws), model=model, protocol=protocol, baseline=baseline)
    _cross_check(effects, compare, model=model, protocol=protocol)
    scores = table.assign(**{model: [ids[r][0] for r in table[respondent]],
                             protocol: [ids[r][1] for r in table[respondent]]})
    scores.attrs = dict(table.attrs)
    return ProtocolEffects(effects=effects, pooled=pooled, scores=scores, compare=compare, result=result,
                           baseline=baseline, protocols=protocols, level=level, inference=inference,
                           scale=table.attrs["scale"], cost=cost, model=model, protocol=protocol)
