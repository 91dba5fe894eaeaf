"""``gap_score``: the understanding-generation ability gap of every model, with credible intervals.

See ``docs/gap_score.md`` for the estimand, the two scales and how to read the interval, and
:mod:`gapeval.gap.model` for the model (``docs/methods.md`` §2).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Hashable

import numpy as np
import pandas as pd

from gapeval.errors import GapevalError
from gapeval.gap.checks import CeilingWarning, GuessingWarning, boundary_models, ceiling_message
from gapeval.gap.observation import JUDGE_PRIOR
from gapeval.gap.prepare import (ABILITY_DF, check_options, check_pairs, offset_prior, point_counts,
                                 prepare_gap_data)
from gapeval.gap.result import GapResult
from gapeval.responses import DIRECTIONS, GENERATION_SLOT, UNDERSTANDING_SLOT
from gapeval.sampling import GAP_INFERENCE, GAP_NUTS, GAP_NUTS_SMALL, GAP_SMALL_COHORT, GAP_SVI, check_inference
from irt.diagnostics import ConvergenceWarning
from irt.inference.options import NUTSOptions, SVIOptions
from irt.results import summarise_draws

__all__ = ["gap_score", "gap_options", "check_pairs", "point_counts", "GAP_COLUMNS",
           "OneDirectionWarning", "CeilingWarning", "GuessingWarning"]

#: Columns of the table, after the model column.
GAP_COLUMNS: tuple[str, ...] = (
    "gap", "gap_lower", "gap_upper", "p_gap_positive", "theta_understanding", "theta_understanding_sd",
    "theta_generation", "theta_generation_sd", "n_understanding", "n_generation",
)


class OneDirectionWarning(UserWarning):
    """A model answered items in one direction only: its gap is NaN."""


def gap_options(inference: str = GAP_INFERENCE, *, num_warmup: int | None = None,
                num_samples: int | None = None, num_chains: int | None = None,
                chain_method: str | None = GAP_NUTS.chain_method,
                target_accept_prob: float | None = None, num_steps: int = GAP_SVI.num_steps,
                learning_rate: float = GAP_NUTS.learning_rate, warm_start_steps: int = GAP_NUTS.warm_start_steps,
                max_tree_depth: int = GAP_NUTS.max_tree_depth,
                mass_inflation: float = GAP_NUTS.mass_inflation,
                stop_when_converged: bool = True) -> NUTSOptions | SVIOptions:
    """The sampler options record of a :func:`gap_score` fit from its keyword arguments.

    Both records are built (so every setting is checked, whichever path runs) from the defaults of
    :mod:`gapeval.sampling` (``num_warmup`` None: ``GAP_NUTS.num_warmup``); ``num_samples`` is also the number
    of SVI draws (None: ``GAP_NUTS.num_samples`` NUTS draws per chain, ``GAP_SVI.num_draws`` SVI draws) and
    ``learning_rate`` that of the NUTS warm start as well as of SVI. ``stop_when_converged``: NUTS stops
    drawing once the fit's convergence checks pass (from ``GAP_NUTS.min_samples`` draws per chain on, every
    ``GAP_NUTS.block_size``); False always draws ``num_samples``.

    Raises
    ------
    GapevalError
        An unknown ``inference``, or a setting the records refuse (the message names it and the
        valid values).

    Examples
    --------
    >>> options = gap_options("svi", num_steps=300)
    >>> type(options).__name__, options.num_steps, options.num_draws, options.learning_rate
    ('SVIOptions', 300, 4000, 0.05)
    """
    check_inference(inference)
    try:
        nuts = dataclasses.replace(GAP_NUTS, num_warmup=GAP_NUTS.num_warmup if num_warmup is None else num_warmup,
                                   num_chains=GAP_NUTS.num_chains if num_chains is None else num_chains,
                                   num_samples=GAP_NUTS.num_samples if num_samples is None else num_samples,
                                   chain_method=chain_method,
                                   target_accept_prob=GAP_NUTS.target_accept_prob if target_accept_prob is None
                                   else target_accept_prob,
                                   max_tree_depth=max_tree_depth, warm_start_steps=warm_start_steps,
                                   learning_rate=learning_rate, mass_inflation=mass_inflation,
                                   min_samples=GAP_NUTS.min_samples if stop_when_converged else None)
        svi = dataclasses.replace(GAP_SVI, num_steps=num_steps, learning_rate=learning_rate,
                                  num_draws=GAP_SVI.num_draws if num_samples is None else num_samples)
    except ValueError as error:
        raise GapevalError(str(error)) from None
    return nuts if inference == "nuts" else svi


def _table(result: GapResult, model: Hashable) -> pd.DataFrame:
    gap = summarise_draws(result.gap_draws, result.level)
    theta = summarise_draws(result.samples["theta"], result.level)
    counts = result.data.counts
    with np.errstate(invalid="ignore"):
        p_positive = (result.gap_draws > 0).mean(axis=(0, 1))
    p_positive = np.where(np.isnan(gap["estimate"]), np.nan, p_positive)
    u, g = UNDERSTANDING_SLOT, GENERATION_SLOT
    frame = pd.DataFrame({
        model: list(result.data.model_ids), "gap": gap["estimate"], "gap_lower": gap["lower"],
        "gap_upper": gap["upper"], "p_gap_positive": p_positive,
        "theta_understanding": theta["estimate"][:, u], "theta_understanding_sd": theta["sd"][:, u],
        "theta_generation": theta["estimate"][:, g], "theta_generation_sd": theta["sd"][:, g],
        "n_understanding": counts[:, u], "n_generation": counts[:, g],
    })
    observation = result.data.observation
    frame.attrs.update(scale=result.scale, level=result.level, method="mirt", inference=result.inference,
                       approximate=result.approximate, seed=result.seed,
                       interval="approximate credible interval" if result.approximate else "credible interval",
                       diagnostics=result.diagnostics.summary().to_dict(), result=result,
                       estimand=result.estimand(), observation=None if observation is None else observation.describe(),
                       abilities="normal" if result.ability_df is None else f"student_t (df={result.ability_df:g})")
    return frame


def _legacy(responses, *, model, item, direction, score, pair, by, threshold) -> pd.DataFrame:
    from gapeval.gap.legacy import LEGACY_LABEL, LEGACY_METHOD, legacy_gap_score_from_responses

    result = legacy_gap_score_from_responses(responses, by=by, model=model, item=item, direction=direction,
                                             score=score, pair=pair, threshold=threshold)
    frame = pd.DataFrame({model: list(result), "gap": [r["gap_mean"] for r in result.values()]})
    for column in GAP_COLUMNS[1:]:
        frame[column] = np.nan
    frame["n_pairs"] = [sum(r["n_pairs"]) for r in result.values()]
    frame.attrs.update(method=LEGACY_METHOD, label=LEGACY_LABEL, scale=None, level=None, inference=None,
                       approximate=None, legacy=result)
    return frame


def gap_score(
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
    level: float = 0.95,
    method: str = "mirt",
    inference: str = GAP_INFERENCE,
    seed: int = 0,
    points: int = 1,
    threshold: float | None = None,
    by: Hashable = "category",
    guessing: str = "fixed",
    judges: pd.DataFrame | None = None,
    judge_prior: tuple[float, float] = JUDGE_PRIOR,
    difficulty_offset: float | tuple[float, float] | None = None,
    abilities: str = "normal",
    ability_df: float = ABILITY_DF,
    num_warmup: int | None = None,
    num_samples: int | None = None,
    num_chains: int | None = None,
    chain_method: str | None = GAP_NUTS.chain_method,
    target_accept_prob: float | None = None,
    num_steps: int = GAP_SVI.num_steps,
    learning_rate: float = GAP_NUTS.learning_rate,
    warm_start_steps: int = GAP_NUTS.warm_start_steps,
    max_tree_depth: int = GAP_NUTS.max_tree_depth,
    mass_inflation: float = GAP_NUTS.mass_inflation,
    stop_when_converged: bool = True,
    calibration=None,
) -> pd.DataFrame:
    r"""Gap Score of every model: posterior of theta_U - theta_G from one joint 2-D IRT fit.

    Parameters
    ----------
    responses : pandas.DataFrame
        The long responses table (``docs/design.md`` §4), one row per scored answer. Not modified.
    model, item, direction, score, pair : hashable
        Column names. ``direction`` values must be ``"understanding"`` / ``"generation"``. ``pair``
        links an item's two forms (may be missing for unpaired items; pass None or omit the column
        for none at all, then only ``scale="standardized"`` is valid).
    chance : hashable or None
        Column of chance levels (probability of a right guess: 1 / number of options for multiple
        choice; empty or 0 for a free answer), used when the table has it: see ``guessing``.
    judge : hashable or None
        Column of judge ids, used when the table has it: a row with a judge id is that judge's 0/1
        label of the answer (one row per judge and answer); a row without one is a direct score (a
        rule's or a person's). Judge labels enter through each judge's sensitivity and specificity
        (``docs/gap_score.md``, "Guessing and judge error").
    scale : {"paired", "standardized"}
        ``paired``: the forms of a question share a difficulty, so theta_U and theta_G are on one
        scale, under the convention that the average paired generation form is as hard as the average
        paired understanding form (see ``difficulty_offset``; differences between models' gaps do not
        depend on it). ``standardized``: each ability is standardized over the cohort.
    level : float
        Level of the equal-tailed credible interval.
    method : {"mirt", "gapeval-2026"}
        ``"mirt"``: this package's estimand. ``"gapeval-2026"``: the legacy reference score
        (:func:`~gapeval.gap.legacy.legacy_gap_score_from_responses`, rows per ``by`` group), only
        ``gap`` filled, labelled in ``attrs``.
    inference : {"nuts", "svi"}
        ``nuts``: exact posterior (default; warm-started from a short SVI fit). ``svi``: fast
        approximate path (mean-field normal guide; intervals approximate). ``"map"`` is refused (see Raises).
    seed : int
        Seed of the sampler; same seed, same table.
    points : int
        Evaluation points K behind each score: scores are k/K and enter as a binomial (1 = 0/1).
    threshold : float, optional
        Count a fractional score >= threshold as 1 (only when asked).
    by : hashable
        Grouping column of the legacy method.
    guessing : {"fixed", "estimate", "none"}
        How chance levels enter: P(right) = c + (1 - c) P(known) with c fixed at the given level, or
        estimated per item from a Beta prior centred there (a 3PL), or ignored.
    judges : pandas.DataFrame, optional
        Judge calibration table: one row per (judge, answer) with columns ``judge``, ``judge_label``
        and ``human_label`` (0/1). It updates each judge's Beta prior of sensitivity and
        specificity (``judge_prior``); judges without rows keep the prior.
    judge_prior : (float, float)
        Beta(alpha, beta) prior of every judge's sensitivity and specificity (default mean 0.85,
        worth 10 labels).
    difficulty_offset : float or (float, float), optional
        Paired scale: how much harder (in logits) the average paired generation form is than the
        average paired understanding form, known (a number) or as a normal prior (mean, sd), e.g.
        from anchor pairs whose difficulty is known in both forms. None: 0 by convention (the data
        cannot tell a shift of every generation form from a gap shared by every model).
    abilities : {"normal", "student_t"}
        Distribution of (theta_U, theta_G) over the cohort; ``student_t`` (with ``ability_df``
        degrees of freedom) shrinks outlying models far less.
    ability_df : float
        Degrees of freedom of the Student-t abilities.
    num_warmup, num_samples, num_chains, chain_method, target_accept_prob, max_tree_depth :
        NUTS settings (NumPyro's names; :class:`irt.NUTSOptions`). Chains run in parallel when JAX
        sees a device per chain (``XLA_FLAGS=--xla_force_host_platform_device_count=2`` before JAX
        starts), else vectorized. ``num_samples`` is also the number of draws taken from the SVI guide;
        None takes ``GAP_NUTS.num_samples`` (1,200 per chain) for NUTS and ``GAP_SVI.num_draws`` (4,000) for SVI.
        ``num_warmup``, ``num_chains``, ``num_samples`` and ``target_accept_prob`` left at None take
        ``GAP_NUTS``'s (400 warm-up, 2 chains of 1,200, target 0.9), or for cohorts of fewer than 10 models
        (``GAP_SMALL_COHORT``) ``GAP_NUTS_SMALL``'s (400 warm-up, 4 chains of 600, target 0.99; each model's
        abilities sampled centred or non-centred as its information calls for, :mod:`gapeval.gap.centring`),
        whose weakly identified scales gave divergences.
    warm_start_steps, mass_inflation :
        NUTS only: SVI steps of the warm start (each chain starts from a draw of the fitted normal,
        whose variances times ``mass_inflation`` are NUTS's initial mass matrix); 0 starts uniform on
        (-0.5, 0.5) with a unit mass matrix (then give ``num_warmup`` >= 500).
    stop_when_converged : bool
        NUTS only: ``num_samples`` is the most draws per chain; from 400 on (``GAP_NUTS.min_samples``) the
        fit's convergence checks are computed after every block of 200 draws and the chains stop as soon as
        all pass (``docs/inference.md``, "Stopping once converged"). The draws taken and why the chains
        stopped are ``attrs["result"].info["num_samples"]`` and ``["stopped"]``. False: always ``num_samples``.
    num_steps, learning_rate :
        SVI settings (Adam, the learning rate decays geometrically to a tenth over the steps); the
        learning rate is also that of the NUTS warm start. Every default comes from
        :mod:`gapeval.sampling` (``GAP_NUTS``, ``GAP_SVI``); ``docs/inference.md`` explains them.
    calibration : gapeval.calibration.Calibration, optional
        Score each model on its own against a calibrated bank instead of fitting the cohort
        (fixed-item scoring, seconds per model, ``docs/adaptive.md``): the item parameters, pairs,
        chance levels, judges' error rates, scale and ability population are the calibration's
        (propagated over its posterior draws); only the column names, ``level`` and ``threshold``
        are read from here, and the table's ``attrs["method"]`` is ``"calibrated"``.

    Returns
    -------
    pandas.DataFrame
        One row per model (sorted by id): the model column, then :data:`GAP_COLUMNS`. ``attrs``
        records ``scale``, ``level``, ``method``, ``inference``, ``approximate``, ``seed``,
        ``interval``, ``diagnostics`` (max R-hat, min ESS, divergences) and ``result``, the
        :class:`~gapeval.gap.result.GapResult` (draws, ``cohort()``, ``compare_dimensions()``,
        ``idata``). A model that answered one direction only has that direction's theta and NaN
        for the other theta and the gap.

    Raises
    ------
    GapevalError
        Bad options; ``scale="paired"`` without pairs; ``inference="map"``; and the input problems
        of :func:`~gapeval.responses.standardize_responses` (empty table, unknown direction,
        scores out of range, duplicate (model, item) rows, missing columns).

    Warns
    -----
    OneDirectionWarning
        A model answered one direction only.
    CeilingWarning
        A model answered every item of a direction right (or wrong): that ability rests on the prior.
    GuessingWarning
        ``guessing="none"`` while items have a chance level: names those multiple-choice items.
    irt.ConvergenceWarning
        NUTS diagnostics of the reported quantities fail (an R-hat over its limit, 1.01-1.02 by the fit's
        size, see :func:`irt.diagnostics.rhat_limit`; ESS < 400; divergences).

    Examples
    --------
    >>> from gapeval.gap.simulate import simulate_gap_responses
    >>> df, truth = simulate_gap_responses(4, 30, seed=0)
    >>> table = gap_score(df, inference="svi", num_steps=300)
    >>> list(table.columns[:4]), table.attrs["scale"], table.attrs["approximate"]
    (['model', 'gap', 'gap_lower', 'gap_upper'], 'paired', True)
    """
    if calibration is not None:
        if not callable(getattr(calibration, "score", None)):
            raise GapevalError(f"calibration= takes a gapeval.calibration.Calibration (load_calibration(path)), got "
                               f"{type(calibration).__name__}")
        return calibration.score(responses, model=model, item=item, direction=direction, score=score, judge=judge,
                                 level=level, threshold=threshold)
    check_options(scale=scale, level=level, method=method, inference=inference, points=points, seed=seed,
                  guessing=guessing, abilities=abilities, ability_df=ability_df)
    offset = offset_prior(difficulty_offset, scale)
    options = gap_options(inference, num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains,
                          chain_method=chain_method, target_accept_prob=target_accept_prob, num_steps=num_steps,
                          learning_rate=learning_rate, warm_start_steps=warm_start_steps,
                          max_tree_depth=max_tree_depth, mass_inflation=mass_inflation,
                          stop_when_converged=stop_when_converged)
    if method == "gapeval-2026":
        return _legacy(responses, model=model, item=item, direction=direction, score=score, pair=pair, by=by,
                       threshold=threshold)
    data = prepare_gap_data(responses, model=model, item=item, direction=direction, score=score, pair=pair,
                            chance=chance, judge=judge, scale=scale, points=points, threshold=threshold,
                            guessing=guessing, judges=judges, judge_prior=judge_prior)
    one_sided = [(m, DIRECTIONS[int(c[0] != 0)]) for m, c in zip(data.model_ids, data.counts) if (c == 0).any()]
    if one_sided:
        shown = ", ".join(f"{m!r} (no {d} answers)" for m, d in one_sided[:5])
        warnings.warn(f"{len(one_sided)} model(s) answered one direction only: {shown}; their gap is NaN and only "
                      "the answered direction's theta is reported", OneDirectionWarning, stacklevel=2)
    if isinstance(options, NUTSOptions) and data.num_models < GAP_SMALL_COHORT:   # the settings not given
        given = {"num_warmup": num_warmup, "num_chains": num_chains, "num_samples": num_samples,
                 "target_accept_prob": target_accept_prob}
        fields = {name: getattr(GAP_NUTS_SMALL, name) for name, value in given.items() if value is None}
        if options.min_samples is not None:   # stopping once converged, by the small cohorts' own blocks
            fields.update(min_samples=GAP_NUTS_SMALL.min_samples, block_size=GAP_NUTS_SMALL.block_size)
        options = dataclasses.replace(options, **fields)
    boundary = boundary_models(data)
    if boundary:
        warnings.warn(ceiling_message(boundary, abilities=abilities), CeilingWarning, stacklevel=2)
    from gapeval.gap.fit import fit_gap_model   # the model and the samplers (JAX): imported when a fit runs

    result = fit_gap_model(data, scale=scale, level=level, seed=seed, options=options, difficulty_offset=offset,
                           ability_df=ability_df if abilities == "student_t" else None)
    problems = result.diagnostics.problems()
    if problems:
        warnings.warn(result.diagnostics.advice(problems), ConvergenceWarning, stacklevel=2)
    return _table(result, model)
