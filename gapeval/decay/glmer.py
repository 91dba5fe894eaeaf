"""Logistic mixed models with any independent random-effect terms, by the Laplace approximation.

The model is glmer's (Bates et al. 2015; ``lme4::glmer(..., family = binomial)``, ``nAGQ = 1``):
``logit P(y = 1) = Xβ + ZΛ(θ)u`` with ``u ~ N(0, I)``. The marginal likelihood is approximated at the
conditional mode ``û(θ, β)`` of ``h(u) = −log p(y | u, β) + |u|²/2``:

    d(θ, β) = −2 log p(y | û, β) + |û|² + log|ΛᵀZᵀWZΛ + I|,

``W`` the Bernoulli variances at ``û``. ``û`` is found by Newton's method with step halving (penalised
IRLS) on the system of :mod:`gapeval.decay.pls`, warm-started from the previous evaluation. The
gradient of ``d`` is exact: JAX differentiates one Newton step taken from the (constant) mode, which
carries ``∂û/∂(θ, β)`` by the implicit function theorem. ``d`` is minimised over ``(θ, β)`` by
L-BFGS-B (θ's diagonal bounded below by zero). The covariance of ``β̂`` is the ``β`` block of
``2 H⁻¹``, ``H`` the Hessian of ``d`` in ``(θ, β)`` — glmer's default (``use.hessian = TRUE``) — taken
here as central differences of the exact gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from gapeval.decay.lmer import GRADIENT_TOL, SINGULAR_TOL, _factors_np, _slope_vectors, _start, lower_bounds, \
    minimize_bounded
from gapeval.decay.lmer import _modes as lme_modes
from gapeval.decay.terms import TermDesign

__all__ = ["GLMMFit", "fit_laplace"]

@dataclass(frozen=True, eq=False)
class GLMMFit:
    """A Laplace fit: the optimum and what the summaries need from it."""

    designs: tuple[TermDesign, ...]
    x_names: tuple[str, ...]
    theta: np.ndarray
    """Relative covariance parameters (the SDs and correlations of the effects, σ = 1)."""
    beta: np.ndarray
    beta_cov: np.ndarray
    modes: tuple[np.ndarray, ...]
    """Conditional modes ``b̂`` of every term, shape (levels, k)."""
    deviance: float
    """The Laplace deviance ``d(θ̂, β̂)`` (−2 × glmer's ``logLik``)."""
    converged: bool
    message: str
    nobs: int
    pev: dict
    """Conditional variance of ``contrastᵀβ̂ + b̂`` for every requested ``(term, level, column)``."""
    info: dict

    def covariance(self, j: int) -> np.ndarray:
        """Covariance matrix ``T_j T_jᵀ`` of term j's effects (logit scale)."""
        t = _factors_np(self.theta, tuple(d.k for d in self.designs))[j]
        return t @ t.T

    def prediction_sd(self, j: int, level: int, column: int) -> float:
        """Conditional SD of the requested ``contrastᵀβ̂ + b̂_{j, level, column}``."""
        return float(np.sqrt(max(self.pev[(j, level, column)], 0.0)))


def _log_lik(eta, y):
    import jax.numpy as jnp

    return jnp.sum(y * eta - jnp.logaddexp(0.0, eta))


def _newton_step(theta, beta, u_a, u_b, arrays, x, y, layout):
    """One Newton step for the conditional mode from ``u``: the direction, ``h(u)`` and the factor."""
    import jax
    import jax.numpy as jnp

    from gapeval.decay import pls

    scaled = pls.scaled_values(theta, arrays, layout)
    eta = x @ beta + pls.random_part(scaled, u_a, u_b, arrays, layout)
    mu = jax.nn.sigmoid(eta)
    factor = pls.factorize(scaled, mu * (1.0 - mu), arrays, layout)
    c_a, c_b = pls.rhs(scaled, y - mu, arrays, layout)
    d_a, d_b = pls.solve(factor, c_a - u_a, c_b - u_b)
    h = -_log_lik(eta, y) + 0.5 * (jnp.sum(u_a**2) + jnp.sum(u_b**2))
    return d_a, d_b, h, factor, scaled


def _objective_h(theta, beta, u_a, u_b, arrays, x, y, layout):
    import jax.numpy as jnp

    from gapeval.decay import pls

    scaled = pls.scaled_values(theta, arrays, layout)
    eta = x @ beta + pls.random_part(scaled, u_a, u_b, arrays, layout)
    return -_log_lik(eta, y) + 0.5 * (jnp.sum(u_a**2) + jnp.sum(u_b**2))


def _mode(theta, beta, u_a, u_b, arrays, x, y, layout):
    """The conditional mode ``û(θ, β)`` by Newton's method with step halving, from ``u``."""
    import jax
    import jax.numpy as jnp

    def cond(state):
        _, _, decrement, it = state
        return (decrement > 1e-10) & (it < 50)

    def body(state):
        u_a, u_b, _, it = state
        d_a, d_b, h0, _, _ = _newton_step(theta, beta, u_a, u_b, arrays, x, y, layout)

        def shorter(s):
            step, _ = s
            return step * 0.5, _objective_h(theta, beta, u_a + 0.5 * step * d_a, u_b + 0.5 * step * d_b,
                                            arrays, x, y, layout)

        def worse(s):
            step, h = s
            return (h > h0 + 1e-10 * jnp.abs(h0)) & (step > 1e-6)

        h1 = _objective_h(theta, beta, u_a + d_a, u_b + d_b, arrays, x, y, layout)
        step, h = jax.lax.while_loop(worse, shorter, (1.0, h1))
        return u_a + step * d_a, u_b + step * d_b, jnp.abs(h0 - h), it + 1

    u_a, u_b, _, _ = jax.lax.while_loop(cond, body, (u_a, u_b, jnp.inf, 0))
    return u_a, u_b


def _laplace(params, u_a, u_b, arrays, x, y, layout):
    """The Laplace deviance at ``params = (θ, β)``, differentiable through one Newton step from ``u``."""
    import jax
    import jax.numpy as jnp

    theta, beta = params[:layout.num_theta], params[layout.num_theta:]
    u_a, u_b = jax.lax.stop_gradient(u_a), jax.lax.stop_gradient(u_b)
    d_a, d_b, _, _, _ = _newton_step(theta, beta, u_a, u_b, arrays, x, y, layout)
    u_a, u_b = u_a + d_a, u_b + d_b
    _, _, h, factor, _ = _newton_step(theta, beta, u_a, u_b, arrays, x, y, layout)
    return 2.0 * h + factor.logdet


def _value_grad(params, u_a, u_b, arrays, x, y, layout):
    import jax

    theta, beta = params[:layout.num_theta], params[layout.num_theta:]
    u_a, u_b = _mode(theta, beta, u_a, u_b, arrays, x, y, layout)
    value, grad = jax.value_and_grad(_laplace)(params, u_a, u_b, arrays, x, y, layout)
    return value, grad, u_a, u_b


def _summary(params, u_a, u_b, l_a, l_b, arrays, x, y, layout, layout_x):
    """At the optimum: ``ℓᵀA⁻¹ℓ`` of the augmented (u, β) system for every row of ``(l_a, l_b)``."""
    import jax
    import jax.numpy as jnp

    from gapeval.decay import pls

    theta, beta = params[:layout.num_theta], params[layout.num_theta:]
    scaled = pls.scaled_values(theta, arrays, layout)
    mu = jax.nn.sigmoid(x @ beta + pls.random_part(scaled, u_a, u_b, arrays, layout))
    augmented = arrays._replace(dense=x)
    factor = pls.factorize(scaled, mu * (1.0 - mu), augmented, layout_x)
    return jax.vmap(lambda a, b: pls.inv_quadratic(factor, a, b))(l_a, l_b)


@lru_cache(maxsize=1)
def _compiled():
    """The jitted functions, built once (JAX keeps their programs per layout and data shape)."""
    import jax

    return (jax.jit(_value_grad, static_argnames=("layout",)),
            jax.jit(_summary, static_argnames=("layout", "layout_x")))


def _glm_start(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Logistic regression without random effects (IRLS; a small ridge keeps separated data finite)."""
    beta = np.zeros(x.shape[1])
    for _ in range(25):
        mu = 1.0 / (1.0 + np.exp(-(x @ beta)))
        w = np.clip(mu * (1 - mu), 1e-6, None)
        step = np.linalg.solve(x.T @ (w[:, None] * x) + 1e-6 * np.eye(x.shape[1]), x.T @ (y - mu) - 1e-6 * beta)
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def fit_laplace(y: np.ndarray, x: np.ndarray, x_names: tuple[str, ...], designs: tuple[TermDesign, ...],
                *, slopes: tuple[tuple[int, int, int, np.ndarray], ...] = ()) -> GLMMFit:
    """Fit the logistic mixed model ``y ~ x + terms`` by the Laplace approximation (glmer, nAGQ = 1).

    ``slopes`` lists ``(term, level, column, contrast)`` combinations ``contrastᵀβ + b_{term,level,column}``
    whose conditional variances the fit should compute (:meth:`GLMMFit.prediction_sd`).
    """
    import time

    import jax
    import jax.numpy as jnp
    from gapeval.decay import pls

    started = time.perf_counter()
    ks = tuple(d.k for d in designs)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    bounds = lower_bounds(ks) + [(None, None)] * x.shape[1]
    value_grad, summary = _compiled()
    with jax.enable_x64(True):
        layout, arrays = pls.layout_of(designs, np.zeros((len(y), 0)))
        xj, yj = jnp.asarray(x), jnp.asarray(y)
        warm = [jnp.zeros((layout.num_levels[layout.eliminated], ks[layout.eliminated])),
                jnp.zeros(layout.size_dense)]

        def evaluate(params):
            value, grad, u_a, u_b = value_grad(jnp.asarray(params), warm[0], warm[1], arrays, xj, yj, layout=layout)
            if np.isfinite(float(value)):
                warm[:] = [u_a, u_b]
            return float(value), np.asarray(grad, dtype=float)

        start = np.concatenate([_start(ks), _glm_start(x, y)])
        res = minimize_bounded(evaluate, start, bounds, ftol=1e-14, gtol=1e-8)
        params = np.asarray(res.x, dtype=float)
        value, grad = evaluate(params)
        mode = [np.asarray(v) for v in warm]
        free = np.array([not (b[0] is not None and p < SINGULAR_TOL) for p, b in zip(params, bounds)])
        hess = _hessian(evaluate, params, free, bounds)
        warm[:] = [jnp.asarray(v) for v in mode]
        evaluate(params)
        cov_all = 2.0 * np.linalg.pinv(hess)
        num_theta, p = layout.num_theta, x.shape[1]
        beta_cov = cov_all[-p:, -p:]  # the fixed effects are free and come last
        scaled_grad = np.abs(np.linalg.lstsq(hess, grad[free], rcond=None)[0]) if free.any() else np.zeros(0)
        layout_x = pls.layout_of(designs, x)[0]
        l_a, l_b = _slope_vectors(params[:num_theta], layout_x, slopes)
        pev = summary(jnp.asarray(params), warm[0], warm[1], jnp.asarray(l_a), jnp.asarray(l_b), arrays, xj, yj,
                      layout=layout, layout_x=layout_x) if slopes else []
    theta, beta = params[:num_theta], params[num_theta:]
    max_scaled = float(scaled_grad.max()) if scaled_grad.size else 0.0
    converged = max_scaled < GRADIENT_TOL and np.isfinite(value)
    message = "" if converged else (f"the Laplace optimiser (L-BFGS-B) stopped with a scaled gradient of "
                                    f"{max_scaled:.2g} (lme4 warns above {GRADIENT_TOL:g}; {res.message})")
    u_a, u_b = mode
    modes = lme_modes(theta, u_a, u_b, layout, designs)
    return GLMMFit(designs=designs, x_names=tuple(x_names), theta=theta, beta=beta, beta_cov=beta_cov, modes=modes,
                   deviance=value, converged=bool(converged), message=message, nobs=len(y),
                   pev={(t, lev, c): float(v) for (t, lev, c, _), v in zip(slopes, np.asarray(pev))},
                   info={"seconds": time.perf_counter() - started, "iterations": int(res.nit),
                         "evaluations": int(res.nfev), "max_scaled_gradient": max_scaled})


def _hessian(evaluate, params, free, bounds) -> np.ndarray:
    """Central differences of the exact gradient in the free parameters (one-sided at a bound)."""
    idx = np.flatnonzero(free)
    hess = np.zeros((len(idx), len(idx)))
    for row, i in enumerate(idx):
        h = 1e-4 * max(abs(params[i]), 1e-1)
        up, down = params.copy(), params.copy()
        up[i] += h
        down[i] -= h
        if bounds[i][0] is not None and down[i] < bounds[i][0]:
            down[i] = params[i]
            h_down = 0.0
        else:
            h_down = h
        hess[row] = (evaluate(up)[1][idx] - evaluate(down)[1][idx]) / (h + h_down)
    return 0.5 * (hess + hess.T)

