"""NUTS at the classical shape warns before it samples, with its cost and the faster methods (issue 20, Build 2)."""

from __future__ import annotations

import warnings

import pytest

import irt
from irt.inference import nuts
from irt.inference.options import NUTSOptions
from irt.problem import resolve_problem


class _Stop(Exception):
    pass


@pytest.fixture
def no_sampling(monkeypatch):
    """Stop irt.fit where NUTS would start sampling."""
    def stop(*args, **kwargs):
        raise _Stop

    monkeypatch.setattr(nuts, "sample_nuts", stop)


def test_5000_by_100_warns_with_the_estimate_and_points_to_mml_and_svi(no_sampling):
    data, _ = irt.simulate("2pl", num_respondents=5000, num_items=100, seed=0)
    expected = nuts.estimated_cpu_seconds(resolve_problem(data, "2pl", None, None), NUTSOptions()) / 60
    with pytest.warns(irt.SlowFitWarning) as caught, pytest.raises(_Stop):
        irt.fit(data, "2pl", method="nuts")
    message = str(caught[0].message)
    assert "5,000 respondents x 100 items (500,000 responses, 1 dimension(s))" in message
    assert f"about {expected:,.0f} minutes of CPU (2 chains x 1,500 iterations)" in message
    assert "method='mml'" in message and "method='svi'" in message
    assert caught[0].filename == __file__   # stacklevel: the user's call
    assert 10 < expected < 60


def test_the_estimate_grows_with_dimensions_and_iterations():
    data, _ = irt.simulate("2pl", num_respondents=5000, num_items=100, seed=0)
    one = resolve_problem(data, "2pl", None, None)
    q = [[1, 0]] * 50 + [[0, 1]] * 50
    two = resolve_problem(data, "2pl", q, None)
    base = nuts.estimated_cpu_seconds(one, NUTSOptions())
    assert nuts.estimated_cpu_seconds(two, NUTSOptions()) == pytest.approx(4 * base)
    assert nuts.estimated_cpu_seconds(one, NUTSOptions(num_samples=250)) == pytest.approx(base / 2)


def test_the_ai_shape_and_the_classical_1000_by_20_do_not_warn(no_sampling):
    for respondents, items in ((20, 600), (1000, 20)):
        data, _ = irt.simulate("2pl", num_respondents=respondents, num_items=items, seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", irt.SlowFitWarning)
            with pytest.raises(_Stop):
                irt.fit(data, "2pl", method="nuts")
