"""NUTS on the flat vector that stops once a convergence check passes (``NUTSOptions.min_samples``).

The chains are continued block by block: a run that stopped after k blocks keeps exactly the first
k blocks of a run that went on, and the stopping is the same for the same seed.
"""

from __future__ import annotations

import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

from irt.inference.options import NUTSOptions
from irt.inference.runners import run_nuts
from irt.inference.ticks import tick_each, watching

OPTIONS = NUTSOptions(num_warmup=30, num_samples=50, num_chains=2, chain_method="sequential", warm_start_steps=20,
                      min_samples=20, block_size=10)


def _model(y):
    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    numpyro.sample("y", dist.Normal(mu, sigma), obs=y)


#: The runs share their compiled programs (a layout per options record).
LAYOUT = ("tests/irt/test_nuts_stopping.py", "_model")
DATA = {"y": np.random.default_rng(0).normal(1.0, 2.0, size=40).astype(np.float32)}


def _after(draws: int):
    """A check that fails until ``draws`` per chain, recording the draws it was shown."""
    shown = []

    def converged(samples, sample_stats):
        shown.append(samples["mu"].shape[1])
        assert sample_stats["n_steps"].shape == samples["mu"].shape
        return [] if samples["mu"].shape[1] >= draws else [f"fewer than {draws} draws"]

    return converged, shown


@pytest.mark.parametrize("chain_method", ["sequential", pytest.param("vectorized", marks=pytest.mark.slow)])
def test_a_stopped_run_keeps_the_first_blocks_of_one_that_went_on(chain_method):
    options = NUTSOptions(**{**OPTIONS.__dict__, "chain_method": chain_method})
    never, asked_never = _after(10 ** 6)
    stop, asked_stop = _after(30)
    full = run_nuts(_model, seed=3, options=options, data=DATA, layout=LAYOUT, converged=never)
    short = run_nuts(_model, seed=3, options=options, data=DATA, layout=LAYOUT, converged=stop)
    # checks after each block from 20 draws on, not at the maximum (the fit's own diagnostics come after)
    assert asked_never == [20, 30, 40] and asked_stop == [20, 30]
    assert (full.info["num_samples"], full.info["stopped"]) == (50, "maximum")
    assert (short.info["num_samples"], short.info["stopped"]) == (30, "converged")
    assert short.info["checks"] == [(20, ["fewer than 30 draws"]), (30, [])]
    assert full.samples["mu"].shape == (2, 50) and short.samples["mu"].shape == (2, 30)
    for site in ("mu", "sigma"):
        np.testing.assert_array_equal(short.samples[site], full.samples[site][:, :30])
    for stat in ("n_steps", "diverging"):
        np.testing.assert_array_equal(short.sample_stats[stat], full.sample_stats[stat][:, :30])
    assert np.unique(full.samples["mu"]).size > 50   # the chains move
    again = run_nuts(_model, seed=3, options=options, data=DATA, layout=LAYOUT, converged=_after(30)[0])
    np.testing.assert_array_equal(again.samples["mu"], short.samples["mu"])   # deterministic for a seed


def test_a_maximum_off_the_blocks_keeps_num_samples_and_without_a_check_nothing_stops():
    options = NUTSOptions(**{**OPTIONS.__dict__, "num_samples": 45})
    run = run_nuts(_model, seed=1, options=options, data=DATA, layout=LAYOUT, converged=_after(10 ** 6)[0])
    assert run.samples["mu"].shape == (2, 45) and run.info["num_samples"] == 45
    fixed = run_nuts(_model, seed=1, options=options, data=DATA, layout=LAYOUT)
    assert fixed.samples["mu"].shape == (2, 45) and (fixed.info["num_samples"], fixed.info["stopped"]) == (45, "fixed")
    assert "checks" not in fixed.info


@pytest.mark.slow   # ~30 s on a loaded 2-core box: a watched fit compiles its programs for itself
def test_the_watcher_hears_every_iteration_run_and_no_more():
    heard = []
    with watching(lambda done, total: heard.append((done, total))):
        run = run_nuts(_model, seed=3, options=OPTIONS, data=DATA, converged=_after(30)[0])
        first = heard[-1]
        tick_each(0)   # one more iteration heard: the total it comes with is the total after the fit
    assert run.info["num_samples"] == 30
    # warm start, then 2 chains x (30 warm-up + 30 draws); 2 x 50 draws announced, the 2 x 20 not run left the total
    assert first == (20 + 2 * 60, 20 + 2 * 80) and heard[-1] == (20 + 2 * 60 + 1, 20 + 2 * 60)


def test_a_chain_started_without_its_potential_gets_it_in_its_first_block():
    """The program that only starts the chains traces no gradient; the block evaluates it at the start."""
    import jax

    from irt.inference.flat import flat_potential
    from irt.inference.runners import _at_position, _nuts_kernel

    flat = flat_potential(_model, DATA)
    start = _nuts_kernel(flat.potential, OPTIONS)[0]
    init = np.array([0.3, -0.2], dtype=np.float32)
    key, inverse_mass = jax.random.PRNGKey(4), np.array([0.5, 2.0], dtype=np.float32)
    bare = start(key, init, inverse_mass, DATA, potential=False)
    assert float(bare.potential_energy) == 0.0 and not np.asarray(bare.z_grad).any()
    full = start(key, init, inverse_mass, DATA)
    after = _at_position(flat.potential, bare, DATA)
    np.testing.assert_allclose(after.potential_energy, full.potential_energy, rtol=1e-6)
    np.testing.assert_allclose(after.z_grad, full.z_grad, rtol=1e-6)
    # the potential of Normal(mu, sigma) data at mu = 0.3, log sigma = -0.2, by hand (priors included)
    mu, log_sigma = 0.3, -0.2
    sigma, y = np.exp(log_sigma), DATA["y"].astype(np.float64)
    by_hand = (0.5 * mu ** 2 + 0.5 * sigma ** 2 - log_sigma + np.sum(np.log(sigma) + 0.5 * ((y - mu) / sigma) ** 2)
               + 0.5 * (len(y) + 1) * np.log(2 * np.pi) - np.log(np.sqrt(2 / np.pi)))
    assert float(after.potential_energy) == pytest.approx(by_hand, rel=1e-5)
    for field in ("z", "i", "rng_key"):
        np.testing.assert_array_equal(getattr(after, field), getattr(full, field))
    np.testing.assert_array_equal(after.adapt_state.inverse_mass_matrix, full.adapt_state.inverse_mass_matrix)
