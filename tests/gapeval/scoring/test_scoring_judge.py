"""Judge protocols with a scripted judge: parsing, retries, unscorable replies and the cache."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapeval.errors import GapevalError
from gapeval.scoring.judge import (
    IMUG_POINTS,
    REALUNIFY_POLLING,
    JudgeImage,
    PromptTemplate,
    RetryPolicy,
    cache_key,
    judge_points,
    judge_polling,
    judge_verdict,
)
from gapeval.scoring.judge_parse import parse_points, parse_verdict, parse_yes_no

IMAGE = JudgeImage(b"\x89PNG fake image bytes")


class ScriptedJudge:
    """Replies from a script, in order, and records every prompt it was given."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.prompts: list[list] = []

    def __call__(self, parts):
        self.prompts.append(list(parts))
        return self.replies.pop(0)


def points_reply(*scores):
    items = ", ".join(f'{{"point_id": {i}, "score": {s}}}' for i, s in enumerate(scores, 1))
    return f'Here you go: {{"evaluation_results": [{items}]}}'


def test_points_mean_over_five_and_provenance():
    judge = ScriptedJudge(points_reply(5, 4, 3))
    result = judge_points(judge, [IMAGE], instruction="Draw", points=["a", "b", "c"])
    assert result.score.value == pytest.approx(0.8)
    assert (result.score.scorer, result.score.mode) == ("judge_points", "strict")
    (call,) = result.calls
    assert call.template_hash == IMUG_POINTS.hash and call.parsed == (5.0, 4.0, 3.0)
    assert call.replies == (points_reply(5, 4, 3),) and not call.cache_hit
    assert judge.prompts[0][0] == IMAGE and "1. a\n2. b\n3. c" in judge.prompts[0][1]


def test_malformed_reply_is_retried_with_the_reminder():
    judge = ScriptedJudge("I'd say 4/5", points_reply(2, 9), points_reply(2, 3))
    result = judge_points(judge, [IMAGE], instruction="Draw", points=["a", "b"])
    assert result.score.value == pytest.approx(0.5)
    assert len(result.calls[0].replies) == 3
    assert judge.prompts[0][1].endswith("Please output JSON results: "
                                        '{"evaluation_results": [{"point_id": 1, "score": 5}]}')
    assert judge.prompts[1][1].endswith(IMUG_POINTS.reminder)


def test_unparseable_after_all_attempts_is_unscorable():
    judge = ScriptedJudge("no", "still no", "nope")
    result = judge_points(judge, [IMAGE], instruction="Draw", points=["a"])
    assert result.score.status == "unscorable"
    assert result.score.detail == (
        "judge reply could not be parsed after 3 attempt(s) (template imug-points v1)"
    )
    assert result.calls[0].replies == ("no", "still no", "nope") and result.calls[0].parsed is None


def test_compat_points_parser_keeps_scored_points_only():
    reply = '{"evaluation_results": [{"point_id": 1, "score": 4}, {"point_id": 2}]}'
    assert parse_points(reply, num_points=2, mode="compat") == (4.0,)
    assert parse_points(reply, num_points=2, mode="strict") is None
    judge = ScriptedJudge(reply)
    result = judge_points(judge, [IMAGE], instruction="x", points=["a", "b"], mode="compat")
    assert result.score.value == pytest.approx(0.8)


def test_second_run_hits_the_cache_and_makes_no_calls():
    cache: dict[str, str] = {}
    first = ScriptedJudge("junk", points_reply(5, 0))
    kwargs = {"instruction": "Draw", "points": ["a", "b"], "cache": cache, "fingerprint": "judge-1"}
    one = judge_points(first, [IMAGE], **kwargs)
    second = ScriptedJudge()
    two = judge_points(second, [IMAGE], **kwargs)
    assert second.prompts == [] and two.calls[0].cache_hit
    assert two.score == one.score and two.calls[0].replies == (points_reply(5, 0),)
    assert len(cache) == 1
    # another judge, image or template version is another key
    other = JudgeImage(b"other bytes")
    assert judge_points(ScriptedJudge(points_reply(1, 1)), [other], **kwargs).score.value == 0.2
    assert len(cache) == 2
    key = cache_key("judge-1", IMUG_POINTS.hash, [IMAGE], "q")
    assert key != cache_key("judge-2", IMUG_POINTS.hash, [IMAGE], "q")
    assert key != cache_key("judge-1", REALUNIFY_POLLING.hash, [IMAGE], "q")


def test_polling_compat_reproduces_substring_defect_and_robust_fixes_it():
    questions = [("Is the cat asleep?", "no"), ("Is the cat black?", "yes")]
    compat = judge_polling(ScriptedJudge("No, its eyes are open."), [IMAGE], questions=questions)
    assert compat.score.value == 0.0 and len(compat.calls) == 1  # stops at first mismatch
    assert compat.score.detail == "question 1 of 2: read 'yes', key 'no'"
    judge = ScriptedJudge("No, its eyes are open.", "Yes")
    robust = judge_polling(judge, [IMAGE], questions=questions, mode="robust")
    assert robust.score.value == 1.0 and [c.parsed for c in robust.calls] == ["no", "yes"]
    assert judge.prompts[0][1] == REALUNIFY_POLLING.render(question="Is the cat asleep?")


def test_polling_empty_replies_compat_zero_robust_unscorable():
    compat = judge_polling(ScriptedJudge(*[""] * 15), [IMAGE], questions=[("Q?", "yes")])
    assert compat.score.value == 0.0 and len(compat.calls[0].replies) == 15
    robust = judge_polling(ScriptedJudge("maybe", "", "perhaps"), [IMAGE],
                           questions=[("Q?", "yes")], mode="robust")  # fmt: skip
    assert robust.score.status == "unscorable"
    bad = judge_polling(ScriptedJudge(), [IMAGE], questions=[("Q?", "maybe")])
    assert bad.score.status == "unscorable" and bad.calls == ()


def test_verdict_protocol():
    judge = ScriptedJudge("I am unsure.", "Hour hand on 3, minute hand on 12.\nVERDICT: 0")
    result = judge_verdict(judge, [IMAGE], question="Draw 3:00", rubric="hands at 3 and 12")
    assert result.score.value == 0.0 and len(result.calls[0].replies) == 2
    assert (result.score.scorer, result.score.mode) == ("judge_verdict", "rubric")
    assert [parse_verdict(r) for r in ("**VERDICT: 1**", "verdict=0", "1.", "10", "")] == [
        1, 0, 1, None, None,
    ]


def test_templates_and_policies_are_validated():
    template = PromptTemplate("t", "1", "{a} and {b}", "again")
    with pytest.raises(GapevalError, match=r"'t' v1 needs fields \['a', 'b'\], got \['a'\]"):
        template.render(a="x")
    assert template.hash != PromptTemplate("t", "2", "{a} and {b}", "again").hash
    with pytest.raises(GapevalError, match=r"max_attempts must be >= 1, got 0"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(GapevalError, match=r"unknown polling mode 'strict'"):
        judge_polling(ScriptedJudge(), [IMAGE], questions=[("Q?", "yes")], mode="strict")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parsers_never_raise(reply):
    for mode in ("compat", "strict"):
        parsed = parse_points(reply, num_points=2, mode=mode)
        assert parsed is None or all(isinstance(s, float) for s in parsed)
    assert parse_yes_no(reply, mode="robust") in ("yes", "no", None)
    compat = parse_yes_no(reply, mode="compat")
    assert compat is None or (compat and isinstance(compat, str))
    assert parse_verdict(reply) in (0, 1, None)
    for judged in (
        judge_points(lambda parts: reply, [], instruction="i", points=["p"]),
        judge_polling(lambda parts: reply, [], questions=[("q", "yes")], mode="robust"),
        judge_verdict(lambda parts: reply, [], question="q", rubric="r"),
    ):
        score = judged.score
        assert score.value is None or 0.0 <= score.value <= 1.0
