"""Goodness of fit of marginal ML fits: M2, S-X², infit/outfit and Q3.

- **M2** (Maydeu-Olivares & Joe, 2006): a quadratic form in the residual univariate and bivariate
  margins ``p - pi`` (for polytomous items the margins of every category above 0), with weight
  ``C2 = Xi^-1 - Xi^-1 D (D' Xi^-1 D)^-1 D' Xi^-1`` where ``Xi`` is the covariance of the margins and
  ``D`` their Jacobian in the parameters; df = number of margins - number of parameters. For
  polytomous items this is the full M2, not mirt's collapsed ``M2*``. Complete data only.
- **S-X²** (Orlando & Thissen, 2000): per item, observed vs model-implied category proportions among
  respondents with each total score (Lord–Wingersky without the item), extreme scores left out and
  adjacent score groups pooled until every expected cell count reaches ``min_expected`` (default
  1); df = groups x (categories - 1) - the item's free parameters. Complete data only,
  unidimensional fits.
- **infit / outfit** mean squares from the residuals ``y - E[y | theta]`` at each respondent's EAP.
- **Q3** (Yen, 1984): correlations of those residuals between items.

References
----------
Maydeu-Olivares, A., & Joe, H. (2006). Limited information goodness-of-fit testing in
multidimensional contingency tables. *Psychometrika*, 71, 713–732.
Orlando, M., & Thissen, D. (2000). Likelihood-based item-fit indices for dichotomous item response
theory models. *Applied Psychological Measurement*, 24, 50–64.
Yen, W. M. (1984). Effects of local item dependence on the fit and equating performance of the
three-parameter logistic model. *Applied Psychological Measurement*, 8, 125–145.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from scipy import stats

from irt.errors import EstimationError, IRTError
from irt.mml.likelihood import item_log_probs, nodes_theta
from irt.mml.optimise import float64
from irt.mml.scoring import eap_scores, lord_wingersky

__all__ = ["m2", "item_fit", "sx2", "infit_outfit", "q3"]


def _require_complete(fit, what: str) -> None:
    if (fit.patterns.codes < 0).any():
        raise IRTError(f"{what} needs complete data, but some responses are missing; fit the complete cases "
                         "(drop respondents with missing answers) to compute it")


def _margins(fit) -> np.ndarray:
    """Univariate and bivariate margins as one-hot rows over items x categories (categories >= 1)."""
    width = fit.layout.threshold_index.shape[1] + 1
    cats = fit.problem.num_categories
    singles = [(i, k) for i in range(len(cats)) for k in range(1, int(cats[i]))]
    rows = [[s] for s in singles] + [[s, t] for s, t in itertools.combinations(singles, 2) if s[0] != t[0]]
    out = np.zeros((len(rows), len(cats) * width))
    for r, events in enumerate(rows):
        for i, k in events:
            out[r, i * width + k] = 1.0
    return out


def m2(fit) -> pd.Series:
    """M2 statistic, its degrees of freedom, p-value and RMSEA.

    Returns
    -------
    pandas.Series
        ``M2``, ``df``, ``p``, ``RMSEA``.

    Raises
    ------
    ValueError
        Missing responses, no standard errors, or fewer margins than parameters (df <= 0).
    """
    _require_complete(fit, "M2")
    margins = _margins(fit)
    num_margins, size = margins.shape[0], fit.layout.size
    df = num_margins - size
    if df <= 0:
        raise EstimationError(f"M2 has {num_margins} margins for {size} parameters (df = {df}); it needs more items")
    if num_margins > 3000:
        raise IRTError(f"M2 with {num_margins} univariate+bivariate margins is too large to compute here; "
                         "use item_fit() for item-level fit instead")
    width = margins.shape[1] // fit.data.num_items
    item_of = np.arange(margins.shape[1]) // width
    counts = fit.patterns.counts
    onehot = fit.onehot()
    observed = (counts @ (onehot @ margins.T == margins.sum(axis=1)[None, :])) / counts.sum()
    # intersections of margins: union of events, zero when they ask one item for two categories
    union = np.maximum(margins[:, None, :], margins[None, :, :])
    per_item = np.zeros((num_margins, num_margins, fit.data.num_items))
    np.add.at(per_item, (slice(None), slice(None), item_of), union)
    conflict = (per_item > 1).any(axis=2)
    with float64():
        z, log_w = jnp.asarray(fit.nodes), jnp.asarray(fit.log_weights)

        def margin_probs(vec, rows):
            arrays = fit.layout.unpack(vec)
            logp = item_log_probs(fit.model, arrays, nodes_theta(arrays, z)).reshape(-1, z.shape[0])
            return jnp.exp(jnp.asarray(rows) @ logp + log_w[None, :]).sum(axis=1)

        vec = jnp.asarray(fit.estimate)
        pi = np.asarray(margin_probs(vec, margins))
        jac = np.asarray(jax.jacfwd(margin_probs)(vec, margins))
        joint = np.asarray(margin_probs(vec, union.reshape(-1, union.shape[2]))).reshape(num_margins, num_margins)
    joint = np.where(conflict, 0.0, joint)
    xi = joint - np.outer(pi, pi)
    try:
        xi_inv = np.linalg.inv(xi)
        middle = np.linalg.inv(jac.T @ xi_inv @ jac)
    except np.linalg.LinAlgError:
        raise EstimationError(
            "M2 cannot be computed: the covariance of the fitted margins is singular, which happens when "
            "estimates sit at a boundary (see the fit's ConvergenceWarning and fit.info['questionable']); "
            "use more respondents or a simpler model, or judge the fit with item_fit() instead"
        ) from None
    c2 = xi_inv - xi_inv @ jac @ middle @ jac.T @ xi_inv
    resid = observed - pi
    n = float(counts.sum())
    value = float(n * resid @ c2 @ resid)
    rmsea = float(np.sqrt(max(value - df, 0.0) / (n * df)))
    return pd.Series({"M2": value, "df": df, "p": float(stats.chi2.sf(value, df)), "RMSEA": rmsea}, name="M2")


def _score_groups(num_resp: np.ndarray, expected_counts: np.ndarray, min_expected: float) -> list[list[int]]:
    """Pool adjacent score groups until each has every expected cell count >= ``min_expected``."""
    groups: list[list[int]] = []
    current: list[int] = []
    for s in range(len(num_resp)):
        current.append(s)
        if expected_counts[current].sum(axis=0).min() >= min_expected:
            groups.append(current)
            current = []
    if current:
        if groups:
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


def sx2(fit, *, min_expected: float = 1.0) -> pd.DataFrame:
    """Orlando–Thissen S-X² per item: columns ``item``, ``S_X2``, ``df``, ``p``."""
    _require_complete(fit, "S-X2")
    if fit.problem.num_dimensions > 1:
        raise IRTError("S-X2 is implemented for unidimensional fits only")
    cats = np.asarray(fit.problem.num_categories)
    with float64():
        arrays = fit.arrays()
        theta = nodes_theta(arrays, jnp.asarray(fit.nodes))
        logp = np.asarray(item_log_probs(fit.model, arrays, theta))
    valid = np.arange(logp.shape[1])[None, :] < cats[:, None]
    probs = np.where(valid[:, :, None], np.exp(logp), 0.0)
    w = np.exp(fit.log_weights)
    codes, counts = fit.patterns.codes, fit.patterns.counts
    scores = codes.sum(axis=1)
    max_score = int((cats - 1).sum())
    full = lord_wingersky(np.log(np.maximum(probs, 1e-300)) + np.where(valid[:, :, None], 0.0, -np.inf))
    denom = full @ w  # P(S = s)
    num_by_score = np.bincount(scores, weights=counts, minlength=max_score + 1)
    rows = []
    for i, label in enumerate(fit.data.item_ids):
        k_i = int(cats[i])
        others = np.delete(np.arange(len(cats)), i)
        rest = lord_wingersky(np.log(np.maximum(probs[others], 1e-300)) + np.where(valid[others][:, :, None], 0.0, -np.inf))
        inner = range(1, max_score)
        expected = np.zeros((len(inner), k_i))
        observed = np.zeros((len(inner), k_i))
        for r, s in enumerate(inner):
            for k in range(k_i):
                if 0 <= s - k < rest.shape[0]:
                    expected[r, k] = (probs[i, k] * rest[s - k]) @ w / denom[s]
                observed[r, k] = counts[(scores == s) & (codes[:, i] == k)].sum()
        n_s = num_by_score[1:max_score]
        groups = _score_groups(n_s, expected * n_s[:, None], min_expected)
        stat = 0.0
        for g in groups:
            e = (expected[g] * n_s[g, None]).sum(axis=0)
            o = observed[g].sum(axis=0)
            keep = e > 0
            stat += float((((o - e) ** 2)[keep] / e[keep]).sum())
        num_params = sum(1 for item, _ in fit.layout.names if item == label)
        df = len(groups) * (k_i - 1) - num_params
        p = float(stats.chi2.sf(stat, df)) if df > 0 else float("nan")
        rows.append((label, stat, df, p))
    return pd.DataFrame(rows, columns=["item", "S_X2", "df", "p"])


def _residuals(fit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pattern and item: residual ``y - E``, variance ``Var(y | EAP)``, observed mask."""
    cats = np.asarray(fit.problem.num_categories)
    with float64():
        arrays = fit.arrays()
        eap, _ = eap_scores(fit.model, arrays, fit.patterns.codes, fit.nodes, fit.log_weights)
        logp = np.asarray(item_log_probs(fit.model, arrays, jnp.asarray(eap)))  # items x K x patterns
    k = np.arange(logp.shape[1])[None, :, None]
    valid = (k[0, :, 0][None, :] < cats[:, None])[:, :, None]
    probs = np.where(valid, np.exp(logp), 0.0)
    mean = (probs * k).sum(axis=1).T
    var = (probs * k ** 2).sum(axis=1).T - mean ** 2
    codes = fit.patterns.codes
    seen = codes >= 0
    return np.where(seen, codes - mean, 0.0), var, seen


def infit_outfit(fit) -> pd.DataFrame:
    """Infit and outfit mean squares per item (expected value 1 under the model)."""
    resid, var, seen = _residuals(fit)
    w = fit.patterns.counts[:, None] * seen
    outfit = (w * resid ** 2 / np.maximum(var, 1e-12)).sum(axis=0) / w.sum(axis=0)
    infit = (w * resid ** 2).sum(axis=0) / (w * var).sum(axis=0)
    return pd.DataFrame({"item": list(fit.data.item_ids), "infit": infit, "outfit": outfit})


def item_fit(fit, *, min_expected: float = 1.0) -> pd.DataFrame:
    """S-X² (when the fit is unidimensional with complete data) and infit/outfit, one row per item."""
    table = infit_outfit(fit)
    if fit.problem.num_dimensions == 1 and not (fit.patterns.codes < 0).any():
        table = sx2(fit, min_expected=min_expected).merge(table, on="item")
    return table


def q3(fit) -> pd.DataFrame:
    """Yen's Q3 matrix (items x items) of residual correlations; the diagonal is 1."""
    resid, _, seen = _residuals(fit)
    counts = fit.patterns.counts
    num_items = resid.shape[1]
    out = np.eye(num_items)
    for i, j in itertools.combinations(range(num_items), 2):
        w = counts * seen[:, i] * seen[:, j]
        x, y = resid[:, i], resid[:, j]
        mx, my = w @ x / w.sum(), w @ y / w.sum()
        cov = w @ ((x - mx) * (y - my))
        out[i, j] = out[j, i] = cov / np.sqrt((w @ (x - mx) ** 2) * (w @ (y - my) ** 2))
    ids = list(fit.data.item_ids)
    return pd.DataFrame(out, index=pd.Index(ids, name="item"), columns=ids)
