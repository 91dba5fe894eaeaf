"""``decay``: how scores change over the turns of a dialogue, by direction, with mixed effects."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from gapeval.decay.gaussian import fit_gaussian
from gapeval.decay.glmm import fit_binomial
from gapeval.decay.glmm_laplace import fit_binomial_laplace
from gapeval.decay.glmm_nuts import fit_binomial_nuts
from gapeval.decay.errors import DecayError
from gapeval.records.seeds import check_seed
from gapeval.decay.mixed import check_level
from gapeval.decay.prepare import prepare
from gapeval.estimates import DecayResult
from gapeval.sampling import BINOMIAL_METHOD, BINOMIAL_METHODS, GLMM_NUTS
from irt.inference.options import NUTSOptions

__all__ = ["decay"]


def decay(
    responses: pd.DataFrame,
    *,
    score: str = "score",
    turn: str = "turn",
    direction: str = "direction",
    model: str = "model",
    session: str | None = "session",
    item: str | None = "item",
    structure: str = "auto",
    covariates: Sequence[str] = (),
    family: str = "auto",
    random_slopes: str = "turn",
    binomial_method: str = BINOMIAL_METHOD,
    nuts_options: NUTSOptions = GLMM_NUTS,
    level: float = 0.95,
    seed: int = 0,
) -> DecayResult:
    """Estimate turn-wise decay: ``score ~ turn × direction`` with model, dialogue and item random effects.

    With ``x = turn − 1`` and ``U = 1`` for understanding responses (generation is the reference
    level, so every direction contrast reads understanding minus generation, the sign of the gap)
    the model is

        score = β0 + β_t·x + β_u·U + β_tu·x·U + γᵀcovariates + (1 + x | model) + random intercepts + ε,

    with the random intercepts of the design (``structure``): per dialogue run ``(1 | model:session)``
    when every model ran its own dialogues (nested), plus per dialogue ``(1 | session)`` and per item
    ``(1 | item)``, shared by every model, when the same dialogues and items were given to several
    models (crossed). Continuous scores are fitted by REML (lme4's criterion, lmerTest's Satterthwaite
    t tests), 0/1 scores as a logistic GLMM (glmer's Laplace approximation by default; NUTS or
    variational Bayes on request). ``β0`` and ``β_t`` are generation's intercept and turn slope;
    ``β_tu`` — the direction × turn effect ``turn:direction[understanding]`` — is the understanding
    turn slope minus the generation one: positive when generation decays faster.

    Parameters
    ----------
    responses : DataFrame
        The long responses table (one row per scored answer); not modified.
    score, turn, direction, model, session, item : str
        Column names. ``turn`` is 1-based; ``direction`` holds ``understanding`` / ``generation``.
        ``session`` identifies the dialogue and ``item`` the question; ``None`` leaves either out.
    structure : {"auto", "nested", "crossed"}
        The random-effect structure (``docs/decay.md``). ``auto`` (default): ``crossed`` when some
        session or item id occurs under two or more models — the same dialogues and items given to
        every model, as in an interleaved benchmark — else ``nested``. ``nested``: one intercept per
        model's run of a dialogue, nothing shared between models. ``crossed``: also an intercept per
        dialogue and per item (those whose ids are shared), common to every model. The result says
        which was fitted and why (``structure``, ``structure_reason``).
    covariates : sequence of str
        Extra fixed effects: numeric or boolean columns enter as they are (e.g. log context size,
        "depends on own earlier image"); text columns are dummy-coded against their first level in
        sorted order (e.g. history mode ``gold`` vs ``self``).
    family : {"auto", "gaussian", "binomial"}
        ``auto`` picks ``binomial`` when every score is 0 or 1.
    random_slopes : {"turn", "turn_by_direction"}
        ``turn``: one random turn slope per model, shared by both directions (the model of
        docs/methods.md §3). ``turn_by_direction``: a separate random turn slope per direction, so models
        may differ in how much faster their generation decays.
    binomial_method : {"laplace", "nuts", "vb"}
        How 0/1 scores are fitted. ``laplace`` (the default, :data:`gapeval.sampling.BINOMIAL_METHOD`):
        maximum likelihood by glmer's Laplace approximation, Wald z tests (and t on containment df for the
        intercept and turn slope, which the model term contains, :mod:`gapeval.decay.containment`) — intervals that cover
        (``benchmarks/decay/RESULTS.md``); seconds (a crossed fit of 2,880 answers: 6 s cold, 3 s warm
        on two idle cores). ``nuts``: a Bayesian GLMM sampled by NUTS (the same random effects; a
        minute or more). ``vb``: statsmodels' ``BinomialBayesMixedGLM`` by
        variational Bayes (independent model effects; its intervals are far too narrow, and the result
        says so in ``notes``).
    nuts_options : irt.NUTSOptions
        Sampler settings of ``binomial_method="nuts"`` (default :data:`gapeval.sampling.GLMM_NUTS`;
        see ``docs/inference.md``).
    level : float
        Level of every interval.
    seed : int
        Seed of the Bayesian binomial fits (VB starting values, NUTS random key); the REML and Laplace
        fits are deterministic.

    Returns
    -------
    DecayResult
        Fixed effects with named tests (Satterthwaite t and Wald z for REML fits; containment t and
        Wald z for the Laplace fit; posterior probability for the Bayesian binomial fits), variance components, per-model per-direction slopes
        (fixed + BLUP) with intervals, the direction × turn effect in ``interaction``, the structure
        fitted and why, and ``notes`` (caveats such as VB's narrow intervals).

    Raises
    ------
    DecayError
        For a missing column, non-numeric or missing scores or turns, a single turn value, a single
        direction or model, unknown direction labels, non-0/1 scores with ``family="binomial"``,
        sessions that hold one row each, or ``structure="crossed"`` when nothing is shared.

    Warns
    -----
    irt.ConvergenceWarning
        When the optimiser did not converge, the fit is singular (lme4's ``isSingular``: a variance
        estimated as zero or a correlation of ±1, naming the term), or the NUTS diagnostics fail
        (R-hat > 1.01, ESS < 400, divergences).

    See Also
    --------
    mixed_model : the underlying REML fit for any formula.
    gapeval.tables.coef_table, gapeval.tables.slope_table : tables for papers.

    Examples
    --------
    >>> from gapeval.decay import decay, simulate_decay
    >>> responses, truth = simulate_decay(num_models=4, num_sessions=8, num_turns=5, seed=3)
    >>> result = decay(responses)
    >>> result.interaction.term, result.interaction.test().name
    ('turn:direction[understanding]', 't (Satterthwaite df)')
    >>> len(result.slopes), result.structure
    (8, 'nested')
    """
    check_level(level)
    check_seed(seed, error=DecayError)
    if binomial_method not in BINOMIAL_METHODS:
        raise DecayError(f"binomial_method={binomial_method!r} is not one of {list(BINOMIAL_METHODS)}")
    if not isinstance(nuts_options, NUTSOptions):
        raise DecayError(f"nuts_options must be an irt.NUTSOptions record, got {type(nuts_options).__name__}; build "
                         "one with irt.NUTSOptions(num_warmup=..., ...)")
    data = prepare(
        responses, score=score, turn=turn, direction=direction, model=model, session=session, item=item,
        structure=structure, covariates=tuple(covariates), family=family, random_slopes=random_slopes,
    )
    if data.family == "gaussian":
        return fit_gaussian(data, random_slopes=random_slopes, level=level)
    if binomial_method == "laplace":
        return fit_binomial_laplace(data, random_slopes=random_slopes, level=level)
    if binomial_method == "nuts":
        return fit_binomial_nuts(data, random_slopes=random_slopes, level=level, seed=seed, options=nuts_options)
    return fit_binomial(data, random_slopes=random_slopes, level=level, seed=seed)
