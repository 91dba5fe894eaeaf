"""AIC, BIC and likelihood-ratio tests between marginal ML fits of the same responses.

``irt.compare`` dispatches here when every fit is a marginal ML fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from irt.errors import IRTError

__all__ = ["compare_mml"]


def compare_mml(fits: Mapping[str, object] | Sequence[object]) -> pd.DataFrame:
    """Compare marginal ML fits by information criteria and likelihood-ratio tests.

    Fits are ordered by their number of parameters; each row after the first carries the
    likelihood-ratio test against the row above (``LR = 2 (loglik - loglik_above)`` on the
    difference in parameters, chi-squared p-value). The test is valid when the smaller model is
    nested in the larger one (e.g. Rasch in 1PL in 2PL, 2PL in 3PL); the caller must make sure of
    that. Boundary cases (3PL asymptotes at 0) make the chi-squared reference conservative.

    Parameters
    ----------
    fits : mapping or sequence of MMLFit
        Named fits of the same responses (a list is named ``fit0``, ``fit1``, ...).

    Returns
    -------
    pandas.DataFrame
        Index: fit names. Columns ``model``, ``num_parameters``, ``loglik``, ``AIC``, ``BIC``, ``LR``,
        ``df``, ``p`` (``LR``/``df``/``p`` are NaN in the first row).

    Raises
    ------
    ValueError
        Fewer than two fits, a fit that is not a marginal ML fit, fits of different responses, or
        two fits with the same number of parameters (not nested).

    Examples
    --------
    >>> import irt
    >>> data, _ = irt.simulate("2pl", num_respondents=300, num_items=6, seed=1)
    >>> table = compare_mml({"rasch": irt.fit(data, "rasch", method="mml"),
    ...                      "2pl": irt.fit(data, "2pl", method="mml")})
    >>> list(table.index), int(table.loc["2pl", "df"])
    (['rasch', '2pl'], 5)
    """
    from irt.mml.result import MMLFit

    named = dict(fits) if isinstance(fits, Mapping) else {f"fit{k}": f for k, f in enumerate(fits)}
    if len(named) < 2:
        raise IRTError(f"compare_mml needs at least two fits, got {len(named)}")
    first = next(iter(named.values()))
    for name, fit in named.items():
        if not isinstance(fit, MMLFit):
            raise IRTError(f"fit {name!r} is a {type(fit).__name__}, not a marginal ML fit (method='mml')")
        same = (fit.data.num_responses == first.data.num_responses and np.array_equal(fit.data.response, first.data.response)
                and np.array_equal(fit.data.respondent, first.data.respondent))
        if not same:
            raise IRTError(f"fit {name!r} was made on different responses; compare fits of the same data only")
    order = sorted(named, key=lambda k: named[k].num_parameters)
    sizes = [named[k].num_parameters for k in order]
    if len(set(sizes)) < len(sizes):
        raise IRTError(f"fits {order} have parameter counts {sizes}; likelihood-ratio tests need nested fits with "
                         "different numbers of parameters")
    rows = []
    previous = None
    for name in order:
        fit = named[name]
        lr = df = p = np.nan
        if previous is not None:
            lr = 2.0 * (fit.loglik - previous.loglik)
            df = fit.num_parameters - previous.num_parameters
            p = float(stats.chi2.sf(max(lr, 0.0), df))
        rows.append({"model": fit.model, "num_parameters": fit.num_parameters, "loglik": fit.loglik, "AIC": fit.aic,
                     "BIC": fit.bic, "LR": lr, "df": df, "p": p})
        previous = fit
    table = pd.DataFrame(rows, index=pd.Index(order, name="fit"))
    table.attrs.update(method="mml", test="likelihood ratio, chi-squared reference")
    return table
