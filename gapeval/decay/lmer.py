"""Linear mixed models with any independent random-effect terms (crossed or nested), by REML.

The model is lme4's (Bates et al. 2015, *J. Stat. Softw.* 67(1)): ``y = Xβ + ZΛ(θ)u + ε`` with
``u ~ N(0, σ²I)`` and ``ε ~ N(0, σ²I)``, one lower-triangular relative covariance factor per term
(:mod:`gapeval.decay.pls`). The REML criterion with σ profiled out,

    d(θ) = log|A(θ)| + (n − p)(1 + log(2π r²(θ) / (n − p))),

(``A`` the augmented system of :mod:`gapeval.decay.pls`, ``r²`` the penalised residual sum of
squares) is minimised by L-BFGS-B on its exact JAX gradient, the diagonal of every ``T_j`` bounded
below by zero so that a boundary optimum (a zero variance, a correlation of ±1) is reached exactly.

Satterthwaite's degrees of freedom are lmerTest's (Kuznetsova et al. 2017): for a contrast ``ℓ``,
``df = 2 v² / (∇vᵀ A ∇v)`` with ``v(φ) = σ² ℓᵀ(XᵀV⁻¹X)⁻¹ℓ``, ``A = 2 H⁻¹`` and ``H`` the Hessian of
the REML deviance in ``φ = (θ, σ)`` — here exact (JAX), where lmerTest differentiates numerically.
Parameters on the boundary are held fixed (their derivatives vanish there).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from gapeval.decay.terms import TermDesign, format_terms

__all__ = ["LMEFit", "fit_reml", "singular_terms"]

#: lme4's tolerance of ``isSingular``: a diagonal element of a relative covariance factor below this.
SINGULAR_TOL = 1e-4
#: lme4's convergence check: the largest scaled gradient ``|H⁻¹g|`` allowed at the optimum.
GRADIENT_TOL = 2e-3


@dataclass(frozen=True, eq=False)
class LMEFit:
    """A REML fit: the optimum and what the summaries need from it."""

    designs: tuple[TermDesign, ...]
    x_names: tuple[str, ...]
    theta: np.ndarray
    """Relative covariance parameters (lme4's θ, terms in the order given)."""
    sigma: float
    beta: np.ndarray
    beta_cov: np.ndarray
    df: np.ndarray
    """Satterthwaite df of every fixed effect (NaN where the Hessian is not positive definite)."""
    modes: tuple[np.ndarray, ...]
    """Conditional modes ``b̂`` (BLUPs) of every term, shape (levels, k)."""
    reml_criterion: float
    converged: bool
    message: str
    nobs: int
    pev: dict
    """Prediction-error variance of ``contrastᵀβ̂ + b̂ − (contrastᵀβ + b)`` for every requested
    ``(term, level, column)`` (variance parameters held fixed)."""

    def covariance(self, j: int) -> np.ndarray:
        """Covariance matrix ``σ² T_j T_jᵀ`` of term j's effects."""
        t = _factors_np(self.theta, tuple(d.k for d in self.designs))[j]
        return self.sigma**2 * t @ t.T

    def prediction_sd(self, j: int, level: int, column: int) -> float:
        """Prediction-error SD of the requested ``contrastᵀβ̂ + b̂_{j, level, column}``."""
        return float(np.sqrt(max(self.pev[(j, level, column)], 0.0)))


def _factors_np(theta: np.ndarray, ks: tuple[int, ...]) -> list[np.ndarray]:
    from gapeval.decay.pls import tril_order

    out, at = [], 0
    for k in ks:
        rows, cols = tril_order(k)
        t = np.zeros((k, k))
        t[rows, cols] = theta[at:at + len(rows)]
        out.append(t)
        at += len(rows)
    return out


def lower_bounds(ks: tuple[int, ...]) -> list[tuple[float | None, None]]:
    """L-BFGS-B bounds of θ: diagonal elements of each factor at least 0, the others free."""
    from gapeval.decay.pls import tril_order

    bounds = []
    for k in ks:
        rows, cols = tril_order(k)
        bounds += [(0.0, None) if r == c else (None, None) for r, c in zip(rows, cols)]
    return bounds


def minimize_bounded(fun, x0: np.ndarray, bounds, *, ftol: float = 1e-15, gtol: float = 1e-10,
                     probes: tuple[float, ...] = (1e-3, 1e-2, 1e-1, 1.0)):
    """L-BFGS-B on ``fun`` (value and gradient), then out of stationary points on the bounds.

    The criteria are even in the last diagonal element of each relative covariance factor (flipping
    the sign of a column of ``T`` leaves ``TTᵀ`` unchanged), so its gradient vanishes at zero, and a
    gradient method that reaches zero stays there even when zero is a maximum along it (bobyqa, lme4's
    derivative-free optimiser, does not have this trap). Each coordinate at its lower bound is
    therefore probed at the values ``probes`` above it; when the criterion is lower at one of them the
    minimisation restarts from the best (at most three times).
    """
    from scipy.optimize import minimize

    options = {"ftol": ftol, "gtol": gtol, "maxiter": 2000}
    res = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
    for _ in range(3):
        start, best = res.x.copy(), res.fun
        for i, b in enumerate(bounds):
            if b[0] is None or res.x[i] > b[0] + 1e-12:
                continue
            for probe in probes:
                trial = res.x.copy()
                trial[i] = b[0] + probe
                value = fun(trial)[0]
                if value < best - 1e-9 * max(1.0, abs(best)):
                    best, start[i] = value, trial[i]
        if best >= res.fun:
            break
        res = minimize(fun, start, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
    return res


def singular_terms(theta: np.ndarray, designs: tuple[TermDesign, ...], *, tol: float = SINGULAR_TOL,
                   names: dict[str, str] | None = None) -> list[str]:
    """Terms whose relative covariance factor has a diagonal element below ``tol`` (lme4's ``isSingular``).

    ``names`` renames the columns and grouping factors in the messages (``m`` → ``model``).
    """
    names = names or {}
    out = []
    for design, t in zip(designs, _factors_np(theta, tuple(d.k for d in designs))):
        small = [names.get(c, c) for i, c in enumerate(design.term.columns) if t[i, i] < tol]
        if small:
            what = "a zero variance" if design.k == 1 else (
                f"a zero variance or a correlation of +/-1 ({', '.join(small)})")
            out.append(f"{format_terms((design.term,), names)}: {what}")
    return out


def _parts(theta, arrays, y, layout):
    import jax.numpy as jnp

    from gapeval.decay import pls

    scaled = pls.scaled_values(theta, arrays, layout)
    factor = pls.factorize(scaled, jnp.ones(y.shape[0]), arrays, layout)
    c_a, c_b = pls.rhs(scaled, y, arrays, layout)
    x_a, x_b = pls.solve(factor, c_a, c_b)
    r2 = jnp.sum(y * y) - jnp.sum(c_a * x_a) - jnp.sum(c_b * x_b)
    return factor, r2, x_a, x_b


def _criterion_parts(theta, arrays, y, layout):
    """``(log|A|, r²)`` at ``θ``: every REML quantity is a function of these two."""
    import jax.numpy as jnp

    factor, r2, _, _ = _parts(theta, arrays, y, layout)
    return jnp.stack([factor.logdet, r2])


def _summary(theta, l_a, l_b, arrays, y, layout):
    """At ``θ``: r², the solution, ``(XᵀV⁻¹X)⁻¹/σ²`` and ``ℓᵀA⁻¹ℓ`` for every row of ``(l_a, l_b)``."""
    import jax

    from gapeval.decay import pls

    factor, r2, x_a, x_b = _parts(theta, arrays, y, layout)
    fixed = pls.schur_inverse(factor)[layout.num_random_dense:, layout.num_random_dense:]
    pev = jax.vmap(lambda a, b: pls.inv_quadratic(factor, a, b))(l_a, l_b)
    return r2, x_a, x_b, fixed, pev


@lru_cache(maxsize=1)
def _compiled():
    """The jitted functions, built once (JAX keeps their programs per layout and data shape)."""
    import jax

    parts = jax.jit(lambda theta, arrays, y, layout: (_criterion_parts(theta, arrays, y, layout),
                                                      jax.jacrev(_criterion_parts)(theta, arrays, y, layout)),
                    static_argnames=("layout",))
    return parts, jax.jit(_summary, static_argnames=("layout",))


class _Criterion:
    """The REML criterion and its derivatives from ``(log|A|, r²)`` and their Jacobian."""

    def __init__(self, arrays, y, layout):
        import jax.numpy as jnp

        self.arrays, self.y, self.layout = arrays, jnp.asarray(y), layout
        self.dof = len(y) - layout.num_dense
        self.parts, self.summary_fn = _compiled()

    def evaluate(self, theta):
        import jax.numpy as jnp

        value, jac = self.parts(jnp.asarray(theta), self.arrays, self.y, layout=self.layout)
        return np.asarray(value, dtype=float), np.asarray(jac, dtype=float)

    def profiled(self, theta) -> tuple[float, np.ndarray]:
        """The REML criterion with σ profiled out, and its gradient."""
        (logdet, r2), jac = self.evaluate(theta)
        value = logdet + self.dof * (1.0 + np.log(2 * np.pi * r2 / self.dof))
        return float(value), jac[0] + self.dof / r2 * jac[1]

    def deviance(self, varpar) -> float:
        """−2 × the REML log-likelihood at ``(θ, σ)``."""
        (logdet, r2), _ = self.evaluate(varpar[:-1])
        sigma2 = varpar[-1] ** 2
        return float(logdet + self.dof * np.log(2 * np.pi * sigma2) + r2 / sigma2)

    def hessian(self, varpar, free) -> np.ndarray:
        """Hessian of :meth:`deviance` in the free parameters of ``(θ, σ)``.

        The σ rows are exact; the θ block is the central difference of the exact Jacobian.
        """
        theta, sigma = varpar[:-1], varpar[-1]
        (_, r2), jac = self.evaluate(theta)
        k = len(theta)
        hess = np.zeros((k + 1, k + 1))
        for i in range(k):
            h = 1e-5 * max(abs(theta[i]), 1e-2)
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            d_jac = (self.evaluate(up)[1] - self.evaluate(down)[1]) / (2 * h)
            hess[i, :k] = d_jac[0] + d_jac[1] / sigma**2
        hess[:k, :k] = 0.5 * (hess[:k, :k] + hess[:k, :k].T)
        hess[:k, k] = hess[k, :k] = -2.0 * jac[1] / sigma**3
        hess[k, k] = -2.0 * self.dof / sigma**2 + 6.0 * r2 / sigma**4
        return hess[np.ix_(free, free)]

    def summary(self, theta, l_a, l_b):
        import jax.numpy as jnp

        out = self.summary_fn(jnp.asarray(theta), jnp.asarray(l_a), jnp.asarray(l_b), self.arrays, self.y,
                              layout=self.layout)
        return tuple(np.asarray(v, dtype=float) for v in out)

    def fixed_cov_jacobian(self, varpar, empty) -> np.ndarray:
        """Derivatives of ``Cov(β̂) = σ²(XᵀV⁻¹X)⁻¹`` in ``(θ, σ)``, shape (p, p, len(varpar))."""
        theta, sigma = varpar[:-1], varpar[-1]
        fixed = self.summary(theta, *empty)[3]
        out = np.zeros(fixed.shape + (len(varpar),))
        for i in range(len(theta)):
            h = 1e-5 * max(abs(theta[i]), 1e-2)
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            out[:, :, i] = sigma**2 * (self.summary(up, *empty)[3] - self.summary(down, *empty)[3]) / (2 * h)
        out[:, :, -1] = 2.0 * sigma * fixed
        return out


def _start(ks: tuple[int, ...]) -> np.ndarray:
    from gapeval.decay.pls import tril_order

    return np.concatenate([(r == c).astype(float) for r, c in (tril_order(k) for k in ks)])


def fit_reml(y: np.ndarray, x: np.ndarray, x_names: tuple[str, ...], designs: tuple[TermDesign, ...],
             *, slopes: tuple[tuple[int, int, int, np.ndarray], ...] = ()) -> LMEFit:
    """Fit ``y ~ x + terms`` by REML, with Satterthwaite df for every fixed effect.

    ``slopes`` lists ``(term, level, column, contrast)`` combinations ``contrastᵀβ + b_{term,level,column}``
    whose prediction-error variances the fit should compute (:attr:`LMEFit.prediction_sd`).
    """
    import jax

    from gapeval.decay import pls

    ks = tuple(d.k for d in designs)
    bounds = lower_bounds(ks)
    with jax.enable_x64(True):
        layout, arrays = pls.layout_of(designs, np.asarray(x, dtype=float))
        crit = _Criterion(arrays, np.asarray(y, dtype=float), layout)
        res = minimize_bounded(crit.profiled, _start(ks), bounds)
        theta = np.asarray(res.x, dtype=float)
        jac = np.asarray(res.jac, dtype=float)
        projected = _projected_gradient(theta, jac, bounds)
        l_a, l_b = _slope_vectors(theta, layout, slopes)
        r2, x_a, x_b, fixed, pev = crit.summary(theta, l_a, l_b)
        sigma = float(np.sqrt(r2 / crit.dof))
        varpar = np.append(theta, sigma)
        free = np.append([not (b[0] is not None and t < SINGULAR_TOL) for t, b in zip(theta, bounds)], True)
        empty = (l_a[:0], l_b[:0])
        hess = crit.hessian(varpar, free)
        df = _satterthwaite(sigma**2 * fixed, hess, crit.fixed_cov_jacobian(varpar, empty)[..., free])
        criterion = crit.deviance(varpar)
    scaled = _scaled_gradient(hess, jac[free[:-1]])
    # L-BFGS-B often ends "ABNORMAL" at the precision limit of a tight ftol; the optimum is what counts
    converged = bool(res.success) or projected < 1e-4 or scaled < GRADIENT_TOL
    message = "" if converged else (f"the REML optimiser (L-BFGS-B) stopped without converging ({res.message}; "
                                    f"largest projected gradient {projected:.2g}, scaled gradient {scaled:.2g}, "
                                    f"lme4 warns above {GRADIENT_TOL:g})")
    variances = {key: sigma**2 * v for key, v in zip(((t, lev, c) for t, lev, c, _ in slopes), pev)}
    return LMEFit(designs=designs, x_names=tuple(x_names), theta=theta, sigma=sigma, beta=x_b[layout.num_random_dense:],
                  beta_cov=sigma**2 * fixed, df=df, modes=_modes(theta, x_a, x_b, layout, designs),
                  reml_criterion=criterion, converged=converged, message=message, nobs=len(y), pev=variances)


def _slope_vectors(theta, layout, slopes) -> tuple[np.ndarray, np.ndarray]:
    """The vectors ``ℓ`` of ``contrastᵀβ + b_{term,level,column}`` in the system's (u, β) space."""
    ks = layout.ks
    factors = _factors_np(theta, ks)
    a = layout.eliminated
    l_a = np.zeros((len(slopes), layout.num_levels[a], ks[a]))
    l_b = np.zeros((len(slopes), layout.size_dense))
    for i, (j, level, column, contrast) in enumerate(slopes):
        row = factors[j][column]  # b = T u: the column's effect is row `column` of T applied to u
        if j == a:
            l_a[i, level] = row
        else:
            at = layout.offsets[j] + level * ks[j]
            l_b[i, at:at + ks[j]] = row
        l_b[i, layout.num_random_dense:] = contrast
    return l_a, l_b


def _scaled_gradient(hess: np.ndarray, grad: np.ndarray) -> float:
    """lme4's convergence check ``max |H⁻¹g|`` of the profiled criterion in the free θ.

    ``hess`` is the Hessian of the deviance in the free ``(θ, σ)`` (σ last); profiling σ out leaves the
    Schur complement ``H_θθ − H_θσ H_σθ / H_σσ``.
    """
    if not len(grad):
        return 0.0
    h_tt, h_ts, h_ss = hess[:-1, :-1], hess[:-1, -1], hess[-1, -1]
    profiled = h_tt - np.outer(h_ts, h_ts) / h_ss
    return float(np.max(np.abs(np.linalg.lstsq(profiled, grad, rcond=None)[0])))


def _projected_gradient(theta: np.ndarray, grad: np.ndarray, bounds) -> float:
    """Largest gradient component that could still lower the criterion within the bounds."""
    at_bound = np.array([b[0] is not None and th <= b[0] + 1e-12 for th, b in zip(theta, bounds)])
    free = np.where(at_bound, np.minimum(grad, 0.0), grad)
    return float(np.max(np.abs(free))) if len(free) else 0.0


def _modes(theta, x_a, x_b, layout, designs) -> tuple[np.ndarray, ...]:
    """Conditional modes ``b = T u`` of every term, (levels, k) each."""
    factors = _factors_np(theta, tuple(d.k for d in designs))
    out = []
    for j, design in enumerate(designs):
        if j == layout.eliminated:
            u = np.asarray(x_a)
        else:
            at = layout.offsets[j]
            u = np.asarray(x_b[at:at + design.k * design.num_levels]).reshape(design.num_levels, design.k)
        out.append(u @ factors[j].T)
    return tuple(out)


def _satterthwaite(cov: np.ndarray, hess: np.ndarray, cov_jac: np.ndarray) -> np.ndarray:
    """lmerTest's df for every fixed effect from the Hessian and the Jacobian of Cov(β̂) (free parameters)."""
    eig = np.linalg.eigvalsh(hess) if hess.size else np.array([1.0])
    if not np.all(np.isfinite(eig)) or eig.min() <= 1e-8 * max(abs(eig.max()), 1.0):
        return np.full(len(cov), np.nan)
    a_cov = 2.0 * np.linalg.inv(hess)
    return np.array([2.0 * cov[i, i] ** 2 / float(cov_jac[i, i] @ a_cov @ cov_jac[i, i]) for i in range(len(cov))])
