"""Every figure of a report can be read: labelled axes, no text box overlapping another or cut off.

Text extents are measured with matplotlib's renderer (``Text.get_window_extent``) after a draw, at
the size the figure is saved.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from gapeval.decay import simulate_decay
from gapeval.figures import ability_scatter, decay_curves, forest_plot, item_curves, wright_map


def _gaps() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    models = ["Qwen2.5-VL-72B-Instruct", "gpt-4o-2024-08-06", "janus-pro-7b", "janus-pro-1b", "claude-3.5-sonnet",
              "llava-onevision-qwen2-72b", "InternVL2.5-78B-MPO", "emu3-gen"]
    tu = np.array([1.2, 1.25, -0.3, -0.32, 0.9, 0.1, 1.0, -1.5])  # two pairs nearly on top of each other
    tg = np.array([0.4, 0.45, -0.9, -0.88, 0.2, 0.5, 0.1, -0.2])
    gap = tu - tg
    frame = pd.DataFrame({
        "model": models, "gap": gap, "gap_lower": gap - 0.5, "gap_upper": gap + 0.6,
        "theta_understanding": tu, "theta_understanding_sd": rng.uniform(0.1, 0.3, 8),
        "theta_generation": tg, "theta_generation_sd": rng.uniform(0.1, 0.3, 8),
    })
    frame.attrs.update(scale="paired", level=0.95, interval="credible interval")
    return frame


def _approximate(gaps: pd.DataFrame) -> pd.DataFrame:
    """The gaps as an SVI fit labels them (the longest interval name)."""
    gaps.attrs["interval"] = "approximate credible interval"
    return gaps


def _items(num_items: int = 320) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    a = rng.lognormal(0.0, 0.4, num_items)
    b = rng.normal(0.0, 1.0, num_items)
    rows = [(f"item{i:03d}", p, v) for i in range(num_items) for p, v in (("a", a[i]), ("d", -a[i] * b[i]))]
    return pd.DataFrame(rows, columns=["item", "param", "estimate"])


def _abilities() -> pd.DataFrame:
    gaps = _gaps()
    return pd.DataFrame({"respondent": gaps["model"], "dimension": "theta", "estimate": gaps["theta_understanding"]})


FIGURES = {
    "forest": lambda: forest_plot(_gaps()),
    "forest_approximate": lambda: forest_plot(_approximate(_gaps())),
    "abilities": lambda: ability_scatter(_gaps()),
    "item_curves": lambda: item_curves(_items(), items=[f"item{i:03d}" for i in range(6)]),
    "item_information": lambda: item_curves(_items(), kind="information"),
    "item_information_few": lambda: item_curves(_items(5), kind="information"),
    "wright_map": lambda: wright_map(_abilities(), item_table=_items()),
    "wright_map_many_persons": lambda: wright_map(
        pd.DataFrame({"respondent": range(300), "dimension": "theta",
                      "estimate": np.random.default_rng(2).normal(0, 1, 300)}), item_table=_items()),
    "decay_curves": lambda: decay_curves(simulate_decay(num_models=4, num_sessions=6, num_turns=5, seed=0)[0]),
}


def texts(fig) -> list[Text]:
    """Every visible, non-empty text of the figure (titles, axis and tick labels, legends, annotations).

    Tick labels count only for ticks inside the view (the others exist but are not drawn).
    """
    ticks, shown = set(), []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = 1e-9 * max(abs(high - low), 1.0)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks |= {id(tick.label1), id(tick.label2)}
                if low - span <= tick.get_loc() <= high + span:
                    shown += [tick.label1, tick.label2]
    found = []
    for text in [t for t in fig.findobj(Text) if id(t) not in ticks] + shown:
        if not text.get_visible() or not text.get_text().strip():
            continue
        parent = getattr(text, "axes", None)
        if parent is not None and not parent.get_visible():
            continue
        found.append(text)
    return found


def _renderer(fig):
    """An Agg renderer at the resolution the report saves figures with (150 dpi)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(150)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    return renderer


def overlaps(fig) -> list[tuple[str, str]]:
    renderer = _renderer(fig)
    boxes = []
    for text in texts(fig):
        box = text.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            boxes.append((text.get_text(), box.shrunk(0.98, 0.9)))  # glyph boxes have generous margins
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]


def outside(fig) -> list[str]:
    renderer = _renderer(fig)
    width, height = fig.bbox.width, fig.bbox.height
    bad = []
    for text in texts(fig):
        box = text.get_window_extent(renderer)
        if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1:
            bad.append(text.get_text())
    return bad


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_has_labelled_axes_and_no_overlapping_or_clipped_text(name):
    fig = FIGURES[name]()
    for ax in fig.axes:
        if not ax.get_visible() or not ax.has_data():
            continue
        xlabel = ax.get_xlabel() or (fig._supxlabel.get_text() if fig._supxlabel else "")
        ylabel = ax.get_ylabel() or (fig._supylabel.get_text() if fig._supylabel else "")
        shared_y = [other for other in fig.axes if other is not ax and other.get_shared_y_axes().joined(ax, other)]
        shared_x = [other for other in fig.axes if other is not ax and other.get_shared_x_axes().joined(ax, other)]
        assert xlabel or any(o.get_xlabel() for o in shared_x), f"{name}: an axes without an x label"
        assert ylabel or any(o.get_ylabel() for o in shared_y), f"{name}: an axes without a y label"
    assert overlaps(fig) == [], name
    assert outside(fig) == [], name


def test_the_overlap_check_can_fail():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2), layout="constrained")
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, "model-a")
    ax.text(0.52, 0.51, "model-b")
    fig.text(0.9, 0.5, "off the edge")
    assert overlaps(fig) == [("model-a", "model-b")]
    assert outside(fig) == ["off the edge"]


def test_many_items_information_names_the_most_informative_and_fades_the_rest():
    from gapeval.figures.item_params import information, item_params

    table = _items()
    fig = item_curves(table, kind="information")
    top, items_ax = fig.axes
    theta = top.lines[0].get_xdata()
    peaks = {p.item: information(p, theta).max() for p in item_params(table)}
    best = sorted(peaks, key=lambda item: -peaks[item])[:5]
    assert [t.get_text() for t in items_ax.get_legend().get_texts()] == best
    faint = [line for line in items_ax.lines if line.get_alpha() is not None]
    assert len(faint) == 320 - 5 and all(line.get_color() == "0.6" for line in faint)
    total = sum(line.get_ydata() for line in items_ax.lines)
    np.testing.assert_allclose(top.lines[0].get_ydata(), total)  # the test curve is the sum of all items


def test_wright_map_of_many_items_is_a_difficulty_histogram():
    table = _items()
    fig = wright_map(_abilities(), item_table=table, bins=15)
    bars = fig.axes[1].patches
    difficulties = -table[table.param == "d"].estimate.to_numpy() / table[table.param == "a"].estimate.to_numpy()
    assert sum(bar.get_width() for bar in bars) == len(difficulties) == 320
    assert fig.axes[1].get_xlabel() == "items (count of 320 items)"
    counts, _ = np.histogram(difficulties, bins=15)
    assert sorted(bar.get_width() for bar in bars) == sorted(counts.tolist())
