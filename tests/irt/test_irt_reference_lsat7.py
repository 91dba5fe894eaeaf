"""Bayesian 2PL on LSAT section 7 against the marginal-ML reference (tests/reference_data/README.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import irt

# mirt's marginal ML estimates (reference README).
REFERENCE_A = np.array([0.9875, 1.0808, 1.7075, 0.7650, 0.7357])
REFERENCE_D = np.array([1.8559, 0.8080, 1.8052, 0.4860, 1.8545])


@pytest.fixture(scope="module")
def lsat7_fit(reference_dir):
    table = pd.read_csv(reference_dir / "lsat7.csv")
    data = irt.ResponseData.from_patterns(table.drop(columns="freq"), table["freq"])
    return irt.fit(data, "2pl", seed=0, num_warmup=1000, num_samples=1000, num_chains=4, target_accept_prob=0.9,
                   check_convergence=False)


def test_lsat7_data_match_published_marginals(reference_dir):
    table = pd.read_csv(reference_dir / "lsat7.csv")
    data = irt.ResponseData.from_patterns(table.drop(columns="freq"), table["freq"])
    wide = data.to_wide()
    np.testing.assert_allclose(wide.mean().to_numpy(), [0.828, 0.658, 0.772, 0.606, 0.843], atol=1e-3)
    counts = np.bincount(wide.sum(axis=1).astype(int), minlength=6)
    np.testing.assert_array_equal(counts, [12, 40, 114, 205, 321, 308])


@pytest.mark.parametrize(("param", "reference"), [("a", REFERENCE_A), ("d", REFERENCE_D)])
def test_lsat7_posterior_means_within_one_sd_of_mml(lsat7_fit, param, reference):
    rows = lsat7_fit.items().query("param == @param")
    distance = np.abs(rows["estimate"].to_numpy() - reference)
    assert (distance <= rows["sd"].to_numpy()).all(), rows.assign(reference=reference, distance=distance)


def test_lsat7_converges(lsat7_fit):
    diagnostics = lsat7_fit.diagnostics()
    assert diagnostics.max_rhat <= 1.01
    assert diagnostics.num_divergences <= 4


def test_lsat7_marginal_map_mode_is_near_the_mml_estimates(reference_dir):
    table = pd.read_csv(reference_dir / "lsat7.csv")
    data = irt.ResponseData.from_patterns(table.drop(columns="freq"), table["freq"])
    result = irt.fit(data, "2pl", method="map", seed=0, num_draws=200)
    items = result.items()
    # The mode moves off the ML estimate only by the (weak) hierarchical prior.
    np.testing.assert_allclose(items.query("param == 'a'")["estimate"], REFERENCE_A, atol=0.05)
    np.testing.assert_allclose(items.query("param == 'd'")["estimate"], REFERENCE_D, atol=0.05)
    assert items.attrs["interval"] == "approximate credible interval"
    assert (items["lower"] <= items["estimate"]).all() and (items["estimate"] <= items["upper"]).all()
