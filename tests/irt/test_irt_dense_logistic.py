"""The fused, tiled dense logistic likelihood of full-batch SVI: value and gradient against the plain formula."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro import handlers
from numpyro.infer.util import log_density

from irt import models
from irt.data import ResponseData
from irt.inference import dense_logistic
from irt.inference.common import reparameterised
from irt.inference.dense_logistic import (
    fused_likelihood, logistic_log_likelihood, logistic_log_likelihood_for_gradient,
)
from irt.problem import resolve_problem

NUM_RESPONDENTS, NUM_ITEMS = 23, 17  # blocks of 4 rows below: 5 full blocks and a rest of 3


def _plain(theta, loadings, d, y, mask):
    x = theta @ loadings.T + d
    log_p = y * jax.nn.log_sigmoid(x) + (1 - y) * jax.nn.log_sigmoid(-x)
    return jnp.sum(log_p if mask is None else jnp.where(mask, log_p, 0.0))


def _case(num_dims: int, masked: bool):
    rng = np.random.default_rng(num_dims + 10 * masked)
    theta = jnp.asarray(rng.standard_normal((NUM_RESPONDENTS, num_dims)), jnp.float32)
    loadings = jnp.asarray(np.exp(0.3 * rng.standard_normal((NUM_ITEMS, num_dims))), jnp.float32)
    d = jnp.asarray(2 * rng.standard_normal(NUM_ITEMS), jnp.float32)
    y = jnp.asarray(rng.random((NUM_RESPONDENTS, NUM_ITEMS)) < 0.6, jnp.int32)
    mask = jnp.asarray(rng.random((NUM_RESPONDENTS, NUM_ITEMS)) < 0.7) if masked else None
    return theta, loadings, d, y, mask


@pytest.mark.parametrize("num_dims", [1, 2])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("likelihood", [logistic_log_likelihood, logistic_log_likelihood_for_gradient])
def test_value_and_gradient_equal_the_plain_formula(monkeypatch, num_dims, masked, likelihood):
    monkeypatch.setattr(dense_logistic, "BLOCK_BYTES", 4 * 4 * NUM_ITEMS)  # 4 respondents a block
    theta, loadings, d, y, mask = _case(num_dims, masked)
    fused_value, fused_grad = jax.value_and_grad(likelihood, argnums=(0, 1, 2))(theta, loadings, d, y, mask)
    plain_value, plain_grad = jax.value_and_grad(_plain, argnums=(0, 1, 2))(theta, loadings, d, y, mask)
    assert float(fused_value) == pytest.approx(float(plain_value), rel=1e-6)
    assert float(likelihood(theta, loadings, d, y, mask)) == pytest.approx(float(plain_value), rel=1e-6)
    alone = jax.jit(jax.grad(likelihood, argnums=(0, 1, 2)))(theta, loadings, d, y, mask)
    for fused, plain, grad_alone in zip(fused_grad, plain_grad, alone):
        assert fused.shape == plain.shape
        np.testing.assert_allclose(fused, plain, rtol=2e-5, atol=2e-6)
        np.testing.assert_allclose(grad_alone, plain, rtol=2e-5, atol=2e-6)
    if masked:  # unobserved cells contribute nothing, whatever their y
        flipped = jnp.where(mask, y, 1 - y)
        assert float(likelihood(theta, loadings, d, flipped, mask)) == pytest.approx(float(fused_value), rel=1e-6)
        np.testing.assert_allclose(jax.grad(likelihood)(theta, loadings, d, flipped, mask), alone[0], rtol=1e-6)


def _dense_kwargs(problem, masked: bool):
    rng = np.random.default_rng(3)
    y = (rng.random((NUM_RESPONDENTS, NUM_ITEMS)) < 0.6).astype(np.int32)
    mask = rng.random(y.shape) < 0.8 if masked else None
    return dict(problem.static_kwargs, respondent=np.arange(NUM_RESPONDENTS)[:, None],
                item=np.arange(NUM_ITEMS)[None, :], y=y, mask=mask)


def _problem(model: str, num_dims: int):
    rng = np.random.default_rng(0)
    data = ResponseData.from_wide((rng.random((NUM_RESPONDENTS, NUM_ITEMS)) < 0.5).astype(int))
    q = None if num_dims == 1 else np.eye(2, dtype=int)[np.arange(NUM_ITEMS) % 2]
    return resolve_problem(data, model, q_matrix=q)


@pytest.mark.parametrize("model,num_dims,masked", [("rasch", 1, False), ("1pl", 1, True), ("2pl", 1, False),
                                                   ("2pl", 1, True),
                                                   pytest.param("2pl", 2, True, marks=pytest.mark.slow)])
def test_fused_model_has_the_models_log_density_and_gradient(model, num_dims, masked):
    problem = _problem(model, num_dims)
    assert problem.model_fn in dense_logistic.FUSED_MODELS
    plain_model = reparameterised(problem, centered=0.0)
    kwargs = _dense_kwargs(problem, masked)
    params = {name: site["value"] for name, site in
              handlers.trace(handlers.seed(plain_model, 1)).get_trace(**kwargs).items()
              if site["type"] == "sample" and not site["is_observed"]}

    def density(m, p):
        return log_density(m, (), kwargs, p)[0]

    plain, plain_grad = jax.jit(jax.value_and_grad(lambda p: density(plain_model, p)))(params)
    for for_gradient in (False, True):
        fused_model = fused_likelihood(plain_model, for_gradient=for_gradient)
        fused, fused_grad = jax.jit(jax.value_and_grad(lambda p: density(fused_model, p)))(params)
        assert float(fused) == pytest.approx(float(plain), rel=1e-5)
        for name in params:
            np.testing.assert_allclose(fused_grad[name], plain_grad[name], rtol=1e-4, atol=1e-4, err_msg=name)


def test_long_form_and_simulation_are_left_alone():
    kwargs = dict(num_respondents=3, num_items=2)
    long = dict(kwargs, respondent=np.array([0, 1, 2, 0]), item=np.array([0, 1, 1, 1]), y=np.array([1, 0, 1, 1]))
    trace = handlers.trace(handlers.seed(fused_likelihood(models.twopl), 0)).get_trace(**long)
    assert type(trace["y"]["fn"]).__name__ != "_SummedLogistic"
    simulated = handlers.trace(handlers.seed(fused_likelihood(models.twopl), 0)).get_trace(
        respondent=np.arange(3)[:, None], item=np.arange(2)[None, :], **kwargs)
    assert simulated["y"]["value"].shape == (3, 2)


def test_far_logits_keep_a_finite_value_and_the_exact_gradient():
    theta = jnp.array([[60.0], [-60.0]], jnp.float32)
    loadings, d = jnp.full((3, 1), 2.0, jnp.float32), jnp.zeros(3, jnp.float32)
    y = jnp.array([[0, 0, 1], [1, 1, 0]], jnp.int8)  # four responses at logit -120, two at +120
    value, grads = jax.value_and_grad(logistic_log_likelihood, argnums=(0, 1, 2))(theta, loadings, d, y)
    assert np.isfinite(float(value)) and float(value) == pytest.approx(4 * np.log(np.finfo(np.float32).tiny), rel=1e-5)
    plain = jax.grad(_plain, argnums=(0, 1, 2))(theta, loadings, d, y.astype(jnp.int32), None)
    alone = jax.grad(logistic_log_likelihood_for_gradient, argnums=(0, 1, 2))(theta, loadings, d, y)
    for fused, exact, grad_alone in zip(grads, plain, alone):
        np.testing.assert_allclose(fused, exact, rtol=1e-6)
        np.testing.assert_allclose(grad_alone, exact, rtol=1e-6)


def test_irt_fit_svi_fuses_dense_binary_logistic_data_only():
    from irt.inference.svi import fit_model

    problem = _problem("2pl", 1)
    model, args = fit_model(problem, batch_size=None)
    trace = handlers.trace(handlers.seed(model, 0)).get_trace(**args)
    assert type(trace["y"]["fn"]).__name__ == "_SummedLogistic" and args["y"].dtype == np.int8
    assert trace["y"]["fn"]._likelihood is logistic_log_likelihood_for_gradient   # SVI's steps take the gradient alone
    _, long_args = fit_model(problem, batch_size=50)  # minibatches: the long form, left to the model's own site
    assert np.ndim(long_args["respondent"]) == 1 and long_args["y"].dtype != np.int8
    graded = resolve_problem(ResponseData.from_wide(np.random.default_rng(1).integers(0, 3, (NUM_RESPONDENTS, NUM_ITEMS))),
                             "graded")
    assert not dense_logistic.uses_fused_likelihood(graded.model_fn, dense=True)
    assert fit_model(graded, batch_size=None)[1]["y"].dtype != np.int8
    assert dense_logistic.uses_fused_likelihood(_problem("2pl", 2).model_fn, dense=True)


def test_the_gradient_only_form_has_no_exact_variant():
    with pytest.raises(ValueError, match="for_gradient=True has no exact form"):
        fused_likelihood(models.twopl, for_gradient=True, exact=True)
