"""Every ArviZ call of the package lives here, so a move to ArviZ 1.x changes one file.

Arrays are computed elsewhere; this module attaches labels (coords and dims) and asks ArviZ for
R-hat, effective sample sizes and PSIS-LOO.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["to_inference_data", "convergence_table", "arviz_convergence_table", "rank_diagnostics", "STATISTICS",
           "loo_compare", "loo"]

#: The statistics of :func:`rank_diagnostics`, in the order of :func:`convergence_table`'s columns.
STATISTICS: tuple[str, ...] = ("r_hat", "ess_bulk", "ess_tail", "r_hat_bulk", "r_hat_folded", "ess_folded")


def _arviz():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ArviZ is undergoing a major refactor", category=FutureWarning)
        import arviz

    return arviz


def to_inference_data(
    *,
    posterior: Mapping[str, np.ndarray],
    sample_stats: Mapping[str, np.ndarray] | None,
    log_likelihood: np.ndarray | None,
    observed: np.ndarray,
    constant_data: Mapping[str, np.ndarray],
    coords: Mapping[str, Any],
    dims: Mapping[str, list[str]],
    attrs: Mapping[str, Any],
):
    """Build an ``arviz.InferenceData`` with labelled coordinates.

    Parameters
    ----------
    posterior : mapping
        Site name -> array of shape (chain, draw, ...).
    sample_stats : mapping or None
        e.g. ``diverging`` (chain, draw).
    log_likelihood : numpy.ndarray or None
        Pointwise log-likelihood (chain, draw, response).
    observed : numpy.ndarray
        Observed responses (response,).
    constant_data : mapping
        Index arrays such as ``respondent_code`` and ``item_code`` (response,).
    coords, dims : mapping
        ArviZ coordinates and dimension names per variable.
    attrs : mapping
        Attributes stored on every group (method, model, seed, ...).
    """
    az = _arviz()
    groups: dict[str, Any] = {
        "posterior": dict(posterior),
        "observed_data": {"y": observed},
        "constant_data": dict(constant_data),
    }
    if sample_stats:
        groups["sample_stats"] = dict(sample_stats)
    if log_likelihood is not None:
        groups["log_likelihood"] = {"y": log_likelihood}
    all_dims = dict(dims)
    all_dims["y"] = ["response"]
    for name in constant_data:
        all_dims[name] = ["response"]
    idata = az.from_dict(**groups, coords=dict(coords), dims=all_dims, attrs=dict(attrs))
    return idata


def convergence_table(posterior: Mapping[str, np.ndarray], *, var_names: list[str]) -> pd.DataFrame:
    """R-hat and ESS for every scalar of ``var_names``: ArviZ 0.23's statistics, all scalars at once.

    The columns (:data:`STATISTICS` after ``site`` and ``index``) are those of ``arviz.rhat``
    (``r_hat``: rank-normalised split R-hat, the larger of ``r_hat_bulk``, ``method="z_scale"``, and
    ``r_hat_folded``, ``method="folded"``) and ``arviz.ess`` (``ess_bulk``, ``ess_tail`` and
    ``ess_folded``: ``method="bulk"``, ``"tail"`` and ``"folded"``) to rounding (Vehtari et al. 2021);
    ArviZ computes them one scalar at a time in Python, :func:`rank_diagnostics` over every scalar of
    every site in one pass of NumPy (:func:`arviz_convergence_table` is ArviZ's own, the reference of
    the tests). Scalars without an R-hat (unused thresholds, constant or NaN draws) are dropped. With a
    single chain the ``r_hat`` column is NaN and only scalars without an ESS are dropped. Rows are
    ordered by site name, then by the scalar's flat (C-order) index within its site.
    """
    names = sorted(k for k in var_names if k in posterior)
    blocks = [np.asarray(posterior[k]) for k in names]
    rows = []
    for name, draws in zip(names, blocks):
        stats = rank_diagnostics(draws.reshape(draws.shape[0], draws.shape[1], -1))
        rows.append(pd.DataFrame({"site": name, "index": np.arange(stats["r_hat"].size),
                                  **{column: stats[column] for column in STATISTICS}}))
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["site", "index", *STATISTICS])
    single_chain = all(draws.shape[0] == 1 for draws in blocks)
    return table.dropna(subset=["ess_bulk" if single_chain else "r_hat"]).reset_index(drop=True)


def arviz_convergence_table(posterior: Mapping[str, np.ndarray], *, var_names: list[str]) -> pd.DataFrame:
    """:func:`convergence_table` computed by ArviZ itself (``arviz.rhat`` and ``arviz.ess``, one scalar at a time).

    The reference that :func:`convergence_table`'s numbers are tested against
    (``tests/irt/test_irt_rank_diagnostics.py``); seconds at the AI shape where
    :func:`convergence_table` takes a fraction of one (``benchmarks/irt/RESULTS.md``, sixth session).
    """
    az = _arviz()
    dataset = az.convert_to_dataset({k: posterior[k] for k in var_names if k in posterior})
    rows = []
    for stat, fn in (("r_hat", az.rhat), ("ess_bulk", lambda d: az.ess(d, method="bulk")),
                     ("ess_tail", lambda d: az.ess(d, method="tail")),
                     ("r_hat_bulk", lambda d: az.rhat(d, method="z_scale")),
                     ("r_hat_folded", lambda d: az.rhat(d, method="folded")),
                     ("ess_folded", lambda d: az.ess(d, method="folded"))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = fn(dataset)
        for name in result.data_vars:
            values = np.asarray(result[name]).reshape(-1)
            rows.append(pd.DataFrame({"site": name, "index": np.arange(values.size), "stat": stat, "value": values}))
    table = pd.concat(rows).pivot_table(index=["site", "index"], columns="stat", values="value", dropna=False)
    table = table.reindex(columns=list(STATISTICS)).reset_index()
    table.columns.name = None
    single_chain = all(np.shape(posterior[k])[0] == 1 for k in var_names if k in posterior)
    return table.dropna(subset=["ess_bulk" if single_chain else "r_hat"]).reset_index(drop=True)


def rank_diagnostics(draws: np.ndarray) -> dict[str, np.ndarray]:
    """Rank-normalised split R-hat (and its two parts), bulk, tail and folded ESS of many scalars at once, as
    ArviZ 0.23 defines them.

    Parameters
    ----------
    draws : numpy.ndarray
        Shape (chain, draw, scalar).

    Returns
    -------
    dict of str to numpy.ndarray
        :data:`STATISTICS`, each of shape (scalar,): ``r_hat`` (``arviz.rhat``), ``r_hat_bulk`` and
        ``r_hat_folded`` (``method="z_scale"`` and ``"folded"``), ``ess_bulk``, ``ess_tail`` and
        ``ess_folded`` (``arviz.ess``'s methods of those names). NaN where ArviZ gives NaN: a scalar
        with a NaN draw, fewer than 4 draws, R-hat of one chain or of constant draws.

    Notes
    -----
    Each chain is split in two (the middle draw of an odd count left out); ranks are taken over all
    split draws of a scalar (ties averaged) and mapped to normal scores with Blom's offset 3/8. R-hat
    is the larger of the split R-hat of those scores (bulk) and of the scores of the draws folded about
    their median (folded). Bulk ESS is the ESS of the scores, folded ESS the ESS of the folded scores
    (the information the folded R-hat has); tail ESS the smaller ESS of the indicators of
    the draws at or below their 5% and 95% quantiles (R's type 7). The ESS is Geyer's initial
    monotone sequence estimator of the autocorrelation time from FFT autocovariances, with its
    floor ``1 / log10(number of draws)``; draws that are all equal have the ESS of their number.
    This follows ``arviz.stats.diagnostics`` (``_rhat_rank``, ``_ess_bulk``, ``_ess_tail``) step
    by step, including its comparisons with NaN.

    References
    ----------
    Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021). Rank-normalization, folding, and
    localization: an improved R-hat for assessing convergence of MCMC. Bayesian Analysis 16(2), 667-718.

    Examples
    --------
    >>> stats = rank_diagnostics(np.random.default_rng(0).normal(size=(2, 500, 3)))
    >>> [round(float(v), 3) for v in stats["r_hat"]]
    [1.0, 1.001, 0.999]
    """
    num_chains, num_draws, num_scalars = np.shape(draws)
    stats = {name: np.full(num_scalars, np.nan) for name in STATISTICS}
    if num_draws < 4:
        return stats
    draws = np.ascontiguousarray(np.moveaxis(np.asarray(draws), -1, 0))      # (scalar, chain, draw)
    # all draws equal: no R-hat, and the ESS of every statistic is the number of split draws
    constant = draws.max(axis=(1, 2)) == draws.min(axis=(1, 2))
    for name in ("ess_bulk", "ess_tail", "ess_folded"):
        stats[name][constant] = num_chains * 2 * (num_draws // 2)
    varying = np.flatnonzero(~constant)
    if varying.size:
        for name, values in _varying_diagnostics(draws[varying]).items():
            stats[name][varying] = values
    return stats


def _varying_diagnostics(draws: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`rank_diagnostics` of (scalar, chain, draw) draws, each scalar's not all equal."""
    num_scalars, num_chains, num_draws = draws.shape
    invalid = np.isnan(draws).any(axis=(1, 2)) if draws.dtype.kind == "f" else np.zeros(num_scalars, bool)
    split = _split_chains(draws)
    scores = _z_scale(split)
    median = np.median(split.reshape(num_scalars, -1), axis=1)
    folded_scores = _z_scale(np.abs(split - median[:, None, None]))
    stats = {"ess_bulk": _ess(scores), "ess_folded": _ess(folded_scores)}
    if num_chains > 1:
        bulk, folded = _rhat(scores), _rhat(folded_scores)
        r_hat = np.where(folded > bulk, folded, bulk)          # Python's max(bulk, folded), NaN included
    else:
        r_hat = bulk = folded = np.full(num_scalars, np.nan)
    ordered = np.sort(draws.reshape(num_scalars, -1), axis=1)
    low, high = (_ess(_split_chains(draws <= _quantile(ordered, prob)[:, None, None])) for prob in (0.05, 0.95))
    stats.update(r_hat=r_hat, r_hat_bulk=bulk, r_hat_folded=folded,
                 ess_tail=np.where(high < low, high, low))     # Python's min(low, high), NaN included
    return {name: np.where(invalid, np.nan, stats[name]) for name in STATISTICS}


def _split_chains(draws: np.ndarray) -> np.ndarray:
    """(scalar, chain, draw) -> (scalar, 2 chain, draw // 2): first halves, then second halves."""
    half = draws.shape[2] // 2
    return np.concatenate([draws[:, :, :half], draws[:, :, -half:]], axis=1)


def _z_scale(draws: np.ndarray) -> np.ndarray:
    """Normal scores of the ranks of each scalar's draws over all its chains (Blom's offset 3/8).

    ``scipy.special.ndtri`` is what ``scipy.stats.norm.ppf`` computes for the standard normal.
    """
    from scipy import special

    flat = draws.reshape(draws.shape[0], -1)
    ranks = _average_ranks(flat)
    return special.ndtri((ranks - 3 / 8) / (flat.shape[1] - 2 * 3 / 8 + 1)).reshape(draws.shape)


def _average_ranks(rows: np.ndarray) -> np.ndarray:
    """Ranks (1 ..) within each row, ties given their average: ``scipy.stats.rankdata(rows, axis=1)``, faster."""
    num_rows, n = rows.shape
    order = np.argsort(rows, axis=1)
    ordered = np.take_along_axis(rows, order, axis=1)
    starts = np.ones((num_rows, n), dtype=bool)                  # where a run of equal values starts
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    flat_starts = np.flatnonzero(starts)
    run = np.cumsum(starts.reshape(-1)) - 1                      # the run of each sorted value
    lengths = np.diff(np.append(flat_starts, starts.size))
    average = (flat_starts % n) + (lengths + 1) / 2.0            # 1-based average rank of each run
    ranks = np.empty((num_rows, n))
    np.put_along_axis(ranks, order, average[run].reshape(num_rows, n), axis=1)
    return ranks


def _quantile(ordered: np.ndarray, prob: float) -> np.ndarray:
    """The quantile of each row of sorted draws, as ``scipy.stats.mstats.mquantiles`` (type 7) computes it."""
    n = ordered.shape[1]
    aleph = n * prob + 1.0 - prob                  # mquantiles' n p + alphap + p (1 - alphap - betap), alphap = betap = 1
    k = int(np.floor(min(max(aleph, 1), n - 1)))
    gamma = min(max(aleph - k, 0.0), 1.0)
    return (1.0 - gamma) * ordered[:, k - 1] + gamma * ordered[:, k]


def _rhat(draws: np.ndarray) -> np.ndarray:
    """Split R-hat of (scalar, chain, draw) draws, per scalar (NaN where the within-chain variance is 0)."""
    num_draws = draws.shape[2]
    chain_mean = draws.mean(axis=2)
    within = draws.var(axis=2, ddof=1).mean(axis=1)
    between = num_draws * chain_mean.var(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((between / within + num_draws - 1) / num_draws)


def _ess(draws: np.ndarray) -> np.ndarray:
    """ESS of (scalar, chain, draw) draws per scalar: Geyer's initial monotone sequence, as ArviZ's ``_ess``."""
    from scipy.fftpack import next_fast_len

    draws = np.asarray(draws, dtype=float)
    num_scalars, num_chains, num_draws = draws.shape
    size = num_chains * num_draws
    centred = draws - draws.mean(axis=2, keepdims=True)
    m = next_fast_len(2 * num_draws)
    spectrum = np.fft.rfft(centred, n=m, axis=2)
    spectrum *= np.conjugate(spectrum)
    acov = (np.fft.irfft(spectrum, n=m, axis=2)[:, :, :num_draws] / num_draws).mean(axis=1)   # (scalar, lag)
    mean_var = acov[:, 0] * num_draws / (num_draws - 1.0)
    var_plus = mean_var * (num_draws - 1.0) / num_draws
    if num_chains > 1:
        var_plus = var_plus + draws.mean(axis=2).var(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = 1.0 - (mean_var[:, None] - acov) / var_plus[:, None]
    rho[:, 0] = 1.0
    # Geyer's initial positive sequence: pairs j = 1 .. last (lags 2j, 2j + 1) while every earlier pair sum is > 0
    last = max((num_draws - 3) // 2, 0)
    pairs = rho[:, :2 * last + 2].reshape(num_scalars, last + 1, 2).sum(axis=2)         # pair sums j = 0 .. last
    stops = ~(pairs > 0)
    used = np.minimum(np.where(stops.any(axis=1), stops.argmax(axis=1), last), last)    # J: the last pair computed
    rows = np.arange(num_scalars)
    even = rho[rows, 2 * used]
    tail = np.where((used == 0) | (pairs[rows, used] >= 0) | (even > 0), even, 0.0)
    # Geyer's initial monotone sequence over the pairs before J, then the autocorrelation time
    monotone = np.minimum.accumulate(pairs, axis=1)
    before = np.arange(last + 1)[None, :] < used[:, None]
    tau = np.maximum(-1.0 + 2.0 * np.where(before, monotone, 0.0).sum(axis=1) + tail, 1 / np.log10(size))
    with np.errstate(invalid="ignore", divide="ignore"):
        ess = np.where(np.isnan(rho[:, 1]), np.nan, size / tau)
    constant = (draws.max(axis=(1, 2)) - draws.min(axis=(1, 2))) < np.finfo(float).resolution
    return np.where(constant, float(size), ess)


def loo(idata) -> Any:
    """PSIS-LOO of one fit (pointwise over responses)."""
    az = _arviz()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return az.loo(idata, pointwise=True)


def loo_compare(idatas: Mapping[str, Any]) -> pd.DataFrame:
    """ArviZ's PSIS-LOO comparison table (ELPD differences with standard errors)."""
    az = _arviz()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return az.compare(dict(idatas), ic="loo")
