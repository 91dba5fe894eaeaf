"""A watcher of a fit hears its iterations and never changes the draws."""

from __future__ import annotations

import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

from irt.inference.options import NUTSOptions, SVIOptions
from irt.inference.runners import run_nuts, run_svi
from irt.inference.ticks import watching


def _model():
    numpyro.sample("x", dist.Normal(1.0, 0.5).expand([3]))


@pytest.mark.parametrize("chains", [1, 2])
def test_nuts_reports_warm_start_and_every_iteration_of_every_chain(chains):
    options = NUTSOptions(num_warmup=30, num_samples=20, num_chains=chains, warm_start_steps=100)
    alone = run_nuts(_model, seed=0, options=options)
    heard = []
    with watching(lambda done, total: heard.append((done, total))):
        watched = run_nuts(_model, seed=0, options=options)
    np.testing.assert_array_equal(alone.samples["x"], watched.samples["x"])
    per_chain = 1 if watched.info["chain_method"] == "vectorized" else chains  # vectorized chains step together
    whole = 100 + 50 * per_chain  # the warm start's steps, then NUTS's iterations
    assert heard[-1] == (whole, whole) and {total for _, total in heard} == {whole}  # the total known from the start
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)


def test_svi_reports_its_steps_in_hundredths_and_keeps_its_draws():
    options = SVIOptions(num_steps=500, num_draws=20)
    alone = run_svi(_model, seed=1, options=options)
    heard = []
    with watching(lambda done, total: heard.append((done, total))):
        watched = run_svi(_model, seed=1, options=options)
    # the same noise and steps; the compiler arranges a step's arithmetic differently around the watcher's
    # callback when the noise is drawn in blocks (irt.inference.flat.fit_mean_field): float32 rounding apart
    np.testing.assert_allclose(alone.samples["x"], watched.samples["x"], rtol=1e-5, atol=1e-6)
    assert heard == [(5 * k, 500) for k in range(1, 101)]


def test_nothing_is_heard_outside_the_block():
    heard = []
    with watching(lambda done, total: heard.append(done)):
        pass
    run_svi(_model, seed=0, options=SVIOptions(num_steps=100, num_draws=5))
    assert heard == []
