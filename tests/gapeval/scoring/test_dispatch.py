"""score_answer: the scorer each answer spec calls for, wrong output kinds, judges and their failures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gapeval.bank import (
    DynamicMcqAnswer,
    JudgedMcqAnswer,
    McqAnswer,
    NumberAnswer,
    PointsAnswer,
    TextAnswer,
    VerifierAnswer,
    load_bank,
)
from gapeval.errors import GapevalError
from gapeval.records import ImagePart, TextPart
from gapeval.scoring.dispatch import JUDGED_MCQ_KEY, TEXT_POINTS, score_answer
from gapeval.scoring.judge import IMUG_POINTS
from gapeval.scoring.judge_adapter import JudgeError
from tests.gapeval.scoring.scripted_judge import Judge


@pytest.fixture(scope="module")
def bank():
    return load_bank("builtin")


def text(value: str) -> TextPart:
    return TextPart(text=value)


def image(pil: Image.Image) -> ImagePart:
    return ImagePart.from_image(pil, origin="model")


def noise(size=(192, 192)) -> ImagePart:
    pixels = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return image(Image.fromarray(pixels))


def points_reply(*scores: int) -> str:
    rows = ", ".join(f'{{"point_id": {i}, "score": {s}}}' for i, s in enumerate(scores, 1))
    return f'{{"evaluation_results": [{rows}]}}'


MCQ_AC = McqAnswer(options=("red", "blue", "green", "cyan"), correct=("A", "C"))
MCQ_B = McqAnswer(options=("red", "blue", "green", "cyan"), correct=("B",))


@pytest.mark.parametrize(
    ("spec", "reply", "options", "expected"),
    [
        (MCQ_AC, "AC", {}, (1.0, "imug_mcq", "fixed")),
        (MCQ_AC, "AC", {"mcq_mode": "compat"}, (0.0, "imug_mcq", "compat")),
        (MCQ_AC, "A, B, C", {"mcq_mode": "compat"}, (0.375, "imug_mcq", "compat")),
        (MCQ_B, "After careful analysis the answer is B", {"mcq_rule": "realunify", "mcq_mode": "compat"},
         (0.0, "realunify_choice", "compat")),
        (MCQ_B, "After careful analysis the answer is B", {"mcq_rule": "realunify"},
         (1.0, "realunify_choice", "robust")),
        (NumberAnswer(value=2.5, tolerance=0.1), "about 2.58", {}, (1.0, "number", "lenient")),
        (NumberAnswer(value=2.5, tolerance=0.1), "2.7", {}, (0.0, "number", "lenient")),
        (NumberAnswer(value=2.5), "The answer is 2.5", {"number_mode": "strict"}, (0.0, "number", "strict")),
        (TextAnswer(value="Eiffel Tower", aliases=("Tour Eiffel",)), "tour eiffel!", {}, (1.0, "text", "normalized")),
        (TextAnswer(value="Eiffel Tower"), "eiffel tower", {"text_mode": "exact"}, (0.0, "text", "exact")),
        (TextAnswer(value="red square"), "it is a red square", {"text_mode": "contains"}, (1.0, "text", "contains")),
    ],
)  # fmt: skip
def test_text_specs_use_their_rule_and_mode(spec, reply, options, expected):
    score = score_answer(spec, text(reply), **options)
    assert (score.value, score.scorer, score.mode) == expected
    assert score.version


def test_unscorable_text_answers_have_no_value():
    assert score_answer(NumberAnswer(value=3), text("no idea")).status == "unscorable"
    multi = score_answer(MCQ_AC, text("A"), mcq_rule="realunify")
    assert (multi.status, multi.value, multi.scorer) == ("unscorable", None, "realunify_choice")
    assert "single-answer" in multi.detail


def test_wrong_output_kind_scores_zero_and_says_so(bank):
    drawn = score_answer(MCQ_B, image(Image.new("RGB", (8, 8))))
    assert (drawn.value, drawn.scorer, drawn.mode) == (0.0, "output_kind", "strict")
    assert drawn.detail.startswith("wrong output kind")
    written = score_answer(bank.item("count-001-gen").answer, text("a purple triangle"))
    assert (written.value, written.scorer) == (0.0, "output_kind")


def test_no_output_is_unscorable():
    score = score_answer(MCQ_B, None)
    assert (score.status, score.value, score.scorer) == ("unscorable", None, "no_output")


def test_bad_options_and_dynamic_specs_raise():
    with pytest.raises(GapevalError, match="unknown mcq_mode 'loose'"):
        score_answer(MCQ_B, text("B"), mcq_mode="loose")
    with pytest.raises(GapevalError, match="unknown text_mode"):
        score_answer(MCQ_B, text("B"), text_mode="fuzzy")
    dynamic = DynamicMcqAnswer(source_turn=1, rows=2, cols=2, query={"op": "count", "colour": "red"},
                               options=("1", "2"))  # fmt: skip
    with pytest.raises(GapevalError, match="resolve it first"):
        score_answer(dynamic, text("A"))


def test_verifier_reads_reference_blank_and_noise(bank):
    item = bank.item("count-001-gen")
    reference = ImagePart.from_file(bank.image_path(item.reference), origin="model")
    good = score_answer(item.answer, reference)
    assert (good.value, good.scorer, good.mode) == (1.0, "verifier:scene", "exact")
    blank = score_answer(item.answer, image(Image.new("RGB", (192, 192), "white")))
    assert (blank.value, blank.scorer) == (0.0, "verifier:scene")
    unread = score_answer(item.answer, noise())
    assert (unread.status, unread.scorer) == ("unscorable", "verifier:scene")


def test_unreadable_image_falls_back_to_the_judge_on_the_points(bank):
    item = bank.item("count-001-gen")
    judge = Judge(points_reply(4, 2))
    score = score_answer(item.answer, noise(), judge=judge, instruction="Draw one purple triangle.")
    assert score.value == pytest.approx(0.6)
    assert (score.scorer, score.mode) == ("judge_points", "strict")
    assert score.detail.startswith("verifier unscorable (not a flat-colour rendering")
    (prompt,) = judge.prompts
    assert isinstance(prompt[0], ImagePart) and "Draw one purple triangle." in prompt[1]
    assert "1. exactly 1 purple triangle" in prompt[1]
    no_points = VerifierAnswer(verifier="scene", params=item.answer.params)
    alone = score_answer(no_points, noise(), judge=Judge(points_reply(5)))
    assert alone.status == "unscorable" and "no points for a judge" in alone.detail


def test_points_need_a_judge_and_use_the_protocol_of_their_form():
    spec = PointsAnswer(points=("a red square", "on white"))
    missing = score_answer(spec, noise())
    assert (missing.status, missing.scorer) == ("unscorable", "judge_points")
    assert "needs a judge" in missing.detail
    judge = Judge(points_reply(5, 5))
    drawn = score_answer(spec, noise(), judge=judge, instruction="Draw a red square.",
                         context_images=[image(Image.new("RGB", (4, 4), "blue"))])  # fmt: skip
    assert drawn.value == 1.0 and len(judge.prompts[0]) == 3
    assert IMUG_POINTS.render(instruction="Draw a red square.", points="1. a red square\n2. on white") \
        == judge.prompts[0][2]
    judge = Judge(points_reply(5, 0))
    written = score_answer(spec, text("A blue circle."), judge=judge, instruction="Describe it.")
    assert written.value == 0.5
    assert judge.prompts[0] == [
        TEXT_POINTS.render(instruction="Describe it.\n\n[Answer]:\nA blue circle.",
                           points="1. a red square\n2. on white")
    ]  # fmt: skip
    polling = PointsAnswer(points=("Is there a cat? (expected: yes)", "Is it red? (expected: no)"))
    assert score_answer(polling, noise(), judge=Judge("Yes.", "No.")).value == 1.0
    failed = score_answer(polling, noise(), judge=Judge("Yes.", "Yes."))
    assert (failed.value, failed.scorer, failed.mode) == (0.0, "judge_polling", "robust")
    compat = score_answer(polling, noise(), judge=Judge("Yes.", "No, its eyes are shut"), judge_mode="compat")
    assert (compat.value, compat.mode) == (0.0, "compat")


def test_judged_mcq_key_comes_from_the_judge():
    spec = JudgedMcqAnswer(source_turns=(1,), options=("one", "two", "three"))
    earlier = [noise()]
    question = "How many circles did you draw?\nA. one\nB. two\nC. three"
    judge = Judge("C")
    right = score_answer(spec, text("C"), judge=judge, instruction=question, context_images=earlier)
    assert (right.value, right.scorer, right.mode) == (1.0, "judged_mcq", "fixed")
    assert judge.prompts[0] == [earlier[0], JUDGED_MCQ_KEY.render(question=question)]
    assert score_answer(spec, text("A"), judge=Judge("C"), instruction=question).value == 0.0
    unread = score_answer(spec, text("A"), judge=Judge("I am not sure", "no idea", "maybe D"))
    assert unread.status == "unscorable" and "3 attempt(s)" in unread.detail
    assert score_answer(spec, text("A")).status == "unscorable"


def test_judge_failure_is_unscorable_not_zero():
    def broken(parts):
        raise JudgeError("judge 'j' gave no text reply (error: 503)")

    score = score_answer(PointsAnswer(points=("x",)), noise(), judge=broken)
    assert (score.status, score.value) == ("unscorable", None)
    assert score.detail == "judge call failed: judge 'j' gave no text reply (error: 503)"


def test_judge_attempts_bound_the_calls():
    judge = Judge("unreadable")
    score = score_answer(PointsAnswer(points=("x",)), noise(), judge=judge, judge_attempts=2)
    assert score.status == "unscorable" and len(judge.prompts) == 2
    with pytest.raises(GapevalError, match="max_attempts"):
        score_answer(PointsAnswer(points=("x",)), noise(), judge=judge, judge_attempts=0)
