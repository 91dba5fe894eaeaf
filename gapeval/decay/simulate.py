"""Simulate turn-wise decay with known per-model slopes (for tests, docs and the demo)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapeval.responses import GENERATION, UNDERSTANDING, direction_contrast
from gapeval.decay.errors import DecayError
from gapeval.records.seeds import check_seed
from gapeval.decay.prepare import BASE_TERMS

__all__ = ["DecayTruth", "simulate_decay"]


@dataclass(frozen=True, eq=False)
class DecayTruth:
    """The generating values of :func:`simulate_decay`."""

    fixed: dict[str, float]
    """Fixed effects under the names :func:`gapeval.decay.decay` reports, in its coding (generation is
    the reference level): ``Intercept`` and ``turn`` are generation's, ``direction[understanding]``
    and ``turn:direction[understanding]`` understanding minus generation."""
    slopes: pd.DataFrame
    """One row per model × direction: ``model``, ``direction``, ``slope`` (true turn slope)."""
    family: str


def simulate_decay(
    *,
    num_models: int = 6,
    num_sessions: int = 20,
    num_turns: int = 6,
    intercept: float = 0.7,
    turn: float = -0.01,
    generation: float = -0.1,
    turn_generation: float = -0.03,
    sd_model: float = 0.05,
    sd_model_turn: float = 0.015,
    sd_session: float = 0.03,
    sd_residual: float = 0.08,
    family: str = "gaussian",
    seed: int = 0,
) -> tuple[pd.DataFrame, DecayTruth]:
    """Draw a long responses table from the decay model with known parameters.

    Each model answers ``num_sessions`` dialogues of ``num_turns`` turns, one understanding and one
    generation item per turn. With ``x = turn − 1`` and ``G = 1`` for generation,

        η = intercept + u_m + e_{m,s} + (turn + v_m)·x + generation·G + turn_generation·x·G,

    ``u_m ~ N(0, sd_model²)``, ``v_m ~ N(0, sd_model_turn²)``, ``e_{m,s} ~ N(0, sd_session²)``;
    ``score = η + ε`` with ``ε ~ N(0, sd_residual²)`` (``gaussian``) or ``score ~ Bernoulli(σ(η))``
    (``binomial``). The true slope of model m is ``turn + v_m`` (understanding) and
    ``turn + turn_generation + v_m`` (generation). The arguments describe the generating process;
    ``truth.fixed`` states the same effects in the coding :func:`gapeval.decay.decay` reports
    (generation the reference level: e.g. ``turn:direction[understanding]`` = ``-turn_generation``).

    Returns
    -------
    responses : DataFrame
        Columns ``model``, ``session``, ``turn``, ``direction``, ``item``, ``score``.
    truth : DecayTruth

    Examples
    --------
    >>> df, truth = simulate_decay(num_models=3, num_sessions=2, num_turns=3, seed=1)
    >>> len(df), sorted(df.direction.unique()), truth.slopes.shape
    (36, ['generation', 'understanding'], (6, 3))
    """
    if family not in ("gaussian", "binomial"):
        raise DecayError(f"family={family!r} is not one of ['gaussian', 'binomial']")
    if num_models < 2 or num_sessions < 1 or num_turns < 2:
        raise DecayError(
            f"need num_models >= 2, num_sessions >= 1, num_turns >= 2; got {num_models}, "
            f"{num_sessions}, {num_turns}"
        )
    rng = np.random.default_rng(check_seed(seed, error=DecayError))
    models = [f"model_{k}" for k in range(num_models)]
    u = rng.normal(0, sd_model, num_models)
    v = rng.normal(0, sd_model_turn, num_models)
    m_idx, s_idx, t_idx, g_idx = np.meshgrid(
        np.arange(num_models), np.arange(num_sessions), np.arange(1, num_turns + 1), [0, 1],
        indexing="ij",
    )
    m_idx, s_idx, t_idx, g_idx = (a.ravel() for a in (m_idx, s_idx, t_idx, g_idx))
    e = rng.normal(0, sd_session, (num_models, num_sessions))[m_idx, s_idx]
    x = t_idx - 1.0
    eta = (intercept + u[m_idx] + e + (turn + v[m_idx]) * x + generation * g_idx
           + turn_generation * x * g_idx)
    if family == "gaussian":
        score = eta + rng.normal(0, sd_residual, eta.size)
    else:
        score = rng.binomial(1, 1 / (1 + np.exp(-eta))).astype(float)
    direction = np.where(g_idx == 1, GENERATION, UNDERSTANDING)
    responses = pd.DataFrame({
        "model": np.asarray(models)[m_idx],
        "session": [f"dialogue_{s}" for s in s_idx],
        "turn": t_idx,
        "direction": direction,
        "item": [f"d{s}_t{t}_{d[0]}" for s, t, d in zip(s_idx, t_idx, direction)],
        "score": score,
    })
    slopes = pd.DataFrame({
        "model": np.repeat(models, 2),
        "direction": [UNDERSTANDING, GENERATION] * num_models,
        "slope": np.column_stack([turn + v, turn + turn_generation + v]).ravel(),
    })
    values = (intercept + generation, turn + turn_generation, direction_contrast(0.0, generation),
              direction_contrast(0.0, turn_generation))
    fixed = dict(zip(BASE_TERMS, values))
    return responses, DecayTruth(fixed=fixed, slopes=slopes, family=family)
