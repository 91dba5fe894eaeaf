"""Model comparison: PSIS-LOO for posterior fits, information criteria for marginal ML fits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from irt import arviz_bridge
from irt.errors import IRTError
from irt.results import FitResult

__all__ = ["compare"]


def compare(fits: Mapping[str, FitResult] | Sequence[FitResult]) -> pd.DataFrame:
    """Compare fits of the same responses.

    Parameters
    ----------
    fits : mapping or sequence of FitResult
        Named fits (a list is named ``fit0``, ``fit1``, ...). All must be posterior fits (NUTS, SVI,
        MAP), compared by PSIS-LOO, or all marginal ML fits, compared by AIC, BIC and likelihood ratio.

    Returns
    -------
    pandas.DataFrame
        For posterior fits ArviZ's comparison table: ``elpd_loo``, ``p_loo``, ``elpd_diff`` and its
        standard error ``dse`` (pointwise over responses), ranked best first.

    Raises
    ------
    ValueError
        Fewer than two fits, fits of different data, or a mix of posterior and ML fits.
    """
    named = dict(fits) if isinstance(fits, Mapping) else {f"fit{k}": f for k, f in enumerate(fits)}
    if len(named) < 2:
        raise IRTError("compare needs at least two fits")
    first = next(iter(named.values()))
    for name, result in named.items():
        if not isinstance(result, FitResult):
            raise IRTError(f"{name!r} is not a fit result (got {type(result).__name__})")
        same = (result.data.num_responses == first.data.num_responses
                and (result.data.response == first.data.response).all())
        if not same:
            raise IRTError(f"fit {name!r} was made on different responses; compare fits of the same data only")
    methods = {r.method for r in named.values()}
    if methods <= {"nuts", "svi", "map"}:
        return arviz_bridge.loo_compare({k: r.idata for k, r in named.items()})
    if methods == {"mml"}:
        from irt.mml.compare import compare_mml

        return compare_mml(named)
    raise IRTError(f"cannot compare a mix of methods {sorted(methods)}: use posterior fits (LOO) or ML fits (AIC/BIC)")
