"""irt.fit's SVI steps without the loss (sites.gradient_step): the same fit as stable_update, the loss only at the end."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro.infer import SVI, Trace_ELBO
from numpyro.infer.autoguide import AutoNormal
from numpyro.optim import Adam

import irt
from irt.inference import sites
from irt.inference.dense_logistic import logistic_log_likelihood, logistic_log_likelihood_for_gradient
from irt.inference.svi import fit_model


def _fused_svi():
    data, _ = irt.simulate("2pl", num_respondents=30, num_items=12, seed=3)
    problem = irt.problem.resolve_problem(data, "2pl")
    model, args = fit_model(problem, batch_size=None)
    svi = SVI(model, AutoNormal(model), Adam(0.05), Trace_ELBO())
    return svi, svi.init(jax.random.PRNGKey(0), **args), args


def test_gradient_steps_follow_stable_update():
    svi, start, args = _fused_svi()
    arrays = {k: v for k, v in args.items() if hasattr(v, "shape")}
    static = {k: v for k, v in args.items() if k not in arrays}
    stable_update = jax.jit(lambda state, data: svi.stable_update(state, **static, **data))
    gradient_step = jax.jit(lambda state, data: sites.gradient_step(svi, state, {**static, **data}))
    stable, plain = start, start
    for _ in range(25):
        stable, loss = stable_update(stable, arrays)
        plain = gradient_step(plain, arrays)
        assert np.isfinite(float(loss))
    np.testing.assert_array_equal(plain.rng_key, stable.rng_key)
    for name, value in svi.get_params(stable).items():
        moved = np.abs(value - svi.get_params(start)[name]).max()
        assert moved > 1e-3   # 25 steps of 0.05 moved every site
        np.testing.assert_allclose(svi.get_params(plain)[name], value, rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.filterwarnings("ignore:Out-of-support values")   # the infinite observation, on purpose
def test_a_step_with_a_non_finite_gradient_is_skipped():
    def model(y):
        mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
        numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)

    svi = SVI(model, AutoNormal(model), Adam(0.1), Trace_ELBO())
    start = svi.init(jax.random.PRNGKey(0), y=jnp.zeros(3))
    kept = sites.gradient_step(svi, start, {"y": jnp.array([0.0, jnp.inf, 1.0])})
    moved = sites.gradient_step(svi, start, {"y": jnp.array([0.0, 2.0, 1.0])})
    assert int(kept.optim_state[0]) == 0 and int(moved.optim_state[0]) == 1
    assert svi.get_params(kept) == svi.get_params(start)
    assert float(svi.get_params(moved)["mu_auto_loc"]) != float(svi.get_params(start)["mu_auto_loc"])
    assert not np.array_equal(kept.rng_key, start.rng_key)   # the key advances as in stable_update


def test_the_gradient_alone_compiles_without_the_likelihoods_log():
    theta, loadings = jnp.zeros((40, 1)), jnp.ones((300, 1))
    d, y = jnp.zeros(300), jnp.zeros((40, 300), jnp.int8)

    def ops(fn):
        text = jax.jit(fn).lower(theta, loadings, d).compile().as_text()
        return len(re.findall(r"\blog\(", text)), len(re.findall(r"\bexponential\(", text))

    def likelihood(t, a, b):
        return logistic_log_likelihood(t, a, b, y)

    def for_gradient(t, a, b):
        return logistic_log_likelihood_for_gradient(t, a, b, y)

    with_value = ops(jax.value_and_grad(likelihood, argnums=(0, 1, 2)))
    alone = ops(jax.grad(likelihood, argnums=(0, 1, 2)))
    assert with_value[0] >= 1 and alone[0] == 0 and alone[1] >= 1
    assert ops(jax.grad(for_gradient, argnums=(0, 1, 2))) == (0, alone[1])   # the value's pass dropped too


def test_irt_fit_reports_the_mean_loss_of_the_last_steps(monkeypatch):
    seen = {}
    real = sites.fit_svi

    def spy(*args, **kwargs):
        samples, losses = real(*args, **kwargs)
        seen["losses"] = losses
        return samples, losses

    monkeypatch.setattr(irt.inference.svi, "fit_svi", spy)
    data, _ = irt.simulate("2pl", num_respondents=30, num_items=12, seed=3)
    fit = irt.fit(data, "2pl", method="svi", num_steps=150, num_draws=20, seed=0)
    assert seen["losses"].shape == (sites.LOSS_STEPS,) and np.isfinite(seen["losses"]).all()
    assert fit.info["final_loss"] == pytest.approx(float(seen["losses"].mean()))
    assert fit.info["final_loss"] != pytest.approx(float(seen["losses"][:50].mean()), rel=1e-6)  # every one counts
