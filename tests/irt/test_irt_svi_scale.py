"""SVI's common scale: the redraw from its exact conditional posterior and the checks that survive it."""

from __future__ import annotations

import numpy as np
import pytest

import irt
from irt.inference.svi import _redraw_scale, scale_check
from irt.models import MU_LOG_A_SD
from irt.problem import resolve_problem

NUM_DRAWS, NUM_RESPONDENTS, NUM_ITEMS, SIGMA = 4000, 50, 200, 0.3


def _one_state_repeated(*, free_mean: bool) -> dict:
    """One draw of (θ, log a, σ_log a[, μ_log a]) repeated NUM_DRAWS times, off in scale (θ 0.8x, slopes 1.25x)."""
    rng = np.random.default_rng(7)
    theta = 0.8 * rng.standard_normal((NUM_RESPONDENTS, 1))
    log_a = np.log(1.25) + SIGMA * rng.standard_normal(NUM_ITEMS)
    mu = log_a.mean() if free_mean else 0.0
    draws = {"theta": theta, "log_a": log_a, "a": np.exp(log_a), "sigma_log_a": np.array(SIGMA),
             "log_a_decentered": (log_a - mu) / SIGMA}
    if free_mean:
        draws["mu_log_a"] = np.array(mu)
    return {k: np.broadcast_to(v, (1, NUM_DRAWS, *np.shape(v))).copy() for k, v in draws.items()}


def _exact_moments(samples: dict, *, free_mean: bool) -> tuple[float, float]:
    """Mean and sd of u = log c under its conditional density, by quadrature on a fine grid."""
    theta, log_a = samples["theta"][0, 0, :, 0], samples["log_a"][0, 0]
    u = np.linspace(-1.5, 1.5, 60001)
    anchor = -(samples["mu_log_a"][0, 0] - u) ** 2 / (2 * MU_LOG_A_SD**2) if free_mean \
        else -((log_a[:, None] - u) ** 2).sum(axis=0) / (2 * SIGMA**2)
    log_density = NUM_RESPONDENTS * u - np.exp(2 * u) * (theta**2).sum() / 2 + anchor
    weight = np.exp(log_density - log_density.max())
    weight /= weight.sum()
    mean = weight @ u
    return mean, np.sqrt(weight @ (u - mean) ** 2)


@pytest.mark.parametrize("free_mean", [False, True], ids=["mean-fixed", "mean-free"])
def test_scale_is_redrawn_from_its_exact_conditional_and_the_likelihood_is_unchanged(free_mean):
    samples = _one_state_repeated(free_mean=free_mean)
    out = _redraw_scale(samples, np.random.default_rng(3))
    u = samples["log_a"][0, :, 0] - out["log_a"][0, :, 0]
    mean, sd = _exact_moments(samples, free_mean=free_mean)
    # with the mean fixed the 200 log-slopes pin u near their mean log(1.25) = 0.22 (sd 0.02); with it
    # free, θ's prior and mu_log_a's do (sd 0.08)
    assert abs(u.mean() - mean) < 4 * sd / np.sqrt(NUM_DRAWS) + 0.002
    assert abs(u.std() / sd - 1) < 0.06
    np.testing.assert_allclose(out["a"][0] * out["theta"][0, :, :1, 0], samples["a"][0] * samples["theta"][0, :, :1, 0],
                               rtol=1e-6)  # a_i θ_m: the likelihood does not move
    np.testing.assert_allclose(out["log_a"][0] - samples["log_a"][0], -u[:, None] * np.ones(NUM_ITEMS), atol=1e-9)
    mu = out["mu_log_a"][0][:, None] if free_mean else 0.0
    np.testing.assert_allclose(out["log_a_decentered"][0], (out["log_a"][0] - mu) / SIGMA, atol=1e-9)
    np.testing.assert_array_equal(out["sigma_log_a"], samples["sigma_log_a"])


def _problem():
    data, _ = irt.simulate("2pl", num_respondents=500, num_items=NUM_ITEMS, seed=1)
    problem = resolve_problem(data, "2pl")
    assert problem.q_matrix.shape[0] == NUM_ITEMS
    return problem


def _spread_draws(sigma: np.ndarray) -> dict:
    """Draws with a free mean log-slope at 0 (so only the spread identity applies), one per σ."""
    rng = np.random.default_rng(11)
    log_a = SIGMA * rng.standard_normal((1, sigma.size, NUM_ITEMS))
    theta = rng.standard_normal((1, sigma.size, 500, 1))
    return {"theta": theta, "log_a": log_a, "sigma_log_a": sigma[None], "mu_log_a": np.zeros((1, sigma.size))}


def test_spread_check_measures_how_far_sigma_is_from_the_slopes_spread():
    # σ_log a given the log-slopes: its conditional in t = log σ is exp(-I t - Σℓ²e^{-2t}/2 - e^{2t}/2 + t);
    # draws from it balance the identity (statistic about 0), and σ scaled by f is log f away
    log_a = _spread_draws(np.ones(1))["log_a"][0, 0]
    t = np.linspace(np.log(0.15), np.log(0.6), 20001)
    log_density = -NUM_ITEMS * t - (log_a**2).sum() * np.exp(-2 * t) / 2 - np.exp(2 * t) / 2 + t
    weight = np.exp(log_density - log_density.max())
    sigma = np.exp(np.random.default_rng(5).choice(t, size=2000, p=weight / weight.sum()))
    draws = _spread_draws(sigma)
    draws["log_a"] = np.broadcast_to(log_a, draws["log_a"].shape)
    problem = _problem()
    good = scale_check(problem, draws)
    assert good["scale_check"] == "passed" and good["scale_check_spread"] < 0.01
    assert np.isnan(good["scale_check_z"])  # a free mean log-slope: the scale identity does not apply
    near = scale_check(problem, {**draws, "sigma_log_a": 1.2 * draws["sigma_log_a"]})
    assert near["scale_check"] == "passed" and abs(near["scale_check_spread"] - np.log(1.2)) < 0.01
    expected = r"scale check \(sigma_log_a a factor 1.50 from its slopes' spread"
    with pytest.warns(irt.ApproximationWarning, match=expected) as caught:
        bad = scale_check(problem, {**draws, "sigma_log_a": 1.5 * draws["sigma_log_a"]})
    assert bad["scale_check"] == "failed" and abs(bad["scale_check_spread"] - np.log(1.5)) < 0.01
    assert "nan" not in str(caught[0].message)   # the scale score is not computed here: not shown as NaN
