"""Simulate turn-wise decay with known per-model slopes (for tests, docs and the demo)."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    sd: dict[str, float] = field(default_factory=dict)
    """The generating standard deviations under the variance-component names of
    :func:`gapeval.decay.decay` (``model``/``Intercept``, ``model``/``turn``, the correlation
    ``model``/``Intercept × turn``, the dialogue run ``model:session``, the shared ``session`` and ``item`` effects,
    ``Residual``), keyed ``(group, term)``."""
    shared: bool = False
    """Whether every model answered the same dialogues and items (crossed ids)."""


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
    corr_model: float = 0.0,
    sd_session: float = 0.03,
    sd_residual: float = 0.08,
    shared: bool = False,
    sd_dialogue: float = 0.0,
    sd_item: float = 0.0,
    family: str = "gaussian",
    seed: int = 0,
) -> tuple[pd.DataFrame, DecayTruth]:
    """Draw a long responses table from the decay model with known parameters.

    Each model answers ``num_sessions`` dialogues of ``num_turns`` turns, one understanding and one
    generation item per turn. With ``x = turn − 1`` and ``G = 1`` for generation,

        η = intercept + u_m + e_{m,s} + d_s + a_i + (turn + v_m)·x + generation·G + turn_generation·x·G,

    ``(u_m, v_m)`` normal with SDs ``sd_model``, ``sd_model_turn`` and correlation ``corr_model``,
    ``e_{m,s} ~ N(0, sd_session²)`` (model m's run of dialogue s), and — with ``shared=True`` only —
    ``d_s ~ N(0, sd_dialogue²)`` and ``a_i ~ N(0, sd_item²)``, the dialogue's and the item's effects
    shared by every model; ``score = η + ε`` with ``ε ~ N(0, sd_residual²)`` (``gaussian``) or
    ``score ~ Bernoulli(σ(η))`` (``binomial``). The true slope of model m is ``turn + v_m``
    (understanding) and ``turn + turn_generation + v_m`` (generation). The arguments describe the
    generating process; ``truth.fixed`` states the same effects in the coding
    :func:`gapeval.decay.decay` reports (generation the reference level: e.g.
    ``turn:direction[understanding]`` = ``-turn_generation``).

    ``shared=False`` (default): every model runs its own dialogues, so session and item ids carry the
    model's name (``model_0/dialogue_3``, ``model_0/d3_t2_u``) and :func:`gapeval.decay.decay` fits
    the nested structure. ``shared=True``: every model gets the same dialogues and items (the ids
    ``dialogue_3``, ``d3_t2_u`` repeat under every model), as in an interleaved benchmark, and decay
    fits the crossed structure.

    Returns
    -------
    responses : DataFrame
        Columns ``model``, ``session``, ``turn``, ``direction``, ``item``, ``score``.
    truth : DecayTruth

    Raises
    ------
    DecayError
        For an unknown family, too few models, dialogues or turns, a correlation outside [-1, 1], or
        shared effects (``sd_dialogue``, ``sd_item``) without ``shared=True``.

    Examples
    --------
    >>> df, truth = simulate_decay(num_models=3, num_sessions=2, num_turns=3, seed=1)
    >>> len(df), sorted(df.direction.unique()), truth.slopes.shape
    (36, ['generation', 'understanding'], (6, 3))
    >>> df.session.iloc[0], simulate_decay(num_models=2, num_turns=2, shared=True)[0].session.iloc[0]
    ('model_0/dialogue_0', 'dialogue_0')
    """
    if family not in ("gaussian", "binomial"):
        raise DecayError(f"family={family!r} is not one of ['gaussian', 'binomial']")
    if num_models < 2 or num_sessions < 1 or num_turns < 2:
        raise DecayError(
            f"need num_models >= 2, num_sessions >= 1, num_turns >= 2; got {num_models}, "
            f"{num_sessions}, {num_turns}"
        )
    if not -1 <= corr_model <= 1:
        raise DecayError(f"corr_model={corr_model!r} is not a correlation; pass a value in [-1, 1]")
    if not shared and (sd_dialogue or sd_item):
        raise DecayError(f"sd_dialogue={sd_dialogue!r} and sd_item={sd_item!r} are effects shared by every model; "
                         "they need shared=True (the same dialogues and items for every model)")
    rng = np.random.default_rng(check_seed(seed, error=DecayError))
    models = [f"model_{k}" for k in range(num_models)]
    z_model = rng.normal(0, 1, num_models)
    u = sd_model * z_model
    v = sd_model_turn * (corr_model * z_model + np.sqrt(1 - corr_model**2) * rng.normal(0, 1, num_models))
    m_idx, s_idx, t_idx, g_idx = np.meshgrid(
        np.arange(num_models), np.arange(num_sessions), np.arange(1, num_turns + 1), [0, 1],
        indexing="ij",
    )
    m_idx, s_idx, t_idx, g_idx = (a.ravel() for a in (m_idx, s_idx, t_idx, g_idx))
    e = rng.normal(0, sd_session, (num_models, num_sessions))[m_idx, s_idx]
    x = t_idx - 1.0
    eta = (intercept + u[m_idx] + e + (turn + v[m_idx]) * x + generation * g_idx
           + turn_generation * x * g_idx)
    if shared:  # a stream of its own, so the other draws are those of shared=False
        extra = np.random.default_rng([seed, 1])
        eta = (eta + extra.normal(0, sd_dialogue, num_sessions)[s_idx]
               + extra.normal(0, sd_item, (num_sessions, num_turns, 2))[s_idx, t_idx - 1, g_idx])
    if family == "gaussian":
        score = eta + rng.normal(0, sd_residual, eta.size)
    else:
        score = rng.binomial(1, 1 / (1 + np.exp(-eta))).astype(float)
    direction = np.where(g_idx == 1, GENERATION, UNDERSTANDING)
    owner = [""] * len(m_idx) if shared else [f"{models[m]}/" for m in m_idx]
    responses = pd.DataFrame({
        "model": np.asarray(models)[m_idx],
        "session": [f"{o}dialogue_{s}" for o, s in zip(owner, s_idx)],
        "turn": t_idx,
        "direction": direction,
        "item": [f"{o}d{s}_t{t}_{d[0]}" for o, s, t, d in zip(owner, s_idx, t_idx, direction)],
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
    sd = {("model", "Intercept"): sd_model, ("model", "turn"): sd_model_turn, ("model", "Intercept × turn"): corr_model,
          ("model:session", "Intercept"): sd_session}
    if shared:
        sd |= {("session", "Intercept"): sd_dialogue, ("item", "Intercept"): sd_item}
    if family == "gaussian":
        sd[("Residual", None)] = sd_residual
    return responses, DecayTruth(fixed=fixed, slopes=slopes, family=family, sd=sd, shared=shared)
