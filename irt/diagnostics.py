"""Convergence diagnostics, the one builder of them, and the warning issued when they fail (docs/methods.md §1).

:meth:`Diagnostics.from_draws` is the only place a convergence table is built from draws: the
posterior fits of :func:`irt.fit`, ``gapeval.gap_score``, the explanatory decay model and the
binomial GLMM of ``gapeval.decay`` all call it. :class:`ConvergenceWarning` is the one warning class
for failed checks, in ``irt`` and ``gapeval`` alike (:class:`ApproximationWarning`, an SVI fit's own
check, is a kind of it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from irt.errors import IRTError

__all__ = ["ConvergenceWarning", "ApproximationWarning", "Diagnostics", "RHAT_MAX", "ESS_MIN", "RHAT_CHANCE",
           "RHAT_FALSE_ALARM", "CORRELATION_SITES", "TABLE_COLUMNS", "RHAT_STATISTICS", "rhat_limit"]

#: Thresholds of docs/methods.md §1: the smallest R-hat limit (see :func:`rhat_limit`) and the smallest ESS.
RHAT_MAX = 1.01
ESS_MIN = 400
#: The largest R-hat limit, whatever the number of quantities and their ESS (see :func:`rhat_limit`).
RHAT_CHANCE = 1.02
#: Probability that converged chains fail the R-hat check of a whole fit by chance (see :func:`rhat_limit`).
RHAT_FALSE_ALARM = 0.05


def rhat_limit(ess, *, num_quantities: int, num_chains: int, false_alarm: float = RHAT_FALSE_ALARM):
    r"""The R-hat above which a quantity fails the check: what chance alone rarely gives, given the fit's size.

    For ``m`` split chains (two per chain) whose draws come from one distribution, the between-chain
    variance of the means is the within-chain variance over ESS/m times a chi-square with ``m - 1``
    degrees of freedom over ``m - 1``, so :math:`\hat R - 1 \approx \frac{m}{2(m-1)}\chi^2_{m-1}/\mathrm{ESS}`,
    where ESS is that of the statistic's own draws. ArviZ's R-hat is the larger of two statistics, the
    bulk R-hat (of the rank-normalised draws) and the folded R-hat (of the draws folded about their
    median), each checked against the limit at its own ESS: the bulk R-hat at the bulk ESS, the folded
    one at the folded ESS (:meth:`Diagnostics.problems`). The limit is that expression at the
    :math:`1 - \alpha/(2K)` quantile of the chi-square (``K = num_quantities``, two statistics each:
    ``2K`` tests, a Bonferroni bound), with the ESS (at least :data:`ESS_MIN`), clipped to
    [:data:`RHAT_MAX`, :data:`RHAT_CHANCE`]: converged chains fail the check of a whole fit with
    probability at most about ``false_alarm`` (:data:`RHAT_FALSE_ALARM`), and never pass an R-hat above 1.02.
    With 66 quantities of 2 chains the limit is 1.010 at ESS 1,200, 1.015 at 800 and 1.020 at 600 or
    less; the simulation behind it (false alarms and the chain shifts still caught) is
    ``benchmarks/gap/rhat_by_chance.py`` (results in ``benchmarks/gap/RESULTS.md``).

    Parameters
    ----------
    ess : float or numpy.ndarray
        ESS of each quantity's statistic (bulk ESS for the bulk R-hat, folded ESS for the folded one).
    num_quantities : int
        Quantities checked in the fit (the rows of :attr:`Diagnostics.table`).
    num_chains : int
        Chains (at least 2).
    false_alarm : float
        Probability, over the whole fit, that converged chains fail the check.

    Returns
    -------
    numpy.ndarray
        The limit per quantity.

    Examples
    --------
    >>> [round(float(v), 4) for v in rhat_limit(np.array([400.0, 800.0, 1200.0, 5000.0]), num_quantities=66,
    ...                                         num_chains=2)]
    [1.02, 1.0153, 1.0102, 1.01]
    """
    from scipy.special import chdtri

    split = 2 * num_chains
    quantile = chdtri(split - 1, false_alarm / (2 * max(num_quantities, 1)))
    excess = split / (2.0 * (split - 1)) * quantile / np.maximum(np.asarray(ess, dtype=float), ESS_MIN)
    return np.clip(1.0 + excess, RHAT_MAX, RHAT_CHANCE)
#: Sites holding correlation matrices (..., D, D): only their free entries above the diagonal are checked.
CORRELATION_SITES: tuple[str, ...] = ("omega",)
#: Columns of :attr:`Diagnostics.table` (``irt.arviz_bridge.STATISTICS`` after ``site`` and ``index``).
TABLE_COLUMNS: tuple[str, ...] = ("site", "index", "r_hat", "ess_bulk", "ess_tail", "r_hat_bulk", "r_hat_folded",
                                  "ess_folded")
#: The two R-hat statistics whose larger is ``r_hat``, each with the ESS its limit is computed from.
RHAT_STATISTICS: tuple[tuple[str, str, str], ...] = (("bulk", "r_hat_bulk", "ess_bulk"),
                                                    ("folded", "r_hat_folded", "ess_folded"))


class ConvergenceWarning(UserWarning):
    """A fit failed a convergence check: a sampler's diagnostics, or an optimiser that did not converge
    cleanly or stopped on the boundary of its space. The message says which and what to try."""


class ApproximationWarning(ConvergenceWarning):
    """An approximate (SVI) fit failed a check of its own: it settled away from the posterior's mass,
    so its estimates and intervals are not trustworthy. The message says what to do; the fit's tables
    say so in ``attrs["interval"]``."""


@dataclass(frozen=True)
class Diagnostics:
    """Convergence summary of a posterior fit.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per scalar parameter (:data:`TABLE_COLUMNS`): ``site``, ``index``, ``r_hat`` (ArviZ's
        rank R-hat), ``ess_bulk``, ``ess_tail``, then the two R-hats whose larger is ``r_hat``
        (``r_hat_bulk``, ``r_hat_folded``) and the folded ESS (``ess_folded``) that the R-hat check
        needs (empty for approximate fits, whose independent draws make these statistics meaningless).
    num_divergences : int
        Divergent transitions after warm-up (NUTS).
    num_chains : int
        Number of chains (R-hat needs at least two).
    approximate : bool
        True for SVI and Laplace fits, whose draws are independent by construction: R-hat and ESS
        say nothing about the quality of the approximation there.
    """

    table: pd.DataFrame
    num_divergences: int
    num_chains: int
    approximate: bool = False

    @classmethod
    def from_draws(cls, samples: Mapping[str, np.ndarray], *, sites: Iterable[str],
                   sample_stats: Mapping[str, np.ndarray] | None = None, approximate: bool = False) -> Diagnostics:
        """Diagnose the draws of ``sites`` (those present in ``samples``).

        Parameters
        ----------
        samples : mapping of str to numpy.ndarray
            Draws (chain, draw, ...) by site name.
        sites : iterable of str
            The sites to check (the reported quantities); absent ones are skipped. A correlation
            matrix (:data:`CORRELATION_SITES`) contributes its entries above the diagonal. NaN draws
            (a quantity that does not exist for some index, e.g. the gap of a model that answered one
            direction only) count as constant and are left out of the table.
        sample_stats : mapping, optional
            Sampler statistics; ``diverging`` (chain, draw) gives the number of divergences.
        approximate : bool
            True for draws of a fitted approximation (SVI, Laplace): they are independent by
            construction, so R-hat and ESS say nothing about its quality and the table is empty.

        Returns
        -------
        Diagnostics
            With one chain, ``r_hat`` is NaN and the table holds the ESS.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> diag = Diagnostics.from_draws({"theta": rng.normal(size=(2, 500, 3))}, sites=["theta", "a"])
        >>> len(diag.table), diag.num_chains, diag.num_divergences
        (3, 2, 0)
        """
        from irt import arviz_bridge

        sites = tuple(sites)
        checked = {}
        for name in sites:
            if name not in samples:
                continue
            draws = np.asarray(samples[name])
            if name in CORRELATION_SITES:
                upper = np.triu_indices(draws.shape[-1], 1)
                draws = draws[..., upper[0], upper[1]]
            checked[name] = np.nan_to_num(draws, nan=0.0) if np.isnan(draws).any() else draws
        if not checked:
            raise IRTError(f"none of the sites {list(sites)} is among the draws ({sorted(samples)})")
        num_chains = next(iter(checked.values())).shape[0]
        if approximate:
            table = pd.DataFrame(columns=list(TABLE_COLUMNS), dtype=float)
        else:
            table = arviz_bridge.convergence_table(checked, var_names=list(checked))
        diverging = (sample_stats or {}).get("diverging")
        divergences = 0 if diverging is None else int(np.asarray(diverging).sum())
        return cls(table=table, num_divergences=divergences, num_chains=num_chains, approximate=approximate)

    @property
    def max_rhat(self) -> float:
        """Largest R-hat over all parameters."""
        return float(self.table["r_hat"].max())

    @property
    def min_ess_bulk(self) -> float:
        """Smallest bulk effective sample size."""
        return float(self.table["ess_bulk"].min())

    @property
    def min_ess_tail(self) -> float:
        """Smallest tail effective sample size."""
        return float(self.table["ess_tail"].min())

    def rhat_limits(self) -> pd.DataFrame:
        """The R-hat limits of each row of :attr:`table`: one column per statistic (``bulk``, ``folded``), each
        :func:`rhat_limit` at that statistic's ESS (``ess_bulk``, ``ess_folded``) with this fit's size."""
        return pd.DataFrame({name: rhat_limit(self.table[ess].to_numpy(), num_quantities=len(self.table),
                                              num_chains=max(self.num_chains, 2))
                             for name, _, ess in RHAT_STATISTICS}, index=self.table.index)

    def rhat_excess(self) -> pd.DataFrame:
        """How far each row's bulk and folded R-hat are above their limits (:meth:`rhat_limits`), one column per
        statistic: a positive value fails the R-hat check, NaN (no statistic) never does."""
        return self._excess(self.rhat_limits())

    def _excess(self, limits: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({name: self.table[column].to_numpy() - limits[name].to_numpy()
                             for name, column, _ in RHAT_STATISTICS}, index=self.table.index)

    def _rhat_problem(self) -> str | None:
        """The R-hat check: the statistic furthest over its limit, and how many are over theirs (None if none)."""
        limits = self.rhat_limits()
        over = self._excess(limits).to_numpy()
        failed = over > 0                                      # NaN (no statistic) never fails
        if not failed.any():
            return None
        k, j = np.unravel_index(np.nanargmax(np.where(failed, over, -np.inf)), over.shape)
        name, column, ess = RHAT_STATISTICS[j]
        worst = self.table.iloc[k]
        return (f"R-hat {worst['r_hat']:.3f} ({name} {worst[column]:.3f}) > {limits[name].iloc[k]:.3f} at "
                f"{worst['site']}[{int(worst['index'])}] (the limit for {len(self.table)} quantities of "
                f"{self.num_chains} chains at its {name} ESS {worst[ess]:.0f}; {int(failed.any(axis=1).sum())} "
                f"quantities over their limits)")

    def problems(self) -> list[str]:
        """The failed checks, as sentences (empty when all pass).

        R-hat: each quantity's bulk and folded R-hat (whose larger is ``r_hat``) against the limit at its
        own ESS (:meth:`rhat_limits`); ESS: bulk and tail ESS at least :data:`ESS_MIN`; no divergences.
        """
        if self.approximate:
            return []
        found = []
        if self.num_chains > 1 and len(self.table):
            rhat = self._rhat_problem()
            if rhat is not None:
                found.append(rhat)
        if self.min_ess_bulk < ESS_MIN:
            found.append(f"min bulk ESS {self.min_ess_bulk:.0f} < {ESS_MIN}")
        if self.min_ess_tail < ESS_MIN:
            found.append(f"min tail ESS {self.min_ess_tail:.0f} < {ESS_MIN}")
        if self.num_divergences:
            found.append(f"{self.num_divergences} divergent transitions")
        return found

    @property
    def ok(self) -> bool:
        """True when every check passes."""
        return not self.problems()

    def advice(self, problems: list[str]) -> str:
        """A warning message naming the failed checks and what to try."""
        tips = []
        if any("R-hat" in p or "ESS" in p for p in problems):
            tips.append("run longer (num_warmup=1000, num_samples=1000) or more chains (num_chains=4)")
        if any("divergent" in p for p in problems):
            tips.append("raise target_accept_prob (e.g. 0.95)")
        return "NUTS convergence checks failed: " + "; ".join(problems) + ". Try: " + "; ".join(tips) + "."

    def summary(self) -> pd.Series:
        """The headline numbers as a Series."""
        return pd.Series({"max_rhat": self.max_rhat, "min_ess_bulk": self.min_ess_bulk,
                          "min_ess_tail": self.min_ess_tail, "num_divergences": self.num_divergences,
                          "ok": self.ok})
