"""The whole Gap Score potential with a likelihood's hand-written gradient against JAX's derivative of the same sum
(shared by ``test_likelihood_gradient.py`` and ``test_layer_gradient.py``)."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest


def assert_potential_equals_autodiff(monkeypatch, data, *, scale: str, name: str, likelihood) -> None:
    """Value and gradient of the potential at 3 random points with ``gapeval.gap.model.<name>`` =
    ``likelihood(..., gradient="hand")`` equal those with ``gradient="autodiff"`` (rel 1e-5 / 1e-4)."""
    import gapeval.gap.model as model_module
    from gapeval.gap.model import model_arguments, reparameterised_gap_model
    from irt.inference.flat import flat_potential

    answers = {"y": data.y, "mask": data.mask}
    gradients = {}
    for gradient in ("hand", "autodiff"):
        monkeypatch.setattr(model_module, name, partial(likelihood, gradient=gradient))
        potential, _, size = flat_potential(reparameterised_gap_model(**model_arguments(data, scale=scale)), answers)
        points = jax.random.uniform(jax.random.PRNGKey(5), (3, size), minval=-1.5, maxval=1.5)
        gradients[gradient] = jax.jit(jax.vmap(jax.value_and_grad(potential)))(points)
    for value, by_x, reference, by_reference in zip(*gradients["hand"], *gradients["autodiff"]):
        assert np.isfinite(float(reference)) and float(value) == pytest.approx(float(reference), rel=1e-5)
        largest = float(jnp.max(jnp.abs(by_reference)))
        np.testing.assert_allclose(np.asarray(by_x), np.asarray(by_reference), atol=1e-5 * largest, rtol=1e-4)
