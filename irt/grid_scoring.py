"""Abilities of new respondents by quadrature on a grid, with item parameters held fixed.

Used by :meth:`irt.FitResult.score_new` for Bayesian fits: for each retained posterior draw of the
item parameters the posterior of θ on a grid is computed exactly, and the draws are averaged, so the
scores carry the item parameters' uncertainty.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools

import numpy as np
from scipy.special import log_expit, logsumexp

from irt._host import cores, single_threaded_blas
from irt.errors import IRTError
from irt.response_functions import category_log_probabilities

__all__ = ["grid_scores", "grid_theta_draws", "MAX_GRID_DIMENSIONS"]

#: Grid quadrature is exact but grows as points ** dimensions; beyond this it is refused.
MAX_GRID_DIMENSIONS = 2
_POINTS = {1: 161, 2: 61}
_HALF_WIDTH = 6.0


def _grid(num_dims: int, prior_cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid points (G, D) covering +-6 prior sd, and the axis of one dimension."""
    if num_dims > MAX_GRID_DIMENSIONS:
        raise IRTError(f"grid quadrature of θ is done for at most {MAX_GRID_DIMENSIONS} dimensions; this fit has "
                         f"{num_dims}: refit with the new respondents included instead")
    scale = float(np.sqrt(prior_cov[:, np.arange(num_dims), np.arange(num_dims)].max()))
    axis = np.linspace(-_HALF_WIDTH * scale, _HALF_WIDTH * scale, _POINTS[num_dims])
    grid = np.stack(np.meshgrid(*([axis] * num_dims), indexing="ij"), axis=-1).reshape(-1, num_dims)
    return grid, axis


def _onehot(model: str, responses: np.ndarray, d: np.ndarray) -> np.ndarray:
    num_categories = 2 if model != "graded" else d.shape[-1] + 1
    onehot = np.zeros(responses.shape + (num_categories,))
    rows, cols = np.nonzero(~np.isnan(responses))
    onehot[rows, cols, responses[rows, cols].astype(int)] = 1.0
    return onehot


def _log_wrong_sums(loadings: np.ndarray, d: np.ndarray, axis: np.ndarray) -> np.ndarray:
    r"""(S, D, P): for each draw and dimension, :math:`\sum_i \log\sigma(-(a_{ik} t_p + d_i))` over the items
    loading on that dimension alone, at each point :math:`t_p` of the axis.

    The bulk of the grid posterior's cost for complete binary data (161 points x 10,000 items x
    1,000 draws at 10^7 responses: 1.6e9 terms, about 30 of the θ correction's 49 CPU s in float64 NumPy),
    so it runs in JAX, float32, one fused reduction per block of draws (about 4 CPU ns a term on 2 cores
    of an AMD EPYC). The sums are accurate to float32 (relative 3e-7: about 1e-3 of a log density of -5,000).
    """
    import jax.numpy as jnp

    single = (loadings[0] != 0).sum(axis=1) <= 1
    dim_of = np.argmax(loadings[0] != 0, axis=1)
    num_draws = loadings.shape[0]
    out = np.zeros((num_draws, loadings.shape[2], len(axis)))
    block = min(num_draws, _WRONG_SUMS_DRAWS)
    points, program = jnp.asarray(axis, jnp.float32), _wrong_sums_program()
    for k in range(loadings.shape[2]):
        items = np.flatnonzero(single & (dim_of == k))
        if not items.size:
            continue
        slopes, intercepts = loadings[:, items, k].astype(np.float32), d[:, items].astype(np.float32)
        for start in range(0, num_draws, block):
            rows = np.minimum(np.arange(start, start + block), num_draws - 1)  # the last block padded: one shape
            sums = program(slopes[rows], intercepts[rows], points)
            out[start:start + block, k] = np.asarray(sums)[:num_draws - start]
    return out


#: Parameter draws per call of :func:`_wrong_sums_program`: 1,000 draws x 10,000 items in one call ran at
#: half the speed of blocks of 64-128 (6.9 against 3.0 s wall on 2 cores of an AMD EPYC, twelfth session).
_WRONG_SUMS_DRAWS = 64


def _wrong_sums_jax(a, d, axis):
    """(S, I) slopes and intercepts, (P,) points -> (S, P) sums over items of log σ(-(a t + d))."""
    import jax.numpy as jnp

    x = axis[None, :, None] * a[:, None, :] + d[:, None, :]
    return -jnp.sum(jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x))), axis=-1)


@functools.cache
def _wrong_sums_program():
    """:func:`_wrong_sums_jax` compiled (JAX imported on first use: scoring alone does not need it)."""
    import jax

    return jax.jit(_wrong_sums_jax)


def _loglik(model, grid, axis, loadings, d, g, *, onehot, linear, seen, wrong=None):
    r"""Log-likelihood (R, G) of every response row at every grid point for one parameter draw.

    Items that load on one dimension only (every item of a unidimensional or between-item model)
    are evaluated on that dimension's axis and summed onto the grid, so a 2-D grid costs points per
    axis, not points squared, per item; the sum over items is a matrix product. Binary logistic
    items (no lower asymptote; ``onehot`` None) use :math:`\log P(y) = y\eta + \log\sigma(-\eta)`:
    the first term, ``linear`` (R, G), is linear in the grid point and comes from
    :func:`_log_posteriors`, and the second needs no product over respondents when every respondent
    answered every item (``seen`` None; else the 0/1 matrix of answered items).
    """
    single = (loadings != 0).sum(axis=1) <= 1
    dim_of = np.argmax(loadings != 0, axis=1)
    index = np.round((grid - axis[0]) / (axis[1] - axis[0])).astype(int)  # (G, D) axis positions
    total = linear if onehot is None else np.zeros((onehot.shape[0], grid.shape[0]))

    def part(eta, items):
        if onehot is None:
            log_wrong = log_expit(-(eta + d[items]))  # (points, items)
            if seen is None:
                return log_wrong.sum(axis=1)[None, :]
            return (seen if items.size == seen.shape[1] else seen[:, items]) @ log_wrong.T
        logp = category_log_probabilities(model, eta, d[items], None if g is None else g[items])
        logp = np.where(np.isfinite(logp), logp, -1e30)
        return onehot[:, items].reshape(onehot.shape[0], -1) @ logp.reshape(eta.shape[0], -1).T

    for k in range(grid.shape[1]):
        items = np.flatnonzero(single & (dim_of == k))
        if items.size and wrong is not None:
            total = total + wrong[k][None, index[:, k]]
        elif items.size:
            total = total + part(axis[:, None] * loadings[items, k][None, :], items)[:, index[:, k]]
    items = np.flatnonzero(~single)
    if items.size:
        total = total + part(grid @ loadings[items].T, items)
    return total


def _log_normalised(log_weights: np.ndarray) -> np.ndarray:
    """Each row minus its log-sum-exp (SciPy's ``logsumexp`` without its checks, once per draw on (R, G))."""
    top = log_weights.max(axis=1, keepdims=True)
    return log_weights - (top + np.log(np.exp(log_weights - top).sum(axis=1, keepdims=True)))


@dataclasses.dataclass(frozen=True)
class _GridPosterior:
    r"""What the grid posteriors of θ share across the parameter draws; :meth:`log_posterior` gives one draw's.

    For binary logistic items the sums over items of the linear term (right answers times slopes and
    intercepts) are taken for all draws at once, as two matrix products, and for complete binary data
    the sums of :math:`\log\sigma(-\eta)` too (:func:`_log_wrong_sums`). The prior's log density at the
    grid points is computed for all draws at once.
    """

    model: str
    grid: np.ndarray          # (G, D)
    axis: np.ndarray          # (P,)
    loadings: np.ndarray      # (S, I, D)
    d: np.ndarray
    g: np.ndarray | None
    onehot: np.ndarray | None
    seen: np.ndarray | None
    slope_sums: np.ndarray | None      # (R, S, D)
    intercept_sums: np.ndarray | None  # (R, S)
    wrong: np.ndarray | None           # (S, D, P)
    log_prior: np.ndarray              # (S, G)

    @property
    def num_draws(self) -> int:
        """Number of parameter draws."""
        return self.loadings.shape[0]

    def log_posterior(self, s: int, *, normalise: bool = True) -> np.ndarray:
        """Log posterior (R, G) of every respondent at every grid point given parameter draw ``s``.

        With ``normalise=False`` each row is off by a constant of its own (what sampling a grid point
        and the local parabola of :func:`grid_theta_draws` need: a third of its cost per draw skipped).
        """
        linear = None if self.onehot is not None else \
            self.slope_sums[:, s] @ self.grid.T + self.intercept_sums[:, s][:, None]
        loglik = _loglik(self.model, self.grid, self.axis, self.loadings[s], self.d[s],
                         None if self.g is None else self.g[s], onehot=self.onehot, linear=linear, seen=self.seen,
                         wrong=None if self.wrong is None else self.wrong[s])
        unnorm = loglik + self.log_prior[s][None, :]
        return _log_normalised(unnorm) if normalise else unnorm


def _grid_posterior(model, responses, *, a, d, g, prior_cov) -> _GridPosterior:
    """The shared part of the grid posteriors of θ for every parameter draw (see :class:`_GridPosterior`)."""
    grid, axis = _grid(prior_cov.shape[-1], prior_cov)
    loadings = a if a.ndim == 3 else a[:, :, None]  # (S, I, D)
    num_draws, num_items, num_dims = loadings.shape
    answered = ~np.isnan(responses)
    onehot = seen = slope_sums = intercept_sums = None
    if model != "graded" and g is None:
        right = np.where(answered, responses, 0.0)
        slope_sums = (right @ loadings.transpose(1, 0, 2).reshape(num_items, -1)).reshape(-1, num_draws, num_dims)
        intercept_sums = right @ d.T  # (R, S)
        seen = None if answered.all() else answered.astype(float)
    else:
        onehot = _onehot(model, responses, d)
    wrong = _log_wrong_sums(loadings, d, axis) if onehot is None and seen is None else None
    precision = np.linalg.inv(prior_cov)
    _, logdet = np.linalg.slogdet(prior_cov)
    log_prior = -0.5 * np.einsum("gi,sij,gj->sg", grid, precision, grid) - 0.5 * logdet[:, None]
    return _GridPosterior(model, grid, axis, loadings, d, g, onehot, seen, slope_sums, intercept_sums, wrong,
                          log_prior)


def _log_posteriors(model, responses, *, a, d, g, prior_cov, normalise=True):
    """Yield (draw index, grid, axis, log posterior (R, G)) for each parameter draw (:class:`_GridPosterior`)."""
    posterior = _grid_posterior(model, responses, a=a, d=d, g=g, prior_cov=prior_cov)
    with single_threaded_blas():  # many small products
        for s in range(posterior.num_draws):
            yield s, posterior.grid, posterior.axis, posterior.log_posterior(s, normalise=normalise)


def grid_scores(
    model: str,
    responses: np.ndarray,
    *,
    a: np.ndarray,
    d: np.ndarray,
    g: np.ndarray | None,
    prior_cov: np.ndarray,
    level: float,
) -> dict[str, np.ndarray]:
    """Posterior mean, sd and equal-tailed interval of θ for each row of ``responses``.

    Parameters
    ----------
    model : str
        Model name.
    responses : numpy.ndarray
        (R, I) responses aligned to the fitted items, NaN where not answered.
    a : numpy.ndarray
        Slope draws (S, I) or loading draws (S, I, D).
    d : numpy.ndarray
        Intercept draws (S, I) or threshold draws (S, I, K-1).
    g : numpy.ndarray or None
        Lower asymptote draws (S, I).
    prior_cov : numpy.ndarray
        Latent covariance draws (S, D, D).
    level : float
        Interval level.

    Returns
    -------
    dict
        ``estimate``, ``sd``, ``lower``, ``upper``, each (R, D).
    """
    num_dims = prior_cov.shape[-1]
    log_mix = None
    for _, grid, axis, log_post in _log_posteriors(model, responses, a=a, d=d, g=g, prior_cov=prior_cov):
        log_mix = log_post if log_mix is None else np.logaddexp(log_mix, log_post)
    weights = np.exp(log_mix - logsumexp(log_mix, axis=1, keepdims=True))  # (R, G), mixture over draws
    estimate = weights @ grid
    sd = np.sqrt(np.clip(weights @ grid**2 - estimate**2, 0.0, None))
    tail = (1.0 - level) / 2.0
    lower, upper = np.empty_like(estimate), np.empty_like(estimate)
    marginal_shape = (weights.shape[0],) + (len(axis),) * num_dims
    for k in range(num_dims):
        marginal = weights.reshape(marginal_shape).sum(axis=tuple(j + 1 for j in range(num_dims) if j != k))
        cdf = np.cumsum(marginal, axis=1)
        lower[:, k] = [np.interp(tail, c, axis) for c in cdf]
        upper[:, k] = [np.interp(1.0 - tail, c, axis) for c in cdf]
    return {"estimate": estimate, "sd": sd, "lower": lower, "upper": upper}


def grid_theta_draws(
    model: str,
    responses: np.ndarray,
    *,
    a: np.ndarray,
    d: np.ndarray,
    g: np.ndarray | None,
    prior_cov: np.ndarray,
    seed: int,
    workers: int | None = None,
) -> np.ndarray:
    """One θ draw per respondent and parameter draw from the grid posterior, shape (S, R, D).

    A grid point is drawn from the posterior weights (:func:`_categorical`) and jittered uniformly
    within its cell. In one dimension, a respondent whose posterior is narrower than the grid's spacing
    (thousands of items each: sd 0.025 at 10,000 items against a spacing of 0.075) is drawn from a finer
    grid of its own instead (:func:`_refined_draws`), so the draws keep the posterior's shape at any
    number of items.

    The parameter draws are taken in blocks of ``_DRAWS_PER_STREAM``, each with a random stream of its
    own spawned from ``seed``, and the blocks run on ``workers`` threads (None: one per core this process
    may use, at most ``_MAX_WORKERS``, fewer where the respondents' arrays would take more than
    ``_WORKER_MEMORY_BYTES``): the result depends on ``seed`` alone, not on the threads.
    """
    posterior = _grid_posterior(model, responses, a=a, d=d, g=g, prior_cov=prior_cov)
    num_draws = posterior.num_draws
    out = np.empty((num_draws, responses.shape[0], prior_cov.shape[-1]))
    blocks = [range(start, min(start + _DRAWS_PER_STREAM, num_draws))
              for start in range(0, num_draws, _DRAWS_PER_STREAM)]
    streams = np.random.SeedSequence(seed).spawn(len(blocks))

    def draw_block(block: int) -> None:
        rng = np.random.default_rng(streams[block])
        for s in blocks[block]:
            out[s] = _draws_from(posterior.log_posterior(s, normalise=False), posterior.grid, posterior.axis, rng)

    workers = min(len(blocks), _default_workers(log_post_bytes=8 * responses.shape[0] * len(posterior.grid))
                  if workers is None else workers)
    with single_threaded_blas():  # many small products
        if workers <= 1:
            for block in range(len(blocks)):
                draw_block(block)
        else:
            with concurrent.futures.ThreadPoolExecutor(workers) as pool:
                list(pool.map(draw_block, range(len(blocks))))  # NumPy releases the GIL in its array loops
    return out


#: Parameter draws per random stream of :func:`grid_theta_draws` (the unit its threads share out).
_DRAWS_PER_STREAM = 16
#: At most this many threads draw θ: NumPy holds the GIL between its calls, so 2 threads ran the draws
#: 1.3x faster than one and more would add little but memory.
_MAX_WORKERS = 4
#: Memory the threads' working arrays may take together (each thread holds about six arrays of one
#: draw's log posterior, respondents x grid points in float64).
_WORKER_MEMORY_BYTES = 2**30


def _default_workers(*, log_post_bytes: int) -> int:
    """Threads for :func:`grid_theta_draws`: one per core, at most ``_MAX_WORKERS`` and within the memory budget.

    Examples
    --------
    >>> _default_workers(log_post_bytes=8 * 1000 * 161) >= 1
    True
    >>> _default_workers(log_post_bytes=8 * 10**6 * 161)   # a million respondents: one thread
    1
    """
    return max(1, min(cores(), _MAX_WORKERS, _WORKER_MEMORY_BYTES // (6 * log_post_bytes)))


def _draws_from(log_post: np.ndarray, grid: np.ndarray, axis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One θ (R, D) per row of an unnormalised log posterior (R, G) on ``grid``."""
    step = axis[1] - axis[0]
    out = np.empty((log_post.shape[0], grid.shape[1]))
    wide = np.arange(log_post.shape[0])
    if grid.shape[1] == 1:
        mode, sd = _local_normal(log_post, axis)
        narrow = sd < step
        if narrow.any():
            out[narrow, 0] = _refined_draws(log_post[narrow], axis, mode[narrow], sd[narrow], rng)
        wide = np.flatnonzero(~narrow)
    if wide.size:
        pick = _categorical(log_post[wide], rng)
        out[wide] = grid[pick] + rng.uniform(-step / 2, step / 2, size=(wide.size, grid.shape[1]))
    return out


def _categorical(log_weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One column index per row, drawn with probability proportional to ``exp(log_weights)`` (inverse CDF).

    The weights relative to each row's largest are computed in float32 (NumPy's vectorised ``exp``, twice
    float64's speed here: each probability off by a relative 1e-7 at most) and summed in float64.
    """
    weights = np.empty(log_weights.shape, np.float32)
    np.subtract(log_weights, log_weights.max(axis=1, keepdims=True), out=weights, casting="same_kind")
    np.exp(weights, out=weights)
    cdf = np.cumsum(weights.astype(np.float64), axis=1)
    u = (1.0 - rng.random(len(cdf))) * cdf[:, -1]  # in (0, total]: a column of weight 0 is never drawn
    return np.minimum((cdf < u[:, None]).sum(axis=1), cdf.shape[1] - 1)


#: Points, and half-width in posterior sd, of a respondent's own grid when its posterior is narrower
#: than the common grid's spacing (:func:`_refined_draws`).
_FINE_POINTS, _FINE_HALF_WIDTH = 49, 6.0


def _local_normal(log_post: np.ndarray, axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mode and sd (R,) of the parabola through each row's highest grid point and its two neighbours.

    Exact for a normal posterior at any spacing; rows whose parabola does not open downwards get an
    infinite sd (they stay on the common grid).
    """
    step, rows = axis[1] - axis[0], np.arange(log_post.shape[0])
    k = np.clip(np.argmax(log_post, axis=1), 1, len(axis) - 2)
    left, centre, right = log_post[rows, k - 1], log_post[rows, k], log_post[rows, k + 1]
    bend = right - 2 * centre + left
    curved = bend < 0
    safe = np.where(curved, bend, -1.0)
    mode = axis[k] + np.where(curved, step * (left - right) / (2 * safe), 0.0)
    sd = np.where(curved, step / np.sqrt(-safe), np.inf)
    return mode, sd


def _refined_draws(log_post: np.ndarray, axis: np.ndarray, mode: np.ndarray, sd: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    r"""One draw per row from a grid of the row's own: ±6 sd around its mode in steps of sd / 4.

    The log posterior at the new points is the cubic through the four nearest points of the common
    grid, where it was computed exactly. It is a sum of smooth log-probabilities, so the error is of
    order :math:`h^4 \max|\ell''''| / 40` (about 1e-3 at 10,000 items and h = 0.075), and a normal
    posterior's quadratic is reproduced exactly: adaptive quadrature (Naylor & Smith, 1982).
    """
    step, num_points, rows = axis[1] - axis[0], len(axis), np.arange(log_post.shape[0])
    z = np.linspace(-_FINE_HALF_WIDTH, _FINE_HALF_WIDTH, _FINE_POINTS)
    points = mode[:, None] + sd[:, None] * z[None, :]  # (N, F)
    scaled = (points - axis[0]) / step
    j = np.clip(np.floor(scaled).astype(np.intp), 1, num_points - 3)
    t = scaled - j
    at = j + (rows * num_points)[:, None]  # flat positions of node j in log_post
    before, node, after, second = (np.take(log_post, at + offset) for offset in (-1, 0, 1, 2))
    # Newton's form of the cubic through the nodes j - 1, j, j + 1, j + 2
    slope = after - node
    bend = (after - 2 * node + before) / 2
    third = (second - 3 * after + 3 * node - before) / 6
    values = node + t * (slope + (t - 1) * (bend + (t + 1) * third))
    pick = _categorical(values, rng)
    fine_step = sd * (z[1] - z[0])
    return points[rows, pick] + rng.uniform(-0.5, 0.5, size=len(pick)) * fine_step
