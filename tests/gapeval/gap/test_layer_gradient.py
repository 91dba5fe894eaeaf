"""The hand-written gradient of the Gap Score's likelihood through the observation layer
(``gapeval.gap.likelihood.layer_marginal``: chance levels and judge error) against JAX's derivative of the same sum."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gapeval.gap.likelihood import SHIFT_BOUND, layer_marginal, layer_quadrature_loglik
from tests.gapeval.gap.potentialkit import assert_potential_equals_autodiff

NUM_MODELS, NUM_UNITS, NUM_PAIRS = 4, 35, 30


@pytest.fixture(scope="module")
def point():
    """Random slopes and logits (some beyond the clip either way, and near it) and layer weights (K, U, V) in the
    data layout; a tenth of the cells unobserved (L1 = L0 = 1, as cell_weights gives them: K + U = K + V = 1)."""
    rng = np.random.default_rng(0)
    a = np.exp(rng.normal(0.0, 0.4, (2, NUM_UNITS))).astype(np.float32)
    logits = rng.normal(0.0, 1.5, (2, NUM_MODELS, NUM_UNITS)).astype(np.float32)
    logits[0, 0, :4] = [-200.0, 200.0, -20.0 / a[0, 2], 20.0 / a[0, 3]]     # beyond the clip either way, and near it
    chance = rng.uniform(0.0, 0.5, (NUM_MODELS, NUM_UNITS, 2))
    l1, l0 = rng.uniform(0.0, 1.0, (2, NUM_MODELS, NUM_UNITS, 2))
    unobserved = rng.random((NUM_MODELS, NUM_UNITS, 2)) < 0.1
    unobserved[0, :4, 0] = False
    l1[unobserved], l0[unobserved] = 1.0, 1.0
    weights = tuple(jnp.asarray(w, jnp.float32) for w in (chance * l1, (1 - chance) * l1, (1 - chance) * l0))
    return jnp.asarray(a), jnp.asarray(logits), weights, unobserved


def _loglik(gradient, num_pairs=NUM_PAIRS):
    def value(a, logits, sigma_gamma, k, u, v):
        return layer_quadrature_loglik(a, logits, sigma_gamma, weights=(k, u, v), num_pairs=num_pairs, num_nodes=3,
                                       gradient=gradient)

    return value


def _assert_close(mine, reference):
    assert float(mine[0]) == pytest.approx(float(reference[0]), rel=1e-5)
    for by_mine, by_reference in zip(mine[1], reference[1]):
        largest = float(jnp.max(jnp.abs(by_reference)))
        np.testing.assert_allclose(np.asarray(by_mine), np.asarray(by_reference), atol=2e-5 * max(largest, 1.0),
                                   rtol=1e-4)


@pytest.mark.parametrize("sigma_gamma, num_pairs", [(0.0, NUM_PAIRS), (0.7, NUM_PAIRS), (2.5, NUM_PAIRS),
                                                    (40.0, NUM_PAIRS), (0.7, 0)])
def test_hand_gradient_equals_autodiff(point, sigma_gamma, num_pairs):
    """Value and gradient by the slopes, logits, sigma_gamma and K, U, V as JAX's derivative gives them: with and
    without pairs, shifts far past the clip (40) where the odds are one exponential per node."""
    a, logits, weights, unobserved = point
    args = (a, logits, jnp.float32(sigma_gamma)) + weights
    hand = jax.jit(jax.value_and_grad(_loglik("hand", num_pairs), argnums=range(6)))(*args)
    auto = jax.jit(jax.value_and_grad(_loglik("autodiff", num_pairs), argnums=range(6)))(*args)
    _assert_close(hand, auto)
    by_logits = np.asarray(hand[1][1])
    assert np.all(by_logits[np.moveaxis(unobserved, -1, 0)] == 0.0)           # an unobserved cell is 1
    if sigma_gamma < 1.0:   # beyond the clip either way no gradient; near it some
        assert by_logits[0, 0, 0] == 0.0 and by_logits[0, 0, 1] == 0.0
        assert by_logits[0, 0, 2] != 0.0 and by_logits[0, 0, 3] != 0.0
    assert np.all(np.asarray(hand[1][3]) != 0.0)     # K, U and V of every cell have a gradient


def test_layer_marginal_is_exact_for_one_cell():
    """One (model, unit) by hand: log sum_q w_q prod_slot (K + U sigmoid(eta_q) + V sigmoid(-eta_q)),
    eta = a (logit + n_q s); a wrong answer without chance (K = U = 0) far from the clip keeps its probability."""
    nodes, weights = (-1.0, 0.0, 1.0), (0.25, 0.5, 0.25)
    a, logits, scale = jnp.array([[1.3], [0.6]]), jnp.array([[[0.3]], [[-1.2]]]), jnp.array([0.8])
    k, u, v = jnp.array([[[0.25]], [[0.0]]]), jnp.array([[[0.75]], [[0.0]]]), jnp.array([[[0.0]], [[0.9]]])

    def direct(a, logits, scale, k, u, v):
        eta = a[:, 0, None] * (logits[:, 0, 0, None] + jnp.array(nodes) * scale[0])
        cell = k[:, 0, 0, None] + u[:, 0, 0, None] * jax.nn.sigmoid(eta) + v[:, 0, 0, None] * jax.nn.sigmoid(-eta)
        return jnp.log(jnp.sum(jnp.array(weights) * cell[0] * cell[1]))

    for logit in (-1.2, 20.0):    # slot 1 at 20: sigmoid(-eta) ~ 6e-6, 1 - sigmoid(eta) two digits in float32
        args = (a, logits.at[1].set(logit), scale, k, u, v)
        assert float(layer_marginal(*args, nodes, weights)) == pytest.approx(float(direct(*args)), rel=1e-6)
        for mine, reference in zip(jax.grad(layer_marginal, argnums=range(6))(*args, nodes, weights),
                                   jax.grad(direct, argnums=range(6))(*args)):
            np.testing.assert_allclose(np.asarray(mine), np.asarray(reference), rtol=1e-5)


def test_vectorized_chains_get_each_chain_own_value_and_gradient(point):
    """Under vmap each chain's value and gradient are its own, also when one chain is past SHIFT_BOUND."""
    a, logits, weights, _ = point
    gradient = jax.value_and_grad(_loglik("hand"), argnums=range(6))
    chains = (jnp.stack([a, 1.1 * a]), jnp.stack([logits, -logits]))
    for sigma_gamma in (0.7, 40.0):
        assert (sigma_gamma * 1.7320508 * 1.1 * float(jnp.max(a)) > SHIFT_BOUND) == (sigma_gamma > 1.0)
        scales = jnp.array([0.7, sigma_gamma])
        value, by_x = jax.jit(jax.vmap(gradient, in_axes=(0, 0, 0, None, None, None)))(*chains, scales, *weights)
        for chain in range(2):
            own = jax.jit(gradient)(chains[0][chain], chains[1][chain], scales[chain], *weights)
            reference = jax.value_and_grad(_loglik("autodiff"), argnums=range(6))(
                chains[0][chain], chains[1][chain], scales[chain], *weights)
            _assert_close(own, reference)
            assert float(value[chain]) == pytest.approx(float(own[0]), rel=1e-6)
            for batched, mine in zip(by_x, own[1]):
                batched = batched if batched.ndim == mine.ndim else batched[chain]
                np.testing.assert_allclose(np.asarray(batched), np.asarray(mine), rtol=1e-5,
                                           atol=1e-6 * float(jnp.max(jnp.abs(mine))))


@pytest.mark.parametrize("judged", [False, True])
def test_potential_with_a_layer_equals_autodiff(monkeypatch, judged):
    """The whole potential with chance levels (g estimated) and with judges (sensitivity, specificity sampled) and
    its gradient at random points, hand-written layer gradient against JAX's derivative of the same sum."""
    from gapeval.gap.layout import build_gap_data
    from gapeval.gap.simulate import simulate_gap_responses
    from gapeval.responses import standardize_responses

    df, truth = simulate_gap_responses(6, 40, seed=11, chance=(0.25, 0.0), judge=(0.85, 0.9) if judged else None)
    df = df.sample(frac=0.9, random_state=0)
    frame = standardize_responses(df, pair="pair", **{c: c for c in ("chance", "judge") if c in df.columns})
    data = build_gap_data(frame, points=1, use_pairs=True, guessing="estimate",
                          calibration=truth.calibration if judged else None)
    assert data.observation is not None and data.observation.mcq.any()
    assert (data.observation.num_judges > 0) == judged and not data.mask.all()
    assert_potential_equals_autodiff(monkeypatch, data, scale="paired", name="layer_quadrature_loglik",
                                     likelihood=layer_quadrature_loglik)


def test_unknown_gradient_is_refused(point):
    a, logits, weights, _ = point
    with pytest.raises(ValueError, match="gradient='numeric' is not one of"):
        _loglik("numeric")(a, logits, 0.5, *weights)
