"""``calibrate``: fit the Gap Score model on a reference cohort and keep the item parameters with their uncertainty.

The fit is :func:`gapeval.gap_score` itself (same model, scale, observation layer and sampler
defaults); this module only thins its joint posterior draws into a :class:`~gapeval.calibration.record.Calibration`.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

import gapeval
from gapeval.calibration.record import Calibration, CalibrationError
from gapeval.gap.observation import JUDGE_PRIOR
from gapeval.gap.prepare import ABILITY_DF
from gapeval.gap.result import GapResult
from gapeval.gap.score import gap_score
from gapeval.responses import DIRECTIONS
from gapeval.sampling import GAP_INFERENCE, GAP_SVI

__all__ = ["calibrate", "calibration_from_result", "NUM_DRAWS"]

#: Joint posterior draws kept in a calibration by default (thinned evenly over chains and draws).
NUM_DRAWS = 200


def calibrate(
    responses: pd.DataFrame,
    *,
    model: Hashable = "model",
    item: Hashable = "item",
    direction: Hashable = "direction",
    score: Hashable = "score",
    pair: Hashable | None = "pair",
    chance: Hashable | None = "chance",
    judge: Hashable | None = "judge",
    scale: str = "paired",
    points: int = 1,
    guessing: str = "fixed",
    judges: pd.DataFrame | None = None,
    judge_prior: tuple[float, float] = JUDGE_PRIOR,
    difficulty_offset: float | tuple[float, float] | None = None,
    abilities: str = "normal",
    ability_df: float = ABILITY_DF,
    inference: str = GAP_INFERENCE,
    seed: int = 0,
    num_draws: int = NUM_DRAWS,
    bank_hash: str | None = None,
    num_warmup: int | None = None,
    num_samples: int | None = None,
    num_chains: int | None = None,
    num_steps: int = GAP_SVI.num_steps,
) -> Calibration:
    """Calibrate a bank on a reference cohort: the Gap Score fit's item parameters with their uncertainty.

    Parameters
    ----------
    responses : pandas.DataFrame
        The long responses table of the reference cohort (every model, the items to calibrate).
    model, item, direction, score, pair, chance, judge, scale, points, guessing, judges, judge_prior,
    difficulty_offset, abilities, ability_df, inference, seed, num_warmup, num_samples, num_chains, num_steps :
        As in :func:`gapeval.gap_score`, which does the fit (``docs/gap_score.md``).
    num_draws : int
        Joint posterior draws kept, thinned evenly over chains and draws (at most the fit's draws).
    bank_hash : str, optional
        Content hash of the bank the items come from (``gapeval.bank.bank_hash``; a run's manifest
        records it); scoring and the runner compare it with the bank they use.

    Returns
    -------
    Calibration
        Validated; write it with :func:`~gapeval.calibration.record.save_calibration`.

    Raises
    ------
    CalibrationError
        ``num_draws`` not a positive integer, or more than the fit has.
    GapevalError
        Whatever :func:`gapeval.gap_score` refuses.

    Examples
    --------
    >>> from gapeval.gap.simulate import simulate_gap_responses
    >>> df, _ = simulate_gap_responses(6, 20, seed=0)
    >>> cal = calibrate(df, inference="svi", num_steps=300, num_samples=100, num_draws=50)
    >>> cal.num_draws, cal.num_items, cal.scale
    (50, 40, 'paired')
    """
    if isinstance(num_draws, bool) or not isinstance(num_draws, int | np.integer) or num_draws < 1:
        raise CalibrationError(f"num_draws={num_draws!r} must be a positive integer (e.g. {NUM_DRAWS})")
    table = gap_score(responses, model=model, item=item, direction=direction, score=score, pair=pair, chance=chance,
                      judge=judge, scale=scale, points=points, guessing=guessing, judges=judges,
                      judge_prior=judge_prior, difficulty_offset=difficulty_offset, abilities=abilities,
                      ability_df=ability_df, inference=inference, seed=seed, num_warmup=num_warmup,
                      num_samples=num_samples, num_chains=num_chains, num_steps=num_steps)
    return calibration_from_result(table.attrs["result"], num_draws=num_draws, bank_hash=bank_hash,
                                   guessing=guessing)


def _item_judges(result: GapResult) -> tuple:
    """The judge that labelled each item in the cohort (None: direct scores or several judges)."""
    data, observation = result.data, result.data.observation
    if observation is None or not observation.num_judges:
        return (None,) * len(data.item_ids)
    labels = (observation.positive + observation.negative).sum(axis=1)        # (judges, units, 2)
    per_item = labels[:, data.item_unit, data.item_slot] > 0                   # (judges, items)
    return tuple(observation.judge_ids[int(np.argmax(col))] if col.sum() == 1 else None for col in per_item.T)


def calibration_from_result(result: GapResult, *, num_draws: int = NUM_DRAWS, bank_hash: str | None = None,
                            guessing: str = "fixed") -> Calibration:
    """Thin a fitted :class:`~gapeval.gap.result.GapResult` into a :class:`Calibration` (``num_draws`` joint draws)."""
    samples = result.samples

    def flat(site):
        x = np.asarray(samples[site], dtype=float)
        return x.reshape((-1,) + x.shape[2:])

    total = flat("a").shape[0]
    if num_draws > total:
        raise CalibrationError(f"num_draws={num_draws} is more than the {total} posterior draws of the fit; ask for "
                               f"at most {total} or fit with more num_samples")
    keep = np.linspace(0, total - 1, num_draws).round().astype(int)
    data = result.data
    observation = data.observation
    chance = (observation.chance[data.item_unit, data.item_slot] if observation is not None
              else np.zeros(len(data.item_ids)))
    chance_draws = None
    if "g" in samples:
        mcq = observation.mcq[data.item_unit, data.item_slot]
        chance_draws = np.broadcast_to(chance, (num_draws, len(chance))).copy()
        chance_draws[:, mcq] = flat("g")[keep]
    judge_ids = observation.judge_ids if observation is not None else ()
    rates = {site: flat(site)[keep] if site in samples else np.zeros((num_draws, 0))
             for site in ("sensitivity", "specificity")}
    mu = flat("mu")[keep] if "mu" in samples else np.zeros((num_draws, 2))
    tau = flat("tau")[keep] if "tau" in samples else np.ones((num_draws, 2))
    pairs = tuple(data.unit_ids[u] if u < data.num_pairs else None for u in data.item_unit)
    fit = {"inference": result.inference, "seed": result.seed, "posterior_draws": int(total),
           "diagnostics": {k: (bool(v) if k == "ok" else None if not np.isfinite(float(v)) else float(v))
                           for k, v in result.diagnostics.summary().items()},
           "models": len(data.model_ids)}
    return Calibration(
        item_ids=tuple(str(i) for i in data.item_ids), directions=tuple(DIRECTIONS[s] for s in data.item_slot),
        pairs=tuple(None if p is None else str(p) for p in pairs), chance=np.asarray(chance, dtype=float),
        item_judges=tuple(None if j is None else str(j) for j in _item_judges(result)),
        judge_ids=tuple(str(j) for j in judge_ids), a=flat("a")[keep], b=flat("b")[keep],
        sigma_gamma=flat("sigma_gamma")[keep] if "sigma_gamma" in samples else np.zeros(num_draws),
        mu=mu, tau=tau, rho=flat("omega")[keep][:, 0, 1], chance_draws=chance_draws,
        sensitivity=rates["sensitivity"], specificity=rates["specificity"], scale=result.scale,
        difficulty_offset=result.difficulty_offset, points=int(data.points), guessing=guessing,
        ability_df=result.ability_df, bank_hash=bank_hash, cohort=tuple(str(m) for m in data.model_ids), fit=fit,
        gapeval_version=gapeval.__version__)
