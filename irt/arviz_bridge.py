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

__all__ = ["to_inference_data", "convergence_table", "loo_compare", "loo"]


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
    """R-hat and bulk/tail ESS for every scalar of ``var_names``.

    Scalars without an R-hat (unused thresholds, constant draws) are dropped. With a single chain
    the ``r_hat`` column is NaN and only scalars without an ESS are dropped.
    """
    az = _arviz()
    dataset = az.convert_to_dataset({k: posterior[k] for k in var_names if k in posterior})
    rows = []
    for stat, fn in (("r_hat", az.rhat), ("ess_bulk", lambda d: az.ess(d, method="bulk")),
                     ("ess_tail", lambda d: az.ess(d, method="tail"))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = fn(dataset)
        for name in result.data_vars:
            values = np.asarray(result[name]).reshape(-1)
            rows.append(pd.DataFrame({"site": name, "index": np.arange(values.size), "stat": stat, "value": values}))
    table = pd.concat(rows).pivot_table(index=["site", "index"], columns="stat", values="value", dropna=False)
    table = table.reindex(columns=["r_hat", "ess_bulk", "ess_tail"]).reset_index()
    table.columns.name = None
    # R-hat is NaN for constant or missing draws (dropped), and for every scalar of a single chain
    single_chain = all(np.shape(posterior[k])[0] == 1 for k in var_names if k in posterior)
    return table.dropna(subset=["ess_bulk" if single_chain else "r_hat"]).reset_index(drop=True)


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
