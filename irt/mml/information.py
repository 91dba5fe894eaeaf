"""Item and test information and marginal reliability of unidimensional marginal ML fits.

Fisher information of item i at theta is ``sum_k (dP_ik/dtheta)^2 / P_ik`` (derivatives by JAX), which
gives ``a^2 P (1 - P)`` for the 2PL and the usual expressions for the 3PL and graded models. The test
information is the sum over items.

Marginal reliability (mirt's ``marginal_rxx``) is ``var / (var + E[1 / I(theta)])`` with the expectation
over the fitted latent distribution (variance ``var``: 1, or the Rasch latent variance), computed on the
fit's quadrature grid. Empirical reliability is ``var(EAP) / (var(EAP) + mean(PSD^2))`` over respondents.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from irt.errors import IRTError
from irt.mml.likelihood import item_log_probs, nodes_theta
from irt.mml.optimise import float64

__all__ = ["item_information", "information_table", "reliability", "RELIABILITY_KINDS"]

#: Kinds of reliability that :func:`reliability` computes.
RELIABILITY_KINDS: tuple[str, ...] = ("marginal", "empirical")


def _unidimensional(fit, what: str) -> None:
    if fit.problem.num_dimensions > 1:
        raise IRTError(f"{what} is implemented for unidimensional fits; this fit has "
                         f"{fit.problem.num_dimensions} dimensions")


def item_information(fit, theta: Any) -> np.ndarray:
    """Information of every item at every ``theta``: shape (len(theta), items)."""
    _unidimensional(fit, "information")
    grid = np.atleast_1d(np.asarray(theta, dtype=np.float64))
    if grid.ndim != 1 or not np.all(np.isfinite(grid)):
        raise IRTError(f"theta must be a finite number or 1-D array of numbers, got {theta!r}")
    cats = np.asarray(fit.problem.num_categories)
    with float64():
        arrays = fit.arrays()

        def probs(t):
            return jnp.exp(item_log_probs(fit.model, arrays, t[:, None]))

        p, dp = jax.jvp(probs, (jnp.asarray(grid),), (jnp.ones(len(grid)),))
        p, dp = np.asarray(p), np.asarray(dp)
    valid = (np.arange(p.shape[1])[None, :] < cats[:, None])[:, :, None] & (p > 1e-300)
    info = np.where(valid, dp ** 2 / np.where(valid, p, 1.0), 0.0).sum(axis=1)  # items x thetas
    return info.T


def information_table(fit, theta: Any) -> pd.DataFrame:
    """Tidy table: one row per theta with ``theta``, ``test`` information, its ``se`` and one column per item."""
    grid = np.atleast_1d(np.asarray(theta, dtype=np.float64))
    info = item_information(fit, grid)
    frame = pd.DataFrame(info, columns=list(fit.data.item_ids))
    frame.insert(0, "theta", grid)
    frame.insert(1, "test", info.sum(axis=1))
    frame.insert(2, "se", 1.0 / np.sqrt(info.sum(axis=1)))
    return frame


def reliability(fit, *, kind: str = "marginal") -> float:
    """Marginal (``"marginal"``) or empirical (``"empirical"``) reliability of the theta estimates."""
    if kind not in RELIABILITY_KINDS:
        raise IRTError(f"unknown reliability kind {kind!r}; choose one of {list(RELIABILITY_KINDS)}")
    _unidimensional(fit, "reliability")
    if kind == "empirical":
        table = fit.abilities(method="eap")
        var = float(np.var(table["estimate"]))
        return var / (var + float(np.mean(table["sd"] ** 2)))
    with float64():
        theta = np.asarray(nodes_theta(fit.arrays(), jnp.asarray(fit.nodes)))[:, 0]
    var = float(np.exp(fit.log_weights) @ theta ** 2)
    test = item_information(fit, theta).sum(axis=1)
    error = float(np.exp(fit.log_weights) @ (1.0 / test))
    return var / (var + error)
