"""Gauss–Hermite quadrature grids for the standard normal latent density.

A unidimensional grid has ``n`` nodes; a ``D``-dimensional product grid has ``n**D``. Correlated
factors are handled by the caller, who maps the standard-normal nodes ``z`` to ``theta = z @ L.T``
with ``L`` the Cholesky factor of the latent correlation matrix.
"""

from __future__ import annotations

import itertools

import numpy as np

from irt.errors import IRTError

__all__ = ["DEFAULT_POINTS", "MAX_DEFAULT_DIMENSIONS", "QuadratureError", "normal_grid", "default_points"]

#: Default nodes per dimension of the product grid, by number of dimensions.
DEFAULT_POINTS: dict[int, int] = {1: 61, 2: 31, 3: 15}

#: Product-grid nodes with a weight below this are dropped (they change no integral visibly).
PRUNE_WEIGHT = 1e-14

#: Beyond this many dimensions the caller must choose the nodes per dimension explicitly.
MAX_DEFAULT_DIMENSIONS = 3


class QuadratureError(IRTError):
    """A quadrature grid that cannot (or should not silently) be built."""


def default_points(num_dimensions: int, num_points: int | None = None) -> int:
    """Nodes per dimension: ``num_points`` when given, else the default for ``num_dimensions``.

    Raises
    ------
    QuadratureError
        More than 3 dimensions without an explicit ``num_points``, or fewer than 2 points.

    Examples
    --------
    >>> default_points(1), default_points(2), default_points(4, 5)
    (61, 31, 5)
    """
    if num_points is not None:
        if int(num_points) < 2:
            raise QuadratureError(f"num_quadrature must be at least 2 nodes per dimension, got {num_points}")
        return int(num_points)
    if num_dimensions > MAX_DEFAULT_DIMENSIONS:
        raise QuadratureError(
            f"a product Gauss-Hermite grid over {num_dimensions} dimensions has n**{num_dimensions} nodes; "
            f"there is no default beyond {MAX_DEFAULT_DIMENSIONS} dimensions. Pass num_quadrature=n explicitly "
            f"(e.g. num_quadrature=7 gives {7 ** num_dimensions} nodes) or reduce the number of dimensions")
    return DEFAULT_POINTS[num_dimensions]


def normal_grid(num_dimensions: int, num_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Product Gauss–Hermite nodes and log-weights for the standard normal N(0, I).

    Parameters
    ----------
    num_dimensions : int
        Dimension D of the latent space.
    num_points : int
        Nodes per dimension n.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Nodes (at most n**D x D) and log-weights that sum (in probability) to 1. Nodes whose
        weight is below ``PRUNE_WEIGHT`` are dropped and the rest renormalised.

    Examples
    --------
    >>> z, logw = normal_grid(1, 21)
    >>> round(float(np.exp(logw) @ z[:, 0] ** 2), 12)
    1.0
    """
    x, w = np.polynomial.hermite_e.hermegauss(num_points)  # weight exp(-x^2/2)
    w = w / w.sum()
    nodes = np.array(list(itertools.product(x, repeat=num_dimensions)), dtype=np.float64)
    weights = np.array([np.prod(c) for c in itertools.product(w, repeat=num_dimensions)], dtype=np.float64)
    keep = weights > PRUNE_WEIGHT
    weights = weights[keep] / weights[keep].sum()
    return nodes[keep], np.log(weights)
