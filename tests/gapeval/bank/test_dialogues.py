"""Interleaved dialogues: dynamic keys follow the model's own images; gold history uses references."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gapeval.bank.dialogues import dynamic_key, evaluate_query, resolve_answer, resolve_prompt
from gapeval.bank.grids import apply_rule
from gapeval.bank.io import load_bank
from gapeval.bank.schema import DynamicGridAnswer, DynamicMcqAnswer, McqAnswer, VerifierAnswer
from gapeval.scenes.grid import read_grid
from gapeval.scenes.render import render_grid
from gapeval.scoring.verifiers import verify


@pytest.fixture(scope="module")
def bank():
    return load_bank("builtin")


def _session(bank, history: str = "model", min_turns: int = 6):
    return next(d for d in bank.dialogues if d.history == history and len(d.turns) >= min_turns)


def test_dynamic_key_changes_with_the_models_earlier_image() -> None:
    answer = DynamicMcqAnswer(source_turn=1, rows=2, cols=2, query={"op": "cell", "row": 1, "col": 2},
                              options=("red", "blue", "green", "none of these"))
    first = render_grid([["white", "red"], ["white", "white"]])
    second = render_grid([["white", "blue"], ["white", "white"]])
    third = render_grid([["white", "purple"], ["white", "white"]])
    assert dynamic_key(answer, first).correct == ("A",)
    assert dynamic_key(answer, second).correct == ("B",)
    assert dynamic_key(answer, third).correct == ("D",)  # not among the options: "none of these"
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    assert dynamic_key(answer, noise) is None


def test_builtin_session_keys_follow_scripted_outputs(bank) -> None:
    dialogue = _session(bank)
    ask = dialogue.turns[1]
    assert isinstance(ask.answer, DynamicMcqAnswer) and ask.answer.source_turn == 1
    gold = bank.open_image(dialogue.turns[0].reference)
    gold_grid = read_grid(gold, rows=ask.answer.rows, cols=ask.answer.cols)
    truth = evaluate_query(gold_grid, ask.answer.query)
    key_gold = resolve_answer(dialogue, 2, outputs={1: gold}, open_image=bank.open_image)
    assert key_gold.options[ord(key_gold.correct[0]) - ord("A")] == truth
    # A different scripted image: paint every cell with a colour absent from the options.
    other_colour = next(c for c in ("purple", "pink", "brown", "orange", "cyan") if c not in ask.answer.options)
    other = render_grid([[other_colour] * ask.answer.cols for _ in range(ask.answer.rows)])
    key_other = resolve_answer(dialogue, 2, outputs={1: other}, open_image=bank.open_image)
    assert key_other != key_gold
    if ask.answer.query["op"] == "cell":
        assert key_other.correct == (chr(ord("A") + len(ask.answer.options) - 1),)
    assert resolve_answer(dialogue, 2, outputs={}, open_image=bank.open_image) is None


def test_dynamic_edit_targets_follow_the_models_image(bank) -> None:
    dialogue = _session(bank)
    edit = dialogue.turns[2]
    assert isinstance(edit.answer, DynamicGridAnswer)
    rows, cols = edit.answer.rows, edit.answer.cols
    mine = [["white"] * cols for _ in range(rows)]
    mine[0][0] = "red"
    expected = resolve_answer(dialogue, 3, outputs={1: render_grid(mine)}, open_image=bank.open_image)
    assert isinstance(expected, VerifierAnswer)
    want = mine
    for rule in edit.answer.transforms:
        want = apply_rule(want, rule)
    assert expected.params["cells"] == want
    assert verify("grid", render_grid(want), expected.params).status == "pass"


def test_gold_history_replaces_outputs_by_references(bank) -> None:
    model = _session(bank)
    gold = next(d for d in bank.dialogues if d.id == model.twin)
    scribble = render_grid([["black"] * 4 for _ in range(4)])
    prompt = resolve_prompt(gold, 2, outputs={1: scribble}, open_image=bank.open_image)
    reference = bank.open_image(gold.turns[0].reference)
    assert isinstance(prompt[0], Image.Image) and prompt[0].tobytes() == reference.tobytes()
    assert prompt[-1].startswith("Look at the grid you just made.")
    model_prompt = resolve_prompt(model, 2, outputs={1: scribble}, open_image=bank.open_image)
    assert model_prompt[0] is scribble
    # In gold history every turn's key is the reference's key, whatever the model drew.
    for index, turn in enumerate(gold.turns, start=1):
        key = resolve_answer(gold, index, outputs={}, open_image=bank.open_image)
        assert key is not None
        if turn.direction == "generation":
            assert verify("grid", bank.open_image(turn.reference), key.params).status == "pass"


def test_gold_references_answer_every_dynamic_turn_correctly(bank) -> None:
    """Replaying the references as the model's outputs passes every turn of every session."""
    for dialogue in (d for d in bank.dialogues if d.history == "model"):
        outputs = {t.index: bank.open_image(t.reference) for t in dialogue.turns if t.direction == "generation"}
        for turn in dialogue.turns:
            answer = resolve_answer(dialogue, turn.index, outputs=outputs, open_image=bank.open_image)
            if isinstance(answer, McqAnswer):
                # the option equal to the truth about the reference grid is the key, never "none of these"
                assert answer.correct[0] != chr(ord("A") + len(answer.options) - 1), (dialogue.id, turn.index)
            else:
                result = verify("grid", outputs[turn.index], answer.params)
                assert result.status == "pass", (dialogue.id, turn.index, result.detail)


def test_turn_input_references_resolve_to_earlier_prompt_images(tmp_path) -> None:
    from gapeval.bank.io import write_bank
    from gapeval.bank.schema import Dialogue, BankImage, TextAnswer, BankText, Turn, BankTurnImage

    red, blue = render_grid([["red"]]), render_grid([["blue"]])
    from gapeval.scenes.render import png_bytes

    first = Turn(index=1, direction="understanding", subtask="look",
                 prompt=(BankText(text="two grids"), BankImage(path="a.png"), BankImage(path="b.png")),
                 answer=TextAnswer(value="ok"))
    second = Turn(index=2, direction="understanding", subtask="again",
                  prompt=(BankTurnImage(turn=1, source="input", index=1), BankText(text="this one again")),
                  answer=TextAnswer(value="blue"))
    write_bank(tmp_path, [Dialogue(id="d", category="c", turns=(first, second))],
               images={"a.png": png_bytes(red), "b.png": png_bytes(blue)})
    bank = load_bank(tmp_path)
    parts = resolve_prompt(bank.dialogues[0], 2, outputs={}, open_image=bank.open_image)
    assert read_grid(parts[0], rows=1, cols=1) == [["blue"]] and parts[1] == "this one again"
    bad = second.model_copy(update={"prompt": (BankTurnImage(turn=1, source="input", index=2),)})
    write_bank(tmp_path, [Dialogue(id="d", category="c", turns=(first, bad))])
    with pytest.raises(ValueError, match="uses input image 2 of turn 1, which has 2 image"):
        load_bank(tmp_path)
