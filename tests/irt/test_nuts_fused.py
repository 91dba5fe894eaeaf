"""irt.fit's NUTS on dense binary logistic data samples the fused likelihood's potential: the same potential and gradient."""

from __future__ import annotations

from functools import partial

import jax
import numpy as np
import pytest
from numpyro import handlers
from numpyro.infer.util import initialize_model, unconstrain_fn

import irt
from irt.data import ResponseData
from irt.inference.common import device_args
from irt.inference.nuts import model_for
from irt.inference.options import NUTSOptions
from irt.inference.sites import split_arguments
from irt.problem import resolve_problem


def _problem(model: str, num_dims: int, *, missing: bool):
    rng = np.random.default_rng(num_dims)
    wide = (rng.random((20, 30)) < 0.6).astype(float)
    if missing:
        wide[rng.random(wide.shape) < 0.1] = np.nan   # 90% observed: still the dense form, with a mask
    q = None if num_dims == 1 else np.eye(2, dtype=int)[np.arange(30) % 2]
    return resolve_problem(ResponseData.from_wide(wide), model, q_matrix=q)


def _potentials(problem, where: str):
    """Value and gradient of NUTS's potential, plain and fused, at a point drawn from the prior (unconstrained)
    or at NumPyro's start (uniform on (-2, 2) unconstrained: logits of hundreds, far in the tails)."""
    static, data = split_arguments(problem, device_args(problem))
    plain_model = partial(model_for(problem, NUTSOptions(), dense=False), **static)
    prior = {name: site["value"] for name, site in
             handlers.trace(handlers.seed(plain_model, 3)).get_trace(**data).items()
             if site["type"] == "sample" and not site["is_observed"]}
    z = unconstrain_fn(plain_model, (), data, prior)
    out = {}
    for dense in (False, True):
        model = partial(model_for(problem, NUTSOptions(), dense=dense), **static)
        start = initialize_model(jax.random.PRNGKey(0), model, model_kwargs=data, dynamic_args=True)
        at = start.param_info.z if where == "start" else z
        out[dense] = jax.jit(jax.value_and_grad(lambda z, d, gen=start.potential_fn: gen(**d)(z)))(at, data)
    return out


@pytest.mark.parametrize("model,num_dims,missing,where", [
    ("2pl", 1, False, "start"), ("2pl", 1, True, "prior"), ("rasch", 1, False, "prior"),
    pytest.param("2pl", 2, True, "prior", marks=pytest.mark.slow), pytest.param("2pl", 2, True, "start", marks=pytest.mark.slow)])
def test_nuts_fused_potential_equals_the_plain_one(model, num_dims, missing, where):
    problem = _problem(model, num_dims, missing=missing)
    assert ("mask" in device_args(problem) and device_args(problem)["mask"] is not None) == missing
    (plain, plain_grad), (fused, fused_grad) = (_potentials(problem, where)[k] for k in (False, True))
    assert float(fused) == pytest.approx(float(plain), rel=1e-5)
    for name in plain_grad:
        scale = float(np.max(np.abs(plain_grad[name]))) + 1e-3
        np.testing.assert_allclose(fused_grad[name], plain_grad[name], rtol=1e-4, atol=1e-4 * scale, err_msg=name)


def test_exact_value_far_in_the_tails():
    from irt.inference.dense_logistic import logistic_log_likelihood

    theta = np.array([[60.0], [-60.0], [0.1]], np.float32)
    loadings, d = np.full((3, 1), 2.0, np.float32), np.zeros(3, np.float32)
    y = np.array([[0, 0, 1], [1, 1, 0], [1, 0, 1]], np.int8)   # logits -120 (four), +120 (two), ±0.2 (three)
    exact = float(logistic_log_likelihood(theta, loadings, d, y, exact=True))
    expected = -4 * 120.0 - 2 * np.log1p(np.exp(-0.2)) - np.log1p(np.exp(0.2)) - 2 * np.log1p(np.exp(-120.0))
    assert exact == pytest.approx(expected, rel=1e-6)
    assert float(logistic_log_likelihood(theta, loadings, d, y)) > exact + 100   # the floored (SVI's) value


def test_nuts_samples_the_fused_site_on_dense_data_only():
    def y_site(problem, dense):
        static, data = split_arguments(problem, device_args(problem))
        model = partial(model_for(problem, NUTSOptions(), dense=dense), **static)
        return type(handlers.trace(handlers.seed(model, 0)).get_trace(**data)["y"]["fn"]).__name__

    assert y_site(_problem("2pl", 1, missing=False), True) == "_SummedLogistic"
    assert y_site(_problem("2pl", 1, missing=False), False) != "_SummedLogistic"
    graded = resolve_problem(ResponseData.from_wide(np.random.default_rng(1).integers(0, 3, (20, 30))), "graded")
    assert y_site(graded, True) != "_SummedLogistic"


def test_irt_fit_nuts_with_the_fused_likelihood_recovers_abilities():
    data, truth = irt.simulate("2pl", num_respondents=20, num_items=300, seed=4)
    result = irt.fit(data, "2pl", seed=2, num_warmup=300, num_samples=300, check_convergence=False)
    estimate = result.abilities()["estimate"].to_numpy()
    assert np.corrcoef(estimate, truth.theta[:, 0])[0, 1] >= 0.97
    assert np.sqrt(np.mean((estimate - truth.theta[:, 0]) ** 2)) <= 0.3
    diagnostics = result.diagnostics()
    assert diagnostics.num_divergences == 0
    assert diagnostics.table.loc[diagnostics.table["site"] == "theta", "r_hat"].max() <= 1.02
