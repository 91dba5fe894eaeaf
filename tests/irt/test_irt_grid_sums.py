"""The grid posterior's sums over items in float32 JAX: the θ correction's result unchanged beyond float32 noise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_expit

from irt import grid_scoring

NUM_DRAWS, NUM_RESPONDENTS, NUM_ITEMS = 4, 60, 3000


def _float64_sums(loadings, d, axis):
    """The sums as the float64 NumPy code computed them before (every item on dimension 0)."""
    eta = axis[None, :, None] * loadings[:, None, :, 0] + d[:, None, :]
    return log_expit(-eta).sum(axis=2)[:, None, :]


def _case():
    rng = np.random.default_rng(5)
    theta = rng.standard_normal(NUM_RESPONDENTS)
    a = np.exp(0.3 * rng.standard_normal(NUM_ITEMS))[None] * np.exp(0.02 * rng.standard_normal((NUM_DRAWS, NUM_ITEMS)))
    d = rng.standard_normal(NUM_ITEMS)[None] + 0.05 * rng.standard_normal((NUM_DRAWS, NUM_ITEMS))
    responses = (rng.random((NUM_RESPONDENTS, NUM_ITEMS)) < 1 / (1 + np.exp(-(theta[:, None] * a[0] + d[0])))) * 1.0
    return responses, a, d


def test_sums_equal_the_float64_sums_to_float32_precision():
    _, a, d = _case()
    axis = np.linspace(-6, 6, 161)
    fast = grid_scoring._log_wrong_sums(a[:, :, None], d, axis)
    exact = _float64_sums(a[:, :, None], d, axis)
    assert fast.shape == exact.shape == (NUM_DRAWS, 1, 161)
    np.testing.assert_allclose(fast, exact, rtol=1e-6)


def test_draws_and_log_posteriors_unchanged(monkeypatch):
    responses, a, d = _case()
    cov = np.ones((NUM_DRAWS, 1, 1))
    kwargs = dict(a=a, d=d, g=None, prior_cov=cov)
    fast_post = [p for *_, p in grid_scoring._log_posteriors("2pl", responses, **kwargs)]
    fast = grid_scoring.grid_theta_draws("2pl", responses, **kwargs, seed=3)
    monkeypatch.setattr(grid_scoring, "_log_wrong_sums", _float64_sums)
    exact_post = [p for *_, p in grid_scoring._log_posteriors("2pl", responses, **kwargs)]
    exact = grid_scoring.grid_theta_draws("2pl", responses, **kwargs, seed=3)
    for f, e in zip(fast_post, exact_post):
        where = e > -30  # where the posterior has mass
        assert np.abs(f - e)[where].max() < 2e-3
    # the same seed gives the same draws up to the float32 noise of the log densities
    assert np.abs(fast - exact).max() < 2e-3
    assert np.median(np.abs(fast - exact)) < 1e-4


def test_incomplete_data_keep_the_float64_path(monkeypatch):
    responses, a, d = _case()
    responses[0, :10] = np.nan

    def refuse(*args):
        raise AssertionError("the float32 sums are for complete data only")
    monkeypatch.setattr(grid_scoring, "_log_wrong_sums", refuse)
    draws = grid_scoring.grid_theta_draws("2pl", responses, a=a, d=d, g=None, prior_cov=np.ones((NUM_DRAWS, 1, 1)),
                                          seed=0)
    assert draws.shape == (NUM_DRAWS, NUM_RESPONDENTS, 1) and np.isfinite(draws).all()
