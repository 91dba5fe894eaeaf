"""Check the long responses table and lay it out for :func:`gapeval.decay.irt_decay`.

The checks of the Gap Score's :func:`gapeval.gap.columns.standardize_responses` apply (columns
present, directions known, scores numeric and in range), except that a model may answer an item
several times — standalone and inside a dialogue, or in several dialogues — which is what makes decay
separable from item difficulty.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from gapeval.decay.irt_decay_model import IRTDecayData
from gapeval.errors import GapevalError
from gapeval.gap.columns import DIRECTIONS, _check_columns, _check_directions, _check_range, _numeric_scores

__all__ = ["prepare_irt_decay"]


def _turns(frame: pd.DataFrame, column: Hashable) -> np.ndarray:
    raw = frame["turn"]
    turns = pd.to_numeric(raw, errors="coerce")
    bad = turns.isna() & raw.notna()
    if bad.any():
        shown = [repr(v) for v in raw[bad].unique()[:5]]
        raise GapevalError(f"column {column!r} (turn) has non-numeric values [{', '.join(shown)}] in rows "
                           f"{frame.index[bad][:5].tolist()}; turns are 1-based numbers (empty for standalone items)")
    low = turns < 1
    if low.any():
        raise GapevalError(f"column {column!r} (turn) has values {sorted(turns[low].unique())[:5]} below 1 in rows "
                           f"{frame.index[low][:5].tolist()}; turns are 1-based (the first turn is 1)")
    return turns.to_numpy(dtype=float)


def _items(frame: pd.DataFrame, names: dict) -> pd.DataFrame:
    keep = ["item", "direction"] + (["pair"] if "pair" in frame.columns else [])
    items = frame[keep].drop_duplicates().sort_values("item", kind="stable")
    clash = items["item"].duplicated(keep=False)
    if clash.any():
        item = items.loc[clash, "item"].iloc[0]
        raise GapevalError(f"item {item!r} has different directions or pairs in different rows (columns "
                           f"{names['direction']!r}, {names.get('pair')!r}); an item's direction and pair are fixed")
    items = items.reset_index(drop=True)
    if "pair" in items.columns:
        paired = items[items["pair"].notna()]
        crowded = paired.groupby(["pair", "direction"])["item"].agg(list)
        crowded = crowded[crowded.map(len) > 1]
        if len(crowded):
            (pair_id, direction), members = crowded.index[0], crowded.iloc[0]
            raise GapevalError(f"pair {pair_id!r} has {len(members)} {direction} items {members[:5]}; a pair links "
                               "one understanding form with one generation form: give the extra items their own ids")
    return items


def _partner(items: pd.DataFrame) -> np.ndarray:
    partner = np.full(len(items), -1)
    if "pair" not in items.columns:
        return partner
    code = {item: i for i, item in enumerate(items["item"])}
    paired = items[items["pair"].notna()]
    for _, group in paired.groupby("pair"):
        if len(group) == 2:
            under = group.loc[group["direction"] == DIRECTIONS[0], "item"].iloc[0]
            gen = group.loc[group["direction"] == DIRECTIONS[1], "item"].iloc[0]
            partner[code[gen]] = code[under]
    return partner


def prepare_irt_decay(responses: pd.DataFrame, *, model: Hashable, item: Hashable, direction: Hashable,
                      score: Hashable, turn: Hashable, session: Hashable | None, pair: Hashable | None,
                      points: int, threshold: float | None) -> IRTDecayData:
    """Validate ``responses`` and build the :class:`~gapeval.decay.irt_decay_model.IRTDecayData`.

    Raises
    ------
    GapevalError
        A missing column; an unknown direction; a non-numeric, missing or out-of-range score (or a
        score that is not k/``points``); a turn below 1 or non-numeric; a dialogue answer (turn
        given) without a session; an item with two directions; fewer than two models; no answer
        after the first turn.
    """
    if not isinstance(responses, pd.DataFrame):
        raise GapevalError(f"responses must be a pandas DataFrame (the long table), got {type(responses).__name__}")
    names = {"model": model, "item": item, "direction": direction, "score": score, "turn": turn}
    if session is not None:
        names["session"] = session
    if pair is not None:
        names["pair"] = pair
    _check_columns(responses, names)
    if len(responses) == 0:
        raise GapevalError("the responses table is empty; it needs one row per scored answer")
    frame = responses[list(names.values())].copy()
    frame.columns = list(names)
    for role in ("model", "item"):
        if frame[role].isna().any():
            rows = frame.index[frame[role].isna()][:5].tolist()
            raise GapevalError(f"column {names[role]!r} is missing in rows {rows}; every answer needs a {role} id")
    _check_directions(frame, direction)
    values = _check_range(_numeric_scores(frame, score), score, "binary" if points == 1 else "unit", threshold)
    k = values.to_numpy(dtype=float) * (points if threshold is None else 1)
    if points > 1 and threshold is None:
        off = np.abs(k - np.rint(k)) > 1e-6
        if off.any():
            raise GapevalError(f"column {score!r} has values {sorted(set(values[off]))[:5]} in rows "
                               f"{frame.index[off][:5].tolist()} that are not k/{points}; with points={points} a "
                               f"score is the fraction of {points} evaluation points passed")
    turns = _turns(frame, turn)
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
    items = _items(frame, names)
    session_idx = np.full(len(frame), -1)
    session_ids: tuple = ()
    if session is not None:
        keys = pd.Series(list(zip(frame["model"], frame["session"])), index=frame.index)[~standalone]
        session_ids = tuple(sorted(set(keys), key=str))
        lookup = {key: i for i, key in enumerate(session_ids)}
        session_idx[~standalone] = [lookup[key] for key in keys]
    return IRTDecayData(
        model_ids=tuple(models), item_ids=tuple(items["item"]), session_ids=session_ids,
        model_idx=pd.Index(models).get_indexer(frame["model"]),
        item_idx=pd.Index(items["item"]).get_indexer(frame["item"]),
        session_idx=session_idx, item_slot=(items["direction"] == DIRECTIONS[1]).to_numpy().astype(np.int64),
        partner=_partner(items), x=x, standalone=standalone, y=np.rint(k).astype(np.int32),
        points=1 if threshold is not None else int(points),
    )
