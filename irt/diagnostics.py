"""Convergence diagnostics, the one builder of them, and the warning issued when they fail (docs/methods.md §1).

:meth:`Diagnostics.from_draws` is the only place a convergence table is built from draws: the
posterior fits of :func:`irt.fit`, ``gapeval.gap_score``, the explanatory decay model and the
binomial GLMM of ``gapeval.decay`` all call it. :class:`ConvergenceWarning` is the one warning class
for failed checks, in ``irt`` and ``gapeval`` alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from irt.errors import IRTError

__all__ = ["ConvergenceWarning", "Diagnostics", "RHAT_MAX", "ESS_MIN", "RHAT_CHANCE", "CORRELATION_SITES",
           "TABLE_COLUMNS"]

#: Thresholds of docs/methods.md §1.
RHAT_MAX = 1.01
ESS_MIN = 400
#: Below this, a largest R-hat over RHAT_MAX with ESS >= ESS_MIN is often chance (see ``Diagnostics.rhat_near_chance``).
RHAT_CHANCE = 1.02
#: Sites holding correlation matrices (..., D, D): only their free entries above the diagonal are checked.
CORRELATION_SITES: tuple[str, ...] = ("omega",)
#: Columns of :attr:`Diagnostics.table`.
TABLE_COLUMNS: tuple[str, ...] = ("site", "index", "r_hat", "ess_bulk", "ess_tail")


class ConvergenceWarning(UserWarning):
    """A fit failed a convergence check: a sampler's diagnostics, or an optimiser that did not converge
    cleanly or stopped on the boundary of its space. The message says which and what to try."""


@dataclass(frozen=True)
class Diagnostics:
    """Convergence summary of a posterior fit.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per scalar parameter: ``site``, ``index``, ``r_hat``, ``ess_bulk``, ``ess_tail`` (empty
        for single-"chain" approximate fits, whose independent draws make these statistics meaningless).
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

    def problems(self) -> list[str]:
        """The failed checks, as sentences (empty when all pass)."""
        if self.approximate:
            return []
        found = []
        if self.num_chains > 1 and self.max_rhat > RHAT_MAX:
            worst = self.table.loc[self.table["r_hat"].idxmax()]
            found.append(f"max R-hat {self.max_rhat:.3f} > {RHAT_MAX} (at {worst['site']}[{int(worst['index'])}])")
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

    @property
    def rhat_near_chance(self) -> bool:
        """True when R-hat is the only failed check and its largest value is below :data:`RHAT_CHANCE`.

        The largest of many R-hats exceeds 1.01 by chance alone when ESS is modest: for 66 quantities
        of 2 converged chains of 600 draws (autoregressive draws, simulated in
        ``benchmarks/gap/rhat_by_chance.py``), P(max R-hat > 1.01) is 0.02 at ESS 1,200, 0.24 at
        ESS 800 and 0.57 at ESS 600 (median maxima 1.006, 1.008, 1.010). Such a warning is worth a
        longer run, not alarm.
        """
        problems = self.problems()
        return len(problems) == 1 and "R-hat" in problems[0] and self.max_rhat < RHAT_CHANCE

    def advice(self, problems: list[str]) -> str:
        """A warning message naming the failed checks and what to try."""
        tips = []
        if any("R-hat" in p or "ESS" in p for p in problems):
            tips.append("run longer (num_warmup=1000, num_samples=1000) or more chains (num_chains=4)")
        if any("divergent" in p for p in problems):
            tips.append("raise target_accept_prob (e.g. 0.95)")
        message = "NUTS convergence checks failed: " + "; ".join(problems) + ". Try: " + "; ".join(tips) + "."
        if problems == self.problems() and self.rhat_near_chance:
            message += (f" With a smallest ESS of {min(self.min_ess_bulk, self.min_ess_tail):.0f} over "
                        f"{len(self.table)} quantities, a largest R-hat below {RHAT_CHANCE} often arises by chance "
                        "in converged chains (about half the time at ESS 600); the longer run tells the two apart.")
        return message

    def summary(self) -> pd.Series:
        """The headline numbers as a Series."""
        return pd.Series({"max_rhat": self.max_rhat, "min_ess_bulk": self.min_ess_bulk,
                          "min_ess_tail": self.min_ess_tail, "num_divergences": self.num_divergences,
                          "ok": self.ok})
