"""Impossible requests and malformed input give named errors."""

from __future__ import annotations

import numpy as np
import pytest

import irt
from irt.mml import QuadratureError
from irt.mml.quadrature import default_points, normal_grid


def test_quadrature_grid_integrates_normal_moments():
    z, log_w = normal_grid(2, 15)
    w = np.exp(log_w)
    assert w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w @ z ** 2, [1.0, 1.0], atol=1e-10)
    assert abs(w @ (z[:, 0] * z[:, 1])) < 1e-12
    assert default_points(1) == 61 and default_points(2) == 31 and default_points(3) == 15


def test_more_than_three_dimensions_need_explicit_nodes():
    q = np.kron(np.eye(4, dtype=int), np.ones((3, 1), dtype=int))
    data, _ = irt.simulate("2pl", num_respondents=200, num_items=12, q_matrix=q, seed=0)
    with pytest.raises(QuadratureError, match="no default beyond 3 dimensions. Pass num_quadrature=n"):
        irt.fit(data, "2pl", method="mml", q_matrix=q)
    with pytest.raises(QuadratureError, match="at least 2 nodes"):
        default_points(4, 1)


def test_four_dimensions_fit_when_the_caller_chooses_the_nodes():
    q = np.kron(np.eye(4, dtype=int), np.ones((3, 1), dtype=int))
    data, _ = irt.simulate("2pl", num_respondents=600, num_items=12, q_matrix=q, seed=0)
    fit = irt.fit(data, "2pl", method="mml", q_matrix=q, num_quadrature=5, standard_errors=False)
    assert fit.info["num_quadrature"] == 5 and fit.info["num_nodes"] == 5 ** 4 and fit.info["converged"]
    latent = fit.latent()
    assert latent["param"].tolist()[:3] == ["omega[F1,F2]", "omega[F1,F3]", "omega[F2,F3]"]
    np.testing.assert_allclose(latent["estimate"], 0.5, atol=0.15)


def test_unknown_options_and_misplaced_priors_are_named():
    data, _ = irt.simulate("2pl", num_respondents=100, num_items=5, seed=0)
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['quadpts'\] for method 'mml'"):
        irt.fit(data, "2pl", method="mml", quadpts=21)
    with pytest.raises(ValueError, match="guess_prior applies to the 3pl model only, not '2pl'"):
        irt.fit(data, "2pl", method="mml", guess_prior=(5, 17))
    data3, _ = irt.simulate("3pl", num_respondents=100, num_items=5, seed=0)
    with pytest.raises(ValueError, match=r"guess_prior must be \(alpha, beta\) with both >= 1"):
        irt.fit(data3, "3pl", method="mml", guess_prior=(0.5, 2))


def test_results_without_standard_errors_say_how_to_get_them():
    data, _ = irt.simulate("2pl", num_respondents=200, num_items=5, seed=0)
    fit = irt.fit(data, "2pl", method="mml", standard_errors=False)
    assert fit.items()["sd"].isna().all()
    with pytest.raises(ValueError, match="refit with standard_errors=True"):
        fit.covariance()
