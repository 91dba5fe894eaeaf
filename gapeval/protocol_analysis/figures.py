"""Forest plot of protocol effects: one panel per quantity, one row per model and protocol.

Built like :mod:`gapeval.figures`: a pure function returning a new matplotlib Figure (object API,
no pyplot state); save it with :func:`gapeval.figures.save_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from gapeval.figures._common import FigureError
from gapeval.protocol_analysis.effects import POOLED, QUANTITIES, ProtocolEffects
from gapeval.protocol_analysis.tables import QUANTITY_LABELS

__all__ = ["protocol_forest_plot"]


def _rows(fx: ProtocolEffects, pooled: bool) -> list[tuple[str, str]]:
    """(model, protocol) of each row from the top of the plot down: per protocol its models, then the pool."""
    models = sorted(fx.effects[fx.model].unique(), key=str)
    done = set(zip(fx.effects[fx.model], fx.effects[fx.protocol]))
    rows = []
    for p in fx.protocols[1:]:
        rows += [(m, p) for m in models if (m, p) in done]
        if pooled:
            rows.append((POOLED, p))
    return rows


def protocol_forest_plot(
    effects: ProtocolEffects,
    *,
    quantities: Sequence[str] = QUANTITIES,
    pooled: bool = True,
) -> Figure:
    """Effect of every protocol for every model, with its interval, one panel per quantity.

    Parameters
    ----------
    effects : ProtocolEffects
        From :func:`~gapeval.protocol_analysis.effects.protocol_effects`.
    quantities : sequence of str
        Panels, left to right, from ``theta_understanding``, ``theta_generation``, ``gap``.
    pooled : bool
        Add each protocol's pooled effect (mean over models) as a diamond below its models.

    Returns
    -------
    matplotlib.figure.Figure
        One error bar per row and panel (``gid`` ``"effect:<quantity>:<model>:<protocol>"``), a
        zero line per panel (``gid`` ``"zero"``); rows coloured by protocol.

    Raises
    ------
    FigureError
        ``effects`` is not a ProtocolEffects, or an unknown quantity.
    """
    if not isinstance(effects, ProtocolEffects):
        raise FigureError(f"effects must be the ProtocolEffects of protocol_effects, got {type(effects).__name__}")
    unknown = [q for q in quantities if q not in QUANTITIES]
    if unknown or not quantities:
        raise FigureError(f"quantities {list(quantities)} must be a non-empty list from {list(QUANTITIES)}")
    rows = _rows(effects, pooled)
    table = effects.effects.set_index([effects.model, effects.protocol, "quantity"])
    pool = effects.pooled.set_index([effects.protocol, "quantity"])
    colours = {p: f"C{k}" for k, p in enumerate(effects.protocols[1:])}
    fig = Figure(figsize=(3.2 * len(quantities) + 1.2, 1.2 + 0.3 * len(rows)), layout="constrained")
    axes = fig.subplots(1, len(quantities), sharey=True, squeeze=False)[0]
    ys = np.arange(len(rows))[::-1]
    for ax, q in zip(axes, quantities):
        for y, (m, p) in zip(ys, rows):
            rec = pool.loc[(p, q)] if m == POOLED else table.loc[(m, p, q)]
            if not np.isfinite(rec["estimate"]):
                continue
            err = [[rec["estimate"] - rec["lower"]], [rec["upper"] - rec["estimate"]]]
            ax.errorbar([rec["estimate"]], [y], xerr=err, fmt="D" if m == POOLED else "o", color=colours[p],
                        capsize=3, markersize=7 if m == POOLED else 5, gid=f"effect:{q}:{m}:{p}")
        ax.axvline(0.0, color="0.5", linestyle="--", linewidth=1, gid="zero")
        ax.set_title(QUANTITY_LABELS[q])
        ax.set_xlabel(f"protocol − {effects.baseline} (logits)")
    axes[0].set_yticks(ys, [f"{m} · {p}" for m, p in rows])
    axes[0].set_ylim(-0.7, len(rows) - 0.3)
    how = "approximate credible interval (SVI)" if effects.approximate else "credible interval"
    fig.suptitle(f"Protocol effects against {effects.baseline!r} with {effects.level * 100:g}% {how}")
    return fig
