"""Compat scorers against the anchors' reference code: IMUG-Bench's dynamic MCQ keys and cube grids,
RealUnify's case-sensitive polling keys."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from gapeval.bank import JudgedMcqAnswer, PointsAnswer, VerifierAnswer
from gapeval.records import ImagePart, TextPart
from gapeval.scoring.dispatch import JUDGED_MCQ_KEY_JSON, score_answer
from gapeval.scoring.judge_parse import polling_value
from gapeval.scoring.mcq import imug_dynamic_key, read_determined_answer, score_imug_mcq
from gapeval.scoring.verifiers import score_image
from gapeval.scoring.verifiers.imug_grid import grid_point_scores, read_cube_grid, verify_imug_grid
from tests.gapeval.scoring.scripted_judge import Judge


def noise() -> ImagePart:
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    return ImagePart.from_image(Image.fromarray(pixels), origin="model")


# --- the reference, transcribed as an oracle (IMUG-Bench scripts/auxiliary) -------------------

def _reference_key(raw_answer: str, judge_reply: str) -> str:
    """resolve_dynamic_answers.save_answer: the stored key."""
    payload = json.loads(re.search(r"(\{.*\})", judge_reply, re.DOTALL).group(1))
    determined = str(payload.get("determined_answer", "")).upper()
    fixed = set(re.findall(r"[A-G]", raw_answer.split("<DYNAMIC>")[0]))
    return "".join(sorted(fixed | set(re.findall(r"[A-G]", determined))))


def _reference_score(answer: str, response: str) -> float:
    """score_mcq.calculate_score."""
    expected = set(re.findall(r"\b([A-G])\b", answer)) if answer else set()
    predicted = set(re.findall(r"\b([A-G])\b", response)) if response else set()
    if not expected:
        return 0.0
    stripped = response.strip() if response else ""
    weight = 0 if not response else 1.0 if re.fullmatch(r"[A-G]+", stripped) else (
        0.75 if re.fullmatch(r"[A-G\s,.;\-]+", stripped) else 0.5)
    return round(max(0.0, (len(predicted & expected) - len(predicted - expected)) / len(expected)) * weight, 4)


SEVEN = tuple("one two three four five six seven".split())


@pytest.mark.parametrize(
    ("raw", "fixed", "determined", "reply", "compat", "judge_says", "fixed_mode"),
    [
        ("<DYNAMIC>", (), "B", "B", 1.0, "B", 1.0),           # one letter: the reference reads it
        ("A+<DYNAMIC>", ("A",), "C", "A, C", 0.0, "C", 0.75),  # "AC": the reference reads no letter
        ("A+<DYNAMIC>", ("A",), "C", "AC", 0.0, "C", 1.0),
        ("<DYNAMIC>", (), "bd", "B, D", 0.0, "B, D", 0.75),   # the judge's lower case is upper-cased
        ("<DYNAMIC>", (), "NONE", "E", 1.0, "NONE", None),    # the reference finds an E in "NONE"
        ("A+<DYNAMIC>", ("A",), "", "A", 1.0, "A", 1.0),       # nothing resolved: the fixed letter
        ("<DYNAMIC>", (), "G", "G", 1.0, "G", 1.0),            # options run to G
    ],
)
def test_dynamic_multiple_choice_scores_as_the_reference(raw, fixed, determined, reply, compat, judge_says,
                                                         fixed_mode):
    judge_reply = json.dumps({"determined_answer": determined, "reasoning": "from turn 1"})
    assert _reference_score(_reference_key(raw, judge_reply), reply) == compat
    spec = JudgedMcqAnswer(source_turns=(1,), options=SEVEN, fixed=fixed)
    question = "Which colours did you use?\nA. red\nB. blue\nC. green\nD. white\nE. none"
    got = score_answer(spec, TextPart(text=reply), judge=Judge(judge_reply), mcq_mode="compat",
                       instruction=question, context_images=[noise()])
    assert (got.value, got.scorer, got.mode) == (compat, "judged_mcq", "compat")
    # fixed mode asks for letters only; a reply without one (NONE) is unscorable, never a guess
    fixed_score = score_answer(spec, TextPart(text=reply), judge=Judge(judge_says), instruction=question)
    assert fixed_score.value == (None if fixed_mode is None else pytest.approx(fixed_mode))


def test_compat_asks_for_and_reads_the_reference_reply_format():
    spec = JudgedMcqAnswer(source_turns=(1,), options=SEVEN, multiple=True)
    judge = Judge('Here: {"determined_answer": "B", "reasoning": "blue square"}')
    got = score_answer(spec, TextPart(text="B"), judge=judge, mcq_mode="compat", instruction="Q?",
                       context_images=[noise()])
    assert got.value == 1.0 and "judge key 'B'" in got.detail
    prompt = judge.prompts[0][-1]
    question = "Q?\n(One or more options may be right; give all of them.)"
    assert prompt == JUDGED_MCQ_KEY_JSON.render(question=question)
    # a reply without the JSON object: the reference fails and leaves the turn unscored
    unread = score_answer(spec, TextPart(text="B"), judge=Judge("B"), mcq_mode="compat", judge_attempts=2)
    assert unread.status == "unscorable" and "2 attempt(s)" in unread.detail


@settings(max_examples=200, deadline=None)
@given(determined=st.text(alphabet="ABCDEFGHXYZabcg ,", max_size=8),
       fixed=st.lists(st.sampled_from("ABCDEFG"), max_size=3, unique=True),
       reply=st.text(alphabet="ABCDEFG ,.;-xy", max_size=10))
def test_compat_key_and_score_equal_the_reference_on_random_input(determined, fixed, reply):
    raw = "+".join([*fixed, "<DYNAMIC>"])
    judge_reply = json.dumps({"determined_answer": determined})
    key = imug_dynamic_key(read_determined_answer(judge_reply), fixed=tuple(fixed))
    assert key == _reference_key(raw, judge_reply)
    assert score_imug_mcq(reply, key=key).value == _reference_score(key, reply)


def test_polling_compat_compares_keys_case_sensitively():
    # RealUnify's eval_generation.py: response_text == gt_answer after lower-casing the reply only.
    assert polling_value(["yes"], ["Yes"], mode="compat") == 0.0
    assert polling_value(["yes"], ["Yes"]) == 1.0
    spec = PointsAnswer(points=("Is there a red apple? (expected: Yes)",))
    image = noise()
    compat = score_answer(spec, image, judge=Judge("yes"), judge_mode="compat")
    robust = score_answer(spec, image, judge=Judge("yes"))
    assert (compat.value, compat.scorer, compat.mode) == (0.0, "judge_polling", "compat")
    assert "key 'Yes'" in compat.detail
    assert (robust.value, robust.mode) == (1.0, "robust")
    lower = score_answer(PointsAnswer(points=("Is there a red apple? (expected: yes)",)), image,
                         judge=Judge("Yes, there is."), judge_mode="compat")
    assert lower.value == 1.0


# --- IMUG-Bench cube grids (score_grid.py) -----------------------------------------------------

TRUTH = [["g", "r", "0"], ["0", "0", "0"], ["1", "0", "0"]]
_FILL = {"r": (220, 30, 30), "g": (40, 170, 60), "1": (200, 200, 200)}


def render(grid, *, size=330, margin=15) -> Image.Image:
    """A thin-lined 3 x 3 grid with outlined cubes, as the cube turns ask models to draw."""
    picture = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(picture)
    cell = (size - 2 * margin) / 3
    for i in range(4):
        at = margin + i * cell
        draw.line([(at, margin), (at, size - margin)], fill=(120, 120, 120), width=1)
        draw.line([(margin, at), (size - margin, at)], fill=(120, 120, 120), width=1)
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if value != "0":
                x, y = margin + c * cell + 15, margin + r * cell + 15
                draw.rectangle([x, y, x + cell - 30, y + cell - 30], fill=_FILL[value], outline=(0, 0, 0), width=4)
    return picture


@pytest.mark.parametrize(
    ("detected", "points", "expected"),
    [
        (TRUTH, 4, (5, 5, 5, 5)),
        ([["r", "r", "0"], ["0", "0", "0"], ["1", "0", "0"]], 4, (5, 5, 0, 0)),  # green lost, red extra
        ([["g", "1", "0"], ["0", "0", "0"], ["1", "0", "0"]], 4, (5, 5, 0, 5)),  # red missing
        ([["g", "r", "1"], ["0", "0", "0"], ["1", "0", "0"]], 4, (5, 0, 0, 0)),  # structure differs: stop
        (TRUTH, 3, (5, 5, 5)),
        (TRUTH, 1, (5, 5)),                                                       # the reference adds point 2
        ([["1", "1", "1"], ["0", "0", "0"], ["0", "0", "0"]], 1, (5,)),
        (None, 3, (0, 0, 0)),
    ],
)
def test_grid_points_follow_the_reference_rule(detected, points, expected):
    assert grid_point_scores(detected, TRUTH, points) == expected


def test_grid_verifier_reads_renderings_and_scores_partially():
    assert read_cube_grid(render(TRUTH)) == TRUTH
    other = [["1", "0", "0"], ["0", "0", "0"], ["0", "0", "1"]]
    assert read_cube_grid(render(other)) == other
    jpeg_path = render(TRUTH)
    from io import BytesIO

    buffer = BytesIO()
    jpeg_path.save(buffer, format="JPEG", quality=75)
    assert read_cube_grid(Image.open(buffer)) == TRUTH
    wrong = render([["r", "r", "0"], ["0", "0", "0"], ["1", "0", "0"]])
    result = verify_imug_grid(wrong, grid=TRUTH, points=4)
    assert (result.status, result.score, result.readout["points"]) == ("fail", 0.5, [5, 5, 0, 0])
    spec = VerifierAnswer(verifier="imug_grid", params={"grid": TRUTH, "points": 4})
    assert score_image(spec, render(TRUTH)).value == 1.0
    scored = score_image(spec, wrong)
    assert (scored.value, scored.scorer) == (0.5, "verifier:imug_grid")
    blank = score_image(spec, Image.new("RGB", (300, 300), "white"))
    assert blank.value == 0.0 and "no grid found" in blank.detail


def test_grid_verifier_refuses_bad_ground_truth():
    with pytest.raises(ValueError, match=r"the ground truth has cells \['x'\]"):
        grid_point_scores(TRUTH, [["x", "0", "0"], ["0", "0", "0"], ["0", "0", "0"]], 2)
    with pytest.raises(ValueError, match="must be 3 rows of 3 cells"):
        verify_imug_grid(render(TRUTH), grid=[["1", "0"]], points=2)
