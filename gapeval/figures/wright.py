"""Wright map: the distribution of person abilities beside the item difficulties, on one θ scale."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from gapeval.figures._common import FigureError, check_choice, numeric_column, require_columns, require_frame
from gapeval.figures.item_params import item_params, items_table

__all__ = ["wright_map", "PERSON_DISPLAYS"]

#: How persons are drawn: a histogram, labelled points (one per respondent), or chosen by their number.
PERSON_DISPLAYS: tuple[str, ...] = ("auto", "histogram", "points")
_POINTS_MAX = 30

_HINT = "pass an irt FitResult, or its abilities() table with item_table=fit.items()"
_LABEL_MAX = 40


def _tables(source: object, item_table: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    if isinstance(source, pd.DataFrame):
        if item_table is None:
            raise FigureError("an abilities table needs its items table too: wright_map(abilities, "
                              "item_table=fit.items())")
        return source, items_table(item_table)
    if not (callable(getattr(source, "abilities", None)) and callable(getattr(source, "items", None))):
        raise FigureError(f"got {type(source).__name__}; {_HINT}")
    if item_table is not None:
        raise FigureError("item_table is only for an abilities table; a fit brings its own items() table")
    return source.abilities(), items_table(source)


def _dimension(abilities: pd.DataFrame, dimension: Hashable | None) -> Hashable:
    dims = list(pd.unique(abilities["dimension"]))
    if dimension is None:
        if len(dims) > 1:
            raise FigureError(f"the fit has dimensions {dims}; choose one with dimension=...")
        return dims[0]
    if dimension not in dims:
        raise FigureError(f"dimension={dimension!r} is not one of the fit's dimensions {dims}")
    return dimension


def _persons_panel(ax: Axes, theta: np.ndarray, labels: list[str], *, points: bool, bins: int) -> None:
    if points:  # few respondents (e.g. the models of a gap fit): each one, named
        order = np.argsort(theta, kind="stable")
        ax.plot(np.arange(len(theta)), theta[order], "o", color="C0", gid="persons")
        ax.set_xticks(range(len(theta)), [labels[i] for i in order], rotation=90, fontsize="small")
        ax.set_xlim(-0.7, len(theta) - 0.3)
        ax.set_xlabel("persons")
    else:
        ax.hist(theta, bins=bins, orientation="horizontal", color="C0", alpha=0.8, gid="persons")
        ax.invert_xaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("persons (count)")


def _items_panel(ax: Axes, params: list, mean_theta: float, bins: int) -> None:
    if len(params) > _LABEL_MAX:  # many items: a histogram of their difficulties (thresholds), growing right
        difficulties = np.concatenate([np.asarray(p.difficulties, dtype=float) for p in params])
        ax.hist(difficulties, bins=bins, orientation="horizontal", color="C1", alpha=0.8, gid="items")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.axhline(mean_theta, color="C0", linestyle=":", linewidth=1, gid="person_mean", label="mean ability")
        graded = any(p.graded for p in params)
        ax.set_xlabel(f"{'thresholds' if graded else 'items'} (count of {len(params)} items)")
        ax.legend(loc="upper right", fontsize="small")
        return
    for x, p in enumerate(params):
        b = p.difficulties
        ax.plot(np.full(len(b), x), b, marker="s" if p.graded else "o", linestyle="-" if p.graded else "none",
                color="C1", gid=f"item:{p.item}")
    ax.axhline(mean_theta, color="C0", linestyle=":", linewidth=1, gid="person_mean", label="mean ability")
    ax.set_xlim(-0.7, len(params) - 0.3)
    if len(params) <= _LABEL_MAX:
        ax.set_xticks(range(len(params)), [str(p.item) for p in params], rotation=90, fontsize="small")
    else:
        ax.set_xticks([])
    ax.set_xlabel("items" + (" (one marker per threshold)" if any(p.graded for p in params) else ""))
    ax.legend(loc="upper right", fontsize="small")


def wright_map(source: object, *, item_table: pd.DataFrame | None = None, dimension: Hashable | None = None,
               persons: str = "auto", bins: int = 20) -> Figure:
    """Person abilities (left) beside item difficulties ``b`` (right) on one θ scale.

    Items sitting where many persons are measure them well; items far above or below the
    persons tell little about them. Graded items show one marker per threshold ``b_k``. The
    table's ``b`` rows are used when present (for Bayesian fits, the posterior mean of ``b``),
    else ``b = −d/a`` from the point estimates.

    Parameters
    ----------
    source : irt.FitResult or pandas.DataFrame
        A fit (its ``abilities()`` and ``items()`` tables are used) or an abilities() table
        (columns ``respondent``, ``dimension``, ``estimate``). Respondents whose estimate is NaN
        (no answers on this dimension) are left out and counted in a note under the plot.
    item_table : pandas.DataFrame, optional
        The items() table; required with an abilities table, refused with a fit.
    dimension : hashable, optional
        Which latent dimension to map; required when the fit has several, and then only items
        loading on it (``a[<dimension>]``) are shown.
    persons : {"auto", "histogram", "points"}
        ``histogram`` of the abilities, or ``points``: one named marker per respondent, sorted by
        ability (for a few respondents, such as the models of a gap fit). ``auto``: points for at
        most 30 respondents, else a histogram.
    bins : int
        Histogram bins of the abilities (and of the difficulties, for more than 40 items).

    Returns
    -------
    matplotlib.figure.Figure
        Two axes sharing the θ axis: the persons (``bins`` bars, or one line of points, ``gid``
        ``"persons"``) and one marker set per item (``gid`` ``"item:<item>"``), or for more than 40
        items a histogram of their difficulties (``bins`` bars, ``gid`` ``"items"``).

    Raises
    ------
    FigureError
        Bad source, missing columns (named), several dimensions and none chosen, non-numeric
        estimates, no respondent or no item on the chosen dimension, a bad ``persons`` or ``bins``.

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"respondent": range(5), "dimension": "theta",
    ...                         "estimate": [-1.0, -0.2, 0.0, 0.4, 1.3]})
    >>> items = pd.DataFrame({"item": ["i1", "i1", "i2", "i2"], "param": ["a", "d", "a", "d"],
    ...                       "estimate": [1.0, 0.5, 2.0, -1.0]})
    >>> fig = wright_map(people, item_table=items, persons="histogram", bins=4)
    >>> lines = [line for line in fig.axes[1].lines if line.get_gid().startswith("item:")]
    >>> {line.get_gid(): line.get_ydata().tolist() for line in lines}
    {'item:i1': [-0.5], 'item:i2': [0.5]}
    """
    check_choice("persons", persons, PERSON_DISPLAYS)
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise FigureError(f"bins={bins!r} must be a positive integer")
    abilities, items = _tables(source, item_table)
    abilities = require_frame(abilities, what="the abilities table", hint=_HINT)
    require_columns(abilities, ["respondent", "dimension", "estimate"], what="the abilities table", hint=_HINT)
    dim = _dimension(abilities, dimension)
    rows = abilities[abilities["dimension"] == dim]
    theta = numeric_column(rows, "estimate", what="the abilities table", allow_nan=True)
    placed = ~np.isnan(theta)  # NaN: e.g. a model that answered only the other direction
    if not placed.any():
        raise FigureError(f"no respondent has an ability estimate on dimension {dim!r}")
    params = item_params(items)
    if any(p.dimension is not None for p in params):
        params = [p for p in params if p.dimension == str(dim)]
        if not params:
            raise FigureError(f"no item loads on dimension {dim!r}; items load through a[<dimension>] rows")

    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [2, 3]})
    points = persons == "points" or (persons == "auto" and placed.sum() <= _POINTS_MAX)
    _persons_panel(left, theta[placed], [str(r) for r in rows["respondent"][placed]], points=points, bins=bins)
    left.set_ylabel(rf"$\theta$ ({dim}) and item difficulty $b$")
    _items_panel(right, params, float(theta[placed].mean()), bins)
    fig.suptitle("Wright map")
    if not placed.all():
        fig.text(0.01, 0.005, f"{int((~placed).sum())} respondent(s) without an estimate on {dim!r} not shown",
                 fontsize="x-small", color="0.4")
    return fig
