"""Property tests: text scorers never raise on arbitrary Unicode and always return a valid score."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gapeval.scoring.choice import score_choice
from gapeval.scoring.mcq import score_imug_mcq
from gapeval.scoring.numbers import score_number
from gapeval.scoring.result import Score
from gapeval.scoring.text import score_text

SYMBOLS = "ABCDEFG abc,.;-()*_`{}\\0123456789/°%−eE\n"
WORDS = ["answer", "is", "final", "boxed", "cm", "kg", "seven", "1,000", "=", "A", "AC"]
# Arbitrary Unicode, plus text biased towards what the scorers look for.
REPLY = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(list(SYMBOLS)), max_size=60),
    st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join),
)


def assert_valid(score: Score, *, scorer: str, mode: str) -> None:
    assert isinstance(score, Score)
    assert (score.scorer, score.mode) == (scorer, mode)
    assert score.version
    if score.status == "scored":
        assert score.value is not None and 0.0 <= score.value <= 1.0
    else:
        assert score.status == "unscorable" and score.value is None and score.detail


@settings(max_examples=200, deadline=None)
@given(reply=REPLY, key=st.text(max_size=10))
def test_imug_mcq_never_raises(reply, key):
    for mode in ("compat", "fixed"):
        assert_valid(score_imug_mcq(reply, key=key, mode=mode), scorer="imug_mcq", mode=mode)


@settings(max_examples=200, deadline=None)
@given(reply=REPLY, key=st.text(max_size=3))
def test_choice_never_raises(reply, key):
    for mode in ("compat", "robust"):
        assert_valid(score_choice(reply, key=key, mode=mode), scorer="realunify_choice", mode=mode)


@settings(max_examples=200, deadline=None)
@given(
    reply=REPLY,
    target=st.floats(allow_nan=False, allow_infinity=False),
    unit=st.sampled_from([None, "m", "cm", "kg", "s", "deg", "%"]),
)
def test_number_never_raises(reply, target, unit):
    for mode in ("lenient", "strict"):
        assert_valid(
            score_number(reply, target=target, abs_tol=0.5, unit=unit, mode=mode),
            scorer="number",
            mode=mode,
        )


@settings(max_examples=200, deadline=None)
@given(reply=REPLY, answers=st.lists(st.text(max_size=20), min_size=1, max_size=3))
def test_text_never_raises(reply, answers):
    for mode in ("exact", "normalized", "contains"):
        assert_valid(score_text(reply, answers=answers, mode=mode), scorer="text", mode=mode)
