"""A numerically stable graded-response (cumulative logit) likelihood."""

from __future__ import annotations

import jax.numpy as jnp
from jax.nn import log_sigmoid
from numpyro.distributions import Distribution, constraints
from numpyro.distributions.util import validate_sample

__all__ = ["GradedLogistic", "pad_thresholds", "THRESHOLD_SENTINEL"]

#: Stand-in for +/- infinity at the ends of the threshold vector (finite, so gradients stay finite).
THRESHOLD_SENTINEL = 1.0e6


def pad_thresholds(d: jnp.ndarray) -> jnp.ndarray:
    """Add the sentinel ends: ``[+inf, d_1, ..., d_{K-1}, -inf]`` along the last axis."""
    shape = d.shape[:-1] + (1,)
    top = jnp.full(shape, THRESHOLD_SENTINEL, dtype=d.dtype)
    return jnp.concatenate([top, d, -top], axis=-1)


class GradedLogistic(Distribution):
    r"""Samejima's graded response model for one response.

    .. math:: P(Y \ge k) = \sigma(\eta + d_k), \quad d_1 > d_2 > \dots > d_{K-1},

    so :math:`P(Y = k) = \sigma(\eta + d_k) - \sigma(\eta + d_{k+1})` with :math:`d_0 = +\infty`,
    :math:`d_K = -\infty`. The log-probability uses
    :math:`\sigma(u) - \sigma(v) = \sigma(u)\,\sigma(-v)\,(1 - e^{v-u})`, which stays finite in the tails.

    Parameters
    ----------
    eta : array
        Linear predictor without intercepts, e.g. :math:`a\theta`.
    padded_d : array
        Thresholds with sentinel ends (:func:`pad_thresholds`), shape ``eta.shape + (K + 1,)``. Items
        with fewer categories repeat ``-sentinel`` in the unused trailing slots.
    """

    arg_constraints = {"eta": constraints.real}
    support = constraints.nonnegative_integer
    has_enumerate_support = False

    def __init__(self, eta, padded_d, *, validate_args=None):
        self.eta = jnp.asarray(eta)
        self.padded_d = jnp.broadcast_to(padded_d, self.eta.shape + jnp.shape(padded_d)[-1:])
        super().__init__(batch_shape=jnp.shape(eta), validate_args=validate_args)

    @validate_sample
    def log_prob(self, value):
        k = jnp.asarray(value, dtype=jnp.int32)[..., None]
        upper = jnp.take_along_axis(self.padded_d, k, axis=-1)[..., 0] + self.eta
        lower = jnp.take_along_axis(self.padded_d, k + 1, axis=-1)[..., 0] + self.eta
        gap = jnp.minimum(lower - upper, -1e-12)
        return log_sigmoid(upper) + log_sigmoid(-lower) + jnp.log1p(-jnp.exp(gap))

    def sample(self, key, sample_shape=()):
        import jax

        u = jax.random.uniform(key, sample_shape + self.batch_shape)
        cumulative = jax.nn.sigmoid(self.eta[..., None] + self.padded_d[..., 1:-1])  # P(Y >= k), k = 1..K-1
        return jnp.sum(u[..., None] < cumulative, axis=-1)
