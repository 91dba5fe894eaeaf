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
from tests.gapeval.gap.potentialkit import assert_potential_equals_autodiff


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
    """One (model, unit) cell by hand: log sum_q w_q sigmoid(z_0q) sigmoid(z_1q), z = sign a (logit + n_q scale),
    and its derivatives by the slopes, the logits and the pair scale."""
    nodes, weights = (-1.0, 0.0, 1.0), (0.25, 0.5, 0.25)
    a, logits, scale = jnp.array([[1.3], [0.6]]), jnp.array([[[0.3]], [[-1.2]]]), jnp.array([0.8])
    sign = jnp.array([[[1.0]], [[-1.0]]])

    def direct(a, logits, scale):
        z = sign[:, 0, 0, None] * a[:, 0, None] * (logits[:, 0, 0, None] + jnp.array(nodes) * scale[0])
        p = jax.nn.sigmoid(z)
        return jnp.log(jnp.sum(jnp.array(weights) * p[0] * p[1]))

    args = (a, logits, scale)
    assert float(binary_marginal(*args, sign, nodes, weights)) == pytest.approx(float(direct(*args)), rel=1e-6)
    for mine, reference in zip(jax.grad(binary_marginal, argnums=(0, 1, 2))(*args, sign, nodes, weights),
                               jax.grad(direct, argnums=(0, 1, 2))(*args)):
        np.testing.assert_allclose(np.asarray(mine), np.asarray(reference), rtol=1e-5)
    # an unanswered cell (sign 0) contributes 0 and passes no gradient
    both = (jnp.concatenate([a, a], axis=1), jnp.concatenate([logits, logits], axis=2), jnp.concatenate([scale, scale]))
    signs = jnp.concatenate([sign, jnp.zeros((2, 1, 1))], axis=2)
    assert float(binary_marginal(*both, signs, nodes, weights)) == pytest.approx(float(direct(*args)), rel=1e-6)
    grads = jax.grad(binary_marginal, argnums=(0, 1, 2))(*both, signs, nodes, weights)
    assert float(jnp.max(jnp.abs(grads[1][:, 0, 1]))) == 0.0 and float(jnp.max(jnp.abs(grads[0][:, 1]))) == 0.0
    assert float(grads[2][1]) == 0.0
    # without pairs: one node
    assert float(binary_marginal(a, logits, 0.0 * scale, sign, (0.0,), (1.0,))) == pytest.approx(
        float(jnp.sum(jax.nn.log_sigmoid(sign[:, 0, 0] * a[:, 0] * logits[:, 0, 0]))), rel=1e-6)


@pytest.mark.parametrize("spread", [2.0, 40.0, 80.0])
def test_factored_odds_agree_with_one_exponential_per_node(layout, spread):
    """The odds of the nodes as exp(-z) times a factor per (slot, unit), against JAX's derivative of a sum with an
    exponential per node: logits beyond the clip, shifts up to 40 and one past SHIFT_BOUND (80, where
    binary_marginal computes one exponential per node instead)."""
    from gapeval.gap.likelihood import SHIFT_BOUND

    data, mask, a, logits = layout
    sign = jnp.where(jnp.asarray(np.moveaxis(mask, -1, 0)), jnp.where(np.moveaxis(data.y, -1, 0) > 0, 1.0, -1.0), 0.0)
    nodes, weights = (-1.7320508, 0.0, 1.7320508), (1 / 6, 2 / 3, 1 / 6)
    scale = jnp.full(data.num_units, spread / float(np.max(a)) / 1.7320508, jnp.float32)   # largest shift: spread
    assert (float(jnp.max(jnp.asarray(a) * scale)) * 1.7320508 <= SHIFT_BOUND) == (spread < SHIFT_BOUND)
    logits, unit = logits.copy(), int(np.argmax(a[0]))     # a cell whose node shift brings z from -(20 + spread) to -20
    logits[0, 1, unit] = -(20.0 + spread) / (float(sign[0, 1, unit]) * a[0, unit])
    assert float(sign[0, 1, unit]) != 0.0
    args = (jnp.asarray(a), jnp.asarray(logits), scale)
    mine = jax.jit(jax.value_and_grad(lambda *x: binary_marginal(*x, sign, nodes, weights), argnums=(0, 1, 2)))(*args)
    reference = jax.value_and_grad(lambda *x: _reference_sum(*x, sign, nodes, weights), argnums=(0, 1, 2))(*args)
    assert np.isfinite(float(mine[0])) and float(mine[0]) == pytest.approx(float(reference[0]), rel=1e-5)
    for by_mine, by_reference in zip(mine[1], reference[1]):
        largest = float(jnp.max(jnp.abs(by_reference)))
        np.testing.assert_allclose(np.asarray(by_mine), np.asarray(by_reference), atol=2e-5 * max(largest, 1.0),
                                   rtol=1e-4)


def _reference_sum(a, logits, scale, sign, nodes, weights):
    """The same sum by JAX's derivative, one log-sigmoid-free exponential per node (the form before)."""
    total = 0.0
    for node, weight in zip(nodes, weights):
        z = sign * a[:, None, :] * (logits + node * scale)
        prob = jnp.where(sign != 0, jax.nn.sigmoid(jnp.clip(z, -30.0, 30.0)), 1.0)
        total = total + weight * prob[0] * prob[1]
    return jnp.sum(jnp.log(total))


def test_unknown_gradient_is_refused(layout):
    data, mask, a, logits = layout
    with pytest.raises(ValueError, match="gradient='numeric' is not one of"):
        _loglik("numeric", data, mask)(a, logits, 0.5)


@pytest.mark.parametrize("scale, num_models", [("paired", 12), ("standardized", 4)])
def test_potential_and_gradient_equal_autodiff_of_the_same_sum(monkeypatch, scale, num_models):
    """The whole potential of the model (prior, transforms, likelihood) and its gradient at random points, with
    the hand-written likelihood gradient against JAX's derivative of the same sum: binary answers with some
    missing, on the paired scale and, in a small cohort (non-centred abilities), on the standardized one."""
    from gapeval.gap.centring import ability_centring
    from gapeval.gap.model import build_gap_data

    df, _ = simulate_gap_responses(num_models, 40, seed=11)
    data = build_gap_data(df.sample(frac=0.85, random_state=0), points=1, use_pairs=True)
    assert not data.mask.all() and np.all(ability_centring(data)) == (num_models == 12)
    assert_potential_equals_autodiff(monkeypatch, data, scale=scale, name="quadrature_loglik",
                                     likelihood=quadrature_loglik)


def test_vectorized_chains_get_each_chain_own_value_and_gradient(layout):
    """Under vmap (chains run vectorized) the batch takes one branch of the odds; each chain's value and gradient
    are still its own, also when one chain's node shift is past SHIFT_BOUND and the other's is not."""
    data, mask, a, logits = layout
    sign = jnp.where(jnp.asarray(np.moveaxis(mask, -1, 0)), jnp.where(np.moveaxis(data.y, -1, 0) > 0, 1.0, -1.0), 0.0)
    nodes, weights = (-1.7320508, 0.0, 1.7320508), (1 / 6, 2 / 3, 1 / 6)
    chains = (jnp.stack([jnp.asarray(a), 1.1 * jnp.asarray(a)]), jnp.stack([jnp.asarray(logits), -jnp.asarray(logits)]))
    gradient = jax.value_and_grad(lambda *x: binary_marginal(*x, sign, nodes, weights), argnums=(0, 1, 2))
    for spread in (0.7, 40.0):
        scales = jnp.stack([jnp.full(data.num_units, 0.7), jnp.full(data.num_units, spread)])
        value, by_x = jax.jit(jax.vmap(gradient))(*chains, scales)
        for chain in range(2):
            own_value, own_by_x = jax.jit(gradient)(chains[0][chain], chains[1][chain], scales[chain])
            assert float(value[chain]) == pytest.approx(float(own_value), rel=1e-6)
            for batched, own in zip(by_x, own_by_x):
                np.testing.assert_allclose(np.asarray(batched[chain]), np.asarray(own), rtol=1e-5,
                                           atol=1e-6 * float(jnp.max(jnp.abs(own))))
