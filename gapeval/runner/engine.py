"""The runner: every model answers the plan, dialogues turn by turn, into a durable store.

For each model in turn: build its adapter from the registry (or take one given), load it, record
its fingerprint in the manifest, then

1. answer the standalone items whose keys the store lacks, batch after batch;
2. run the dialogues in rounds: in each round every unfinished dialogue (and sample) asks its next
   turn, so turn ``t`` of many dialogues is batched together; a dialogue's history is rebuilt
   from the store, so a resumed run continues each dialogue with the model's own earlier outputs.

Answers are committed as each batch finishes. A turn whose call ends in an error (after the
retries) is logged and ends that dialogue for this run; re-running the same command asks it
again. Refusals and ``unsupported`` answers are stored answers: later turns go on without them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gapeval.adapters.registry import create_adapter
from gapeval.bank import Bank, Dialogue, load_bank
from gapeval.records import Part, TurnRequest, TurnResult
from gapeval.runner.calls import Caller, CallPolicy
from gapeval.runner.config import RunConfig, check_resume
from gapeval.runner.plan import Plan, build_plan
from gapeval.runner.progress import Progress, silent
from gapeval.runner.requests import RequestBuilder
from gapeval.runner.spec import ModelSpec
from gapeval.store import AnswerKey, Store, build_manifest

__all__ = ["ModelReport", "RunReport", "run"]


@dataclass
class ModelReport:
    """What one model did in this invocation."""

    name: str
    """Respondent name."""
    planned: int = 0
    """Calls in the plan."""
    skipped: int = 0
    """Calls whose answer was already stored (resumed)."""
    statuses: dict[str, int] = field(default_factory=dict)
    """Count of committed results by status (``ok``, ``refused``, ``unsupported``, ``error``)."""
    seconds: float = 0.0
    """Wall time, loading included."""
    first_error: str | None = None
    """The message of the first call that ended in an error, if any."""

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
class _Dialog:
    dialogue: Dialogue
    sample: int
    next_turn: int
    outputs: dict[int, Part | None]


class _ModelRun:
    """One model's pass over the plan (internal)."""

    def __init__(
        self, spec: ModelSpec, caller: Caller, store: Store, builder: RequestBuilder,
        progress: Progress, report: ModelReport,
    ) -> None:
        self.spec, self.caller, self.store, self.builder = spec, caller, store, builder
        self.progress, self.report = progress, report
        self.final: dict[str, TurnResult] = {}

    def commit(self, pairs: list[tuple[TurnRequest, TurnResult]]) -> None:
        self.store.put_many(pairs)
        errors = 0
        for request, result in pairs:
            self.final[request.request_id] = result
            self.report.statuses[result.status] = self.report.statuses.get(result.status, 0) + 1
            errors += result.status == "error"
            if result.status == "error" and self.report.first_error is None:
                self.report.first_error = result.error
        self.progress.advance(ok=len(pairs) - errors, errors=errors)

    def items(self, plan: Plan, stored: set[AnswerKey]) -> None:
        requests = []
        for item in plan.items:
            for sample in range(plan.samples):
                if AnswerKey(model=self.spec.name, unit=item.id, sample=sample) in stored:
                    self.report.skipped += 1
                    continue
                requests.append(self.builder.item_request(self.spec.name, item, sample=sample))
        self.caller.answer(requests, self.commit)

    def _resume(self, dialogue: Dialogue, sample: int) -> _Dialog:
        state = _Dialog(dialogue=dialogue, sample=sample, next_turn=1, outputs={})
        for turn in range(1, len(dialogue.turns) + 1):
            stored = self.store.get(AnswerKey(model=self.spec.name, unit=dialogue.id, turn=turn, sample=sample))
            if stored is None:
                break
            self.report.skipped += 1
            state.outputs[turn] = stored.result.output if stored.result.status == "ok" else None
            state.next_turn = turn + 1
        return state

    def dialogues(self, plan: Plan) -> None:
        states = [self._resume(d, s) for d in plan.dialogues for s in range(plan.samples)]
        active = [state for state in states if state.next_turn <= len(state.dialogue.turns)]
        while active:
            requests = {
                id(state): self.builder.turn_request(
                    self.spec.name, state.dialogue, state.next_turn,
                    sample=state.sample, outputs=state.outputs,
                )
                for state in active
            }
            self.caller.answer(list(requests.values()), self.commit)
            still: list[_Dialog] = []
            for state in active:
                request = requests[id(state)]
                result = self.final.get(request.request_id)
                if result is None or result.status == "error":
                    continue  # logged; the dialogue resumes from this turn next time
                stored = self.store.get(request) if result.status == "ok" else None
                state.outputs[state.next_turn] = None if stored is None else stored.result.output
                state.next_turn += 1
                if state.next_turn <= len(state.dialogue.turns):
                    still.append(state)
            active = still


def _policy(config: RunConfig, adapter: Any) -> CallPolicy:
    batch = config.batch_size or adapter.capabilities().max_batch
    return CallPolicy(
        batch_size=batch,
        max_retries=config.max_retries,
        backoff_s=config.backoff_s,
        timeout_s=config.timeout_s,
        concurrency=config.concurrency,
    )


def run(
    config: RunConfig,
    out: str | Path,
    *,
    adapters: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    bank: Bank | None = None,
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

    Returns
    -------
    RunReport
    """
    progress = progress or silent()
    bank = bank or load_bank(config.bank)
    builder = RequestBuilder(bank, run_seed=config.seed, decoding=config.decoding, history=config.history)
    reports: list[ModelReport] = []
    fingerprints: dict[str, dict[str, Any]] = {}
    with Store(out) as store:
        check_resume(config, store.manifests())
        recorded = {**config.model_dump(mode="json"), "identity": config.identity()}
        for spec in config.models:
            started = time.perf_counter()
            plan = build_plan(bank, config, spec)
            report = ModelReport(name=spec.name, planned=plan.calls_per_model)
            given = (adapters or {}).get(spec.name)
            adapter = given if given is not None else create_adapter(spec.adapter, spec.options)
            adapter.load()
            caller = Caller(adapter, _policy(config, adapter))
            try:
                fingerprints[spec.name] = dict(adapter.fingerprint())
                store.write_manifest(
                    build_manifest(
                        config=recorded, bank_hash=bank.hash, fingerprints=fingerprints,
                        run_seed=config.seed,
                        shard=None if config.shard is None else (config.shard.index, config.shard.count),
                    )
                )
                stored = store.keys()
                progress.start(spec.name, total=plan.calls_per_model)
                model_run = _ModelRun(spec, caller, store, builder, progress, report)
                model_run.items(plan, stored)
                model_run.dialogues(plan)
                progress.done += report.skipped
                progress.finish()
            finally:
                caller.close()
            report.seconds = time.perf_counter() - started
            reports.append(report)
    return RunReport(store=Path(out), models=reports)
