"""Simulate dialogues whose later turns hold harder items: raw per-turn means show decay that is not there.

Every model answers the same dialogues; the item at turn t of a dialogue has difficulty
``difficulty_trend·(t − 1)`` plus noise, so the raw mean score falls over the turns even when no model
decays. Every item is also answered once standalone (no turn, no session), which ties each item's
difficulty down independently of the turn it sits at. Answers follow the model of
:mod:`gapeval.decay.irt_decay_model` with known abilities, item parameters and decay slopes
(identified as there: log-slopes summing to zero, difficulties centred within each direction), so
the true ``lambda`` is what :func:`gapeval.decay.irt_decay` estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapeval.responses import GENERATION, UNDERSTANDING
from gapeval.decay.errors import DecayError
from gapeval.records.seeds import check_seed

__all__ = ["ConfoundedTruth", "simulate_confounded"]


@dataclass(frozen=True, eq=False)
class ConfoundedTruth:
    """Generating values of :func:`simulate_confounded`.

    Attributes
    ----------
    decay : pandas.DataFrame
        One row per model × direction: ``model``, ``direction``, ``lambda`` (true decay per turn, logits).
    theta : pandas.DataFrame
        ``model``, ``direction``, ``theta`` (ability at turn 1 and standalone).
    items : pandas.DataFrame
        ``item``, ``direction``, ``session``, ``turn``, ``a``, ``b``.
    difficulty_trend : float
        Increase of item difficulty per turn (before centring).
    dialogue : pandas.Series or None
        The dialogue effects ``c_s`` by session id (zeros when ``sd_dialogue`` is 0).
    """

    decay: pd.DataFrame
    theta: pd.DataFrame
    items: pd.DataFrame
    difficulty_trend: float
    dialogue: pd.Series | None = None


def _decay_matrix(decay, num_models: int) -> np.ndarray:
    values = np.asarray(decay, dtype=float)
    if values.ndim == 0:
        return np.full((num_models, 2), float(values))
    if values.shape == (num_models,):
        return np.repeat(values[:, None], 2, axis=1)
    if values.shape == (num_models, 2):
        return values
    raise DecayError(f"decay must be a number, one value per model ({num_models},) or (models, 2) with columns "
                     f"understanding, generation; got shape {values.shape}")


def simulate_confounded(
    *,
    num_models: int = 6,
    num_sessions: int = 12,
    num_turns: int = 5,
    difficulty_trend: float = 0.5,
    decay=0.0,
    mean: tuple[float, float] = (0.3, 0.0),
    sd_theta: float = 1.0,
    sd_item: float = 0.7,
    sigma_log_a: float = 0.2,
    standalone: bool = True,
    sd_dialogue: float = 0.0,
    seed: int = 0,
) -> tuple[pd.DataFrame, ConfoundedTruth]:
    """Draw a long responses table where item difficulty rises with the turn.

    Each of ``num_sessions`` dialogues has ``num_turns`` turns with one understanding and one
    generation item each; every model answers every dialogue (session ids ``dialogue_<s>``), and, with
    ``standalone``, every item once more outside any dialogue (``turn`` and ``session`` empty).
    Model m answers item i at turn t of dialogue s correctly with probability
    ``σ(a_i·(θ_{m,d} + λ_{m,d}·(t − 1) + c_s − b_i))`` (standalone answers: t = 1, no ``c_s``), where
    ``c_s ~ N(0, sd_dialogue²)`` is the dialogue's effect, shared by every model (the crossed structure
    of :func:`gapeval.decay.irt_decay`).

    Parameters
    ----------
    num_models, num_sessions, num_turns : int
        Sizes (at least 2 models, 1 dialogue, 2 turns).
    difficulty_trend : float
        How much harder (logits) the item at each later turn is, on average.
    decay : float or array_like
        True decay λ per turn: one number for every model and direction, one per model, or a
        (models, 2) array (understanding, generation). 0 means no model decays.
    mean, sd_theta : tuple of float, float
        Mean (understanding, generation) and SD of the abilities.
    sd_item, sigma_log_a : float
        SD of the difficulties around the turn trend, and of the log-slopes.
    standalone : bool
        Also answer every item outside the dialogues.
    sd_dialogue : float
        SD of the dialogue effects ``c_s`` (0, the default, leaves the other draws as they were).
    seed : int
        Seed of the draws.

    Returns
    -------
    responses : pandas.DataFrame
        Columns ``model``, ``session``, ``turn``, ``direction``, ``item``, ``score`` (0/1).
    truth : ConfoundedTruth

    Examples
    --------
    >>> df, truth = simulate_confounded(num_models=3, num_sessions=2, num_turns=3, seed=1)
    >>> len(df), int(df.turn.isna().sum()), truth.decay.shape
    (72, 36, (6, 3))
    """
    if num_models < 2 or num_sessions < 1 or num_turns < 2:
        raise DecayError(f"need num_models >= 2, num_sessions >= 1, num_turns >= 2; got {num_models}, "
                         f"{num_sessions}, {num_turns}")
    lam = _decay_matrix(decay, num_models)
    rng = np.random.default_rng(check_seed(seed, error=DecayError))
    models = [f"model_{k}" for k in range(num_models)]
    theta = np.asarray(mean, dtype=float)[None] + sd_theta * rng.standard_normal((num_models, 2))
    s_idx, t_idx, g_idx = (v.ravel() for v in np.meshgrid(np.arange(num_sessions), np.arange(1, num_turns + 1),
                                                             [0, 1], indexing="ij"))
    num_items = len(s_idx)
    b = difficulty_trend * (t_idx - 1) + sd_item * rng.standard_normal(num_items)
    for g in (0, 1):
        b[g_idx == g] -= b[g_idx == g].mean()
    log_a = sigma_log_a * rng.standard_normal(num_items)
    a = np.exp(log_a - log_a.mean())
    dialogue = sd_dialogue * np.random.default_rng([seed, 1]).standard_normal(num_sessions)  # a stream of its own
    directions = np.where(g_idx == 1, GENERATION, UNDERSTANDING)
    item_ids = [f"d{s:02d}_t{t}_{d[0]}" for s, t, d in zip(s_idx, t_idx, directions)]
    rows = []
    for m in range(num_models):
        for in_dialogue in (True, False) if standalone else (True,):
            x = (t_idx - 1.0) if in_dialogue else np.zeros(num_items)
            shared = dialogue[s_idx] if in_dialogue else 0.0
            p = 1 / (1 + np.exp(-a * (theta[m, g_idx] + lam[m, g_idx] * x + shared - b)))
            rows.append(pd.DataFrame({
                "model": models[m],
                "session": [f"dialogue_{s}" for s in s_idx] if in_dialogue else None,
                "turn": t_idx.astype(float) if in_dialogue else np.nan,
                "direction": directions, "item": item_ids, "score": rng.binomial(1, p),
            }))
    responses = pd.concat(rows, ignore_index=True)
    labels = np.tile([UNDERSTANDING, GENERATION], num_models)
    truth = ConfoundedTruth(
        decay=pd.DataFrame({"model": np.repeat(models, 2), "direction": labels, "lambda": lam.ravel()}),
        theta=pd.DataFrame({"model": np.repeat(models, 2), "direction": labels, "theta": theta.ravel()}),
        items=pd.DataFrame({"item": item_ids, "direction": directions, "session": [f"dialogue_{s}" for s in s_idx],
                            "turn": t_idx, "a": a, "b": b}),
        difficulty_trend=difficulty_trend, dialogue=pd.Series(dialogue, index=[f"dialogue_{s}" for s in
                                                                               range(num_sessions)]),
    )
    return responses, truth
