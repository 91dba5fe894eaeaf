"""Check the long responses table and lay it out for :func:`gapeval.decay.irt_decay`.

The table is checked by the one validator, :func:`gapeval.responses.standardize_responses` (columns
present, directions known, scores numeric and in range, turns 1-based, an item's direction and pair
fixed), with ``unique=False``: a model may answer an item several times — standalone and inside a
dialogue, or in several dialogues — which is what makes decay separable from item difficulty. The
checks of the decay design follow (dialogue answers carry a session, two or more models, answers
after the first turn).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable

import numpy as np
import pandas as pd

from gapeval.decay.irt_decay_model import IRTDecayData
from gapeval.decay.structure import Structure, choose_structure
from gapeval.errors import GapevalError
from gapeval.gap.score import check_pairs, point_counts
from gapeval.responses import GENERATION, UNDERSTANDING, direction_slots, standardize_responses

__all__ = ["prepare_irt_decay"]


def _items(frame: pd.DataFrame, pair: Hashable | None) -> pd.DataFrame:
    keep = ["item", "direction"] + (["pair"] if "pair" in frame.columns else [])
    items = frame[keep].drop_duplicates("item").sort_values("item", kind="stable").reset_index(drop=True)
    if "pair" in items.columns:
        check_pairs(items, pair)
    return items


def _partner(items: pd.DataFrame) -> np.ndarray:
    partner = np.full(len(items), -1)
    if "pair" not in items.columns:
        return partner
    code = {item: i for i, item in enumerate(items["item"])}
    paired = items[items["pair"].notna()]
    for _, group in paired.groupby("pair"):
        if len(group) == 2:
            under = group.loc[group["direction"] == UNDERSTANDING, "item"].iloc[0]
            gen = group.loc[group["direction"] == GENERATION, "item"].iloc[0]
            partner[code[gen]] = code[under]
    return partner


def prepare_irt_decay(responses: pd.DataFrame, *, model: Hashable, item: Hashable, direction: Hashable,
                      score: Hashable, turn: Hashable, session: Hashable | None, pair: Hashable | None,
                      points: int, threshold: float | None, structure: str = "auto") -> IRTDecayData:
    """Validate ``responses`` and build the :class:`~gapeval.decay.irt_decay_model.IRTDecayData`.

    Raises
    ------
    GapevalError
        A missing column; an unknown direction; a non-numeric, missing or out-of-range score (or a
        score that is not k/``points``); a turn below 1 or non-numeric; a dialogue answer (turn
        given) without a session; an item with two directions; fewer than two models; no answer
        after the first turn; an unknown ``structure``, or ``"crossed"`` when no dialogue is shared.
    """
    frame = standardize_responses(responses, model=model, item=item, direction=direction, score=score, pair=pair,
                                  session=session, turn=turn, scores="binary" if points == 1 else "unit",
                                  threshold=threshold, unique=False)
    k = point_counts(frame["score"], points=points if threshold is None else 1, column=score)
    turns = frame["turn"].to_numpy(dtype=float)
    standalone = np.isnan(turns)
    if session is not None:
        orphan = ~standalone & frame["session"].isna().to_numpy()
        if orphan.any():
            rows = frame.index[orphan][:5].tolist()
            raise GapevalError(f"column {session!r} (session) is missing in rows {rows} that have a turn; give "
                               "every dialogue answer its dialogue id, or pass session=None")
    models = sorted(pd.unique(frame["model"]).tolist(), key=str)
    if len(models) < 2:
        raise GapevalError(f"column {model!r} holds one model ({models[0]!r}); the decay model pools the models' "
                           "abilities and slopes and needs at least two")
    x = np.where(standalone, 0.0, turns - 1.0)
    if not (x > 0).any():
        raise GapevalError(f"no answer in column {turn!r} lies after turn 1; decay needs answers at later turns")
    items = _items(frame, pair)
    session_idx = np.full(len(frame), -1)
    session_ids: tuple = ()
    if session is not None:
        keys = pd.Series(list(zip(frame["model"], frame["session"])), index=frame.index)[~standalone]
        session_ids = tuple(sorted(set(keys), key=str))
        lookup = {key: i for i, key in enumerate(session_ids)}
        session_idx[~standalone] = [lookup[key] for key in keys]
    chosen = _structure(frame[~standalone], requested=structure, session=session, item=item)
    dialogue_idx = np.full(len(frame), -1)
    dialogue_ids: tuple = ()
    if chosen.session_term:
        dialogues = frame.loc[~standalone, "session"]
        dialogue_ids = tuple(sorted(pd.unique(dialogues), key=str))
        dialogue_idx[~standalone] = pd.Index(dialogue_ids).get_indexer(dialogues)
    return IRTDecayData(
        model_ids=tuple(models), item_ids=tuple(items["item"]), session_ids=session_ids,
        model_idx=pd.Index(models).get_indexer(frame["model"]),
        item_idx=pd.Index(items["item"]).get_indexer(frame["item"]),
        session_idx=session_idx, item_slot=direction_slots(items["direction"]),
        partner=_partner(items), x=x, standalone=standalone, y=k,
        points=1 if threshold is not None else int(points),
        dialogue_ids=dialogue_ids, dialogue_idx=dialogue_idx, structure=chosen,
    )


def _structure(dialogue_rows: pd.DataFrame, *, requested: str, session: Hashable | None, item: Hashable) -> Structure:
    """The random-effect structure of the dialogue answers (:func:`gapeval.decay.structure.choose_structure`).

    Only the dialogue term is decided here: the items enter through their own parameters, shared by every
    model, in either structure.
    """
    has_session = session is not None
    frame = pd.DataFrame({"m": dialogue_rows["model"].to_numpy(),
                          "d": dialogue_rows["session"].to_numpy() if has_session else None})
    chosen = choose_structure(frame, requested=requested, has_session=has_session, has_item=False,
                              names={"session": str(session), "item": str(item)})
    reason = (f"{chosen.reason}; the items enter through their own parameters (a_i, b_i), shared by every model, "
              "in either structure")
    return dataclasses.replace(chosen, reason=reason, item_term=False)
