"""What a protocol costs: model calls and tokens per final answer, and the ratio to the baseline.

Reads the steps table of a run (one row per stored step, ``final`` rows included). A ``final`` row
whose ``called`` is False copies a chosen candidate without calling the model, so it adds an answer
but no call and no tokens. See ``docs/protocols_analysis.md``.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from gapeval.errors import GapevalError
from gapeval.protocol_analysis.effects import POOLED, check_protocols
from gapeval.responses import require_columns

__all__ = ["COST_COLUMNS", "protocol_cost"]

#: Columns of :func:`protocol_cost` after the model and protocol columns.
COST_COLUMNS: tuple[str, ...] = (
    "n_final", "calls_per_answer", "input_tokens_per_answer", "output_tokens_per_answer", "calls_ratio",
    "input_tokens_ratio", "output_tokens_ratio", "n_missing_tokens",
)
_PER_ANSWER = ("calls_per_answer", "input_tokens_per_answer", "output_tokens_per_answer")


def _called(frame: pd.DataFrame, column: Hashable) -> np.ndarray:
    values = frame[column]
    ok = values.map(lambda v: isinstance(v, (bool, np.bool_)) or (not pd.isna(v) and v in (0, 1)))
    if not ok.all():
        shown = values[~ok].astype(str).unique()[:5].tolist()
        raise GapevalError(f"column {column!r} (called) has values {shown} in rows {frame.index[~ok][:5].tolist()}; "
                           "it must be True/False: was the model called for this step?")
    return values.astype(bool).to_numpy()


def _tokens(frame: pd.DataFrame, column: Hashable) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = (np.isnan(values) & frame[column].notna().to_numpy()) | (values < 0)
    if bad.any():
        shown = frame[column][bad].astype(str).unique()[:5].tolist()
        raise GapevalError(f"column {column!r} has values {shown} in rows {frame.index[bad][:5].tolist()}; token "
                           "counts must be non-negative numbers (or missing when the adapter did not report them)")
    return values


def _check_final_keys(frame: pd.DataFrame, keys: list, *, step: Hashable, final: str) -> None:
    finals = frame[frame[step] == final]
    dup = finals.duplicated(keys, keep=False)
    if dup.any():
        first = finals[dup].iloc[0]
        shown = ", ".join(f"{k}={first[k]!r}" for k in keys)
        raise GapevalError(f"{int(dup.sum())} rows are a second {final!r} step of one answer, e.g. {shown}; "
                           "each (model, protocol, item, session, turn, sample) has one final step")


def protocol_cost(
    steps: pd.DataFrame,
    *,
    baseline: str = "direct",
    model: Hashable = "model",
    protocol: Hashable = "protocol",
    item: Hashable = "item",
    session: Hashable = "session",
    turn: Hashable = "turn",
    sample: Hashable = "sample",
    step: Hashable = "step",
    final: str = "final",
    context_tokens: Hashable = "context_tokens",
    output_tokens: Hashable = "output_tokens",
    called: Hashable = "called",
) -> pd.DataFrame:
    """Calls, input and output tokens per final answer for each model and protocol, and the ratio to the baseline.

    For each (model, protocol): ``n_final`` = number of ``final`` steps (answers that count);
    ``calls_per_answer`` = rows with ``called`` True / ``n_final``; ``input_tokens_per_answer`` and
    ``output_tokens_per_answer`` = the sums of ``context_tokens`` and ``output_tokens`` over the
    called rows / ``n_final``; each ``*_ratio`` divides by the same number of the model's
    baseline (NaN where the baseline's is 0). ``n_missing_tokens`` counts called rows without a
    token count (left out of the sums, so the token numbers are then lower bounds).
    Pooled rows (model :data:`~gapeval.protocol_analysis.effects.POOLED`) average the per-answer numbers
    and the ratios over the models that ran the protocol, with equal weights, as the pooled
    effects do; their ``n_final`` and ``n_missing_tokens`` are totals.

    Parameters
    ----------
    steps : pandas.DataFrame
        The steps table: one row per stored step. Not modified.
    baseline : str
        The protocol the ratios divide by; every model needs it.
    model, protocol, item, session, turn, sample, step, context_tokens, output_tokens, called : hashable
        Column names (``session`` and ``turn`` may hold missing values for single-turn items).
    final : str
        The ``step`` value of the answer that counts.

    Returns
    -------
    pandas.DataFrame
        The model and protocol columns, then :data:`COST_COLUMNS`; the baseline's rows (ratios 1)
        come first for each model, pooled rows last.

    Raises
    ------
    GapevalError
        A missing column; ``called`` not True/False; negative or non-numeric tokens; two final steps
        of one answer; a (model, protocol) with steps but no final step; the baseline missing or the
        only protocol; a model without the baseline (named).

    Examples
    --------
    >>> import pandas as pd
    >>> steps = pd.DataFrame({
    ...     "model": ["m"] * 3, "protocol": ["direct", "cot", "cot"], "item": ["q1"] * 3,
    ...     "session": [None] * 3, "turn": [None] * 3, "sample": [0] * 3,
    ...     "step": ["final", "thought", "final"], "context_tokens": [100, 100, 300],
    ...     "output_tokens": [10, 200, 10], "called": [True, True, True]})
    >>> cost = protocol_cost(steps)
    >>> cost[["protocol", "calls_ratio", "input_tokens_ratio", "output_tokens_ratio"]].iloc[:2].values.tolist()
    [['direct', 1.0, 1.0, 1.0], ['cot', 2.0, 4.0, 21.0]]
    """
    if not isinstance(steps, pd.DataFrame):
        raise GapevalError(f"steps must be a pandas DataFrame (the steps table), got {type(steps).__name__}")
    names = {"item": item, "session": session, "turn": turn, "sample": sample, "step": step,
             "context_tokens": context_tokens, "output_tokens": output_tokens, "called": called}
    require_columns(steps, names, table="steps table")
    protocols = check_protocols(steps, model=model, protocol=protocol, baseline=baseline)
    _check_final_keys(steps, [model, protocol, item, session, turn, sample], step=step, final=final)
    is_called = _called(steps, called)
    inputs, outputs = _tokens(steps, context_tokens), _tokens(steps, output_tokens)
    work = pd.DataFrame({
        "m": steps[model].to_numpy(), "p": steps[protocol].to_numpy(),
        "final": (steps[step] == final).to_numpy(), "called": is_called,
        "input": np.where(is_called, np.nan_to_num(inputs), 0.0),
        "output": np.where(is_called, np.nan_to_num(outputs), 0.0),
        "missing": is_called & (np.isnan(inputs) | np.isnan(outputs)),
    })
    sums = work.groupby(["m", "p"], sort=False).sum()
    empty = sums.index[sums["final"] == 0].tolist()
    if empty:
        raise GapevalError(f"(model, protocol) {empty[:5]} have steps but no {final!r} step; every protocol run "
                           "ends in a final answer: check the step column or pass final='<value>'")
    n = sums["final"].to_numpy(dtype=float)
    table = pd.DataFrame({
        model: [m for m, _ in sums.index], protocol: [p for _, p in sums.index], "n_final": n.astype(int),
        "calls_per_answer": sums["called"].to_numpy(dtype=float) / n,
        "input_tokens_per_answer": sums["input"].to_numpy(dtype=float) / n,
        "output_tokens_per_answer": sums["output"].to_numpy(dtype=float) / n,
    })
    base = table[table[protocol] == baseline].set_index(model)
    for per, ratio in zip(_PER_ANSWER, ("calls_ratio", "input_tokens_ratio", "output_tokens_ratio")):
        denominator = base.loc[table[model], per].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            table[ratio] = np.where(denominator > 0, table[per].to_numpy() / denominator, np.nan)
    table["n_missing_tokens"] = sums["missing"].to_numpy(dtype=int)
    order = {p: k for k, p in enumerate(protocols)}
    table = table.assign(_o=table[protocol].map(order)).sort_values([model, "_o"], key=None, kind="stable")
    table = table.drop(columns="_o").reset_index(drop=True)
    pooled = table.groupby(protocol, sort=False)[list(COST_COLUMNS)].mean()
    pooled = pooled.reindex(protocols).reset_index()
    pooled.insert(0, model, POOLED)
    pooled["n_final"] = table.groupby(protocol)["n_final"].sum().reindex(protocols).to_numpy()
    pooled["n_missing_tokens"] = table.groupby(protocol)["n_missing_tokens"].sum().reindex(protocols).to_numpy()
    return pd.concat([table, pooled[table.columns]], ignore_index=True)
