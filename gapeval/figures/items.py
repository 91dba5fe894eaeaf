"""Item characteristic curves and item/test information curves from an ``irt`` fit's item parameters."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from gapeval.figures._common import FigureError, check_choice
from gapeval.figures.item_params import ItemParams, category_probabilities, information, item_params, items_table

__all__ = ["item_curves", "CURVE_KINDS"]

#: Curves :func:`item_curves` draws.
CURVE_KINDS: tuple[str, ...] = ("icc", "information")
_LEGEND_MAX = 12
#: With more items than ``_LEGEND_MAX``, this many of the most informative are coloured and named.
TOP_ITEMS = 5


def _grid(theta_range: Sequence[float], num_points: int) -> np.ndarray:
    try:
        low, high = (float(v) for v in theta_range)
    except (TypeError, ValueError):
        raise FigureError(f"theta_range={theta_range!r} must be two numbers (low, high)") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise FigureError(f"theta_range={theta_range!r} must be finite with low < high, e.g. (-4, 4)")
    if int(num_points) != num_points or num_points < 2:
        raise FigureError(f"num_points={num_points!r} must be an integer >= 2")
    return np.linspace(low, high, int(num_points))


def _theta_label(params: list[ItemParams]) -> str:
    dims = {p.dimension for p in params}
    return r"$\theta$" + (f" ({dims.pop()})" if len(dims) == 1 and None not in dims else "")


def _subtitle(attrs: dict) -> str:
    parts = [str(attrs[k]) for k in ("model", "method") if attrs.get(k)]
    return f" ({', '.join(parts)})" if parts else ""


def _binary_curves(fig: Figure, params: list[ItemParams], theta: np.ndarray) -> None:
    ax = fig.add_subplot()
    for p in params:
        ax.plot(theta, category_probabilities(p, theta)[:, 1], label=str(p.item), gid=f"icc:{p.item}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel(r"$P(y = 1 \mid \theta)$")
    ax.set_xlabel(_theta_label(params))
    if len(params) <= _LEGEND_MAX:
        ax.legend(title="item", fontsize="small")


def _category_curves(fig: Figure, params: list[ItemParams], theta: np.ndarray) -> None:
    ncols = min(3, len(params))
    axes = fig.subplots(math.ceil(len(params) / ncols), ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, p in zip(axes, params):
        probs = category_probabilities(p, theta)
        for k in range(probs.shape[1]):
            ax.plot(theta, probs[:, k], label=f"y = {k}", gid=f"category:{p.item}:{k}")
        ax.set_title(str(p.item), fontsize="medium")
        ax.set_ylim(-0.02, 1.02)
    for ax in axes[len(params):]:
        fig.delaxes(ax)
    axes[0].legend(fontsize="x-small")
    fig.supxlabel(_theta_label(params))
    fig.supylabel(r"$P(y = k \mid \theta)$")


def _information_curves(fig: Figure, params: list[ItemParams], theta: np.ndarray) -> None:
    dims = {p.dimension for p in params}
    if len(dims) > 1:
        raise FigureError(f"the items load on different dimensions {sorted(map(str, dims))}; test information "
                          "adds items of one dimension: choose them with items=[...]")
    infos = [information(p, theta) for p in params]
    total = np.sum(infos, axis=0)
    if len(params) <= _LEGEND_MAX:  # few items: every curve, named, under the test curve
        ax = fig.add_subplot()
        for p, info in zip(params, infos):
            ax.plot(theta, info, linewidth=1, label=str(p.item), gid=f"information:{p.item}")
        ax.plot(theta, total, color="black", linewidth=2.2, label="test (sum)", gid="test")
        ax.set_xlabel(_theta_label(params))
        ax.set_ylabel(r"information $I(\theta)$")
        ax.legend(fontsize="small")
        return
    # many items: the test curve on its own scale above; below, the most informative items coloured
    # and named at their peaks, the rest faint (their sum is the test curve)
    top, items_ax = fig.subplots(2, 1, sharex=True, height_ratios=[2, 3])
    top.plot(theta, total, color="black", linewidth=2.2, gid="test")
    top.set_ylabel(r"test $I(\theta)$")
    top.set_title(f"test information (sum of {len(params)} items)", fontsize="medium")
    peaks = np.array([info.max() for info in infos])
    best = set(np.argsort(-peaks, kind="stable")[:TOP_ITEMS].tolist())
    for i, (p, info) in enumerate(zip(params, infos)):
        if i not in best:
            items_ax.plot(theta, info, color="0.6", linewidth=0.6, alpha=0.35, gid=f"information:{p.item}")
    for rank, i in enumerate(sorted(best, key=lambda i: -peaks[i])):
        info = infos[i]
        items_ax.plot(theta, info, color=f"C{rank}", linewidth=1.6, label=str(params[i].item),
                      gid=f"information:{params[i].item}")
    items_ax.legend(title=f"{TOP_ITEMS} most informative items", fontsize="small", title_fontsize="small",
                    loc="upper left")
    items_ax.set_ylim(0, peaks.max() * 1.08)
    items_ax.set_xlabel(_theta_label(params))
    items_ax.set_ylabel(r"item $I(\theta)$")


def item_curves(source: object, *, items: list | None = None, kind: str = "icc",
                theta_range: Sequence[float] = (-4.0, 4.0), num_points: int = 201) -> Figure:
    """Item characteristic curves or item and test information curves of a fitted IRT model.

    Curves are computed from the point estimates in the fit's items() table (see
    :mod:`gapeval.figures.item_params` for the formulas): 2PL, 3PL, Rasch/1PL and graded items,
    and multidimensional fits whose items each load on one dimension.

    Parameters
    ----------
    source : irt.FitResult or pandas.DataFrame
        A fit (its ``items()`` table is used) or an items() table: columns ``item``, ``param``,
        ``estimate`` with ``a`` / ``a[dim]``, ``d`` / ``d1..``, ``b`` / ``b1..`` and ``g`` rows
        (``d`` is used when present, else ``d = −a·b``).
    items : list, optional
        Item ids to draw, in this order; default every item.
    kind : {"icc", "information"}
        ``icc``: P(y = 1 | θ) of every binary item on one axes, or one panel of category curves
        P(y = k | θ) per item when any item is graded. ``information``: each item's information
        and the test information (their sum, ``gid`` ``"test"``) on one axes; with more than 12
        items, the test information in a panel of its own above the items, of which the five
        most informative (highest peak) are coloured and named and the rest drawn faint.
    theta_range : (float, float)
        Range of θ drawn.
    num_points : int
        Grid points along θ.

    Returns
    -------
    matplotlib.figure.Figure
        Lines carry ``gid`` ``"icc:<item>"``, ``"category:<item>:<k>"`` or ``"information:<item>"``.

    Raises
    ------
    FigureError
        No items table, missing columns (named), unknown items or parameters, an item loading on
        several dimensions, non-decreasing graded thresholds, a bad ``kind`` or θ grid, or (for
        information) items of different dimensions.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"item": ["i1", "i1", "i2", "i2"], "param": ["a", "d", "a", "d"],
    ...                       "estimate": [1.5, 0.0, 0.8, -1.0]})
    >>> fig = item_curves(table, kind="information")
    >>> [line.get_gid() for line in fig.axes[0].lines]
    ['information:i1', 'information:i2', 'test']
    """
    check_choice("kind", kind, CURVE_KINDS)
    table = items_table(source)
    params = item_params(table, items=items)
    theta = _grid(theta_range, num_points)
    graded = any(p.graded for p in params) and kind == "icc"
    ncols = min(3, len(params))
    size = (3.2 * ncols, 2.6 * math.ceil(len(params) / ncols) + 0.6) if graded else (6.5, 4.2)
    fig = Figure(figsize=size, layout="constrained")
    if kind == "information":
        _information_curves(fig, params, theta)
        fig.suptitle("Item and test information" + _subtitle(table.attrs))
    elif graded:
        _category_curves(fig, params, theta)
        fig.suptitle("Category response curves" + _subtitle(table.attrs))
    else:
        _binary_curves(fig, params, theta)
        fig.suptitle("Item characteristic curves" + _subtitle(table.attrs))
    return fig
