"""Krippendorff's alpha: the published reliability-data example, by hand and cross-checked."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapeval.errors import GapevalError
from gapeval.scoring.alpha import coincidence_matrix, krippendorff_alpha

NAN = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# 4 observers x 12 units, with missing values.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]


def test_coincidence_matrix_equals_the_published_one():
    third = 1 / 3
    published = np.array(
        [
            [7, 4 * third, third, third, 0],
            [4 * third, 10, 4 * third, third, 0],
            [third, 4 * third, 8, third, 0],
            [third, third, third, 4, 0],
            [0, 0, 0, 0, 3],
        ]
    )
    matrix = coincidence_matrix(KRIPPENDORFF_2011)
    assert list(matrix.index) == [1.0, 2.0, 3.0, 4.0, 5.0]
    np.testing.assert_allclose(matrix.to_numpy(), published, atol=1e-12)
    assert matrix.to_numpy().sum() == pytest.approx(40)  # 40 pairable values; unit 12 has one


def test_nominal_alpha_by_hand():
    # n = 40, sum of diagonal o_cc = 7 + 10 + 8 + 4 + 3 = 32, margins n_c = 9, 13, 10, 5, 3:
    # alpha = 1 - (n - 1)(n - 32) / (n^2 - sum n_c^2) = 1 - 39 * 8 / (1600 - 384) = 113/152
    result = krippendorff_alpha(KRIPPENDORFF_2011, n_boot=0)
    assert result.estimate == pytest.approx(113 / 152, abs=1e-12)
    assert round(result.estimate, 3) == 0.743
    assert (result.n_units, result.detail) == (11, "metric=nominal")


@pytest.mark.parametrize(("metric", "published"), [("ordinal", 0.815), ("interval", 0.849)])
def test_published_ordinal_and_interval_values(metric, published):
    result = krippendorff_alpha(KRIPPENDORFF_2011, metric=metric, n_boot=0)
    assert round(result.estimate, 3) == published


@pytest.mark.parametrize("metric", ["nominal", "ordinal", "interval"])
def test_matches_the_krippendorff_package_on_random_data_with_gaps(metric):
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(7)
    truth = rng.integers(1, 6, 40)
    data = np.where(rng.random((3, 40)) < 0.7, truth, rng.integers(1, 6, (3, 40))).astype(float)
    data[rng.random((3, 40)) < 0.15] = NAN
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=metric)
    assert krippendorff_alpha(data, metric=metric, n_boot=0).estimate == pytest.approx(
        expected, abs=1e-10
    )


def test_duplicating_units_equals_bootstrap_weights():
    # Resample weights must act like duplicated units: alpha on data with unit 0 doubled.
    krippendorff = pytest.importorskip("krippendorff")
    data = np.array(KRIPPENDORFF_2011, dtype=float)
    doubled = np.concatenate([data, data[:, [1]]], axis=1)
    for metric in ("nominal", "ordinal", "interval"):
        expected = krippendorff.alpha(reliability_data=doubled, level_of_measurement=metric)
        result = krippendorff_alpha(doubled, metric=metric, n_boot=0)
        assert result.estimate == pytest.approx(expected)


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate():
    result = krippendorff_alpha(KRIPPENDORFF_2011, metric="interval", n_boot=500, seed=1)
    assert result == krippendorff_alpha(KRIPPENDORFF_2011, metric="interval", n_boot=500, seed=1)
    assert result.lower < result.estimate <= result.upper <= 1.0
    assert (result.n_boot, result.seed) == (500, 1)


def test_labels_and_none_as_missing():
    data = [["cat", "dog", None, "cat"], ["cat", "dog", "dog", "dog"]]
    # pairable units 0, 1, 3: o = [[2, 1], [1, 2]], n = 6: alpha = 1 - 5 * 2 / (36 - 18) = 4/9
    assert krippendorff_alpha(data, n_boot=0).estimate == pytest.approx(4 / 9, abs=1e-12)


def test_alpha_errors():
    with pytest.raises(GapevalError, match=r"at least 2 coders, got shape \(1, 3\)"):
        krippendorff_alpha([[1, 2, 3]])
    with pytest.raises(GapevalError, match=r"interval alpha needs numbers, got \['x'\]"):
        krippendorff_alpha([[1, "x"], [1, 2]], metric="interval")
    with pytest.raises(GapevalError, match=r"need at least 2 units rated by 2 or more coders"):
        krippendorff_alpha([[1, None], [1, 2]])
    with pytest.raises(GapevalError, match=r"every pairable rating has the same value"):
        krippendorff_alpha([[1, 1], [1, 1]], metric="interval")
    with pytest.raises(GapevalError, match=r"unknown metric 'ratio'"):
        krippendorff_alpha([[1, 2], [1, 2]], metric="ratio")


def test_too_many_categories_is_refused():
    data = [list(range(250)), list(range(250))]
    with pytest.raises(GapevalError, match=r"250 distinct ratings is too many for nominal alpha"):
        krippendorff_alpha(data, n_boot=0)
    assert krippendorff_alpha(data, metric="interval", n_boot=0).estimate == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=3, max_size=3),
        min_size=2,
        max_size=15,
    ),
    metric=st.sampled_from(["nominal", "ordinal", "interval"]),
)
def test_agrees_with_the_krippendorff_package_on_random_tables(data, metric):
    krippendorff = pytest.importorskip("krippendorff")
    table = np.array([[np.nan if v is None else v for v in unit] for unit in data], dtype=float).T
    try:
        ours = krippendorff_alpha(table, metric=metric, n_boot=0).estimate
    except GapevalError:
        return  # fewer than 2 pairable units, or alpha undefined: nothing to compare
    theirs = krippendorff.alpha(reliability_data=table, level_of_measurement=metric)
    assert ours == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize("metric", ["nominal", "ordinal", "interval"])
def test_single_category_resamples_are_degenerate_not_numbers(metric):
    # 9 units, 7 rated 1 by both coders: a resample misses the other two with p = (7/9)^9 = 0.104
    data = [[1, 1, 1, 2, 1, 1, 1, 1, 3], [1, 1, 1, 2, 1, 1, 1, 1, 3]]
    result = krippendorff_alpha(data, metric=metric, n_boot=2000, seed=0)
    assert result.estimate == 1.0 and result.lower == result.upper == 1.0
    assert 150 <= result.n_degenerate <= 270
