"""Every sampler keyword of gap_score reaches the sampler layer as a field of its options record.

``learning_rate`` reached only the SVI path before (the NUTS warm start always used 0.05), and
``mass_inflation`` could not be set at all.
"""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from gapeval.errors import GapevalError
from gapeval.gap import fit as fit_module
from gapeval.gap import score as gap_module
from gapeval.gap.score import gap_options, gap_score
from gapeval.gap.simulate import simulate_gap_responses
from gapeval.sampling import GAP_NUTS, GAP_NUTS_SMALL, GAP_SMALL_COHORT, GAP_SVI
from irt.inference.options import NUTSOptions, SVIOptions

#: A value other than the default for every sampler keyword, and the record field it must set.
NUTS_KEYWORDS = {"num_warmup": 7, "num_samples": 9, "num_chains": 3, "chain_method": "sequential",
                 "target_accept_prob": 0.77, "max_tree_depth": 6, "warm_start_steps": 11, "learning_rate": 0.123,
                 "mass_inflation": 3.0}
SVI_KEYWORDS = {"num_steps": 13, "learning_rate": 0.3, "num_samples": 9}
SVI_FIELDS = {"num_steps": "num_steps", "learning_rate": "learning_rate", "num_samples": "num_draws"}


class _Stop(Exception):
    pass


@pytest.fixture
def runs(monkeypatch):
    seen = []

    def record(model, *, seed, options, data, layout, converged=None):
        assert set(data) == {"y", "mask"} and layout is not None   # the answers are arguments, kept per layout
        assert (converged is not None) == isinstance(options, NUTSOptions)   # NUTS may stop once converged
        seen.append((seed, options))
        raise _Stop

    monkeypatch.setattr(fit_module, "run_nuts", record)
    monkeypatch.setattr(fit_module, "run_svi", record)
    return seen


@pytest.fixture(scope="module")
def table():
    return simulate_gap_responses(3, 6, seed=0)[0]


def test_every_documented_sampler_keyword_is_checked_here():
    keywords = set(inspect.signature(gap_score).parameters) & (set(NUTS_KEYWORDS) | set(SVI_KEYWORDS))
    sampler = {"num_warmup", "num_samples", "num_chains", "chain_method", "target_accept_prob", "num_steps",
               "learning_rate", "warm_start_steps", "max_tree_depth", "mass_inflation"}
    assert keywords == sampler
    assert "stop_when_converged" in inspect.signature(gap_score).parameters   # checked below
    assert all(getattr(GAP_NUTS, k) != v for k, v in NUTS_KEYWORDS.items())
    assert all(getattr(GAP_SVI, SVI_FIELDS[k]) != v for k, v in SVI_KEYWORDS.items())


def test_every_nuts_keyword_reaches_the_sampler(runs, table):
    with pytest.raises(_Stop):
        gap_score(table, seed=5, **NUTS_KEYWORDS)
    seed, options = runs[0]
    assert seed == 5 and isinstance(options, NUTSOptions)
    for name, value in NUTS_KEYWORDS.items():
        assert getattr(options, name) == value, name


def test_stop_when_converged_false_draws_num_samples(runs, table):
    for stop in (True, False):
        with pytest.raises(_Stop):
            gap_score(table, stop_when_converged=stop)
    assert [options.min_samples for _, options in runs] == [GAP_NUTS_SMALL.min_samples, None]
    assert GAP_NUTS.min_samples == GAP_NUTS_SMALL.min_samples == 400 and GAP_NUTS.block_size == 200


def test_every_svi_keyword_reaches_the_sampler(runs, table):
    with pytest.raises(_Stop):
        gap_score(table, inference="svi", seed=5, **SVI_KEYWORDS)
    seed, options = runs[0]
    assert seed == 5 and isinstance(options, SVIOptions)
    for name, value in SVI_KEYWORDS.items():
        assert getattr(options, SVI_FIELDS[name]) == value, name


def test_defaults_are_the_records_of_gapeval_sampling(runs, table):
    cohort = simulate_gap_responses(GAP_SMALL_COHORT, 40, seed=0)[0]
    for frame in (cohort, table):
        with pytest.raises(_Stop):
            gap_score(frame)
    with pytest.raises(_Stop):
        gap_score(table, inference="svi")
    # fewer than GAP_SMALL_COHORT models: the small cohorts' chains, draws and target, unless given
    assert [options for _, options in runs] == [GAP_NUTS, GAP_NUTS_SMALL, GAP_SVI]
    assert gap_options("nuts") == GAP_NUTS and gap_options("svi") == GAP_SVI
    with pytest.raises(_Stop):
        gap_score(table, target_accept_prob=0.8, num_chains=2)
    assert runs[-1][1] == dataclasses.replace(GAP_NUTS_SMALL, target_accept_prob=0.8, num_chains=2)


def test_a_bad_setting_is_a_gapeval_error_naming_it(table):
    with pytest.raises(GapevalError, match=r"mass_inflation=0 must be a positive number"):
        gap_score(table, mass_inflation=0)
    with pytest.raises(GapevalError, match=r"chain_method='pmap' is not one of"):
        gap_score(table, inference="svi", chain_method="pmap")   # checked whichever path runs


def test_small_cohorts_take_their_own_warm_up_unless_given(runs, table, monkeypatch):
    # GAP_NUTS_SMALL's warm-up applies under GAP_SMALL_COHORT models even when GAP_NUTS's differs
    monkeypatch.setattr(gap_module, "GAP_NUTS", dataclasses.replace(GAP_NUTS, num_warmup=123))
    cohort = simulate_gap_responses(GAP_SMALL_COHORT, 40, seed=0)[0]
    for frame, kwargs in ((cohort, {}), (table, {}), (table, {"num_warmup": 77})):
        with pytest.raises(_Stop):
            gap_score(frame, **kwargs)
    assert [options.num_warmup for _, options in runs] == [123, GAP_NUTS_SMALL.num_warmup, 77]
