"""Fit results: the common interface and the tidy table layout shared by every estimator.

Table layout (the same for every method):

- ``abilities()``: one row per respondent x dimension, columns ``respondent``, ``dimension``,
  ``estimate``, ``sd``, ``lower``, ``upper``.
- ``items()``: one row per item x parameter, columns ``item``, ``param``, ``estimate``, ``sd``,
  ``lower``, ``upper``. Parameter names: ``a`` (slope; ``a[F1]`` etc. for the loadings of a
  multidimensional model), ``d`` (intercept; ``d1``, ``d2``, ... for graded thresholds), ``b``
  (difficulty ``-d/a``; ``b1``, ... for graded; unidimensional models only) and ``g`` (3PL lower
  asymptote).

For Bayesian fits ``estimate`` is the posterior mean, ``sd`` the posterior standard deviation and
``lower``/``upper`` an equal-tailed credible interval; for marginal ML fits ``estimate`` is the
ML estimate, ``sd`` its standard error and the interval a Wald interval. ``DataFrame.attrs`` records
``method``, ``level`` and ``interval`` (what kind of interval it is).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from irt.problem import FitProblem

__all__ = ["FitResult", "ABILITY_COLUMNS", "ITEM_COLUMNS", "item_param_names"]

ABILITY_COLUMNS: tuple[str, ...] = ("respondent", "dimension", "estimate", "sd", "lower", "upper")
ITEM_COLUMNS: tuple[str, ...] = ("item", "param", "estimate", "sd", "lower", "upper")


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
    def score_new(self, responses: Any, *, level: float = 0.95) -> pd.DataFrame:
        """Abilities of new respondents with the item parameters held at this fit."""

    def _frame_attrs(self, frame: pd.DataFrame, *, level: float, interval: str) -> pd.DataFrame:
        frame.attrs.update(method=self.method, model=self.model, level=level, interval=interval)
        return frame
