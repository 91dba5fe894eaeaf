"""Satterthwaite degrees of freedom for fixed-effect contrasts of a REML-fitted linear mixed model.

For a contrast ``ℓᵀβ`` with variance ``v(φ) = ℓᵀ Cov(β̂; φ) ℓ`` at the variance parameters ``φ``,

    df = 2 v(φ̂)² / (∇v(φ̂)ᵀ A ∇v(φ̂)),    A = 2 H⁻¹,

where ``H`` is the Hessian of the REML deviance (−2 × REML log-likelihood) in ``φ`` — so ``A`` is the
asymptotic covariance of ``φ̂`` — and ``∇v`` the gradient of the contrast's variance. This is the
method of lmerTest (Kuznetsova, Brockhoff & Christensen 2017, *J. Stat. Softw.* 82(13)), with ``φ``
the lme4 parameterisation ``(vech(T), θ_vc, σ)`` of :mod:`gapeval.decay.reml`; both derivatives are
taken by central finite differences. Variance parameters on the boundary (a relative SD of zero) are
held fixed, as their sampling variance is not defined.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gapeval.decay.reml import REMLProblem, beta_covariance, boundary_mask, reml_deviance

__all__ = ["satterthwaite_df", "numerical_gradient", "numerical_hessian"]


def _steps(x: np.ndarray, rel: float) -> np.ndarray:
    return rel * np.maximum(np.abs(x), 1e-2)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, *, rel: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of ``f`` at ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> numerical_gradient(lambda v: float(v @ v), np.array([1.0, -2.0])).round(6)
    array([ 2., -4.])
    """
    x = np.asarray(x, dtype=float)
    h = _steps(x, rel)
    grad = np.empty_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h[i]
        grad[i] = (f(x + e) - f(x - e)) / (2 * h[i])
    return grad


def numerical_hessian(f: Callable[[np.ndarray], float], x: np.ndarray, *, rel: float = 1e-3) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x`` (symmetric by construction).

    Examples
    --------
    >>> import numpy as np
    >>> numerical_hessian(lambda v: float(v[0] ** 2 * v[1]), np.array([1.0, 3.0])).round(5)
    array([[6., 2.],
           [2., 0.]])
    """
    x = np.asarray(x, dtype=float)
    h = _steps(x, rel)
    k = len(x)
    f0 = f(x)
    hess = np.empty((k, k))
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        hess[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            val = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = val
    return hess


def satterthwaite_df(problem: REMLProblem, varpar: np.ndarray, contrasts: np.ndarray) -> np.ndarray:
    """Satterthwaite degrees of freedom for each row of ``contrasts`` (one contrast of ``β`` per row).

    Parameters
    ----------
    problem : REMLProblem
        Cross-products of the model (:func:`gapeval.decay.reml.problem_from_statsmodels`).
    varpar : ndarray
        Variance parameters at the REML optimum, ``(vech(T), θ_vc, σ)``.
    contrasts : ndarray, shape (k, p)
        Contrast vectors; the identity gives one df per fixed effect.

    Returns
    -------
    ndarray, shape (k,)
        Degrees of freedom, ``nan`` where the deviance's Hessian in the free variance parameters is
        not positive definite (the optimum is not a proper interior maximum).
    """
    varpar = np.asarray(varpar, dtype=float)
    contrasts = np.atleast_2d(np.asarray(contrasts, dtype=float))
    free = ~boundary_mask(problem, varpar)
    x0 = varpar[free]

    def embed(sub: np.ndarray) -> np.ndarray:
        full = varpar.copy()
        full[free] = sub
        return full

    hess = numerical_hessian(lambda v: reml_deviance(problem, embed(v)), x0)
    eig = np.linalg.eigvalsh(hess)
    if not np.all(np.isfinite(eig)) or eig.min() <= 1e-8 * max(abs(eig.max()), 1.0):
        return np.full(len(contrasts), np.nan)
    a_cov = 2.0 * np.linalg.inv(hess)
    out = np.empty(len(contrasts))
    for r, ell in enumerate(contrasts):
        def var_of(v: np.ndarray, ell: np.ndarray = ell) -> float:
            return float(ell @ beta_covariance(problem, embed(v)) @ ell)

        grad = numerical_gradient(var_of, x0)
        out[r] = 2.0 * var_of(x0) ** 2 / float(grad @ a_cov @ grad)
    return out
