r"""Which models' abilities the sampler sees centred, and which non-centred.

The choice changes the sampler's geometry only, never the posterior: theta_m ~ N(mu, Sigma) sampled
directly (centred) or as mu + Sigma^(1/2) z_m with z_m standard normal (non-centred) is the same prior
(:func:`gapeval.gap.model.sample_abilities`). Which form mixes better depends on how much a model's
answers say about its ability compared with the cohort's spread (Papaspiliopoulos, Roberts & Sköld
2007; Betancourt & Girolami 2015): with likelihood precision lambda and prior sd tau, the centred form
suits lambda tau^2 >> 1 (the answers pin theta_m, whatever mu and tau do), the non-centred form
lambda tau^2 << 1 (theta_m follows mu and tau, and the centred form has a funnel where tau is small).

In cohorts of :data:`gapeval.sampling.GAP_SMALL_COHORT` models or more every model is centred (tau is
pinned by the cohort, away from the funnel). In smaller cohorts each model gets the form its
information calls for, from a rough look at the data (the logit of its proportion right per
direction, with the binomial information ``n p (1 - p)`` and a slope of 1):

* lambda_md = n_md p_md (1 - p_md) for model m in direction d; 0 for a direction answered all right,
  all wrong, or not at all (the likelihood bounds theta on one side at most);
* tau_d^2 = the variance of the informative models' logits minus their mean sampling variance
  1/lambda, at least 0 (a method-of-moments spread; 0 with fewer than two informative models);
* a model is centred when lambda_md tau_d^2 >= 1 in both directions.

Measured (``benchmarks/gap/RESULTS.md``, "Per-model centring"): the demo's six models, one at the
ceiling in both directions and one at the floor with no generation answers, took 255-511 leapfrog
steps a draw with every model non-centred and 63-127 with every model centred; and a 4 x 100 cohort
whose generation abilities lie close together (spread 0.24, each model's posterior sd about 0.2)
diverges centred under every setting tried and not non-centred.

References
----------
Papaspiliopoulos, O., Roberts, G. O. & Sköld, M. (2007). A general framework for the parametrization
of hierarchical models. *Statistical Science* 22, 59-73.

Betancourt, M. & Girolami, M. (2015). Hamiltonian Monte Carlo for hierarchical models. In *Current
Trends in Bayesian Methodology with Applications*, 79-101.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gapeval.sampling import GAP_SMALL_COHORT

if TYPE_CHECKING:
    from gapeval.gap.layout import GapData

__all__ = ["ability_centring", "direction_information"]

#: A model is centred when lambda * tau^2 reaches this in both directions.
CENTRING_THRESHOLD = 1.0


def direction_information(data: GapData) -> tuple[np.ndarray, np.ndarray]:
    """Logit of each model's proportion right and its binomial information, (models, 2) each.

    Direct scores count k of K points; an answer with judges' labels only counts the share of its judges'
    "right" labels (one answer, however many labels; :attr:`GapData.counts` counts the answers). The information is 0 where a direction was not answered or was
    answered all right or all wrong (the logit is then NaN).

    Examples
    --------
    >>> from gapeval.gap.layout import build_gap_data
    >>> from gapeval.gap.simulate import simulate_gap_responses
    >>> df, _ = simulate_gap_responses(3, 20, seed=0)
    >>> logit, information = direction_information(build_gap_data(df, points=1, use_pairs=True))
    >>> logit.shape, bool((information > 0).all())
    ((3, 2), True)
    """
    right = np.where(data.mask, data.y / data.points, 0.0).sum(axis=1)
    if data.observation is not None and data.observation.num_judges:
        positive = data.observation.positive.sum(axis=0)
        labels = positive + data.observation.negative.sum(axis=0)
        judged_only = (labels > 0) & ~data.mask
        right = right + np.where(judged_only, positive / np.maximum(labels, 1), 0.0).sum(axis=1)
    answers = data.counts.astype(float)
    inside = (right > 0) & (right < answers)
    share = np.where(inside, right / np.maximum(answers, 1.0), 0.5)
    logit = np.where(inside, np.log(share / (1.0 - share)), np.nan)
    return logit, np.where(inside, answers * share * (1.0 - share), 0.0)


def ability_centring(data: GapData) -> np.ndarray:
    """Whether each model's abilities are sampled centred, bool (models,) (see the module docstring).

    Examples
    --------
    >>> from gapeval.gap.layout import build_gap_data
    >>> from gapeval.gap.simulate import simulate_gap_responses
    >>> df, _ = simulate_gap_responses(12, 20, seed=0)
    >>> bool(ability_centring(build_gap_data(df, points=1, use_pairs=True)).all())   # a large cohort
    True
    """
    if data.num_models >= GAP_SMALL_COHORT:
        return np.ones(data.num_models, dtype=bool)
    logit, information = direction_information(data)
    spread = np.zeros(2)
    for d in range(2):
        informative = information[:, d] > 0
        if informative.sum() >= 2:
            between = np.var(logit[informative, d], ddof=1)
            spread[d] = max(between - np.mean(1.0 / information[informative, d]), 0.0)
    return (information * spread >= CENTRING_THRESHOLD).all(axis=1)
