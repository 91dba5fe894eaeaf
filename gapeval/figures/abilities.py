"""θ_U against θ_G: each model's two abilities with error bars, and the identity line (no gap)."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from gapeval.figures._common import (
    FigureError,
    check_choice,
    model_column,
    new_axes,
    numeric_column,
    place_labels,
    require_columns,
    require_frame,
)

__all__ = ["ability_scatter", "ERRORS"]

#: What the error bars show: ± one posterior sd, or ± z·sd (a normal interval at the table's level).
ERRORS: tuple[str, ...] = ("sd", "interval")
# a faint white box under a model's name keeps it readable over error bars and the identity line
_LABEL_BOX = {"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.7}
_COLUMNS = ("theta_understanding", "theta_understanding_sd", "theta_generation", "theta_generation_sd")
_HINT = "pass the table gapeval.gap_score returns (theta_understanding, theta_generation and their _sd)"


def ability_scatter(gaps: pd.DataFrame, *, model: Hashable | None = None, errors: str = "sd",
                    ax: Axes | None = None) -> Figure:
    """Understanding ability (x) against generation ability (y) per model, with the identity line.

    A model below the line understands better than it generates (positive gap); above it, the
    reverse. The axes share one scale, so distance from the line reads as the gap (on the
    ``paired`` scale an absolute one; on the ``standardized`` scale relative to the cohort).

    Parameters
    ----------
    gaps : pandas.DataFrame
        The table :func:`gapeval.gap_score` returns (columns ``theta_understanding``,
        ``theta_generation`` and their ``_sd``). Models with a NaN ability (one direction
        answered) cannot be placed; they are listed in a note under the plot.
    model : hashable, optional
        Column naming the models; default the table's first column.
    errors : {"sd", "interval"}
        Error bars of ± one posterior sd, or ± z·sd, the normal interval at ``attrs["level"]``
        (0.95 when the table records none).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One error bar per placed model (``gid`` ``"theta:<model>"``), its label, and the identity
        line (``gid`` ``"identity"``).

    Raises
    ------
    FigureError
        Not a DataFrame, no rows, missing columns (named), non-numeric values, negative sds, an
        unknown ``errors``, or no model with both abilities.

    Examples
    --------
    >>> import pandas as pd
    >>> gaps = pd.DataFrame({"model": ["a", "b"], "theta_understanding": [0.5, -0.2],
    ...     "theta_understanding_sd": [0.1, 0.2], "theta_generation": [0.1, 0.0],
    ...     "theta_generation_sd": [0.2, 0.1]})
    >>> fig = ability_scatter(gaps)
    >>> len(fig.axes[0].containers), fig.axes[0].get_xlabel()
    (2, '$\\\\theta_U$ (understanding)')
    """
    frame = require_frame(gaps, what="gaps", hint=_HINT)
    name = model_column(frame, model)
    require_columns(frame, _COLUMNS, what="gaps", hint=_HINT)
    check_choice("errors", errors, ERRORS)
    tu, su, tg, sg = (numeric_column(frame, c, what="gaps", allow_nan=True) for c in _COLUMNS)
    if (su < 0).any() or (sg < 0).any():
        raise FigureError("gaps has negative ability sds; the _sd columns are posterior standard deviations")
    level = frame.attrs.get("level") or 0.95
    scale = stats.norm.ppf(0.5 + level / 2) if errors == "interval" else 1.0
    placed = np.isfinite(tu) & np.isfinite(tg)
    if not placed.any():
        raise FigureError("no model has both theta_understanding and theta_generation; the scatter needs "
                           "models that answered both directions")
    fig, ax = new_axes(ax, figsize=(5.5, 5.5))
    labels = []
    for i in np.flatnonzero(placed):
        label = str(frame[name].iloc[i])
        ax.errorbar([tu[i]], [tg[i]], xerr=[np.nan_to_num(scale * su[i])], yerr=[np.nan_to_num(scale * sg[i])],
                    fmt="o", color="C0", capsize=2, gid=f"theta:{label}")
        labels.append(ax.annotate(label, (tu[i], tg[i]), xytext=(5, 4), textcoords="offset points",
                                  fontsize="small", gid=f"label:{label}", in_layout=False, bbox=_LABEL_BOX))
    low = np.nanmin(np.concatenate([tu - scale * su, tg - scale * sg])[np.tile(placed, 2)])
    high = np.nanmax(np.concatenate([tu + scale * su, tg + scale * sg])[np.tile(placed, 2)])
    pad = 0.08 * max(high - low, 1e-3)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], color="0.5", linestyle="--", linewidth=1,
            gid="identity", label=r"$\theta_U = \theta_G$ (no gap)")
    ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(low - pad, high + pad)
    ax.set_aspect("equal", adjustable="box")
    note = ax.text(0.98, 0.02, "below the line: understanding ahead (gap > 0)", transform=ax.transAxes, ha="right",
                   va="bottom", fontsize="x-small", color="0.4")
    ax.set_xlabel(r"$\theta_U$ (understanding)")
    ax.set_ylabel(r"$\theta_G$ (generation)")
    bars = "± 1 sd" if errors == "sd" else f"± {100 * level:g}% normal interval"
    scale_name = frame.attrs.get("scale")
    ax.set_title(f"Abilities per model ({bars}" + (f", {scale_name} scale)" if scale_name else ")"))
    legend = ax.legend(loc="upper left", fontsize="small")
    if not placed.all():
        missing = ", ".join(str(m) for m in frame[name][~placed].tolist()[:6])
        fig.text(0.01, 0.005, f"not shown (one direction only): {missing}", fontsize="x-small", color="0.4")
    place_labels(fig, labels, obstacles=[note, *legend.get_texts()])
    return fig
