"""Agreement statistics: hand-computed values, scipy cross-checks, bootstrap behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from gapeval.errors import GapevalError
from gapeval.scoring._bootstrap import group_sums, weighted_midranks, weighted_pearson
from gapeval.scoring.agreement import cohen_kappa, pearson, spearman


def ratings_from_table(table):
    """Expand a contingency table (rows: rater a, columns: rater b) into paired ratings."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [i] * count
            b += [j] * count
    return a, b


def test_kappa_on_a_2x2_table_by_hand():
    # po = 35/50 = 0.7; pe = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
    a, b = ratings_from_table([[20, 5], [10, 15]])
    result = cohen_kappa(a, b, n_boot=0)
    assert result.estimate == pytest.approx(0.4, abs=1e-12)
    assert (result.n_units, result.detail, result.lower) == (50, "weights=none", None)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        # po = 30/40, pe = (12*14 + 13*12 + 15*14)/40^2 = 534/1600: kappa = 666/1066
        (None, 333 / 533),
        # sum |i-j| o = 11; sum |i-j| r_i c_j / N = 1444/40: kappa = 1 - 440/1444
        ("linear", 251 / 361),
        # sum (i-j)^2 o = 13; sum (i-j)^2 r_i c_j / N = 2200/40 = 55: kappa = 1 - 13/55
        ("quadratic", 42 / 55),
    ],
)
def test_kappa_on_a_3x3_table_by_hand(weights, expected):
    a, b = ratings_from_table([[10, 2, 0], [3, 8, 2], [1, 2, 12]])
    result = cohen_kappa(a, b, weights=weights, n_boot=0)
    assert result.estimate == pytest.approx(expected, abs=1e-12)


def test_kappa_with_labels_missing_values_and_category_order():
    a = ["low", "high", None, "mid", "mid", "high"]
    b = ["low", "mid", "low", "mid", float("nan"), "high"]
    unweighted = cohen_kappa(a, b, n_boot=0)
    assert unweighted.n_units == 4
    order = ["low", "mid", "high"]
    weighted = cohen_kappa(a, b, weights="linear", categories=order, n_boot=0)
    # table over (low, mid, high): o = [[1,0,0],[0,1,0],[0,1,1]]; sum|i-j|o = 1;
    # margins r = (1,1,2), c = (1,2,1);
    # sum |i-j| r_i c_j / 4 = (1*(2+2) + 1*(1+1) + 2*(2+2)) / 4 = 14/4
    assert weighted.estimate == pytest.approx(1 - 1 / 3.5, abs=1e-12)
    with pytest.raises(GapevalError, match=r"ratings \['high'\] are not among categories"):
        cohen_kappa(a, b, categories=["low", "mid"], n_boot=0)


def test_correlations_match_scipy_with_ties():
    x = [1, 2, 2, 3, 5, 5, 5, 8, 9, 10]
    y = [2, 1, 4, 3, 7, 5, 6, 9, 9, 8]
    assert pearson(x, y, n_boot=0).estimate == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    assert spearman(x, y, n_boot=0).estimate == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)


def test_weighted_formulas_equal_statistics_on_expanded_resamples():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, 30).astype(float)
    y = x + rng.integers(-1, 2, 30)
    weights = rng.multinomial(30, np.full(30, 1 / 30), size=5).astype(float)
    r = weighted_pearson(x[None, :], y[None, :], weights)
    rho = weighted_pearson(weighted_midranks(x, weights), weighted_midranks(y, weights), weights)
    for b, w in enumerate(weights.astype(int)):
        xs, ys = np.repeat(x, w), np.repeat(y, w)
        assert r[b] == pytest.approx(stats.pearsonr(xs, ys)[0], abs=1e-10)
        assert rho[b] == pytest.approx(stats.spearmanr(xs, ys)[0], abs=1e-10)
    sums = group_sums(np.array([[1.0, 2.0, 3.0]]), np.array([2, 0, 2]), 4)
    assert sums.tolist() == [[2, 0, 4, 0]]


def test_bootstrap_is_seeded_and_has_the_expected_width():
    rng = np.random.default_rng(11)
    x = rng.normal(size=400)
    y = 0.6 * x + 0.8 * rng.normal(size=400)
    first = pearson(x, y, n_boot=1000, seed=5)
    assert first == pearson(x, y, n_boot=1000, seed=5)
    other = pearson(x, y, n_boot=1000, seed=6)
    assert (other.lower, other.upper) != (first.lower, first.upper)
    assert first.lower < first.estimate < first.upper
    # Fisher z: the 95% interval of r near 0.6 with n = 400 is about 2 * 1.96 * (1 - r^2) / sqrt(n)
    expected_width = 2 * 1.96 * (1 - first.estimate**2) / np.sqrt(400)
    assert first.upper - first.lower == pytest.approx(expected_width, rel=0.2)
    assert (first.n_boot, first.seed, first.level, first.n_degenerate) == (1000, 5, 0.95, 0)


def test_degenerate_resamples_are_counted_and_dropped():
    a = [0] * 9 + [1]
    result = cohen_kappa(a, a, n_boot=1000, seed=0)
    assert result.estimate == 1.0
    # a resample misses the single "1" unit with probability 0.9^10 = 0.35
    assert 250 <= result.n_degenerate <= 450
    assert result.lower == result.upper == 1.0


def test_errors_name_the_problem():
    with pytest.raises(GapevalError, match=r"different lengths \(3 and 2\)"):
        pearson([1, 2, 3], [1, 2])
    with pytest.raises(GapevalError, match=r"rater a gives every unit the same value 2.0"):
        pearson([2, 2, 2], [1, 2, 3])
    with pytest.raises(GapevalError, match=r"rater b has non-numeric values \['n/a', 'yes'\]"):
        spearman([1, 2, 3, 4], [1, "yes", "n/a", 2])
    with pytest.raises(GapevalError, match=r"need at least 2 units rated by both raters, got 1"):
        pearson([1, None, 3], [1, 2, None])
    with pytest.raises(GapevalError, match=r"Cohen's kappa is undefined"):
        cohen_kappa(["y", "y"], ["y", "y"])
    with pytest.raises(GapevalError, match=r"unknown kappa weights 'cubic'"):
        cohen_kappa([0, 1], [0, 1], weights="cubic")
    with pytest.raises(GapevalError, match=r"level must lie strictly between 0 and 1, got 95"):
        pearson([1, 2, 3], [1, 3, 2], level=95)
    with pytest.raises(GapevalError, match=r"n_boot must be a non-negative integer, got -1"):
        pearson([1, 2, 3], [1, 3, 2], n_boot=-1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=3, max_size=40))
def test_quadratic_kappa_equals_lins_concordance(pairs):
    # Independent identity: with categories 0..K-1 at their own positions, quadratic-weighted
    # kappa equals 2 s_ab / (s_a^2 + s_b^2 + (mean_a - mean_b)^2) with 1/N moments.
    a, b = (np.array(side, dtype=float) for side in zip(*pairs, strict=True))
    denominator = a.var() + b.var() + (a.mean() - b.mean()) ** 2
    assume(denominator > 0 and not (np.all(a == a[0]) and np.all(b == a[0])))
    concordance = 2 * np.mean((a - a.mean()) * (b - b.mean())) / denominator
    kappa = cohen_kappa(a.tolist(), b.tolist(), weights="quadratic", categories=[0, 1, 2, 3],
                        n_boot=0)  # fmt: skip
    assert kappa.estimate == pytest.approx(concordance, abs=1e-10)


def test_too_many_categories_for_kappa():
    with pytest.raises(GapevalError, match=r"201 distinct categories is too many for Cohen"):
        cohen_kappa(list(range(201)), list(range(201)), n_boot=0)
