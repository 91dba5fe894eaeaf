"""Simulate responses from the item response models with known parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from irt.data import ResponseData
from irt.errors import IRTError, as_seed, check_count
from irt.problem import MODEL_NAMES
from irt.qmatrix import validate_q_matrix

__all__ = ["simulate", "SimulationTruth"]


@dataclass(frozen=True)
class SimulationTruth:
    """The generating parameters, named as the model sites.

    Attributes
    ----------
    theta : numpy.ndarray
        Abilities, respondents x dimensions.
    a : numpy.ndarray
        Slopes (items,) or loadings (items x dimensions).
    d : numpy.ndarray
        Intercepts (items,) or thresholds (items x max categories-1, NaN where unused).
    b : numpy.ndarray or None
        Difficulties ``-d/a`` for unidimensional binary models.
    g : numpy.ndarray or None
        Lower asymptotes (3PL).
    omega : numpy.ndarray
        Latent correlation matrix.
    q_matrix : numpy.ndarray
        The loading pattern.
    dropped_items : tuple
        Ids of simulated items that came out constant (everybody alike); they carry no information,
        are left out of the data and of the arrays above.
    """

    theta: np.ndarray
    a: np.ndarray
    d: np.ndarray
    b: np.ndarray | None
    g: np.ndarray | None
    omega: np.ndarray
    q_matrix: np.ndarray
    dropped_items: tuple = ()


def simulate(
    model: str,
    *,
    num_respondents: int,
    num_items: int,
    q_matrix: Any = None,
    correlation: float = 0.5,
    num_categories: int = 4,
    missing: float = 0.0,
    seed: int = 0,
    theta: np.ndarray | None = None,
    a: np.ndarray | None = None,
    d: np.ndarray | None = None,
    g: np.ndarray | None = None,
) -> tuple[ResponseData, SimulationTruth]:
    r"""Draw a response matrix from ``model`` and return it with the true parameters.

    Defaults: :math:`\theta \sim N(0, \Omega)` with every off-diagonal of :math:`\Omega` equal to
    ``correlation``; :math:`\log a \sim N(0, 0.3)`; :math:`d \sim N(0, 1)` (graded: ordered
    thresholds spread around it); :math:`g \sim \text{Beta}(5, 20)` for the 3PL. Any parameter can be
    given instead. Rasch uses slope 1.

    Parameters
    ----------
    model : str
        One of ``rasch``, ``1pl``, ``2pl``, ``3pl``, ``graded``.
    num_respondents, num_items : int
        Size of the matrix.
    q_matrix : array_like, optional
        Items x dimensions 0/1 loading pattern (2pl and graded); default one dimension.
    correlation : float
        Latent correlation between dimensions.
    num_categories : int
        Categories per item for ``graded``.
    missing : float
        Probability that a response is missing completely at random.
    seed : int
        Seed of the NumPy generator.
    theta, a, d, g : numpy.ndarray, optional
        Parameters to use instead of random draws.

    Returns
    -------
    (ResponseData, SimulationTruth)

    Examples
    --------
    >>> from irt import simulate
    >>> data, truth = simulate("2pl", num_respondents=200, num_items=10, seed=1)
    >>> data.num_responses, truth.theta.shape, truth.dropped_items
    (2000, (200, 1), ())
    """
    if model not in MODEL_NAMES:
        raise IRTError(f"unknown model {model!r}; choose one of {list(MODEL_NAMES)}")
    check_count("num_respondents", num_respondents)
    check_count("num_items", num_items)
    if isinstance(correlation, bool) or not isinstance(correlation, int | float) or not -1 < correlation < 1:
        raise IRTError(f"correlation={correlation!r} must be a number strictly between -1 and 1")
    rng = np.random.default_rng(as_seed(seed))
    num_respondents, num_items = int(num_respondents), int(num_items)
    item_ids = tuple(f"i{k:0{len(str(num_items))}d}" for k in range(num_items))
    q = np.ones((num_items, 1), dtype=np.int32) if q_matrix is None else validate_q_matrix(q_matrix, item_ids=item_ids)[0]
    num_dims = q.shape[1]
    if num_dims > 1 and model not in ("2pl", "graded"):
        raise IRTError(f"model {model!r} has no multidimensional form; use '2pl' or 'graded' with a Q-matrix")
    omega = np.full((num_dims, num_dims), correlation) + (1 - correlation) * np.eye(num_dims)
    if np.linalg.eigvalsh(omega)[0] <= 0:
        raise IRTError(f"correlation={correlation!r} gives no valid correlation matrix for {num_dims} dimensions "
                       f"(it must exceed {-1 / (num_dims - 1):.3g}); choose a larger correlation")
    if theta is None:
        theta = rng.multivariate_normal(np.zeros(num_dims), omega, size=num_respondents)
    theta = np.asarray(theta, dtype=float).reshape(num_respondents, num_dims)
    if a is None:
        a = np.exp(rng.normal(0.0, 0.3, size=q.shape)) * q
        if model == "rasch":
            a = np.ones_like(a)
        elif model == "1pl":
            a = np.full_like(a, a[0, 0])
    a = np.asarray(a, dtype=float).reshape(num_items, num_dims)
    eta = theta @ a.T  # respondents x items
    g_arr = None
    if model == "graded":
        if d is None:
            centre = rng.normal(0.0, 1.0, size=num_items)
            spread = np.sort(rng.uniform(-1.5, 1.5, size=(num_items, num_categories - 1)), axis=1)[:, ::-1]
            d = centre[:, None] + spread
        d = np.asarray(d, dtype=float).reshape(num_items, -1)
        cumulative = 1.0 / (1.0 + np.exp(-(eta[:, :, None] + d[None, :, :])))  # P(y >= k)
        y = (rng.uniform(size=eta.shape)[:, :, None] < cumulative).sum(axis=2)
    else:
        if d is None:
            d = rng.normal(0.0, 1.0, size=num_items)
        d = np.asarray(d, dtype=float).reshape(num_items)
        p = 1.0 / (1.0 + np.exp(-(eta + d)))
        if model == "3pl":
            g_arr = rng.beta(5, 20, size=num_items) if g is None else np.asarray(g, dtype=float)
            p = g_arr + (1 - g_arr) * p
        y = (rng.uniform(size=p.shape) < p).astype(int)
    matrix = y.astype(float)
    if missing > 0:
        matrix[rng.uniform(size=matrix.shape) < missing] = np.nan
    frame = pd.DataFrame(matrix, index=[f"r{k:0{len(str(num_respondents))}d}" for k in range(num_respondents)],
                         columns=list(item_ids))
    keep = (frame.nunique(axis=0) > 1).to_numpy()
    dropped = tuple(np.asarray(item_ids)[~keep].tolist())
    frame, q, a, d = frame.loc[:, keep], q[keep], a[keep], d[keep]
    g_arr = None if g_arr is None else g_arr[keep]
    dims = [f"F{int(np.argmax(row)) + 1}" for row in q] if num_dims > 1 and (q.sum(axis=1) == 1).all() else None
    data = ResponseData.from_wide(frame, dimension=dims)
    unidim_a = a[:, 0] if num_dims == 1 else a
    b = -d / unidim_a if (num_dims == 1 and model != "graded") else None
    truth = SimulationTruth(theta=theta, a=unidim_a, d=d, b=b, g=g_arr, omega=omega, q_matrix=q,
                            dropped_items=dropped)
    return data, truth
