"""Every sampler setting of decay (0/1 scores) and irt_decay reaches the sampler layer."""

from __future__ import annotations

import pytest

import irt.inference.runners as runners
from gapeval.decay import api as decay_api
from gapeval.decay import CONTAINMENT_T, decay, irt_decay, irt_decay_fit, simulate_confounded, simulate_decay
from gapeval.sampling import BINOMIAL_METHOD, GLMM_NUTS, IRT_DECAY_NUTS, IRT_DECAY_SVI
from irt.inference.options import NUTSOptions, SVIOptions

IRT_DECAY_NUTS_KEYWORDS = {"num_warmup": 7, "num_samples": 9, "num_chains": 3, "chain_method": "sequential",
                           "target_accept_prob": 0.77}
IRT_DECAY_SVI_KEYWORDS = {"num_steps": 13, "learning_rate": 0.3, "num_samples": 9}
SVI_FIELDS = {"num_steps": "num_steps", "learning_rate": "learning_rate", "num_samples": "num_draws"}


class _Stop(Exception):
    pass


def _recorder(seen):
    def record(model, *, seed, options):
        seen.append((seed, options))
        raise _Stop

    return record


@pytest.fixture(scope="module")
def binary():
    return simulate_decay(num_models=3, num_sessions=3, num_turns=3, family="binomial", seed=0)[0]


def test_decay_passes_its_nuts_record_and_seed(monkeypatch, binary):
    seen = []
    monkeypatch.setattr(runners, "run_nuts", _recorder(seen))
    custom = NUTSOptions(num_warmup=7, num_samples=9, num_chains=3, chain_method="sequential",
                         target_accept_prob=0.77, max_tree_depth=6, warm_start_steps=11, learning_rate=0.1,
                         mass_inflation=3.0, progress_bar=True)
    for options in (custom, GLMM_NUTS):
        with pytest.raises(_Stop):
            decay(binary, binomial_method="nuts", nuts_options=options, seed=5)
    assert seen == [(5, custom), (5, GLMM_NUTS)]
    with pytest.raises(_Stop):
        decay(binary, binomial_method="nuts")
    assert seen[-1] == (0, GLMM_NUTS)


def test_decay_default_for_binary_scores_is_laplace_and_never_samples(monkeypatch, binary):
    seen = []
    monkeypatch.setattr(runners, "run_nuts", _recorder(seen))
    result = decay(binary, seed=5)
    assert BINOMIAL_METHOD == "laplace" and seen == []
    intercept = result.fixed_effects[0]  # contained in (1 + turn | model): t on the models less one
    assert result.estimator.startswith("Laplace") and intercept.test().name == CONTAINMENT_T
    assert intercept.test().df == result.n_models - 1 and intercept.test("Wald z").df is None


def test_decay_vb_is_chosen_by_binomial_method(monkeypatch, binary):
    chosen = []
    monkeypatch.setattr(decay_api, "fit_binomial", lambda data, **kwargs: chosen.append(kwargs) or "vb")
    assert decay(binary, binomial_method="vb", seed=3) == "vb" and chosen[0]["seed"] == 3


def test_decay_refuses_options_that_are_not_a_record(binary):
    with pytest.raises(ValueError, match="nuts_options must be an irt.NUTSOptions record, got dict"):
        decay(binary, nuts_options={"num_warmup": 10})


@pytest.fixture(scope="module")
def confounded():
    return simulate_confounded(num_models=3, num_sessions=2, num_turns=3, seed=0)[0]


def test_every_irt_decay_keyword_reaches_the_sampler(monkeypatch, confounded):
    seen = []
    monkeypatch.setattr(irt_decay_fit, "run_nuts", _recorder(seen))
    monkeypatch.setattr(irt_decay_fit, "run_svi", _recorder(seen))
    with pytest.raises(_Stop):
        irt_decay(confounded, seed=5, **IRT_DECAY_NUTS_KEYWORDS)
    with pytest.raises(_Stop):
        irt_decay(confounded, inference="svi", seed=5, **IRT_DECAY_SVI_KEYWORDS)
    (seed_nuts, nuts), (seed_svi, svi) = seen
    assert seed_nuts == seed_svi == 5 and isinstance(nuts, NUTSOptions) and isinstance(svi, SVIOptions)
    for name, value in IRT_DECAY_NUTS_KEYWORDS.items():
        assert getattr(nuts, name) == value != getattr(IRT_DECAY_NUTS, name), name
    for name, value in IRT_DECAY_SVI_KEYWORDS.items():
        assert getattr(svi, SVI_FIELDS[name]) == value != getattr(IRT_DECAY_SVI, SVI_FIELDS[name]), name


def test_one_convergence_warning_class():
    import irt
    from gapeval import decay as decay_package

    assert decay_package.ConvergenceWarning is irt.ConvergenceWarning
