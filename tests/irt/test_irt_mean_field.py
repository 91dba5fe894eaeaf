"""irt.inference.flat.fit_mean_field: the noise drawn in blocks gives the fit of one draw a step."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro.optim import Adam

from irt.inference.flat import fit_mean_field, noise_block, uniform_start

SIZE = 5
CENTRE = jnp.array([1.0, -2.0, 0.5, 3.0, 0.0])
SD = jnp.array([0.5, 1.0, 2.0, 0.3, 1.5])


def _potential(x):
    return 0.5 * jnp.sum(((x - CENTRE) / SD) ** 2)


def _one_draw_a_step(key, *, num_steps, learning_rate, init_scale):
    """The fit with each step's normal draw made inside the step (the form before the draws were blocked)."""
    key_init, key_fit = jax.random.split(key)
    params = {"loc": uniform_start(key_init, (SIZE,)), "log_scale": jnp.full((SIZE,), jnp.log(init_scale))}
    optimizer = Adam(learning_rate)

    def loss(p, key):
        eps = jax.random.normal(key, (SIZE,))
        return _potential(p["loc"] + jnp.exp(p["log_scale"]) * eps) - jnp.sum(p["log_scale"])

    def step(state, key):
        value, grads = jax.value_and_grad(loss)(optimizer.get_params(state), key)
        return optimizer.update(grads, state), value

    state, losses = jax.lax.scan(step, optimizer.init(params), jax.random.split(key_fit, num_steps))
    fitted = optimizer.get_params(state)
    return fitted["loc"], jnp.exp(fitted["log_scale"]), losses


@pytest.mark.parametrize("num_steps", [600, 7, 257])   # blocks of 200, one block of 7, one draw a step (prime)
def test_blocked_noise_gives_the_fit_of_one_draw_a_step(num_steps):
    settings = dict(num_steps=num_steps, learning_rate=lambda i: 0.05 * 0.999 ** i, init_scale=0.1)
    key = jax.random.PRNGKey(11)
    blocked = jax.jit(lambda k: fit_mean_field(_potential, SIZE, k, noise_steps=noise_block(num_steps),
                                               **settings))(key)
    reference = jax.jit(lambda k: _one_draw_a_step(k, **settings))(key)
    for got, want in zip(blocked, reference):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
    assert blocked[2].shape == (num_steps,)


def test_the_fit_recovers_a_normal_target():
    loc, scale, losses = jax.jit(lambda k: fit_mean_field(_potential, SIZE, k, num_steps=4000,
                                                          learning_rate=lambda i: 0.05 * 0.999 ** i,
                                                          init_scale=0.1))(jax.random.PRNGKey(0))
    assert np.all(np.abs(np.asarray(loc - CENTRE) / np.asarray(SD)) < 0.2), (loc, CENTRE)   # within 0.2 sd
    np.testing.assert_allclose(np.asarray(scale), np.asarray(SD), rtol=0.1)
    assert float(losses[-200:].mean()) < float(losses[:200].mean())


@pytest.mark.parametrize(("num_steps", "most", "block"), [(6000, 250, 250), (600, 250, 200), (257, 250, 1),
                                                          (7, 250, 7), (1, 250, 1), (6000, 7, 6)])
def test_noise_block_is_the_largest_divisor_up_to_the_most(num_steps, most, block):
    assert noise_block(num_steps, most) == block


def test_one_draw_a_step_is_the_default_and_a_block_must_divide_the_steps():
    settings = dict(num_steps=30, learning_rate=0.01, init_scale=0.1)
    key = jax.random.PRNGKey(2)
    default = jax.jit(lambda k: fit_mean_field(_potential, SIZE, k, **settings))(key)
    reference = jax.jit(lambda k: _one_draw_a_step(k, **settings))(key)
    for got, want in zip(default, reference):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    with pytest.raises(ValueError, match=r"noise_steps=7 must be a positive divisor of num_steps=30"):
        fit_mean_field(_potential, SIZE, key, noise_steps=7, **settings)
