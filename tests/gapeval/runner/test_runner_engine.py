"""The runner's dialogue loop, resume, retries, history modes and sharding, with the scripted mock."""

from __future__ import annotations

import pytest

from gapeval.adapters.scripted import (
    AsyncScriptedAdapter,
    Crash,
    Fail,
    Refuse,
    ScriptedAdapter,
    Transient,
)
from gapeval.bank import load_bank
from gapeval.model_spec import ModelSpec
from gapeval.records import ImagePart, TextPart
from gapeval.runner import RunConfig, Shard, build_plan, run
from gapeval.runner.config import ConfigError
from gapeval.store import AnswerKey, Store, answer_digest, merge

BANK = load_bank("builtin")


def config(**changes) -> RunConfig:
    base = dict(models=(ModelSpec(name="mock", adapter="scripted"),), limit=4, score=False, backoff_s=0.0)
    return RunConfig(**{**base, **changes})


def digests(folder) -> dict[tuple, str]:
    with Store(folder, create=False) as store:
        return {answer.key.columns(): answer_digest(answer.result) for answer in store.answers()}


def first_dialogue(kind: str = "model"):
    plan = build_plan(BANK, config())
    return next(d for d in plan.dialogues if d.history == kind)


def test_every_planned_call_is_answered_once_and_resume_asks_nothing(tmp_path):
    plan = build_plan(BANK, config())
    adapter = ScriptedAdapter()
    report = run(config(), tmp_path, adapters={"mock": adapter}, bank=BANK)
    assert report.complete and report.models[0].statuses == {"ok": plan.calls_per_model}
    with Store(tmp_path, create=False) as store:
        assert len(store) == plan.calls_per_model
        manifest = store.manifests()[-1]
    assert manifest["bank_hash"] == BANK.hash
    assert manifest["config"]["identity"]["seed"] == 0
    assert "mock" in manifest["fingerprints"]
    again = ScriptedAdapter()
    second = run(config(), tmp_path, adapters={"mock": again}, bank=BANK)
    assert again.calls == 0
    assert second.models[0].skipped == plan.calls_per_model


def test_dialogue_turns_carry_the_models_own_earlier_output(tmp_path):
    dialogue = first_dialogue("model")
    run(config(), tmp_path, adapters={"mock": ScriptedAdapter()}, bank=BANK)
    with Store(tmp_path, create=False) as store:
        first = store.get(AnswerKey(model="mock", unit=dialogue.id, turn=1))
        second = store.get(AnswerKey(model="mock", unit=dialogue.id, turn=2))
    produced = first.result.output
    assert isinstance(produced, ImagePart) and produced.origin == "model"
    assistant = second.request.history[1]
    assert assistant.role == "assistant" and assistant.parts[0].sha256 == produced.sha256
    shown = second.request.history[-1].images
    assert shown and shown[0].sha256 == produced.sha256
    assert second.request.item == f"{dialogue.id}#2" and second.request.session == dialogue.id


def test_gold_history_shows_the_reference_instead_of_the_output(tmp_path):
    dialogue = first_dialogue("model")
    run(config(history="gold"), tmp_path, adapters={"mock": ScriptedAdapter()}, bank=BANK)
    with Store(tmp_path, create=False) as store:
        second = store.get(AnswerKey(model="mock", unit=dialogue.id, turn=2))
    shown = second.request.history[1].parts[0]
    reference = ImagePart.from_file(BANK.image_path(dialogue.turns[0].reference), origin="gold")
    assert shown.origin == "gold" and shown.sha256 == reference.sha256


def test_an_error_ends_the_dialogue_for_this_run_and_the_next_run_resumes_it(tmp_path):
    dialogue = first_dialogue("model")
    failing = ScriptedAdapter({(dialogue.id, 1): Fail("boom")})
    report = run(config(), tmp_path, adapters={"mock": failing}, bank=BANK)
    assert not report.complete and report.models[0].errors == 1
    with Store(tmp_path, create=False) as store:
        assert store.get(AnswerKey(model="mock", unit=dialogue.id, turn=2)) is None
        assert [e.result.error for e in store.errors()] == ["boom"]
    fixed = ScriptedAdapter()
    second = run(config(), tmp_path, adapters={"mock": fixed}, bank=BANK)
    assert second.complete and fixed.calls == len(dialogue.turns)
    fresh = tmp_path / "fresh"
    run(config(), fresh, adapters={"mock": ScriptedAdapter()}, bank=BANK)
    assert digests(tmp_path) == digests(fresh)


def test_refusals_and_crashes_are_recorded_and_the_run_goes_on(tmp_path):
    plan = build_plan(BANK, config())
    refused, crashed = plan.items[0].id, plan.items[1].id
    adapter = ScriptedAdapter({refused: Refuse(), crashed: Crash("kaput")})
    report = run(config(), tmp_path, adapters={"mock": adapter}, bank=BANK)
    assert report.models[0].statuses == {"ok": plan.calls_per_model - 2, "refused": 1, "error": 1}
    with Store(tmp_path, create=False) as store:
        assert store.get(AnswerKey(model="mock", unit=refused)).result.status == "refused"
        assert "kaput" in store.errors()[0].result.error


def test_transient_errors_are_retried_with_backoff_then_logged(tmp_path):
    plan = build_plan(BANK, config())
    item = plan.items[0].id
    adapter = ScriptedAdapter({item: Transient(times=2)})
    report = run(config(max_retries=2), tmp_path / "a", adapters={"mock": adapter}, bank=BANK)
    assert report.complete and adapter.attempts[("mock", item, 0, 0)] == 3
    stubborn = ScriptedAdapter({item: Transient(times=5)})
    report = run(config(max_retries=1), tmp_path / "b", adapters={"mock": stubborn}, bank=BANK)
    assert report.models[0].errors == 1
    with Store(tmp_path / "b", create=False) as store:
        (logged,) = store.errors()
    assert logged.result.transient


def test_async_adapters_give_the_same_answers_as_sync_ones(tmp_path):
    run(config(), tmp_path / "sync", adapters={"mock": ScriptedAdapter()}, bank=BANK)
    run(config(concurrency=3), tmp_path / "async", adapters={"mock": AsyncScriptedAdapter()}, bank=BANK)
    assert digests(tmp_path / "sync") == digests(tmp_path / "async")


def test_samples_get_distinct_seeds_and_keys(tmp_path):
    run(config(samples=2, include="items", limit=2), tmp_path, adapters={"mock": ScriptedAdapter()}, bank=BANK)
    with Store(tmp_path, create=False) as store:
        answers = list(store.answers())
    assert sorted(a.key.sample for a in answers) == [0, 0, 1, 1]
    assert len({a.request.seed for a in answers}) == 4


def test_sharded_runs_merged_equal_an_unsharded_run(tmp_path):
    whole = tmp_path / "whole"
    run(config(limit=8), whole, adapters={"mock": ScriptedAdapter()}, bank=BANK)
    shards = []
    for index in (1, 2, 3):
        folder = tmp_path / f"shard-{index}"
        run(config(limit=8, shard=Shard(index=index, count=3)), folder,
            adapters={"mock": ScriptedAdapter()}, bank=BANK)
        shards.append(folder)
    sizes = [len(digests(folder)) for folder in shards]
    assert all(size > 0 for size in sizes)
    with merge(shards, tmp_path / "merged"):
        pass
    assert digests(tmp_path / "merged") == digests(whole)
    assert sum(sizes) == len(digests(whole))


def test_resuming_with_other_settings_is_refused(tmp_path):
    run(config(), tmp_path, adapters={"mock": ScriptedAdapter()}, bank=BANK)
    with pytest.raises(ConfigError, match=r"samples: was 1, now 2"):
        run(config(samples=2), tmp_path, adapters={"mock": ScriptedAdapter()}, bank=BANK)


def test_an_understanding_only_model_gets_unsupported_generation_turns(tmp_path):
    reader = ScriptedAdapter(capabilities={"image_in": True, "image_out": False})
    report = run(config(), tmp_path, adapters={"mock": reader}, bank=BANK)
    assert report.complete and report.models[0].statuses["unsupported"] > 0
    dialogue = first_dialogue("model")
    with Store(tmp_path, create=False) as store:
        second = store.get(AnswerKey(model="mock", unit=dialogue.id, turn=2))
    assert isinstance(second.request.history[1].parts[0], TextPart)
    assert second.request.history[-1].parts[0].text == "[image from turn 1 unavailable]"


def test_a_model_spec_can_narrow_what_it_is_asked(tmp_path):
    from gapeval.model_spec import parse_model_spec

    slow = parse_model_spec("scripted:include=items,limit=2,name=slow")
    assert (slow.include, slow.limit, slow.options) == ("items", 2, {})
    models = (ModelSpec(name="mock", adapter="scripted"), slow)
    report = run(config(models=models), tmp_path,
                 adapters={"mock": ScriptedAdapter(), "slow": ScriptedAdapter()}, bank=BANK)
    planned = {model.name: model.planned for model in report.models}
    assert planned == {"mock": build_plan(BANK, config()).calls_per_model, "slow": 2}
    with Store(tmp_path, create=False) as store:
        units = sorted(key.unit for key in store.keys() if key.model == "slow")
    assert units == sorted(item.id for item in build_plan(BANK, config()).items[:2])
    with pytest.raises(ValueError, match="limit"):
        parse_model_spec("scripted:limit=0")
