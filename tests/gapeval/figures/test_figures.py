"""Gap and decay figures: forest plot, ability scatter, decay curves, and saving PNGs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from PIL import Image
from scipy import stats

from gapeval.decay import decay, simulate_decay
from gapeval.figures import FigureError, ability_scatter, decay_curves, forest_plot, save_figure, turn_means


@pytest.fixture
def gaps() -> pd.DataFrame:
    frame = pd.DataFrame({
        "model": ["alpha", "beta", "gamma", "delta"],
        "gap": [0.5, -0.2, 1.1, np.nan],
        "gap_lower": [0.1, -0.6, 0.4, np.nan],
        "gap_upper": [0.9, 0.3, 1.8, np.nan],
        "theta_understanding": [0.6, 0.1, 1.0, 0.3],
        "theta_understanding_sd": [0.2, 0.25, 0.3, 0.2],
        "theta_generation": [0.1, 0.3, -0.1, np.nan],
        "theta_generation_sd": [0.15, 0.1, 0.3, np.nan],
    })
    frame.attrs.update(scale="paired", level=0.9, interval="credible interval", method="mirt")
    return frame


def _gids(ax) -> list[str]:
    return [a.get_gid() for a in ax.get_children() if a.get_gid()]


def _bar_extent(container: ErrorbarContainer, axis: int) -> tuple[float, float]:
    """(low, high) of the one error bar of a container along x (0) or y (1)."""
    for collection in container.lines[2]:
        for seg in map(np.asarray, collection.get_segments()):
            if np.isclose(seg[0, 1 - axis], seg[1, 1 - axis]) and not np.isclose(seg[0, axis], seg[1, axis]):
                return tuple(sorted(float(v) for v in seg[:, axis]))
    raise AssertionError("no error bar along that axis")


# ---------------------------------------------------------------- forest plot
def test_forest_plot_one_error_bar_per_model_with_its_interval(gaps):
    fig = forest_plot(gaps)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 3  # delta has no gap: a row, no bar
    by_model = {c.lines[0].get_gid(): c for c in bars}
    assert set(by_model) == {"gap:alpha", "gap:beta", "gap:gamma"}
    assert _bar_extent(by_model["gap:gamma"], 0) == pytest.approx((0.4, 1.8))
    assert by_model["gap:beta"].lines[0].get_xdata()[0] == pytest.approx(-0.2)


def test_forest_plot_zero_line_labels_and_sorting(gaps):
    fig = forest_plot(gaps)
    ax = fig.axes[0]
    zero = [line for line in ax.lines if line.get_gid() == "zero"]
    assert len(zero) == 1 and np.allclose(zero[0].get_xdata(), 0.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["delta", "beta", "alpha", "gamma"]  # largest on top
    assert ax.get_xlabel() == r"gap $\theta_U - \theta_G$ (paired scale)"  # mathtext: subscripts, not underscores
    assert "90% credible interval" in ax.get_title()
    assert any("no gap" in t.get_text() for t in ax.texts)
    unsorted = forest_plot(gaps, sort=False).axes[0]
    assert [t.get_text() for t in unsorted.get_yticklabels()] == ["delta", "gamma", "beta", "alpha"]  # first on top


def test_forest_plot_draws_into_given_axes_and_reads_model_column(gaps):
    host = Figure()
    ax = host.add_subplot()
    renamed = gaps.rename(columns={"model": "system"})[["gap", "gap_lower", "gap_upper", "system"]]
    assert forest_plot(renamed, model="system", ax=ax) is host
    assert {t.get_text() for t in ax.get_yticklabels()} == {"alpha", "beta", "gamma", "delta"}


def test_forest_plot_legacy_table_points_without_intervals():
    legacy = pd.DataFrame({"model": ["a", "b"], "gap": [0.3, 0.6], "gap_lower": np.nan, "gap_upper": np.nan})
    legacy.attrs.update(method="gapeval-2026", label="GapEval-2026 legacy score", level=None)
    ax = forest_plot(legacy).axes[0]
    assert not ax.containers
    assert sorted(line.get_gid() for line in ax.lines) == ["gap:a", "gap:b", "zero"]
    assert ax.get_xlabel() == "GapEval-2026 legacy score"
    assert ax.get_title() == "Gap Score"


@pytest.mark.parametrize("bad, message", [
    (lambda g: g.drop(columns=["gap_upper", "gap_lower"]), r"lacks column\(s\) \['gap_lower', 'gap_upper'\]"),
    (lambda g: g.assign(gap_lower=[0.6, -0.6, 0.4, np.nan]), "outside its interval"),
    (lambda g: g.assign(gap=["x", -0.2, 1.1, np.nan]), "non-numeric"),
    (lambda g: g.iloc[:0], "no rows"),
    (lambda g: g.to_dict(), "must be a pandas DataFrame"),
])
def test_forest_plot_bad_input(gaps, bad, message):
    with pytest.raises(FigureError, match=message):
        forest_plot(bad(gaps))


def test_forest_plot_unknown_model_column(gaps):
    with pytest.raises(FigureError, match=r"lacks column\(s\) \['system'\]"):
        forest_plot(gaps, model="system")


# ---------------------------------------------------------------- ability scatter
def test_ability_scatter_bars_labels_and_identity_line(gaps):
    fig = ability_scatter(gaps)
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 3  # delta answered one direction only
    identity = [line for line in ax.lines if line.get_gid() == "identity"]
    assert len(identity) == 1
    np.testing.assert_allclose(identity[0].get_xdata(), identity[0].get_ydata())
    assert {t.get_text() for t in ax.texts} >= {"alpha", "beta", "gamma"}
    assert "delta" not in {t.get_text() for t in ax.texts}
    assert any("delta" in t.get_text() for t in fig.texts)  # said, not silently dropped
    assert ax.get_xlabel().startswith(r"$\theta_U$") and ax.get_ylabel().startswith(r"$\theta_G$")
    gamma = next(c for c in bars if c.lines[0].get_gid() == "theta:gamma")
    assert _bar_extent(gamma, 0) == pytest.approx((0.7, 1.3))  # ± 1 sd
    assert _bar_extent(gamma, 1) == pytest.approx((-0.4, 0.2))


def test_ability_scatter_interval_bars_use_the_table_level(gaps):
    ax = ability_scatter(gaps, errors="interval").axes[0]
    alpha = next(c for c in ax.containers if c.lines[0].get_gid() == "theta:alpha")
    z = stats.norm.ppf(0.95)  # level 0.9 from attrs
    assert _bar_extent(alpha, 0) == pytest.approx((0.6 - z * 0.2, 0.6 + z * 0.2))
    assert "90% normal interval" in ax.get_title()


def test_ability_scatter_bad_input(gaps):
    with pytest.raises(FigureError, match=r"\['theta_generation', 'theta_generation_sd'\]"):
        ability_scatter(gaps.drop(columns=["theta_generation", "theta_generation_sd"]))
    with pytest.raises(FigureError, match=r"errors='ci' is not one of \['sd', 'interval'\]"):
        ability_scatter(gaps, errors="ci")
    with pytest.raises(FigureError, match="no model has both"):
        ability_scatter(gaps.assign(theta_generation=np.nan))
    with pytest.raises(FigureError, match="negative"):
        ability_scatter(gaps.assign(theta_generation_sd=-1.0))


# ---------------------------------------------------------------- decay curves
@pytest.fixture(scope="module")
def decay_data():
    responses, _ = simulate_decay(num_models=3, num_sessions=4, num_turns=4, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = decay(responses)
    return responses, result


def test_decay_curves_one_panel_per_model_with_means_and_bands(decay_data):
    responses, _ = decay_data
    fig = decay_curves(responses)
    assert len(fig.axes) == 3
    for ax, name in zip(fig.axes, ["model_0", "model_1", "model_2"]):
        assert ax.get_title() == name
        gids = _gids(ax)
        for kind in ("mean", "band"):
            assert sorted(g for g in gids if g.startswith(f"{kind}:")) == [
                f"{kind}:{name}:generation", f"{kind}:{name}:understanding"]
    line = next(line for line in fig.axes[1].lines if line.get_gid() == "mean:model_1:generation")
    rows = responses[(responses.model == "model_1") & (responses.direction == "generation")]
    np.testing.assert_allclose(line.get_ydata(), rows.groupby("turn")["score"].mean().to_numpy())
    assert "normal 95% band" in fig._suptitle.get_text()


def test_decay_curves_fitted_lines_have_the_result_slopes(decay_data):
    responses, result = decay_data
    fig = decay_curves(responses, result=result)
    fits = {line.get_gid(): line for ax in fig.axes for line in ax.lines if line.get_gid().startswith("fit:")}
    assert len(fits) == 6
    for s in result.slopes:
        line = fits[f"fit:{s.model}:{s.direction}"]
        x, y = line.get_xdata(), line.get_ydata()
        np.testing.assert_allclose(np.diff(y) / np.diff(x), s.estimate)
        rows = responses[(responses.model == s.model) & (responses.direction == s.direction)]
        assert np.interp(rows.turn.mean(), x, y) == pytest.approx(rows.score.mean())  # anchored on the data


def test_decay_curves_panels_by_direction_and_model_selection(decay_data):
    responses, _ = decay_data
    fig = decay_curves(responses, panels="direction", models=["model_2", "model_0"])
    assert [ax.get_title() for ax in fig.axes] == ["understanding", "generation"]
    assert sorted(line.get_gid() for line in fig.axes[1].lines) == [
        "mean:model_0:generation", "mean:model_2:generation"]


def test_decay_curves_binary_scores_get_wilson_bands():
    responses, _ = simulate_decay(num_models=2, num_sessions=10, num_turns=3, family="binomial", seed=1)
    fig = decay_curves(responses, level=0.9)
    assert "Wilson 90% band" in fig._suptitle.get_text()
    band = next(c for c in fig.axes[0].collections if c.get_gid() == "band:model_0:understanding")
    rows = responses[(responses.model == "model_0") & (responses.direction == "understanding") & (responses.turn == 1)]
    k, n, z = rows.score.sum(), len(rows), stats.norm.ppf(0.95)
    centre = (k / n + z ** 2 / (2 * n)) / (1 + z ** 2 / n)
    half = z / (1 + z ** 2 / n) * np.sqrt(k / n * (1 - k / n) / n + z ** 2 / (4 * n ** 2))
    vertices = band.get_paths()[0].vertices
    at_first = vertices[np.isclose(vertices[:, 0], 1.0), 1]
    assert at_first.min() == pytest.approx(centre - half) and at_first.max() == pytest.approx(centre + half)


def test_turn_means_wilson_and_normal_numbers():
    frame = pd.DataFrame({"model": "m", "direction": "understanding", "turn": 1,
                          "score": [1.0] * 3 + [0.0] * 7})
    wilson = turn_means(frame, interval="binomial", level=0.95).iloc[0]
    assert (wilson["n"], wilson["mean"]) == (10, 0.3)
    assert (wilson["lower"], wilson["upper"]) == pytest.approx((0.1078, 0.6032), abs=1e-4)  # Wilson 1927 table
    normal = turn_means(frame, interval="normal", level=0.95).iloc[0]
    half = stats.norm.ppf(0.975) * frame.score.std() / np.sqrt(10)
    assert (normal["lower"], normal["upper"]) == pytest.approx((0.3 - half, 0.3 + half))


def test_decay_curves_bad_input(decay_data):
    responses, result = decay_data
    with pytest.raises(FigureError, match=r"lacks column\(s\) \['turn'\]"):
        decay_curves(responses.drop(columns="turn"))
    with pytest.raises(FigureError, match="needs 0/1 scores"):
        decay_curves(responses, interval="binomial")
    with pytest.raises(FigureError, match=r"unknown model\(s\) \['model_9'\]"):
        decay_curves(responses, models=["model_9"])
    with pytest.raises(FigureError, match="non-integer turns"):
        decay_curves(responses.assign(turn=responses.turn + 0.5))
    with pytest.raises(FigureError, match="panels='session'"):
        decay_curves(responses, panels="session")
    with pytest.raises(FigureError, match="level=1.5"):
        decay_curves(responses, level=1.5)
    extra = pd.concat([responses, responses.assign(model="model_new")])
    with pytest.raises(FigureError, match="no slope for model 'model_new'"):
        decay_curves(extra, result=result)
    with pytest.raises(FigureError, match="what gapeval.decay.decay returns"):
        decay_curves(responses, result=object())


# ---------------------------------------------------------------- saving
def test_save_figure_writes_a_png_of_the_figure_size(gaps, tmp_path):
    fig = forest_plot(gaps)
    width, height = fig.get_size_inches()
    path = save_figure(fig, tmp_path / "sub" / "forest.png", dpi=80)
    assert path == tmp_path / "sub" / "forest.png" and path.stat().st_size > 1000
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (round(width * 80), round(height * 80))
        assert len(np.unique(np.asarray(image.convert("L")))) > 2  # something drawn, not a blank canvas
    assert [p.name for p in path.parent.iterdir()] == ["forest.png"]  # no temporary file left behind
    save_figure(ability_scatter(gaps), path, dpi=40)  # overwrites
    with Image.open(path) as image:
        assert image.size == (220, 220)


def test_save_figure_bad_input(gaps, tmp_path):
    fig = forest_plot(gaps)
    with pytest.raises(FigureError, match="must end in .png"):
        save_figure(fig, tmp_path / "forest.pdf")
    with pytest.raises(FigureError, match="dpi=0"):
        save_figure(fig, tmp_path / "forest.png", dpi=0)
    with pytest.raises(FigureError, match="must be a matplotlib Figure"):
        save_figure(fig.axes[0], tmp_path / "forest.png")
    assert not list(tmp_path.iterdir())
