"""A NumPyro model seen as one flat vector of its unconstrained latent values.

This module owns the flat view that the runners of :mod:`irt.inference.runners` sample: the shapes
of a model's latent sites (:func:`latent_shapes`), the jitted potential of the flat vector with its
``unravel`` map (:func:`flat_potential`; sites in sorted name order), the way back from
unconstrained draws to every latent and deterministic site (:func:`constrained`), and the mean-field
normal fit in the unconstrained space that both the SVI runner and NUTS's warm start use
(:func:`fit_mean_field`).

One potential of one vector means the model is compiled a few times in all and never run op by op,
and one normal draw of the whole vector per SVI step (random-number call sites are expensive to
compile: 11 per-site draws cost about 1.7 s of compilation on the Gap Score model).

A *model* here is a NumPyro model function called with the keyword arguments ``data`` (a dict of
arrays; none when ``data`` is None: bind static arguments first, e.g. with :func:`functools.partial`)
and whose observed site, if it has one, is called ``y``. The data are arguments of the potential, so
one compiled program serves every data set of the same shapes (:mod:`irt.inference.compiled`). A model with an
``observe`` keyword is called with ``observe=False`` when draws become sites, so that it can skip
its likelihood there.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from irt.inference.ticks import tick

__all__ = ["FlatPotential", "latent_shapes", "flat_potential", "constrained", "fit_mean_field", "uniform_start",
           "noise_block", "START_RADIUS", "NOISE_BLOCK"]

#: Half-width of uniform starts in the unconstrained space. NumPyro's default radius 2 started some
#: chains of the Gap Score model with slopes of exp(14) (log-slope scale e^2 times a standardized
#: value of 2) and left them stuck; 0.5 keeps every start near the prior's centre.
START_RADIUS = 0.5
#: Most steps of :func:`fit_mean_field` whose normal draws are made in one call (250 steps of a 2,446-long
#: vector: 2.4 MB of noise).
NOISE_BLOCK = 250


class FlatPotential(NamedTuple):
    """The potential energy of a model as a function of one flat vector.

    Attributes
    ----------
    potential : callable
        (flat vector (size,), data=None) -> potential energy (negative log joint density, Jacobians
        included) of the model on ``data`` (default: the data it was built with).
    unravel : callable
        Flat vector -> dict of unconstrained site values (traceable).
    size : int
        Length of the vector.
    """

    potential: Callable
    unravel: Callable
    size: int


def latent_shapes(model, data: dict | None = None) -> dict[str, tuple]:
    """Shapes of the latent sites of ``model`` in the unconstrained space, found by an abstract trace.

    A site whose support transform changes the shape (e.g. a Cholesky factor of a correlation
    matrix, ``LKJCholesky``: D x D constrained, D(D-1)/2 unconstrained) gets its unconstrained shape.
    The trace is abstract (:func:`jax.eval_shape`): nothing is compiled or run op by op.
    """
    from numpyro import handlers
    from numpyro.distributions.transforms import biject_to

    shapes: dict[str, tuple] = {}

    def trace_once():
        trace = handlers.trace(handlers.seed(model, 0)).get_trace(**(data or {}))
        shapes.update({name: tuple(biject_to(site["fn"].support).inverse_shape(site["value"].shape))
                       for name, site in trace.items() if site["type"] == "sample" and not site["is_observed"]})
        return jnp.zeros(())

    jax.eval_shape(trace_once)
    return shapes


def constrained(model, unconstrained: dict, lead: int, data: dict | None = None) -> dict:
    """Latent and deterministic sites from unconstrained draws with ``lead`` leading axes (traceable).

    The observed site ``y`` is left out; ``data`` are the model's keyword arguments.
    """
    from numpyro.infer.util import constrain_fn

    kwargs = dict(data or {})
    if "observe" in inspect.signature(model).parameters:
        kwargs["observe"] = False

    def one(u):
        return constrain_fn(model, (), kwargs, u, return_deterministic=True)

    fn = one
    for _ in range(lead):
        fn = jax.vmap(fn)
    return {k: v for k, v in fn(unconstrained).items() if k != "y"}


def flat_potential(model, data: dict | None = None) -> FlatPotential:
    """The potential of the flat vector of ``model``'s unconstrained latent values (sorted site names).

    ``potential(x, data=None)`` evaluates the model on ``data`` (its keyword arguments), by default
    the ``data`` given here (whose shapes fix the layout of the vector).

    NumPyro's support checks are switched off inside: the values come through the support
    transforms, so the checks (a third of the traced operations) would only slow down compilation
    and every gradient.
    """
    from numpyro import validation_enabled
    from numpyro.infer.util import potential_energy

    default = dict(data or {})
    shapes = latent_shapes(model, default)
    names = sorted(shapes)
    sizes = [int(np.prod(shapes[name], dtype=int)) for name in names]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)

    def unravel(x):
        return {name: x[offsets[k]:offsets[k + 1]].reshape(shapes[name]) for k, name in enumerate(names)}

    def potential(x, data=None):
        with validation_enabled(False):
            return potential_energy(model, (), default if data is None else data, unravel(x))

    return FlatPotential(potential, unravel, int(offsets[-1]))


def uniform_start(key, shape: tuple) -> jnp.ndarray:
    """Starting values uniform on (-:data:`START_RADIUS`, :data:`START_RADIUS`) (traceable)."""
    return jax.random.uniform(key, shape, minval=-START_RADIUS, maxval=START_RADIUS)


def fit_mean_field(potential: Callable, size: int, key, *, num_steps: int, learning_rate, init_scale: float,
                   noise_steps: int = 1):
    """Mean-field normal fit in the unconstrained space (traced: call under :func:`jax.jit`).

    Maximises the reparameterised ELBO with one normal draw of the whole vector per step, by Adam
    with step size ``learning_rate`` (a number, or a function of the step number). Starts at
    :func:`uniform_start` with every scale ``init_scale``.

    Step ``i`` draws its noise from the ``i``-th of ``jax.random.split(key, num_steps)`` (after the
    start's split). ``noise_steps`` (a divisor of ``num_steps``, e.g. :func:`noise_block`) steps have their
    draws made together before they run: one vectorised call, the same numbers as one call a step (a
    step of the Gap Score at 20 x 600 costs 0.61 against 0.86 ms CPU with a draw inside it,
    ``benchmarks/gap/svi_noise_step.py``). The fit is the same up to float32 rounding (the compiler arranges the
    step's arithmetic differently inside the inner loop); 1 (the default) draws inside each step.

    Returns
    -------
    (loc, scale, losses)
        The fitted means and standard deviations (size,) and the loss (negative ELBO estimate) of
        every step.
    """
    from numpyro.optim import Adam

    key_init, key_fit = jax.random.split(key)
    params = {"loc": uniform_start(key_init, (size,)), "log_scale": jnp.full((size,), jnp.log(init_scale))}
    optimizer = Adam(learning_rate)

    def loss(p, eps):
        return potential(p["loc"] + jnp.exp(p["log_scale"]) * eps) - jnp.sum(p["log_scale"])

    every = max(1, num_steps // 100)   # ~100 reports to a watcher of the fit (irt.inference.ticks)

    width = noise_steps
    if width < 1 or num_steps % width:
        raise ValueError(f"noise_steps={noise_steps!r} must be a positive divisor of num_steps={num_steps} "
                         "(noise_block(num_steps) gives one)")

    def step(state, inputs):
        noise, number = inputs   # a step's key (its draw made here) or its draw
        tick(number, every=every)
        eps = jax.random.normal(noise, (size,)) if width == 1 else noise
        value, grads = jax.value_and_grad(loss)(optimizer.get_params(state), eps)
        return optimizer.update(grads, state), value

    def block(state, inputs):
        keys, numbers = inputs
        return jax.lax.scan(step, state, (jax.vmap(lambda k: jax.random.normal(k, (size,)))(keys), numbers))

    keys, numbers = jax.random.split(key_fit, num_steps), jnp.arange(num_steps)
    if width == 1:
        state, losses = jax.lax.scan(step, optimizer.init(params), (keys, numbers))
    else:
        blocks = (keys.reshape((num_steps // width, width) + keys.shape[1:]), numbers.reshape(-1, width))
        state, losses = jax.lax.scan(block, optimizer.init(params), blocks)
    fitted = optimizer.get_params(state)
    return fitted["loc"], jnp.exp(fitted["log_scale"]), losses.reshape(num_steps)


def noise_block(num_steps: int, most: int = NOISE_BLOCK) -> int:
    """Steps of :func:`fit_mean_field` whose noise is drawn together: the largest divisor of ``num_steps``
    up to ``most`` (1 for a prime above it: one draw a step, correct but slower).

    Examples
    --------
    >>> noise_block(6000), noise_block(500), noise_block(7), noise_block(1009)
    (250, 250, 7, 1)
    """
    return max(d for d in range(1, min(num_steps, most) + 1) if num_steps % d == 0)
