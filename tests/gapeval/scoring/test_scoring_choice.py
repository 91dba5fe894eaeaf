"""RealUnify single-letter extraction: the compat reproduction and the robust reader."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapeval.errors import GapevalError
from gapeval.scoring.choice import extract_choice_realunify, extract_choice_robust, score_choice

PREFIXES = [
    "The best answer is", "The correct answer is", "The answer is", "The answer",
    "The best option is", "The correct option is", "Best answer:", "Best option:",
    "Answer", "Answer is",
]  # fmt: skip


def reference_extract(response):
    """Oracle: RealUnify eval_understanding.extract_characters_regex, transcribed."""
    response = response.strip()
    for prefix in PREFIXES:
        response = response.replace(prefix, "")
    if len(response.split()) > 10 and not re.search("[ABCD]", response):
        return ""
    found = re.search(r"[ABCD]", response)
    return "" if found is None else found[0]


@pytest.mark.parametrize(
    ("reply", "compat", "robust"),
    [
        ("After careful analysis the answer is B", "A", "B"),
        ("The answer is B", "B", "B"),
        ("B", "B", "B"),
        ("(C).", "C", "C"),
        ("**Answer:** (C)", "C", "C"),
        ("Answer: D", "D", "D"),
        ("The final answer is D. Option A is wrong.", "D", "D"),
        ("\\boxed{B}", "B", "B"),
        ("C. the blue one", "C", "C"),
        ("Based on the image, I choose option C", "B", "C"),
        ("A cat sits on the mat, so C", "A", "C"),
        ("Definitely A", "D", "A"),
        ("I cannot tell", "", None),
        ("", "", None),
    ],
)
def test_compat_defect_and_robust_reading(reply, compat, robust):
    assert extract_choice_realunify(reply) == compat == reference_extract(reply)
    assert extract_choice_robust(reply)[0] == robust


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ABCDEabcd Thenswrio:.()\n", max_size=40))
def test_compat_equals_reference_on_random_strings(reply):
    assert extract_choice_realunify(reply) == reference_extract(reply)


def test_score_choice_compat_versus_robust():
    reply = "After careful analysis the answer is B"
    compat = score_choice(reply, key="B")
    robust = score_choice(reply, key="B", mode="robust")
    assert (compat.value, compat.extracted, compat.mode) == (0.0, "A", "compat")
    assert (robust.value, robust.extracted, robust.mode) == (1.0, "B", "robust")
    assert robust.detail == "read 'B' by rule 'answer phrase', key 'B'"
    assert robust.scorer == compat.scorer == "realunify_choice"


def test_compat_compares_key_exactly_and_robust_normalises_it():
    assert score_choice("B", key=" b").value == 0.0
    assert score_choice("B", key=" b", mode="robust").value == 1.0


def test_robust_no_letter_is_unscorable_not_zero():
    score = score_choice("I cannot tell from the picture", key="A", mode="robust")
    assert score.status == "unscorable" and score.value is None
    assert score.detail == "no choice letter found in the reply"
    assert score_choice("I cannot tell from the picture", key="A").value == 0.0


def test_robust_bad_key_is_unscorable_and_custom_choices_work():
    assert score_choice("E", key="E", mode="robust").status == "unscorable"
    assert score_choice("E", key="E", mode="robust", choices="ABCDE").value == 1.0


def test_invalid_options_raise():
    with pytest.raises(GapevalError, match=r"unknown choice mode 'fixed'; use 'compat'"):
        score_choice("A", key="A", mode="fixed")
    with pytest.raises(GapevalError, match=r"choices must be distinct capital letters"):
        score_choice("A", key="A", choices="AAB")
