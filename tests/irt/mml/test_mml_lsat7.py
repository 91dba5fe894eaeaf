"""LSAT7: marginal ML estimates, SEs, scores and fit against the published reference values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import irt
from irt import ResponseData

REF_A = [0.9875, 1.0808, 1.7075, 0.7650, 0.7357]
REF_D = [1.8559, 0.8080, 1.8052, 0.4860, 1.8545]
REF_SE_A = [0.1772, 0.1688, 0.3211, 0.1341, 0.1511]
REF_SE_D = [0.1315, 0.0912, 0.2048, 0.0749, 0.1144]


def _param(items: pd.DataFrame, name: str, column: str = "estimate") -> np.ndarray:
    return items.loc[items["param"] == name, column].to_numpy()


def test_2pl_estimates_standard_errors_and_loglik_match_reference(lsat7_2pl):
    items = lsat7_2pl.items()
    np.testing.assert_allclose(_param(items, "a"), REF_A, atol=1e-3)
    np.testing.assert_allclose(_param(items, "d"), REF_D, atol=1e-3)
    np.testing.assert_allclose(_param(items, "a", "sd"), REF_SE_A, atol=1e-3)
    np.testing.assert_allclose(_param(items, "d", "sd"), REF_SE_D, atol=1e-3)
    assert lsat7_2pl.loglik == pytest.approx(-2658.805, abs=1e-3)
    assert lsat7_2pl.num_parameters == 10
    assert lsat7_2pl.info["num_patterns"] == 32


def test_2pl_table_layout_difficulty_and_wald_interval(lsat7_2pl):
    items = lsat7_2pl.items(level=0.9)
    assert list(items.columns) == ["item", "param", "estimate", "sd", "lower", "upper"]
    assert items["param"].tolist()[:3] == ["a", "d", "b"]
    np.testing.assert_allclose(_param(items, "b"), -np.array(REF_D) / np.array(REF_A), atol=2e-3)
    row = items.iloc[0]
    assert row["upper"] - row["estimate"] == pytest.approx(1.6448536 * row["sd"], rel=1e-6)
    assert items.attrs["method"] == "mml" and items.attrs["interval"] == "wald"


def test_covariance_is_inverse_information_and_labelled(lsat7_2pl):
    cov = lsat7_2pl.covariance()
    assert cov.shape == (10, 10)
    assert np.sqrt(cov.loc[("Item.3", "a"), ("Item.3", "a")]) == pytest.approx(0.3211, abs=1e-3)
    np.testing.assert_allclose(cov.to_numpy(), cov.to_numpy().T, atol=1e-12)


def test_rasch_intercepts_latent_variance_and_loglik(lsat7_rasch):
    items = lsat7_rasch.items()
    np.testing.assert_allclose(_param(items, "d"), [1.8683, 0.7910, 1.4610, 0.5215, 1.9930], atol=1e-3)
    assert "a" not in set(items["param"])
    latent = lsat7_rasch.latent()
    assert latent["param"].tolist() == ["sigma_theta"]
    assert latent["estimate"].iloc[0] == pytest.approx(np.sqrt(1.0227), abs=1e-3)
    assert lsat7_rasch.loglik == pytest.approx(-2664.901, abs=1e-3)


def test_1pl_is_the_rasch_model_on_the_unit_variance_scale(lsat7, lsat7_rasch):
    fit = irt.fit(lsat7, "1pl", method="mml")
    slopes = _param(fit.items(), "a")
    assert np.ptp(slopes) == 0.0
    assert slopes[0] == pytest.approx(np.sqrt(1.0227), abs=1e-3)
    assert fit.loglik == pytest.approx(lsat7_rasch.loglik, abs=1e-6)


def test_map_scores_of_the_first_six_patterns(lsat7, lsat7_2pl):
    table = lsat7_2pl.abilities(method="map")
    first_of_pattern = [int(np.flatnonzero(lsat7.pattern == p)[0]) for p in range(6)]
    np.testing.assert_allclose(table["estimate"].to_numpy()[first_of_pattern],
                               [-1.8164, -1.4946, -1.4823, -1.1791, -1.0952, -0.7946], atol=1e-3)
    assert table.attrs["scoring"] == "map"


def test_sum_score_table_matches_lord_wingersky_reference(lsat7_2pl):
    table = lsat7_2pl.sum_score_table()
    np.testing.assert_allclose(table["theta"], [-1.86979, -1.431861, -0.9488463, -0.4131963, 0.1517289, 0.7271877],
                               atol=1e-3)
    np.testing.assert_allclose(table["sd"], [0.6927032, 0.6838697, 0.6942298, 0.7210951, 0.758772, 0.8009335],
                               atol=1e-3)
    np.testing.assert_allclose(table["expected"], [10.08994, 44.65882, 109.773, 207.7391, 319.1854, 308.5536],
                               atol=1e-2)
    assert table["observed"].tolist() == [12, 40, 114, 205, 321, 308]


def test_m2_matches_reference(lsat7_2pl):
    stat = lsat7_2pl.m2()
    assert stat["M2"] == pytest.approx(11.938, abs=1e-2)
    assert stat["df"] == 5
    assert 0.03 < stat["p"] < 0.04
    assert stat["RMSEA"] == pytest.approx(np.sqrt((stat["M2"] - 5) / (1000 * 5)), rel=1e-9)


def test_missing_responses_drop_out_of_the_likelihood(lsat7_table):
    wide = lsat7_table.loc[lsat7_table.index.repeat(lsat7_table["freq"])].drop(columns="freq")
    wide = wide.reset_index(drop=True).astype(float)
    wide.iloc[0, 0] = np.nan
    wide.iloc[1, 1] = np.nan
    fit = irt.fit(ResponseData.from_wide(wide), "2pl", method="mml")
    items = fit.items()
    np.testing.assert_allclose(_param(items, "a"), [0.969, 1.074, 1.717, 0.763, 0.731], atol=1e-2)
    np.testing.assert_allclose(_param(items, "d"), [1.851, 0.808, 1.811, 0.486, 1.852], atol=1e-2)
    assert fit.data.num_responses == 4998
    with pytest.raises(ValueError, match="M2 needs complete data"):
        fit.m2()
