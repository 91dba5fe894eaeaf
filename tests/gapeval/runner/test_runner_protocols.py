"""Evaluation protocols in the runner: every step stored in order, resume, best-of-N seeds, scoring."""

from __future__ import annotations

import pytest

from gapeval.adapters.scripted import Fail, ScriptedAdapter
from gapeval.bank import load_bank
from gapeval.model_spec import ModelSpec
from gapeval.protocol_analysis.verdicts import verification_frame
from gapeval.protocols.spec import ProtocolSpecError, parse_protocol_spec
from gapeval.respondents.procedural import ProceduralAdapter
from gapeval.respondents.simulated import SimulatedAdapter
from gapeval.runner import RunConfig, run
from gapeval.runner.config import ConfigError, build_config
from gapeval.scoring.run_scoring import score_run
from gapeval.store import Store, answer_digest

BANK = load_bank("builtin")
ALL = ("direct", "cot", "stepwise", "self-verify:rounds=2", "best-of-n:n=3")


def config(protocols=ALL, *, models=("mock",), **changes) -> RunConfig:
    base = dict(
        models=tuple(ModelSpec(name=name, adapter="scripted") for name in models),
        limit=3, score=False, backoff_s=0.0, max_retries=0,
        protocols=tuple(parse_protocol_spec(text) for text in protocols),
    )
    return RunConfig(**{**base, **changes})


def steps_by_unit(folder) -> dict[tuple, list[str]]:
    """Steps of each (model, protocol, unit, turn, sample), in the order they were committed."""
    with Store(folder, create=False) as store:
        ordered: dict[tuple, list[str]] = {}
        for answer in store.answers():
            key = answer.key
            ordered.setdefault((key.model, key.protocol, key.unit, key.turn, key.sample), []).append(key.step)
    return ordered


def verdict_script(request):
    """Verdicts: NO on the first candidate of every item, YES after; ratings prefer candidate 2."""
    if request.step.startswith("verify-"):
        return "NO, wrong." if request.step == "verify-1" else "YES"
    if request.step.startswith("rate-"):
        return "9" if request.step == "rate-2" else "3"
    return None


def test_each_protocol_stores_every_step_in_order(tmp_path):
    report = run(config(), tmp_path, adapters={"mock": ScriptedAdapter(verdict_script)}, bank=BANK)
    assert report.complete
    order = steps_by_unit(tmp_path)
    units = {(unit, turn) for (_, _, unit, turn, _) in order}
    turns = sum(len(d.turns) for d in BANK.dialogues if d.id in {u for u, t in units if t})
    assert len(units) == 3 + turns  # 3 items and every turn of 3 dialogues
    for (model, protocol, unit, turn, sample), steps in order.items():
        generation = (BANK.item(unit).direction if turn is None else
                      next(d for d in BANK.dialogues if d.id == unit).turns[turn - 1].direction) == "generation"
        expected = {
            "direct": ["final"],
            "cot": ["thought", "final"],
            "stepwise": ["rewrite" if generation else "sketch", "final"],
            "self-verify": ["candidate-1", "verify-1", "candidate-2", "verify-2", "final"],
            "best-of-n": ["candidate-1", "candidate-2", "candidate-3", "rate-1", "rate-2", "rate-3", "final"],
        }[protocol]
        assert steps == expected, (protocol, unit, turn)
    with Store(tmp_path, create=False) as store:
        frame = store.steps_frame()
        finals = frame[frame.step == "final"].set_index(["protocol", "item", "sample"])
        # the final rows of self-verify and best-of-n repeat a candidate without a call
        assert set(finals.loc["self-verify"].copied_from) == {"candidate-2"}
        assert set(finals.loc["best-of-n"].copied_from) == {"candidate-2"}
        assert not finals.loc["best-of-n"].called.any() and finals.loc["cot"].called.all()
        assert report.models[0].calls == int(frame.called.sum())
        # the export has one final row per item, turn and protocol
        table = store.to_frame(include_unscored=True)
        assert set(table.step) == {"final"} and len(table) == len(units) * len(ALL)
        assert len(store.to_frame(include_unscored=True, steps="answers")) == len(units) * (5 + 2 + 3)


def test_step_requests_carry_the_question_and_what_came_before(tmp_path):
    run(config(("cot", "stepwise", "self-verify")), tmp_path, adapters={"mock": ScriptedAdapter(verdict_script)},
        bank=BANK)
    with Store(tmp_path, create=False) as store:
        answers = {(a.key.protocol, a.key.unit, a.key.turn, a.key.step): a for a in store.answers()}
    item = next(i for i in BANK.items if i.id in {u for (_, u, t, _) in answers if t is None} and i.direction == "generation")
    thought = answers[("cot", item.id, None, "thought")]
    final = answers[("cot", item.id, None, "final")]
    assert thought.request.output.kind == "text" and final.request.output.kind == "image"
    assert final.request.history[1].parts[0] == thought.result.output  # its own reasoning, as the assistant
    assert final.request.question_message.text.startswith(item.prompt[0].text[:40])
    rewrite = answers[("stepwise", item.id, None, "rewrite")].result.output.text
    drawn = answers[("stepwise", item.id, None, "final")].request
    assert drawn.history[-1].text == f"Draw this: {rewrite}"
    retry = answers[("self-verify", item.id, None, "candidate-2")].request
    assert [m.role for m in retry.history] == ["user", "assistant", "user", "assistant", "user"]
    assert retry.question == 0 and retry.seed != answers[("self-verify", item.id, None, "candidate-1")].request.seed


def test_resume_never_repeats_a_stored_step(tmp_path):
    # one script (one respondent: a callable script is identified by its name) whose server is down at first
    down = [True]
    seen: list[str] = []

    def recording(request):
        if down[0] and (request.step == "rate-2" or (request.step == "verify-1" and request.turn in (None, 2))):
            return Fail("server down")
        if not down[0]:
            seen.append(request.request_id)
        return verdict_script(request)

    first = run(config(), tmp_path, adapters={"mock": ScriptedAdapter(recording)}, bank=BANK)
    assert not first.complete and first.models[0].first_error == "server down"
    with Store(tmp_path, create=False) as store:
        before = {a.result.request_id for a in store.answers()}
    down[0] = False
    second = run(config(), tmp_path, adapters={"mock": ScriptedAdapter(recording)}, bank=BANK)
    assert second.complete and seen and not set(seen) & before
    assert len(seen) == len(set(seen))
    third = ScriptedAdapter(recording)
    run(config(), tmp_path, adapters={"mock": third}, bank=BANK)
    assert third.calls == 0


def test_best_of_n_is_reproducible_and_one_candidate_equals_direct(tmp_path):
    protocols = ("direct", "best-of-n:n=1,name=bo1", "best-of-n:n=4")
    cfg = config(protocols, models=("sim",), limit=6)
    picks = []
    for folder in (tmp_path / "a", tmp_path / "b"):
        run(cfg, folder, adapters={"sim": SimulatedAdapter()}, bank=BANK)
        with Store(folder, create=False) as store:
            picks.append({(a.key.protocol, a.key.unit, a.key.turn): (a.request.copied_from, answer_digest(a.result))
                          for a in store.answers() if a.key.step == "final"})
    assert picks[0] == picks[1]
    chosen = {pick for (protocol, _, _), (pick, _) in picks[0].items() if protocol == "best-of-n"}
    assert len(chosen) > 1  # the ratings differ, so different candidates win
    for (protocol, unit, turn), (pick, digest) in picks[0].items():
        if protocol == "bo1":
            assert pick == "candidate-1" and digest == picks[0][("direct", unit, turn)][1]


def test_the_procedural_baseline_keeps_its_accuracy_under_every_protocol(tmp_path):
    cfg = config(models=("procedural",), limit=8)
    run(cfg, tmp_path, adapters={"procedural": ProceduralAdapter()}, bank=BANK)
    summary = score_run(tmp_path)
    assert summary.unscorable == ()
    with Store(tmp_path, create=False) as store:
        table = store.to_frame()
    means = table.groupby("protocol").score.mean()
    assert len(table) == table.groupby("protocol").size().iloc[0] * len(ALL)
    assert means.to_dict() == {label: 1.0 for label in ("best-of-n", "cot", "direct", "self-verify", "stepwise")}


def test_self_verification_verdicts_sit_beside_the_reference(tmp_path):
    cfg = config(("self-verify:rounds=1",), models=("yes", "no"), limit=40, include="items")
    adapters = {"yes": SimulatedAdapter(verify_accept=1.0), "no": SimulatedAdapter(verify_accept=0.0)}
    run(cfg, tmp_path, adapters=adapters, bank=BANK)
    score_run(tmp_path)
    with Store(tmp_path, create=False) as store:
        verdicts = verification_frame(store)
        scores = store.to_frame().set_index(["model", "item"]).score
    assert len(verdicts) == 80 and set(verdicts["round"]) == {1}
    by_model = verdicts.groupby("model").self_verdict.agg(lambda v: set(v))
    assert by_model["yes"] == {"accept"} and by_model["no"] == {"reject"}
    wrong = verdicts[verdicts.reference == "reject"]
    assert 0 < len(wrong) < 80  # the simulated candidates are right and wrong
    for row in verdicts.itertuples():
        assert row.score == scores[(row.model, row.item)]  # round 1 of one round is the final


def test_simulated_protocol_effects_shift_the_answer_steps(tmp_path):
    strong = SimulatedAdapter(protocol_effects="cot:0:3")
    cfg = config(("direct", "cot"), models=("sim",), limit=120, include="items")
    run(cfg, tmp_path, adapters={"sim": strong}, bank=BANK)
    score_run(tmp_path)
    with Store(tmp_path, create=False) as store:
        means = store.to_frame().groupby(["protocol", "direction"]).score.mean()
    assert means[("cot", "generation")] - means[("direct", "generation")] > 0.3
    assert abs(means[("cot", "understanding")] - means[("direct", "understanding")]) < 0.15


def test_protocol_specs_and_configs_say_what_is_wrong():
    with pytest.raises(ProtocolSpecError, match="unknown kind 'tot'"):
        parse_protocol_spec("tot")
    with pytest.raises(ProtocolSpecError, match="option 'rounds' does not apply to best-of-n"):
        parse_protocol_spec("best-of-n:rounds=2")
    with pytest.raises(ProtocolSpecError, match="n: Input should be greater than or equal to 1"):
        parse_protocol_spec("best-of-n:n=0")
    with pytest.raises(ProtocolSpecError, match="the label 'direct' is the name of another kind"):
        parse_protocol_spec("cot:name=direct")
    with pytest.raises(ConfigError, match="protocol labels must be unique; best-of-n appear"):
        build_config({"models": [ModelSpec(name="m", adapter="scripted")],
                      "protocols": [parse_protocol_spec("best-of-n"), parse_protocol_spec("best-of-n:n=2")]})


def test_a_protocol_label_keeps_its_options_on_resume_but_protocols_may_be_added(tmp_path):
    run(config(("best-of-n:n=2",)), tmp_path, adapters={"mock": ScriptedAdapter()}, bank=BANK)
    with pytest.raises(ConfigError, match="protocol 'best-of-n': was .*'n': 2.*now .*'n': 3"):
        run(config(("best-of-n:n=3",)), tmp_path, adapters={"mock": ScriptedAdapter()}, bank=BANK)
    more = run(config(("best-of-n:n=2", "cot")), tmp_path, adapters={"mock": ScriptedAdapter()}, bank=BANK)
    assert more.complete and more.models[0].skipped == more.models[0].planned // 2


def test_sharded_protocol_runs_merge_into_the_unsharded_run(tmp_path):
    from gapeval.runner.config import Shard
    from gapeval.store import merge

    def digests(folder):
        with Store(folder, create=False) as store:
            return {a.key.columns(): (a.request.copied_from, answer_digest(a.result)) for a in store.answers()}

    protocols = ("direct", "self-verify:rounds=2", "best-of-n:n=2")
    run(config(protocols, models=("sim",)), tmp_path / "whole", adapters={"sim": SimulatedAdapter()}, bank=BANK)
    shards = []
    for index in (1, 2):
        folder = tmp_path / f"shard-{index}"
        run(config(protocols, models=("sim",), shard=Shard(index=index, count=2)), folder,
            adapters={"sim": SimulatedAdapter()}, bank=BANK)
        shards.append(folder)
    merge(shards, tmp_path / "merged").close()
    assert digests(tmp_path / "merged") == digests(tmp_path / "whole")


def test_the_dry_run_counts_final_answers_of_the_plan_only(tmp_path, capsys):
    from gapeval.cli import main

    folder = str(tmp_path / "run")
    assert main(["run", "--model", "scripted", "--protocol", "direct", "--protocol", "cot", "--limit", "3",
                 "--out", folder, "--no-score", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["run", "--model", "scripted", "--protocol", "direct", "--protocol", "best-of-n:n=2",
                 "--limit", "1", "--out", folder, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "protocol best-of-n: best-of-n; extra calls per answer: 1 more candidate + 2 ratings" in out
    # limit 1: one item and one dialogue of 2 turns = 3 answers per protocol; only direct's are stored
    assert "answers: 6 planned, 3 already stored, 3 to give" in out


def test_a_model_that_cannot_draw_answers_stepwise_without_its_sketch(tmp_path):
    reader = ScriptedAdapter(capabilities={"image_out": False})
    run(config(("stepwise",), include="items"), tmp_path, adapters={"mock": reader}, bank=BANK)
    with Store(tmp_path, create=False) as store:
        answers = {(a.key.unit, a.key.step): a for a in store.answers()}
    understanding = [unit for (unit, step) in answers if step == "sketch"]
    assert understanding
    for unit in understanding:
        assert answers[(unit, "sketch")].result.status == "unsupported"
        final = answers[(unit, "final")]
        assert final.result.status == "ok"
        assert final.request.history[-2].parts[0].text == "(no answer)"
    drawn = [unit for (unit, step) in answers if step == "rewrite"]
    assert all(answers[(unit, "final")].result.status == "unsupported" for unit in drawn)
