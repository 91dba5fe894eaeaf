"""Decay curves: mean score against turn per model and direction, with interval bands and fitted slopes."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats
from scipy.special import expit, logit

from gapeval.figures._common import (
    FigureError,
    check_choice,
    check_level,
    numeric_column,
    require_columns,
    require_frame,
    select,
)
from gapeval.responses import DIRECTIONS

__all__ = ["decay_curves", "turn_means", "INTERVALS", "PANELS"]

#: Intervals of the per-turn means: Wilson (0/1 scores), normal (mean ± z·sd/√n), or chosen by the scores.
INTERVALS: tuple[str, ...] = ("auto", "binomial", "normal")
#: One panel per model (both directions in it) or one per direction (every model in it).
PANELS: tuple[str, ...] = ("model", "direction")
_CANONICAL = DIRECTIONS
_HINT = "pass the long responses table (docs/design.md §4) with model, direction, turn and score columns"


def _wilson(k: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    p = k / n
    centre = (p + z ** 2 / (2 * n)) / (1 + z ** 2 / n)
    half = z / (1 + z ** 2 / n) * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2))
    return centre - half, centre + half


def turn_means(frame: pd.DataFrame, *, interval: str, level: float) -> pd.DataFrame:
    """Mean score per (model, direction, turn) with its interval; ``frame`` has the standard column names.

    Columns ``model, direction, turn, n, mean, lower, upper``. ``binomial``: Wilson score interval;
    ``normal``: mean ± z·sd/√n (no interval for a single answer). Answers are treated as
    independent: answers of one dialogue are correlated, so the bands are a display, not a test.
    """
    z = stats.norm.ppf(0.5 + level / 2)
    grouped = frame.groupby(["model", "direction", "turn"], sort=True)["score"]
    table = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    n = table["n"].to_numpy(dtype=float)
    if interval == "binomial":
        lower, upper = _wilson(table["mean"].to_numpy() * n, n, z)
    else:
        half = z * table["sd"].to_numpy() / np.sqrt(n)
        lower, upper = table["mean"].to_numpy() - half, table["mean"].to_numpy() + half
    return table.drop(columns="sd").assign(lower=lower, upper=upper)


def _standard(responses, *, score, turn, direction, model) -> pd.DataFrame:
    frame = require_frame(responses, what="responses", hint=_HINT)
    require_columns(frame, [model, direction, turn, score], what="responses",
                    hint="name the columns with model=, direction=, turn=, score=")
    t = numeric_column(frame, turn, what="responses")
    if (t != np.round(t)).any():
        raise FigureError(f"column {turn!r} has non-integer turns {sorted(set(t[t != np.round(t)]))[:5]}; "
                          "turns are 1-based turn indices")
    return pd.DataFrame({"model": frame[model].astype(str).to_numpy(),
                         "direction": frame[direction].astype(str).to_numpy(),
                         "turn": t.astype(int), "score": numeric_column(frame, score, what="responses")})


def _fitted(result, frame: pd.DataFrame) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """The model's turn slope from a decay() result, drawn through the observed mean at the mean turn."""
    slopes = {(s.model, s.direction): s.estimate for s in getattr(result, "slopes", None) or ()}
    if not slopes or getattr(result, "family", None) not in ("gaussian", "binomial"):
        raise FigureError(f"result must be what gapeval.decay.decay returns, got {type(result).__name__}")
    lines = {}
    for (m, d), rows in frame.groupby(["model", "direction"]):
        if (m, d) not in slopes:
            raise FigureError(f"the decay result has no slope for model {m!r}, direction {d!r}; pass the result "
                              "of decay() fitted to these responses")
        turns = np.arange(rows["turn"].min(), rows["turn"].max() + 1, dtype=float)
        centre, mean = rows["turn"].mean(), rows["score"].mean()
        if result.family == "binomial":
            curve = expit(logit(np.clip(mean, 1e-3, 1 - 1e-3)) + slopes[m, d] * (turns - centre))
        else:
            curve = mean + slopes[m, d] * (turns - centre)
        lines[m, d] = (turns, curve)
    return lines


def _layout(keys: list[str], *, figsize_per: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    ncols = min(3, len(keys))
    nrows = math.ceil(len(keys) / ncols)
    fig = Figure(figsize=(figsize_per[0] * ncols, figsize_per[1] * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax in axes[len(keys):]:
        fig.delaxes(ax)
    return fig, axes[:len(keys)]


def decay_curves(
    responses: pd.DataFrame,
    *,
    result: object | None = None,
    score: Hashable = "score",
    turn: Hashable = "turn",
    direction: Hashable = "direction",
    model: Hashable = "model",
    models: Sequence[Hashable] | None = None,
    interval: str = "auto",
    level: float = 0.95,
    panels: str = "model",
) -> Figure:
    """Mean score against turn for every model and direction, with interval bands.

    Parameters
    ----------
    responses : pandas.DataFrame
        The long responses table: one row per scored answer with model, direction, 1-based turn
        and score columns (rows without a turn, e.g. single-turn items, must be dropped first).
        Not modified.
    result : gapeval.decay.DecayResult, optional
        A :func:`gapeval.decay.decay` fit of these responses: each model's fitted turn slope is
        drawn as a dashed line through that model's observed mean score at its mean turn (on the
        logit scale for a binomial fit). The result holds slopes, not per-model intercepts, so the
        line shows the estimated rate of decay, anchored on the data.
    score, turn, direction, model : hashable
        Column names.
    models : sequence, optional
        Models to draw (as they appear in the model column), in this order; default all, sorted.
    interval : {"auto", "binomial", "normal"}
        Band of each per-turn mean: ``binomial`` (Wilson score interval, 0/1 scores only),
        ``normal`` (mean ± z·sd/√n); ``auto`` picks ``binomial`` when every score is 0 or 1.
        Answers are treated as independent, so bands are a display of spread, not a test; the
        tests are in :func:`gapeval.decay.decay`.
    level : float
        Level of the bands.
    panels : {"model", "direction"}
        One panel per model with both directions (default), or one per direction with every model.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per panel; per (model, direction) a line of means (``gid``
        ``"mean:<model>:<direction>"``), a band (``"band:<model>:<direction>"``) and, with
        ``result``, the fitted line (``"fit:<model>:<direction>"``).

    Raises
    ------
    FigureError
        Missing columns (named), non-numeric scores or turns, non-integer turns, ``binomial`` with
        scores other than 0/1, unknown models, bad options, or a result without slopes for the
        models drawn.

    Examples
    --------
    >>> from gapeval.decay import simulate_decay
    >>> responses, _ = simulate_decay(num_models=2, num_sessions=3, num_turns=4, seed=0)
    >>> fig = decay_curves(responses)
    >>> len(fig.axes), sorted(line.get_gid() for line in fig.axes[0].lines)
    (2, ['mean:model_0:generation', 'mean:model_0:understanding'])
    """
    check_choice("interval", interval, INTERVALS)
    check_choice("panels", panels, PANELS)
    level = check_level(level)
    frame = _standard(responses, score=score, turn=turn, direction=direction, model=model)
    binary = bool(np.isin(frame["score"], (0.0, 1.0)).all())
    if interval == "binomial" and not binary:
        raise FigureError(f"interval='binomial' needs 0/1 scores; column {score!r} has other values "
                          f"{sorted(set(frame['score'][~np.isin(frame['score'], (0.0, 1.0))]))[:5]}; use 'normal'")
    wanted = None if models is None else [str(m) for m in models]
    chosen = [str(m) for m in select(sorted(frame["model"].unique()), wanted, what="model")]
    frame = frame[frame["model"].isin(chosen)]
    present = set(frame["direction"])
    directions = [d for d in _CANONICAL if d in present] + sorted(present - set(_CANONICAL))
    means = turn_means(frame, interval="binomial" if interval == "auto" and binary else
                       ("normal" if interval == "auto" else interval), level=level)
    fitted = _fitted(result, frame) if result is not None else {}
    keys = chosen if panels == "model" else directions
    fig, axes = _layout(keys, figsize_per=(3.6, 2.8))
    colour = ({d: f"C{i}" for i, d in enumerate(directions)} if panels == "model"
              else {m: f"C{i % 10}" for i, m in enumerate(chosen)})
    for (m, d), rows in means.groupby(["model", "direction"], sort=False):
        key, other = (m, d) if panels == "model" else (d, m)
        ax, c = axes[keys.index(key)], colour[other]
        ax.fill_between(rows["turn"], rows["lower"], rows["upper"], color=c, alpha=0.2, linewidth=0,
                        gid=f"band:{m}:{d}")
        ax.plot(rows["turn"], rows["mean"], marker="o", markersize=3, color=c, label=other, gid=f"mean:{m}:{d}")
        if (m, d) in fitted:
            ax.plot(*fitted[m, d], color=c, linestyle="--", linewidth=1, gid=f"fit:{m}:{d}")
    for ax, key in zip(axes, keys):
        ax.set_title(key, fontsize="medium")
    axes[0].legend(fontsize="x-small", title="direction" if panels == "model" else "model", title_fontsize="x-small")
    fig.supxlabel("turn")
    fig.supylabel("mean score")
    band = ("Wilson" if binary and interval != "normal" else "normal") + f" {100 * level:g}% band"
    fig.suptitle(f"Score by turn ({band}" + ("; dashed: fitted decay slope)" if fitted else ")"))
    return fig
