"""``irt_decay``: decay over the turns of a dialogue with item difficulty held fixed (explanatory IRT).

See :mod:`gapeval.decay.irt_decay_model` for the model and ``docs/decay_explanatory.md`` for how to
read it next to the raw per-turn means and the mixed-effects :func:`gapeval.decay.decay`.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gapeval.decay.irt_decay_fit import fit_irt_decay
from gapeval.decay.irt_decay_model import IRTDecayData, turn_spread
from gapeval.decay.irt_decay_prepare import prepare_irt_decay
from gapeval.errors import GapevalError
from gapeval.responses import (
    DIRECTIONS,
    GENERATION,
    GENERATION_SLOT,
    UNDERSTANDING,
    UNDERSTANDING_SLOT,
    direction_contrast,
)
from gapeval.sampling import IRT_DECAY_INFERENCE, IRT_DECAY_NUTS, IRT_DECAY_SVI, check_inference
from irt.diagnostics import ConvergenceWarning, Diagnostics
from irt.inference.options import NUTSOptions, SVIOptions
from irt.results import SUMMARY_COLUMNS, summarise_draws

__all__ = ["irt_decay", "IRTDecayResult", "IdentificationWarning", "IRT_DECAY_COLUMNS"]

#: Columns of :attr:`IRTDecayResult.decay` and :attr:`IRTDecayResult.theta` after ``model, direction``.
IRT_DECAY_COLUMNS: tuple[str, ...] = SUMMARY_COLUMNS


class IdentificationWarning(UserWarning):
    """No item is answered at more than one turn: the cohort's mean decay rests on its prior."""


@dataclass(frozen=True, eq=False)
class IRTDecayResult:
    """A fitted explanatory IRT decay model.

    Attributes
    ----------
    decay : pandas.DataFrame
        One row per model × direction (models sorted, understanding first): ``model``, ``direction``,
        ``estimate`` (posterior mean of λ, logits per turn for an item of average slope), ``sd``,
        ``lower``, ``upper`` (equal-tailed interval at ``level``), ``p_negative`` (P(λ < 0)).
    theta : pandas.DataFrame
        Abilities at turn 1 (and standalone): ``model``, ``direction``, ``estimate``, ``sd``,
        ``lower``, ``upper``.
    population : pandas.DataFrame
        The cohort's mean decay ν per direction and the difference ``understanding - generation``
        (positive: generation decays faster): ``quantity``, ``estimate``, ``sd``, ``lower``, ``upper``,
        ``p_negative``.
    diagnostics : irt.diagnostics.Diagnostics
        R-hat, ESS and divergences of λ, θ and the hyper-parameters (NUTS); empty table for the
        approximate fits.
    inference : str
        ``nuts`` (exact posterior) or ``svi`` (mean-field normal, approximate).
    level : float
    seed : int
    formula : str
        The model, written out.
    samples : dict
        Draws (chain, draw, ...) of every site (``lambda`` and ``theta`` are (…, models, 2)).
    counts : dict
        ``answers``, ``standalone``, ``items``, ``models``, ``sessions`` (dialogue runs), ``dialogues``
        (shared dialogues with their own intercept; 0 in the nested structure) and
        ``items_at_several_turns``.
    options : NUTSOptions or SVIOptions
        Settings of the fit.
    info : dict
        Facts about the run (``seconds``, ``approximate``, ``chain_method``, ``start``, ``final_loss``,
        ``sample_stats``; see :class:`irt.inference.runners.SamplerRun`).
    structure : str
        ``crossed`` (a dialogue intercept shared by every model beside each model's run intercept) or
        ``nested`` (run intercepts only), as :func:`gapeval.decay.decay` names them.
    structure_reason : str
        Why that structure was fitted (the design facts, or that it was requested).
    """

    decay: pd.DataFrame
    theta: pd.DataFrame
    population: pd.DataFrame
    diagnostics: Diagnostics
    inference: str
    level: float
    seed: int
    formula: str
    samples: dict = field(repr=False)
    counts: dict = field(default_factory=dict)
    options: NUTSOptions | SVIOptions | None = None
    info: dict = field(default_factory=dict, repr=False)
    structure: str = "nested"
    structure_reason: str = ""

    def __deepcopy__(self, memo):  # immutable record
        return self

    @property
    def approximate(self) -> bool:
        """True for ``svi``, whose intervals are approximate (typically too narrow)."""
        return self.inference != "nuts"


FORMULA = ("logit P(score = 1) = a_i * (theta[model, d] + lambda[model, d] * (turn - 1) + e[model, session]"
           " + c[session] - b_i - kappa[d] * mean_turn_i)")


def _per_model(draws: np.ndarray, model_ids: tuple, level: float, *, p_negative: bool) -> pd.DataFrame:
    summary = summarise_draws(draws, level)
    frame = pd.DataFrame({
        "model": np.repeat(np.asarray(model_ids, dtype=object), 2), "direction": list(DIRECTIONS) * len(model_ids),
        **{col: summary[col].ravel() for col in IRT_DECAY_COLUMNS},
    })
    if p_negative:
        frame["p_negative"] = (draws < 0).mean(axis=(0, 1)).ravel()
    return frame


def _population(nu: np.ndarray, level: float) -> pd.DataFrame:
    rows = []
    under, gen = nu[..., UNDERSTANDING_SLOT], nu[..., GENERATION_SLOT]
    for name, draws in ((UNDERSTANDING, under), (GENERATION, gen),
                        (f"{UNDERSTANDING} - {GENERATION}", direction_contrast(under, gen))):
        s = summarise_draws(draws, level)
        rows.append({"quantity": name, **{c: float(s[c]) for c in IRT_DECAY_COLUMNS},
                     "p_negative": float((draws < 0).mean())})
    return pd.DataFrame(rows)


def _options(inference: str, *, num_warmup, num_samples, num_chains, chain_method, target_accept_prob, num_steps,
             learning_rate) -> NUTSOptions | SVIOptions:
    """Both records from the keywords (every setting checked), the one ``inference`` runs returned."""
    try:
        nuts = dataclasses.replace(IRT_DECAY_NUTS, num_warmup=num_warmup, num_samples=num_samples,
                                   num_chains=num_chains, chain_method=chain_method,
                                   target_accept_prob=target_accept_prob)
        svi = dataclasses.replace(IRT_DECAY_SVI, num_steps=num_steps, learning_rate=learning_rate,
                                  num_draws=num_samples)
    except ValueError as error:
        raise GapevalError(str(error)) from None
    return nuts if inference == "nuts" else svi


def irt_decay(
    responses: pd.DataFrame,
    *,
    model: Hashable = "model",
    item: Hashable = "item",
    direction: Hashable = "direction",
    score: Hashable = "score",
    turn: Hashable = "turn",
    session: Hashable | None = "session",
    structure: str = "auto",
    pair: Hashable | None = None,
    inference: str = IRT_DECAY_INFERENCE,
    level: float = 0.95,
    seed: int = 0,
    points: int = 1,
    threshold: float | None = None,
    num_warmup: int = IRT_DECAY_NUTS.num_warmup,
    num_samples: int = IRT_DECAY_NUTS.num_samples,
    num_chains: int = IRT_DECAY_NUTS.num_chains,
    chain_method: str | None = IRT_DECAY_NUTS.chain_method,
    target_accept_prob: float = IRT_DECAY_NUTS.target_accept_prob,
    num_steps: int = IRT_DECAY_SVI.num_steps,
    learning_rate: float = IRT_DECAY_SVI.learning_rate,
) -> IRTDecayResult:
    r"""Per-model, per-direction decay over turns with item difficulty held fixed.

    Fits ``logit P = a_i (θ_{m,d} + λ_{m,d}·(t − 1) + e_{m,s} − b_i)`` (``docs/methods.md`` §3; the Gap
    Score's 2-D 2PL with a turn slope, :mod:`gapeval.decay.irt_decay_model`) to every answer jointly.
    Raw per-turn means mix decay with the difficulty of the items that happen to sit at later turns;
    λ does not, provided some items are answered at more than one turn — typically the same items
    asked standalone (rows with an empty ``turn``, which enter with t = 1 and anchor θ and b).

    Parameters
    ----------
    responses : pandas.DataFrame
        The long responses table (``docs/design.md`` §4). Not modified. A model may answer an item
        several times (standalone and in dialogues).
    model, item, direction, score, turn : hashable
        Column names. ``turn`` is 1-based; empty (NaN) for answers outside a dialogue.
    session : hashable or None
        Dialogue id column: each model's run of a dialogue gets a random intercept. ``None``
        drops it.
    structure : {"auto", "nested", "crossed"}
        The random-effect structure of the dialogues, as in :func:`gapeval.decay.decay`. ``crossed``:
        each dialogue also gets an intercept ``c_s`` shared by every model that ran it (the same
        dialogues given to several models, as in an interleaved benchmark: a hard dialogue is hard for
        every model). ``nested``: run intercepts only. ``auto`` (default): crossed when some session
        id occurs under two or more models. Items are crossed with the models in either structure
        (their ``a_i``, ``b_i`` are shared). The result says which was fitted and why.
    pair : hashable or None
        Optional pair column linking an item's understanding and generation forms (their
        difficulties are then correlated, as in the Gap Score).
    inference : {"nuts", "svi"}
        ``nuts``: exact posterior. ``svi``: mean-field normal guide — fast, intervals approximate
        and too narrow (about 1.7 times on simulated dialogues, see ``docs/decay_explanatory.md``).
        ``"map"`` is refused (see Raises).
    level : float
        Level of the equal-tailed intervals.
    seed : int
        Seed of the sampler / starting values / Laplace draws.
    points : int
        Evaluation points K behind each score: scores are k/K and enter as a binomial on K points
        (the Gap Score's treatment of partial credit). 1 (default) needs 0/1 scores.
    threshold : float, optional
        Count a fractional score >= threshold as 1 instead (only when asked; excludes ``points``).
    num_warmup, num_samples, num_chains, chain_method, target_accept_prob :
        NUTS settings (NumPyro's names; :class:`irt.NUTSOptions`; chains start uniformly near the
        prior's centre). ``num_samples`` is also the number of draws taken from the SVI guide.
    num_steps, learning_rate :
        SVI settings (Adam, the step size decaying geometrically to a tenth). Every default comes from
        :mod:`gapeval.sampling` (``IRT_DECAY_NUTS``, ``IRT_DECAY_SVI``); see ``docs/inference.md``.

    Returns
    -------
    IRTDecayResult
        ``decay`` (λ per model and direction with ``p_negative`` = P(λ < 0)), ``theta``,
        ``population`` (the cohort's mean decay per direction and their difference), ``diagnostics``.

    Raises
    ------
    GapevalError
        Bad options (``inference="map"`` among them: the joint posterior mode over abilities and
        item parameters is degenerate — on 6 models x 120 items it put sigma_log_a at 3.2 and
        slopes near 1e6 — so there is no mode to report), and input problems (missing columns,
        unknown directions, scores out of range or not k/``points``, turns below 1, dialogue
        answers without a session, an item with two directions, fewer than two models, no answer
        after turn 1), an unknown ``structure``, or ``structure="crossed"`` when no dialogue is
        shared by two models.

    Warns
    -----
    IdentificationWarning
        When no item is answered at more than one turn (λ's cohort mean then rests on its prior).
    ConvergenceWarning
        NUTS diagnostics fail (R-hat > 1.01, ESS < 400, divergences).

    Examples
    --------
    >>> from gapeval.decay import irt_decay, simulate_confounded
    >>> df, truth = simulate_confounded(num_models=3, num_sessions=3, num_turns=3, seed=0)
    >>> result = irt_decay(df, inference="svi", num_steps=300, num_samples=200)
    >>> list(result.decay.columns)
    ['model', 'direction', 'estimate', 'sd', 'lower', 'upper', 'p_negative']
    >>> len(result.decay), result.approximate
    (6, True)
    """
    check_inference(inference)
    if not 0 < level < 1:
        raise GapevalError(f"level={level!r} must lie strictly between 0 and 1, e.g. 0.95")
    if int(points) != points or points < 1:
        raise GapevalError(f"points={points!r} must be a positive integer")
    if threshold is not None and points != 1:
        raise GapevalError(f"threshold={threshold!r} and points={points!r} exclude each other: threshold turns "
                           "scores into 0/1, points reads them as k/points; pass one of them")
    options = _options(inference, num_warmup=num_warmup, num_samples=num_samples, num_chains=num_chains,
                       chain_method=chain_method, target_accept_prob=target_accept_prob, num_steps=num_steps,
                       learning_rate=learning_rate)
    data = prepare_irt_decay(responses, model=model, item=item, direction=direction, score=score, turn=turn,
                             session=session, pair=pair, points=int(points), threshold=threshold,
                             structure=structure)
    spread = turn_spread(data.item_idx, data.x)
    if spread == 0:
        warnings.warn("no item is answered at more than one turn (standalone counts as turn 1), so item difficulty "
                      "and the cohort's mean decay cannot be told apart: the mean decay nu rests on its N(0, 1) "
                      "prior and only the models' differences in decay come from the data; add standalone answers "
                      "to the dialogue items", IdentificationWarning, stacklevel=2)
    run, diagnostics = fit_irt_decay(data, seed=seed, options=options)
    problems = diagnostics.problems()
    if problems:
        warnings.warn(diagnostics.advice(problems), ConvergenceWarning, stacklevel=2)
    info = {**run.info, "sample_stats": run.sample_stats}
    return _result(data, run.samples, diagnostics, info, inference=inference, level=level, seed=seed,
                   options=options, spread=spread)


def _result(data: IRTDecayData, samples: dict, diagnostics: Diagnostics, info: dict, *, inference: str, level: float,
            seed: int, options: NUTSOptions | SVIOptions, spread: int) -> IRTDecayResult:
    theta = np.broadcast_to(samples["theta"], samples["lambda"].shape)
    counts = {"answers": len(data.y), "standalone": int(data.standalone.sum()), "items": len(data.item_ids),
              "models": data.num_models, "sessions": data.num_sessions, "dialogues": data.num_dialogues,
              "items_at_several_turns": spread}
    formula = FORMULA if data.num_dialogues else FORMULA.replace(" + c[session]", "")
    if not data.num_sessions:
        formula = formula.replace(" + e[model, session]", "")
    if data.points > 1:
        formula = formula.replace("P(score = 1)", f"P(one of {data.points} points)")
    return IRTDecayResult(
        decay=_per_model(samples["lambda"], data.model_ids, level, p_negative=True),
        theta=_per_model(theta, data.model_ids, level, p_negative=False),
        population=_population(samples["nu"], level), diagnostics=diagnostics, inference=inference, level=level,
        seed=seed, formula=formula, samples=samples, counts=counts, options=options, info=info,
        structure=data.structure.name, structure_reason=data.structure.reason,
    )
