"""irt.fit: options, errors, tables, InferenceData, diagnostics, scoring of new respondents, compare."""

from __future__ import annotations

import sys
import subprocess

import numpy as np
import pandas as pd
import pytest

import irt
from irt.results import ABILITY_COLUMNS, ITEM_COLUMNS

SMALL = {"num_warmup": 200, "num_samples": 200}


@pytest.fixture(scope="module")
def small_data():
    return irt.simulate("2pl", num_respondents=150, num_items=12, seed=4)


@pytest.fixture(scope="module")
def small_fit(small_data):
    data, _ = small_data
    return irt.fit(data, "2pl", seed=3, check_convergence=False, **SMALL)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "4pl"}, r"unknown model '4pl'; choose one of \['rasch', '1pl', '2pl', '3pl', 'graded'\]"),
        ({"method": "gibbs"}, r"unknown method 'gibbs'; choose one of"),
        ({"num_stepz": 3}, r"unknown option\(s\) \['num_stepz'\] for method 'nuts'; valid options are"),
        ({"method": "svi", "num_warmup": 3}, r"unknown option\(s\) \['num_warmup'\] for method 'svi'"),
        ({"q_matrix": np.ones((5, 2))}, r"the Q-matrix has shape \(5, 2\) but the data have 12 items"),
        ({"q_matrix": np.c_[np.ones(12), np.zeros(12)]}, r"dimension\(s\) \['F2'\] have no items in the Q-matrix"),
        ({"q_matrix": np.c_[np.ones(11).tolist() + [0], np.zeros(12)]}, r"items \['i11'\] load on no dimension"),
        ({"q_matrix": np.full((12, 2), 2)}, r"the Q-matrix must hold only 0 and 1"),
        ({"model": "3pl", "q_matrix": np.c_[np.ones(12), np.r_[np.zeros(6), np.ones(6)]]},
         r"model '3pl' has no multidimensional form"),
        ({"num_chains": 0}, r"num_chains=0 must be a positive integer"),
    ],
)
def test_fit_rejects_bad_requests(small_data, kwargs, match):
    data, _ = small_data
    with pytest.raises(ValueError, match=match):
        irt.fit(data, **kwargs)


def test_fit_rejects_graded_data_for_binary_model():
    data = irt.ResponseData.from_wide(np.array([[0, 2], [1, 0], [2, 1]]))
    with pytest.raises(ValueError, match=r"model '2pl' needs 0/1 responses .* use model='graded'"):
        irt.fit(data, "2pl")
    with pytest.raises(ValueError, match="must be an irt.ResponseData"):
        irt.fit(np.zeros((3, 3)), "2pl")


def test_tables_have_the_documented_layout(small_fit, small_data):
    _, truth = small_data
    abilities, items = small_fit.abilities(level=0.9), small_fit.items()
    assert tuple(abilities.columns) == ABILITY_COLUMNS and tuple(items.columns) == ITEM_COLUMNS
    assert abilities.attrs["level"] == 0.9 and abilities.attrs["interval"] == "credible interval"
    assert len(abilities) == 150 and (abilities["lower"] < abilities["estimate"]).all()
    assert list(items["param"][:3]) == ["a", "d", "b"]
    # b is summarised from its own draws: b = -d/a draw by draw.
    draws_b = -small_fit.samples["d"] / small_fit.samples["a"]
    np.testing.assert_allclose(items.query("param == 'b'")["estimate"], draws_b.mean(axis=(0, 1)), rtol=1e-5)
    assert np.corrcoef(abilities["estimate"], truth.theta[:, 0])[0, 1] > 0.7


def test_same_seed_same_result(small_data, small_fit):
    data, _ = small_data
    again = irt.fit(data, "2pl", seed=3, check_convergence=False, **SMALL)
    pd.testing.assert_frame_equal(again.items(), small_fit.items())


def test_inference_data_is_labelled(small_fit):
    idata = small_fit.idata
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data", "constant_data"} <= set(idata.groups())
    theta = idata.posterior["theta"]
    assert theta.dims == ("chain", "draw", "respondent", "dimension")
    assert theta.coords["respondent"].values[0] == "r000"
    assert idata.posterior["a"].dims == ("chain", "draw", "item")
    assert idata.log_likelihood["y"].shape == (2, 200, small_fit.data.num_responses)
    np.testing.assert_allclose(small_fit.loglik, idata.log_likelihood["y"].sum("response").mean().item(), rtol=1e-5)


def test_convergence_warning_names_the_problem_and_advice(small_data):
    data, _ = small_data
    with pytest.warns(irt.ConvergenceWarning, match=r"NUTS convergence checks failed: .*ESS.*Try: run longer"):
        irt.fit(data, "2pl", seed=0, num_warmup=20, num_samples=20)


def test_score_new_agrees_with_in_sample_abilities(small_fit):
    wide = small_fit.data.to_wide().iloc[:5]
    scored = small_fit.score_new(wide)
    fitted = small_fit.abilities().iloc[:5]
    assert tuple(scored.columns) == ABILITY_COLUMNS
    np.testing.assert_allclose(scored["estimate"], fitted["estimate"], atol=0.1)
    np.testing.assert_allclose(scored["sd"], fitted["sd"], rtol=0.2)
    # Fewer answers, wider interval.
    partial = small_fit.score_new(wide.iloc[:, :4])
    assert (partial["sd"].to_numpy() > scored["sd"].to_numpy()).all()


def test_score_new_rejects_unknown_items_and_categories(small_fit):
    with pytest.raises(ValueError, match=r"columns \['zz'\] are not items of this fit"):
        small_fit.score_new(pd.DataFrame({"zz": [1]}))
    with pytest.raises(ValueError, match=r"response 3 of respondent 0 to item 'i00' is not a category of that item \(0..1\)"):
        small_fit.score_new(pd.DataFrame({"i00": [3]}))


def test_compare_prefers_the_generating_model(small_data, small_fit):
    data, _ = small_data
    rasch = irt.fit(data, "rasch", seed=3, check_convergence=False, **SMALL)
    table = irt.compare({"2pl": small_fit, "rasch": rasch})
    assert {"elpd_loo", "elpd_diff", "dse"} <= set(table.columns)
    assert table.index[0] in {"2pl", "rasch"} and table.loc["2pl", "elpd_loo"] > -10 * data.num_responses
    with pytest.raises(ValueError, match="at least two fits"):
        irt.compare([small_fit])


def test_svi_minibatched_recovers_abilities():
    data, truth = irt.simulate("2pl", num_respondents=500, num_items=200, seed=8)
    result = irt.fit(data, "2pl", method="svi", seed=0, num_steps=3000, batch_size=20_000, learning_rate=0.02)
    theta = result.abilities()["estimate"].to_numpy()
    assert np.corrcoef(theta, truth.theta[:, 0])[0, 1] >= 0.95
    assert result.abilities().attrs["interval"] == "approximate credible interval"
    diagnostics = result.diagnostics()
    assert diagnostics.approximate and diagnostics.ok and diagnostics.table.empty


def test_importing_irt_imports_neither_gapeval_nor_torch():
    code = "import sys, irt; print(sorted(m for m in ('gapeval', 'torch', 'transformers', 'diffusers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_repeated_nuts_fits_release_their_compiled_programs(memory_map_count):
    """Each MCMC run used to leave ~1,100 memory maps; a process stopped after ~58 fits (vm.max_map_count)."""
    from irt.inference import compiled

    counts, programs = [], []
    for seed in range(3):
        data, _ = irt.simulate("2pl", num_respondents=40, num_items=8, seed=seed)
        with pytest.warns(irt.ConvergenceWarning):       # 30 draws: the checks fail, as they should
            irt.fit(data, model="2pl", method="nuts", num_warmup=30, num_samples=30, seed=seed)
        counts.append(memory_map_count())
        programs.append(compiled.statistics()["compiled"])
    assert counts[2] - counts[0] < 100, counts
    assert programs[0] == programs[1] == programs[2]   # one layout: compiled once (irt.inference.sites)
