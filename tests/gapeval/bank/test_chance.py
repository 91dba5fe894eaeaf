"""Chance levels from the bank's answer specs (the Gap Score's chance column)."""

from __future__ import annotations

from gapeval.bank import (
    DynamicMcqAnswer,
    JudgedMcqAnswer,
    McqAnswer,
    NumberAnswer,
    answer_chance,
    chance_levels,
    load_bank,
)


def test_answer_chance_is_one_over_the_options_for_single_answer_multiple_choice():
    assert answer_chance(McqAnswer(options=tuple("abcde"), correct=("C",))) == 0.2
    assert answer_chance(McqAnswer(options=tuple("abcd"), correct=("A", "B"))) == 0.0
    assert answer_chance(DynamicMcqAnswer(source_turn=1, rows=2, cols=2, query={"op": "count"},
                                          options=("1", "2", "3", "none of these"))) == 0.25
    assert answer_chance(JudgedMcqAnswer(source_turns=(1,))) == 0.0
    assert answer_chance(JudgedMcqAnswer(source_turns=(1,), options=("x", "y"))) == 0.5
    assert answer_chance(NumberAnswer(value=3.0)) == 0.0


def test_chance_levels_cover_items_and_dialogue_turns_with_the_long_tables_ids():
    bank = load_bank("builtin")
    levels = chance_levels(bank).set_index("item")["chance"]
    assert len(levels) == len(bank.items) + sum(len(d.turns) for d in bank.dialogues)
    for item in bank.items:
        assert levels[item.id] == answer_chance(item.answer)
    for dialogue in bank.dialogues[:3]:
        for turn in dialogue.turns:
            assert levels[f"{dialogue.id}#{turn.index}"] == answer_chance(turn.answer)
