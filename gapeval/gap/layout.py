"""The dense layout the Gap Score model runs on (:mod:`gapeval.gap.model`), without JAX.

Laying out the responses (checks, pairs, counts) needs NumPy and pandas only, so that
``from gapeval import gap_score`` and the checks before a fit do not start JAX; the model itself
(:mod:`gapeval.gap.model`) is imported when a fit runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gapeval.gap.observation import JUDGE_PRIOR, Observation, build_observation
from gapeval.responses import direction_slots

__all__ = ["GapData", "build_gap_data", "complete_pairs"]


@dataclass(frozen=True, eq=False)
class GapData:
    """Responses in the dense layout of :func:`gap_model`.

    Attributes
    ----------
    model_ids : tuple
        Model (respondent) ids in row order.
    unit_ids : tuple
        Pair id of each unit (the item id for an unpaired item); pairs come first.
    num_pairs : int
        Units ``0..num_pairs-1`` are pairs (they carry a pair effect).
    item_ids : tuple
        Item ids in code order.
    item_unit, item_slot : numpy.ndarray
        Unit and slot (0 understanding, 1 generation) of each item.
    y : numpy.ndarray
        Successes, int32 (models, units, 2); 0 where unobserved.
    mask : numpy.ndarray
        Observed cells, bool (models, units, 2).
    points : int
        Evaluation points K per answer (1 = binary).
    observation : Observation or None
        Chance levels and judges' labels (:mod:`gapeval.gap.observation`); None when every answer is
        a direct 0/1 (or k/K) score of a free answer. ``y`` and ``mask`` then hold the direct scores only.
    """

    model_ids: tuple
    unit_ids: tuple
    num_pairs: int
    item_ids: tuple
    item_unit: np.ndarray
    item_slot: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    points: int
    observation: Observation | None = None

    @property
    def num_models(self) -> int:
        return len(self.model_ids)

    @property
    def num_units(self) -> int:
        return len(self.unit_ids)

    @property
    def partner(self) -> np.ndarray:
        """For the generation form of a pair, the code of its understanding form; -1 otherwise."""
        lookup = np.full((self.num_units, 2), -1)
        lookup[self.item_unit, self.item_slot] = np.arange(len(self.item_ids))
        partner = lookup[self.item_unit, 0]
        return np.where((self.item_slot == 1) & (self.item_unit < self.num_pairs), partner, -1)

    @property
    def paired(self) -> np.ndarray:
        """Items that belong to a pair, bool (items,)."""
        return self.item_unit < self.num_pairs

    @property
    def observed(self) -> np.ndarray:
        """Answered cells (a direct score or a judge label), bool (models, units, 2)."""
        return self.mask if self.observation is None else self.mask | self.observation.judged

    @property
    def counts(self) -> np.ndarray:
        """Answered items per model and direction, (models, 2)."""
        return self.observed.sum(axis=1)

    def swapped(self) -> GapData:
        """The same data with the direction labels exchanged (for invariance checks)."""
        return GapData(self.model_ids, self.unit_ids, self.num_pairs, self.item_ids, self.item_unit,
                       1 - self.item_slot, self.y[..., ::-1].copy(), self.mask[..., ::-1].copy(), self.points,
                       None if self.observation is None else self.observation.swapped())


def build_gap_data(frame: pd.DataFrame, *, points: int, use_pairs: bool, guessing: str = "fixed",
                   calibration: pd.DataFrame | None = None, judge_prior=JUDGE_PRIOR) -> GapData:
    """Lay out a standardized long table (columns ``model, item, direction, score[, pair, chance, judge]``).

    ``score`` holds k/K (``points=K``) and becomes the integer k. With ``use_pairs`` a pair id
    groups one understanding and one generation item into a unit; otherwise every item is its own
    unit. A ``chance`` column (with ``guessing`` other than ``"none"``) and rows carrying a ``judge``
    id build the observation layer (:func:`~gapeval.gap.observation.build_observation`, with the
    judges' ``calibration`` table); the other rows are the direct scores ``y``.
    """
    items = frame.drop_duplicates("item")[["item", "direction"] + (["pair"] if use_pairs else [])]
    items = items.sort_values("item", kind="stable").reset_index(drop=True)
    slot = direction_slots(items["direction"])
    if use_pairs:
        paired = items["pair"].notna().to_numpy()
        pair_keys = items["pair"].where(paired, None)
    else:
        paired = np.zeros(len(items), dtype=bool)
        pair_keys = pd.Series([None] * len(items))
    pair_ids = sorted(pd.unique(pair_keys[paired]).tolist(), key=str) if paired.any() else []
    single_ids = items.loc[~paired, "item"].tolist()
    unit_of_pair = {p: k for k, p in enumerate(pair_ids)}
    unit = np.empty(len(items), dtype=np.int64)
    unit[paired] = [unit_of_pair[p] for p in pair_keys[paired]]
    unit[~paired] = len(pair_ids) + np.arange(int((~paired).sum()))
    model_ids = tuple(sorted(pd.unique(frame["model"]).tolist(), key=str))
    model_code = pd.Index(model_ids).get_indexer(frame["model"])
    item_code = pd.Index(items["item"]).get_indexer(frame["item"])
    shape = (len(model_ids), len(pair_ids) + len(single_ids), 2)
    y = np.zeros(shape, dtype=np.int32)
    mask = np.zeros(shape, dtype=bool)
    k = np.rint(frame["score"].to_numpy(dtype=float) * points).astype(np.int32)
    direct = frame["judge"].isna().to_numpy() if "judge" in frame.columns else np.ones(len(frame), dtype=bool)
    y[model_code[direct], unit[item_code][direct], slot[item_code][direct]] = k[direct]
    mask[model_code[direct], unit[item_code][direct], slot[item_code][direct]] = True
    observation = build_observation(frame, model_code=model_code, unit=unit[item_code], slot=slot[item_code],
                                    num_models=len(model_ids), num_units=shape[1], guessing=guessing,
                                    calibration=calibration, prior=judge_prior)
    return GapData(model_ids=model_ids, unit_ids=tuple(pair_ids) + tuple(single_ids), num_pairs=len(pair_ids),
                   item_ids=tuple(items["item"].tolist()), item_unit=unit, item_slot=slot, y=y, mask=mask,
                   points=int(points), observation=observation)


def complete_pairs(item_unit: np.ndarray, num_pairs: int) -> np.ndarray:
    """Items whose pair has both forms in the data, bool (items,): the items the paired scale is centred on."""
    item_unit = np.asarray(item_unit)
    return (item_unit < num_pairs) & (np.bincount(item_unit)[item_unit] == 2)
