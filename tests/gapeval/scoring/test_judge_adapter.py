"""Adapters as judges (the scripted mock), the persistent judge cache, and the protocols end to end."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gapeval.adapters.scripted import AsyncScriptedAdapter, Fail, Refuse, ScriptedAdapter, Transient
from gapeval.errors import GapevalError
from gapeval.records import Decoding, ImagePart, TextPart
from gapeval.scoring import judge as protocols
from gapeval.scoring.judge import judge_points, judge_verdict
from gapeval.scoring.judge_adapter import JudgeError, adapter_judge
from gapeval.scoring.judge_cache import CACHE_NAME, JudgeCache

PICTURE = ImagePart.from_image(Image.new("RGB", (6, 4), "red"), origin="model")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 5), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def test_one_text_turn_with_the_parts_in_order():
    seen = []

    def script(request):
        seen.append(request)
        return "VERDICT: 1"

    judge = adapter_judge(ScriptedAdapter(script), model_name="gpt-judge", seed=7)
    loose = protocols.JudgeImage(png_bytes())
    assert judge([PICTURE, loose, "Is it red?"]) == "VERDICT: 1"
    (request,) = seen
    assert (request.model, request.output.kind, request.session, len(request.history)) == (
        "gpt-judge", "text", None, 1,
    )  # fmt: skip
    first, second, question = request.history[0].parts
    assert first == PICTURE and question == TextPart(text="Is it red?")
    assert (second.sha256, second.width, second.height) == (loose.sha256, 3, 5)
    assert second.read_bytes() == loose.data
    judge([PICTURE, loose, "Is it red?"])
    assert seen[1].seed == request.seed and judge.calls == 2
    judge(["another question"])
    assert seen[2].seed != request.seed


@pytest.mark.parametrize("reply", [Refuse("no"), Fail("model exploded")])
def test_non_ok_results_raise(reply):
    judge = adapter_judge(ScriptedAdapter(default=reply))
    with pytest.raises(JudgeError, match="gave no text reply"):
        judge(["question"])


def test_transient_errors_are_retried_then_raise():
    adapter = ScriptedAdapter(default=Transient(times=2, retry_after_s=0.0, then="VERDICT: 0"))
    judge = adapter_judge(adapter, backoff_s=0)   # the runner's policy: back-off unless the server asks longer
    assert judge(["q"]) == "VERDICT: 0" and judge.calls == 3
    stubborn = adapter_judge(ScriptedAdapter(default=Transient(times=9)), transient_retries=1, backoff_s=0)
    with pytest.raises(JudgeError, match="429 Too Many Requests"):
        stubborn(["q"])
    assert stubborn.calls == 2


def test_bad_parts_and_settings_are_refused():
    judge = adapter_judge(ScriptedAdapter(default="1"))
    with pytest.raises(GapevalError, match="must be text or an image part"):
        judge([Image.new("RGB", (2, 2))])
    with pytest.raises(GapevalError, match="must be >= 0"):
        adapter_judge(ScriptedAdapter(), transient_retries=-1)


def test_fingerprint_follows_script_seed_and_decoding():
    base = adapter_judge(ScriptedAdapter({"q": "1"})).fingerprint
    assert base == adapter_judge(ScriptedAdapter({"q": "1"}), model_name="other").fingerprint
    assert base != adapter_judge(ScriptedAdapter({"q": "0"})).fingerprint
    assert base != adapter_judge(ScriptedAdapter({"q": "1"}), seed=1).fingerprint
    hot = adapter_judge(ScriptedAdapter({"q": "1"}), decoding=Decoding(temperature=0.7))
    assert base != hot.fingerprint


def test_async_adapters_are_driven_on_a_private_loop():
    judge = adapter_judge(AsyncScriptedAdapter(default="VERDICT: 1"))
    assert judge(["q"]) == judge(["r"]) == "VERDICT: 1"
    judge.close()


def test_cache_persists_across_connections(tmp_path):
    with JudgeCache.in_run(tmp_path) as cache:
        cache["a"] = "reply a"
        cache["b"] = "reply b"
        del cache["b"]
        with pytest.raises(KeyError):
            del cache["b"]
    assert (tmp_path / CACHE_NAME).is_file()
    with JudgeCache.in_run(tmp_path) as cache:
        assert dict(cache) == {"a": "reply a"}
        assert ("a" in cache, "b" in cache, cache.lookups, cache.hits) == (True, False, 2, 1)


def test_points_through_an_adapter_retry_and_cache(tmp_path):
    good = '{"evaluation_results": [{"point_id": 1, "score": 4}, {"point_id": 2, "score": 1}]}'

    def script(request):
        prompt = request.history[-1].text
        return good if protocols.IMUG_POINTS.reminder in prompt else "Looks fine, 4 and 1."

    adapter = ScriptedAdapter(script)
    judge = adapter_judge(adapter)
    options = {"instruction": "Draw a red square", "points": ["red", "square"]}
    with JudgeCache.in_run(tmp_path) as cache:
        first = judge_points(judge, [PICTURE], **options, cache=cache, fingerprint=judge.fingerprint)
    assert first.score.value == pytest.approx(0.5) and adapter.calls == 2
    assert first.calls[0].replies == ("Looks fine, 4 and 1.", good)
    with JudgeCache.in_run(tmp_path) as cache:
        again = judge_points(judge, [PICTURE], **options, cache=cache, fingerprint=judge.fingerprint)
        assert again.score == first.score and again.calls[0].cache_hit
        assert adapter.calls == 2
        other = adapter_judge(ScriptedAdapter(script), seed=3)
        judge_points(other, [PICTURE], **options, cache=cache, fingerprint=other.fingerprint)
        assert other.calls == 2


def test_unreadable_replies_are_not_cached(tmp_path):
    adapter = ScriptedAdapter(default="I refuse to use the format")
    judge = adapter_judge(adapter)
    with JudgeCache.in_run(tmp_path) as cache:
        for _ in range(2):
            result = judge_verdict(judge, [PICTURE], question="Red?", rubric="red", cache=cache,
                                   fingerprint=judge.fingerprint)  # fmt: skip
            assert result.score.status == "unscorable"
        assert len(cache) == 0
    assert adapter.calls == 6
