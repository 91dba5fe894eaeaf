"""Honest marginal ML: a singular information matrix and estimates at a boundary are said, not hidden.

On uninformative data (few respondents, items that everybody answers alike, noise) marginal ML
drifts to the edge of the parameter space — a slope ``a`` near 0, which makes the difficulty
``b = -d / a`` run off to ±1e11, or a slope running to infinity — and the observed information is
singular, so plain inversion raises ``LinAlgError`` or gives standard errors of 1e9.

:func:`information_inverse` inverts the information where it is informative and gives ``NaN``
variances to the parameters it cannot pin down (never an exception); :func:`questionable` names
the items (and latent parameters) whose estimates are at a boundary or not identified, and
:func:`warn_questionable` issues one :class:`~irt.diagnostics.ConvergenceWarning` listing them
with what to try.

Examples
--------
>>> import numpy as np
>>> cov, lost = information_inverse(np.array([[2.0, 0.0], [0.0, 0.0]]))
>>> float(cov[0, 0]), bool(np.isnan(cov[1, 1])), lost.tolist()
(0.5, True, [False, True])
"""

from __future__ import annotations

import warnings

import numpy as np

from irt.diagnostics import ConvergenceWarning
from irt.mml.params import ParamLayout

__all__ = ["BOUNDS", "information_inverse", "questionable", "warn_questionable"]

#: Limits beyond which an estimate is reported as at a boundary: slopes, intercepts, standard errors
#: of slopes and intercepts, lower asymptotes, the Rasch latent variance, latent correlations.
BOUNDS = {"a_min": 0.02, "a_max": 15.0, "d_abs": 25.0, "sd_max": 50.0, "g_max": 0.95, "var_min": 1e-3, "r_abs": 0.995}

#: Eigenvalues of the information below this share of the largest are taken as zero (singular).
RELATIVE_TOLERANCE = 1e-10


def information_inverse(hessian: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Covariance of the estimates (inverse observed information) and which parameters it lost.

    When the information is positive definite this is its inverse. Otherwise the directions with
    an eigenvalue at or below ``RELATIVE_TOLERANCE`` times the largest are not estimable: the
    parameters taking part in them get ``NaN`` variances and covariances (``lost``), the others
    the inverse on the informative directions.
    """
    h = 0.5 * (np.asarray(hessian, dtype=np.float64) + np.asarray(hessian, dtype=np.float64).T)
    if not np.all(np.isfinite(h)):
        return np.full_like(h, np.nan), np.ones(len(h), dtype=bool)
    values, vectors = np.linalg.eigh(h)
    scale = max(float(np.max(np.abs(values))), 1e-300)
    bad = values <= RELATIVE_TOLERANCE * scale
    if not bad.any():
        return np.linalg.inv(h), np.zeros(len(h), dtype=bool)
    good = ~bad
    cov = (vectors[:, good] / values[good]) @ vectors[:, good].T
    lost = np.linalg.norm(vectors[:, bad], axis=1) > 1e-3
    cov[lost, :] = np.nan
    cov[:, lost] = np.nan
    return cov, lost


def _item_notes(layout: ParamLayout, estimate: np.ndarray, sd: np.ndarray, lost: np.ndarray, i: int) -> list[str]:
    notes: list[str] = []
    slopes = [int(k) for k in layout.slope_index[i] if k >= 0]
    thresholds = [int(k) for k in layout.threshold_index[i] if k >= 0]
    for k in slopes:
        a = float(estimate[k])
        if a < BOUNDS["a_min"]:
            notes.append(f"a = {a:.3g} at the boundary 0: the item does not discriminate, so b = -d/a is not identified")
        elif a > BOUNDS["a_max"]:
            notes.append(f"a = {a:.3g} runs off to infinity (the item splits respondents perfectly)")
    for k in thresholds:
        if abs(float(estimate[k])) > BOUNDS["d_abs"]:
            notes.append(f"{layout.names[k][1]} = {float(estimate[k]):.3g} runs off (nearly everybody answers alike)")
    if layout.guess_index is not None and float(estimate[layout.guess_index[i]]) > BOUNDS["g_max"]:
        notes.append(f"g = {float(estimate[layout.guess_index[i]]):.3g} at the boundary 1")
    own = slopes + thresholds + ([int(layout.guess_index[i])] if layout.guess_index is not None else [])
    if any(lost[k] for k in own):
        notes.append("the information matrix is singular in its direction (no standard errors)")
    elif any(np.isfinite(sd[k]) and sd[k] > BOUNDS["sd_max"] for k in slopes + thresholds):
        worst = max(float(sd[k]) for k in slopes + thresholds)
        notes.append(f"a standard error of {worst:.3g}")
    return notes


def questionable(layout: ParamLayout, estimate: np.ndarray, hessian: np.ndarray | None,
                 item_ids: tuple) -> dict[str, list[str]]:  # fmt: skip
    """Item (or ``(latent)``) label -> why its estimates are at a boundary or not identified."""
    estimate = np.asarray(estimate, dtype=np.float64)
    if hessian is None:
        lost = np.zeros(layout.size, dtype=bool)
        sd = np.full(layout.size, np.nan)
    else:
        cov, lost = information_inverse(hessian)
        sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
    found: dict[str, list[str]] = {}
    for i, label in enumerate(item_ids):
        if notes := _item_notes(layout, estimate, sd, lost, i):
            found[str(label)] = notes
    latent: list[str] = []
    if layout.variance_index >= 0 and float(estimate[layout.variance_index]) < BOUNDS["var_min"]:
        latent.append(f"the latent variance {float(estimate[layout.variance_index]):.3g} is at the boundary 0")
    for k in layout.correlation_index:
        if abs(float(estimate[k])) > BOUNDS["r_abs"]:
            latent.append(f"{layout.names[k][1]} = {float(estimate[k]):.4f} at the boundary ±1")
    if latent:
        found["(latent)"] = latent
    return found


def warn_questionable(found: dict[str, list[str]], *, stacklevel: int) -> None:
    """One :class:`ConvergenceWarning` naming every questionable item, with what to try."""
    if not found:
        return
    listed = "; ".join(f"{label}: {', '.join(notes)}" for label, notes in list(found.items())[:10])
    more = f" (and {len(found) - 10} more)" if len(found) > 10 else ""
    warnings.warn(
        f"marginal ML estimates of {len(found)} item(s) are at a boundary or not identified, so they and "
        f"their standard errors are not trustworthy — {listed}{more}. Try more respondents per item, "
        "dropping or merging these items, a simpler model ('2pl' instead of '3pl', '1pl' instead of '2pl'), "
        "or a fit with priors that keep estimates finite (irt.fit(data, model, method='nuts'))",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )
