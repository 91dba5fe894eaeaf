"""Decay of 0/1 scores by full Bayes: a logistic GLMM sampled with NumPyro's NUTS.

Same predictor and random-effects structure as the Gaussian model — correlated model intercept and
turn slope(s), and the random intercepts of the structure (the dialogue run; with crossed designs
also the dialogue and the item, shared by the models) — on the logit scale:

    logit P(y = 1) = Xβ + u_{m,0} + Σ_k u_{m,k}·x_k + Σ_g e_{g, level},
    u_m = diag(sigma_model) · L_omega · z_m,  z_m ~ N(0, I),  L_omega ~ LKJCholesky(eta = 2),
    sigma_model ~ HalfNormal(1),  e_g = sigma_g · z_g,  sigma_g ~ HalfNormal(1),
    β ~ N(0, fe_prior_sd²),

non-centred, with ``x_k`` the turn (``random_slopes="turn"``) or the turn within each direction
(``"turn_by_direction"``). It is sampled by the sampler layer (:func:`irt.inference.runners.run_nuts`,
settings :data:`gapeval.sampling.GLMM_NUTS`) and diagnosed like every other posterior fit
(:meth:`irt.Diagnostics.from_draws`). JAX and NumPyro are imported when the function runs.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np

from gapeval.decay.prepare import DecayData
from gapeval.estimates import POSTERIOR_NUTS, DecayResult, FixedEffect, ModelSlope, TestResult, VarianceComponent
from gapeval.responses import DIRECTIONS, GENERATION, UNDERSTANDING
from gapeval.sampling import GLMM_NUTS, GLMM_PRIOR_SD
from irt.diagnostics import ConvergenceWarning, Diagnostics
from irt.inference.options import NUTSOptions

__all__ = ["fit_binomial_nuts", "CHECKED_SITES", "intercept_terms"]

#: Sites whose convergence is checked: the fixed effects and the random-effect scales (``sigma_<group>``
#: of every random intercept: ``sigma_session``, ``sigma_item``, ``sigma_model_session``).
CHECKED_SITES: tuple[str, ...] = ("beta", "sigma_model", "sigma_session", "sigma_item", "sigma_model_session")


def intercept_terms(data: DecayData) -> list[tuple[str, np.ndarray, int]]:
    """``(group, codes, levels)`` of every random intercept of the structure (the model term aside)."""
    from gapeval.decay.gaussian import group_names
    from gapeval.decay.terms import term_design

    terms = data.structure.terms(())[1:]
    designs = [term_design(data.frame, t) for t in terms]
    return [(group, d.codes, d.num_levels) for group, d in zip(group_names(data)[1:], designs)]


def _model(x, slopes, model_idx, intercepts, *, num_models, fe_prior_sd, y=None):
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    k_re = 1 + slopes.shape[1]
    beta = numpyro.sample("beta", dist.Normal(0.0, fe_prior_sd).expand([x.shape[1]]).to_event(1))
    sigma_model = numpyro.sample("sigma_model", dist.HalfNormal(1.0).expand([k_re]).to_event(1))
    l_omega = numpyro.sample("L_omega", dist.LKJCholesky(k_re, 2.0))
    with numpyro.plate("model", num_models):
        z_model = numpyro.sample("z_model", dist.Normal(0.0, 1.0).expand([k_re]).to_event(1))
    u = numpyro.deterministic("u", z_model @ (sigma_model[:, None] * l_omega).T)
    eta = x @ beta + u[model_idx, 0] + jnp.sum(u[model_idx, 1:] * slopes, axis=1)
    for group, codes, levels in intercepts:
        name = group.replace(":", "_")
        sigma = numpyro.sample(f"sigma_{name}", dist.HalfNormal(1.0))
        with numpyro.plate(name, levels):
            z = numpyro.sample(f"z_{name}", dist.Normal(0.0, 1.0))
        eta = eta + sigma * z[codes]
    with numpyro.plate("response", x.shape[0]):
        numpyro.sample("y", dist.Bernoulli(logits=eta), obs=y)


def _summary(draws: np.ndarray, level: float) -> tuple[float, float, float, float, TestResult]:
    mean, sd = float(draws.mean()), float(draws.std(ddof=1))
    lower, upper = np.quantile(draws, [0.5 - level / 2, 0.5 + level / 2])
    tail = 2 * min(float(np.mean(draws > 0)), float(np.mean(draws < 0)))
    return mean, sd, float(lower), float(upper), TestResult(POSTERIOR_NUTS, mean / sd, tail)


def fit_binomial_nuts(
    data: DecayData,
    *,
    random_slopes: str,
    level: float,
    seed: int,
    options: NUTSOptions = GLMM_NUTS,
    fe_prior_sd: float = GLMM_PRIOR_SD,
) -> DecayResult:
    """Sample the logistic decay GLMM with NUTS and summarise it like the other fits."""
    from irt.inference.runners import run_nuts

    frame = data.frame
    x = np.column_stack([np.ones(len(frame))] + [frame[c].to_numpy(float) for c in data.fixed_cols])
    slope_cols = ["t"] if random_slopes == "turn" else ["tu", "tg"]
    slopes = frame[slope_cols].to_numpy(float)
    models = list(data.models)
    model_idx = frame.m.map({m: i for i, m in enumerate(models)}).to_numpy()
    intercepts = intercept_terms(data)
    model = partial(_model, x, slopes, model_idx, intercepts, num_models=len(models), fe_prior_sd=fe_prior_sd,
                    y=frame.y.to_numpy(float))
    run = run_nuts(model, seed=seed, options=options)
    sites = tuple(site for site in CHECKED_SITES if site in run.samples)
    diagnostics = Diagnostics.from_draws(run.samples, sites=sites, sample_stats=run.sample_stats)
    problems = diagnostics.problems()
    if problems:
        warnings.warn(f"NUTS decay fit: {diagnostics.advice(problems)}", ConvergenceWarning, stacklevel=3)
    post = {k: v.reshape((-1,) + v.shape[2:]) for k, v in run.samples.items()}
    terms = ["Intercept", *data.fixed_cols]
    effects = []
    for j, name in enumerate(terms):
        mean, sd, lo, hi, test = _summary(post["beta"][:, j], level)
        effects.append(FixedEffect(data.term_names.get(name, name), mean, sd, lo, hi, POSTERIOR_NUTS, (test,)))
    re_names = ["Intercept"] + (["turn"] if random_slopes == "turn" else
                                [f"turn:{UNDERSTANDING}", f"turn:{GENERATION}"])
    cov = np.einsum("si,sj->sij", post["sigma_model"], post["sigma_model"]) * np.einsum(
        "sik,sjk->sij", post["L_omega"], post["L_omega"])
    components = [VarianceComponent("model", n, None, float(cov[:, i, i].mean()),
                                    float(post["sigma_model"][:, i].mean())) for i, n in enumerate(re_names)]
    corr = np.einsum("sik,sjk->sij", post["L_omega"], post["L_omega"]).mean(axis=0)
    components += [VarianceComponent("model", re_names[i], re_names[j], float(cov[:, i, j].mean()),
                                     float(corr[i, j]))
                   for i in range(len(re_names)) for j in range(i + 1, len(re_names))]
    for group, _, _ in intercepts:
        sig = post[f"sigma_{group.replace(':', '_')}"]
        components.append(VarianceComponent(group, "Intercept", None, float((sig**2).mean()), float(sig.mean())))
    out = []
    for i, name in enumerate(models):
        for direction in DIRECTIONS:  # generation is the reference level: its slope is beta_turn
            fixed_draws = post["beta"][:, 1] + (post["beta"][:, 3] if direction == UNDERSTANDING else 0.0)
            k = 1 if random_slopes == "turn" or direction == UNDERSTANDING else 2
            draws = fixed_draws + post["u"][:, i, k]
            mean, sd, lo, hi, test = _summary(draws, level)
            fixed = float(fixed_draws.mean())
            out.append(ModelSlope(name, direction, mean, sd, lo, hi, fixed, mean - fixed,
                                  f"{POSTERIOR_NUTS}: equal-tailed posterior interval", test))
    return DecayResult(
        family="binomial", estimator=f"NUTS (NumPyro; {options.num_chains} chains x {options.num_samples} draws, "
                                     f"max R-hat {diagnostics.max_rhat:.3f}, {diagnostics.num_divergences} "
                                     "divergences)",
        formula=data.display_formula(random_slopes=random_slopes, family="binomial_correlated"),
        fixed_effects=tuple(effects), variance_components=tuple(components), slopes=tuple(out),
        interaction=effects[3], level=level, nobs=len(frame), n_models=len(models),
        n_sessions=data.n_sessions, random_slopes=random_slopes, covariates=data.covariates,
        converged=diagnostics.ok, mixed=None, structure=data.structure.name, structure_reason=data.structure.reason,
    )
