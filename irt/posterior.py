"""Results of posterior-based fits (NUTS, SVI, MAP with a Laplace approximation)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import jax
import numpy as np
import pandas as pd
from numpyro.infer import log_likelihood as numpyro_log_likelihood

from irt import arviz_bridge
from irt.diagnostics import ConvergenceWarning, Diagnostics
from irt.errors import IRTError
from irt.grid_scoring import grid_scores
from irt.results import ABILITY_COLUMNS, ITEM_COLUMNS, LATENT_COLUMNS, LATENT_SD, FitResult, correlation_name, summarise_draws

__all__ = ["PosteriorFit", "CHECKED_SITES", "POINT_ESTIMATES_ONLY", "NOT_TRUSTWORTHY"]


#: ``attrs["interval"]`` of a θ table without intervals (SVI with the guide's own θ marginals).
POINT_ESTIMATES_ONLY = "point estimates only (SVI without the grid correction of θ: its intervals would be far too narrow)"
#: ``attrs["interval"]`` of every table of an SVI fit that failed its scale check
#: (:func:`irt.inference.svi.scale_check`).
NOT_TRUSTWORTHY = ("not trustworthy: the SVI fit failed its scale check (info['scale_check_z'], "
                   "info['scale_check_spread']); refit with another seed or more num_steps, or use method='nuts'")

#: Reported sites whose convergence :meth:`PosteriorFit.diagnostics` checks.
CHECKED_SITES: tuple[str, ...] = ("theta", "a", "d", "g", "omega", "sigma_theta")


@dataclass(frozen=True, eq=False)
class PosteriorFit(FitResult):
    """A fit represented by posterior draws.

    Attributes
    ----------
    samples : dict
        Every sample and deterministic site, arrays of shape (chain, draw, ...).
    sample_stats : dict
        Sampler statistics (NUTS: ``diverging``, ``n_steps``), arrays (chain, draw).
    point : dict
        For ``map`` fits, the sites at the posterior mode, shape (1, 1, ...): item tables then report
        the mode as ``estimate`` (with the Laplace draws' sd and interval).
    """

    samples: dict = field(default_factory=dict, repr=False)
    sample_stats: dict = field(default_factory=dict, repr=False)
    point: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ tables
    def abilities(self, *, level: float = 0.95) -> pd.DataFrame:
        """Posterior summaries of θ, one row per respondent x dimension.

        Returns
        -------
        pandas.DataFrame
            Columns ``respondent, dimension, estimate, sd, lower, upper`` (estimate = posterior mean,
            equal-tailed credible interval at ``level``). ``attrs["interval"]`` names the interval. An
            SVI fit whose θ are the guide's own (``grid_theta=False``, or more than two dimensions)
            reports point estimates only: ``sd``, ``lower`` and ``upper`` are NaN and
            ``attrs["interval"]`` is :data:`POINT_ESTIMATES_ONLY` (those intervals cover the true θ
            far less often than they say: 0.27-0.80 at 95%, ``benchmarks/irt/RESULTS.md``). An SVI
            fit that failed its scale check (``info["scale_check"] == "failed"``, with an
            :class:`irt.ApproximationWarning`) says :data:`NOT_TRUSTWORTHY`, here and in every table.
        """
        stats = summarise_draws(self.samples["theta"], level)
        interval = self._interval_name
        if self.info.get("theta_intervals") == "guide":
            stats = dict(stats, **{k: np.full_like(stats[k], np.nan) for k in ("sd", "lower", "upper")})
            interval = POINT_ESTIMATES_ONLY
        num_r, num_d = stats["estimate"].shape
        frame = pd.DataFrame({
            "respondent": np.repeat(np.asarray(self.data.respondent_ids, dtype=object), num_d),
            "dimension": np.tile(np.asarray(self.problem.dimension_ids, dtype=object), num_r),
            **{k: v.reshape(-1) for k, v in stats.items()},
        })
        return self._frame_attrs(frame[list(ABILITY_COLUMNS)], level=level, interval=interval)

    def items(self, *, level: float = 0.95) -> pd.DataFrame:
        """Posterior summaries of the item parameters, one row per item x parameter.

        ``b = -d/a`` is summarised from its own posterior draws (not as a ratio of means).
        """
        blocks = []
        at_mode = self._item_param_draws(self.point) if self.point else {}
        for param, draws in self._item_param_draws().items():
            stats = summarise_draws(draws, level)
            if param in at_mode:
                stats["estimate"] = at_mode[param][0, 0]
            blocks.append(pd.DataFrame({"item_code": np.arange(draws.shape[2]), "param": param,
                                        **{k: v for k, v in stats.items()}}))
        table = pd.concat(blocks, ignore_index=True).dropna(subset=["estimate"])
        order = {name: k for k, name in enumerate(self._param_order())}
        table = table.assign(_order=table["param"].map(order)).sort_values(["item_code", "_order"], kind="stable")
        table.insert(0, "item", np.asarray(self.data.item_ids, dtype=object)[table["item_code"].to_numpy()])
        frame = table[list(ITEM_COLUMNS)].reset_index(drop=True)
        return self._frame_attrs(frame, level=level, interval=self._interval_name)

    def latent(self, *, level: float = 0.95) -> pd.DataFrame:
        """Latent-distribution parameters (see :mod:`irt.results`): ``omega[F1,F2]`` or the Rasch ``sigma_theta``."""
        rows = []
        if "omega" in self.samples:
            dims = self.problem.dimension_ids
            for i in range(len(dims)):
                for j in range(i + 1, len(dims)):
                    s = summarise_draws(self.samples["omega"][..., i, j], level)
                    rows.append({"param": correlation_name(dims[i], dims[j]), **{k: float(v) for k, v in s.items()}})
        if "sigma_theta" in self.samples:
            s = summarise_draws(self.samples["sigma_theta"], level)
            rows.append({"param": LATENT_SD, **{k: float(v) for k, v in s.items()}})
        frame = pd.DataFrame(rows, columns=list(LATENT_COLUMNS))
        return self._frame_attrs(frame, level=level, interval=self._interval_name)

    @property
    def _interval_name(self) -> str:
        if self.info.get("scale_check") == "failed":
            return NOT_TRUSTWORTHY
        return "approximate credible interval" if self.info.get("approximate") else "credible interval"

    def _param_order(self) -> list[str]:
        dims = [f"a[{d}]" for d in self.problem.dimension_ids]
        width = int(self.problem.num_categories.max()) - 1
        return (["a"] + dims + ["d"] + [f"d{k + 1}" for k in range(width)] + ["b"]
                + [f"b{k + 1}" for k in range(width)] + ["g"])

    def _item_param_draws(self, samples: dict | None = None) -> dict[str, np.ndarray]:
        """Draws (chain, draw, item) of each named item parameter (of ``samples``, default the posterior)."""
        problem, s = self.problem, (self.samples if samples is None else samples)
        num_items = problem.data.num_items
        out: dict[str, np.ndarray] = {}
        multidim = problem.num_dimensions > 1
        a = s.get("a")
        if problem.model == "rasch":
            a = np.ones(s["d"].shape[:2] + (num_items,))
        elif problem.model == "1pl":
            a = np.broadcast_to(a[..., None], a.shape + (num_items,))
        if multidim:
            for k, dim in enumerate(problem.dimension_ids):
                out[f"a[{dim}]"] = np.where(problem.q_matrix[:, k] == 1, a[..., k], np.nan)
        elif problem.model != "rasch":
            out["a"] = a
        d = s["d"]
        if problem.model == "graded":
            for k in range(d.shape[-1]):
                out[f"d{k + 1}"] = d[..., k]
                if not multidim:
                    out[f"b{k + 1}"] = -d[..., k] / a
        else:
            out["d"] = d
            if not multidim:
                out["b"] = -d / a
        if "g" in s:
            out["g"] = s["g"]
        return out

    # ------------------------------------------------------------------ likelihood and diagnostics
    @cached_property
    def pointwise_loglik(self) -> np.ndarray:
        """Log-likelihood of each observed response under each draw, shape (chain, draw, response)."""
        from irt.inference.common import device_args, reparameterised

        model = reparameterised(self.problem, centered=self.info.get("centered", 0.0))
        args = device_args(self.problem, dense=False)
        latent = {k: v for k, v in self.samples.items()}
        ll = numpyro_log_likelihood(model, latent, batch_ndims=2, **args)["y"]
        return np.asarray(ll)

    @property
    def loglik(self) -> float:
        """Posterior mean of the total log-likelihood of the data."""
        return float(self.pointwise_loglik.sum(axis=-1).mean())

    def diagnostics(self) -> Diagnostics:
        """R-hat, bulk and tail ESS of the reported parameters (:data:`CHECKED_SITES`), and the divergences."""
        return Diagnostics.from_draws(self.samples, sites=CHECKED_SITES, sample_stats=self.sample_stats,
                                      approximate=bool(self.info.get("approximate")))

    def check_convergence(self, *, stacklevel: int = 3) -> Diagnostics:
        """Compute diagnostics and issue a :class:`ConvergenceWarning` with advice when they fail."""
        diag = self.diagnostics()
        problems = diag.problems()
        if problems:
            warnings.warn(diag.advice(problems), ConvergenceWarning, stacklevel=stacklevel)
        return diag

    # ------------------------------------------------------------------ ArviZ
    @cached_property
    def idata(self):
        """The fit as ``arviz.InferenceData`` (posterior, sample_stats, log_likelihood, observed and constant data)."""
        problem = self.problem
        dims_of = {
            "theta": ["respondent", "dimension"],
            "omega": ["dimension", "dimension_bis"],
            "g": ["item"], "mu_log_a": [], "sigma_log_a": [], "mu_d": [], "sigma_d": [], "sigma_theta": [],
        }
        if problem.num_dimensions > 1:
            dims_of["a"] = ["item", "dimension"]
        elif problem.model != "1pl":
            dims_of["a"] = ["item"]
        dims_of["d"] = ["item", "threshold"] if problem.model == "graded" else ["item"]
        if problem.num_dimensions > 1 and problem.model != "graded":
            dims_of["mu_d"] = ["dimension"]  # one intercept mean per dimension (items grouped by first loading)
        coords = {"respondent": list(problem.data.respondent_ids), "item": list(problem.data.item_ids),
                  "dimension": list(problem.dimension_ids), "dimension_bis": list(problem.dimension_ids),
                  "response": np.arange(problem.data.num_responses)}
        if problem.model == "graded":
            coords["threshold"] = list(range(1, int(problem.num_categories.max())))
        posterior = {k: v for k, v in self.samples.items() if k in dims_of}
        return arviz_bridge.to_inference_data(
            posterior=posterior, sample_stats=self.sample_stats, log_likelihood=self.pointwise_loglik,
            observed=problem.data.response,
            constant_data={"respondent_code": problem.data.respondent, "item_code": problem.data.item},
            coords=coords, dims={k: v for k, v in dims_of.items() if k in posterior},
            attrs={"method": self.method, "model": problem.model, "seed": self.seed,
                   "approximate": int(bool(self.info.get("approximate")))},
        )

    # ------------------------------------------------------------------ new respondents
    def score_new(self, responses: Any, *, level: float = 0.95, max_draws: int = 200) -> pd.DataFrame:
        """Abilities of new respondents, item parameters fixed at this fit's posterior.

        The posterior of θ is integrated on a grid for each of up to ``max_draws`` posterior draws of
        the item parameters and averaged, so item uncertainty is carried into the scores.

        Parameters
        ----------
        responses : pandas.DataFrame
            Rows are new respondents, columns item ids of this fit (any subset); NaN = not answered.
        level : float
            Interval level.
        max_draws : int
            Number of evenly thinned posterior draws used.

        Returns
        -------
        pandas.DataFrame
            The :meth:`abilities` layout.
        """
        matrix = _align_new_responses(responses, self.data.item_ids, self.problem.num_categories)
        params = self._item_param_draws()
        problem, s = self.problem, self.samples
        total = s["theta"].shape[0] * s["theta"].shape[1]
        pick = np.unique(np.linspace(0, total - 1, min(max_draws, total)).astype(int))

        def flat(x):
            return x.reshape((-1,) + x.shape[2:])[pick]

        num_d = problem.num_dimensions
        if num_d > 1:
            a = flat(s["a"])
        else:
            a = flat(params["a"]) if "a" in params else np.ones((len(pick), self.data.num_items))
        d = flat(s["d"])
        g = flat(s["g"]) if "g" in s else None
        if "omega" in s:
            cov = flat(s["omega"])
        elif "sigma_theta" in s:
            cov = flat(s["sigma_theta"])[:, None, None] ** 2
        else:
            cov = np.ones((len(pick), 1, 1))
        stats = grid_scores(problem.model, matrix.to_numpy(), a=a, d=d, g=g, prior_cov=cov, level=level)
        frame = pd.DataFrame({
            "respondent": np.repeat(np.asarray(matrix.index, dtype=object), num_d),
            "dimension": np.tile(np.asarray(problem.dimension_ids, dtype=object), len(matrix)),
            **{k: v.reshape(-1) for k, v in stats.items()},
        })
        return self._frame_attrs(frame[list(ABILITY_COLUMNS)], level=level, interval=self._interval_name)

    def predict(self, *, seed: int = 0) -> np.ndarray:
        """Posterior predictive draws of the observed responses, shape (chain, draw, response)."""
        from numpyro.infer import Predictive

        from irt.inference.common import device_args, reparameterised

        model = reparameterised(self.problem, centered=self.info.get("centered", 0.0))
        args = device_args(self.problem, dense=False)
        args["y"] = None
        latent = {k: v.reshape((-1,) + v.shape[2:]) for k, v in self.samples.items()}
        draws = Predictive(model, posterior_samples=latent, return_sites=["y"])(jax.random.PRNGKey(seed), **args)["y"]
        chains, num = self.samples["theta"].shape[:2]
        return np.asarray(draws).reshape(chains, num, -1)


def _align_new_responses(responses: Any, item_ids: tuple, num_categories: np.ndarray) -> pd.DataFrame:
    if not isinstance(responses, pd.DataFrame):
        raise IRTError("score_new expects a DataFrame: rows are new respondents, columns item ids of the fit")
    unknown = [c for c in responses.columns if c not in item_ids]
    if unknown:
        raise IRTError(f"score_new: columns {unknown[:8]} are not items of this fit; known items are e.g. "
                         f"{list(item_ids[:5])}")
    original = responses.reindex(columns=list(item_ids))
    matrix = original.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = matrix.isna() & original.notna()
    if bad.to_numpy().any():
        raise IRTError(f"score_new: non-numeric responses {pd.unique(original[bad].stack()).tolist()[:8]}; "
                         "code them 0/1 or 0..K-1")
    values = matrix.to_numpy()
    observed = ~np.isnan(values)
    empty = [responses.index[r] for r in np.flatnonzero(~observed.any(axis=1))]
    if empty:
        raise IRTError(f"score_new: respondents {empty[:8]} answered none of the fitted items")
    cats = np.broadcast_to(num_categories, values.shape)
    invalid = observed & ((values < 0) | (values >= cats) | (values != np.round(values)))
    if invalid.any():
        r, c = np.argwhere(invalid)[0]
        raise IRTError(f"score_new: response {float(values[r, c]):g} of respondent {responses.index[r]!r} to item "
                         f"{item_ids[c]!r} is not a category of that item (0..{cats[r, c] - 1})")
    return matrix
