"""The scripted mock adapter: replies, images, refusals, errors, transient failures, counters."""

from __future__ import annotations

import asyncio

from adapterkit import dialogue_request, image_request, text_request

from gapeval.adapters.scripted import (
    AsyncScriptedAdapter,
    Crash,
    Draw,
    Fail,
    Refuse,
    ScriptedAdapter,
    Transient,
)
from gapeval.records import ImagePart


def test_mapping_script_with_dialogue_keys_taking_precedence():
    adapter = ScriptedAdapter({"q1": "B", ("d1", 2): "from dialogue key", "d1-t2": "from item"})
    results = adapter.run_turns(
        [text_request("q1"), dialogue_request("d1", 2), dialogue_request("d1", 3, item="d1-t2")]
    )
    assert [r.output.text for r in results] == ["B", "from dialogue key", "from item"]
    assert results[0].usage.input_tokens == 2 and results[0].usage.output_tokens == 1


def test_callable_script_sees_the_request():
    adapter = ScriptedAdapter(lambda request: f"{request.item}:{request.sample}")
    results = adapter.run_turns([text_request("q1", sample=3)])
    assert results[0].output.text == "q1:3"


def test_draw_gives_an_rgb_image_of_the_requested_size():
    adapter = ScriptedAdapter({"g1": Draw(colour=(0, 0, 255), shape="square")})
    (result,) = adapter.run_turns([image_request("g1", width=40, height=30)])
    assert result.status == "ok"
    part = result.output
    assert isinstance(part, ImagePart) and part.origin == "model" and part.data is not None
    image = part.open()
    assert (image.mode, image.size) == ("RGB", (40, 30))
    assert image.getpixel((20, 15)) == (0, 0, 255)  # the square in the middle
    assert image.getpixel((0, 0)) == (255, 255, 255)  # white background


def test_default_reply_depends_only_on_seed_and_history_images():
    adapter = ScriptedAdapter()
    first = adapter.run_turns([image_request("g1", history_colour="red")])[0]
    again = adapter.run_turns([image_request("g1", history_colour="red")])[0]
    other_image = adapter.run_turns([image_request("g1", history_colour="green")])[0]
    other_seed = adapter.run_turns([image_request("g1", history_colour="red", seed=12345)])[0]
    assert first.output.sha256 == again.output.sha256
    assert first.output.sha256 != other_image.output.sha256
    assert first.output.sha256 != other_seed.output.sha256
    letters = {adapter.run_turns([text_request(f"q{i}")])[0].output.text for i in range(40)}
    assert letters == {"A", "B", "C", "D"}


def test_refusal_error_crash_and_wrong_kind():
    adapter = ScriptedAdapter(
        {"r": Refuse("No."), "f": Fail("server said no"), "c": Crash("segfault-ish"), "w": Draw("red")}
    )
    results = adapter.run_turns([text_request(item) for item in ("r", "f", "c", "w")])
    assert [r.status for r in results] == ["refused", "error", "error", "error"]
    assert results[0].output.text == "No." and results[0].error == "No."
    assert results[1].error == "server said no" and not results[1].transient
    assert results[2].error == "RuntimeError: segfault-ish"
    assert results[3].error.startswith("script gives Draw Draw(colour='red', shape='circle') for a text turn")


def test_transient_failures_then_success_and_attempt_counting():
    adapter = ScriptedAdapter({"q1": Transient(times=2, retry_after_s=0.5, then="C")})
    statuses = []
    for _ in range(3):
        (result,) = adapter.run_turns([text_request("q1")])
        statuses.append((result.status, result.transient, result.retry_after_s))
    assert statuses == [("error", True, 0.5), ("error", True, 0.5), ("ok", False, None)]
    assert result.output.text == "C"
    assert adapter.attempts[("mock", "q1", 0, 0)] == 3
    assert adapter.calls == 3


def test_unsupported_when_capabilities_exclude_image_output():
    adapter = ScriptedAdapter(capabilities={"image_in": True, "image_out": False, "max_batch": 2})
    results = adapter.run_turns([text_request("q1"), image_request("g1"), text_request("q2"),
                                 text_request("q3")])
    assert [r.status for r in results] == ["ok", "unsupported", "ok", "ok"]
    assert adapter.batch_sizes == [2, 1]


def test_delay_is_paid_once_per_batch_and_a_mapping_overrides_only_what_it_names():
    adapter = ScriptedAdapter(delay_s=0.01, capabilities={"max_batch": 4})
    assert adapter.capabilities().image_out and adapter.capabilities().image_in
    adapter.run_turns([text_request(f"q{i}") for i in range(8)])
    assert adapter.batch_sizes == [4, 4]


def test_fingerprint_is_stable_and_tracks_the_script():
    one = ScriptedAdapter({"q1": "A"}).fingerprint()
    assert one == ScriptedAdapter({"q1": "A"}).fingerprint()
    assert one["script"] != ScriptedAdapter({"q1": "B"}).fingerprint()["script"]
    assert one["adapter"] == "scripted" and "pillow" in one["libraries"]


def test_async_twin_answers_concurrently():
    adapter = AsyncScriptedAdapter({"q1": "A"}, delay_s=0.05)
    adapter.load()

    async def main():
        batches = [[text_request("q1")], [text_request("q2")], [image_request("g1")]]
        return await asyncio.gather(*(adapter.run_turns(batch) for batch in batches))

    results = asyncio.run(main())
    assert results[0][0].output.text == "A"
    assert results[2][0].output.width == 24
    assert adapter.inner.calls == 3
    asyncio.run(adapter.close())
    assert not adapter.inner.loaded
