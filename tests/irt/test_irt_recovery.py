"""Simulate -> fit -> recover, once for every model (the conformance suite of irt's models)."""

from __future__ import annotations

import numpy as np
import pytest

import irt

NUTS_FAST = {"num_warmup": 300, "num_samples": 300, "num_chains": 2}


def _param(items, name):
    return items.loc[items["param"] == name, "estimate"].to_numpy()


def _covered(items, name, truth):
    rows = items[items["param"] == name]
    return float(np.mean((rows["lower"].to_numpy() <= truth) & (truth <= rows["upper"].to_numpy())))


@pytest.fixture(scope="module")
def twopl_fit():
    data, truth = irt.simulate("2pl", num_respondents=1000, num_items=40, seed=11)
    return irt.fit(data, "2pl", seed=1, check_convergence=False, **NUTS_FAST), truth


def test_2pl_recovers_items_at_1000_by_40(twopl_fit):
    result, truth = twopl_fit
    items = result.items()
    assert np.corrcoef(_param(items, "a"), truth.a)[0, 1] >= 0.9
    assert np.corrcoef(_param(items, "b"), truth.b)[0, 1] >= 0.9
    assert np.corrcoef(_param(items, "d"), truth.d)[0, 1] >= 0.95
    assert _covered(items, "d", truth.d) >= 0.85
    theta = result.abilities()["estimate"].to_numpy()
    assert np.corrcoef(theta, truth.theta[:, 0])[0, 1] >= 0.85
    assert result.diagnostics().num_divergences == 0


def test_rasch_recovers_intercepts_and_latent_sd():
    data, truth = irt.simulate("rasch", num_respondents=400, num_items=15, seed=3,
                               theta=np.random.default_rng(0).normal(0, 1.5, size=(400, 1)))
    result = irt.fit(data, "rasch", seed=0, check_convergence=False, **NUTS_FAST)
    items = result.items()
    assert set(items["param"]) == {"d", "b"}
    assert np.corrcoef(_param(items, "d"), truth.d)[0, 1] >= 0.97
    latent = result.latent().set_index("param")
    assert latent.loc["sigma_theta", "lower"] <= truth.theta.std() <= latent.loc["sigma_theta", "upper"]


def test_3pl_recovers_its_parameters():
    data, truth = irt.simulate("3pl", num_respondents=1500, num_items=25, seed=5)
    result = irt.fit(data, "3pl", seed=0, check_convergence=False, **NUTS_FAST)
    items = result.items()
    assert np.corrcoef(_param(items, "b"), truth.b)[0, 1] >= 0.9
    assert np.corrcoef(_param(items, "a"), truth.a)[0, 1] >= 0.6
    assert np.mean(np.abs(_param(items, "g") - truth.g)) <= 0.08


def test_graded_recovers_slopes_and_thresholds():
    data, truth = irt.simulate("graded", num_respondents=600, num_items=12, num_categories=4, seed=7)
    result = irt.fit(data, "graded", seed=0, check_convergence=False, **NUTS_FAST)
    items = result.items()
    assert np.corrcoef(_param(items, "a"), truth.a)[0, 1] >= 0.75
    assert _covered(items, "a", truth.a) >= 0.75
    for k in range(3):
        assert np.corrcoef(_param(items, f"d{k + 1}"), truth.d[:, k])[0, 1] >= 0.95
    # The LogNormal(0, 1) prior on threshold steps pulls the closest thresholds apart a little.
    assert _covered(items, "d2", truth.d[:, 1]) >= 0.5


def test_two_dimensional_confirmatory_recovers_abilities_and_correlation():
    q = np.zeros((40, 2), dtype=int)
    q[:20, 0] = 1
    q[20:, 1] = 1
    q[19, 1] = 1  # one within-item loading
    data, truth = irt.simulate("2pl", num_respondents=400, num_items=40, q_matrix=q, correlation=0.6, seed=9)
    result = irt.fit(data, "2pl", q_matrix=truth.q_matrix, seed=0, check_convergence=False, **NUTS_FAST)
    theta = result.abilities()["estimate"].to_numpy().reshape(400, 2)
    for k in range(2):
        assert np.corrcoef(theta[:, k], truth.theta[:, k])[0, 1] >= 0.85
    latent = result.latent().iloc[0]
    assert latent["param"] == "omega[F1,F2]"
    assert latent["lower"] <= 0.6 <= latent["upper"]
    assert {"a[F1]", "a[F2]", "d"} <= set(result.items()["param"])
    assert "b" not in set(result.items()["param"])


@pytest.mark.slow
def test_nuts_two_dimensional_few_respondents_many_items():
    """The AI-benchmark shape: 30 respondents x 600 items per dimension (docs/methods.md §1)."""
    q = np.zeros((1200, 2), dtype=int)
    q[:600, 0] = 1
    q[600:, 1] = 1
    data, truth = irt.simulate("2pl", num_respondents=30, num_items=1200, q_matrix=q, correlation=0.5, seed=0)
    result = irt.fit(data, "2pl", q_matrix=truth.q_matrix, seed=0, num_warmup=1000, num_samples=1000,
                     check_convergence=False)
    theta = result.abilities()["estimate"].to_numpy().reshape(30, 2)
    for k in range(2):
        assert np.corrcoef(theta[:, k], truth.theta[:, k])[0, 1] >= 0.99
        assert np.sqrt(np.mean((theta[:, k] - truth.theta[:, k]) ** 2)) <= 0.25
    diagnostics = result.diagnostics()
    assert diagnostics.num_divergences == 0
    theta_rhat = diagnostics.table.loc[diagnostics.table["site"] == "theta", "r_hat"]
    assert theta_rhat.max() <= 1.01


@pytest.mark.slow
def test_few_respondents_location_of_abilities_mixes():
    """20 respondents x 600 items: the common location of θ (set by their N(0, 1) prior) mixes well.

    Before the intercepts' prior was placed at the respondents' mean ability, every intercept had to
    move with that location and the bulk ESS of θ was 120-340 of 2000 draws.
    """
    data, truth = irt.simulate("2pl", num_respondents=20, num_items=600, seed=1)
    result = irt.fit(data, "2pl", seed=1, check_convergence=False, **NUTS_FAST)
    theta = result.samples["theta"][..., 0]  # (chain, draw, respondent)
    table = result.diagnostics().table
    assert table.loc[table["site"] == "theta", "ess_bulk"].min() >= 300  # of 600 draws
    from irt import arviz_bridge

    location = arviz_bridge.convergence_table({"m": theta.mean(axis=-1)}, var_names=["m"])
    assert location["ess_bulk"].iloc[0] >= 300
    estimate = result.abilities()["estimate"].to_numpy()
    assert np.corrcoef(estimate, truth.theta[:, 0])[0, 1] >= 0.98
