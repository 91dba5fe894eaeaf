"""From the long table to the Gap Score's data: option checks, pair checks, point counts, the layout.

:func:`prepare_gap_data` is what :func:`gapeval.gap_score` runs before fitting: it checks the options,
validates the table with :func:`gapeval.responses.standardize_responses` (including its ``chance`` and
``judge`` columns) and lays it out with :func:`gapeval.gap.model.build_gap_data`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable

import numpy as np
import pandas as pd

from gapeval.errors import GapevalError
from gapeval.gap.checks import GuessingWarning, guessing_message, multiple_choice_looking, unmarked_guessing_message
from gapeval.gap.layout import GapData, build_gap_data
from gapeval.gap.observation import GUESSING
from gapeval.responses import standardize_responses
from gapeval.records.seeds import check_seed
from gapeval.sampling import check_inference

__all__ = ["check_options", "check_pairs", "check_judge_column", "point_counts", "offset_prior", "prepare_gap_data", "SCALES", "METHODS",
           "ABILITIES", "ABILITY_DF"]

SCALES: tuple[str, ...] = ("paired", "standardized")
METHODS: tuple[str, ...] = ("mirt", "gapeval-2026")
#: Distributions of the abilities over the cohort: ``normal``, or ``student_t`` (robust to outlying models).
ABILITIES: tuple[str, ...] = ("normal", "student_t")
#: Degrees of freedom of Student-t abilities by default: heavy tails (finite variance), and still a proper
#: shrinkage towards the cohort for the models in its body.
ABILITY_DF = 4.0


def check_options(*, scale, level, method, inference, points, seed=0, guessing="fixed", abilities="normal",
                  ability_df=4.0) -> None:
    """Refuse an unknown or out-of-range option of :func:`gapeval.gap_score`, naming the valid values."""
    if method not in METHODS:
        raise GapevalError(f"method={method!r} is not one of {list(METHODS)}")
    if scale not in SCALES:
        raise GapevalError(f"scale={scale!r} is not one of {list(SCALES)}; say which scale the gap is on")
    check_inference(inference)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise GapevalError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    check_seed(seed)
    if isinstance(points, bool) or not isinstance(points, int | float) or int(points) != points or points < 1:
        raise GapevalError(f"points={points!r} must be a positive integer")
    if guessing not in GUESSING:
        raise GapevalError(f"guessing={guessing!r} is not one of {list(GUESSING)}")
    if abilities not in ABILITIES:
        raise GapevalError(f"abilities={abilities!r} is not one of {list(ABILITIES)}")
    if abilities == "student_t" and not (isinstance(ability_df, int | float) and ability_df > 0):
        raise GapevalError(f"ability_df={ability_df!r} must be a positive number of degrees of freedom (e.g. 4)")


def offset_prior(difficulty_offset, scale: str) -> tuple[float, float] | None:
    """``difficulty_offset`` as (mean, sd): a number is a known offset (sd 0), a pair (mean, sd) a prior.

    Examples
    --------
    >>> offset_prior(1.0, "paired"), offset_prior((1.0, 0.2), "paired"), offset_prior(None, "paired")
    ((1.0, 0.0), (1.0, 0.2), None)
    """
    if difficulty_offset is None:
        return None
    if scale != "paired":
        raise GapevalError("difficulty_offset= applies to scale='paired' (it says how much harder the average "
                           "generation form is than the average understanding form); the standardized scale has "
                           "no common difficulty scale to offset")
    pair = (difficulty_offset, 0.0) if isinstance(difficulty_offset, int | float) else tuple(difficulty_offset)
    if len(pair) != 2 or not all(isinstance(v, int | float) and math.isfinite(v) for v in pair) or pair[1] < 0:
        raise GapevalError(f"difficulty_offset={difficulty_offset!r} must be a number (the known offset, in logits) "
                           "or a pair (mean, sd) with sd >= 0 (a normal prior, e.g. from anchor pairs)")
    return float(pair[0]), float(pair[1])


def check_pairs(frame: pd.DataFrame, pair: Hashable) -> None:
    """Refuse a pair with two items of one direction (a pair links one form of each direction).

    ``frame`` is standardized (columns ``item``, ``direction``, ``pair``); ``pair`` is the caller's
    name of the pair column, for the message.
    """
    paired = frame[frame["pair"].notna()].drop_duplicates("item")
    sizes = paired.groupby(["pair", "direction"], observed=True).size()   # counted, not listed: 1,200 groups
    crowded = sizes[sizes > 1]
    if len(crowded):
        pair_id, direction = crowded.index[0]
        members = paired.loc[(paired["pair"] == pair_id) & (paired["direction"] == direction), "item"].tolist()
        raise GapevalError(
            f"pair {pair_id!r} (column {pair!r}) has {len(members)} {direction} items {members[:5]}; a pair "
            "links one understanding form with one generation form: give the extra items their own pair ids")


def point_counts(scores: pd.Series, *, points: int, column: Hashable) -> np.ndarray:
    """The successes k of scores read as k/``points`` (int32), refusing scores that are not.

    Examples
    --------
    >>> point_counts(pd.Series([0.0, 0.5, 1.0]), points=2, column="score").tolist()
    [0, 1, 2]
    """
    k = scores.to_numpy(dtype=float) * points
    off = np.abs(k - np.rint(k)) > 1e-6
    if off.any():
        raise GapevalError(
            f"column {column!r} has values {sorted(set(scores[off]))[:5]} in rows "
            f"{scores.index[off][:5].tolist()} that are not k/{points}; with points={points} a score "
            f"is the fraction of {points} evaluation points passed")
    return np.rint(k).astype(np.int32)


def _present(responses, column) -> bool:
    return column is not None and isinstance(responses, pd.DataFrame) and column in responses.columns


def check_judge_column(values: pd.Series, column: Hashable) -> None:
    """Refuse a column read as judge ids that holds something else (a user's own column of that name).

    ``gap_score`` reads its ``judge`` column (default ``"judge"``) as the id of the judge whose 0/1 label a
    row is; a column of that name that means something else (a judge's score or probability, a flag
    saying whether an answer was judged, a rationale per answer) would silently bring in the judge-error
    layer. Ids are repeated labels: not fractional numbers, not booleans, not a different value on most rows.

    Examples
    --------
    >>> check_judge_column(pd.Series(["gpt-judge", None, "gpt-judge"]), "judge")
    >>> check_judge_column(pd.Series([0.8, 0.35]), "judge")
    Traceback (most recent call last):
    ...
    gapeval.errors.GapevalError: column 'judge' is read as judge ids (a row with an id is that judge's 0/1 label of the answer), but it holds fractional numbers such as [0.8, 0.35]; if the column means something else, rename it or pass judge=None; to bring in judges' labels, pass judge='<column of judge ids>'
    """
    present = values.dropna()
    if present.empty:
        return
    what = None
    if pd.api.types.is_bool_dtype(present):
        what = "true/false values"
    elif pd.api.types.is_numeric_dtype(present) and (present.astype(float) % 1 != 0).any():
        what = "fractional numbers"
    elif len(present) > 20 and present.nunique() > len(present) / 2:
        what = f"{present.nunique()} different values in {len(present)} rows (ids repeat, one per judge)"
    if what is not None:
        shown = present.drop_duplicates().head(3).tolist()
        raise GapevalError(
            f"column {column!r} is read as judge ids (a row with an id is that judge's 0/1 label of the answer), but "
            f"it holds {what} such as {shown}; if the column means something else, rename it or pass judge=None; to "
            f"bring in judges' labels, pass judge='<column of judge ids>'")


def prepare_gap_data(responses, *, model, item, direction, score, pair, chance, judge, scale, points, threshold,
                     guessing="fixed", judges=None, judge_prior=None) -> GapData:
    """Validate the long table and lay it out for the Gap Score model (see :func:`gapeval.gap_score`)."""
    has_pair = _present(responses, pair)
    if scale == "paired" and not has_pair and isinstance(responses, pd.DataFrame):
        raise GapevalError(
            f"scale='paired' needs the pair column (pair={pair!r}) that links an item's understanding and "
            "generation forms, and the table has none; pass pair='<column>' or use scale='standardized'")
    has_chance, has_judge = _present(responses, chance), _present(responses, judge)
    if has_judge:
        check_judge_column(responses[judge], judge)
    if judges is not None and not has_judge:
        raise GapevalError(f"judges= gives a judge calibration table, but the responses table has no judge column "
                           f"(judge={judge!r}); add one (a judge id per row of judge labels) or pass judge='<column>'")
    if (has_chance or has_judge) and points != 1:
        raise GapevalError(f"chance levels and judge labels describe 0/1 answers; with points={points} leave out the "
                           f"{chance!r} and {judge!r} columns (pass chance=None, judge=None)")
    frame = standardize_responses(responses, model=model, item=item, direction=direction, score=score,
                                  pair=pair if has_pair else None, chance=chance if has_chance else None,
                                  judge=judge if has_judge else None, scores="binary" if points == 1 else "unit",
                                  threshold=threshold)
    point_counts(frame["score"], points=points, column=score)
    if not has_chance and points == 1:
        looking = multiple_choice_looking(responses, item=item)
        if looking:
            warnings.warn(unmarked_guessing_message(looking, chance=chance), GuessingWarning, stacklevel=3)
    if has_chance and guessing == "none":
        mcq = frame.loc[frame["chance"] > 0].drop_duplicates("item")
        if len(mcq):
            warnings.warn(guessing_message(mcq["item"].tolist(), chance=mcq["chance"].tolist()), GuessingWarning,
                          stacklevel=3)
    if has_pair:
        check_pairs(frame, pair)
        if scale == "paired":
            both = frame[frame["pair"].notna()].groupby("pair")["direction"].nunique()
            if not (both == 2).any():
                raise GapevalError(
                    f"scale='paired' needs at least one pair (column {pair!r}) with both an understanding and "
                    "a generation item; none has both: check the pair ids or use scale='standardized'")
    per_direction = frame.drop_duplicates("item")["direction"].value_counts()
    if len(per_direction) and (per_direction <= 1).all():
        counts = ", ".join(f"{n} {d}" for d, n in per_direction.items())
        raise GapevalError(
            f"gap_score needs at least two items of one direction (difficulties sum to zero within each "
            f"direction, so a lone item per direction leaves nothing to estimate); this table has {counts} "
            f"item(s) ({sorted(frame['item'].unique().tolist())[:4]}): add items — one pair is not enough")
    extra = {} if judge_prior is None else {"judge_prior": judge_prior}
    return build_gap_data(frame, points=points, use_pairs=has_pair, guessing=guessing, calibration=judges, **extra)
