"""The marginal maximum likelihood fit: estimates, standard errors, scores and fit statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np
import pandas as pd
from scipy.special import ndtri

from irt.errors import IRTError
from irt.mml import scoring
from irt.mml.honesty import information_inverse
from irt.mml.likelihood import Patterns, onehot_codes
from irt.mml.optimise import float64
from irt.mml.params import ParamLayout, Unpacked
from irt.results import ABILITY_COLUMNS, ITEM_COLUMNS, LATENT_COLUMNS, LATENT_SD, FitResult, item_param_names

__all__ = ["MMLFit", "SCORING_METHODS"]

#: Ability scoring methods of :meth:`MMLFit.abilities`.
SCORING_METHODS: tuple[str, ...] = ("eap", "map", "ml")


@dataclass(frozen=True, eq=False)
class MMLFit(FitResult):
    """Result of ``irt.fit(..., method="mml")``.

    Attributes (beyond :class:`irt.FitResult`)
    ------------------------------------------
    layout : ParamLayout
        Position and name of every free parameter.
    estimate : numpy.ndarray
        ML estimates in the reported parameterisation (``layout.names`` order).
    hessian : numpy.ndarray or None
        Hessian of the negative log-likelihood at the estimate (the observed information); None when
        the fit was run with ``standard_errors=False``.
    patterns : Patterns
        The distinct response patterns and their counts.
    nodes, log_weights : numpy.ndarray
        Standard-normal Gauss–Hermite grid used for the fit.
    max_loglik : float
        Marginal log-likelihood at the estimate.

    Examples
    --------
    >>> import irt
    >>> data, _ = irt.simulate("2pl", num_respondents=300, num_items=6, seed=3)
    >>> fit = irt.fit(data, "2pl", method="mml")
    >>> fit.items().query("param == 'a'").shape
    (6, 6)
    """

    layout: ParamLayout | None = None
    estimate: np.ndarray | None = None
    hessian: np.ndarray | None = None
    patterns: Patterns | None = None
    nodes: np.ndarray | None = None
    log_weights: np.ndarray | None = None
    max_loglik: float = float("nan")

    # ------------------------------------------------------------------ basics
    @property
    def loglik(self) -> float:
        """Marginal log-likelihood at the ML estimate (sum over respondents)."""
        return self.max_loglik

    @property
    def num_parameters(self) -> int:
        """Number of free parameters."""
        return self.layout.size

    @property
    def num_observations(self) -> int:
        """Number of respondents (the N of BIC)."""
        return self.data.num_respondents

    @property
    def aic(self) -> float:
        """Akaike information criterion ``-2 loglik + 2 k``."""
        return -2.0 * self.loglik + 2.0 * self.num_parameters

    @property
    def bic(self) -> float:
        """Bayesian information criterion ``-2 loglik + k log N``."""
        return -2.0 * self.loglik + self.num_parameters * np.log(self.num_observations)

    def arrays(self) -> Unpacked:
        """Model arrays (slopes, thresholds, asymptotes, latent Cholesky factor) at the estimate."""
        with float64():
            return self.layout.unpack(jnp.asarray(self.estimate))

    def _require_hessian(self, what: str) -> np.ndarray:
        if self.hessian is None:
            raise IRTError(f"{what} needs the observed information; refit with standard_errors=True")
        return self.hessian

    def covariance(self) -> pd.DataFrame:
        """Covariance of the estimates: the inverse observed information, labelled (item, param).

        Parameters the information cannot pin down (a singular information matrix, see
        :func:`irt.mml.honesty.information_inverse`) have ``NaN`` rows and columns.
        """
        cov, _ = information_inverse(self._require_hessian("covariance()"))
        index = pd.MultiIndex.from_tuples(self.layout.names, names=["item", "param"])
        return pd.DataFrame(cov, index=index, columns=index)

    def _standard_errors(self) -> np.ndarray:
        if self.hessian is None:
            return np.full(self.layout.size, np.nan)
        return np.sqrt(np.maximum(np.diag(information_inverse(self.hessian)[0]), 0.0))

    # ------------------------------------------------------------------ tables
    def items(self, *, level: float = 0.95) -> pd.DataFrame:
        """Item parameters with standard errors and Wald intervals (``b`` by the delta method);
        ``sd`` is ``NaN`` where the information matrix is singular."""
        cov = information_inverse(self.hessian)[0] if self.hessian is not None else None
        z = ndtri(0.5 + level / 2)   # the normal quantile (scipy.stats costs ~1 s to import)
        rows = []
        lay, est, problem = self.layout, self.estimate, self.problem
        for i, label in enumerate(self.data.item_ids):
            slope = np.flatnonzero(lay.slope_index[i] >= 0)
            for name in item_param_names(problem, i):
                value, sd = _item_value(lay, est, cov, i, name, slope)
                rows.append((label, name, value, sd, value - z * sd, value + z * sd))
        frame = pd.DataFrame(rows, columns=list(ITEM_COLUMNS))
        return self._frame_attrs(frame, level=level, interval="wald")

    def latent(self, *, level: float = 0.95) -> pd.DataFrame:
        """Free latent-distribution parameters with SEs, named as in :mod:`irt.results`.

        Factor correlations ``omega[F1,F2]``; for the Rasch model the standard deviation of theta,
        ``sigma_theta``, with its standard error by the delta method (the optimiser's parameter is
        the variance, ``sigma_theta^2`` in :meth:`covariance`).
        """
        z = ndtri(0.5 + level / 2)   # the normal quantile (scipy.stats costs ~1 s to import)
        se = self._standard_errors()
        rows = []
        for k, (item, name) in enumerate(self.layout.names):
            if item != "(latent)":
                continue
            value, sd = float(self.estimate[k]), float(se[k])
            if k == self.layout.variance_index:
                name, value = LATENT_SD, float(np.sqrt(value))
                sd = sd / (2.0 * value)
            rows.append((name, value, sd, value - z * sd, value + z * sd))
        frame = pd.DataFrame(rows, columns=list(LATENT_COLUMNS))
        return self._frame_attrs(frame, level=level, interval="wald")

    def abilities(self, *, level: float = 0.95, method: str = "eap") -> pd.DataFrame:
        """Ability estimates of the fitted respondents.

        Parameters
        ----------
        level : float
            Coverage of the interval ``estimate +- z * sd``.
        method : str
            ``"eap"`` (posterior mean, ``sd`` = posterior SD), ``"map"`` (posterior mode, ``sd`` =
            its standard error) or ``"ml"`` (maximum likelihood; raises
            :class:`irt.mml.scoring.ExtremePatternError` for all-lowest / all-highest patterns).
        """
        codes = self.patterns.codes
        _, first = np.unique(self.patterns.index, return_index=True)
        labels = [self.data.respondent_ids[r] for r in first]
        est, sd = self._score_patterns(codes, method=method, labels=labels)
        return self._ability_frame(est[self.patterns.index], sd[self.patterns.index], self.data.respondent_ids,
                                   level=level, method=method)

    def score_new(self, responses: Any, *, level: float = 0.95, method: str = "eap") -> pd.DataFrame:
        """Abilities of new respondents with the item parameters (and latent distribution) of this fit.

        Parameters
        ----------
        responses : array_like or pandas.DataFrame
            Respondents x items, NaN where not answered. A DataFrame is aligned on the fitted item ids
            (any subset of them as columns; absent items count as not answered) and its index names the
            respondents; an array must have every fitted item, in order.
        level, method
            As in :meth:`abilities`.
        """
        frame = _align_responses(responses, self.data.item_ids)
        values = frame.to_numpy(dtype=float)
        cats = self.problem.num_categories
        bad = np.isfinite(values) & ((values < 0) | (values >= cats[None, :]) | (values != np.round(values)))
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise IRTError(f"response {float(values[r, c])!r} of respondent {frame.index[r]!r} to item "
                             f"{frame.columns[c]!r} is not a category 0..{cats[c] - 1} of the fitted item")
        codes = np.where(np.isfinite(values), values, -1).astype(np.int32)
        est, sd = self._score_patterns(codes, method=method, labels=list(frame.index))
        return self._ability_frame(est, sd, tuple(frame.index), level=level, method=method)

    def _score_patterns(self, codes: np.ndarray, *, method: str, labels: list) -> tuple[np.ndarray, np.ndarray]:
        if method not in SCORING_METHODS:
            raise IRTError(f"unknown scoring method {method!r}; choose one of {list(SCORING_METHODS)}")
        arrays = self.arrays()
        with float64():
            est, sd = scoring.eap_scores(self.model, arrays, codes, self.nodes, self.log_weights)
            if method == "map":
                est, sd = scoring.modal_scores(self.model, arrays, codes, prior=True, start=est)
            elif method == "ml":
                est, sd = scoring.ml_or_raise(self.model, arrays, codes, self.problem.num_categories, start=est,
                                              labels=labels)
        return est, sd

    def _ability_frame(self, est, sd, ids, *, level: float, method: str) -> pd.DataFrame:
        z = ndtri(0.5 + level / 2)   # the normal quantile (scipy.stats costs ~1 s to import)
        dims = self.problem.dimension_ids
        num, width = est.shape
        frame = pd.DataFrame({
            "respondent": np.repeat(np.asarray(ids, dtype=object), width),
            "dimension": np.tile(np.asarray(dims, dtype=object), num),
            "estimate": est.reshape(-1), "sd": sd.reshape(-1),
            "lower": (est - z * sd).reshape(-1), "upper": (est + z * sd).reshape(-1),
        })[list(ABILITY_COLUMNS)]
        frame = self._frame_attrs(frame, level=level, interval="normal")
        frame.attrs["scoring"] = method
        return frame

    def sum_score_table(self) -> pd.DataFrame:
        """Lord–Wingersky table: EAP of theta by sum score, its SD, expected and observed counts.

        Unidimensional fits only. ``observed`` counts respondents who answered every item.
        """
        if self.problem.num_dimensions > 1:
            raise IRTError("sum_score_table() is for unidimensional fits; this fit has "
                             f"{self.problem.num_dimensions} dimensions")
        with float64():
            codes = self.patterns.codes[self.patterns.index]
            return scoring.sum_score_table(self.model, self.arrays(), self.nodes, self.log_weights,
                                           num_categories=self.problem.num_categories, observed_codes=codes,
                                           num_respondents=float(self.data.num_respondents))

    # ------------------------------------------------------------------ fit and information
    def m2(self) -> pd.Series:
        """Limited-information goodness of fit M2 with df, p-value and RMSEA (see :mod:`irt.mml.fit_statistics`)."""
        from irt.mml.fit_statistics import m2

        return m2(self)

    def item_fit(self) -> pd.DataFrame:
        """Item fit: S-X² (Orlando & Thissen) with df and p, plus infit and outfit mean squares."""
        from irt.mml.fit_statistics import item_fit

        return item_fit(self)

    def q3(self) -> pd.DataFrame:
        """Yen's Q3: correlations of the residuals ``y - E[y | EAP]`` between items."""
        from irt.mml.fit_statistics import q3

        return q3(self)

    def information(self, theta: Any) -> pd.DataFrame:
        """Item and test information at ``theta`` (unidimensional fits); see :mod:`irt.mml.information`."""
        from irt.mml.information import information_table

        return information_table(self, theta)

    def reliability(self, *, kind: str = "marginal") -> float:
        """Marginal reliability (``"marginal"``, from the test information) or ``"empirical"`` (from EAPs)."""
        from irt.mml.information import reliability

        return reliability(self, kind=kind)

    def onehot(self) -> np.ndarray:
        """One-hot coding of the distinct patterns (patterns x items * categories)."""
        return onehot_codes(self.patterns.codes, self.layout.threshold_index.shape[1] + 1)


def _item_value(lay: ParamLayout, est: np.ndarray, cov, i: int, name: str, slope: np.ndarray) -> tuple[float, float]:
    """Estimate and SE of one named item parameter, with the delta method for ``b``."""
    def se_of(grad_index: list[int], grad: list[float]) -> float:
        if cov is None:
            return float("nan")
        used = sorted(set(int(k) for k in grad_index))
        g = np.zeros(len(used))
        for k, v in zip(grad_index, grad):
            g[used.index(int(k))] += v
        variance = float(g @ cov[np.ix_(used, used)] @ g)
        return float(np.sqrt(max(variance, 0.0))) if np.isfinite(variance) else float("nan")

    row = lay.threshold_index[i]
    if name == "a" or name.startswith("a["):
        k = next(int(lay.slope_index[i, m]) for m in slope
                 if name == "a" or lay.names[lay.slope_index[i, m]][1] == name)
        return float(est[k]), se_of([k], [1.0])
    if name.startswith("d"):
        j = 0 if name == "d" else int(name[1:]) - 1
        k = row[j]
        return float(est[k]), se_of([k], [1.0])
    if name.startswith("b"):
        j = 0 if name == "b" else int(name[1:]) - 1
        k = row[j]
        ka = lay.slope_index[i, 0]
        if ka < 0:  # Rasch: slope 1
            return float(-est[k]), se_of([k], [-1.0])
        a, d = est[ka], est[k]
        return float(-d / a), se_of([k, ka], [-1.0 / a, d / a ** 2])
    if name == "g":
        k = lay.guess_index[i]
        return float(est[k]), se_of([k], [1.0])
    raise IRTError(f"unknown item parameter {name!r}")


def _align_responses(responses: Any, item_ids: tuple) -> pd.DataFrame:
    if isinstance(responses, pd.DataFrame):
        extra = [c for c in responses.columns if c not in item_ids]
        if extra:
            raise IRTError(f"response columns {extra[:8]} are not items of this fit; its items are "
                             f"{list(item_ids)[:8]}{' ...' if len(item_ids) > 8 else ''}")
        return responses.reindex(columns=list(item_ids)).astype(float)
    values = np.asarray(responses, dtype=float)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2 or values.shape[1] != len(item_ids):
        raise IRTError(f"responses have shape {values.shape} but the fit has {len(item_ids)} items; "
                         "give one column per fitted item, NaN where not answered")
    return pd.DataFrame(values, columns=list(item_ids))
