"""Scoring, information, reliability, item fit, local dependence and model comparison of MML fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import irt


def test_eap_scores_are_posterior_means_and_score_new_reproduces_them(lsat7, lsat7_2pl):
    table = lsat7_2pl.abilities()
    assert list(table.columns) == ["respondent", "dimension", "estimate", "sd", "lower", "upper"]
    assert len(table) == 1000 and table.attrs["scoring"] == "eap"
    # EAP of a sum-score group averages to the Lord-Wingersky EAP weighted by the pattern posteriors
    wide = lsat7.to_wide().to_numpy()
    new = lsat7_2pl.score_new(wide[:3])
    np.testing.assert_allclose(new["estimate"], table["estimate"].iloc[:3], atol=1e-10)
    # EAP shrinks: posterior SD below 1 and mean of EAPs close to 0
    assert (table["sd"] < 1).all()
    assert abs(table["estimate"].mean()) < 0.05


def test_ml_scores_exist_for_mixed_patterns_and_are_refused_for_extreme_ones(lsat7_2pl):
    frame = pd.DataFrame([[1, 0, 1, 0, 1], [0, 1, 1, 1, 0]], columns=list(lsat7_2pl.data.item_ids), index=["x", "y"])
    ml = lsat7_2pl.score_new(frame, method="ml")
    mapped = lsat7_2pl.score_new(frame, method="map")
    assert ml["respondent"].tolist() == ["x", "y"]
    # ML lies further from 0 than MAP (no shrinkage) and has larger standard errors
    assert (np.abs(ml["estimate"]) >= np.abs(mapped["estimate"])).all()
    assert (ml["sd"] > mapped["sd"]).all()
    with pytest.raises(irt.mml.ExtremePatternError, match="ML ability estimates do not exist for 2 response pattern"):
        lsat7_2pl.abilities(method="ml")
    with pytest.raises(ValueError, match="Use method='eap' or method='map'"):
        lsat7_2pl.score_new([[1, 1, 1, 1, np.nan]], method="ml")


def test_score_new_rejects_misaligned_or_invalid_responses(lsat7_2pl):
    with pytest.raises(ValueError, match=r"unknown scoring method 'wle'; choose one of \['eap', 'map', 'ml'\]"):
        lsat7_2pl.abilities(method="wle")
    with pytest.raises(ValueError, match="responses have shape \\(1, 3\\) but the fit has 5 items"):
        lsat7_2pl.score_new([[1, 0, 1]])
    subset = lsat7_2pl.score_new(pd.DataFrame([[1, 0, 1, 0]], columns=["Item.1", "Item.2", "Item.3", "Item.4"]))
    full = lsat7_2pl.score_new([[1, 0, 1, 0, np.nan]])
    assert subset["estimate"].iloc[0] == pytest.approx(full["estimate"].iloc[0], abs=1e-12)
    with pytest.raises(ValueError, match=r"response columns \['Item.9'\] are not items of this fit"):
        lsat7_2pl.score_new(pd.DataFrame([[1, 0]], columns=["Item.1", "Item.9"]))
    with pytest.raises(ValueError, match="response 2.0 of respondent 0 to item 'Item.1' is not a category 0..1"):
        lsat7_2pl.score_new([[2, 0, 1, 0, 1]])


def test_information_matches_the_2pl_formula_and_reliability_is_a_proportion(lsat7_2pl):
    theta = np.array([-2.0, 0.0, 1.5])
    table = lsat7_2pl.information(theta)
    items = lsat7_2pl.items()
    a = items.loc[items["param"] == "a", "estimate"].to_numpy()
    d = items.loc[items["param"] == "d", "estimate"].to_numpy()
    p = 1 / (1 + np.exp(-(np.outer(theta, a) + d)))
    np.testing.assert_allclose(table[list(lsat7_2pl.data.item_ids)].to_numpy(), a ** 2 * p * (1 - p), rtol=1e-9)
    np.testing.assert_allclose(table["se"], 1 / np.sqrt((a ** 2 * p * (1 - p)).sum(axis=1)), rtol=1e-9)
    marginal = lsat7_2pl.reliability()
    empirical = lsat7_2pl.reliability(kind="empirical")
    assert 0.2 < marginal < 0.6 and 0.2 < empirical < 0.6
    with pytest.raises(ValueError, match="unknown reliability kind 'alpha'"):
        lsat7_2pl.reliability(kind="alpha")


@pytest.fixture(scope="module")
def simulated_2pl():
    data, truth = irt.simulate("2pl", num_respondents=1500, num_items=12, seed=21)
    return data, truth, irt.fit(data, "2pl", method="mml")


def test_item_fit_statistics_behave_under_the_true_model(simulated_2pl):
    _, _, fit = simulated_2pl
    table = fit.item_fit()
    assert list(table.columns) == ["item", "S_X2", "df", "p", "infit", "outfit"]
    assert (table["df"] > 0).all()
    assert 0.6 < (table["S_X2"] / table["df"]).mean() < 1.5
    # residuals at the (shrunken) EAP make both mean squares a little below 1 on a short test
    assert table["infit"].between(0.75, 1.1).all()
    assert table["outfit"].between(0.6, 1.2).all()
    stat = fit.m2()
    assert stat["df"] == 12 * 11 / 2 + 12 - 24
    assert stat["p"] > 0.01 and stat["RMSEA"] < 0.03


def test_q3_flags_a_locally_dependent_pair():
    data, _ = irt.simulate("2pl", num_respondents=1500, num_items=10, seed=4)
    wide = data.to_wide()
    rng = np.random.default_rng(0)
    copy = rng.uniform(size=len(wide)) < 0.3
    wide.iloc[copy, 1] = wide.iloc[copy, 0]  # item 2 copies item 1 for 30% of respondents
    fit = irt.fit(irt.ResponseData.from_wide(wide), "2pl", method="mml", standard_errors=False)
    q3 = fit.q3().to_numpy()
    assert q3[0, 1] == q3[1, 0] and np.allclose(np.diag(q3), 1.0)
    off = np.sort(q3[np.triu_indices(10, 1)])
    # Q3 is biased towards -1/(n-1) on a short test; the dependent pair stands out above all others
    assert -0.12 < off.mean() < -0.04
    assert q3[0, 1] == off[-1] and q3[0, 1] > 0.1 and off[-2] < 0.0


def test_compare_gives_aic_bic_and_likelihood_ratio(lsat7, lsat7_2pl, lsat7_rasch):
    table = irt.compare({"2pl": lsat7_2pl, "rasch": lsat7_rasch})
    assert table.index.tolist() == ["rasch", "2pl"]
    assert table.loc["2pl", "LR"] == pytest.approx(2 * (-2658.805 + 2664.901), abs=2e-3)
    assert table.loc["2pl", "df"] == 4
    assert table.loc["rasch", "AIC"] == pytest.approx(2 * 2664.901 + 2 * 6, abs=2e-3)
    assert table.loc["2pl", "BIC"] == pytest.approx(2 * 2658.805 + 10 * np.log(1000), abs=2e-3)
    assert np.isnan(table.loc["rasch", "p"]) and 0.01 < table.loc["2pl", "p"] < 0.02
    onepl = irt.fit(lsat7, "1pl", method="mml", standard_errors=False)
    with pytest.raises(ValueError, match="likelihood-ratio tests need nested fits"):
        irt.compare([onepl, lsat7_rasch])
    other, _ = irt.simulate("2pl", num_respondents=100, num_items=5, seed=1)
    with pytest.raises(ValueError, match="different responses"):
        irt.compare([lsat7_2pl, irt.fit(other, "2pl", method="mml", standard_errors=False)])


def test_polytomous_m2_and_item_fit_use_every_category_margin():
    data, _ = irt.simulate("graded", num_respondents=800, num_items=5, num_categories=3, seed=8)
    fit = irt.fit(data, "graded", method="mml", standard_errors=False)
    stat = fit.m2()
    # margins: 5 items x 2 categories above 0, plus 10 pairs x 2 x 2; parameters: 5 x (1 slope + 2 thresholds)
    assert stat["df"] == 10 + 40 - 15
    assert stat["p"] > 0.01
    table = fit.item_fit()
    assert (table["df"] > 0).all() and table["p"].between(0, 1).all()
    eap = fit.abilities()
    mapped = fit.abilities(method="map")
    assert np.corrcoef(eap["estimate"], mapped["estimate"])[0, 1] > 0.99


def test_compare_mml_refuses_single_and_non_mml_fits(lsat7_2pl):
    from irt.mml.compare import compare_mml

    with pytest.raises(ValueError, match="compare_mml needs at least two fits, got 1"):
        compare_mml([lsat7_2pl])
    with pytest.raises(ValueError, match="fit 'fit1' is a str, not a marginal ML fit"):
        compare_mml([lsat7_2pl, "2pl"])
