"""Adaptive testing through the real runner: simulated respondents, a random or scripted chooser,
calls counted from the store, the choice log, resume, skipped units and the settings' checks."""

from __future__ import annotations

import pytest

from gapeval.adapters.scripted import Fail, Refuse, ScriptedAdapter
from gapeval.adaptive import RandomChooser, calls_per_model, run_adaptive
from gapeval.bank import load_bank
from gapeval.errors import GapevalError
from gapeval.model_spec import ModelSpec
from gapeval.runner import AdaptiveSettings, RunConfig, build_plan, run
from gapeval.runner.engine import ModelSession
from gapeval.runner.config import ConfigError
from gapeval.store import Store
from gapeval.store.choices import ChoiceConflictError, answered_digest

BANK = load_bank("builtin")
LIMIT = 8  # 8 items and 8 dialogues of 2-4 turns: 28 calls for the whole plan
SIM = ModelSpec(name="sim", adapter="simulated", options={"theta_understanding": 0.5, "theta_generation": -0.5})


def config(*, batch: int = 3, max_calls: int | None = 7, **changes) -> RunConfig:
    settings = AdaptiveSettings(chooser="RandomChooser(seed=1)", batch=batch, max_calls=max_calls)
    return RunConfig(**{"models": (SIM,), "limit": LIMIT, "score": False, "adaptive": settings, **changes})


def plan_chooser(seed: int = 1) -> RandomChooser:
    plan = build_plan(BANK, config())
    return RandomChooser([i.id for i in plan.items] + [d.id for d in plan.dialogues], seed=seed)


def log(folder) -> list[tuple]:
    with Store(folder, readonly=True) as store:
        return [(c.model, c.step, c.units, c.answered_n, c.answered_sha256, c.budget_left, dict(c.skipped))
                for c in store.choices()]  # fmt: skip


def answered_units(folder) -> list[tuple[str, int]]:
    with Store(folder, readonly=True) as store:
        return sorted((a.key.unit, a.key.turn or 0) for a in store.answers())


class Scripted:
    """A chooser that returns the given steps in turn and records what it was shown."""

    def __init__(self, steps):
        self.steps, self.seen = list(steps), []

    def choose(self, answered, *, batch, budget_left):
        self.seen.append((tuple(answered), batch, budget_left))
        return self.steps[len(self.seen) - 1] if len(self.seen) <= len(self.steps) else ()


def test_an_adaptive_run_asks_fewer_calls_than_the_full_plan_counted_from_the_store(tmp_path):
    full = run(config(adaptive=None), tmp_path / "full", bank=BANK)
    plan = build_plan(BANK, config())
    assert calls_per_model(tmp_path / "full") == {"sim": plan.calls_per_model} == {"sim": 28}
    assert full.complete

    report = run_adaptive(config(), tmp_path / "adaptive", chooser=plan_chooser(), bank=BANK)
    calls = calls_per_model(tmp_path / "adaptive")["sim"]
    assert 4 <= calls <= 7 < 28  # a dialogue that would overshoot the budget is dropped, never cut
    assert report.models[0].stopped == "budget spent (7 calls)" or report.models[0].stopped.startswith("nothing new")
    steps = log(tmp_path / "adaptive")
    asked = [unit for step in steps for unit in step[2]]
    assert all(1 <= len(step[2]) <= 3 for step in steps)
    assert [step[1] for step in steps] == list(range(len(steps)))
    # the store holds exactly the logged units, every turn of a chosen dialogue, nothing else
    turns = {u: len(d.turns) for d in plan.dialogues for u in [d.id]}
    expected = sorted((u, t) for u in asked for t in (range(1, turns[u] + 1) if u in turns else [0]))
    assert answered_units(tmp_path / "adaptive") == expected
    assert sum(turns.get(u, 1) for u in asked) == calls
    # the chooser was shown the scored answers: the count and digest of each step's input are logged
    with Store(tmp_path / "adaptive", readonly=True) as store:
        scores = {(a.key.unit, a.key.turn or 0): (a.request.item, store.score(a.key, "rules-fixed"))
                  for a in store.answers()}  # fmt: skip
        manifest = store.manifests()[-1]
    assert all(value in (0.0, 1.0) for _, value in scores.values())
    first_two = [scores[(u, t)] for u in steps[0][2] for t in (range(1, turns[u] + 1) if u in turns else [0])]
    assert steps[1][3] == len(first_two) and steps[1][4] == answered_digest(first_two)
    assert steps[0][5] == 7 and steps[0][3] == 0
    assert manifest["config"]["adaptive"] == {"chooser": "RandomChooser(seed=1)", "calibration": None,
                                              "calibration_sha256": None, "target_width": None,
                                              "batch": 3, "max_calls": 7}  # fmt: skip


def test_the_same_choices_every_time_and_a_resume_continues_them(tmp_path):
    run_adaptive(config(max_calls=12), tmp_path / "a", chooser=plan_chooser(), bank=BANK)
    run_adaptive(config(max_calls=12), tmp_path / "b", chooser=plan_chooser(), bank=BANK)
    assert log(tmp_path / "a") == log(tmp_path / "b")
    assert answered_units(tmp_path / "a") == answered_units(tmp_path / "b")

    run_adaptive(config(max_calls=5), tmp_path / "c", chooser=plan_chooser(), bank=BANK)
    before = calls_per_model(tmp_path / "c")["sim"]
    again = run_adaptive(config(max_calls=5), tmp_path / "c", chooser=plan_chooser(), bank=BANK)
    assert again.models[0].calls == 0 and calls_per_model(tmp_path / "c")["sim"] == before
    short = log(tmp_path / "c")
    run_adaptive(config(max_calls=12), tmp_path / "c", chooser=plan_chooser(), bank=BANK)  # a larger budget
    longer = log(tmp_path / "c")
    assert longer[: len(short)] == short and len(longer) > len(short)
    assert longer[len(short)][5] == 12 - before and 5 < calls_per_model(tmp_path / "c")["sim"] <= 12


def test_the_chooser_sees_scored_answers_in_log_order_and_its_stop_ends_the_run(tmp_path):
    chooser = Scripted([("arithmetic-001-und", "session-001"), ("arithmetic-002-und",)])
    report = run_adaptive(config(max_calls=None, batch=2), tmp_path, chooser=chooser, bank=BANK)
    assert report.models[0].stopped == "the chooser stopped (target reached or nothing useful left)"
    assert [len(seen[0]) for seen in chooser.seen] == [0, 3, 4]
    assert [item for item, _ in chooser.seen[2][0]] == [
        "arithmetic-001-und", "session-001#1", "session-001#2", "arithmetic-002-und",
    ]
    assert [seen[2] for seen in chooser.seen] == [28, 25, 24]  # the calls left to ask every unit not asked
    with Store(tmp_path, readonly=True) as store:
        stored = {a.request.item: store.score(a.key, "rules-fixed") for a in store.answers()}
    assert dict(chooser.seen[2][0]) == stored


def test_units_without_a_score_are_never_asked_twice_and_the_chooser_is_asked_for_more(tmp_path):
    adapter = ScriptedAdapter({"arithmetic-001-und": Refuse(), "arithmetic-002-und": "-2"})
    chooser = Scripted([("arithmetic-001-und",), ("arithmetic-001-und", "arithmetic-002-und"), ()])
    items = config(max_calls=None, batch=1, models=(ModelSpec(name="sim", adapter="scripted"),), include="items")
    report = run_adaptive(items, tmp_path, chooser=chooser, adapters={"sim": adapter}, bank=BANK)
    assert [seen[1] for seen in chooser.seen] == [1, 2, 2]  # batch 1, plus the refused unit it may pick again
    assert [step[2] for step in log(tmp_path)] == [("arithmetic-001-und",), ("arithmetic-002-und",)]
    assert report.models[0].statuses == {"refused": 1, "ok": 1}
    assert chooser.seen[1][0] == ()  # a refusal is not a score
    assert chooser.seen[2][0] == (("arithmetic-002-und", 1.0),)


def test_picks_that_cannot_be_scored_or_are_outside_the_plan_are_skipped_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr("gapeval.adaptive.loop.JUDGED_KINDS", frozenset({"verifier"}))
    chooser = Scripted([("arithmetic-001-gen", "count-001-und", "arithmetic-001-und"), ()])
    run_adaptive(config(max_calls=None), tmp_path, chooser=chooser, bank=BANK)
    (step,) = log(tmp_path)
    assert step[2] == ("arithmetic-001-und",)
    assert step[6] == {"arithmetic-001-gen": "its answer (verifier) needs a judge",
                       "count-001-und": "not in this run's plan (--include/--limit)"}  # fmt: skip
    assert chooser.seen[1][1] == 3 + 2
    with pytest.raises(GapevalError, match=r"picked \['no-such-item'\].*not standalone items or dialogues"):
        run_adaptive(config(), tmp_path / "bad", chooser=Scripted([("no-such-item",)]), bank=BANK)


def test_a_resume_whose_stored_scores_changed_is_refused(tmp_path):
    run_adaptive(config(), tmp_path, chooser=plan_chooser(), bank=BANK)
    with Store(tmp_path) as store:
        first = next(a for a in store.answers() if a.key.unit == log(tmp_path)[0][2][0])
        flipped = 1.0 - store.score(first.key, "rules-fixed")
        store.put_score(first.key, "rules-fixed", flipped, replace=True)
    with pytest.raises(ChoiceConflictError, match="step 1 of model 'sim' was chosen from"):
        run_adaptive(config(), tmp_path, chooser=plan_chooser(), bank=BANK)


def test_adaptive_settings_are_checked_and_part_of_the_runs_identity(tmp_path):
    with pytest.raises(ConfigError, match="adaptive testing asks each chosen unit once"):
        config(samples=2)
    with pytest.raises(ConfigError, match="no chooser drives it"):
        run(config(), tmp_path, bank=BANK)
    with pytest.raises(ConfigError, match="run_adaptive needs config.adaptive"):
        run_adaptive(config(adaptive=None), tmp_path, chooser=plan_chooser(), bank=BANK)
    run_adaptive(config(max_calls=2), tmp_path, chooser=plan_chooser(), bank=BANK)
    run_adaptive(config(max_calls=3), tmp_path, chooser=plan_chooser(), bank=BANK)  # a new budget is fine
    with pytest.raises(ConfigError, match="adaptive: was"):
        run_adaptive(config(batch=2), tmp_path, chooser=plan_chooser(), bank=BANK)


def test_a_run_stopped_between_logging_a_step_and_asking_it_asks_that_step_first_on_resume(tmp_path, monkeypatch):
    run_adaptive(config(max_calls=12), tmp_path / "whole", chooser=plan_chooser(), bank=BANK)
    asked, real_ask = [], ModelSession.ask

    def ask_twice_then_die(session, units):
        if len(asked) == 2:
            raise KeyboardInterrupt  # as a kill right after the third step was logged
        asked.append(units)
        real_ask(session, units)

    monkeypatch.setattr(ModelSession, "ask", ask_twice_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_adaptive(config(max_calls=12), tmp_path / "cut", chooser=plan_chooser(), bank=BANK)
    monkeypatch.setattr(ModelSession, "ask", real_ask)
    cut = log(tmp_path / "cut")
    assert len(cut) == 3 and cut == log(tmp_path / "whole")[:3]
    assert {unit for unit, _ in answered_units(tmp_path / "cut")} == set(asked[0] + asked[1])
    run_adaptive(config(max_calls=12), tmp_path / "cut", chooser=plan_chooser(), bank=BANK)
    assert log(tmp_path / "cut") == log(tmp_path / "whole")
    assert answered_units(tmp_path / "cut") == answered_units(tmp_path / "whole")


def test_a_unit_that_failed_is_asked_again_first_by_the_next_run(tmp_path):
    items = config(max_calls=None, batch=1, models=(ModelSpec(name="sim", adapter="scripted"),), include="items")
    chooser = Scripted([("arithmetic-001-und",), ("arithmetic-002-und",), ()])
    failed: list[str] = []

    def reply(request):  # arithmetic-001-und fails once: in the first run, not the second
        if request.item == "arithmetic-001-und" and not failed:
            failed.append(request.item)
            return Fail()
        return "1"

    adapter = ScriptedAdapter(reply)
    first = run_adaptive(items, tmp_path, chooser=chooser, adapters={"sim": adapter}, bank=BANK)
    assert not first.complete and first.models[0].statuses == {"error": 1, "ok": 1}
    assert [step[2] for step in log(tmp_path)] == [("arithmetic-001-und",), ("arithmetic-002-und",)]
    assert chooser.seen[1][1] == 2  # the failed unit has no score: the chooser may pick it again
    again = Scripted([()])
    second = run_adaptive(items, tmp_path, chooser=again, adapters={"sim": adapter}, bank=BANK)
    assert second.complete and second.models[0].statuses == {"ok": 1}  # the logged unit, before choosing
    assert [item for item, _ in again.seen[0][0]][0] == "arithmetic-001-und"  # replayed in log order
    assert len(log(tmp_path)) == 2 and calls_per_model(tmp_path) == {"sim": 3}  # the error was a call too
