"""Score (or re-score) the stored answers of a run, without calling the answering model again.

:func:`score_run` opens the run's store, loads the bank named in the manifest
(``manifest["config"]["bank"]``, checked against the recorded bank hash), and for every stored answer
with status ``ok`` — the ``final`` step of each protocol and the ``candidate-k`` steps of
best-of-N and self-verification (thoughts, rewrites, sketches and verdicts are not answers to the
item and are skipped) — finds its answer spec — the item's for a standalone item, the turn's for a
dialogue turn, with dynamic keys resolved from the model's own earlier images read from the store
(:func:`gapeval.bank.resolve_answer`) — scores it with :func:`~gapeval.scoring.dispatch.score_answer`
and writes the value with :meth:`Store.put_score` under one **score name**.

Score names identify the scoring configuration (``store.to_frame(scorer=NAME)`` picks them):

* ``rules-<mcq_mode>`` (``rules-fixed`` by default, ``rules-compat``), followed by each option
  that differs from its default: ``-realunify`` (``mcq_rule``), ``-text_<mode>``,
  ``-number_<mode>``;
* with a judge, ``+judge-<first 8 hex of the judge fingerprint>`` (``+judge_compat-...`` with
  ``judge_mode="compat"``), e.g. ``rules-fixed+judge-1a2b3c4d``;
* or any name given with ``scorer_name`` (letters, digits and ``._+-``).

Scoring again under the same name keeps the scores already there (answers that were unscorable are
tried again); ``rescore=True`` recomputes every answer and replaces changed scores; another
configuration writes under another name and leaves the first intact. Unscorable answers get **no**
score value (never a 0): they are counted in the summary and listed, with their reason, in
``RUN_DIR/unscorable-<name>.json``. Judge replies are cached in ``RUN_DIR/judge_cache.sqlite``
(:class:`~gapeval.scoring.judge_cache.JudgeCache`).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gapeval.errors import GapevalError, ScoringWarning
from gapeval.protocols.steps import is_answer_step
from gapeval.records import ImagePart, TextPart
from gapeval.scoring.dispatch import DISPATCH_VERSION, check_modes, score_answer
from gapeval.scoring.judge import JudgeFn
from gapeval.scoring.judge_cache import JudgeCache
from gapeval.scoring.result import Score, scored, unscorable
from gapeval.scoring.run_summary import (
    ScoringSummary,
    ScoringTally,
    SummaryRow,
    UnscorableAnswer,
)

__all__ = ["ScoringSummary", "SummaryRow", "UnscorableAnswer", "score_name", "score_run", "score_stored"]

_NAME = re.compile(r"^[A-Za-z0-9._+\-]{1,120}$")
_DEFAULTS = {"mcq_rule": "imug", "text_mode": "normalized", "number_mode": "lenient"}


def score_name(
    *,
    mcq_mode: str = "fixed",
    mcq_rule: str = "imug",
    text_mode: str = "normalized",
    number_mode: str = "lenient",
    judge_fingerprint: str | None = None,
    judge_mode: str = "fixed",
) -> str:
    """The default score name of a scoring configuration (see the module notes).

    Examples
    --------
    >>> score_name(), score_name(mcq_mode="compat", text_mode="contains")
    ('rules-fixed', 'rules-compat-text_contains')
    >>> score_name(judge_fingerprint="1a2b3c4d5e6f")
    'rules-fixed+judge-1a2b3c4d'
    """
    check_modes(mcq_mode=mcq_mode, mcq_rule=mcq_rule, text_mode=text_mode,
                number_mode=number_mode, judge_mode=judge_mode)  # fmt: skip
    name = f"rules-{mcq_mode}"
    if mcq_rule != _DEFAULTS["mcq_rule"]:
        name += f"-{mcq_rule}"
    if text_mode != _DEFAULTS["text_mode"]:
        name += f"-text_{text_mode}"
    if number_mode != _DEFAULTS["number_mode"]:
        name += f"-number_{number_mode}"
    if judge_fingerprint is not None:
        name += f"+judge{'_compat' if judge_mode == 'compat' else ''}-{judge_fingerprint[:8]}"
    return name


def _put(store: Any, stored: Any, name: str, score: Score, *, rescore: bool, judge: str | None) -> bool:
    """Write a scored answer's value and details; on re-scoring, an answer now unscorable loses its
    earlier score (so no stale score stays behind); return whether one was removed."""
    if score.value is None:
        return rescore and store.delete_score(stored.key, name)
    details: dict[str, Any] = {"scorer": score.scorer, "mode": score.mode, "version": score.version,
                               "detail": score.detail, "extracted": score.extracted}  # fmt: skip
    if judge is not None and score.judge_calls:
        details["judge"] = judge
        details["judge_calls"] = list(score.judge_calls)
    store.put_score(stored.key, name, score.value, details=details, replace=rescore)
    return False


def _load_bank(store: Any, bank: Any) -> tuple[Any, str]:
    """The run's bank (hash checked) and its dialogue history mode (``bank``, ``self``, ``gold``)."""
    from gapeval.bank.io import run_bank

    manifests = store.manifests()
    manifest = manifests[-1] if manifests else {}
    loaded = run_bank(manifest, bank, where=repr(str(store.path)),
                      fix="score with the bank the run used (score_run(..., bank=PATH))")
    config = manifest.get("config") or {}
    history = config.get("history", "bank")
    if history not in ("bank", "self", "gold"):
        raise GapevalError(f"the run's manifest has history {history!r}; expected bank, self or gold")
    return loaded, history


class _RunContext:
    """The bank and the run's stored answers, indexed for looking up specs and earlier outputs."""

    def __init__(self, bank: Any, history: str, answers: list[Any]) -> None:
        self.bank = bank
        self.history = history
        self.items = {item.id: item for item in bank.items}
        self.dialogues = {dialogue.id: dialogue for dialogue in bank.dialogues}
        self.turns: dict[tuple[str, str, str, int], dict[int, Any]] = {}
        self.image_paths: dict[str, str] = {}
        for stored in answers:
            request, output = stored.request, stored.result.output
            if request.session is not None and request.step == "final":
                key = (request.model, request.protocol, request.session, request.sample)
                self.turns.setdefault(key, {})[int(request.turn)] = stored
            if isinstance(output, ImagePart) and output.path is not None:
                self.image_paths[output.sha256] = output.path

    def readable(self, part: ImagePart) -> ImagePart | None:
        """``part`` with a path that can be read (its own, or the store's copy), else ``None``."""
        if part.data is not None or (part.path is not None and Path(part.path).is_file()):
            return part
        path = self.image_paths.get(part.sha256)
        return None if path is None else part.model_copy(update={"path": path})

    def output_of(self, stored: Any, turn: int) -> Any | None:
        """The ok final output the same model/protocol/session/sample gave at ``turn`` (``None`` if
        none): later turns of a protocol see that protocol's final answers."""
        request = stored.request
        earlier = self.turns.get((request.model, request.protocol, request.session, request.sample), {}).get(turn)
        return None if earlier is None or earlier.result.status != "ok" else earlier.result.output

    def dialogue(self, dialogue_id: str) -> Any | None:
        """The bank's dialogue with the run's history mode applied (``self``/``gold`` override it)."""
        dialogue = self.dialogues.get(dialogue_id)
        if dialogue is None or self.history == "bank":
            return dialogue
        return dialogue.model_copy(update={"history": "gold" if self.history == "gold" else "model"})

    def source_image(self, stored: Any, dialogue: Any, turn: int) -> ImagePart | None:
        """Turn ``turn``'s image as the dialogue showed it: the model's, or the reference (gold)."""
        reference = dialogue.turns[turn - 1].reference
        if dialogue.history == "gold" and reference is not None:
            return ImagePart.from_file(self.bank.image_path(reference), origin="gold")
        output = self.output_of(stored, turn)
        return output if isinstance(output, ImagePart) else None

    def judged_sources(self, stored: Any, dialogue: Any, turns: tuple[int, ...]) -> Any:
        """Images of the generation turns and a preamble quoting the text turns, or what is missing."""
        images: list[Any] = []
        quotes: list[Any] = []
        missing: list[int] = []
        for turn in turns:
            if dialogue.turns[turn - 1].direction == "generation":
                found: Any = self.source_image(stored, dialogue, turn)
                target = images
            else:
                found = self.output_of(stored, turn)
                found = f"[Answer given at turn {turn}]: {found.text}\n" if isinstance(found, TextPart) else None
                target = quotes
            if found is None:
                missing.append(turn)
            else:
                target.append(found)
        if missing:
            return _unresolved(f"no output from source turn(s) {missing} for the judged key", dialogue.history)
        return tuple(images), "".join(quotes)


def _unresolved(detail: str, history: str) -> Score:
    return unscorable(detail, scorer="dynamic_key", mode=history, version=DISPATCH_VERSION)


def _spec(stored: Any, context: _RunContext) -> tuple[Any, tuple[ImagePart, ...], str] | Score:
    """The static answer spec of a stored answer, the judge's source images and a text preamble
    (quoting earlier answers a judged key depends on), or an unscorable score saying why not."""
    from gapeval.bank import resolve_answer

    request = stored.request
    if request.session is None:
        item = context.items.get(request.item)
        if item is None:
            return _unresolved(f"item {request.item!r} is not in the bank", "bank")
        return item.answer, (), ""
    dialogue = context.dialogue(request.session)
    if dialogue is None or not 1 <= int(request.turn) <= len(dialogue.turns):
        return _unresolved(f"dialogue turn {request.session!r}#{request.turn} is not in the bank", "bank")
    answer = dialogue.turns[request.turn - 1].answer
    if answer.kind == "judged_mcq":
        sources = context.judged_sources(stored, dialogue, answer.source_turns)
        return sources if isinstance(sources, Score) else (answer, *sources)
    if answer.kind not in ("dynamic_mcq", "dynamic_grid"):
        return answer, (), ""
    source = context.source_image(stored, dialogue, answer.source_turn)
    if source is None:
        return _unresolved(f"no image from turn {answer.source_turn} to read the key from", dialogue.history)
    try:
        opened = source.open()
    except (OSError, ValueError) as error:
        return _unresolved(f"the image of turn {answer.source_turn} cannot be read: {error}", dialogue.history)
    resolved = resolve_answer(
        dialogue, request.turn, outputs={answer.source_turn: opened}, open_image=context.bank.open_image
    )
    if resolved is None:
        return _unresolved(
            f"the image of turn {answer.source_turn} is not a readable {answer.rows}x{answer.cols} grid, "
            "so the key cannot be known",
            dialogue.history,
        )
    return resolved, (), ""


def _score_one(stored: Any, context: _RunContext, options: Mapping[str, Any]) -> Score:
    found = _spec(stored, context)
    if isinstance(found, Score):
        return found
    spec, sources, preamble = found
    last = stored.request.question_message
    inputs = [context.readable(image) for image in last.images]
    images = sources if spec.kind == "judged_mcq" else tuple(i for i in inputs if i is not None)
    return score_answer(
        spec, stored.result.output, instruction=preamble + last.text, context_images=images, **options
    )


class _MemoryCache(dict):  # type: ignore[type-arg]
    """Judge replies kept in memory (a dry run writes nothing); the :class:`JudgeCache` interface."""

    hits = 0

    def close(self) -> None:
        """Nothing to close."""


def _score_safely(stored: Any, context: _RunContext, options: Mapping[str, Any]) -> Score:
    """:func:`_score_one`, with a failure on this one answer (a malformed key in the bank, a scorer
    bug) turned into an unscorable score saying why: one bad item never stops the others."""
    try:
        return _score_one(stored, context, options)
    except Exception as error:  # noqa: BLE001 - recorded in the unscorable listing, with its cause
        detail = " ".join(str(error).split())[:300] or "no message"
        return unscorable(
            f"scoring this answer failed ({type(error).__name__}: {detail}); check the item's answer key "
            "(gapeval bank validate)", scorer="error", mode="-", version=DISPATCH_VERSION,
        )  # fmt: skip


def score_run(
    run_dir: str | os.PathLike[str],
    *,
    scorer_name: str | None = None,
    mcq_mode: str = "fixed",
    mcq_rule: str = "imug",
    text_mode: str = "normalized",
    number_mode: str = "lenient",
    judge: JudgeFn | None = None,
    judge_mode: str = "fixed",
    judge_attempts: int = 3,
    rescore: bool = False,
    bank: Any = None,
    progress: Callable[[int, int], None] | None = None,
    secrets: Iterable[str] = (),
    dry_run: bool = False,
) -> ScoringSummary:
    """Score every ``ok`` answer stored in ``run_dir`` and write the scores under one name.

    Parameters
    ----------
    run_dir
        The run (store) folder.
    scorer_name
        Name to store the scores under; default :func:`score_name` of the configuration.
    mcq_mode, mcq_rule, text_mode, number_mode, judge_mode, judge_attempts
        Scoring options (see :func:`~gapeval.scoring.dispatch.score_answer`).
    judge
        A judge with a ``fingerprint`` string attribute (see
        :func:`~gapeval.scoring.judge_adapter.adapter_judge`), or ``None`` (judge-only answers are
        then unscorable).
    rescore
        Recompute answers already scored under the name and replace changed scores.
    bank
        The bank (a :class:`~gapeval.bank.Bank`, a folder or ``"builtin"``) instead of the one named
        in the manifest; its hash must still match the run's.
    progress
        Called as ``progress(done, total)`` after each answer.
    secrets
        Credential values given to the judge (:func:`gapeval.store.redact.secrets_in` of its
        options): replaced by ``<redacted>`` in everything written (scores, the judge cache).
    dry_run
        Score and summarise without writing anything: the store is opened read-only (so a read-only
        run folder works), judge replies are kept in memory, no unscorable listing is written.

    Returns
    -------
    ScoringSummary

    Raises
    ------
    GapevalError
        For a bad option or name, a judge without a fingerprint, a run without a manifest naming
        its bank, or a bank whose hash differs from the run's.
    FileNotFoundError
        If ``run_dir`` holds no store.
    """
    from gapeval.store import Store, write_json_atomic

    fingerprint = None if judge is None else getattr(judge, "fingerprint", None)
    if judge is not None and not (isinstance(fingerprint, str) and fingerprint):
        raise GapevalError(
            "the judge has no fingerprint; wrap adapters with gapeval.scoring.judge_adapter."
            "adapter_judge, or give the callable a `fingerprint` string attribute"
        )
    modes = {"mcq_mode": mcq_mode, "mcq_rule": mcq_rule, "text_mode": text_mode, "number_mode": number_mode}
    name = scorer_name or score_name(**modes, judge_fingerprint=fingerprint, judge_mode=judge_mode)
    if not _NAME.match(name):
        raise GapevalError(f"score name {name!r} must be 1-120 letters, digits or '._+-'")
    check_modes(**modes, judge_mode=judge_mode)
    if judge_attempts < 1:
        raise GapevalError(f"judge_attempts must be >= 1, got {judge_attempts}")
    with Store(run_dir, create=False, secrets=secrets, readonly=dry_run) as store:
        context = _RunContext(*_load_bank(store, bank), answers := list(store.answers()))
        cache: Any = None
        if judge is not None:
            cache = _MemoryCache() if dry_run else JudgeCache.in_run(store.path, redactor=store.redactor)
        options = {**modes, "judge": judge, "judge_mode": judge_mode,
                   "judge_attempts": judge_attempts, "judge_cache": cache}  # fmt: skip
        calls_before, tally = int(getattr(judge, "calls", 0)), ScoringTally()
        try:
            for done, stored in enumerate(answers, 1):
                direction = stored.request.direction
                if not is_answer_step(stored.request.step):
                    tally.add(direction, f"step:{stored.request.step.split('-')[0]}", "skipped")
                elif stored.result.status != "ok":
                    tally.add(direction, f"status:{stored.result.status}", "skipped")
                elif not rescore and store.score(stored.key, name) is not None:
                    tally.add(direction, "(already scored)", "kept")
                else:
                    score = _score_safely(stored, context, options)
                    stale = False if dry_run else _put(store, stored, name, score, rescore=rescore, judge=fingerprint)
                    tally.record(stored, score, stale=stale)
                if progress is not None:
                    progress(done, len(answers))
        finally:
            hits = cache.hits if cache is not None else 0
            if cache is not None:
                cache.close()
        if not dry_run:
            write_json_atomic(store.path / f"unscorable-{name}.json", tally.listing())
    if tally.stale:
        warnings.warn(
            f"{tally.stale} answer(s) became unscorable on re-scoring; their earlier '{name}' scores "
            "were removed (score under a new name to keep both versions)",
            ScoringWarning,
            stacklevel=2,
        )
    return ScoringSummary(
        name=name,
        rows=tally.rows(),
        unscorable=tuple(tally.unscorable),
        judge_calls=int(getattr(judge, "calls", 0)) - calls_before,
        cache_hits=hits,
        stale=tally.stale,
    )


def score_stored(
    store: Any, answers: Sequence[Any], *, bank: Any, history: str = "bank", context: Sequence[Any] | None = None
) -> list[Score]:
    """Score some stored answers of a run while it runs (adaptive testing), with the rule scorers.

    Each answer is scored as :func:`score_run` with its defaults would score it (no judge) and the
    value is stored under that configuration's name (:func:`score_name`: ``rules-fixed``), so the
    run's own scoring afterwards keeps it; a value already stored under the name is read back, not
    recomputed. An answer that is not an ``ok`` answer step, or that cannot be scored without a
    judge, gets an unscorable :class:`Score` saying why, and nothing is stored for it.

    Parameters
    ----------
    store : Store
        The run's store, open for writing.
    answers : sequence of StoredAnswer
        Answers from ``store`` (``store.get`` / ``store.answers``).
    bank : Bank
        The run's bank.
    history : {'bank', 'self', 'gold'}
        The run's dialogue history mode (the keys of dynamic dialogue turns depend on it).
    context : sequence of StoredAnswer, optional
        The stored answers the keys of dialogue turns are read from (the earlier turns' outputs);
        default: ``answers`` themselves, so give every turn of a dialogue up to the one scored.

    Returns
    -------
    list of Score
        One per answer, in order.
    """
    name = score_name()
    options = {"mcq_mode": "fixed", "mcq_rule": "imug", "text_mode": "normalized", "number_mode": "lenient",
               "judge": None, "judge_mode": "fixed", "judge_attempts": 1, "judge_cache": None}  # fmt: skip
    run_context = _RunContext(bank, history, list(answers if context is None else context))
    scores: list[Score] = []
    for stored in answers:
        if not is_answer_step(stored.request.step) or stored.result.status != "ok":
            scores.append(unscorable(f"a {stored.result.status} {stored.request.step} step is not scored",
                                     scorer="status", mode="-", version=DISPATCH_VERSION))  # fmt: skip
            continue
        value = store.score(stored.key, name)
        if value is not None:
            scores.append(scored(value, scorer=name, mode="stored", version=DISPATCH_VERSION))
            continue
        score = _score_safely(stored, run_context, options)
        _put(store, stored, name, score, rescore=False, judge=None)
        scores.append(score)
    return scores
