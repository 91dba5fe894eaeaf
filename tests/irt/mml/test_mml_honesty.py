"""Marginal ML on uninformative data says so: boundary estimates and singular information warn by item."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import irt
from irt.mml.honesty import information_inverse


def _tiny(model: str) -> dict[str, irt.ResponseData]:
    """Noise: 8x3 and 15x4 random answers with one all-low and one all-high respondent (seeded)."""
    rng = np.random.default_rng(1)
    top = 2 if model == "graded" else 1
    out = {}
    for n, k in [(8, 3), (15, 4)]:
        m = rng.integers(0, top + 1, size=(n, k)).astype(float)
        m[0, :], m[1, :] = 0, top
        out[f"{n}x{k}"] = irt.ResponseData.from_wide(m)
    return out


def _fit_recording(data, model):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = irt.fit(data, model, method="mml")
    return fit, [w for w in caught if issubclass(w.category, irt.ConvergenceWarning)]


def test_information_inverse_is_the_inverse_when_informative_and_nan_where_singular():
    h = np.array([[4.0, 1.0], [1.0, 3.0]])
    cov, lost = information_inverse(h)
    np.testing.assert_allclose(cov, np.linalg.inv(h), rtol=1e-12)
    assert not lost.any()
    cov, lost = information_inverse(np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]))
    assert lost.tolist() == [False, True, True]
    assert cov[0, 0] == pytest.approx(0.5) and np.isnan(cov[1:, :]).all() and np.isnan(cov[:, 1:]).all()
    cov, lost = information_inverse(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    assert lost.all() and np.isnan(cov).all()


def test_a_slope_at_zero_with_a_runaway_difficulty_warns_naming_the_item():
    fit, caught = _fit_recording(_tiny("2pl")["15x4"], "2pl")
    items = fit.items().set_index(["item", "param"])
    assert items.loc[(0, "a"), "estimate"] < 1e-6 and abs(items.loc[(0, "b"), "estimate"]) > 1e6
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "0: a = " in text and "at the boundary 0" in text and "b = -d/a is not identified" in text
    assert "Try more respondents per item" in text and "method='nuts'" in text
    assert list(fit.info["questionable"]) == ["0"]


def test_a_runaway_slope_warns_and_its_standard_errors_are_nan_not_1e9():
    fit, caught = _fit_recording(_tiny("2pl")["8x3"], "2pl")
    items = fit.items().set_index(["item", "param"])
    assert items.loc[(0, "a"), "estimate"] > 15 and np.isnan(items.loc[(0, "a"), "sd"])
    assert len(caught) == 1 and "runs off to infinity" in str(caught[0].message)
    assert np.isnan(fit.covariance().loc[(0, "a"), (0, "a")])
    with pytest.raises(irt.EstimationError, match=r"M2 has 6 margins for 6 parameters \(df = 0\)"):
        fit.m2()


@pytest.mark.parametrize("model", ["3pl", "graded"])
def test_3pl_and_graded_on_tiny_data_warn_instead_of_raising_linalgerror(model):
    for data in _tiny(model).values():
        fit, caught = _fit_recording(data, model)
        assert len(caught) >= 1 and "are at a boundary or not identified" in str(caught[-1].message)
        assert fit.info["questionable"]
        assert np.isfinite(fit.loglik)


def test_a_well_identified_fit_gives_no_boundary_warning(lsat7):
    fit, caught = _fit_recording(lsat7, "2pl")
    assert caught == [] and fit.info["questionable"] == {}
    assert fit.items()["sd"].notna().all()
