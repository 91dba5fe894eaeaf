"""score_run and `gapeval score`: scoring a stored run of the built-in bank, judges, names and rescoring."""

from __future__ import annotations

import argparse
import json
import re
import sqlite3

import numpy as np
import pytest
from PIL import Image

from gapeval.adapters.scripted import ScriptedAdapter
from gapeval.bank import dynamic_key, load_bank
from gapeval.bank import BankImage, BankText
from gapeval.cli.score import register
from gapeval.errors import GapevalError, ScoringWarning
from gapeval.records import (
    ImagePart, ItemInfo, Message, OutputSpec, TextPart, TurnRequest, TurnResult, derive_seed,
)  # fmt: skip
from gapeval.scoring import judge as protocols
from gapeval.scoring.judge_adapter import adapter_judge
from gapeval.scoring.run_scoring import score_name, score_run
from gapeval.store import Store

BANK = load_bank("builtin")
MODEL = "m"


def bank_part(part, origin="input"):
    if isinstance(part, BankText):
        return TextPart(text=part.text)
    return ImagePart.from_file(BANK.image_path(part.path), origin=origin)


def item_request(item_id: str, sample: int) -> TurnRequest:
    item = BANK.item(item_id)
    if item.direction == "understanding":
        output = OutputSpec(kind="text")
    else:
        reference = BANK.open_image(item.reference)
        output = OutputSpec(kind="image", width=reference.width, height=reference.height)
    return TurnRequest(
        request_id=f"{MODEL}|{item.id}|0|{sample}", model=MODEL, item=item.id, sample=sample,
        seed=derive_seed(0, item.id, None, sample),
        history=(Message(role="user", parts=tuple(bank_part(p) for p in item.prompt)),),
        output=output, info=ItemInfo(pair=item.pair, category=item.category, subtask=item.subtask),
    )  # fmt: skip


def turn_request(dialogue_id: str, turn: int, sample: int, outputs: dict[int, ImagePart]) -> TurnRequest:
    dialogue = next(d for d in BANK.dialogues if d.id == dialogue_id)

    def prompt(index: int) -> Message:
        parts = []
        for part in dialogue.turns[index - 1].prompt:
            if isinstance(part, (BankText, BankImage)):
                parts.append(bank_part(part))
            else:
                parts.append(outputs.get(part.turn) or TextPart(text=f"[image from turn {part.turn} unavailable]"))
        return Message(role="user", parts=tuple(parts))

    history = []
    for earlier in range(1, turn):
        history += [prompt(earlier), Message(role="assistant", parts=(outputs[earlier],))]
    step = dialogue.turns[turn - 1]
    if step.direction == "understanding":
        output = OutputSpec(kind="text")
    else:
        reference = BANK.open_image(step.reference)
        output = OutputSpec(kind="image", width=reference.width, height=reference.height)
    return TurnRequest(
        request_id=f"{MODEL}|{dialogue.id}|{turn}|{sample}", model=MODEL, item=f"{dialogue.id}#{turn}",
        session=dialogue.id, turn=turn, sample=sample, seed=derive_seed(0, dialogue.id, turn, sample),
        history=(*history, prompt(turn)), output=output,
        info=ItemInfo(category=dialogue.category, subtask=step.subtask),
    )  # fmt: skip


def ok(request: TurnRequest, output) -> TurnResult:
    if isinstance(output, str):
        output = TextPart(text=output)
    elif isinstance(output, Image.Image):
        output = ImagePart.from_image(output, origin="model")
    return TurnResult(request_id=request.request_id, status="ok", output=output)


def noise(size: int) -> Image.Image:
    pixels = np.random.default_rng(size).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


START = BANK.open_image("images/session-001-start.png")
TURN1 = BANK.open_image("images/session-001-turn01.png")

#: (unit, turn or 0, sample) -> the score expected under the rule-based scorers (None: unscorable).
EXPECTED = {
    ("compare-001-und", 0, 0): 1.0,   # key B, reply "B"
    ("compare-001-und", 0, 1): 0.0,   # reply "A"
    ("recolour-001-und", 0, 0): 1.0,  # 2 cells
    ("recolour-001-und", 0, 1): 0.0,
    ("recolour-001-und", 0, 2): None,  # no number in the reply
    ("move-001-und", 0, 0): 1.0,      # "White."
    ("move-001-und", 0, 1): 0.0,
    ("count-001-gen", 0, 0): 1.0,     # the reference image
    ("count-001-gen", 0, 1): 0.0,     # a blank image
    ("count-001-gen", 0, 2): None,    # noise: the verifier cannot read it
    ("session-001", 1, 0): 0.0,       # the model returned the unedited start grid
    ("session-001", 2, 0): 1.0,       # "D" (0 orange cells) is right about the model's own grid
    ("session-001", 1, 1): 1.0,       # the model drew the reference
    ("session-001", 2, 1): 0.0,       # "D" is wrong about it (1 orange cell: B)
    ("session-001", 1, 2): None,      # noise
    ("session-001", 2, 2): None,      # no key can be read from the noise
    ("session-001-gold", 1, 0): 0.0,
    ("session-001-gold", 2, 0): 1.0,  # gold history: the key comes from the reference (B)
}  # fmt: skip


def write_run(run_dir, *, manifest=True) -> None:
    with Store(run_dir) as store:
        if manifest:
            config = {"bank": "builtin", "bank_hash": BANK.hash, "seed": 0, "samples": 3,
                      "models": [{"name": MODEL, "adapter": "scripted", "options": {}}], "history": "bank"}
            store.write_manifest({"config": config})  # fmt: skip
        for item_id, replies in {
            "compare-001-und": ["B", "A"],
            "recolour-001-und": ["2", "5", "no idea"],
            "move-001-und": ["White.", "black"],
            "count-001-gen": [BANK.open_image(BANK.item("count-001-gen").reference),
                              Image.new("RGB", (192, 192), "white"), noise(192)],
        }.items():  # fmt: skip
            for sample, reply in enumerate(replies):
                request = item_request(item_id, sample)
                store.put(request, ok(request, reply))
        refused = item_request("clock-001-gen", 0)
        store.put(refused, TurnResult(request_id=refused.request_id, status="refused", error="no"))
        unsupported = item_request("flag-001-gen", 0)
        store.put(unsupported, TurnResult.unsupported(unsupported, "cannot draw"))
        for dialogue_id, sample, image, letter in [
            ("session-001", 0, START, "D"), ("session-001", 1, TURN1, "D"), ("session-001", 2, noise(250), "B"),
            ("session-001-gold", 0, START, "B"),
        ]:  # fmt: skip
            first = turn_request(dialogue_id, 1, sample, {})
            answer = ok(first, image)
            store.put(first, answer)
            second = turn_request(dialogue_id, 2, sample, {1: answer.output})
            store.put(second, ok(second, letter))


@pytest.fixture()
def run(tmp_path):
    write_run(tmp_path / "run")
    return tmp_path / "run"


def score(run_dir, **options):
    """score_run with the bank already loaded (the manifest's bank is read in the other tests)."""
    return score_run(run_dir, bank=BANK, **options)


def stored_scores(run_dir, name):
    with Store(run_dir, create=False) as store:
        return {
            (a.key.unit, a.key.turn or 0, a.key.sample): store.score(a.key, name)
            for a in store.answers() if a.result.status == "ok"
        }  # fmt: skip


def details(run_dir, name):
    connection = sqlite3.connect(run_dir / "answers.sqlite")
    rows = connection.execute(
        "SELECT a.unit, a.turn_key, a.sample, s.details_json FROM scores s JOIN answers a "
        "ON a.id = s.answer_id WHERE s.scorer = ?", (name,)
    ).fetchall()
    connection.close()
    return {(u, t, s): json.loads(d) for u, t, s, d in rows}


def test_dynamic_keys_of_the_fixture_are_what_the_comments_say():
    answer = next(d for d in BANK.dialogues if d.id == "session-001").turns[1].answer
    assert dynamic_key(answer, START).correct == ("D",)
    assert dynamic_key(answer, TURN1).correct == ("B",)


def test_every_stored_answer_gets_its_expected_score(run):
    seen = []
    summary = score_run(run, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 20) for n in range(1, 21)]
    assert summary.name == "rules-fixed" == score_name()
    assert stored_scores(run, "rules-fixed") == EXPECTED
    info = details(run, "rules-fixed")
    assert info[("compare-001-und", 0, 0)] == {
        "scorer": "imug_mcq", "mode": "fixed", "version": "1", "extracted": "B",
        "detail": "expected B, read B: 1 correct, 0 incorrect, format weight 1.0",
    }  # fmt: skip
    assert info[("session-001", 1, 0)]["scorer"] == "verifier:grid"
    assert info[("session-001", 2, 0)]["scorer"] == "imug_mcq"
    assert {d["scorer"] for d in info.values()} == {"imug_mcq", "number", "text", "verifier:scene", "verifier:grid"}
    assert (summary.total("scored"), summary.total("unscorable"), summary.total("skipped")) == (14, 4, 2)
    table = summary.table().set_index(["direction", "scorer"])
    assert table.loc[("generation", "status:refused"), "skipped"] == 1
    assert table.loc[("generation", "status:unsupported"), "skipped"] == 1
    assert table.loc[("understanding", "imug_mcq"), "scored"] == 5
    assert table.loc[("understanding", "imug_mcq"), "mean"] == pytest.approx(3 / 5)
    assert table.loc[("understanding", "dynamic_key"), "unscorable"] == 1
    assert table.loc[("generation", "verifier:grid"), "scored"] == 3
    reasons = {(u.unit, u.turn, u.sample): u.score for u in summary.unscorable}
    assert set(reasons) == {("recolour-001-und", None, 2), ("count-001-gen", None, 2),
                            ("session-001", 1, 2), ("session-001", 2, 2)}  # fmt: skip
    assert reasons[("session-001", 2, 2)].detail.startswith("the image of turn 1 is not a readable 5x5 grid")
    listed = json.loads((run / "unscorable-rules-fixed.json").read_text())
    assert sorted((row["unit"], row["sample"], row["scorer"]) for row in listed) == [
        ("count-001-gen", 2, "verifier:scene"), ("recolour-001-und", 2, "number"),
        ("session-001", 2, "dynamic_key"), ("session-001", 2, "verifier:grid"),
    ]  # fmt: skip


def test_frame_and_names_and_rescoring(run):
    score(run)
    with Store(run, create=False) as store:
        frame = store.to_frame(scorer="rules-fixed")
    assert len(frame) == 14 and frame["score"].sum() == 7.0
    assert set(frame.loc[frame["item"].str.startswith("session"), "turn"]) == {1, 2}
    again = score(run)
    assert (again.total("kept"), again.total("scored"), again.total("unscorable")) == (14, 0, 4)
    compat = score(run, mcq_mode="compat")
    assert compat.name == "rules-compat"
    assert stored_scores(run, "rules-fixed") == EXPECTED == stored_scores(run, "rules-compat")
    assert details(run, "rules-compat")[("compare-001-und", 0, 0)]["mode"] == "compat"
    assert details(run, "rules-fixed")[("compare-001-und", 0, 0)]["mode"] == "fixed"
    realunify = score(run, mcq_rule="realunify", scorer_name="choices")
    assert realunify.name == "choices"
    assert details(run, "choices")[("compare-001-und", 0, 0)]["scorer"] == "realunify_choice"
    with Store(run, create=False) as store:
        assert store.scorers() == ["choices", "rules-compat", "rules-fixed"]
    redone = score(run, rescore=True)
    assert (redone.total("kept"), redone.total("scored")) == (0, 14)
    assert stored_scores(run, "rules-fixed") == EXPECTED


def judge_script(request: TurnRequest) -> str:
    """Malformed first; with the reminder, 5 for every listed evaluation point."""
    prompt = request.history[-1].text
    if protocols.IMUG_POINTS.reminder not in prompt:
        return "It looks good to me, I would say 5."
    listing = prompt.split("[Evaluation Points List]:")[1].split("Please output")[0]
    count = len(re.findall(r"^\d+\. ", listing, flags=re.M))
    rows = ", ".join(f'{{"point_id": {i}, "score": 5}}' for i in range(1, count + 1))
    return f'{{"evaluation_results": [{rows}]}}'


def test_judge_scores_what_the_verifier_cannot_read_and_caches(run):
    adapter = ScriptedAdapter(judge_script)
    judge = adapter_judge(adapter)
    summary = score(run, judge=judge)
    assert summary.name == f"rules-fixed+judge-{judge.fingerprint[:8]}"
    expected = {**EXPECTED, ("count-001-gen", 0, 2): 1.0, ("session-001", 1, 2): 1.0}
    assert stored_scores(run, summary.name) == expected
    info = details(run, summary.name)
    assert info[("count-001-gen", 0, 2)]["scorer"] == "judge_points"
    assert info[("count-001-gen", 0, 2)]["judge"] == judge.fingerprint
    (call,) = info[("count-001-gen", 0, 2)]["judge_calls"]  # the evidence is stored with the score
    from gapeval.scoring.judge import IMUG_POINTS

    assert call["template_hash"] == IMUG_POINTS.hash and call["replies"] and not call["cache_hit"]
    assert call["parsed"] is not None
    assert info[("count-001-gen", 0, 2)]["detail"].startswith("verifier unscorable")
    assert "judge" not in info[("count-001-gen", 0, 0)]
    assert adapter.calls == 4 and summary.judge_calls == 4 and summary.cache_hits == 0
    assert stored_scores(run, "rules-fixed") == {key: None for key in EXPECTED}
    fresh = ScriptedAdapter(judge_script)
    second = score(run, judge=adapter_judge(fresh), rescore=True)
    assert fresh.calls == 0 and second.cache_hits == 2 and second.judge_calls == 0
    assert stored_scores(run, summary.name) == expected
    with pytest.warns(ScoringWarning, match="2 answer\\(s\\) became unscorable"):
        stale = score(run, scorer_name=summary.name, rescore=True)
    assert stale.stale == 2 and stored_scores(run, summary.name) == EXPECTED  # judged scores removed


def test_unreadable_judge_replies_stay_unscorable_and_are_asked_again(run):
    adapter = ScriptedAdapter(default="no format at all")
    judge = adapter_judge(adapter)
    first = score(run, judge=judge, judge_attempts=2)
    assert stored_scores(run, first.name) == EXPECTED
    assert adapter.calls == 4
    again = score(run, judge=judge, judge_attempts=2)
    assert adapter.calls == 8 and again.total("kept") == 14
    without = score(run)
    assert stored_scores(run, without.name) == EXPECTED


def test_bad_runs_and_options_raise(tmp_path, run):
    with pytest.raises(FileNotFoundError):
        score_run(tmp_path / "nothing")
    write_run(tmp_path / "bare", manifest=False)
    with pytest.raises(GapevalError, match="no manifest naming its bank"):
        score_run(tmp_path / "bare")
    assert score_run(tmp_path / "bare", bank=BANK).total("scored") == 14
    with Store(run, create=False) as store:
        store.write_manifest({"config": {"bank": "builtin", "bank_hash": "sha256:other"}})
    with pytest.raises(GapevalError, match="score with the bank the run used"):
        score_run(run)
    with pytest.raises(GapevalError, match="unknown mcq_mode"):
        score_run(run, mcq_mode="loose")
    with pytest.raises(GapevalError, match="score name"):
        score_run(run, scorer_name="no spaces please")
    with pytest.raises(GapevalError, match="has no fingerprint"):
        score_run(run, judge=lambda parts: "1")


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="gapeval")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["score", *argv])
    return args.handler(args)


def test_cli_prints_the_summary_and_fails_in_one_line(run, tmp_path, capsys):
    assert cli(str(run), "--mcq-mode", "compat") == 0
    out = capsys.readouterr().out
    assert out.startswith("scores 'rules-compat':")
    assert "14 scored, 4 unscorable, 0 kept, 2 skipped" in out
    assert stored_scores(run, "rules-compat") == EXPECTED
    assert cli(str(tmp_path / "missing")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gapeval score: error: no gapeval store")
    assert cli(str(run), "--judge", "nope") == 2
    assert "unknown adapter 'nope'" in capsys.readouterr().err
    assert cli(str(run), "--judge", "scripted:default=VERDICT,name=j", "--name", "judged") == 0
    out = capsys.readouterr().out
    assert "scores 'judged':" in out and "6 judge calls" in out


def test_judged_keys_and_points_in_a_dialogue_of_a_custom_bank(tmp_path):
    from gapeval.bank import BankText as Text, BankTurnImage, Dialogue, JudgedMcqAnswer, PointsAnswer, Turn
    from gapeval.bank import write_bank

    question = "How many circles are in your drawing?\nA. one\nB. two\nC. three"
    dialogue = Dialogue(id="d1", category="interleaved", turns=(
        Turn(index=1, direction="generation", subtask="draw", prompt=(Text(text="Draw two red circles."),),
             answer=PointsAnswer(points=("two red circles",))),
        Turn(index=2, direction="understanding", subtask="describe", prompt=(Text(text="Describe it."),),
             answer=PointsAnswer(points=("mentions two circles",))),
        Turn(index=3, direction="understanding", subtask="count",
             prompt=(BankTurnImage(turn=1, source="output"), Text(text=question)),
             answer=JudgedMcqAnswer(source_turns=(1, 2), options=("one", "two", "three"))),
    ))  # fmt: skip
    write_bank(tmp_path / "bank", [dialogue])
    bank = load_bank(tmp_path / "bank")
    drawing = ImagePart.from_image(noise(32), origin="model")
    with Store(tmp_path / "run") as store:
        store.write_manifest({"config": {"bank": str(tmp_path / "bank"), "bank_hash": bank.hash}})
        for sample, (description, letter) in enumerate([("Two red circles.", "B"), ("Circles.", "A")]):
            replies = {1: drawing, 2: TextPart(text=description), 3: TextPart(text=letter)}
            for turn, reply in replies.items():
                kind = OutputSpec(kind="image", width=32, height=32) if turn == 1 else OutputSpec(kind="text")
                request = TurnRequest(
                    request_id=f"m|d1|{turn}|{sample}", model="m", item=f"d1#{turn}", session="d1", turn=turn,
                    sample=sample, seed=0, output=kind,
                    history=(Message(role="user", parts=(TextPart(text=dialogue.turns[turn - 1].prompt[-1].text),)),),
                )  # fmt: skip
                store.put(request, TurnResult(request_id=request.request_id, status="ok", output=reply))
    asked = []

    def script(request):
        prompt = request.history[-1].text
        asked.append((prompt, [image.sha256 for image in request.images]))
        if "multiple-choice question" in prompt:
            return "B"
        score = 5 if "[Answer]:\nTwo red circles." in prompt else 3
        return f'{{"evaluation_results": [{{"point_id": 1, "score": {score}}}]}}'

    adapter = ScriptedAdapter(script)
    summary = score_run(tmp_path / "run", judge=adapter_judge(adapter), scorer_name="judged")
    assert stored_scores(tmp_path / "run", "judged") == {
        ("d1", 1, 0): 0.6, ("d1", 2, 0): 1.0, ("d1", 3, 0): 1.0,
        ("d1", 1, 1): 0.6, ("d1", 2, 1): 0.6, ("d1", 3, 1): 0.0,
    }  # fmt: skip
    key_questions = [(prompt, images) for prompt, images in asked if "multiple-choice" in prompt]
    assert len(key_questions) == 2 and key_questions[0][1] == [drawing.sha256]
    assert "[Answer given at turn 2]: Two red circles.\n" in key_questions[0][0]
    assert "[Answer given at turn 2]: Circles.\n" in key_questions[1][0]
    info = details(tmp_path / "run", "judged")
    assert info[("d1", 3, 0)]["scorer"] == "judged_mcq" and info[("d1", 2, 0)]["scorer"] == "judge_points"
    assert adapter.calls == 5 and summary.total("scored") == 6
    rules = score_run(tmp_path / "run")
    assert rules.total("unscorable") == 6 and rules.total("scored") == 0
    assert all("needs a judge" in u.score.detail for u in rules.unscorable)
