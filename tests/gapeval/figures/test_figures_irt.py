"""IRT figures: item characteristic, category and information curves, and the Wright map."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.special import expit

import irt
from gapeval.figures import FigureError, item_curves, save_figure, wright_map
from gapeval.figures.item_params import category_probabilities, information, item_params
from irt.response_functions import category_log_probabilities


@pytest.fixture(scope="module")
def fit():
    """One tiny marginal-ML 2PL fit (a few seconds)."""
    data, _ = irt.simulate("2pl", num_respondents=150, num_items=5, seed=2)
    return irt.fit(data, "2pl", method="mml")


def _table(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item", "param", "estimate"])


GRADED = _table([("g1", "a", 1.3), ("g1", "d1", 1.0), ("g1", "d2", -0.5), ("g1", "d3", -2.0),
                 ("g2", "a", 0.7), ("g2", "d1", 0.4), ("g2", "d2", -1.1)])
THREE_PL = _table([("t1", "a", 1.8), ("t1", "d", -0.6), ("t1", "g", 0.2)])


# ---------------------------------------------------------------- the numbers
def test_category_probabilities_match_irt_response_functions():
    theta = np.linspace(-3, 3, 13)
    g1, g2 = item_params(GRADED)
    irt_graded = np.exp(category_log_probabilities("graded", g1.slope * theta[:, None],
                                                   np.array([list(g1.intercepts)])))[:, 0, :]
    np.testing.assert_allclose(category_probabilities(g1, theta), irt_graded, atol=1e-12)
    assert category_probabilities(g2, theta).shape == (13, 3)
    (t1,) = item_params(THREE_PL)
    irt_3pl = np.exp(category_log_probabilities("3pl", t1.slope * theta[:, None], np.array([-0.6]), np.array([0.2])))
    np.testing.assert_allclose(category_probabilities(t1, theta), irt_3pl[:, 0, :], atol=1e-12)


def test_information_closed_forms_and_finite_differences():
    theta = np.linspace(-3, 3, 25)
    (t1,) = item_params(THREE_PL)
    p = category_probabilities(t1, theta)[:, 1]
    closed = 1.8 ** 2 * ((1 - p) / p) * ((p - 0.2) / 0.8) ** 2  # 3PL information
    np.testing.assert_allclose(information(t1, theta), closed, rtol=1e-10)
    g1 = item_params(GRADED)[0]
    h = 1e-5
    deriv = (category_probabilities(g1, theta + h) - category_probabilities(g1, theta - h)) / (2 * h)
    np.testing.assert_allclose(information(g1, theta), (deriv ** 2 / category_probabilities(g1, theta)).sum(1),
                               rtol=1e-6)


def test_information_agrees_with_the_fit(fit):
    theta = np.linspace(-3, 3, 7)
    ours = np.column_stack([information(p, theta) for p in item_params(fit)])
    np.testing.assert_allclose(ours, fit.information(theta).iloc[:, 3:].to_numpy(), rtol=1e-6)


def test_difficulty_only_table_and_rasch_items():
    (b_only,) = item_params(_table([("x", "a", 2.0), ("x", "b", 0.5)]))
    assert b_only.intercepts == (-1.0,)  # d = -a b
    np.testing.assert_allclose(b_only.difficulties, [0.5])
    (rasch,) = item_params(_table([("r", "d", 0.3), ("r", "b", -0.3)]))
    assert (rasch.slope, rasch.intercepts) == (1.0, (0.3,))


def test_difficulties_are_the_tables_b_when_it_has_them():
    # a Bayesian table: posterior mean of b differs from -mean(d)/mean(a)
    (item,) = item_params(_table([("x", "a", 2.0), ("x", "d", 1.0), ("x", "b", -0.6)]))
    np.testing.assert_allclose(item.difficulties, [-0.6])
    (item,) = item_params(_table([("x", "a", 2.0), ("x", "d", 1.0)]))
    np.testing.assert_allclose(item.difficulties, [-0.5])


# ---------------------------------------------------------------- item curves
def test_icc_one_line_per_item_with_the_2pl_curve(fit):
    fig = item_curves(fit)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    params = fit.items().set_index(["item", "param"])["estimate"]
    assert [line.get_gid() for line in ax.lines] == [f"icc:{i}" for i in fit.data.item_ids]
    for line in ax.lines:
        item = line.get_gid()[4:]
        a, d = params[item, "a"], params[item, "d"]
        x = line.get_xdata()
        np.testing.assert_allclose(line.get_ydata(), expit(a * x + d))
    assert x[0] == -4 and x[-1] == 4 and len(x) == 201
    assert ax.get_ylabel() == r"$P(y = 1 \mid \theta)$" and ax.get_legend() is not None
    assert fig._suptitle.get_text() == "Item characteristic curves (2pl, mml)"


def test_icc_selected_items_in_order(fit):
    fig = item_curves(fit.items(), items=["i3", "i0"], theta_range=(-2, 2), num_points=5)
    assert [line.get_gid() for line in fig.axes[0].lines] == ["icc:i3", "icc:i0"]
    np.testing.assert_allclose(fig.axes[0].lines[0].get_xdata(), [-2, -1, 0, 1, 2])


def test_information_lines_and_test_information_is_their_sum(fit):
    fig = item_curves(fit, kind="information")
    ax = fig.axes[0]
    lines = {line.get_gid(): line.get_ydata() for line in ax.lines}
    assert len(lines) == 6 and "test" in lines
    np.testing.assert_allclose(lines["test"], sum(v for k, v in lines.items() if k != "test"))
    grid = ax.lines[0].get_xdata()
    np.testing.assert_allclose(lines["test"], fit.information(grid)["test"], rtol=1e-6)


def test_graded_items_get_one_panel_of_category_curves_each():
    fig = item_curves(GRADED)
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["g1", "g2"]
    assert [len(ax.lines) for ax in fig.axes] == [4, 3]
    total = sum(line.get_ydata() for line in fig.axes[0].lines)
    np.testing.assert_allclose(total, 1.0)  # categories exhaust the probability
    info = item_curves(GRADED, kind="information")
    assert len(info.axes) == 1 and len(info.axes[0].lines) == 3


@pytest.mark.parametrize("table, kwargs, message", [
    (GRADED.drop(columns="param"), {}, r"lacks column\(s\) \['param'\]"),
    (GRADED, {"items": ["g9"]}, r"unknown item\(s\) \['g9'\]"),
    (GRADED, {"kind": "tcc"}, r"kind='tcc' is not one of \['icc', 'information'\]"),
    (GRADED, {"theta_range": (2, -2)}, "low < high"),
    (_table([("x", "a[F1]", 1.0), ("x", "a[F2]", 1.0), ("x", "d", 0.0)]), {}, "loads on several dimensions"),
    (_table([("x", "a", 1.0), ("x", "d1", -1.0), ("x", "d2", 1.0)]), {}, "not decreasing"),
    (_table([("x", "a", 1.0), ("x", "slope", 1.0), ("x", "d", 0.0)]), {}, r"parameter\(s\) \['slope'\]"),
    (_table([("x", "a", 1.0), ("x", "g", 0.1)]), {}, "no intercept"),
    (_table([("x", "a", -1.0), ("x", "d", 0.0)]), {}, "positive discrimination"),
    (_table([("x", "a[F1]", 1.0), ("x", "d", 0.0), ("y", "a[F2]", 1.0), ("y", "d", 0.0)]), {"kind": "information"},
     "different dimensions"),
])
def test_item_curves_bad_input(table, kwargs, message):
    with pytest.raises(FigureError, match=message):
        item_curves(table, **kwargs)


def test_item_curves_rejects_what_is_not_a_fit():
    with pytest.raises(FigureError, match="got list"):
        item_curves([1, 2])


# ---------------------------------------------------------------- Wright map
def test_wright_map_persons_beside_item_difficulties(fit, tmp_path):
    fig = wright_map(fit, bins=12)
    assert len(fig.axes) == 2
    persons, items = fig.axes
    assert len(persons.patches) == 12  # 150 respondents: a histogram
    assert sum(p.get_width() for p in persons.patches) == fit.data.num_respondents
    b = fit.items().query("param == 'b'").set_index("item")["estimate"]
    markers = {line.get_gid()[5:]: line.get_ydata()[0] for line in items.lines if line.get_gid().startswith("item:")}
    assert markers == pytest.approx(b.to_dict())
    assert [t.get_text() for t in items.get_xticklabels()] == list(fit.data.item_ids)
    assert persons.get_shared_y_axes().joined(persons, items)
    assert save_figure(fig, tmp_path / "wright.png").stat().st_size > 0


def test_wright_map_from_tables_with_graded_thresholds_and_dimensions():
    persons = pd.DataFrame({"respondent": np.repeat(np.arange(4), 2), "dimension": ["U", "G"] * 4,
                            "estimate": [0.1, -0.5, 0.4, 0.2, -1.0, 0.0, 1.2, 0.9]})
    items = _table([("u1", "a[U]", 2.0), ("u1", "d1", 1.0), ("u1", "d2", -1.0),
                    ("g1", "a[G]", 1.0), ("g1", "d", 0.5)])
    fig = wright_map(persons, item_table=items, dimension="U", persons="histogram", bins=3)
    lines = [line for line in fig.axes[1].lines if line.get_gid().startswith("item:")]
    assert [line.get_gid() for line in lines] == ["item:u1"]  # only the items loading on U
    np.testing.assert_allclose(lines[0].get_ydata(), [-0.5, 0.5])  # b_k = -d_k / a
    assert sum(p.get_width() for p in fig.axes[0].patches) == 4
    one_sided = persons.assign(estimate=[0.1, np.nan, 0.4, 0.2, -1.0, 0.0, 1.2, np.nan])  # no G for 0 and 3
    fig = wright_map(one_sided, item_table=items, dimension="G")  # few persons: named points
    (dots,) = fig.axes[0].lines
    assert dots.get_gid() == "persons" and dots.get_ydata().tolist() == [0.0, 0.2]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["2", "1"]  # sorted by ability
    assert "2 respondent(s) without an estimate on 'G' not shown" in [t.get_text() for t in fig.texts]
    with pytest.raises(FigureError, match="no respondent has an ability estimate on dimension 'G'"):
        wright_map(persons.assign(estimate=np.where(persons.dimension == "G", np.nan, 0.0)), item_table=items,
                   dimension="G")
    with pytest.raises(FigureError, match=r"dimensions \['U', 'G'\]; choose one"):
        wright_map(persons, item_table=items)
    with pytest.raises(FigureError, match="dimension='X' is not one of"):
        wright_map(persons, item_table=items, dimension="X")


def test_wright_map_bad_input(fit):
    persons = fit.abilities()
    with pytest.raises(FigureError, match="needs its items table"):
        wright_map(persons)
    with pytest.raises(FigureError, match="a fit brings its own"):
        wright_map(fit, item_table=fit.items())
    with pytest.raises(FigureError, match=r"lacks column\(s\) \['estimate'\]"):
        wright_map(persons.drop(columns="estimate"), item_table=fit.items())
    with pytest.raises(FigureError, match=r"persons='dots' is not one of \['auto', 'histogram', 'points'\]"):
        wright_map(fit, persons="dots")
    with pytest.raises(FigureError, match="bins=0"):
        wright_map(fit, bins=0)
    with pytest.raises(FigureError, match="got str"):
        wright_map("fit.pkl")
