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
    calibration : pandas.DataFrame or None
        With a simulated judge: its calibration table (``judge``, ``judge_label``, ``human_label``)
        on fresh answers, as :func:`gapeval.gap_score` takes it (``judges=``).
    """

    model_ids: tuple
    theta: np.ndarray
    gap: np.ndarray
    a: np.ndarray
    b: np.ndarray
    sigma_gamma: float
    calibration: pd.DataFrame | None = None


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
    generation_shift: float = 0.0,
    chance: tuple[float, float] = (0.0, 0.0),
    ability_df: float | None = None,
    judge: tuple[float, float] | None = None,
    num_calibration: int = 100,
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
    generation_shift : float
        Constant added to every generation difficulty after centring: generation forms that much
        harder on average (the paired scale's convention does not hold; ``truth.gap`` stays theta_U - theta_G).
    chance : (float, float)
        Lower asymptote of the understanding and the generation items (3PL truth, e.g. 0.25 for 4-option
        multiple choice); a nonzero value adds a ``chance`` column with it.
    ability_df : float, optional
        Abilities multivariate Student-t with these degrees of freedom (scale matrix from ``sd`` and
        ``correlation``) instead of normal.
    judge : (float, float), optional
        (sensitivity, specificity) of a judge whose 0/1 label replaces every generation score (column
        ``judge`` = ``"judge"``); ``truth.calibration`` then holds ``num_calibration`` fresh answers with
        the judge's and the true label.
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
    theta = rng.multivariate_normal(np.zeros(2), cov, size=num_models)
    if ability_df is not None:
        theta = theta / np.sqrt(rng.gamma(ability_df / 2.0, 2.0 / ability_df, size=(num_models, 1)))
    theta = theta + np.asarray(mean)
    log_a = rng.normal(0.0, sigma_log_a, size=(num_pairs, 2))
    a = np.exp(log_a - log_a.mean())
    beta = rng.normal(0.0, sigma_beta, size=num_pairs)
    epsilon = rng.normal(0.0, sigma_epsilon, size=(num_pairs, 2))
    b = (beta - beta.mean())[:, None] + epsilon - epsilon.mean(axis=0)
    gamma = rng.normal(0.0, sigma_gamma, size=(num_models, num_pairs, 1))
    shift = difficulty_shift + np.array([0.0, generation_shift])
    eta = a[None] * (theta[:, None, :] + gamma - (b[None] + shift))
    c = np.asarray(chance, dtype=float)
    k = rng.binomial(points, c + (1.0 - c) / (1.0 + np.exp(-eta)))
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
    if (c > 0).any():
        frame["chance"] = c[s_idx]
    calibration = None
    if judge is not None:
        frame, calibration = _judged(frame, judge, num_calibration, k[..., 1].reshape(-1), rng)
    truth = GapTruth(model_ids=model_ids, theta=theta, gap=form_gap(theta), a=a, b=b,
                     sigma_gamma=sigma_gamma, calibration=calibration)
    return frame, truth


def _judged(frame: pd.DataFrame, judge: tuple[float, float], num_calibration: int, right: np.ndarray, rng):
    """Replace the generation scores by a judge's labels; a calibration table on fresh answers."""
    sensitivity, specificity = judge

    def label(truth):
        return np.where(truth == 1, rng.random(truth.shape) < sensitivity, rng.random(truth.shape) >= specificity)

    frame = frame.copy()
    generation = (frame["direction"] == DIRECTIONS[1]).to_numpy()
    frame.loc[generation, "score"] = label(frame.loc[generation, "score"].to_numpy()).astype(float)
    frame["judge"] = np.where(generation, "judge", None)
    human = rng.choice(right, size=num_calibration)     # fresh answers, right as often as the cohort's
    calibration = pd.DataFrame({"judge": "judge", "judge_label": label(human).astype(int), "human_label": human})
    return frame, calibration
