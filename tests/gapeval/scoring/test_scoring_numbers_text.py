"""Numbers with tolerance and units; exact and normalised text with aliases."""

from __future__ import annotations

import pytest

from gapeval.errors import GapevalError
from gapeval.scoring.numbers import NUMBER_VERSION, read_numbers, score_number
from gapeval.scoring.text import normalize_text, score_text


@pytest.mark.parametrize(
    ("reply", "kwargs", "value"),
    [
        ("7", {"target": 7}, 1.0),
        ("There are seven circles.", {"target": 7}, 1.0),
        ("I count 3 red and 4 blue, so the answer is 7 shapes", {"target": 7}, 1.0),
        ("The answer is 6, not 7", {"target": 7}, 0.0),
        ("about 3.14", {"target": 3.14159, "abs_tol": 0.01}, 1.0),
        ("about 3.13", {"target": 3.14159, "abs_tol": 0.01}, 0.0),
        ("105", {"target": 100, "rel_tol": 0.05}, 1.0),
        ("106", {"target": 100, "rel_tol": 0.05}, 0.0),
        ("0.30000000000000004", {"target": 0.3}, 1.0),
        ("1,234.5", {"target": 1234.5}, 1.0),
        ("−2", {"target": -2}, 1.0),
        ("3/4", {"target": 0.75}, 1.0),
        ("120 cm", {"target": 1.2, "unit": "m"}, 1.0),
        ("1.2 metres", {"target": 120, "unit": "cm"}, 1.0),
        ("1.2", {"target": 1.2, "unit": "m"}, 1.0),
        ("1.2 kg", {"target": 1.2, "unit": "m"}, 0.0),
        ("90°", {"target": 90, "unit": "degrees"}, 1.0),
        ("2 minutes", {"target": 120, "unit": "s"}, 1.0),
        ("There are 2 in the box", {"target": 2, "unit": "m"}, 1.0),
    ],
)
def test_lenient_numbers(reply, kwargs, value):
    assert score_number(reply, **kwargs).value == value


def test_strict_mode_needs_a_bare_number():
    assert score_number("7.", target=7, mode="strict").value == 1.0
    assert score_number(" 700 cm ", target=7, unit="m", mode="strict").value == 1.0
    bad = score_number("about 7", target=7, mode="strict")
    assert (bad.value, bad.detail) == (0.0, "reply is not a single bare number")


def test_no_number_is_unscorable_with_provenance():
    score = score_number("I am not sure", target=3)
    assert score.status == "unscorable"
    assert (score.scorer, score.mode, score.version) == ("number", "lenient", NUMBER_VERSION)
    assert score.detail == "no number found in the reply"


def test_number_records_what_it_read():
    score = score_number("The answer is 120 cm", target=1.2, unit="m")
    assert score.extracted == "1.2 m"
    assert score.detail.startswith("read 1.2 m (number after the last answer phrase)")


def test_read_numbers_positions_units_and_words():
    assert read_numbers("x = 5 kg, y = twelve, z = 1e3") == [
        (4, 5.0, "kg"), (14, 12.0, None), (26, 1000.0, None),
    ]
    assert read_numbers("3/0 and 1e999") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"abs_tol": -1}, r"tolerances must be >= 0, got abs_tol=-1, rel_tol=1e-09"),
        ({"unit": "parsec"}, r"unknown unit 'parsec'; use one of \["),
        ({"mode": "loose"}, r"unknown number mode 'loose'; use 'lenient' or 'strict'"),
    ],
)
def test_number_options_are_validated(kwargs, message):
    with pytest.raises(GapevalError, match=message):
        score_number("1", target=1, **kwargs)
    with pytest.raises(GapevalError, match=r"target must be a finite number, got nan"):
        score_number("1", target=float("nan"))


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("  The Eiffel-Tower! ", "eiffel tower"),
        ("A red  square.", "red square"),
        ("ＲＥＤ", "red"),
        ("Straße", "strasse"),
        ("an apple, the pear", "apple pear"),
        ("theatre", "theatre"),
        ("$5", "5"),
    ],
)
def test_normalize_text(text, normal):
    assert normalize_text(text) == normal


def test_text_modes_and_aliases():
    aliases = ["Eiffel Tower", "Tour Eiffel"]
    assert score_text("the tour eiffel.", answers=aliases).value == 1.0
    assert score_text("the tour eiffel.", answers=aliases, mode="exact").value == 0.0
    assert score_text("Tour Eiffel", answers=aliases, mode="exact").value == 1.0
    assert score_text("It is a red square", answers="red square", mode="contains").value == 1.0
    assert score_text("It is a red squares", answers="red square", mode="contains").value == 0.0
    assert score_text("It is a red square", answers="red square").value == 0.0
    hit = score_text("Red square!", answers=["blue", "red square"])
    assert (hit.detail, hit.extracted, hit.scorer, hit.mode) == (
        "matched alias 'red square'", "red square", "text", "normalized",
    )


def test_text_key_problems():
    empty = score_text("the", answers=["the", "!"])
    assert empty.status == "unscorable"
    assert "empty after normalisation" in empty.detail
    with pytest.raises(GapevalError, match=r"answers must be a string or a non-empty sequence"):
        score_text("x", answers=[])
    with pytest.raises(GapevalError, match=r"unknown text mode 'fuzzy'"):
        score_text("x", answers="x", mode="fuzzy")
