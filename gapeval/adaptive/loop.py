"""Adaptive testing in the runner: ask each model what a chooser picks, until it stops.

Per model, :func:`run_adaptive` repeats

1. replay the model's scored answers, in the order of the choice log, into
   ``chooser.choose(answered, batch=..., budget_left=...)``;
2. log the chosen units in the store (:mod:`gapeval.store.choices`: model, step, units, the number
   and sha256 of the answers they were chosen from, the budget left) in its own transaction;
3. ask them through the runner (:meth:`gapeval.runner.engine.ModelSession.ask`: batching, retries,
   errors logged, answers committed per batch) and score the answers at once with the rule scorers
   (:func:`gapeval.scoring.run_scoring.score_stored`, stored as ``rules-fixed``),

until the chooser returns ``()`` (its target width is reached, or nothing useful is left), nothing
new can be asked, or the model has made ``max_calls`` calls (counted from the store,
:func:`gapeval.adaptive.counts.model_calls`). Only a model's *scored* answers reach the chooser:
refusals, unsupported turns and answers that cannot be scored are left out (never a 0).

Units the chooser may pick again
    A chooser only promises not to pick what is in ``answered``, so a unit that was asked but has no
    scored answer (a refusal, an error, a unit skipped because it needs a judge) could come back. The
    runner asks for ``batch`` plus the number of such units and keeps the first ``batch`` units not
    asked yet, so such picks never stall the run and are never asked twice.
Units that are not asked
    The runner scores without a judge: a standalone item whose answer spec needs one (``points``,
    ``judged_mcq``), or a dialogue whose every turn does, is not asked, and neither is a unit of the
    bank outside the model's plan (``--include``, ``--limit``); the step's log names each with the
    reason (``skipped``). A dialogue with some judged turns is asked; those turns stay unscored. A
    pick that is not a unit of the bank at all is an error.
Budget
    ``budget_left`` is ``max_calls`` less the model's calls in the store, or, without ``max_calls``,
    the calls left to ask every unit not yet asked. A standalone item costs one call, a dialogue one
    per turn; chosen units that do not fit the budget left are dropped from the step.
Resume
    A resumed run reads the log, asks first the logged units that lack answers (the step in flight
    when the run was killed), then continues choosing from the replayed answers: the chooser being a
    pure function of them, it makes the choices the uninterrupted run would have made, and nothing
    stored is asked again. A logged step whose answers are all still in the store is checked: if the
    answers replayed for it differ from the logged digest (another scorer version, a changed store),
    the run stops with :class:`~gapeval.store.choices.ChoiceConflictError`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from gapeval.adaptive.chooser import ItemChooser
from gapeval.adaptive.counts import model_calls
from gapeval.bank import Bank
from gapeval.errors import GapevalError
from gapeval.runner.config import AdaptiveSettings, ConfigError, RunConfig
from gapeval.runner.engine import ModelSession, RunReport, run
from gapeval.progress import Progress
from gapeval.scoring.run_scoring import score_stored
from gapeval.store.choices import ChoiceConflictError, StoredChoice, answered_digest

__all__ = ["JUDGED_KINDS", "run_adaptive"]

#: Answer spec kinds that only a judge can score.
JUDGED_KINDS = frozenset({"points", "judged_mcq"})


def run_adaptive(
    config: RunConfig,
    out: str | os.PathLike[str],
    *,
    chooser: ItemChooser,
    adapters: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    bank: Bank | None = None,
) -> RunReport:
    """Run ``config`` adaptively into the store at ``out`` (resuming it): each model is asked what
    ``chooser`` picks (see the module notes).

    Parameters
    ----------
    config : RunConfig
        The run; ``config.adaptive`` (:class:`~gapeval.runner.config.AdaptiveSettings`) gives the
        batch, ``max_calls`` and what the manifest records of the chooser and its calibration.
    out : path
        The run folder.
    chooser : ItemChooser
        Picks the units (:class:`~gapeval.adaptive.chooser.ItemChooser`); one chooser serves every
        model (it sees one model's answers at a time).
    adapters, progress, bank
        As for :func:`gapeval.runner.engine.run`.

    Returns
    -------
    RunReport
        Each model's report says why it stopped (``stopped``).

    Raises
    ------
    ConfigError
        If ``config.adaptive`` is not set.
    GapevalError
        If the chooser names a unit that is not in the model's plan.
    ChoiceConflictError
        If a resumed run's stored answers differ from those its logged choices were made from.
    """
    if config.adaptive is None:
        raise ConfigError(
            "run_adaptive needs config.adaptive: RunConfig(..., adaptive=AdaptiveSettings(chooser=..., batch=4))"
        )
    settings = config.adaptive

    def drive(session: ModelSession) -> None:
        _ModelAdaptive(session, chooser, settings).run()

    return run(config, out, adapters=adapters, progress=progress, bank=bank, driver=drive)


class _ModelAdaptive:
    """One model's adaptive run (internal)."""

    def __init__(self, session: ModelSession, chooser: ItemChooser, settings: AdaptiveSettings) -> None:
        self.session, self.chooser, self.settings = session, chooser, settings
        self.model, self.protocol = session.spec.name, session.config.protocols[0].name
        plan = session.plan
        self.turns = {item.id: (0,) for item in plan.items}
        self.turns.update({d.id: tuple(range(1, len(d.turns) + 1)) for d in plan.dialogues})
        self.needs_judge = {item.id: f"its answer ({item.answer.kind}) needs a judge"
                            for item in plan.items if item.answer.kind in JUDGED_KINDS}  # fmt: skip
        self.needs_judge.update({
            d.id: "every turn's answer needs a judge" for d in plan.dialogues
            if all(turn.answer.kind in JUDGED_KINDS for turn in d.turns)
        })  # fmt: skip
        self.outside = {unit.id: "not in this run's plan (--include/--limit)"
                        for unit in (*session.bank.items, *session.bank.dialogues) if unit.id not in self.turns}  # fmt: skip
        self.asked: list[str] = []
        self.skipped: dict[str, str] = {}
        self.scores: dict[tuple[str, int], tuple[str, float | None]] = {}

    # -- answers, as the chooser sees them ----------------------------------------------------
    def answered(self) -> tuple[list[tuple[str, float]], list[int], set[str]]:
        """The scored answers in log order, the count before each logged step's units, and the asked
        units that are not completely stored (no answer yet for some turn)."""
        complete = {unit for unit in self.asked if all((unit, turn) in self.scores for turn in self.turns[unit])}
        reading = [unit for unit in dict.fromkeys(self.asked) if unit not in complete]  # stored, scored: not read again
        found = [a for a in self.session.store.answers(model=self.model, units=reading)
                 if a.key.step == "final" and a.key.protocol == self.protocol and a.key.sample == 0]  # fmt: skip
        stored = {(a.key.unit, a.key.turn or 0): a for a in found}
        fresh = [answer for key, answer in stored.items() if key not in self.scores]
        for answer, score in zip(fresh, score_stored(self.session.store, fresh, bank=self.session.bank,
                                                     history=self.session.config.history, context=found)):  # fmt: skip
            self.scores[(answer.key.unit, answer.key.turn or 0)] = (answer.request.item, score.value)
        answered: list[tuple[str, float]] = []
        bounds: list[int] = []
        incomplete: set[str] = set()
        for unit in self.asked:
            bounds.append(len(answered))
            for turn in self.turns[unit]:
                item, value = self.scores.get((unit, turn), (None, None))
                if (unit, turn) not in self.scores:  # a key is scored (or found unscorable) once stored
                    incomplete.add(unit)
                if item is not None and value is not None:
                    answered.append((item, value))
        return answered, bounds, incomplete

    def _scored(self, unit: str) -> int:
        """How many of ``unit``'s turns have a score (1 or 0 for a standalone item)."""
        return sum(self.scores.get((unit, turn), ("", None))[1] is not None for turn in self.turns[unit])

    def _open(self) -> int:
        """Units asked or skipped without a scored answer for every turn (a chooser may pick them again)."""
        return len(self.skipped) + sum(self._scored(unit) < len(self.turns[unit]) for unit in self.asked)

    # -- the loop -----------------------------------------------------------------------------
    def replay(self) -> int:
        """Read and check the choice log; ask the logged units without answers; return the next step."""
        log = self.session.store.choices(self.model)
        for number, choice in enumerate(log):
            unknown = [unit for unit in choice.units if unit not in self.turns]
            if choice.step != number or unknown:
                raise GapevalError(
                    f"the choice log of model {self.model!r} in {str(self.session.store.path)!r} does not fit "
                    f"this run (step {choice.step} at position {number}; units not in the plan: {unknown}); "
                    "resume with the run's own bank and settings, or write to a new run folder"
                )
        starts = []
        for choice in log:
            starts.append(len(self.asked))
            self.asked += choice.units
            self.skipped.update(choice.skipped)
        answered, bounds, incomplete = self.answered()
        for choice, start in zip(log, starts):
            before = bounds[start] if start < len(bounds) else len(answered)
            if before == choice.answered_n and answered_digest(answered[:before]) != choice.answered_sha256:
                raise ChoiceConflictError(
                    f"step {choice.step} of model {self.model!r} was chosen from {choice.answered_n} scored "
                    "answers that the store now scores differently (another scorer version?); resume with "
                    "the gapeval version that made the run, or write to a new run folder"
                )
        missing = tuple(unit for unit in self.asked if unit in incomplete)
        if missing:
            self.session.ask(missing)
        return len(log)

    def budget(self) -> int:
        """The calls the chooser may still spend: ``max_calls`` less the model's calls in the store (read
        once; this invocation's calls are counted as they are committed), or the calls left to ask
        every unit not yet asked."""
        if self.settings.max_calls is not None:
            return self.settings.max_calls - self.calls_before - self.session.report.calls
        seen = {*self.asked, *self.skipped}
        return sum(len(turns) for unit, turns in self.turns.items() if unit not in seen)

    def pick(self, picks: tuple[str, ...], budget: int) -> tuple[list[str], dict[str, str]]:
        """The step's units (at most ``batch``, new, within ``budget``) and the picks skipped, with why."""
        unknown = [unit for unit in picks if unit not in self.turns and unit not in self.outside]
        if unknown:
            raise GapevalError(
                f"the chooser picked {unknown}, which are not standalone items or dialogues of the run's bank; "
                "check that the chooser's calibration was made on this bank"
            )
        seen = {*self.asked, *self.skipped}
        chosen: list[str] = []
        skipped: dict[str, str] = {}
        spent = 0
        for unit in dict.fromkeys(picks):
            if len(chosen) == self.settings.batch:
                break
            if unit in seen:
                continue
            if unit in self.needs_judge or unit in self.outside:
                skipped[unit] = self.needs_judge.get(unit) or self.outside[unit]
            elif spent + len(self.turns[unit]) <= budget:
                chosen.append(unit)
                spent += len(self.turns[unit])
        return chosen, skipped

    def run(self) -> None:
        self.calls_before = model_calls(self.session.store, self.model).get(self.model, 0)
        step = self.replay()
        store, report = self.session.store, self.session.report
        while True:
            answered, _, _ = self.answered()
            budget = self.budget()
            if budget <= 0:
                report.stopped = f"budget spent ({self.settings.max_calls} calls)"
                return
            batch = self.settings.batch + self._open()
            picks = tuple(self.chooser.choose(tuple(answered), batch=batch, budget_left=budget))
            if not picks:
                report.stopped = "the chooser stopped (target reached or nothing useful left)"
                return
            chosen, skipped = self.pick(picks, budget)
            if not chosen and not skipped:
                report.stopped = "nothing new to ask (every pick was asked already or over the budget)"
                return
            store.put_choice(StoredChoice(
                model=self.model, step=step, units=tuple(chosen), answered_n=len(answered),
                answered_sha256=answered_digest(answered), budget_left=budget, skipped=skipped,
            ))  # fmt: skip
            self.asked += chosen
            self.skipped.update(skipped)
            step += 1
            if chosen:
                self.session.ask(tuple(chosen))
