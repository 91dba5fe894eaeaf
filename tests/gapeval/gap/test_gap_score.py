"""gap_score: the IRT Gap Score (layout, likelihood, bad input, invariances, fast calibration)."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import expit

from gapeval.errors import GapevalError
from gapeval.gap.compare import gap_compare
from gapeval.gap.model import build_gap_data, marginal_loglik
from gapeval.responses import standardize_responses
from gapeval.gap.result import GapResult
from gapeval.gap.score import GAP_COLUMNS, OneDirectionWarning, gap_score
from gapeval.gap.simulate import simulate_gap_responses
from gapeval.sampling import GAP_NUTS_SMALL
from irt.diagnostics import ConvergenceWarning, Diagnostics

NUTS_FAST = dict(num_warmup=300, num_samples=300)
SVI_FAST = dict(inference="svi", num_steps=1500, num_samples=400)


@pytest.fixture(scope="module")
def small():
    return simulate_gap_responses(8, 60, seed=3)


@pytest.fixture(scope="module")
def nuts_table(small):
    df, _ = small
    return gap_score(df, seed=1, **NUTS_FAST)


# ----------------------------------------------------------------------------- layout and likelihood
def test_layout_units_slots_and_partners():
    df = pd.DataFrame({
        "model": ["a", "a", "a", "b", "b"],
        "item": ["p1u", "p1g", "solo", "p1u", "solo"],
        "pair": ["p1", "p1", None, "p1", None],
        "direction": ["understanding", "generation", "generation", "understanding", "generation"],
        "score": [1, 0, 1, 1, 0],
    })
    data = build_gap_data(standardize_responses(df, pair="pair"), points=1, use_pairs=True)
    assert data.model_ids == ("a", "b") and data.unit_ids == ("p1", "solo") and data.num_pairs == 1
    assert data.item_ids == ("p1g", "p1u", "solo")
    assert data.item_unit.tolist() == [0, 0, 1] and data.item_slot.tolist() == [1, 0, 1]
    assert data.partner.tolist() == [1, -1, -1]
    assert data.y[0].tolist() == [[1, 0], [0, 1]] and data.mask[1].tolist() == [[True, False], [False, True]]
    assert data.counts.tolist() == [[1, 2], [1, 1]]
    swapped = data.swapped()
    assert swapped.counts.tolist() == [[2, 1], [1, 1]] and swapped.partner.tolist() == [-1, 0, -1]


def test_marginal_loglik_matches_numerical_integration():
    df = pd.DataFrame({"model": ["a", "a"], "item": ["u", "g"], "pair": ["q", "q"],
                       "direction": ["understanding", "generation"], "score": [1, 0]})
    data = build_gap_data(standardize_responses(df, pair="pair"), points=1, use_pairs=True)
    theta, a, b = np.array([[[0.4, -0.2]]]), np.array([[1.3, 0.7]]), np.array([[-0.5, 0.3]])  # items g, u
    ll = marginal_loglik(data, theta=theta, a=a, b=b, sigma_gamma=np.array([0.9]), num_nodes=30)

    def integrand(g):
        pu = expit(0.7 * (0.4 + g - 0.3))
        pg = expit(1.3 * (-0.2 + g + 0.5))
        return pu * (1 - pg) * math.exp(-g * g / (2 * 0.81)) / math.sqrt(2 * math.pi * 0.81)

    expected = math.log(integrate.quad(integrand, -10, 10)[0])
    assert ll.shape == (1, 1) and ll[0, 0] == pytest.approx(expected, abs=1e-8)
    plain = marginal_loglik(data, theta=theta, a=a, b=b, sigma_gamma=np.array([0.0]))
    assert plain[0, 0] == pytest.approx(math.log(expit(0.7 * 0.1)) + math.log(1 - expit(1.3 * 0.3)), abs=1e-10)


def test_binomial_points_loglik():
    df = pd.DataFrame({"model": ["a"], "item": ["u"], "direction": ["understanding"], "score": [0.75]})
    data = build_gap_data(standardize_responses(df), points=4, use_pairs=False)
    assert data.y[0, 0, 0] == 3
    ll = marginal_loglik(data, theta=np.array([[[0.2, 0.0]]]), a=np.array([[1.0]]), b=np.array([[0.0]]),
                         sigma_gamma=None)
    p = expit(0.2)
    assert ll[0, 0] == pytest.approx(math.log(4 * p ** 3 * (1 - p)), abs=1e-10)


# ----------------------------------------------------------------------------- bad input
def _table(**change):
    df = pd.DataFrame({"model": ["a", "a", "b", "b"], "item": ["u1", "g1", "u1", "g1"], "pair": ["q1"] * 4,
                       "direction": ["understanding", "generation"] * 2, "score": [1, 0, 0, 1]})
    for key, value in change.items():
        df[key] = value
    return df


@pytest.mark.parametrize("frame, kwargs, message", [
    (_table(direction=["understanding", "generate", "understanding", "generation"]), {},
     r"direction must be one of \['understanding', 'generation'\]"),
    (_table(score=[1, 2, 0, 1]), {}, r"outside \[0, 1\]"),
    (_table(score=[1, 0.5, 0, 1]), {}, r"fractional values \[0.5\]"),
    (_table(score=[1, 0.4, 0, 1]), {"points": 2}, r"not k/2"),
    (_table().iloc[:0], {}, "the responses table is empty"),
    (pd.concat([_table(), _table().iloc[:1]]), {}, r"repeat a \('model', 'item'\) pair"),
    (_table().drop(columns="pair"), {}, "scale='paired' needs the pair column"),
    (_table(), {"pair": None}, "scale='paired' needs the pair column"),
    (_table(pair=["q1", "q2", "q1", "q2"]), {}, "at least one pair .* with both"),
    (_table(), {"inference": "map"}, "joint posterior mode .* inflates the slopes"),
    (_table(), {"scale": "absolute"}, r"scale='absolute' is not one of \['paired', 'standardized'\]"),
    (_table(), {"method": "irt"}, r"method='irt' is not one of"),
    (_table(), {"level": 1.5}, "strictly between 0 and 1"),
    (_table(), {"num_samples": 0}, "num_samples=0 must be a positive integer"),
])
def test_bad_input_is_refused(frame, kwargs, message):
    with pytest.raises(GapevalError, match=message):
        gap_score(frame, **kwargs)


def test_two_items_of_one_direction_in_a_pair_are_refused():
    df = pd.DataFrame({"model": ["a"] * 3, "item": ["u1", "u2", "g1"], "pair": ["q"] * 3,
                       "direction": ["understanding", "understanding", "generation"], "score": [1, 0, 1]})
    with pytest.raises(GapevalError, match=r"pair 'q' .* has 2 understanding items \['u1', 'u2'\]"):
        gap_score(df)


def test_one_direction_model_gets_nan_gap_and_a_warning(small):
    df, _ = small
    df = df[~((df["model"] == "m02") & (df["direction"] == "generation"))]
    with pytest.warns(OneDirectionWarning, match=r"'m02' \(no generation answers\)"):
        table = gap_score(df, **SVI_FAST)
    row = table.set_index("model").loc["m02"]
    assert math.isnan(row["gap"]) and math.isnan(row["p_gap_positive"]) and math.isnan(row["theta_generation"])
    assert np.isfinite(row["theta_understanding"]) and row["n_generation"] == 0 and row["n_understanding"] == 60
    assert table["gap"].notna().sum() == 7
    assert "m02" not in set(gap_compare(table)["model"]) | set(gap_compare(table)["other"])


def test_import_gapeval_does_not_import_torch():
    code = ("import sys, gapeval, gapeval.gap.score, gapeval.gap.compare, gapeval.gap.simulate, "
            "gapeval.gap.legacy; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- gap_compare on known draws
def test_gap_compare_on_known_draws():
    df = pd.DataFrame({"model": ["a", "b", "c"] * 2, "item": ["u"] * 3 + ["g"] * 3,
                       "direction": ["understanding"] * 3 + ["generation"] * 3, "score": [1, 0, 1, 0, 1, 1]})
    data = build_gap_data(standardize_responses(df), points=1, use_pairs=False)
    gap = np.zeros((2, 4, 3))
    gap[..., 0] = [[1, 2, 3, 4], [1, 2, 3, 4]]
    gap[..., 1] = [[0, 3, 1, 1], [0, 3, 1, 1]]
    gap[..., 2] = 0.5
    result = GapResult(data=data, scale="standardized", level=0.5, inference="nuts", seed=0,
                       samples={"gap": gap, "theta": np.zeros((2, 4, 3, 2))}, sample_stats={},
                       diagnostics=Diagnostics(table=pd.DataFrame(), num_divergences=0, num_chains=2), options={})
    table = gap_compare(result)
    assert table[["model", "other"]].values.tolist() == [["a", "b"], ["a", "c"], ["b", "c"]]
    assert table["difference"].tolist() == pytest.approx([1.25, 2.0, 0.75])
    assert table["p_greater"].tolist() == pytest.approx([0.75, 1.0, 0.75])
    np.testing.assert_allclose(table.loc[0, ["difference_lower", "difference_upper"]].astype(float),
                               np.percentile([1, -1, 2, 3] * 2, [25, 75]))
    with pytest.raises(GapevalError, match="legacy method has no posterior"):
        gap_compare(pd.DataFrame({"gap": [0.5]}))


# ----------------------------------------------------------------------------- NUTS: the default path
def test_nuts_table_layout_and_records(nuts_table, small):
    _, truth = small
    table = nuts_table
    assert list(table.columns) == ["model", *GAP_COLUMNS]
    assert table["model"].tolist() == list(truth.model_ids)
    assert table.attrs["scale"] == "paired" and table.attrs["method"] == "mirt"
    assert table.attrs["inference"] == "nuts" and table.attrs["level"] == 0.95 and not table.attrs["approximate"]
    result = table.attrs["result"]
    # 8 models: a small cohort, sampled with GAP_NUTS_SMALL's 4 chains (num_samples given: 300 each)
    assert isinstance(result, GapResult) and result.gap_draws.shape == (GAP_NUTS_SMALL.num_chains, 300, 8)
    assert (table["gap_lower"] < table["gap"]).all() and (table["gap"] < table["gap_upper"]).all()
    assert (table[["n_understanding", "n_generation"]] == 60).all().all()
    np.testing.assert_allclose(table["gap"], result.gap_draws.mean(axis=(0, 1)))
    np.testing.assert_allclose(table["p_gap_positive"], (result.gap_draws > 0).mean(axis=(0, 1)))
    # recovery: 8 models x 60 pairs, truth within the intervals for most models and strongly correlated
    covered = (table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"])
    assert covered.sum() >= 6
    assert np.corrcoef(table["gap"], truth.gap)[0, 1] > 0.8
    assert table.attrs["diagnostics"]["max_rhat"] < 1.05
    cohort = result.cohort()
    assert cohort["quantity"].tolist() == ["correlation", "sigma_gamma", "within_pair_correlation"]
    assert -1 < cohort.loc[0, "lower"] < cohort.loc[0, "upper"] < 1


def test_swapping_direction_labels_negates_gaps(nuts_table, small):
    df, _ = small
    swapped = df.assign(direction=df["direction"].map({"understanding": "generation",
                                                         "generation": "understanding"}))
    table = gap_score(swapped, seed=1, **NUTS_FAST)
    sd = table["gap"].sub(table["gap_lower"]).abs() / 2
    np.testing.assert_allclose(table["gap"], -nuts_table["gap"], atol=float(0.2 * sd.max()) + 0.02)
    np.testing.assert_allclose(table["theta_understanding"], nuts_table["theta_generation"], atol=0.1)
    np.testing.assert_allclose(table["theta_generation"], nuts_table["theta_understanding"], atol=0.1)
    np.testing.assert_allclose(table["p_gap_positive"], 1 - nuts_table["p_gap_positive"], atol=0.1)


def test_fast_calibration_of_the_interval():
    """CI version of the calibration check: 3 replications x 6 models x 40 pairs, wide bands.

    The >= 200-replication version (20 models x 300 pairs) is benchmarks/gap/calibration.py; a
    20-replication version is the slow test test_calibration_twenty_replications.
    """
    covered95, covered50 = [], []
    for seed in range(3):
        df, truth = simulate_gap_responses(6, 40, seed=200 + seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            table = gap_score(df, seed=seed, num_warmup=250, num_samples=250)
        covered95.extend((table["gap_lower"] <= truth.gap) & (truth.gap <= table["gap_upper"]))
        lo, hi = np.percentile(table.attrs["result"].gap_draws.reshape(-1, 6), [25, 75], axis=0)
        covered50.extend((lo <= truth.gap) & (truth.gap <= hi))
    assert np.mean(covered95) >= 0.75          # 18 intervals; P(< 0.75 | 0.95 coverage) < 0.01
    assert 0.2 <= np.mean(covered50) <= 0.8


# ----------------------------------------------------------------------------- fast path (SVI)
def test_svi_fast_path_is_labelled_and_recovers(small):
    df, truth = small
    table = gap_score(df, **SVI_FAST)
    assert table.attrs["approximate"] and table.attrs["interval"] == "approximate credible interval"
    assert np.corrcoef(table["gap"], truth.gap)[0, 1] > 0.8
    assert table.attrs["result"].diagnostics.approximate


def test_svi_invariances_shift_duplicate_seed():
    df, truth = simulate_gap_responses(8, 60, seed=5)
    base = gap_score(df, **SVI_FAST)
    shifted_df, _ = simulate_gap_responses(8, 60, seed=5, difficulty_shift=1.5)
    shifted = gap_score(shifted_df, **SVI_FAST)
    # the abilities move by -1.5 with the difficulties, the gaps stay (within the Monte Carlo error
    # of different simulated answers: a shift changes which answers come out right)
    assert abs((shifted["theta_understanding"] - base["theta_understanding"]).mean() + 1.5) < 0.35
    assert abs((shifted["gap"] - base["gap"]).mean()) < 0.25
    twice = pd.concat([df, df.assign(item=df["item"] + "-copy", pair=df["pair"] + "-copy")], ignore_index=True)
    doubled = gap_score(twice, **SVI_FAST)
    assert ((doubled["gap_upper"] - doubled["gap_lower"]) < (base["gap_upper"] - base["gap_lower"])).all()
    pd.testing.assert_frame_equal(gap_score(df, **SVI_FAST), base)


# ----------------------------------------------------------------------------- legacy delegation
def test_legacy_method_delegates_and_is_labelled():
    from gapeval.gap.legacy import legacy_gap_score_from_responses

    df, _ = simulate_gap_responses(2, 12, seed=0)
    df["category"] = np.where(df["pair"].str[-1].astype(int) % 2 == 0, "even", "odd")
    table = gap_score(df, method="gapeval-2026")
    expected = legacy_gap_score_from_responses(df)
    assert table["gap"].tolist() == [expected["m00"]["gap_mean"], expected["m01"]["gap_mean"]]
    assert table.attrs["method"] == "gapeval-2026" and "legacy" in table.attrs["label"]
    assert table["gap_lower"].isna().all() and table["n_pairs"].tolist() == [12, 12]


def test_simulate_docstring_example_runs():
    import doctest

    import gapeval.gap.simulate as module

    assert doctest.testmod(module).failed == 0
