"""Fit results: the common interface and the tidy table layout shared by every estimator.

Table layout (the same for every method):

- ``abilities()``: one row per respondent x dimension, columns ``respondent``, ``dimension``,
  ``estimate``, ``sd``, ``lower``, ``upper``.
- ``items()``: one row per item x parameter, columns ``item``, ``param``, ``estimate``, ``sd``,
  ``lower``, ``upper``. Parameter names: ``a`` (slope; ``a[F1]`` etc. for the loadings of a
  multidimensional model), ``d`` (intercept; ``d1``, ``d2``, ... for graded thresholds), ``b``
  (difficulty ``-d/a``; ``b1``, ... for graded; unidimensional models only) and ``g`` (3PL lower
  asymptote).

- ``latent()``: one row per free parameter of the latent distribution, columns ``param``,
  ``estimate``, ``sd``, ``lower``, ``upper``, named after the model's sample sites whatever the
  estimator (:data:`LATENT_PARAMS`): ``omega[F1,F2]`` is the correlation of dimensions F1 and F2
  (the entry of the correlation matrix Ω, site ``omega``), one row per pair in the order
  (F1,F2), (F1,F3), (F2,F3), ...; ``sigma_theta`` is the standard deviation of θ where the model
  frees it (Rasch).

Every summary has the columns :data:`SUMMARY_COLUMNS` (:func:`summarise_draws` computes them from
draws). For Bayesian fits ``estimate`` is the posterior mean, ``sd`` the posterior standard deviation and
``lower``/``upper`` an equal-tailed credible interval; for marginal ML fits ``estimate`` is the
ML estimate, ``sd`` its standard error and the interval a Wald interval. ``DataFrame.attrs`` records
``method``, ``level`` and ``interval`` (what kind of interval it is).
"""

from __future__ import annotations

import abc
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:   # annotations only: irt.problem imports the models (JAX), which the summaries do not need
    from irt.problem import FitProblem

__all__ = ["FitResult", "ABILITY_COLUMNS", "ITEM_COLUMNS", "LATENT_COLUMNS", "SUMMARY_COLUMNS", "LATENT_PARAMS",
           "LATENT_SD", "item_param_names", "correlation_name", "summarise_draws"]

#: The columns of every summary: point estimate, its sd, and the interval bounds.
SUMMARY_COLUMNS: tuple[str, ...] = ("estimate", "sd", "lower", "upper")
ABILITY_COLUMNS: tuple[str, ...] = ("respondent", "dimension", *SUMMARY_COLUMNS)
ITEM_COLUMNS: tuple[str, ...] = ("item", "param", *SUMMARY_COLUMNS)
LATENT_COLUMNS: tuple[str, ...] = ("param", *SUMMARY_COLUMNS)
#: ``latent()``'s name of the standard deviation of theta (where a model frees it: Rasch).
LATENT_SD = "sigma_theta"
#: Names of the latent-distribution parameters in ``latent()`` (``F1``, ``F2`` stand for dimension ids).
LATENT_PARAMS: dict[str, str] = {
    "omega[F1,F2]": "correlation of dimensions F1 and F2",
    "sigma_theta": "standard deviation of theta (Rasch)",
}


def correlation_name(first, second) -> str:
    """``latent()``'s name of the correlation of two dimensions.

    Examples
    --------
    >>> correlation_name("understanding", "generation")
    'omega[understanding,generation]'
    """
    return f"omega[{first},{second}]"


def summarise_draws(draws: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """Posterior mean, sd and equal-tailed interval over the leading (chain, draw) axes.

    Returns
    -------
    dict
        :data:`SUMMARY_COLUMNS` -> arrays of the trailing shape. A quantity whose draws are all NaN
        (it does not exist, e.g. a parameter absent for some item) gets NaN throughout.

    Examples
    --------
    >>> draws = np.arange(8.0).reshape(2, 4)
    >>> {k: float(v) for k, v in summarise_draws(draws, 0.5).items()}
    {'estimate': 3.5, 'sd': 2.449489742783178, 'lower': 1.75, 'upper': 5.25}
    """
    flat = np.asarray(draws).reshape((-1,) + np.shape(draws)[2:])
    tail = 100 * (1 - level) / 2
    with warnings.catch_warnings():  # all-NaN quantities stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        lower, upper = np.nanpercentile(flat, [tail, 100 - tail], axis=0)
    return {"estimate": flat.mean(axis=0), "sd": flat.std(axis=0, ddof=1), "lower": lower, "upper": upper}


def item_param_names(problem: FitProblem, item_code: int) -> list[str]:
    """Names of the parameters of one item, in table order (see the module docstring)."""
    multidim = problem.num_dimensions > 1
    if multidim:
        loads = [f"a[{problem.dimension_ids[k]}]" for k in np.flatnonzero(problem.q_matrix[item_code])]
    else:
        loads = [] if problem.model == "rasch" else ["a"]
    if problem.model == "graded":
        k = int(problem.num_categories[item_code]) - 1
        ds = [f"d{j + 1}" for j in range(k)]
        bs = [] if multidim else [f"b{j + 1}" for j in range(k)]
    else:
        ds, bs = ["d"], ([] if multidim else ["b"])
    return loads + ds + bs + (["g"] if problem.model == "3pl" else [])


@dataclass(frozen=True, eq=False)
class FitResult(abc.ABC):
    """What :func:`irt.fit` returns; estimators subclass it.

    Attributes
    ----------
    problem : FitProblem
        Data, model and loading structure that were fitted.
    method : str
        The estimator (``nuts``, ``svi``, ``map``, ``mml``).
    seed : int
        The seed the fit used.
    options : object
        The estimator's options record.
    info : dict
        Run facts: wall time in seconds, whether intervals are approximate, and estimator details.
    """

    problem: FitProblem
    method: str
    seed: int
    options: Any
    info: dict = field(default_factory=dict)

    @property
    def data(self):
        """The fitted :class:`irt.ResponseData`."""
        return self.problem.data

    @property
    def model(self) -> str:
        """The fitted model's name."""
        return self.problem.model

    @abc.abstractmethod
    def abilities(self, *, level: float = 0.95) -> pd.DataFrame:
        """Ability estimates, one row per respondent x dimension."""

    @abc.abstractmethod
    def items(self, *, level: float = 0.95) -> pd.DataFrame:
        """Item parameter estimates, one row per item x parameter."""

    @property
    @abc.abstractmethod
    def loglik(self) -> float:
        """Log-likelihood of the data (see each subclass for the exact definition)."""

    @abc.abstractmethod
    def latent(self, *, level: float = 0.95) -> pd.DataFrame:
        """Latent-distribution parameters (:data:`LATENT_PARAMS`), columns :data:`LATENT_COLUMNS`."""

    @abc.abstractmethod
    def score_new(self, responses: Any, *, level: float = 0.95) -> pd.DataFrame:
        """Abilities of new respondents with the item parameters held at this fit."""

    def _frame_attrs(self, frame: pd.DataFrame, *, level: float, interval: str) -> pd.DataFrame:
        frame.attrs.update(method=self.method, model=self.model, level=level, interval=interval)
        return frame
