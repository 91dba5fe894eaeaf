"""The runner: every model answers the plan, dialogues turn by turn, into a durable store.

For each model in turn: build its adapter from the registry (or take one given), load it, record
its fingerprint in the manifest, then answer every unit (standalone item or dialogue) x sample x
protocol in rounds: in each round every unfinished unit asks its next protocol step
(:func:`gapeval.protocols.steps.next_action`; under ``direct`` the step is the answer itself), so
the standalone items, turn ``t`` of many dialogues and the candidates of best-of-N are batched
together. A dialogue goes to its next turn when the turn's ``final`` step is stored; its history
holds the model's own final answers, rebuilt from the store on resume.

Every step is committed as its batch finishes. A step whose call ends in an error (after the
retries) is logged and stops that unit for this run; re-running the same command asks it again
and nothing stored is asked twice. Refusals and ``unsupported`` answers are stored answers: the
protocol and later turns go on without them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gapeval.adapters.registry import create_adapter
from gapeval.bank import Bank, Dialogue, Item, load_bank
from gapeval.model_spec import ModelSpec
from gapeval.protocols.spec import ProtocolSpec
from gapeval.protocols.steps import Ask, Choose, final_copy, next_action
from gapeval.records import ImagePart, Part, TextPart, TurnRequest, TurnResult
from gapeval.calls import Caller, CallPolicy
from gapeval.runner.config import ConfigError, RunConfig, check_resume
from gapeval.runner.plan import Plan, build_plan
from gapeval.progress import Progress, silent
from gapeval.runner.requests import RequestBuilder
from gapeval.store import Store, build_manifest
from gapeval.store.redact import secrets_in
from gapeval.store.respondents import differences, respondent_fingerprint

__all__ = ["ModelReport", "ModelSession", "RunReport", "preflight", "run"]


@dataclass
class ModelReport:
    """What one model did in this invocation."""

    name: str
    """Respondent name."""
    planned: int = 0
    """Final answers in the plan (one per item, turn, sample and protocol)."""
    skipped: int = 0
    """Final answers already stored (resumed)."""
    statuses: dict[str, int] = field(default_factory=dict)
    """Count of committed results (every protocol step) by status (``ok``, ``refused``,
    ``unsupported``, ``error``)."""
    seconds: float = 0.0
    """Wall time, loading included."""
    first_error: str | None = None
    """The message of the first call that ended in an error, if any."""
    calls: int = 0
    """Model calls made this time (protocol steps included; a ``final`` that repeats a chosen
    candidate is not a call)."""
    stopped: str | None = None
    """Why an adaptive run stopped asking this model (:mod:`gapeval.adaptive`); ``None`` otherwise."""

    @property
    def errors(self) -> int:
        """Calls that ended in an error this time (asked again on the next run)."""
        return self.statuses.get("error", 0)


@dataclass
class RunReport:
    """What a run invocation did, per model."""

    store: Path
    """The run folder."""
    models: list[ModelReport]
    """One report per model, in order."""

    @property
    def complete(self) -> bool:
        """Whether every planned call now has an answer (no errors left to retry)."""
        return all(report.errors == 0 for report in self.models)


@dataclass
class _Unit:
    """One item (or dialogue) x sample under one protocol, as it goes through its steps."""

    protocol: ProtocolSpec
    sample: int
    item: Item | None = None
    dialogue: Dialogue | None = None
    turn: int = 1
    outputs: dict[int, Part | None] = field(default_factory=dict)
    """Final output of each earlier dialogue turn (``None``: no ok output)."""
    base: TurnRequest | None = None
    """The direct request of the current item or turn."""
    done: dict[str, tuple[TurnRequest, TurnResult]] = field(default_factory=dict)
    """Steps stored for the current item or turn."""

    @property
    def unit_id(self) -> str:
        return self.item.id if self.item is not None else self.dialogue.id  # type: ignore[union-attr]

    @property
    def turn_key(self) -> int:
        return 0 if self.item is not None else self.turn


_Stored = dict[tuple[str, str, int, int], dict[str, tuple[TurnRequest, TurnResult]]]


class _ModelRun:
    """One model's pass over the plan (internal).

    Every (unit, sample, protocol) moves through its protocol's steps (:func:`next_action`); in each
    round all units' next requests are sent together (so turn ``t`` of many dialogues, and the ``n``
    candidates of best-of-N, share batches). The steps stored before this invocation are read once,
    so a resumed run asks only what is missing.
    """

    def __init__(
        self, spec: ModelSpec, caller: Caller, store: Store, builder: RequestBuilder,
        progress: Progress, report: ModelReport, *, max_text_bytes: int, max_image_bytes: int,
    ) -> None:
        self.spec, self.caller, self.store, self.builder = spec, caller, store, builder
        self.progress, self.report = progress, report
        self.final: dict[str, TurnResult] = {}
        self.limits = (max_text_bytes, max_image_bytes)

    def commit(self, pairs: list[tuple[TurnRequest, TurnResult]]) -> None:
        pairs = [(request, self.capped(request, result)) for request, result in pairs]
        self.store.put_many(pairs)
        finals = errors = 0
        for request, result in pairs:
            self.final[request.request_id] = result
            self.report.calls += request.copied_from is None
            self.report.statuses[result.status] = self.report.statuses.get(result.status, 0) + 1
            errors += result.status == "error"
            finals += request.step == "final" and result.status != "error"
            if result.status == "error" and self.report.first_error is None:
                self.report.first_error = self.store.redactor.text(result.error or "")
        self.progress.advance(ok=finals, errors=errors)

    def capped(self, request: TurnRequest, result: TurnResult) -> TurnResult:
        """``result``, or an error saying so when its output is over the run's size cap."""
        output = result.output
        if isinstance(output, TextPart):
            size, cap, what, flag = len(output.text.encode("utf-8")), self.limits[0], "text", "--max-text-bytes"
        elif isinstance(output, ImagePart):
            size = len(output.data) if output.data is not None else _file_size(output.path)
            cap, what, flag = self.limits[1], "an image", "--max-image-bytes"
        else:
            return result
        if size <= cap:
            return result
        message = (f"the answer is {what} of {size:,} bytes, over the cap of {cap:,} bytes; not stored "
                   f"(raise the cap with {flag}, then re-run to ask again)")  # fmt: skip
        return TurnResult.failure(request, message).model_copy(
            update={"usage": result.usage, "latency_s": result.latency_s, "raw": {"answer_bytes": size}}
        )

    def _stored(self, units: set[str] | None = None) -> _Stored:
        stored: _Stored = {}
        for answer in self.store.answers(model=self.spec.name, units=units):
            key = (answer.key.protocol, answer.key.unit, answer.key.turn or 0, answer.key.sample)
            stored.setdefault(key, {})[answer.key.step] = (answer.request, answer.result)
        return stored

    def _open(self, unit: _Unit, stored: _Stored) -> None:
        """Build the unit's base request for its current turn and read its stored steps."""
        if unit.item is not None:
            unit.base = self.builder.item_request(self.spec.name, unit.item, sample=unit.sample)
        else:
            assert unit.dialogue is not None
            unit.base = self.builder.turn_request(
                self.spec.name, unit.dialogue, unit.turn, sample=unit.sample, outputs=unit.outputs
            )
        key = (unit.protocol.name, unit.unit_id, unit.turn_key, unit.sample)
        unit.done = dict(stored.get(key, {}))
        if "final" in unit.done:
            self.report.skipped += 1

    def _next(self, unit: _Unit, stored: _Stored) -> Ask | Choose | None:
        """The unit's next action, moving to the next dialogue turn when a turn is final."""
        while True:
            assert unit.base is not None
            action = next_action(unit.protocol, unit.base, unit.done)
            if action is not None:
                return action
            if unit.dialogue is None or unit.turn >= len(unit.dialogue.turns):
                return None
            result = unit.done["final"][1]
            unit.outputs[unit.turn] = result.output if result.status == "ok" else None
            unit.turn += 1
            self._open(unit, stored)

    def run(self, plan: Plan, protocols: tuple[ProtocolSpec, ...], *, part: bool = False) -> None:
        """Answer ``plan``'s units (its items, then its dialogues) under each protocol; ``part``:
        ``plan`` is a few units of the model's plan (read only their stored steps)."""
        stored = self._stored({unit.id for unit in (*plan.items, *plan.dialogues)} if part else None)
        units = [
            _Unit(protocol=protocol, sample=sample, item=item)
            for protocol in protocols for item in plan.items for sample in range(plan.samples)
        ] + [
            _Unit(protocol=protocol, sample=sample, dialogue=dialogue)
            for protocol in protocols for dialogue in plan.dialogues for sample in range(plan.samples)
        ]
        for unit in units:
            self._open(unit, stored)
        active = units
        while active:
            asked: list[tuple[_Unit, TurnRequest]] = []
            copies: list[tuple[_Unit, tuple[TurnRequest, TurnResult]]] = []
            still: list[_Unit] = []
            for unit in active:
                action = self._next(unit, stored)
                if isinstance(action, Choose):
                    copies.append((unit, final_copy(unit.base, *unit.done[action.step])))
                elif isinstance(action, Ask):
                    asked += [(unit, request) for request in action.requests]
            if copies:
                self.commit([pair for _, pair in copies])
                for unit, (request, _) in copies:
                    self._remember(unit, request)
                    still.append(unit)
            self.caller.answer([request for _, request in asked], self.commit)
            failed: set[int] = set()
            for unit, request in asked:
                result = self.final.get(request.request_id)
                if result is None or result.status == "error":
                    failed.add(id(unit))  # logged; the unit resumes from this step next time
                else:
                    self._remember(unit, request)
            still += [unit for unit, _ in asked if id(unit) not in failed]
            active = list({id(unit): unit for unit in still}.values())

    def _remember(self, unit: _Unit, request: TurnRequest) -> None:
        """Record a committed step of ``unit`` as the store holds it (image outputs with paths)."""
        stored = self.store.get(request)
        assert stored is not None
        unit.done[request.step] = (stored.request, stored.result)


@dataclass(frozen=True)
class ModelSession:
    """One model, loaded and registered, as a driver of the run sees it (:func:`run`'s ``driver``).

    A driver (adaptive testing, :mod:`gapeval.adaptive`) decides which units of ``plan`` to ask and
    when to stop; :meth:`ask` answers them exactly as a full run would (batching, retries, errors
    logged, resume), committing every step to ``store``.
    """

    spec: ModelSpec
    """The model."""
    plan: Plan
    """The units this model may be asked."""
    store: Store
    """The run's store (open for writing)."""
    report: ModelReport
    """This model's report, filled as answers are committed."""
    bank: Bank
    """The run's bank."""
    config: RunConfig
    """The run."""
    _run: _ModelRun = field(repr=False)

    def ask(self, units: tuple[str, ...]) -> None:
        """Answer the plan's units ``units`` (item or dialogue ids; whole dialogues) under every
        protocol, skipping what the store holds. An id not in the plan raises ``KeyError``."""
        items = {item.id: item for item in self.plan.items}
        dialogues = {dialogue.id: dialogue for dialogue in self.plan.dialogues}
        unknown = [unit for unit in units if unit not in items and unit not in dialogues]
        if unknown:
            raise KeyError(f"units {unknown} are not in model {self.spec.name!r}'s plan")
        part = Plan(
            items=tuple(items[unit] for unit in units if unit in items),
            dialogues=tuple(dialogues[unit] for unit in units if unit in dialogues),
            samples=self.plan.samples, protocols=self.plan.protocols,
        )  # fmt: skip
        self._run.run(part, self.config.protocols, part=True)


Driver = Callable[[ModelSession], None]
"""Asks one model what it decides through :meth:`ModelSession.ask` (default: the whole plan)."""


def _file_size(path: str | None) -> int:
    try:
        return Path(path).stat().st_size if path else 0
    except OSError:
        return 0


def _policy(config: RunConfig, adapter: Any, progress: Progress) -> CallPolicy:
    batch = config.batch_size or adapter.capabilities().max_batch
    return CallPolicy(
        batch_size=batch,
        max_retries=config.max_retries,
        backoff_s=config.backoff_s,
        timeout_s=config.timeout_s,
        concurrency=config.concurrency,
        max_wait_s=config.max_wait_s,
        max_call_s=config.max_call_s,
        on_wait=progress.wait,
    )


def run_secrets(config: RunConfig) -> frozenset[str]:
    """The credential values the run's model specs give (:func:`gapeval.store.redact.secrets_in`)."""
    return frozenset().union(*(secrets_in(spec.options) for spec in config.models))


def preflight(config: RunConfig, store: Store | None, *, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything a run checks before it loads a model or calls one; ``run --dry-run`` checks the same.

    With the store of an existing run folder: the run's settings against the folder's
    (:func:`~gapeval.runner.config.check_resume`) and, unless ``config.allow_changed_config``, each
    model's adapter and options against the configuration it answered with
    (:class:`~gapeval.store.respondents.RespondentChangedError`). Then every model's adapter is
    built, not loaded, so an unknown adapter, an unknown or invalid option or a missing extra is
    named before anything runs. Returns model name -> adapter (``given`` ones as they are).
    """
    if store is not None:
        check_resume(config, store.manifests())
        if not config.allow_changed_config:
            for spec in config.models:
                store.check_respondent(spec.name, respondent_fingerprint(spec.adapter, spec.options))
    built = dict(given or {})
    for spec in config.models:
        if built.get(spec.name) is None:
            built[spec.name] = create_adapter(spec.adapter, spec.options)
    return built


def run(
    config: RunConfig,
    out: str | Path,
    *,
    adapters: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    bank: Bank | None = None,
    driver: Driver | None = None,
) -> RunReport:
    """Answer ``config``'s plan with every model into the store at ``out`` (resuming it).

    Parameters
    ----------
    config : RunConfig
        The run.
    out : path
        The run folder (created, or resumed when it holds a store).
    adapters : mapping, optional
        Model name -> an adapter object to use instead of building it from the registry (tests,
        notebooks). It is loaded and closed by the runner.
    progress : Progress, optional
        Progress display (default: silent).
    bank : Bank, optional
        The loaded bank, if the caller has it (else ``load_bank(config.bank)``).
    driver : callable, optional
        Decides what each model is asked, given its :class:`ModelSession` (adaptive testing:
        :func:`gapeval.adaptive.run_adaptive`); default: the whole plan.

    Returns
    -------
    RunReport

    Raises
    ------
    ConfigError
        If ``config.adaptive`` is set but no ``driver`` is given (use
        :func:`gapeval.adaptive.run_adaptive`).
    """
    if config.adaptive is not None and driver is None:
        raise ConfigError(
            "this run is adaptive (config.adaptive is set) but no chooser drives it; call "
            "gapeval.adaptive.run_adaptive(config, out, chooser=...) or gapeval run --adaptive"
        )
    progress = progress or silent()
    bank = bank or load_bank(config.bank)
    builder = RequestBuilder(bank, run_seed=config.seed, decoding=config.decoding, history=config.history)
    reports: list[ModelReport] = []
    fingerprints: dict[str, dict[str, Any]] = {}
    respondents: dict[str, dict[str, Any]] = {}
    changes: list[dict[str, Any]] = []
    with Store(out, secrets=run_secrets(config)) as store:
        built = preflight(config, store, given=adapters)  # before any model is loaded
        recorded = {**config.model_dump(mode="json"), "identity": config.identity()}
        for spec in config.models:
            started = time.perf_counter()
            plan = build_plan(bank, config, spec)
            report = ModelReport(name=spec.name, planned=plan.calls_per_model)
            adapter = built[spec.name]
            adapter.load()
            caller = Caller(adapter, _policy(config, adapter, progress))
            try:
                fingerprints[spec.name] = dict(adapter.fingerprint())
                respondents[spec.name] = respondent_fingerprint(spec.adapter, spec.options, fingerprints[spec.name])
                earlier = store.register_respondent(
                    spec.name, respondents[spec.name], allow_change=config.allow_changed_config
                )
                if earlier is not None:
                    changes.append({"model": spec.name, "before": earlier, "after": respondents[spec.name],
                                    "differences": differences(earlier, respondents[spec.name])})  # fmt: skip
                store.write_manifest(
                    build_manifest(
                        config=recorded, bank_hash=bank.hash, fingerprints=fingerprints,
                        run_seed=config.seed,
                        shard=None if config.shard is None else (config.shard.index, config.shard.count),
                        respondents=respondents, changed_config=changes,
                    )
                )
                budget = None if config.adaptive is None else config.adaptive.max_calls
                progress.start(spec.name, total=min(plan.calls_per_model, budget or plan.calls_per_model))
                model_run = _ModelRun(spec, caller, store, builder, progress, report,
                                      max_text_bytes=config.max_text_bytes, max_image_bytes=config.max_image_bytes)
                if driver is None:
                    model_run.run(plan, config.protocols)
                else:
                    driver(ModelSession(spec=spec, plan=plan, store=store, report=report, bank=bank,
                                        config=config, _run=model_run))  # fmt: skip
                progress.done += report.skipped
                progress.finish()
            finally:
                caller.close()
            report.seconds = time.perf_counter() - started
            reports.append(report)
    return RunReport(store=Path(out), models=reports)
