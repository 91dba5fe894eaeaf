"""The sampler defaults of gapeval's Bayesian fits, decided once.

This module owns every default setting of the benchmark's samplers: the options records
(:class:`irt.NUTSOptions`, :class:`irt.SVIOptions`) of the Gap Score, of the explanatory IRT decay
model and of the binomial decay GLMM, which estimator each uses by default (the Laplace approximation, not a sampler, for
the binomial decay GLMM), and the GLMM's prior.
:func:`gapeval.gap_score`, :func:`gapeval.decay.decay`, :func:`gapeval.decay.irt_decay` and the
report's analyses take their keyword defaults from here; ``docs/inference.md`` ("Sampler options and
defaults") explains each choice and the measurements behind it.

Where one keyword sets two records (``gap_score``'s ``num_samples`` is the number of NUTS draws per
chain and of SVI draws; its ``learning_rate`` is the warm start's and SVI's), the two records share
the value by construction.

Importing this module does not import JAX.
"""

from __future__ import annotations

from gapeval.errors import GapevalError
from irt.inference.options import NUTSOptions, SVIOptions

__all__ = ["INFERENCE", "check_inference", "GAP_INFERENCE", "GAP_NUTS", "GAP_SMALL_COHORT", "GAP_NUTS_SMALL",
           "GAP_SVI", "IRT_DECAY_INFERENCE",
           "IRT_DECAY_NUTS", "IRT_DECAY_SVI", "BINOMIAL_METHOD", "BINOMIAL_METHODS", "GLMM_NUTS", "GLMM_PRIOR_SD"]

#: The estimators of the IRT models (the Gap Score, the explanatory decay model): the exact posterior,
#: or a mean-field normal approximation.
INFERENCE: tuple[str, ...] = ("nuts", "svi")


def check_inference(inference: str) -> None:
    """Refuse an estimator that the IRT models do not offer, saying why and what to use.

    Examples
    --------
    >>> check_inference("map")
    Traceback (most recent call last):
    ...
    gapeval.errors.GapevalError: inference='map' is not offered: a joint posterior mode over abilities and item parameters is degenerate, it inflates the slopes (they run off to infinity when each item has few answers); use inference='svi' for the fast approximate path or inference='nuts' for the exact posterior
    """
    if inference == "map":
        raise GapevalError(
            "inference='map' is not offered: a joint posterior mode over abilities and item parameters is "
            "degenerate, it inflates the slopes (they run off to infinity when each item has few answers); use "
            "inference='svi' for the fast approximate path or inference='nuts' for the exact posterior")
    if inference not in INFERENCE:
        raise GapevalError(f"inference={inference!r} is not one of {list(INFERENCE)}")


#: The Gap Score's estimator: the exact posterior, everywhere (library, report, command line).
GAP_INFERENCE = "nuts"
#: NUTS of the Gap Score: a 500-step SVI warm start, then 400 warm-up and 1,200 kept iterations per chain, 2
#: chains. With 600 kept per chain sigma_gamma's tail ESS (always the smallest) was under 400 in 4 of 6 fits of
#: 20 models x 100 pairs; with 1,200 in 1 of 6, about as with 4 chains of 600 run vectorized, at half their CPU
#: time (``benchmarks/gap/RESULTS.md``, "Default NUTS without a warning").
#: 1,200 is the most: after 400 draws per chain, and after each further block of 200, the fit's convergence
#: checks (R-hat under its limit, bulk and tail ESS >= 400, no divergence: ``irt.diagnostics``) are computed, and
#: the chains stop as soon as all pass (``min_samples``, ``block_size``; ``stop_when_converged=False`` always
#: draws 1,200). Stopping when the ESS reaches a threshold is a sequential fixed-width stopping rule: the Monte
#: Carlo error of the reported means and quantiles is then at most about 1/20 of a posterior sd, and such rules
#: give intervals whose coverage is asymptotically the nominal one (Jones, Haran, Caffo & Neath 2006; Vats,
#: Flegal & Jones 2019, who stop on a multivariate ESS); the draws a stopped run keeps are the first blocks of
#: the run that went on, so what it can bias is a quantile's Monte Carlo error, of that size
#: (``docs/inference.md``, "Stopping once converged"). Measured (``benchmarks/gap/RESULTS.md``, sixth session):
#: 20 x 600, 6 seeds: stopped at 800-1,000 draws, 0.78 of the CPU, the same gaps covered, no warning; 20 x 100,
#: 20 seeds: median 800 draws, coverage 0.963 against 0.958, 4 warnings against 1 (all at 1,200 draws; p = 0.34).
#: Tenth session, each R-hat held to the limit at its own ESS (the folded R-hat at the folded ESS): 20 x 300, 40
#: seeds: median stop 600 draws (was 800), 26,600 draws in all against 33,200, coverage 765/800 both, 2 warnings both.
GAP_NUTS = NUTSOptions(num_warmup=400, num_samples=1200, num_chains=2, target_accept_prob=0.9, max_tree_depth=10,
                       warm_start_steps=500, learning_rate=0.05, mass_inflation=2.0, min_samples=400, block_size=200)
#: Cohorts of fewer models than this are sampled with ``GAP_NUTS_SMALL``'s chains, draws and target, and with
#: each model's abilities centred or non-centred as its information calls for (:mod:`gapeval.gap.centring`).
GAP_SMALL_COHORT = 10
#: NUTS of the Gap Score on small cohorts: 4 chains x (400 + 600), target 0.99. With 4 models tau is weakly
#: identified: with centred abilities, on 10 data sets of 4 x 100, this at 0.95 gave 7 fits without a warning
#: (one data set diverged under every setting); with the non-centred abilities small cohorts now get, 8 at 0.95
#: (1 and 3 divergences) and 9 at 0.99 (1 divergence in the tenth; ``benchmarks/gap/RESULTS.md``, "Default NUTS
#: fits that do not warn"), at about twice the leapfrog steps (127 against 63 a draw). With each model centred or
#: non-centred by its information (``benchmarks/gap/RESULTS.md``, "Per-model centring"): 9 of 10 at 0.99, no
#: divergence, 79 steps a draw (median); the demo's cohort with a model at the ceiling 127 against 255-511.
#: Small cohorts stop as the others do, from 400 draws per chain (checks at 400, else 600).
GAP_NUTS_SMALL = NUTSOptions(num_warmup=400, num_samples=600, num_chains=4, target_accept_prob=0.99, max_tree_depth=10,
                             warm_start_steps=500, learning_rate=0.05, mass_inflation=2.0, min_samples=400,
                             block_size=200)

#: SVI of the Gap Score (the fast, approximate path): 6,000 Adam steps from 0.05 decaying to 0.00005, and
#: 4,000 draws from the fitted guide. On 20 models x 100 pairs across 4 seeds the gaps' posterior means spread
#: by at most 0.087 posterior sd (median 0.054); with 3,000 steps and 600 draws by 0.153 (median 0.083), of
#: which the Monte Carlo error of a mean of 600 draws (0.04 sd) was most; 3,000 steps and 4,000 draws: 0.123
#: (``benchmarks/gap/RESULTS.md``, "SVI across seeds"). 1,000 steps decaying to 0.005 spread them by up to 0.51 sd.
#: Seventh session (pooled sd of the gap means across seeds, in posterior sds; 4,000 draws alone give 0.016): 6,000
#: steps 0.025 (20 x 100, 8 seeds) and 0.026 (20 x 600), 4,000 0.026, 3,000 0.030 / 0.029, 2,000 0.042 at 20 x 600;
#: a rule stopping once the window-averaged iterates moved < 0.1 guide sd stopped at 4,000-5,500 steps with 0.037 /
#: 0.042, and averaging the last iterates did not help: none kept.
GAP_SVI = SVIOptions(num_steps=6000, learning_rate=GAP_NUTS.learning_rate, learning_rate_decay=0.001,
                     num_draws=4000, init_scale=0.05)

#: The explanatory IRT decay model's estimator.
IRT_DECAY_INFERENCE = "nuts"
#: NUTS of the explanatory IRT decay model: uniform starts near the prior's centre, 500 + 500 iterations.
IRT_DECAY_NUTS = NUTSOptions(num_warmup=500, num_samples=500, num_chains=2, target_accept_prob=0.8,
                             warm_start_steps=0)
#: SVI of the explanatory IRT decay model: 3,000 Adam steps from 0.02 decaying to 0.002 (the Gap Score's
#: schedule: a constant step size left the estimates jittering by about 0.05 logits at the end).
IRT_DECAY_SVI = SVIOptions(num_steps=3000, learning_rate=0.02, learning_rate_decay=0.1,
                           num_draws=IRT_DECAY_NUTS.num_samples, init_scale=0.05)

#: The estimators of :func:`gapeval.decay.decay` for 0/1 scores.
BINOMIAL_METHODS: tuple[str, ...] = ("laplace", "nuts", "vb")
#: How :func:`gapeval.decay.decay` fits 0/1 scores: ``laplace`` (glmer's Laplace approximation: about 3 s for
#: 6 models x 30 dialogues x 8 turns nested or crossed on an idle 2-core machine; its Wald intervals covered 0.90 on the shared-dialogue benchmark,
#: ``benchmarks/decay/RESULTS.md``) rather than
#: ``nuts`` (honest posterior intervals, a minute or more) or ``vb`` (mean-field intervals far too narrow).
BINOMIAL_METHOD = "laplace"
#: NUTS of the binomial decay GLMM: uniform starts, 1,000 warm-up and 1,500 kept iterations per chain,
#: target 0.9 (500 + 500 left the session-effect scale at ESS 250-350 or R-hat 1.014-1.018; 4-8 s a fit
#: on 72-720 answers).
GLMM_NUTS = NUTSOptions(num_warmup=1000, num_samples=1500, num_chains=2, target_accept_prob=0.9, warm_start_steps=0)
#: Prior sd of the binomial GLMM's fixed effects (logit scale), for the VB and the NUTS fit alike.
GLMM_PRIOR_SD = 2.0
