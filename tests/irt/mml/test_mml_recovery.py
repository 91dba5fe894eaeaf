"""Parameter recovery: data simulated from each model at 2000 respondents x 30 items."""

from __future__ import annotations

import numpy as np
import pytest

import irt

NUM_RESPONDENTS, NUM_ITEMS = 2000, 30


def _rmse(estimate, truth) -> float:
    return float(np.sqrt(np.mean((np.asarray(estimate) - np.asarray(truth)) ** 2)))


def _estimates(fit, name: str) -> np.ndarray:
    items = fit.items()
    return items.loc[items["param"] == name, "estimate"].to_numpy()


@pytest.mark.parametrize("model, a_tol, d_tol", [("rasch", None, 0.1), ("1pl", 0.05, 0.1), ("2pl", 0.12, 0.12)])
def test_binary_models_recover_slopes_and_intercepts(model, a_tol, d_tol):
    data, truth = irt.simulate(model, num_respondents=NUM_RESPONDENTS, num_items=NUM_ITEMS, seed=11)
    fit = irt.fit(data, model, method="mml", standard_errors=False)
    assert fit.info["converged"]
    assert _rmse(_estimates(fit, "d"), truth.d) < d_tol
    if a_tol is not None:
        assert _rmse(_estimates(fit, "a"), truth.a) < a_tol
    else:
        assert fit.latent()["estimate"].iloc[0] == pytest.approx(1.0, abs=0.1)


def test_3pl_recovers_with_a_beta_prior_on_the_asymptotes():
    data, truth = irt.simulate("3pl", num_respondents=NUM_RESPONDENTS, num_items=NUM_ITEMS, seed=11)
    fit = irt.fit(data, "3pl", method="mml", guess_prior=(5, 17), standard_errors=False)
    assert _rmse(_estimates(fit, "a"), truth.a) < 0.25
    assert _rmse(_estimates(fit, "d"), truth.d) < 0.3
    assert _rmse(_estimates(fit, "g"), truth.g) < 0.08
    # the item response curves themselves are recovered closely
    theta = np.linspace(-2.5, 2.5, 51)[:, None]
    a, d, g = (_estimates(fit, k) for k in "adg")
    curve = g + (1 - g) / (1 + np.exp(-(a * theta + d)))
    true_curve = truth.g + (1 - truth.g) / (1 + np.exp(-(truth.a * theta + truth.d)))
    assert np.abs(curve - true_curve).mean() < 0.02


def test_graded_model_recovers_slopes_and_thresholds():
    data, truth = irt.simulate("graded", num_respondents=NUM_RESPONDENTS, num_items=NUM_ITEMS, seed=11)
    fit = irt.fit(data, "graded", method="mml", standard_errors=False)
    assert _rmse(_estimates(fit, "a"), truth.a) < 0.1
    items = fit.items()
    got = np.stack([items.loc[items["param"] == f"d{k}", "estimate"].to_numpy() for k in (1, 2, 3)], axis=1)
    assert _rmse(got, truth.d) < 0.12


def test_two_dimensional_2pl_recovers_loadings_and_correlation():
    q = np.zeros((NUM_ITEMS, 2), dtype=int)
    q[: NUM_ITEMS // 2, 0] = 1
    q[NUM_ITEMS // 2:, 1] = 1
    data, truth = irt.simulate("2pl", num_respondents=NUM_RESPONDENTS, num_items=NUM_ITEMS, q_matrix=q,
                               correlation=0.5, seed=5)
    fit = irt.fit(data, "2pl", method="mml", q_matrix=q, num_quadrature=21, standard_errors=False)
    items = fit.items()
    slopes = items[items["param"].str.startswith("a[")]["estimate"].to_numpy()
    assert _rmse(slopes, truth.a[q == 1]) < 0.12
    assert _rmse(_estimates(fit, "d"), truth.d) < 0.12
    assert fit.latent()["estimate"].iloc[0] == pytest.approx(0.5, abs=0.06)
