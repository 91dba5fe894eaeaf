"""The REML criterion of a linear mixed model as an explicit function of its variance parameters.

statsmodels' ``MixedLM`` finds the REML optimum; this module re-evaluates the criterion (and the
quantities derived from it) at any value of the variance parameters, which is what Satterthwaite's
degrees of freedom and the prediction-error variances of the BLUPs need.

Model (lme4's notation, Bates et al. 2015): ``y = X β + Z b + ε`` with ``b = Λ u``,
``u ~ N(0, σ² I)`` and ``ε ~ N(0, σ² I)``. Groups are independent, so ``Z`` and ``Λ`` are block
diagonal. Within a group the random-effect columns come first (``k_re`` correlated effects whose
relative covariance factor is the lower-triangular ``T``) followed by the variance-component columns
(independent effects sharing one relative SD per component). The variance parameters are
``varpar = (vech(T), θ_vc, σ)`` — the parameterisation lmerTest uses — so the random-effect
covariance is ``σ² T Tᵀ`` and a variance component's variance is ``σ² θ²``.

The REML deviance (−2 × REML log-likelihood) is

    (n − p) log(2π σ²) + Σ_g log|M_g| + log|P| + r² / σ²,

with ``M_g = I + Λ_gᵀ Z_gᵀ Z_g Λ_g``, ``P = XᵀX − Σ_g A_gᵀ M_g⁻¹ A_g``, ``A_g = Λ_gᵀ Z_gᵀ X_g`` and
``r²`` the penalised residual sum of squares at the conditional optimum of ``β`` and ``u``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg


@dataclass(frozen=True, eq=False)
class Block:
    """Cross-products of one group's random-effects design with the data."""

    ztz: np.ndarray
    """``Z_gᵀ Z_g`` (q_g × q_g)."""
    ztx: np.ndarray
    """``Z_gᵀ X_g`` (q_g × p)."""
    zty: np.ndarray
    """``Z_gᵀ y_g`` (q_g,)."""
    vc_sizes: tuple[int, ...]
    """Number of columns of each variance component in this group."""


@dataclass(frozen=True, eq=False)
class REMLProblem:
    """Sufficient statistics of a linear mixed model, grouped, for repeated REML evaluations."""

    xtx: np.ndarray
    xty: np.ndarray
    yty: float
    n: int
    k_re: int
    k_vc: int
    blocks: tuple[Block, ...]

    @property
    def p(self) -> int:
        """Number of fixed effects."""
        return self.xtx.shape[0]

    @property
    def n_varpar(self) -> int:
        """Length of the variance-parameter vector ``(vech(T), θ_vc, σ)``."""
        return self.k_re * (self.k_re + 1) // 2 + self.k_vc + 1


def problem_from_statsmodels(model) -> REMLProblem:
    """Collect the cross-products of a statsmodels ``MixedLM`` model, group by group.

    Parameters
    ----------
    model : statsmodels.regression.mixed_linear_model.MixedLM
        The (fitted or unfitted) model; its ``exog``, ``exog_re``, ``exog_vc`` and ``row_indices``
        define the design.

    Returns
    -------
    REMLProblem
    """
    x = np.asarray(model.exog, dtype=float)
    y = np.asarray(model.endog, dtype=float)
    k_re, k_vc = int(model.k_re), int(model.k_vc)
    blocks = []
    for i, label in enumerate(model.group_labels):
        rows = np.asarray(model.row_indices[label])
        parts = [np.asarray(model.exog_re, dtype=float)[rows]] if k_re else []
        parts += [np.asarray(model.exog_vc.mats[j][i], dtype=float) for j in range(k_vc)]
        z = np.hstack(parts) if parts else np.zeros((len(rows), 0))
        sizes = tuple(int(model.exog_vc.mats[j][i].shape[1]) for j in range(k_vc))
        blocks.append(Block(z.T @ z, z.T @ x[rows], z.T @ y[rows], sizes))
    return REMLProblem(x.T @ x, x.T @ y, float(y @ y), len(y), k_re, k_vc, tuple(blocks))


def varpar_from_estimates(
    cov_re: np.ndarray, vcomp: np.ndarray, scale: float, *, k_re: int
) -> np.ndarray:
    """Variance parameters ``(vech(T), θ_vc, σ)`` from covariance estimates.

    A singular ``cov_re`` (an estimate on the boundary) is factored after adding a negligible ridge.
    """
    sigma = float(np.sqrt(scale))
    rel = np.asarray(cov_re, dtype=float).reshape(k_re, k_re) / scale
    try:
        t = np.linalg.cholesky(rel) if k_re else rel
    except np.linalg.LinAlgError:
        ridge = 1e-12 * max(float(np.trace(rel)), 1.0)
        w, v = np.linalg.eigh(rel)
        t = np.linalg.cholesky((v * np.clip(w, 0, None)) @ v.T + ridge * np.eye(k_re))
    theta_vc = np.sqrt(np.clip(np.asarray(vcomp, dtype=float), 0, None) / scale)
    return np.concatenate([t[np.tril_indices(k_re)], theta_vc, [sigma]])


def unpack(problem: REMLProblem, varpar: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Split ``varpar`` into ``(T, θ_vc, σ)``."""
    k = problem.k_re
    n_t = k * (k + 1) // 2
    t = np.zeros((k, k))
    t[np.tril_indices(k)] = varpar[:n_t]
    return t, np.asarray(varpar[n_t : n_t + problem.k_vc]), float(varpar[-1])


def boundary_mask(problem: REMLProblem, varpar: np.ndarray, *, tol: float = 1e-5) -> np.ndarray:
    """True for variance parameters that sit on the boundary (a relative SD of about zero)."""
    k = problem.k_re
    rows, cols = np.tril_indices(k)
    mask = np.zeros(problem.n_varpar, dtype=bool)
    mask[: len(rows)] = (rows == cols) & (np.abs(varpar[: len(rows)]) < tol)
    mask[len(rows) : -1] = np.abs(varpar[len(rows) : -1]) < tol
    return mask


def _lambda(t: np.ndarray, theta_vc: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
    diag = [np.full(s, th) for th, s in zip(theta_vc, sizes)]
    lam = linalg.block_diag(t, np.diag(np.concatenate(diag)) if diag else np.zeros((0, 0)))
    return lam


@dataclass(frozen=True, eq=False)
class State:
    """Everything the REML criterion, ``β̂`` and the BLUPs need at one value of ``varpar``."""

    sigma: float
    lambdas: tuple[np.ndarray, ...]
    chols: tuple[tuple[np.ndarray, bool], ...]
    a: tuple[np.ndarray, ...]
    av: tuple[np.ndarray, ...]
    p_mat: np.ndarray
    c_vec: np.ndarray
    s_val: float
    logdet_m: float


def state(problem: REMLProblem, varpar: np.ndarray) -> State:
    """Evaluate the per-group factorizations at ``varpar``."""
    t, theta_vc, sigma = unpack(problem, np.asarray(varpar, dtype=float))
    p_mat, c_vec, s_val = problem.xtx.copy(), problem.xty.copy(), problem.yty
    lambdas, chols, a_list, av_list, logdet = [], [], [], [], 0.0
    for block in problem.blocks:
        lam = _lambda(t, theta_vc, block.vc_sizes)
        m = np.eye(lam.shape[0]) + lam.T @ block.ztz @ lam
        cho = linalg.cho_factor(m, lower=True)
        a_mat, a_vec = lam.T @ block.ztx, lam.T @ block.zty
        m_inv_a = linalg.cho_solve(cho, a_mat)
        m_inv_av = linalg.cho_solve(cho, a_vec)
        p_mat -= a_mat.T @ m_inv_a
        c_vec -= a_mat.T @ m_inv_av
        s_val -= float(a_vec @ m_inv_av)
        logdet += 2.0 * float(np.sum(np.log(np.diag(cho[0]))))
        lambdas.append(lam)
        chols.append(cho)
        a_list.append(a_mat)
        av_list.append(a_vec)
    return State(sigma, tuple(lambdas), tuple(chols), tuple(a_list), tuple(av_list), p_mat, c_vec,
                 s_val, logdet)


def reml_deviance(problem: REMLProblem, varpar: np.ndarray) -> float:
    """−2 × the REML log-likelihood at ``varpar`` (lme4's "REML criterion")."""
    st = state(problem, varpar)
    cho_p = linalg.cho_factor(st.p_mat, lower=True)
    r2 = st.s_val - float(st.c_vec @ linalg.cho_solve(cho_p, st.c_vec))
    dof = problem.n - problem.p
    logdet_p = 2.0 * float(np.sum(np.log(np.diag(cho_p[0]))))
    return dof * np.log(2 * np.pi * st.sigma**2) + st.logdet_m + logdet_p + r2 / st.sigma**2


def fixed_effects(problem: REMLProblem, varpar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GLS estimate ``β̂`` and its covariance ``σ² P⁻¹`` at ``varpar``."""
    st = state(problem, varpar)
    p_inv = np.linalg.inv(st.p_mat)
    return p_inv @ st.c_vec, st.sigma**2 * p_inv


def beta_covariance(problem: REMLProblem, varpar: np.ndarray) -> np.ndarray:
    """Covariance of ``β̂`` at ``varpar``."""
    return fixed_effects(problem, varpar)[1]


def blups(problem: REMLProblem, varpar: np.ndarray) -> list[np.ndarray]:
    """Conditional modes ``b̂_g = Λ_g û_g`` of each group's random effects (all columns)."""
    st = state(problem, varpar)
    beta = np.linalg.solve(st.p_mat, st.c_vec)
    return [
        lam @ linalg.cho_solve(cho, av - a @ beta)
        for lam, cho, a, av in zip(st.lambdas, st.chols, st.a, st.av)
    ]


def group_effect(
    problem: REMLProblem, varpar: np.ndarray, *, group: int, contrast: np.ndarray, column: int
) -> tuple[float, float]:
    """Estimate and prediction-error SD of ``cᵀβ + b_{g,k}`` (a fixed effect plus one BLUP).

    The variance is that of ``cᵀβ̂ + b̂_{g,k} − (cᵀβ + b_{g,k})`` from the inverse of Henderson's
    mixed-model equations, ``σ² [wᵀM⁻¹w + (c − AᵀM⁻¹w)ᵀ P⁻¹ (c − AᵀM⁻¹w)]`` with ``w = Λ_gᵀ e_k``;
    it accounts for the estimation of ``β`` and treats the variance parameters as known.
    """
    st = state(problem, varpar)
    contrast = np.asarray(contrast, dtype=float)
    beta = np.linalg.solve(st.p_mat, st.c_vec)
    lam, cho, a_mat, a_vec = st.lambdas[group], st.chols[group], st.a[group], st.av[group]
    b_hat = lam @ linalg.cho_solve(cho, a_vec - a_mat @ beta)
    w = lam[column, :]
    m_inv_w = linalg.cho_solve(cho, w)
    d = contrast - a_mat.T @ m_inv_w
    var = st.sigma**2 * (float(w @ m_inv_w) + float(d @ np.linalg.solve(st.p_mat, d)))
    return float(contrast @ beta + b_hat[column]), float(np.sqrt(max(var, 0.0)))


def profiled_deviance(problem: REMLProblem, theta: np.ndarray) -> tuple[float, float]:
    """REML deviance with σ profiled out, and the profiled σ, at ``theta = (vech(T), θ_vc)``.

    ``M``, ``P`` and ``r²`` do not depend on σ, so ``σ̂² = r² / (n − p)`` and the deviance is
    ``(n − p)(1 + log(2π σ̂²)) + Σ log|M_g| + log|P|`` (lme4's profiled REML criterion).
    """
    st = state(problem, np.append(np.asarray(theta, dtype=float), 1.0))
    cho_p = linalg.cho_factor(st.p_mat, lower=True)
    r2 = st.s_val - float(st.c_vec @ linalg.cho_solve(cho_p, st.c_vec))
    dof = problem.n - problem.p
    sigma2 = max(r2, 1e-300) / dof
    logdet_p = 2.0 * float(np.sum(np.log(np.diag(cho_p[0]))))
    return dof * (1.0 + np.log(2 * np.pi * sigma2)) + st.logdet_m + logdet_p, float(np.sqrt(sigma2))


def optimize(problem: REMLProblem, start: np.ndarray) -> tuple[np.ndarray, bool]:
    """Minimise the profiled REML deviance from ``start`` (a full ``varpar``) by bounded L-BFGS-B.

    Diagonal elements of ``T`` and the variance-component ratios are bounded below by zero, so a
    boundary optimum (a zero variance, a correlation of ±1) is reached exactly rather than
    approached. Returns the full ``varpar`` (σ profiled) and whether the optimiser converged.
    """
    from scipy.optimize import minimize

    k = problem.k_re
    rows, cols = np.tril_indices(k)
    bounds = [(0.0, None) if r == c else (None, None) for r, c in zip(rows, cols)]
    bounds += [(0.0, None)] * problem.k_vc
    theta0 = np.asarray(start, dtype=float)[:-1].copy()
    theta0[[i for i, b in enumerate(bounds) if b[0] == 0.0]] = np.abs(
        theta0[[i for i, b in enumerate(bounds) if b[0] == 0.0]]
    )
    res = minimize(lambda th: profiled_deviance(problem, th)[0], theta0, method="L-BFGS-B",
                   bounds=bounds, options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 2000})
    sigma = profiled_deviance(problem, res.x)[1]
    return np.append(res.x, sigma), bool(res.success) or _stationary(problem, res.x, bounds)


def _stationary(problem: REMLProblem, theta: np.ndarray, bounds, *, tol: float = 1e-3) -> bool:
    """Whether the projected central-difference gradient of the profiled deviance is below ``tol``.

    L-BFGS-B reports an abnormal line search when started at the optimum (finite-difference noise);
    this check accepts such a point.
    """
    def f(th: np.ndarray) -> float:
        return profiled_deviance(problem, th)[0]

    grad = np.empty_like(theta)
    for i in range(len(theta)):
        h = 1e-5 * max(abs(theta[i]), 1e-2)
        bounded = bounds[i][0] == 0.0
        e = np.zeros_like(theta)
        e[i] = h
        if bounded and theta[i] < h:
            # at the bound only a descent into the interior counts
            grad[i] = min((f(theta + e) - f(theta)) / h, 0.0)
        else:
            grad[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return bool(np.max(np.abs(grad)) < tol)
