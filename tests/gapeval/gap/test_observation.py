"""The observation layer of the Gap Score: chance levels (guessing) and judge error (Dawid-Skene)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import expit

from gapeval.errors import GapevalError
from gapeval.gap.likelihood import layer_quadrature_loglik, quadrature_loglik
from gapeval.gap.model import build_gap_data, marginal_loglik
from gapeval.gap.observation import calibration_counts, cell_weights
from gapeval.gap.score import GuessingWarning, gap_score
from gapeval.gap.simulate import simulate_gap_responses
from gapeval.responses import standardize_responses


def _grids(data, a, b):
    a_grid, b_grid = np.ones((data.num_units, 2)), np.zeros((data.num_units, 2))
    a_grid[data.item_unit, data.item_slot], b_grid[data.item_unit, data.item_slot] = a, b
    return a_grid, b_grid


def _layout(df, **kwargs):
    cols = {c: c for c in ("chance", "judge") if c in df.columns}
    frame = standardize_responses(df, pair="pair", **cols)
    return build_gap_data(frame, points=1, use_pairs=True, **kwargs)


def test_one_question_with_chance_and_two_judges_matches_numerical_integration():
    """P(record) = integral over gamma of prod_slot [L0 (1 - q) + L1 q], q = c + (1 - c) sigmoid(eta)."""
    df = pd.DataFrame({
        "model": ["m"] * 3, "item": ["u", "g", "g"], "pair": ["q"] * 3,
        "direction": ["understanding", "generation", "generation"], "score": [1, 1, 0],
        "chance": [0.25, 0.0, 0.0], "judge": [None, "j1", "j2"],
    })
    calibration = pd.DataFrame({"judge": ["j1", "j2"], "judge_label": [1, 0], "human_label": [1, 0]})
    data = _layout(df, calibration=calibration)
    assert data.observation.judge_ids == ("j1", "j2") and data.observation.calibration.tolist() == [[1, 0, 0, 0],
                                                                                                   [0, 0, 1, 0]]
    theta, a, b, sg = np.array([0.4, -0.2]), np.array([1.3, 0.7]), np.array([0.3, -0.5]), 0.9   # items g, u
    sens, spec = np.array([0.8, 0.9]), np.array([0.7, 0.95])

    def integrand(gamma):
        pu = 0.25 + 0.75 * expit(0.7 * (0.4 + gamma + 0.5))
        pg = expit(1.3 * (-0.2 + gamma - 0.3))
        right = sens[0] * (1 - sens[1])            # j1 says right, j2 says wrong
        wrong = (1 - spec[0]) * spec[1]
        return pu * (wrong * (1 - pg) + right * pg) * math.exp(-gamma ** 2 / (2 * sg ** 2)) / math.sqrt(2 * math.pi * sg ** 2)

    expected = math.log(integrate.quad(integrand, -12, 12)[0])
    layer = {"sensitivity": sens[None], "specificity": spec[None]}
    ll = marginal_loglik(data, theta=theta[None, None], a=a[None], b=b[None], sigma_gamma=np.array([sg]), layer=layer,
                         num_nodes=40)
    assert ll.shape == (1, 1) and ll[0, 0] == pytest.approx(expected, abs=1e-8)


@pytest.mark.parametrize("judged", [False, True])
def test_float32_layer_likelihood_matches_the_float64_reference(judged):
    df, truth = simulate_gap_responses(5, 30, seed=7, chance=(0.25, 0.0), judge=(0.85, 0.9) if judged else None)
    df = df.iloc[3:]
    data = _layout(df, calibration=truth.calibration)
    rng = np.random.default_rng(0)
    theta = rng.normal(0, 1, (1, data.num_models, 2))
    a = np.exp(rng.normal(0, 0.4, (1, len(data.item_ids))))
    b = rng.normal(0, 1.5, (1, len(data.item_ids)))
    layer = {"sensitivity": np.array([[0.83]]), "specificity": np.array([[0.91]])} if judged else {}
    reference = marginal_loglik(data, theta=theta, a=a, b=b, sigma_gamma=np.array([0.8]), layer=layer,
                                num_nodes=3).sum()
    a_grid, b_grid = _grids(data, a[0], b[0])
    params = {k: v[0] for k, v in layer.items()}
    weights = cell_weights(data.observation, params, y=data.y, mask=data.mask)
    value = layer_quadrature_loglik(a_grid.T, theta[0].T[:, :, None] - b_grid.T[:, None, :], 0.8, weights=weights,
                                    num_pairs=data.num_pairs, num_nodes=3)
    np.testing.assert_allclose(float(value), reference, rtol=1e-5)


def test_layer_without_chance_or_judges_is_the_plain_likelihood():
    df, _ = simulate_gap_responses(5, 30, seed=2, chance=(0.25, 0.0))
    data = _layout(df.iloc[5:])
    plain = _layout(df.iloc[5:].drop(columns="chance"))
    assert plain.observation is None
    rng = np.random.default_rng(1)
    theta, a, b = rng.normal(size=(data.num_models, 2)), np.exp(rng.normal(0, .3, len(data.item_ids))), \
        rng.normal(size=len(data.item_ids))
    a_grid, b_grid = _grids(data, a, b)
    logits = theta.T[:, :, None] - b_grid.T[:, None, :]
    weights = cell_weights(data.observation, {"chance": np.zeros_like(data.observation.chance)}, y=data.y,
                           mask=data.mask)
    with_layer = layer_quadrature_loglik(a_grid.T, logits, 0.7, weights=weights, num_pairs=data.num_pairs, num_nodes=3)
    without = quadrature_loglik(a_grid.T, logits, 0.7, y=data.y, mask=data.mask, points=1, num_pairs=data.num_pairs,
                                num_nodes=3)
    np.testing.assert_allclose(float(with_layer), float(without), rtol=1e-5)


def test_calibration_counts_and_bad_tables():
    cal = pd.DataFrame({"judge": ["a", "a", "a", "b", "x"], "judge_label": [1, 1, 0, 0, 1],
                        "human_label": [1, 0, 0, 1, 1]})
    assert calibration_counts(cal, ("a", "b")).tolist() == [[1, 0, 1, 1], [0, 1, 0, 0]]
    with pytest.raises(GapevalError, match="column 'human_label'"):
        calibration_counts(cal.drop(columns="human_label"), ("a",))
    with pytest.raises(GapevalError, match="not 0/1 in rows \\[1\\]"):
        calibration_counts(cal.assign(judge_label=[1, 2, 0, 0, 1]), ("a",))


def test_long_table_chance_and_judge_columns_are_validated():
    df = pd.DataFrame({"model": ["m", "m"], "item": ["u", "u"], "direction": ["understanding"] * 2, "score": [1, 0],
                       "judge": ["j1", "j2"], "chance": [0.25, 0.25]})
    frame = standardize_responses(df, chance="chance", judge="judge")
    assert frame["chance"].tolist() == [0.25, 0.25]
    with pytest.raises(GapevalError, match=r"repeat a \('model', 'item', 'judge'\) triple"):
        standardize_responses(df.assign(judge="j1"), judge="judge")
    with pytest.raises(GapevalError, match=r"chance\) has values \[1.5\] in rows \[0, 1\]"):
        standardize_responses(df.assign(chance=[1.5, 1.5]), chance="chance", judge="judge")
    with pytest.raises(GapevalError, match="item 'u' has 2 different values in column 'chance'"):
        standardize_responses(df.assign(chance=[0.25, 0.5]), chance="chance", judge="judge")


def test_judges_without_a_judge_column_and_chance_with_points_are_refused():
    df, truth = simulate_gap_responses(3, 5, seed=0, chance=(0.25, 0.0))
    with pytest.raises(GapevalError, match="no judge column"):
        gap_score(df, judges=pd.DataFrame({"judge": [], "judge_label": [], "human_label": []}))
    with pytest.raises(GapevalError, match="chance levels and judge labels describe 0/1 answers"):
        gap_score(df, points=2)
    with pytest.raises(GapevalError, match="guessing='sometimes' is not one of"):
        gap_score(df, guessing="sometimes")


def test_ignoring_given_chance_levels_warns_naming_the_items():
    df, _ = simulate_gap_responses(3, 12, seed=3, chance=(0.25, 0.0))
    with pytest.warns(GuessingWarning, match=r"12 items have a chance level .*\[0.25\].*'q0000-u'"):
        gap_score(df, inference="svi", seed=0, guessing="none", num_steps=20, num_samples=20)


@pytest.mark.slow
def test_guessing_given_removes_the_bias_and_ignoring_it_warns_naming_the_items():
    """Understanding items are 4-option multiple choice (3PL truth): the fit told so is unbiased."""
    df, truth = simulate_gap_responses(20, 100, seed=3, chance=(0.25, 0.0))
    aware = gap_score(df, inference="svi", seed=0)
    with pytest.warns(GuessingWarning, match=r"100 items have a chance level .*\[0.25\].*'q0000-u'"):
        naive = gap_score(df, inference="svi", seed=0, guessing="none")
    bias_aware, bias_naive = (t["gap"] - truth.gap for t in (aware, naive))
    assert bias_naive.mean() > 0.35                      # the issue's +0.60 on average over replications
    assert abs(bias_aware.mean()) < 0.15
    assert aware.attrs["observation"]["multiple_choice_forms"] == 100
    assert np.corrcoef(aware["gap"], truth.gap)[0, 1] > 0.9


@pytest.mark.slow
def test_judge_error_widens_the_interval_and_is_estimated():
    df, truth = simulate_gap_responses(20, 100, seed=4, judge=(0.85, 0.90))
    aware = gap_score(df, inference="svi", seed=0, judges=truth.calibration)
    naive = gap_score(df, inference="svi", seed=0, judge=None)
    width = lambda t: (t["gap_upper"] - t["gap_lower"]).mean()   # noqa: E731
    assert width(aware) > 1.15 * width(naive)
    samples = aware.attrs["result"].samples
    assert abs(samples["sensitivity"].mean() - 0.85) < 0.08 and abs(samples["specificity"].mean() - 0.90) < 0.08
    assert aware.attrs["observation"]["judges"] == ["judge"] and "sensitivity" in aware.attrs["result"].idata.posterior


def test_items_that_look_multiple_choice_without_a_chance_column_are_named():
    from gapeval.gap.prepare import prepare_gap_data

    df, _ = simulate_gap_responses(3, 4, seed=0)
    df["subtask"] = np.where(df["direction"] == "understanding", "static_MCQ", "draw")
    keywords = dict(model="model", item="item", direction="direction", score="score", pair="pair", judge="judge",
                    scale="paired", points=1, threshold=None)
    with pytest.warns(GuessingWarning, match=r"4 items look multiple-choice .*\['q0000-u', 'q0001-u'.*no chance "
                                             r"column \('chance'\)"):
        prepare_gap_data(df, chance="chance", **keywords)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepare_gap_data(df.assign(chance=np.where(df["direction"] == "understanding", 0.25, 0.0)), chance="chance",
                         **keywords)


@pytest.mark.parametrize(("values", "what"), [
    (lambda n: np.linspace(0.05, 0.95, n), "fractional numbers"),
    (lambda n: np.arange(n) % 2 == 0, "true/false values"),
    (lambda n: [f"the picture shows {k} cats" for k in range(n)], "different values in"),
])
def test_a_judge_column_that_holds_no_judge_ids_is_refused_before_fitting(values, what):
    """A user's own 'judge' column (scores, a flag, rationales) must not silently bring in the judge layer."""
    df, _ = simulate_gap_responses(3, 10, seed=0)
    with pytest.raises(GapevalError, match=rf"column 'judge' is read as judge ids .* {what}.* pass judge=None"):
        gap_score(df.assign(judge=values(len(df))), inference="svi")
    # whole-number ids read from a CSV with empty cells (floats) are ids
    from gapeval.gap.prepare import check_judge_column

    check_judge_column(pd.Series([1.0, np.nan, 2.0, 1.0]), "judge")
