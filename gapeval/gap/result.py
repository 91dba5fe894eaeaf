"""The record behind a :func:`gapeval.gap_score` table: draws, settings, diagnostics, cohort summary.

``gap_score`` returns a DataFrame; the :class:`GapResult` it came from is ``table.attrs["result"]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from gapeval.gap.layout import GapData
from gapeval.responses import DIRECTIONS
from irt import arviz_bridge
from irt.diagnostics import Diagnostics
from irt.inference.options import NUTSOptions, SVIOptions
from irt.results import SUMMARY_COLUMNS, summarise_draws

__all__ = ["GapResult", "CHECKED_SITES", "COHORT_COLUMNS"]

#: Sites whose convergence is checked (the reported quantities).
CHECKED_SITES: tuple[str, ...] = ("theta", "gap", "mu", "tau", "omega", "sigma_gamma", "sensitivity", "specificity")
#: Posterior sites exported to InferenceData, with their dimensions.
_DIMS: dict[str, list[str]] = {
    "theta": ["model", "direction"], "gap": ["model"], "a": ["item"], "b": ["item"], "mu": ["direction"],
    "tau": ["direction"], "omega": ["direction", "direction_bis"], "sigma_gamma": [], "sigma_beta": [],
    "sigma_epsilon": [], "sigma_log_a": [], "mu_log_a": [], "mu_b": ["direction"], "g": ["multiple_choice_item"],
    "sensitivity": ["judge"], "specificity": ["judge"], "delta": [], "ability_weight": ["model"],
}
#: Sites of the observation layer (:mod:`gapeval.gap.observation`).
_LAYER_SITES: tuple[str, ...] = ("g", "sensitivity", "specificity")
#: Columns of :meth:`GapResult.cohort`.
COHORT_COLUMNS: tuple[str, ...] = ("quantity", *SUMMARY_COLUMNS)


@dataclass(frozen=True, eq=False)
class GapResult:
    """A fitted Gap Score model.

    Attributes
    ----------
    data : GapData
        The responses in the model's layout (model ids, item ids, pairs).
    scale : str
        ``"paired"`` or ``"standardized"``.
    level : float
        Interval level of the table.
    inference : str
        ``"nuts"`` (exact posterior) or ``"svi"`` (approximate).
    seed : int
        Seed of the fit.
    samples : dict
        Posterior draws of every site, arrays (chain, draw, ...); ``gap`` is theta_U - theta_G
        (NaN for a model that answered one direction only).
    sample_stats : dict
        Sampler statistics (``diverging``, ``n_steps``) for NUTS.
    diagnostics : Diagnostics
        R-hat, ESS and divergences of the reported quantities (:data:`CHECKED_SITES`).
    options : NUTSOptions or SVIOptions
        Sampler settings used.
    info : dict
        Facts about the run (``seconds``, ``chain_method``, ``start``, ``approximate``, ...; see
        :class:`irt.inference.runners.SamplerRun`).
    difficulty_offset : tuple of float or None
        (mean, sd) of the generation-minus-understanding difficulty offset delta; None: 0 by convention.
    ability_df : float or None
        Degrees of freedom of Student-t abilities; None: normal.
    """

    data: GapData
    scale: str
    level: float
    inference: str
    seed: int
    samples: dict
    sample_stats: dict
    diagnostics: Diagnostics
    options: NUTSOptions | SVIOptions
    info: dict = field(default_factory=dict)
    difficulty_offset: tuple[float, float] | None = None
    ability_df: float | None = None

    def __deepcopy__(self, memo):  # immutable record: pandas copies ``attrs`` deeply on every operation
        return self

    @property
    def approximate(self) -> bool:
        """True for the SVI path, whose intervals are approximate (mean-field: can be too narrow)."""
        return self.inference != "nuts"

    @property
    def gap_draws(self) -> np.ndarray:
        """Draws of gap_m, (chain, draw, models)."""
        return self.samples["gap"]

    def estimand(self) -> str:
        """What the gaps mean on this fit's scale, in one sentence (also ``table.attrs["estimand"]``)."""
        if self.scale == "standardized":
            return ("theta_U - theta_G with each ability standardized over this cohort: relative standing, "
                    "0 on average over the cohort by construction")
        if self.difficulty_offset is None:
            offset = ("assuming the average paired generation form is as hard as the average paired understanding "
                      "form (difficulty offset 0, a convention the data cannot check)")
        elif self.difficulty_offset[1] == 0:
            offset = f"with the paired generation forms {self.difficulty_offset[0]:g} logits harder on average (given)"
        else:
            offset = (f"with the paired generation forms N({self.difficulty_offset[0]:g}, "
                      f"{self.difficulty_offset[1]:g}^2) logits harder on average (a prior)")
        return (f"theta_U - theta_G on the paired scale, {offset}; differences between models' gaps do not depend "
                "on that offset")

    # ------------------------------------------------------------------ cohort
    def coherence(self) -> dict[str, float]:
        """Cross-modal coherence: sigma_gamma and the within-pair latent correlation it implies.

        The implied correlation is that of the two forms' latent responses for a fixed model at unit
        slopes, sigma_gamma^2 / (sigma_gamma^2 + pi^2/3); NaN without pairs.
        """
        if "sigma_gamma" not in self.samples:
            return {"sigma_gamma": math.nan, "within_pair_correlation": math.nan}
        s = self.samples["sigma_gamma"]
        return {"sigma_gamma": float(s.mean()),
                "within_pair_correlation": float((s ** 2 / (s ** 2 + math.pi ** 2 / 3)).mean())}

    def cohort(self, *, loo: bool = False) -> pd.DataFrame:
        """Cohort summary: corr(theta_U, theta_G), cross-modal coherence and (optionally) ΔELPD.

        Parameters
        ----------
        loo : bool
            Also fit the one-dimensional ("unified", theta_U = theta_G) model with the same
            settings and add ``delta_elpd``: ELPD(1-D) - ELPD(2-D) by PSIS-LOO over questions
            (pair effect integrated out), with its SE in ``sd``. Negative values favour two
            abilities. Costs a second fit.

        Returns
        -------
        pandas.DataFrame
            Rows ``correlation``, ``sigma_gamma``, ``within_pair_correlation`` (and
            ``delta_elpd``); columns :data:`COHORT_COLUMNS` (``quantity, estimate, sd, lower, upper``:
            posterior mean, sd and equal-tailed interval).
        """
        rows = []
        omega = self.samples["omega"][..., 0, 1]
        rows.append({"quantity": "correlation", **{k: float(v) for k, v in summarise_draws(omega, self.level).items()}})
        if "sigma_gamma" in self.samples:
            s = self.samples["sigma_gamma"]
            for name, draws in (("sigma_gamma", s), ("within_pair_correlation", s ** 2 / (s ** 2 + math.pi ** 2 / 3))):
                rows.append({"quantity": name, **{k: float(v) for k, v in summarise_draws(draws, self.level).items()}})
        if loo:
            table = self.compare_dimensions()
            rows.append({"quantity": "delta_elpd", "estimate": float(table.attrs["delta_elpd"]),
                         "sd": float(table.attrs["delta_elpd_se"]), "lower": math.nan, "upper": math.nan})
        frame = pd.DataFrame(rows, columns=list(COHORT_COLUMNS))
        frame.attrs.update(level=self.level, scale=self.scale, inference=self.inference)
        return frame

    def compare_dimensions(self) -> pd.DataFrame:
        """PSIS-LOO comparison of the 2-D model with the 1-D ("unified") model (ArviZ's table).

        ``attrs`` carries ``delta_elpd`` = ELPD(1-D) - ELPD(2-D) and ``delta_elpd_se``.
        """
        return self._dimension_comparison

    @cached_property
    def _dimension_comparison(self) -> pd.DataFrame:
        from gapeval.gap.fit import fit_gap_model

        unified = fit_gap_model(self.data, scale=self.scale, unidimensional=True, level=self.level, seed=self.seed,
                                options=self.options, difficulty_offset=self.difficulty_offset,
                                ability_df=self.ability_df)
        table = arviz_bridge.loo_compare({"2-D": self.idata, "1-D": unified.idata})
        elpd = table["elpd_loo"] if "elpd_loo" in table else table["elpd"]
        table.attrs["delta_elpd"] = float(elpd["1-D"] - elpd["2-D"])
        table.attrs["delta_elpd_se"] = float(table.loc[table.index[1], "dse"])
        return table

    # ------------------------------------------------------------------ ArviZ
    @cached_property
    def pointwise_loglik(self) -> np.ndarray:
        """Log-likelihood per answered question (model x pair or single item), (chain, draw, cell)."""
        from gapeval.gap.likelihood import marginal_loglik   # JAX's module: imported when a fit is examined

        s = self.samples
        chains, draws = s["theta"].shape[:2]

        def flat(x):
            return None if x is None else x.reshape((-1,) + x.shape[2:])

        layer = {site: flat(s[site]) for site in _LAYER_SITES if site in s}
        ll = marginal_loglik(self.data, theta=flat(s["theta"]), a=flat(s["a"]), b=flat(s["b"]),
                             sigma_gamma=flat(s.get("sigma_gamma")), layer=layer)
        return ll.reshape(chains, draws, -1)

    @cached_property
    def idata(self):
        """The fit as ``arviz.InferenceData``; the log-likelihood is per (model, question) cell."""
        data = self.data
        cells = np.argwhere(data.observed.any(axis=2))
        posterior = {k: v for k, v in self.samples.items() if k in _DIMS}
        coords = {"model": list(data.model_ids), "direction": list(DIRECTIONS),
                  "direction_bis": list(DIRECTIONS), "item": list(data.item_ids),
                  "response": np.arange(len(cells))}
        if data.observation is not None:
            mcq = data.observation.mcq[data.item_unit, data.item_slot]
            coords.update(judge=list(data.observation.judge_ids),
                          multiple_choice_item=[i for i, m in zip(data.item_ids, mcq) if m])
        dims = {k: v for k, v in _DIMS.items() if k in posterior}
        if posterior.get("mu") is not None and posterior["mu"].shape[-1] == 1:
            dims["mu"] = dims["tau"] = ["unified"]
            coords["unified"] = ["theta"]
        return arviz_bridge.to_inference_data(
            posterior=posterior, sample_stats=self.sample_stats, log_likelihood=self.pointwise_loglik,
            observed=data.y.sum(axis=2)[cells[:, 0], cells[:, 1]],
            constant_data={"model_code": cells[:, 0], "unit_code": cells[:, 1]},
            coords=coords, dims=dims,
            attrs={"method": "mirt", "scale": self.scale, "inference": self.inference, "seed": self.seed,
                   "approximate": int(self.approximate)},
        )

    def summary(self) -> dict[str, Any]:
        """Settings and headline diagnostics as a plain dict."""
        diag = self.diagnostics.summary().to_dict()
        return {"scale": self.scale, "level": self.level, "inference": self.inference, "seed": self.seed,
                "approximate": self.approximate, **{k: v for k, v in self.info.items()}, "diagnostics": diag}
