"""The procedural baseline reads prompts and images (never keys) and answers the built-in bank."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from PIL import Image
from respondentkit import item_request, run_dialogue, score_output

from gapeval.bank import load_bank
from gapeval.bank.grids import describe, random_grid, random_rule
from gapeval.records import ImagePart, Message, OutputSpec, TextPart, TurnRequest
from gapeval.respondents.procedural import DONT_KNOW, ProceduralAdapter
from gapeval.respondents.procedural_read import grid_shape, parse_rule, read_clock, read_swatches
from gapeval.scenes.render import render_clock, render_grid, render_scene, render_swatches
from gapeval.scoring.verifiers import verify


@pytest.fixture(scope="module")
def bank():
    return load_bank("builtin")


def ask(*parts, output=None, item="x") -> TurnRequest:
    content = tuple(TextPart(text=p) if isinstance(p, str) else ImagePart.from_image(p, origin="input") for p in parts)
    return TurnRequest(request_id=item, model="procedural", item=item, seed=0,
                       history=(Message(role="user", parts=content),), output=output or OutputSpec(kind="text"))


def reply(request: TurnRequest):
    (result,) = ProceduralAdapter().run_turns([request])
    assert result.status == "ok"
    return result


def test_counts_what_the_image_shows_not_a_key():
    question = "How many red circles are in the image? Answer with a number."
    for n in (2, 5):
        objects = [{"colour": "red", "shape": "circle", "x": 10 + 30 * i, "y": 40, "size": 20} for i in range(n)]
        objects.append({"colour": "red", "shape": "square", "x": 20, "y": 120, "size": 20})
        assert reply(ask(render_scene(objects), question)).output.text == str(n)


def test_edits_the_grid_it_reads():
    grid = [["red", "white", "white"], ["white", "blue", "white"], ["white", "white", "white"]]
    text = ("Edit this 3x3 grid. Instruction: Mirror the grid left to right. Keep the grid size, the gray grid lines "
            "and the white background; change nothing else.")
    result = reply(ask(render_grid(grid), text, output=OutputSpec(kind="image", width=160, height=160)))
    expected = [["white", "white", "red"], ["white", "blue", "white"], ["white", "white", "white"]]
    assert verify("grid", result.output.open(), {"cells": expected}).status == "pass"


def test_honest_fallbacks():
    unknown = reply(ask("What is the airspeed of an unladen swallow?"))
    assert (unknown.output.text, unknown.raw["solver"]) == (DONT_KNOW, "unparsed")
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (96, 96, 3), dtype=np.uint8))
    unreadable = reply(ask(noise, "How many red circles are in the image? Answer with a number."))
    assert (unreadable.output.text, unreadable.raw["solver"]) == (DONT_KNOW, "count:unreadable")
    blank = reply(ask("Draw something nice.", output=OutputSpec(kind="image", width=30, height=20))).output.open()
    assert blank.size == (30, 20) and blank.getcolors() == [(600, (255, 255, 255))]
    wanted = OutputSpec(kind="image", width=16, height=16)
    echoed = reply(ask(Image.new("RGB", (8, 8), "green"), "Improve it.", output=wanted))
    assert echoed.output.open().getcolors() == [(256, (0, 128, 0))]


def test_rule_parser_inverts_describe():
    rng = np.random.default_rng(1)
    for _ in range(200):
        grid = random_grid(rng, size=5, colours=["red", "blue", "green"], density=0.4)
        op = str(rng.choice(["recolour", "mirror", "rotate", "move"]))
        rule = random_rule(rng, grid, op)
        if rule is not None:
            assert parse_rule(describe(rule)) == rule
    paint = {"op": "paint", "row": 3, "col": 1, "colour": "cyan"}
    assert parse_rule(describe(paint)) == paint


def test_readers_read_every_clock_time_and_swatch_pair():
    times = [(h, m) for h in range(1, 13) for m in range(0, 60, 7)]
    assert [read_clock(render_clock(h, m)) for h, m in times] == times
    assert read_swatches(render_swatches(["black", "white"])) == ["black", "white"]
    assert grid_shape(render_grid([["red"] * 7] * 3)) == (3, 7)


def test_answers_in_any_requested_size(bank):
    for item_id in ("clock-040-gen", "count-010-gen", "mirror-005-gen", "flag-003-gen", "spatial_relation-007-gen"):
        item = bank.item(item_id)
        wanted = OutputSpec(kind="image", width=300, height=220)
        request = item_request(bank, item).model_copy(update={"output": wanted})
        result = reply(request)
        assert (result.output.width, result.output.height) == (300, 220)
        assert score_output(item.answer, result).value == 1.0, item_id


def _accuracy(bank, items) -> dict[tuple[str, str], float]:
    requests = [item_request(bank, item) for item in items]
    results = ProceduralAdapter().run_turns(requests)
    table: dict[tuple[str, str], list[float]] = defaultdict(list)
    for item, result in zip(items, results, strict=True):
        table[(item.subtask, item.direction)].append(score_output(item.answer, result).value or 0.0)
    return {key: sum(values) / len(values) for key, values in table.items()}


def test_accuracy_on_a_sample_of_every_subtask(bank):
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for item in bank.items:
        groups[(item.subtask, item.direction)].append(item)
    sample = [item for items in groups.values() for item in items[:: max(1, len(items) // 4)]]
    accuracy = _accuracy(bank, sample)
    assert len(accuracy) == 32
    assert min(accuracy.values()) >= 0.75, accuracy
    assert sum(accuracy.values()) / len(accuracy) >= 0.95


def test_dialogues_in_model_and_gold_history(bank):
    dialogues = [d for d in bank.dialogues if d.id in ("session-004", "session-004-gold", "session-010")]
    for dialogue in dialogues:
        rows = run_dialogue(bank, ProceduralAdapter(), dialogue)
        assert len(rows) == len(dialogue.turns)
        assert all(score is not None and score.value == 1.0 for _, score, _ in rows), dialogue.id


@pytest.mark.slow
def test_accuracy_on_the_whole_builtin_bank(bank):
    accuracy = _accuracy(bank, list(bank.items))
    assert min(accuracy.values()) >= 0.9, accuracy
