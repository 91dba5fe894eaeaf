r"""The dense binary logistic log-likelihood and its gradient in one tiled pass, for full-batch SVI and NUTS.

The binary models whose logit is :math:`x_{mi} = \theta_m^\top a_i + d_i` (Rasch, 1PL, 2PL and the
confirmatory multidimensional 2PL) observe the dense M x I response matrix as a Bernoulli site.
Differentiated by JAX, that site's log density writes several M x I float32 temporaries (the logits,
the log-probabilities, their cotangents), each written and read back: at 10^7 responses NumPyro's
full-batch SVI step took 38 times its memory floor (``benchmarks/irt/RESULTS.md``).

:func:`logistic_log_likelihood` is :math:`\sum_{mi} o_{mi} \log\sigma(s_{mi} x_{mi})` (:math:`s = 2y - 1`,
:math:`o` the observed cells) with a :func:`jax.custom_vjp`: its forward pass reads the responses
once, block by block of respondents (each block's part of the matrix small enough to stay in the cache),
and returns the value together with all three gradients, from :math:`r = s\,\sigma(-s x)`:
:math:`\partial\theta_m = \sum_i r_{mi} a_i`, :math:`\partial a_i = \sum_m r_{mi}\theta_m`,
:math:`\partial d_i = \sum_m r_{mi}`. The backward pass only scales them by the cotangent.

:func:`logistic_log_likelihood_for_gradient` has the same value, and a gradient pass without it
(:math:`r = y - \sigma(x)`, no log): for callers that take the gradient alone, as ``irt.fit``'s SVI
steps do (:func:`irt.inference.sites.gradient_step`); under ``jax.grad`` XLA drops the value.

:func:`fused_likelihood` puts either on a model: an effect handler that replaces the observed dense
``y`` site's distribution by one whose ``log_prob`` is that sum (read from the model's ``theta``,
``a`` and ``d`` sites), so that NumPyro's ELBO, guide and optimiser run unchanged, and NUTS's potential
(:func:`irt.inference.nuts.model_for`, with ``exact=True``) takes one pass a leapfrog step. The long form
(minibatches) and the other models keep their own likelihood.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpyro.distributions as dist
from jax import lax
from numpyro.primitives import Messenger

from irt import models

__all__ = ["logistic_log_likelihood", "logistic_log_likelihood_for_gradient", "fused_likelihood", "uses_fused_likelihood",
           "FUSED_MODELS", "BLOCK_BYTES"]

#: The models whose dense likelihood :func:`fused_likelihood` replaces (logit θ·a + d, binary).
FUSED_MODELS = (models.rasch, models.onepl, models.twopl, models.mirt_2pl)
#: Bytes of one block's float32 logits (a block of respondents), so that the block's temporaries
#: stay in the cache and the responses are read from memory once; blocks of 1 to 104 rows of
#: 10,000 items timed alike within the noise (``benchmarks/irt/RESULTS.md``, seventh session).
BLOCK_BYTES = 2**21


def logistic_log_likelihood(theta: jax.Array, loadings: jax.Array, d: jax.Array, y: jax.Array,
                            mask: jax.Array | None = None, *, exact: bool = False) -> jax.Array:
    r""":math:`\sum_{mi} o_{mi} \log\sigma(s_{mi}(\theta_m^\top a_i + d_i))`, with its gradient in one tiled pass.

    Parameters
    ----------
    theta : jax.Array
        Abilities (M, D).
    loadings : jax.Array
        Slopes or loadings (I, D).
    d : jax.Array
        Intercepts (I,).
    y : jax.Array
        Responses (M, I), 0 or 1 (any integer or float dtype).
    mask : jax.Array, optional
        Observed cells (M, I), boolean; None when every cell is observed.
    exact : bool, default False
        False: each cell's log σ is floored at -87.3 (logits below -87; the gradient stays exact),
        the cheapest pass (SVI's, whose loss value is only watched). True: exact to float32 for every
        logit (a select per cell): a sampler's potential (NUTS) needs the value to match its gradient
        also far in the tails, where NumPyro's starts put the logits.

    Returns
    -------
    jax.Array
        The log-likelihood, a float32 scalar. Differentiable in ``theta``, ``loadings`` and ``d``
        (not in ``y`` or ``mask``).
    """
    return _fused(theta, loadings, d, y, mask, exact)


def logistic_log_likelihood_for_gradient(theta: jax.Array, loadings: jax.Array, d: jax.Array, y: jax.Array,
                                         mask: jax.Array | None = None) -> jax.Array:
    r""":func:`logistic_log_likelihood` for callers that take its gradient alone (``jax.grad``, an optimiser step).

    The same value; its gradient comes from a tiled pass without the value, with
    :math:`r = y - \sigma(x)` per cell (one exp and one divide; :func:`logistic_log_likelihood`'s
    pass needs :math:`\sigma(s x)` for the log and takes :math:`r = s(1 - \sigma(s x))` from it, four
    more operations a cell: 11% more CPU at 10^7 responses, ``benchmarks/irt/RESULTS.md``, eighth
    session). The value, where it is used, is a second reduction over the responses; under
    ``jax.grad`` it is dead and XLA drops it. Where value and gradient are both needed (NUTS, a loss
    with its gradient) use :func:`logistic_log_likelihood`. Same parameters and return.
    """
    return _fused_for_gradient(theta, loadings, d, y, mask)


def _logits(theta, loadings, d):
    """θ aᵀ + d for a block of respondents (a broadcast product in one dimension, not a matrix product)."""
    return (theta * loadings[:, 0] if loadings.shape[1] == 1 else theta @ loadings.T) + d


def _sigmoid_and_log(z, exact: bool):
    """p = σ(z) and log σ(z) with one exp, one divide and one log per cell.

    log σ(z) is log(p + the smallest normal float32): equal to float32 precision down to z = -80,
    floored at -87.3 below (so never -inf; the gradient, from p, stays exact). Guarding with a
    select or a clamp on z instead made XLA split the block into more passes (20 against 12 CPU ms
    at 10^7 responses). ``exact``: log σ(z) = z below z = -30 (where log1p(e^z) < 1e-13), the select
    that makes the value exact for every z.
    """
    p = jax.nn.sigmoid(z)
    log_p = jnp.log(p + _TINY)
    return p, jnp.where(z < -30.0, z, log_p) if exact else log_p


#: Smallest normal float32: log σ(z) is taken as log(σ(z) + this), so it stays finite (above -87.3).
_TINY = float(jnp.finfo(jnp.float32).tiny)


def _value(theta, loadings, d, y, mask, exact):
    """The log-likelihood alone: one fused reduction over the matrix (no temporaries)."""
    _, log_p = _sigmoid_and_log((2.0 * y.astype(theta.dtype) - 1.0) * _logits(theta, loadings, d), exact)
    return jnp.sum(log_p if mask is None else jnp.where(mask, log_p, 0.0))


def _block(theta_b, loadings, d, y_b, mask_b, exact):
    """Value, [θ_b, 1]ᵀ r (D + 1, I) and r a (b, D) of one block of respondents, r = s σ(-s x) = s (1 - p)."""
    sign = 2.0 * y_b.astype(theta_b.dtype) - 1.0
    if mask_b is not None:
        sign = jnp.where(mask_b, sign, 0.0)
    z = sign * _logits(theta_b, loadings, d)
    p, log_p = _sigmoid_and_log(z, exact)
    r = sign * (1.0 - p)
    value = jnp.sum(log_p if mask_b is None else jnp.where(mask_b, log_p, 0.0))
    return (value, *_products(theta_b, loadings, r))


def _gradient_block(theta_b, loadings, d, y_b, mask_b):
    """:func:`_block` without the value: r = y - σ(x) (0 where unobserved)."""
    r = y_b.astype(theta_b.dtype) - jax.nn.sigmoid(_logits(theta_b, loadings, d))
    if mask_b is not None:
        r = jnp.where(mask_b, r, 0.0)
    return (jnp.zeros((), theta_b.dtype), *_products(theta_b, loadings, r))


def _products(theta_b, loadings, r):
    """[θ_b, 1]ᵀ r (D + 1, I) and r a (b, D): a block's sums of the residuals r into the gradients."""
    stacked = jnp.concatenate([theta_b, jnp.ones_like(theta_b[:, :1])], axis=1)
    return stacked.T @ r, r @ loadings


def _block_rows(num_respondents: int, num_items: int) -> int:
    """Respondents per block: :data:`BLOCK_BYTES` of float32 logits, at least 1, at most all."""
    return max(1, min(num_respondents, BLOCK_BYTES // (4 * max(num_items, 1))))


def _pass(theta, loadings, d, y, mask, *, block):
    """Value and gradients (θ, loadings, d) in one read of ``y``: full blocks in a loop, then the rest.

    ``block`` computes one block's part (:func:`_block` with ``exact`` bound; :func:`_gradient_block` gives the value 0).
    """
    num_respondents, num_items = y.shape
    rows = _block_rows(num_respondents, num_items)
    num_blocks, rest = divmod(num_respondents, rows)

    def take(array, start, size):
        return None if array is None else lax.dynamic_slice_in_dim(array, start, size)

    def body(k, carry):
        value, columns, grad_theta = carry
        start = k * rows
        v, c, g = block(take(theta, start, rows), loadings, d, take(y, start, rows), take(mask, start, rows))
        return value + v, columns + c, lax.dynamic_update_slice_in_dim(grad_theta, g, start, axis=0)

    carry = (jnp.zeros((), theta.dtype), jnp.zeros((theta.shape[1] + 1, num_items), theta.dtype),
             jnp.zeros_like(theta))
    value, columns, grad_theta = lax.fori_loop(0, num_blocks, body, carry)
    if rest:
        start = num_blocks * rows
        v, c, g = block(theta[start:], loadings, d, y[start:], None if mask is None else mask[start:])
        value, columns = value + v, columns + c
        grad_theta = grad_theta.at[start:].set(g)
    return value, (grad_theta, columns[:-1].T, columns[-1])


@partial(jax.custom_vjp, nondiff_argnums=(5,))
def _fused(theta, loadings, d, y, mask, exact):
    return _value(theta, loadings, d, y, mask, exact)


def _fused_fwd(theta, loadings, d, y, mask, exact):
    return _pass(theta, loadings, d, y, mask, block=partial(_block, exact=exact))


def _fused_bwd(exact, gradients, cotangent):
    return (*(cotangent * g for g in gradients), None, None)   # no gradient in y or mask (None: all observed)


_fused.defvjp(_fused_fwd, _fused_bwd)


@jax.custom_vjp
def _fused_for_gradient(theta, loadings, d, y, mask):
    return _value(theta, loadings, d, y, mask, False)


def _fused_for_gradient_fwd(theta, loadings, d, y, mask):
    _, gradients = _pass(theta, loadings, d, y, mask, block=_gradient_block)
    return _value(theta, loadings, d, y, mask, False), gradients   # the value: dead under jax.grad


def _fused_for_gradient_bwd(gradients, cotangent):
    return _fused_bwd(False, gradients, cotangent)


_fused_for_gradient.defvjp(_fused_for_gradient_fwd, _fused_for_gradient_bwd)


class _SummedLogistic(dist.Distribution):
    """The dense responses' distribution whose ``log_prob`` is already summed over the cells (the ELBO's use).

    Only for an observed site inside :func:`fused_likelihood`: it cannot sample, and its ``log_prob``
    is one number, not one per cell.
    """

    def __init__(self, theta, loadings, d, mask, shape, likelihood):
        self._parts = (theta, loadings, d, mask)
        self._likelihood = likelihood
        super().__init__(batch_shape=shape)

    def log_prob(self, value):
        theta, loadings, d, mask = self._parts
        return self._likelihood(theta, loadings, d, value, mask)

    def sample(self, key, sample_shape=()):
        raise NotImplementedError("the fused likelihood only observes responses; simulate with the model itself")


class _FusedSite(Messenger):
    """Replaces the observed dense ``y`` site's distribution by :class:`_SummedLogistic` of the recorded sites."""

    def __init__(self, fn=None, *, mask=None, likelihood=logistic_log_likelihood):
        self.mask, self.likelihood = mask, likelihood
        self.values: dict = {}
        super().__init__(fn)

    def postprocess_message(self, msg):
        if msg["name"] in ("theta", "a", "d") and msg["type"] in ("sample", "deterministic"):
            self.values[msg["name"]] = msg["value"]

    def process_message(self, msg):
        if msg["type"] != "sample" or msg["name"] != "y" or not msg["is_observed"] or jnp.ndim(msg["value"]) != 2:
            return
        theta = self.values["theta"]
        num_items = msg["value"].shape[1]
        a = self.values.get("a", jnp.ones(()))
        loadings = jnp.broadcast_to(a.reshape(num_items, -1) if jnp.ndim(a) else a, (num_items, theta.shape[1]))
        msg["fn"] = _SummedLogistic(theta, loadings, self.values["d"], self.mask, jnp.shape(msg["value"]),
                                    self.likelihood)


def fused_likelihood(model: Callable, *, for_gradient: bool = False, exact: bool = False) -> Callable:
    """``model`` with its dense binary logistic likelihood computed by :func:`logistic_log_likelihood`.

    For the models of :data:`FUSED_MODELS` (possibly reparameterised): the observed ``y`` site of
    the dense form gets a distribution whose ``log_prob`` is the summed log-likelihood with the
    fused, tiled gradient; the long form is left as it is. Meant for fitting (the ELBO): the site no
    longer has a log density per cell, so pointwise log-likelihoods and predictions use the model.
    ``for_gradient=True`` uses :func:`logistic_log_likelihood_for_gradient` (an optimiser's steps
    that take the gradient alone; the value, where used, costs a second pass over the responses).
    ``exact``: as in :func:`logistic_log_likelihood` (True for a sampler's potential).

    Examples
    --------
    >>> import jax, numpy as np
    >>> from numpyro.infer.util import log_density
    >>> from irt import models
    >>> y = np.array([[1, 0, 1], [0, 0, 1]], dtype=np.int32)
    >>> kwargs = dict(respondent=np.arange(2)[:, None], item=np.arange(3)[None, :], num_respondents=2, num_items=3, y=y)
    >>> params = {"theta": np.array([[0.5], [-1.0]]), "log_a": np.zeros(3), "sigma_log_a": 1.0,
    ...           "d_at_mean": np.array([0.2, -0.3, 1.0]), "mu_d": 0.0, "sigma_d": 1.0}
    >>> plain = log_density(models.twopl, (), kwargs, params)[0]
    >>> fused = log_density(fused_likelihood(models.twopl), (), kwargs, params)[0]
    >>> bool(abs(plain - fused) < 1e-5)
    True
    """
    if for_gradient and exact:
        raise ValueError("fused_likelihood: for_gradient=True has no exact form (an optimiser's steps do not use "
                         "the value); pass exact=True alone for a sampler's potential")
    likelihood = logistic_log_likelihood_for_gradient if for_gradient else partial(logistic_log_likelihood, exact=exact)

    def fused(*args, **kwargs):
        with _FusedSite(mask=kwargs.get("mask"), likelihood=likelihood):
            return model(*args, **kwargs)

    return fused


def uses_fused_likelihood(problem_model: Callable, *, dense: bool) -> bool:
    """Whether :func:`fused_likelihood` applies: a model of :data:`FUSED_MODELS` on dense responses."""
    return dense and problem_model in FUSED_MODELS
