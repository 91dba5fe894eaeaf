"""Simulate a long responses table from the Gap Score model with known gaps (tests, benchmarks).

The generating parameters follow the identification of the paired scale of
:mod:`gapeval.gap.model` (log-slopes summing to zero, pair difficulties summing to zero, direction
deviations with mean zero in each direction), so the true ``gap`` is the quantity ``gap_score``
estimates on that scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapeval.responses import DIRECTIONS, form_gap

__all__ = ["GapTruth", "simulate_gap_responses"]


@dataclass(frozen=True)
class GapTruth:
    """Generating parameters of a simulated table.

    Attributes
    ----------
    model_ids : tuple
        Model ids (``m00``, ``m01``, ...), the row order of ``theta``.
    theta : numpy.ndarray
        (models, 2): understanding and generation abilities.
    gap : numpy.ndarray
        theta_U - theta_G per model.
    a, b : numpy.ndarray
        Slopes and difficulties, (pairs, 2) with column 0 the understanding form.
    sigma_gamma : float
        Standard deviation of the pair effect.
    """

    model_ids: tuple
    theta: np.ndarray
    gap: np.ndarray
    a: np.ndarray
    b: np.ndarray
    sigma_gamma: float


def simulate_gap_responses(
    num_models: int = 20,
    num_pairs: int = 300,
    *,
    mean: tuple[float, float] = (0.3, 0.0),
    sd: tuple[float, float] = (1.0, 1.0),
    correlation: float = 0.7,
    sigma_log_a: float = 0.3,
    sigma_beta: float = 1.0,
    sigma_epsilon: float = 0.4,
    sigma_gamma: float = 0.5,
    difficulty_shift: float = 0.0,
    points: int = 1,
    seed: int = 0,
) -> tuple[pd.DataFrame, GapTruth]:
    """Long table of ``num_models`` models answering both forms of ``num_pairs`` questions.

    Parameters
    ----------
    num_models, num_pairs : int
        Cohort size and number of questions (each asked as understanding and generation).
    mean, sd, correlation : float
        Distribution of (theta_U, theta_G) over models.
    sigma_log_a, sigma_beta, sigma_epsilon, sigma_gamma : float
        Spread of log-slopes, pair difficulties, direction deviations and the pair effect.
    difficulty_shift : float
        Constant added to every difficulty after centring (the gaps do not change; the abilities
        reported on the paired scale move by the same constant).
    points : int
        Evaluation points per answer; scores are k/points (binomial), 1 gives 0/1.
    seed : int
        Seed of the NumPy generator.

    Returns
    -------
    (pandas.DataFrame, GapTruth)
        Columns ``model, item, pair, direction, score``; the truth (``theta`` on the centred
        paired scale, i.e. without ``difficulty_shift``).

    Examples
    --------
    >>> df, truth = simulate_gap_responses(3, 5, seed=1)
    >>> len(df), sorted(df["direction"].unique()), truth.gap.shape
    (30, ['generation', 'understanding'], (3,))
    """
    rng = np.random.default_rng(seed)
    cov = np.array([[sd[0] ** 2, correlation * sd[0] * sd[1]], [correlation * sd[0] * sd[1], sd[1] ** 2]])
    theta = rng.multivariate_normal(mean, cov, size=num_models)
    log_a = rng.normal(0.0, sigma_log_a, size=(num_pairs, 2))
    a = np.exp(log_a - log_a.mean())
    beta = rng.normal(0.0, sigma_beta, size=num_pairs)
    epsilon = rng.normal(0.0, sigma_epsilon, size=(num_pairs, 2))
    b = (beta - beta.mean())[:, None] + epsilon - epsilon.mean(axis=0)
    gamma = rng.normal(0.0, sigma_gamma, size=(num_models, num_pairs, 1))
    eta = a[None] * (theta[:, None, :] + gamma - (b[None] + difficulty_shift))
    k = rng.binomial(points, 1.0 / (1.0 + np.exp(-eta)))
    model_ids = tuple(f"m{m:02d}" for m in range(num_models))
    m_idx, c_idx, s_idx = np.indices(k.shape).reshape(3, -1)
    directions = np.array(DIRECTIONS)
    frame = pd.DataFrame({
        "model": np.asarray(model_ids)[m_idx],
        "item": [f"q{c:04d}-{'ug'[s]}" for c, s in zip(c_idx, s_idx)],
        "pair": [f"q{c:04d}" for c in c_idx],
        "direction": directions[s_idx],
        "score": k.reshape(-1) / points,
    })
    truth = GapTruth(model_ids=model_ids, theta=theta, gap=form_gap(theta), a=a, b=b,
                     sigma_gamma=sigma_gamma)
    return frame, truth
