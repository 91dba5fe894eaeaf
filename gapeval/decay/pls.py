"""The penalised least-squares system of a mixed model with independent random-effect terms, in JAX.

Every linear and generalized linear mixed model of :mod:`gapeval.decay` (REML in
:mod:`gapeval.decay.lmer`, the Laplace approximation in :mod:`gapeval.decay.glmer`) solves systems
with the matrix (Bates et al. 2015, *J. Stat. Softw.* 67(1), eq. 14–18)

    A = [ ΛᵀZᵀWZΛ + I   ΛᵀZᵀWX ]
        [ XᵀWZΛ          XᵀWX   ]

where ``Z`` holds the random-effect columns of every term, ``Λ = Λ(θ)`` is block diagonal with one
lower-triangular relative covariance factor ``T_j`` per level of term j, ``W`` is diagonal (ones for
a Gaussian model, the IRLS weights of a GLMM) and ``X`` are unpenalised dense columns (the fixed
effects, or none). ``θ`` concatenates the lower triangles of the ``T_j`` column by column (lme4's
order within a term).

lme4 factors ``A`` with a sparse Cholesky decomposition. Here the term with the most effects (the
items of a benchmark, say) is eliminated first: every row belongs to one level of it, so its block
of ``A`` is block diagonal with small ``k × k`` blocks ``D_l``; the rest (the other terms and ``X``)
is the dense Schur complement ``S = F − Eᵀ D⁻¹ E``, and ``log|A| = Σ_l log|D_l| + log|S|``. The
cost is linear in the number of rows and of eliminated levels and cubic in the size of ``S``. The
cross products are accumulated row by row with scatter-adds, never as dense ``Z``.

All functions are pure JAX (differentiable, jit-able) with the static :class:`Layout` as an argument;
call them with 64-bit arithmetic enabled (``jax.enable_x64``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from gapeval.decay.terms import TermDesign

__all__ = ["Layout", "Arrays", "Factor", "layout_of", "relative_factors", "scaled_values", "factorize", "rhs",
           "solve", "inv_quadratic", "random_part", "tril_order"]


def tril_order(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of a ``k × k`` lower triangle in column-major order (lme4's θ order).

    Examples
    --------
    >>> [tuple(int(v) for v in a) for a in tril_order(2)]
    [(0, 1, 1), (0, 0, 1)]
    """
    rows = [r for c in range(k) for r in range(c, k)]
    cols = [c for c in range(k) for _ in range(c, k)]
    return np.asarray(rows), np.asarray(cols)


@dataclass(frozen=True)
class Layout:
    """The static shape of a system: sizes of the terms, which one is eliminated, dense columns."""

    ks: tuple[int, ...]
    """Effects per level of each term."""
    num_levels: tuple[int, ...]
    """Levels of each term."""
    eliminated: int
    """Index of the term eliminated first (the one with the most effects)."""
    num_dense: int
    """Unpenalised dense columns in the system (the fixed effects, or 0)."""

    @property
    def num_theta(self) -> int:
        return sum(k * (k + 1) // 2 for k in self.ks)

    @property
    def others(self) -> tuple[int, ...]:
        """Indices of the terms that stay in the dense Schur complement."""
        return tuple(j for j in range(len(self.ks)) if j != self.eliminated)

    @property
    def offsets(self) -> dict[int, int]:
        """Offset of every non-eliminated term's effects within the dense block."""
        out, at = {}, 0
        for j in self.others:
            out[j] = at
            at += self.ks[j] * self.num_levels[j]
        return out

    @property
    def num_random_dense(self) -> int:
        """Random effects in the dense block."""
        return sum(self.ks[j] * self.num_levels[j] for j in self.others)

    @property
    def size_dense(self) -> int:
        """Size of the Schur complement: the other terms' effects and the dense columns."""
        return self.num_random_dense + self.num_dense


class Arrays(NamedTuple):
    """The data of a system (a JAX pytree)."""

    codes: tuple
    """Level codes of every term, each (n,)."""
    values: tuple
    """Column values of every term, each (n, k_j)."""
    columns: jnp.ndarray
    """(n, nnz) position in the dense block of every non-eliminated effect column of each row."""
    dense: jnp.ndarray
    """(n, num_dense) unpenalised columns."""


def layout_of(designs: tuple[TermDesign, ...], dense: np.ndarray) -> tuple[Layout, Arrays]:
    """The layout and arrays of the system for ``designs`` and dense columns ``dense`` (n × p, p ≥ 0)."""
    ks = tuple(d.k for d in designs)
    levels = tuple(d.num_levels for d in designs)
    eliminated = int(np.argmax([k * lev for k, lev in zip(ks, levels)]))
    layout = Layout(ks=ks, num_levels=levels, eliminated=eliminated, num_dense=int(dense.shape[1]))
    n = len(dense)
    cols = [layout.offsets[j] + designs[j].codes[:, None] * ks[j] + np.arange(ks[j])[None, :] for j in layout.others]
    columns = np.concatenate(cols, axis=1) if cols else np.zeros((n, 0), dtype=np.int64)
    arrays = Arrays(codes=tuple(jnp.asarray(d.codes) for d in designs),
                    values=tuple(jnp.asarray(d.values, dtype=jnp.float64) for d in designs),
                    columns=jnp.asarray(columns), dense=jnp.asarray(dense, dtype=jnp.float64))
    return layout, arrays


def relative_factors(theta: jnp.ndarray, layout: Layout) -> list[jnp.ndarray]:
    """The lower-triangular relative covariance factors ``T_j`` from ``θ``."""
    out, at = [], 0
    for k in layout.ks:
        rows, cols = tril_order(k)
        out.append(jnp.zeros((k, k), theta.dtype).at[rows, cols].set(theta[at:at + len(rows)]))
        at += len(rows)
    return out


def scaled_values(theta: jnp.ndarray, arrays: Arrays, layout: Layout) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Rows of ``ZΛ``: the eliminated term's (n, k_a) and the other terms' (n, nnz) non-zero values."""
    factors = relative_factors(theta, layout)
    scaled = [v @ t for v, t in zip(arrays.values, factors)]
    rest = [scaled[j] for j in layout.others]
    n = arrays.dense.shape[0]
    return scaled[layout.eliminated], (jnp.concatenate(rest, axis=1) if rest else jnp.zeros((n, 0)))


class Factor(NamedTuple):
    """``A`` factored by eliminating one term: its blocks' inverses, ``G = D⁻¹E``, chol(S), log|A|."""

    d_inv: jnp.ndarray
    g: jnp.ndarray
    s_chol: jnp.ndarray
    logdet: jnp.ndarray


def factorize(scaled: tuple, weights: jnp.ndarray, arrays: Arrays, layout: Layout) -> Factor:
    """Factor ``A`` at the rows' ``scaled`` values (:func:`scaled_values`) and ``weights``."""
    sv_a, sv_b = scaled
    a = layout.eliminated
    codes_a, k_a, levels_a = arrays.codes[a], layout.ks[a], layout.num_levels[a]
    m_rand, m = layout.num_random_dense, layout.size_dense
    wa = weights[:, None] * sv_a
    d = jnp.zeros((levels_a, k_a, k_a)).at[codes_a].add(wa[:, :, None] * sv_a[:, None, :]) + jnp.eye(k_a)
    e = jnp.zeros((levels_a, k_a, m))
    if m_rand:
        e = e.at[codes_a[:, None], :, arrays.columns].add(wa[:, None, :] * sv_b[:, :, None])
    if layout.num_dense:
        e = e.at[codes_a, :, m_rand:].add(wa[:, :, None] * arrays.dense[:, None, :])
    f = jnp.zeros((m, m))
    if m_rand:
        wb = weights[:, None] * sv_b
        f = f.at[arrays.columns[:, :, None], arrays.columns[:, None, :]].add(wb[:, :, None] * sv_b[:, None, :])
        f = f.at[jnp.arange(m_rand), jnp.arange(m_rand)].add(1.0)
        if layout.num_dense:
            cross = jnp.zeros((m_rand, layout.num_dense)).at[arrays.columns].add(
                wb[:, :, None] * arrays.dense[:, None, :])
            f = f.at[:m_rand, m_rand:].set(cross).at[m_rand:, :m_rand].set(cross.T)
    if layout.num_dense:
        f = f.at[m_rand:, m_rand:].set(arrays.dense.T @ (weights[:, None] * arrays.dense))
    d_chol = jnp.linalg.cholesky(d)
    d_inv = jnp.linalg.inv(d)
    g = jnp.einsum("lij,ljm->lim", d_inv, e)
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diagonal(d_chol, axis1=1, axis2=2)))
    s_chol = jnp.zeros((0, 0))
    if m:
        s = f - jnp.einsum("lkm,lkn->mn", e, g)
        s_chol = jnp.linalg.cholesky(0.5 * (s + s.T))
        logdet = logdet + 2.0 * jnp.sum(jnp.log(jnp.diagonal(s_chol)))
    return Factor(d_inv=d_inv, g=g, s_chol=s_chol, logdet=logdet)


def rhs(scaled: tuple, v: jnp.ndarray, arrays: Arrays, layout: Layout) -> tuple[jnp.ndarray, jnp.ndarray]:
    """``[ΛᵀZᵀv ; Xᵀv]`` split into the eliminated term's (levels, k) part and the dense block's part."""
    sv_a, sv_b = scaled
    a = layout.eliminated
    c_a = jnp.zeros((layout.num_levels[a], layout.ks[a])).at[arrays.codes[a]].add(v[:, None] * sv_a)
    c_b = jnp.zeros(layout.size_dense)
    if layout.num_random_dense:
        c_b = c_b.at[arrays.columns].add(v[:, None] * sv_b)
    if layout.num_dense:
        c_b = c_b.at[layout.num_random_dense:].set(arrays.dense.T @ v)
    return c_a, c_b


def _cho_solve(chol: jnp.ndarray, b: jnp.ndarray) -> jnp.ndarray:
    from jax.scipy.linalg import cho_solve

    return cho_solve((chol, True), b)


def solve(factor: Factor, c_a: jnp.ndarray, c_b: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    """``A⁻¹ c`` for ``c = (c_a, c_b)`` split as :func:`rhs` splits it."""
    if factor.s_chol.shape[0]:
        x_b = _cho_solve(factor.s_chol, c_b - jnp.einsum("lkm,lk->m", factor.g, c_a))
    else:
        x_b = c_b
    x_a = jnp.einsum("lij,lj->li", factor.d_inv, c_a) - jnp.einsum("lkm,m->lk", factor.g, x_b)
    return x_a, x_b


def inv_quadratic(factor: Factor, l_a: jnp.ndarray, l_b: jnp.ndarray) -> jnp.ndarray:
    """``ℓᵀ A⁻¹ ℓ`` for ``ℓ = (l_a, l_b)`` split as :func:`rhs` splits it."""
    x_a, x_b = solve(factor, l_a, l_b)
    return jnp.sum(l_a * x_a) + jnp.sum(l_b * x_b)


def schur_inverse(factor: Factor) -> jnp.ndarray:
    """``S⁻¹``: the block of ``A⁻¹`` of the non-eliminated effects and the dense columns."""
    return _cho_solve(factor.s_chol, jnp.eye(factor.s_chol.shape[0]))


def random_part(scaled: tuple, x_a: jnp.ndarray, x_b: jnp.ndarray, arrays: Arrays, layout: Layout) -> jnp.ndarray:
    """``ZΛu`` on every row for spherical effects ``u = (x_a, random part of x_b)``."""
    sv_a, sv_b = scaled
    out = jnp.sum(sv_a * x_a[arrays.codes[layout.eliminated]], axis=1)
    if layout.num_random_dense:
        out = out + jnp.sum(sv_b * x_b[arrays.columns], axis=1)
    return out
