"""irt.fit's site-based NUTS and SVI compile once per layout (irt.inference.sites; issue 20, Build 1).

A loop of fits of one layout (calibration, bootstrap, simulation studies) used to compile every fit and
drop the programs after it (``jax.clear_caches``); now the fit is one program of the responses, kept by
:mod:`irt.inference.compiled`, and later fits of other data sets of that layout compile nothing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import irt
from irt.inference import compiled

NUTS = {"method": "nuts", "num_warmup": 30, "num_samples": 30, "num_chains": 2, "check_convergence": False}
SVI = {"method": "svi", "num_steps": 200, "num_draws": 100}


def _fits(settings: dict, seeds, *, model: str = "2pl", after=None) -> list[dict]:
    """Fit one data set per seed (40 respondents x 8 items, same layout); the compile counts after each."""
    counts = []
    for seed in seeds:
        data, _ = irt.simulate(model, num_respondents=40, num_items=8, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = irt.fit(data, model, seed=seed, **settings)
        assert np.isfinite(result.abilities()["estimate"]).all()
        counts.append({**compiled.statistics(), **({} if after is None else {"maps": after()})})
    return counts


def test_svi_fits_of_one_layout_compile_once_and_the_same_data_give_the_same_draws():
    """(NUTS: tests/irt/test_irt_fit_api.py::test_repeated_nuts_fits_release_their_compiled_programs.)"""
    counts = _fits(SVI, range(3))
    assert counts[1]["compiled"] == counts[2]["compiled"] == counts[0]["compiled"]
    assert counts[2]["reused"] - counts[0]["reused"] == 2
    data, _ = irt.simulate("2pl", num_respondents=40, num_items=8, seed=0)
    one, two = (irt.fit(data, "2pl", seed=5, **SVI).abilities()["estimate"] for _ in range(2))
    np.testing.assert_array_equal(one, two)
    assert compiled.statistics()["compiled"] == counts[2]["compiled"]


@pytest.mark.slow
def test_another_model_compiles_its_own_program():
    first = _fits(SVI, [0])[0]
    second = _fits(SVI, [0], model="1pl")[0]
    assert second["compiled"] == first["compiled"] + 1


@pytest.mark.slow
def test_a_loop_of_30_nuts_fits_compiles_once_and_keeps_its_memory_maps(memory_map_count):
    """30 fits of one layout: the first fit's compilation only, and the memory maps stay flat."""
    counts = _fits(NUTS, range(30), after=memory_map_count)
    assert {c["compiled"] for c in counts} == {counts[0]["compiled"]}
    assert counts[-1]["maps"] - counts[1]["maps"] < 100, [c["maps"] for c in counts]
