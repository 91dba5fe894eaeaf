"""Fixed-item scoring: the gap of new models against a calibration, in seconds, with the items' uncertainty.

``gapeval.gap_score(responses, calibration=cal)`` lands here (:func:`score_with_calibration`). Each
model is scored on its own from whatever it answered: for every calibration draw the exact posterior
of (theta_U, theta_G) on a grid (:mod:`gapeval.calibration.grid`), mixed over the draws. The table has
:data:`gapeval.gap.score.GAP_COLUMNS`.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable

import numpy as np
import pandas as pd

from gapeval.calibration.grid import GRID_POINTS, PRIOR_SCALE, Answers, check_prior, posterior_on_grid
from gapeval.calibration.record import Calibration, CalibrationError
from gapeval.gap.prepare import point_counts
from gapeval.gap.score import GAP_COLUMNS, OneDirectionWarning
from gapeval.responses import DIRECTIONS, GENERATION_SLOT, UNDERSTANDING_SLOT, standardize_responses

__all__ = ["score_with_calibration", "encode_answers"]


def encode_answers(cal: Calibration, items, scores, judges=None) -> Answers:
    """Records (item ids, successes, judge ids or None) in calibration codes, refusing unknown ids.

    Raises
    ------
    CalibrationError
        Items or judges that are not in the calibration (named), with what to do.
    """
    items = [str(i) for i in items]
    unknown = sorted({i for i in items if i not in cal.item_code})
    if unknown:
        raise CalibrationError(
            f"items {unknown[:8]} ({len(unknown)} in all) are not in the calibration ({cal.num_items} items, bank "
            f"{cal.bank_hash or 'hash not recorded'}); score only calibrated items (drop those rows) or recalibrate "
            "on a cohort that answered them")
    judge_code = {j: k for k, j in enumerate(cal.judge_ids)}
    if judges is None:
        codes = np.full(len(items), -1, dtype=np.int64)
    else:
        names = [None if j is None or (isinstance(j, float) and np.isnan(j)) else str(j) for j in judges]
        missing = sorted({j for j in names if j is not None and j not in judge_code})
        if missing:
            raise CalibrationError(f"judges {missing} have no error rates in the calibration (it knows "
                                   f"{list(cal.judge_ids)}); label with a calibrated judge or recalibrate with this one")
        codes = np.array([-1 if j is None else judge_code[j] for j in names], dtype=np.int64)
    return Answers(item=np.array([cal.item_code[i] for i in items], dtype=np.int64),
                   score=np.asarray(scores, dtype=np.int64), judge=codes)


def score_with_calibration(
    responses: pd.DataFrame,
    calibration: Calibration,
    *,
    model: Hashable = "model",
    item: Hashable = "item",
    direction: Hashable = "direction",
    score: Hashable = "score",
    judge: Hashable | None = "judge",
    level: float = 0.95,
    threshold: float | None = None,
    num_draws: int | None = None,
    grid_points: int = GRID_POINTS,
    prior: str = "predictive",
    prior_scale: float = PRIOR_SCALE,
) -> pd.DataFrame:
    """Gap of each model in ``responses``, scored against ``calibration`` (item parameters held at its draws).

    Parameters
    ----------
    responses : pandas.DataFrame
        Long table of the new models' answers (any subset of the calibrated items). Its ``pair`` and
        ``chance`` columns, if any, are not read: pairs, chance levels, the observation layer and the
        scale are the calibration's. Rows with a ``judge`` id are that judge's labels.
    calibration : Calibration
    model, item, direction, score, judge : hashable
        Column names.
    level : float
        Interval level.
    threshold : float, optional
        Count a fractional score >= threshold as 1 (0/1 calibrations).
    num_draws : int, optional
        Calibration draws to mix over (default all; fewer is faster and less exact).
    grid_points : int
        Grid points per ability.
    prior : {"predictive", "per_draw"}
        The new models' ability prior (see :func:`~gapeval.calibration.grid.posterior_on_grid`).
    prior_scale : float
        Multiplies the cohort population's standard deviations in that prior (default
        :data:`~gapeval.calibration.grid.PRIOR_SCALE`; 1 is the cohort's own spread).

    Returns
    -------
    pandas.DataFrame
        One row per model (sorted by id): the model column, then :data:`~gapeval.gap.score.GAP_COLUMNS`;
        ``attrs`` records ``method="calibrated"``, ``scale``, ``level``, ``interval``, ``bank_hash``.

    Raises
    ------
    CalibrationError
        Items or judges not in the calibration, a direction that differs from the calibration's.
    GapevalError
        The problems :func:`gapeval.responses.standardize_responses` refuses.

    Warns
    -----
    OneDirectionWarning
        A model answered one direction only: its gap is NaN.
    """
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise CalibrationError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    check_prior(prior, prior_scale)
    has_judge = judge is not None and isinstance(responses, pd.DataFrame) and judge in responses.columns
    frame = standardize_responses(responses, model=model, item=item, direction=direction, score=score,
                                  judge=judge if has_judge else None,
                                  scores="binary" if calibration.points == 1 else "unit", threshold=threshold)
    frame = frame.reset_index(drop=True)
    k = point_counts(frame["score"], points=calibration.points, column=score)
    frame["item"] = frame["item"].astype(str)
    known = frame["item"].isin(list(calibration.item_code))
    if known.all():
        expected = np.asarray(calibration.directions, dtype=object)[[calibration.item_code[i] for i in frame["item"]]]
        wrong = frame["direction"].to_numpy() != expected
        if wrong.any():
            rows = frame.loc[wrong, ["item", "direction"]].drop_duplicates().head(5).values.tolist()
            raise CalibrationError(f"items {rows} have another direction than in the calibration; check the item ids "
                                   "(the same bank?) or recalibrate")
    draws = None if num_draws is None else np.linspace(0, calibration.num_draws - 1, num_draws).round().astype(int)
    rows, one_sided = [], []
    for model_id, group in frame.groupby("model", sort=False):
        answers = encode_answers(calibration, group["item"], k[group.index.to_numpy()],
                                 group["judge"].tolist() if has_judge else None)
        counts = np.bincount(calibration.item_slot[np.unique(answers.item)], minlength=2)
        post = posterior_on_grid(calibration, answers, draws=draws, points=grid_points, prior=prior,
                                 prior_scale=prior_scale)
        row = {model: model_id, **post.summary(level), "n_understanding": int(counts[UNDERSTANDING_SLOT]),
               "n_generation": int(counts[GENERATION_SLOT])}
        if (counts == 0).any():
            one_sided.append((model_id, DIRECTIONS[int(counts[0] != 0)]))
            missing = "theta_understanding" if counts[0] == 0 else "theta_generation"
            row.update({c: np.nan for c in ("gap", "gap_lower", "gap_upper", "p_gap_positive", missing,
                                            f"{missing}_sd")})
        rows.append(row)
    if one_sided:
        shown = ", ".join(f"{m!r} (no {d} answers)" for m, d in one_sided[:5])
        warnings.warn(f"{len(one_sided)} model(s) answered one direction only: {shown}; their gap is NaN",
                      OneDirectionWarning, stacklevel=3)
    table = pd.DataFrame(rows, columns=[model, *GAP_COLUMNS])
    table = table.sort_values(model, key=lambda s: s.astype(str), kind="stable").reset_index(drop=True)
    table.attrs.update(method="calibrated", scale=calibration.scale, level=level, inference="grid",
                       approximate=False, interval="credible interval (item parameters at the calibration's draws)",
                       bank_hash=calibration.bank_hash, prior=prior, prior_scale=prior_scale,
                       calibration_draws=len(draws) if draws is not None else calibration.num_draws)
    return table
