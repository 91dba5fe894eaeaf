"""Marginal maximum likelihood: quasi-Newton on the exact JAX gradient, Newton polish, observed information.

The marginal log-likelihood (:mod:`irt.mml.likelihood`) is maximised over an unconstrained
parameterisation with SciPy's L-BFGS-B fed by a jitted ``jax.value_and_grad``; a few Newton steps
with the exact Hessian in the reported parameterisation then polish the optimum, and the same
Hessian (the observed information) gives standard errors and the covariance of the estimates.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize
from scipy.special import logit

from irt._host import single_threaded_blas
from irt.diagnostics import ConvergenceWarning
from irt.errors import IRTError, check_count, check_positive
from irt.inference.compiled import layout_key, program
from irt.mml.honesty import questionable, warn_questionable
from irt.mml.likelihood import compress, marginal_loglik, wide_codes
from irt.mml.params import ParamLayout, build_layout
from irt.mml.quadrature import default_points, normal_grid
from irt.problem import FitProblem

__all__ = ["Options", "run", "hessian_function", "float64"]


@dataclass(frozen=True)
class Options:
    """Settings of the marginal ML estimator (``irt.fit(..., method="mml", **options)``).

    Attributes
    ----------
    num_quadrature : int or None
        Gauss–Hermite nodes per latent dimension (product grid). Default 61 for one dimension, 31
        for two, 15 for three; beyond three dimensions it must be given.
    max_iterations : int
        Iteration limit of L-BFGS-B.
    tolerance : float
        Gradient tolerance (on the mean log-likelihood per respondent) of L-BFGS-B.
    newton_steps : int
        Newton steps with the exact Hessian after L-BFGS-B (0 to skip). The Hessian is evaluated
        at the L-BFGS-B optimum and again after the steps only if they moved some parameter by more
        than 1e-4.
    standard_errors : bool
        Compute the observed information (the Hessian) for standard errors; needed for ``sd``
        columns, ``covariance()``, M2 and Newton polishing.
    guess_prior : tuple of float or None
        ``(alpha, beta)`` of a Beta prior on the 3PL lower asymptotes (e.g. ``(5, 17)``), which keeps
        them off the boundary 0 where plain ML often puts them. The estimate is then a posterior mode
        for ``g``; ``loglik`` stays the marginal log-likelihood without the prior and the standard
        errors come from the Hessian of the penalised objective. Default: plain ML.
    """

    num_quadrature: int | None = None
    max_iterations: int = 1000
    tolerance: float = 1e-9
    newton_steps: int = 2
    standard_errors: bool = True
    guess_prior: tuple[float, float] | None = None

    def __post_init__(self):
        if self.num_quadrature is not None:
            check_count("num_quadrature", self.num_quadrature)
        check_count("max_iterations", self.max_iterations)
        check_positive("tolerance", self.tolerance)
        check_count("newton_steps", self.newton_steps, 0)
        if not isinstance(self.standard_errors, bool | np.bool_):
            raise IRTError(f"standard_errors={self.standard_errors!r} must be True or False")
        if self.guess_prior is not None:
            prior = self.guess_prior
            if isinstance(prior, str) or not hasattr(prior, "__len__") or len(prior) != 2:
                raise IRTError(f"guess_prior={prior!r} must be a pair (alpha, beta), e.g. (5, 17)")
            for value in prior:
                check_positive("guess_prior", value)


#: Newton polishing moves the estimate by at most this much before the Hessian is recomputed there.
_HESSIAN_REUSE = 1e-4


def float64():
    """Context manager enabling 64-bit JAX arithmetic (``jax.enable_x64``) for one computation."""
    return jax.enable_x64(True)


def hessian_function(fun, size: int, *, num_cells: int = 0, max_cells: float = 2e7, batch_size: int = 16):
    """Jitted exact Hessian in the first argument of ``fun(x, data)``, ``x`` a vector of length ``size``.

    Forward-over-reverse over all directions at once (``jax.hessian``) when ``num_cells * size``
    (patterns x nodes x parameters) stays below ``max_cells``; otherwise Hessian-vector products in
    batches of ``batch_size`` directions, so memory stays bounded on large problems.
    """
    if num_cells * size <= max_cells:
        full = jax.hessian(fun)

        def symmetric(x, data):
            h = full(x, data)
            return 0.5 * (h + h.T)

        return jax.jit(symmetric)
    grad = jax.grad(fun)

    def hess(x, data):
        def hvp(v):
            return jax.jvp(lambda y: grad(y, data), (x,), (v,))[1]

        rows = jax.lax.map(hvp, jnp.eye(size), batch_size=min(batch_size, size))
        return 0.5 * (rows + rows.T)

    return jax.jit(hess)


def starting_values(problem: FitProblem, layout: ParamLayout, codes: np.ndarray) -> np.ndarray:
    """Reported starting vector: slopes 1, intercepts from the (cumulative) proportions."""
    vec = np.zeros(layout.size)
    vec[layout.slope_index[layout.slope_index >= 0]] = 1.0
    for i, row in enumerate(layout.threshold_index):
        seen = codes[:, i][codes[:, i] >= 0]
        used = row[row >= 0]
        props = np.array([(seen >= k + 1).mean() for k in range(len(used))])
        start = 1.7 * logit(np.clip(props, 0.02, 0.98))
        start = np.minimum.accumulate(start - 0.1 * np.arange(len(used)))
        vec[used] = start
    if layout.guess_index is not None:
        vec[layout.guess_index] = 0.15
    if layout.variance_index >= 0:
        vec[layout.variance_index] = 1.0
    return vec


def run(problem: FitProblem, *, seed: int, options: Options):
    """Fit ``problem`` by marginal maximum likelihood and return an :class:`irt.mml.MMLFit`.

    ``seed`` is recorded only: the estimator is deterministic. ``info`` records ``compile_s`` (JAX
    compilation of the likelihood and its gradient), ``optimise_s`` (L-BFGS-B after compilation),
    ``hessian_s`` (observed information including its compilation, and Newton polishing).
    """
    from irt.mml.result import MMLFit

    started = time.perf_counter()
    num_points = default_points(problem.num_dimensions, options.num_quadrature)
    layout = build_layout(problem)
    codes = wide_codes(problem.data)
    patterns = compress(codes, layout.threshold_index.shape[1] + 1)
    z, log_w = normal_grid(problem.num_dimensions, num_points)
    with float64():
        # the data travel as arguments (not constants baked into the compiled program), padded to a
        # bucket of pattern counts with zero-count patterns, so that data sets of similar size share programs
        onehot, counts = _padded(patterns.onehot, patterns.counts)
        data = (jnp.asarray(onehot), jnp.asarray(counts), jnp.asarray(z), jnp.asarray(log_w))
        penalty = _guess_penalty(layout, options.guess_prior, problem.model)

        def negative(vec, data):
            return -marginal_loglik(vec, layout, problem.model, *data) + penalty(vec)

        x0 = jnp.asarray(layout.to_internal(starting_values(problem, layout, codes)))
        t0 = time.perf_counter()
        key = layout_key("irt.mml", problem.model, layout, options.guess_prior)
        compiled = _compile(layout, negative, x0, data, key=key)
        compile_s = time.perf_counter() - t0
        value_grad = compiled[0]
        t0 = time.perf_counter()
        solution = _maximise(*compiled, x0, float(patterns.counts.sum()), options)
        optimise_s = time.perf_counter() - t0
        estimate = np.asarray(compiled[1](jnp.asarray(solution.x)))
        t0 = time.perf_counter()
        hess, newton_taken = None, 0
        if options.standard_errors:
            hess_data = hessian_function(negative, layout.size, num_cells=patterns.onehot.shape[0] * len(log_w))

            def hess_fn(vec):
                return hess_data(vec, data)

            hess = np.asarray(hess_fn(jnp.asarray(estimate)))
            hessian_at = estimate
            for _ in range(options.newton_steps):
                candidate = _newton_step(value_grad, layout, estimate, hess)
                if candidate is None:
                    break
                estimate, newton_taken = candidate, newton_taken + 1
            if np.max(np.abs(estimate - hessian_at)) > _HESSIAN_REUSE:
                hess = np.asarray(hess_fn(jnp.asarray(estimate)))
        value, grad_final = value_grad(jnp.asarray(estimate))
        loglik = -float(value) + float(penalty(jnp.asarray(estimate)))
        hessian_s = time.perf_counter() - t0
    max_grad = float(np.max(np.abs(np.asarray(grad_final))))
    converged = bool(solution.success or max_grad < 1e-3)
    if not converged:
        warnings.warn(f"marginal ML did not converge ({solution.message}; largest gradient {max_grad:.3g}); "
                      "raise max_iterations or check for items that nearly everybody answers alike",
                      ConvergenceWarning, stacklevel=3)
    found = questionable(layout, estimate, hess, problem.data.item_ids)
    warn_questionable(found, stacklevel=3)
    info = {"seconds": time.perf_counter() - started, "compile_s": compile_s, "optimise_s": optimise_s,
            "hessian_s": hessian_s, "iterations": int(solution.nit), "function_evaluations": int(solution.nfev),
            "newton_steps": newton_taken, "converged": converged, "max_abs_gradient": max_grad,
            "num_patterns": int(len(patterns.counts)), "num_quadrature": num_points, "num_nodes": int(len(log_w)),
            "approximate": False, "guess_prior": options.guess_prior, "questionable": found}
    return MMLFit(problem=problem, method="mml", seed=int(seed), options=options, info=info, layout=layout,
                  estimate=estimate, hessian=hess, patterns=patterns, nodes=z, log_weights=log_w,
                  max_loglik=loglik)


def _guess_penalty(layout: ParamLayout, prior: tuple[float, float] | None, model: str):
    """Negative log Beta prior density of the lower asymptotes (0 when no prior is asked for)."""
    if prior is None:
        return lambda vec: 0.0
    alpha, beta = (float(v) for v in prior)
    if model != "3pl":
        raise IRTError(f"guess_prior applies to the 3pl model only, not {model!r}; leave it at None")
    if not (alpha >= 1 and beta >= 1):
        raise IRTError(f"guess_prior must be (alpha, beta) with both >= 1, got {prior!r}")

    def penalty(vec):
        g = vec[layout.guess_index]
        return -jnp.sum((alpha - 1) * jnp.log(g) + (beta - 1) * jnp.log1p(-g))

    return penalty


def _compile(layout: ParamLayout, negative, x0: jnp.ndarray, data: tuple, *, key):
    """Compile ahead of time: value and gradient in the reported parameterisation, the map from
    internal to reported values and its vector-Jacobian product (the chain rule for the optimiser).

    The programs are kept under ``key`` (everything ``negative`` closes over) with the shapes of the
    data (:mod:`irt.inference.compiled`): a later fit of the same layout and pattern bucket reuses
    them, and JAX's persistent compilation cache serves them to later processes."""
    reported0 = jax.eval_shape(layout.to_reported, x0)   # shapes only: nothing runs op by op
    with_data = program("mml_value_grad", key, lambda: jax.jit(jax.value_and_grad(negative)), (reported0, data))
    to_reported = program("mml_to_reported", key, lambda: jax.jit(layout.to_reported), (x0,))
    pullback = program("mml_pullback", key, lambda: jax.jit(lambda x, g: jax.vjp(layout.to_reported, x)[1](g)[0]),
                       (x0, reported0))

    def value_grad(vec):
        return with_data(vec, data)

    return value_grad, to_reported, pullback


def _padded(onehot: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Patterns padded with zero-count rows to the next bucket size (a power of 2^(1/4): at most 19% more).

    Examples
    --------
    >>> onehot, counts = _padded(np.ones((967, 3)), np.ones(967))
    >>> onehot.shape, float(counts.sum()), float(onehot[967:].sum())
    ((1024, 3), 967.0, 0.0)
    """
    size = len(counts)
    bucket = max(size, int(np.ceil(2.0 ** (np.ceil(4.0 * np.log2(max(size, 1))) / 4.0))))
    extra = bucket - size
    return (np.concatenate([onehot, np.zeros((extra,) + onehot.shape[1:], dtype=onehot.dtype)]),
            np.concatenate([counts, np.zeros(extra, dtype=counts.dtype)]))


def _maximise(value_grad, to_reported, pullback, x0: jnp.ndarray, num_respondents: float, options: Options):
    """L-BFGS-B over the internal parameters; the gradient is chained through ``to_reported`` by a VJP."""

    def scipy_fun(x):
        x = jnp.asarray(x)
        value, grad = value_grad(to_reported(x))
        return float(value) / num_respondents, np.asarray(pullback(x, grad), dtype=np.float64) / num_respondents

    with single_threaded_blas():
        return optimize.minimize(scipy_fun, np.asarray(x0), jac=True, method="L-BFGS-B",
                                 options={"maxiter": options.max_iterations, "gtol": options.tolerance,
                                          "ftol": 1e-15, "maxcor": 20})


def _newton_step(value_grad, layout: ParamLayout, estimate: np.ndarray, hess: np.ndarray) -> np.ndarray | None:
    """One Newton step in the reported parameterisation, or None if it does not improve a valid point."""
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return None
    value, grad = value_grad(jnp.asarray(estimate))
    step = np.linalg.solve(hess, np.asarray(grad))
    if np.max(np.abs(step)) < 1e-12:
        return None
    candidate = estimate - step
    if not _valid(layout, candidate):
        return None
    if float(value_grad(jnp.asarray(candidate))[0]) > float(value) + 1e-9:
        return None
    return candidate


def _valid(layout: ParamLayout, vec: np.ndarray) -> bool:
    """Whether a reported vector satisfies every constraint."""
    slopes = vec[layout.slope_index[layout.slope_index >= 0]]
    ok = bool(np.all(slopes > 0))
    for row in layout.threshold_index:
        used = vec[row[row >= 0]]
        ok &= bool(np.all(np.diff(used) < 0))
    if layout.guess_index is not None:
        g = vec[layout.guess_index]
        ok &= bool(np.all((g > 0) & (g < 1)))
    if layout.variance_index >= 0:
        ok &= bool(vec[layout.variance_index] > 0)
    if len(layout.correlation_index):
        dims = layout.q_matrix.shape[1]
        rows, cols = np.tril_indices(dims, -1)
        omega = np.eye(dims)
        omega[rows, cols] = vec[layout.correlation_index]
        omega[cols, rows] = vec[layout.correlation_index]
        ok &= bool(np.all(np.linalg.eigvalsh(omega) > 0))
    return ok
