"""The sampler layer's options records refuse bad values, and every field reaches NumPyro.

Each test sets every field to a value other than its default and records what NumPyro's MCMC, NUTS,
SVI and Adam (or the layer's mean-field fit) were given, so a setting that is dropped on the way
fails here. A test that lists the fields fails when a field is added without being checked.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

import irt
from irt.inference import nuts as site_nuts
from irt.inference import runners, sites, svi as site_svi
from irt.inference.options import NUTSOptions, SVIOptions, resolve_chain_method

#: A value other than the default for every field of NUTSOptions run on the flat vector ...
FLAT_NUTS = dict(num_warmup=7, num_samples=9, num_chains=3, chain_method="sequential", target_accept_prob=0.77,
                 max_tree_depth=6, warm_start_steps=11, learning_rate=0.123, mass_inflation=3.0, min_samples=5,
                 block_size=3)
#: ... and on the sites (irt.fit).
SITE_NUTS = dict(num_warmup=7, num_samples=9, num_chains=3, chain_method="sequential", target_accept_prob=0.77,
                 max_tree_depth=6, dense_mass=True, centered=1.0, progress_bar=True)
FLAT_SVI = dict(num_steps=13, learning_rate=0.3, learning_rate_decay=0.5, num_draws=5, init_scale=0.2)
SITE_SVI = dict(FLAT_SVI, guide="lowrank", batch_size=50, grid_theta=False)


class _Stop(Exception):
    """Raised by the recording MCMC instead of sampling."""


def _fields(record) -> set[str]:
    return {f.name for f in dataclasses.fields(record)}


def test_every_field_is_checked_by_a_test_below():
    assert _fields(NUTSOptions) == set(FLAT_NUTS) | set(SITE_NUTS)   # progress_bar: sites only
    assert _fields(SVIOptions) == set(SITE_SVI)
    for given in (FLAT_NUTS, SITE_NUTS):
        assert all(getattr(NUTSOptions(), k) != v for k, v in given.items())
    assert all(getattr(SVIOptions(), k) != v for k, v in SITE_SVI.items())


@pytest.mark.parametrize(("record", "kwargs", "message"), [
    (NUTSOptions, {"num_warmup": 0}, r"num_warmup=0 must be a positive integer"),
    (NUTSOptions, {"num_samples": 2.5}, r"num_samples=2.5 must be a positive integer"),
    (NUTSOptions, {"num_chains": True}, r"num_chains=True must be a positive integer"),
    (NUTSOptions, {"chain_method": "threads"}, r"chain_method='threads' is not one of \['parallel', 'sequential'"),
    (NUTSOptions, {"target_accept_prob": 1.0}, r"target_accept_prob=1.0 must lie strictly between 0 and 1"),
    (NUTSOptions, {"max_tree_depth": 0}, r"max_tree_depth=0 must be an integer >= 1"),
    (NUTSOptions, {"warm_start_steps": -1}, r"warm_start_steps=-1 must be an integer >= 0"),
    (NUTSOptions, {"min_samples": 0}, r"min_samples=0 must be an integer >= 1"),
    (NUTSOptions, {"block_size": 2.5}, r"block_size=2.5 must be an integer >= 1"),
    (NUTSOptions, {"learning_rate": 0}, r"learning_rate=0 must be a positive number"),
    (NUTSOptions, {"mass_inflation": -2.0}, r"mass_inflation=-2.0 must be a positive number"),
    (NUTSOptions, {"centered": 2}, r"centered=2 must lie in \[0, 1\]"),
    (SVIOptions, {"num_steps": 0}, r"num_steps=0 must be a positive integer"),
    (SVIOptions, {"num_draws": 1}, r"num_draws=1 must be at least 2"),
    (SVIOptions, {"learning_rate_decay": 1.5}, r"learning_rate_decay=1.5 must lie in \(0, 1\]"),
    (SVIOptions, {"init_scale": 0.0}, r"init_scale=0.0 must be a positive number"),
    (SVIOptions, {"guide": "full"}, r"guide='full' is not one of \['normal', 'lowrank'\]"),
    (SVIOptions, {"batch_size": 0}, r"batch_size=0 must be an integer >= 1"),
])
def test_records_refuse_bad_values(record, kwargs, message):
    with pytest.raises(ValueError, match=message):
        record(**kwargs)


def test_records_are_frozen_and_keyword_built():
    options = NUTSOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.num_chains = 4  # type: ignore[misc]
    assert dataclasses.replace(options, num_chains=4).num_chains == 4
    assert options.num_draws == options.num_chains * options.num_samples


def test_svi_schedule_decays_geometrically():
    assert SVIOptions(learning_rate=0.2, learning_rate_decay=1.0).schedule() == 0.2   # 1: constant
    schedule = SVIOptions(num_steps=100, learning_rate=0.2, learning_rate_decay=0.1).schedule()
    assert schedule(0) == pytest.approx(0.2) and schedule(100) == pytest.approx(0.02)


def test_svi_decays_its_step_size_on_every_response_and_keeps_it_constant_with_minibatches():
    from irt.inference.options import FULL_BATCH_DECAY

    data, _ = irt.simulate("2pl", num_respondents=30, num_items=10, seed=0)
    full = irt.fit(data, "2pl", method="svi", seed=0, num_steps=20, num_draws=5)
    batched = irt.fit(data, "2pl", method="svi", seed=0, num_steps=20, num_draws=5, batch_size=100)
    whole = irt.fit(data, "2pl", method="svi", seed=0, num_steps=20, num_draws=5, batch_size=10_000)  # >= responses
    assert SVIOptions().learning_rate_decay is None
    assert full.options.learning_rate_decay == FULL_BATCH_DECAY == whole.options.learning_rate_decay
    assert batched.options.learning_rate_decay == 1.0
    given = irt.fit(data, "2pl", method="svi", seed=0, num_steps=20, num_draws=5, learning_rate_decay=0.5)
    assert given.options.learning_rate_decay == 0.5
    assert SVIOptions(num_steps=10).schedule()(10) == pytest.approx(0.02 * FULL_BATCH_DECAY)


def test_one_rule_picks_the_chain_method(monkeypatch):
    import jax

    assert resolve_chain_method("vectorized", 8) == "vectorized"
    monkeypatch.setattr(jax, "local_device_count", lambda: 2)
    assert resolve_chain_method(None, 2) == "parallel"
    assert resolve_chain_method(None, 3) == "vectorized"
    with pytest.raises(ValueError, match="chain_method='pmap' is not one of"):
        resolve_chain_method("pmap", 2)


@pytest.fixture
def recorded(monkeypatch):
    """Replace NumPyro's MCMC and NUTS (and the warm start's fit) by recorders; MCMC.run stops."""
    calls: dict = {}

    class MCMC:
        def __init__(self, kernel, **kwargs):
            calls["mcmc"] = kwargs

        def run(self, key, **kwargs):
            calls["run"] = kwargs
            raise _Stop

    def nuts(*args, **kwargs):
        calls["nuts"] = kwargs
        return object()

    def mean_field(potential, size, key, *, num_steps, learning_rate, init_scale, noise_steps=1):
        calls["mean_field"] = {"num_steps": num_steps, "learning_rate": learning_rate, "init_scale": init_scale,
                               "noise_steps": noise_steps}
        return jnp.zeros(size), jnp.full(size, 0.5), jnp.zeros(num_steps)

    monkeypatch.setattr(numpyro.infer, "MCMC", MCMC)
    monkeypatch.setattr(numpyro.infer, "NUTS", nuts)
    monkeypatch.setattr(site_nuts, "NUTS", nuts)
    monkeypatch.setattr(runners, "fit_mean_field", mean_field)
    return calls


def _model():
    numpyro.sample("x", dist.Normal(jnp.zeros(4), 1.0))


def _check_mcmc(calls, given):
    for name in ("num_warmup", "num_samples", "num_chains", "chain_method", "progress_bar"):
        assert calls["mcmc"][name] == given[name], name
    for name in ("target_accept_prob", "max_tree_depth"):
        assert calls["nuts"][name] == given[name], name


def test_every_nuts_option_reaches_the_flat_sampler(recorded, monkeypatch):
    kernel, chains = {}, {}
    real_hmc, real_chains = numpyro.infer.hmc.hmc, runners.run_chains

    def hmc(**kwargs):
        init_kernel, sample_kernel = real_hmc(**kwargs)

        def recording_init(init, num_warmup, **given):
            kernel.update(given, num_warmup=num_warmup)
            return init_kernel(init, num_warmup, **given)

        return recording_init, sample_kernel

    def run_chains(name, layout, chain, keys, *args, per_chain, chain_method):
        chains.setdefault("names", []).append(name)
        if name.startswith("nuts_warm_up"):
            chains.update(chain_method=chain_method, init=args[0], variance=args[1])
        return real_chains(name, layout, chain, keys, *args, per_chain=per_chain, chain_method=chain_method)

    monkeypatch.setattr(numpyro.infer.hmc, "hmc", hmc)
    monkeypatch.setattr(runners, "run_chains", run_chains)
    asked = []
    run = runners.run_nuts(_model, seed=0, options=NUTSOptions(**FLAT_NUTS),
                           converged=lambda samples, stats: asked.append(samples["x"].shape) or [])
    assert kernel["num_warmup"] == 7 and kernel["target_accept_prob"] == 0.77 and kernel["max_tree_depth"] == 6
    # blocks of 3 draws, asked from 5 on (after 6), stopped there: 6 of the 9 draws per chain
    # 7 warm-up iterations are not whole blocks of 3: one program starts the chains and warms them up
    assert chains["names"] == ["nuts_warm_up_7", "nuts_block", "nuts_block"] and asked == [(3, 6, 4)]
    assert run.samples["x"].shape == (3, 6, 4) and run.sample_stats["n_steps"].shape == (3, 6)   # chains, draws
    assert (run.info["num_samples"], run.info["stopped"], run.info["checks"]) == (6, "converged", [(6, [])])
    assert chains["chain_method"] == run.info["chain_method"] == "sequential"
    warm = recorded["mean_field"]
    assert warm["num_steps"] == 11 and warm["learning_rate"](0) == pytest.approx(0.123)
    assert warm["init_scale"] == runners.WARM_START_SCALE
    assert warm["noise_steps"] == 1   # NUTS's warm start draws its noise in each step
    np.testing.assert_allclose(chains["variance"], 0.25 * 3.0)   # fitted variance x inflation
    assert chains["init"].shape == (3, 4)                        # one start per chain


def test_every_nuts_option_reaches_the_site_sampler_of_fit(recorded, monkeypatch):
    seen = []
    real = site_nuts.reparameterised

    def reparameterised(problem, *, centered: float):
        seen.append(centered)
        return real(problem, centered=centered)

    monkeypatch.setattr(site_nuts, "reparameterised", reparameterised)
    data, _ = irt.simulate("2pl", num_respondents=20, num_items=5, seed=0)
    with pytest.raises(_Stop):
        irt.fit(data, "2pl", method="nuts", **SITE_NUTS)
    _check_mcmc(recorded, SITE_NUTS)
    assert recorded["nuts"]["dense_mass"] is True and seen == [1.0]


def test_every_nuts_option_reaches_the_compiled_site_sampler_of_fit(monkeypatch):
    """Without a progress bar irt.fit's NUTS is one compiled program (irt.inference.sites); stopped while traced."""
    kernel, given_to = {}, {}
    real_hmc, real_sample = numpyro.infer.hmc.hmc, site_nuts.sample_nuts

    def hmc(**kwargs):
        init_kernel, sample_kernel = real_hmc(**kwargs)

        def recording_init(init, num_warmup, **given):
            kernel.update(given, num_warmup=num_warmup, sites=sorted(init.z))
            raise _Stop

        return recording_init, sample_kernel

    def sample_nuts(model, **kwargs):
        given_to.update(kwargs)
        return real_sample(model, **kwargs)

    monkeypatch.setattr(numpyro.infer.hmc, "hmc", hmc)
    monkeypatch.setattr(site_nuts, "sample_nuts", sample_nuts)
    data, _ = irt.simulate("2pl", num_respondents=20, num_items=5, seed=0)
    options = dict(SITE_NUTS, progress_bar=False)
    with pytest.raises(_Stop):
        irt.fit(data, "2pl", method="nuts", **options)
    assert kernel["num_warmup"] == 7 and kernel["target_accept_prob"] == 0.77 and kernel["max_tree_depth"] == 6
    assert kernel["dense_mass"] == [tuple(kernel["sites"])]   # dense_mass=True: one block of every site
    assert given_to["options"] == NUTSOptions(**options) and given_to["chain_method"] == "sequential"
    assert "log_a" in kernel["sites"] and "log_a_decentered" not in kernel["sites"]   # centered=1.0 reached it


def test_each_path_refuses_the_fields_of_the_other():
    data, _ = irt.simulate("2pl", num_respondents=20, num_items=5, seed=0)
    with pytest.raises(ValueError, match=r"warm_start_steps=5: the warm start and the stopping once converged apply to runs on the flat"):
        irt.fit(data, "2pl", method="nuts", warm_start_steps=5)
    with pytest.raises(ValueError, match=r"min_samples=400: the warm start and the stopping once converged apply"):
        irt.fit(data, "2pl", method="nuts", min_samples=400)
    with pytest.raises(ValueError, match=r"dense_mass=True: these settings apply to irt.fit's site-based NUTS"):
        runners.run_nuts(_model, seed=0, options=NUTSOptions(dense_mass=True))
    with pytest.raises(ValueError, match=r"progress_bar=True: a run on the flat vector .* no progress bar"):
        runners.run_nuts(_model, seed=0, options=NUTSOptions(progress_bar=True))
    with pytest.raises(ValueError, match=r"guide='lowrank': the flat-vector SVI fits a mean-field normal"):
        runners.run_svi(_model, seed=0, options=SVIOptions(guide="lowrank"))


def test_every_svi_option_reaches_the_flat_fit(recorded):
    run = runners.run_svi(_model, seed=0, options=SVIOptions(**FLAT_SVI))
    fit = recorded["mean_field"]
    assert fit["num_steps"] == 13 and fit["init_scale"] == 0.2
    assert fit["noise_steps"] == 13   # the noise of all 13 steps drawn in one call (noise_block)
    assert fit["learning_rate"](0) == pytest.approx(0.3) and fit["learning_rate"](13) == pytest.approx(0.15)
    assert run.samples["x"].shape == (1, 5, 4) and run.info["approximate"]


def test_every_svi_option_reaches_the_site_fit_of_fit(monkeypatch):
    calls: dict = {}
    real_fit, real_guide = sites.fit_svi, site_svi._GUIDES["lowrank"]

    def fit_svi(model, guide_class, *, static, draw_static, data, seed, options, layout):
        calls["batch_size"], calls["draw_batch_size"] = static.get("batch_size"), draw_static.get("batch_size")
        samples, losses = real_fit(model, guide_class, static=static, draw_static=draw_static, data=data, seed=seed,
                                   options=options, layout=layout)
        calls["num_steps"], calls["num_draws"] = len(losses), samples["a"].shape[1]
        return samples, losses

    def adam(step_size, *args, **kwargs):   # what numpyro.optim.Adam wraps, looked up when it is made
        calls["schedule"] = step_size
        return real_adam(step_size, *args, **kwargs)

    def guide(model, *, init_scale, init_loc_fn):
        calls["guide"], calls["init_scale"] = "lowrank", init_scale
        return real_guide(model, init_scale=init_scale, init_loc_fn=init_loc_fn)

    real_adam = numpyro.optim.optimizers.adam
    monkeypatch.setattr(site_svi, "fit_svi", fit_svi)
    monkeypatch.setattr(numpyro.optim.optimizers, "adam", adam)
    monkeypatch.setitem(site_svi._GUIDES, "lowrank", guide)
    data, _ = irt.simulate("2pl", num_respondents=40, num_items=5, seed=0)
    result = irt.fit(data, "2pl", method="svi", **SITE_SVI)
    assert calls["num_steps"] == 13 and calls["batch_size"] == 50 and calls["draw_batch_size"] is None
    assert calls["num_draws"] == 5
    assert calls["schedule"](0) == pytest.approx(0.3) and calls["schedule"](13) == pytest.approx(0.15)
    assert calls["guide"] == "lowrank" and calls["init_scale"] == 0.2
    assert result.samples["theta"].shape[:2] == (1, 5) and result.options == SVIOptions(**SITE_SVI)
    assert result.info["theta_intervals"] == "guide" and result.abilities()["lower"].isna().all()
