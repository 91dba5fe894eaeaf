"""The θ correction's sampler: draws that follow the grid weights, and a result fixed by the seed alone."""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import log_expit

from irt import grid_scoring


def test_categorical_draws_follow_the_weights_and_never_a_column_of_weight_zero():
    weights = np.array([0.1, 0.0, 0.5, 0.4, 1e-12])
    rows = 200_000
    log_weights = np.tile(np.log(np.where(weights > 0, weights, 1e-300)) - 700.0, (rows, 1))  # far from 0: as a grid's
    log_weights[:, 1] = -np.inf
    picks = grid_scoring._categorical(log_weights, np.random.default_rng(0))
    counts = np.bincount(picks, minlength=5)
    assert counts[1] == 0
    expected = weights[[0, 2, 3]] / weights.sum() * rows
    assert stats.chisquare(counts[[0, 2, 3]], expected * counts[[0, 2, 3]].sum() / expected.sum()).pvalue > 1e-3
    assert counts[4] <= 1


def test_categorical_draws_differ_row_by_row():
    log_weights = np.log(np.array([[0.5, 0.5], [1.0, 0.0], [0.0, 1.0]]).repeat(20_000, axis=0) + 1e-300)
    picks = grid_scoring._categorical(log_weights, np.random.default_rng(1)).reshape(3, -1)
    assert abs(picks[0].mean() - 0.5) < 0.02
    assert (picks[1] == 0).all() and (picks[2] == 1).all()


def _case(num_draws=40, num_respondents=30, num_items=200, seed=2):
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(num_respondents)
    a = np.exp(0.3 * rng.standard_normal(num_items))[None] * np.exp(0.02 * rng.standard_normal((num_draws, num_items)))
    d = rng.standard_normal(num_items)[None] + 0.05 * rng.standard_normal((num_draws, num_items))
    responses = (rng.random((num_respondents, num_items)) < 1 / (1 + np.exp(-(theta[:, None] * a[0] + d[0])))) * 1.0
    return responses, dict(a=a, d=d, g=None, prior_cov=np.ones((num_draws, 1, 1)))


def test_draws_depend_on_the_seed_and_not_on_the_threads():
    responses, kwargs = _case()
    one = grid_scoring.grid_theta_draws("2pl", responses, **kwargs, seed=7, workers=1)
    two = grid_scoring.grid_theta_draws("2pl", responses, **kwargs, seed=7, workers=2)
    other = grid_scoring.grid_theta_draws("2pl", responses, **kwargs, seed=8, workers=2)
    np.testing.assert_array_equal(one, two)
    assert one.shape == (40, 30, 1) and not np.allclose(one, other)


def test_draws_follow_each_grid_posterior():
    # every parameter draw the same: the draws of each respondent follow its grid posterior's mean and sd
    responses, kwargs = _case(num_draws=1, num_items=40)
    num_draws = 4000
    kwargs = {k: np.repeat(v, num_draws, axis=0) if v is not None else None for k, v in kwargs.items()}
    draws = grid_scoring.grid_theta_draws("2pl", responses, **kwargs, seed=3)[:, :, 0]
    exact = grid_scoring.grid_scores("2pl", responses, **{k: v[:1] if v is not None else None for k, v in kwargs.items()},
                                     level=0.95)
    z = (draws.mean(axis=0) - exact["estimate"][:, 0]) / (exact["sd"][:, 0] / np.sqrt(num_draws))
    assert np.abs(z).max() < 4.5
    assert np.allclose(draws.std(axis=0) / exact["sd"][:, 0], 1.0, atol=0.06)


def test_wrong_sums_in_blocks_of_draws_equal_the_float64_sums(monkeypatch):
    _, kwargs = _case(num_draws=7, num_items=50)
    axis = np.linspace(-6, 6, 161)
    eta = axis[None, :, None] * kwargs["a"][:, None, :] + kwargs["d"][:, None, :]
    exact = log_expit(-eta).sum(axis=2)[:, None, :]
    whole = grid_scoring._log_wrong_sums(kwargs["a"][:, :, None], kwargs["d"], axis)
    monkeypatch.setattr(grid_scoring, "_WRONG_SUMS_DRAWS", 3)  # 7 draws: blocks of 3, the last one padded
    blocked = grid_scoring._log_wrong_sums(kwargs["a"][:, :, None], kwargs["d"], axis)
    assert whole.shape == blocked.shape == (7, 1, 161)
    np.testing.assert_allclose(whole, exact, rtol=1e-6)
    np.testing.assert_allclose(blocked, exact, rtol=1e-6)


def test_threads_stay_within_the_cores_the_cap_and_the_memory_budget(monkeypatch):
    monkeypatch.setattr(grid_scoring, "cores", lambda: 64)
    assert grid_scoring._default_workers(log_post_bytes=8 * 1000 * 161) == grid_scoring._MAX_WORKERS
    big = 8 * 200_000 * 161  # 200,000 respondents: 258 MB a log posterior
    assert grid_scoring._default_workers(log_post_bytes=big) == 1
    monkeypatch.setattr(grid_scoring, "cores", lambda: 1)
    assert grid_scoring._default_workers(log_post_bytes=8 * 1000 * 161) == 1
