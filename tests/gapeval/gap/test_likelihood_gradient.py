"""The hand-written gradient of the Gap Score's 0/1 likelihood (``gapeval.gap.likelihood.binary_marginal``)."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gapeval.gap.likelihood import binary_marginal, marginal_loglik, quadrature_loglik
from gapeval.gap.prepare import prepare_gap_data
from gapeval.gap.simulate import simulate_gap_responses


@pytest.fixture(scope="module")
def layout():
    """4 models x 30 pairs and 5 unpaired items, a few answers missing; random parameters (float32)."""
    df, _ = simulate_gap_responses(4, 30, seed=3)
    data = prepare_gap_data(df, model="model", item="item", direction="direction", score="score", pair="pair",
                            chance="chance", judge="judge", scale="paired", points=1, threshold=None)
    rng = np.random.default_rng(0)
    mask = np.asarray(data.mask).copy()
    mask[rng.random(mask.shape) < 0.1] = False
    a = np.exp(rng.normal(0.0, 0.4, (2, data.num_units))).astype(np.float32)
    logits = rng.normal(0.0, 1.5, (2, data.num_models, data.num_units)).astype(np.float32)
    logits[0, 0, :3] = [-200.0, 200.0, -25.0]     # beyond the clip either way, and near it
    return data, mask, a, logits


def _loglik(gradient, data, mask):
    def value(a, logits, sigma_gamma):
        return quadrature_loglik(a, logits, sigma_gamma, y=data.y, mask=mask, points=1, num_pairs=data.num_pairs,
                                 num_nodes=3, gradient=gradient)

    return value


@pytest.mark.parametrize("sigma_gamma", [0.0, 0.7, 2.5])
def test_hand_gradient_equals_autodiff(layout, sigma_gamma):
    """Value and gradient (slopes, logits, sigma_gamma) as JAX's derivative of the same sum gives them."""
    data, mask, a, logits = layout
    args = (jnp.asarray(a), jnp.asarray(logits), jnp.float32(sigma_gamma))
    hand = jax.jit(jax.value_and_grad(_loglik("hand", data, mask), argnums=(0, 1, 2)))(*args)
    auto = jax.jit(jax.value_and_grad(_loglik("autodiff", data, mask), argnums=(0, 1, 2)))(*args)
    assert float(hand[0]) == pytest.approx(float(auto[0]), rel=1e-6)
    for mine, reference in zip(hand[1], auto[1]):
        scale = float(jnp.max(jnp.abs(reference)))
        np.testing.assert_allclose(np.asarray(mine), np.asarray(reference), atol=2e-5 * max(scale, 1.0), rtol=1e-4)
    # the masked cells carry no gradient, nor do logits beyond the clip
    by_logits = np.asarray(hand[1][1])
    assert np.all(by_logits[~np.moveaxis(mask, -1, 0)] == 0.0)
    assert abs(by_logits[0, 0, 0]) < 1e-12 and abs(by_logits[0, 0, 1]) < 1e-12 and by_logits[0, 0, 2] != 0.0


def test_hand_value_equals_float64_reference(layout):
    """Summed over the cells, the value is the float64 marginal (3 nodes) of the same parameters."""
    data, mask, _, _ = layout
    data, num_items = dataclasses.replace(data, mask=mask), len(data.item_unit)
    rng = np.random.default_rng(1)
    theta = rng.normal(0.0, 1.0, (1, data.num_models, 2))
    a, b = np.exp(rng.normal(0.0, 0.4, (1, num_items))), rng.normal(0.0, 1.5, (1, num_items))
    a_grid, b_grid = np.ones((2, data.num_units)), np.zeros((2, data.num_units))
    a_grid[data.item_slot, data.item_unit], b_grid[data.item_slot, data.item_unit] = a[0], b[0]
    logits = theta[0].T[:, :, None] - b_grid[:, None, :]
    value = _loglik("hand", data, mask)(jnp.asarray(a_grid, jnp.float32), jnp.asarray(logits, jnp.float32),
                                        jnp.float32(0.7))
    expected = marginal_loglik(data, theta=theta, a=a, b=b, sigma_gamma=np.array([0.7]), num_nodes=3).sum()
    assert float(value) == pytest.approx(expected, rel=2e-6)


def test_binary_marginal_is_exact_for_one_cell():
    """One (model, unit) cell by hand: log sum_q w_q sigmoid(e0 + n_q s0) sigmoid(e1 + n_q s1), and its derivatives."""
    nodes, weights = (-1.0, 0.0, 1.0), (0.25, 0.5, 0.25)
    eta, step = jnp.array([[[0.3]], [[-1.2]]]), jnp.array([[[0.8]], [[0.5]]])

    def direct(e, s):
        p = jax.nn.sigmoid(e[:, 0, 0, None] + jnp.array(nodes) * s[:, 0, 0, None])
        return jnp.log(jnp.sum(jnp.array(weights) * p[0] * p[1]))

    assert float(binary_marginal(eta, step, nodes, weights)) == pytest.approx(float(direct(eta, step)), rel=1e-6)
    for mine, reference in zip(jax.grad(binary_marginal, argnums=(0, 1))(eta, step, nodes, weights),
                               jax.grad(direct, argnums=(0, 1))(eta, step)):
        np.testing.assert_allclose(np.asarray(mine), np.asarray(reference), rtol=1e-5)
    # an unanswered cell (eta = +inf) contributes 0 and passes no gradient
    both = jnp.concatenate([eta, jnp.full((2, 1, 1), jnp.inf)], axis=2)
    steps = jnp.concatenate([step, jnp.zeros((2, 1, 1))], axis=2)
    assert float(binary_marginal(both, steps, nodes, weights)) == pytest.approx(float(direct(eta, step)), rel=1e-6)
    grads = jax.grad(binary_marginal, argnums=(0, 1))(both, steps, nodes, weights)
    assert all(float(g[0, 0, 1]) == 0.0 and float(g[1, 0, 1]) == 0.0 for g in grads)


def test_unknown_gradient_is_refused(layout):
    data, mask, a, logits = layout
    with pytest.raises(ValueError, match="gradient='numeric' is not one of"):
        _loglik("numeric", data, mask)(a, logits, 0.5)
