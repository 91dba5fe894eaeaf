"""The OpenAI-compatible HTTP adapter against mock transports (see cases_http.FakeServer)."""

from __future__ import annotations

import asyncio
import base64
import json
import socket

import pytest
from adapterkit import image_request, text_request

httpx = pytest.importorskip("httpx")

from cases_http import BASE_URL, FakeServer, make_adapter  # noqa: E402
from PIL import Image  # noqa: E402

from gapeval.adapters import AsyncAdapter  # noqa: E402
from gapeval.adapters import openai_http as module  # noqa: E402
from gapeval.adapters.openai_http import OpenAIHTTPAdapter  # noqa: E402
from gapeval.errors import GapevalError  # noqa: E402
from gapeval.records import Decoding, ImagePart, Message, TextPart  # noqa: E402

KEY = "sk-test-abcdefghijklmnopqrstuvwxyz0123"


def run(adapter, requests):
    async def go():
        try:
            return await adapter.run_turns(requests)
        finally:
            await adapter.close()

    return asyncio.run(go())


def chat_reply(content=None, *, finish="stop", refusal=None):
    message = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    return httpx.Response(200, json={
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3},
    })


@pytest.fixture
def sleeps(monkeypatch):
    """Record the back-off waits of the caller instead of sleeping."""
    import gapeval.calls

    waits: list[float] = []

    async def fake_sleep(seconds, *args):
        waits.append(seconds)

    monkeypatch.setattr(gapeval.calls.asyncio, "sleep", fake_sleep)
    return waits


def answer_through_the_caller(adapter, request, **policy):
    """Answer ``request`` as the runner and the judges do: through the one retry policy."""
    from gapeval.calls import Caller, CallPolicy

    caller = Caller(adapter, CallPolicy(**policy))
    try:
        return caller.ask(request)
    finally:
        caller.close()


def test_adapter_is_async_and_answers_with_usage_from_the_response():
    server = FakeServer([chat_reply("B")])
    adapter = make_adapter(server)
    assert isinstance(adapter, AsyncAdapter)
    adapter.load()
    (result,) = run(adapter, [text_request("q1")])
    assert (result.status, result.output.text) == ("ok", "B")
    assert (result.usage.input_tokens, result.usage.output_tokens) == (11, 3)
    assert result.raw["finish_reason"] == "stop" and result.latency_s >= 0


def test_429_then_200_is_retried_honouring_retry_after(sleeps):
    server = FakeServer([httpx.Response(429, headers={"Retry-After": "0.25"}), chat_reply("C")])
    adapter = make_adapter(server)
    adapter.load()
    result = answer_through_the_caller(adapter, text_request("q1"), max_retries=1, backoff_s=0.1)
    assert (result.status, result.output.text) == ("ok", "C")
    assert len(server.requests) == 2 and adapter.attempts == 2
    assert sleeps == [0.25]   # the server's Retry-After, longer than the back-off


def test_5xx_and_timeouts_back_off_exponentially_then_succeed(sleeps):
    canned = [httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(500), chat_reply("D")]
    server = FakeServer(canned)
    adapter = make_adapter(server)
    adapter.load()
    result = answer_through_the_caller(adapter, text_request("q1"), max_retries=3, backoff_s=0.5)
    assert result.status == "ok" and len(server.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_exhausted_retries_give_a_transient_error_with_retry_after(sleeps):
    server = FakeServer([httpx.Response(429, headers={"retry-after": "7"})] * 3)
    adapter = make_adapter(server)
    adapter.load()
    result = answer_through_the_caller(adapter, text_request("q1"), max_retries=2, backoff_s=0.01)
    assert result.status == "error" and result.transient and result.retry_after_s == 7.0
    assert result.error == f"HTTP 429 from {BASE_URL}"
    assert len(server.requests) == 3 and sleeps == [7.0, 7.0]


def test_the_adapter_makes_one_attempt_per_turn():
    server = FakeServer([httpx.Response(503), chat_reply("never asked")])
    adapter = make_adapter(server)
    adapter.load()
    (result,) = run(adapter, [text_request("q1")])
    assert result.status == "error" and result.transient and len(server.requests) == 1


def test_other_4xx_is_a_permanent_one_line_error_and_not_retried():
    bad = httpx.Response(400, json={"error": {"message": "max_tokens is too large:\n 99999"}})
    server = FakeServer([bad])
    adapter = make_adapter(server)
    adapter.load()
    (result,) = run(adapter, [text_request("q1")])
    assert result.status == "error" and not result.transient
    assert result.error == (
        f"HTTP 400 from {BASE_URL}/chat/completions: max_tokens is too large: 99999"
    )
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "reply, text",
    [
        (chat_reply(None, refusal="I can't help with that."), "I can't help with that."),
        (chat_reply("partial", finish="content_filter"), "partial"),
    ],
)
def test_refusals_are_recorded_as_refused(reply, text):
    adapter = make_adapter(FakeServer([reply]))
    adapter.load()
    (result,) = run(adapter, [text_request("q1")])
    assert (result.status, result.output.text) == ("refused", text)
    assert result.usage.input_tokens == 11


def test_image_policy_violation_is_refused():
    blocked = httpx.Response(400, json={"error": {
        "code": "content_policy_violation", "message": "Your request was rejected."}})
    adapter = make_adapter(FakeServer([blocked]), image_output=True)
    adapter.load()
    (result,) = run(adapter, [image_request("g1")])
    assert (result.status, result.error) == ("refused", "Your request was rejected.")


def test_unreachable_server_is_an_error_naming_the_url():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    adapter = OpenAIHTTPAdapter(url, "m")
    adapter.load()
    (result,) = run(adapter, [text_request("q1")])
    assert result.status == "error" and not result.transient
    assert result.error.startswith(f"cannot reach {url} (") and "\n" not in result.error
    assert adapter.attempts == 1


def test_payload_holds_the_history_in_order_with_images_as_data_urls():
    red = ImagePart.from_image(Image.new("RGB", (8, 8), "red"), origin="input")
    drawn = ImagePart.from_image(Image.new("RGB", (8, 8), "blue"), origin="model")
    history = (
        Message(role="system", parts=(TextPart(text="Be brief."),)),
        Message(role="user", parts=(TextPart(text="What colour?"), red)),
        Message(role="assistant", parts=(TextPart(text="Red."),)),
        Message(role="user", parts=(TextPart(text="Draw it blue."),)),
        Message(role="assistant", parts=(drawn,)),
        Message(role="user", parts=(TextPart(text="Which colour did you draw?"),)),
    )
    request = text_request(
        "q1", history=history, decoding=Decoding(temperature=0.7, top_p=0.9, max_new_tokens=32)
    )
    server = FakeServer()
    adapter = make_adapter(server, extra_body={"top_k": 5})
    adapter.load()
    (result,) = run(adapter, [request])
    assert result.status == "ok"
    payload = json.loads(server.requests[0].content)
    expected = {"model": "fake-omni", "seed": request.seed, "temperature": 0.7, "top_p": 0.9,
                "max_tokens": 32, "top_k": 5}
    assert {key: payload[key] for key in expected} == expected
    messages = payload["messages"]
    assert [m["role"] for m in messages] == [
        "system", "user", "assistant", "user", "assistant", "user", "user"
    ]
    assert messages[1]["content"][0] == {"type": "text", "text": "What colour?"}
    first_url = messages[1]["content"][1]["image_url"]["url"]
    assert first_url == "data:image/png;base64," + base64.b64encode(red.data).decode()
    assert messages[4]["content"] == "[image]"
    assert messages[5]["content"][0]["text"] == "Image from your previous answer:"
    drawn_url = messages[5]["content"][1]["image_url"]["url"]
    assert drawn_url == "data:image/png;base64," + base64.b64encode(drawn.data).decode()
    assert messages[6]["content"] == [{"type": "text", "text": "Which colour did you draw?"}]


def test_image_turns_use_generations_or_edits_and_are_resized():
    server = FakeServer()
    adapter = make_adapter(server, image_output=True)
    adapter.load()
    plain = image_request("g1", width=20, height=12)
    edit = image_request("g2", history_colour="red")
    results = run(adapter, [plain, edit])
    assert [r.output.open().size for r in results] == [(20, 12), (24, 16)]
    assert [r.raw["endpoint"] for r in results] == ["generations", "edits"]
    by_path = {r.url.path: r for r in server.requests}
    generation = json.loads(by_path["/v1/images/generations"].content)
    assert generation["prompt"] == "Draw g1." and generation["size"] == "20x12"
    body = by_path["/v1/images/edits"].content
    assert edit.images[0].data in body and b'name="prompt"' in body


def test_api_key_is_sent_but_never_leaks(monkeypatch):
    monkeypatch.setenv("FAKE_PROVIDER_KEY", KEY)
    echo = httpx.Response(401, json={"error": {"message": f"Incorrect API key provided: {KEY}"}})
    server = FakeServer([echo, chat_reply("A")])
    adapter = make_adapter(server, api_key_env="FAKE_PROVIDER_KEY", concurrency=1)
    adapter.load()
    results = run(adapter, [text_request("q1"), text_request("q2")])
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert results[0].status == "error" and "$FAKE_PROVIDER_KEY" in results[0].error
    assert results[1].status == "ok"
    exposed = [json.dumps(adapter.fingerprint()), repr(adapter)]
    exposed += [r.model_dump_json() for r in results]
    assert not [text for text in exposed if KEY in text]


def test_missing_key_variable_and_bad_options_are_one_line_errors(monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(GapevalError, match="NO_SUCH_KEY_VAR"):
        make_adapter(api_key_env="NO_SUCH_KEY_VAR").load()
    with pytest.raises(GapevalError, match="not an http"):
        OpenAIHTTPAdapter("localhost:8000", "m")
    with pytest.raises(GapevalError, match="concurrency"):
        make_adapter(concurrency=0)


def test_concurrency_caps_requests_in_flight():
    state = {"now": 0, "most": 0}

    async def slow(request):
        state["now"] += 1
        state["most"] = max(state["most"], state["now"])
        await asyncio.sleep(0.01)
        state["now"] -= 1
        return chat_reply("A")

    adapter = OpenAIHTTPAdapter(BASE_URL, "m", concurrency=2, transport=httpx.MockTransport(slow))
    adapter.load()
    results = run(adapter, [text_request(f"q{i}") for i in range(6)])
    assert [r.status for r in results] == ["ok"] * 6 and state["most"] == 2


def test_the_registry_entry_builds_it_and_reports_missing_options(monkeypatch):
    from gapeval.adapters import ADAPTERS, AdapterOptionError, create_adapter

    monkeypatch.setitem(ADAPTERS, "openai-http", "gapeval.adapters.openai_http:OpenAIHTTPAdapter")
    built = create_adapter("openai-http", {"base_url": "http://localhost:8000/v1", "model": "m"})
    assert built.fingerprint()["base_url"] == "http://localhost:8000/v1"
    with pytest.raises(AdapterOptionError, match="needs option 'model'"):
        create_adapter("openai-http", {"base_url": "http://localhost:8000/v1"})
    with pytest.raises(AdapterOptionError, match="no option 'api_key'"):
        create_adapter("openai-http", {"base_url": "http://x/v1", "model": "m", "api_key": KEY})


def test_credentials_in_the_base_url_stay_out_of_fingerprint_and_errors():
    adapter = OpenAIHTTPAdapter(f"http://user:{KEY}@127.0.0.1:9/v1?key={KEY}", "m")
    adapter.load()
    (result,) = run(adapter, [text_request("q1")])
    assert result.status == "error"
    assert KEY not in result.error + json.dumps(adapter.fingerprint()) + repr(adapter)


def test_a_real_local_server_over_several_event_loops():
    """Sockets, not a mock: one client per event loop (as SyncShim uses), closed cleanly."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "seed": payload["seed"]})
            body = chat_reply(f"seed {payload['seed']}").content
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        adapter = OpenAIHTTPAdapter(f"http://127.0.0.1:{server.server_port}/v1", "m")
        adapter.load()
        first = asyncio.run(adapter.run_turns([text_request("q1")]))
        second = asyncio.run(adapter.run_turns([text_request("q2")]))
        asyncio.run(adapter.close())
    finally:
        server.shutdown()
        server.server_close()
    assert [r.output.text for r in first + second] == [
        f"seed {text_request('q1').seed}", f"seed {text_request('q2').seed}"
    ]
    assert [s["path"] for s in seen] == ["/v1/chat/completions"] * 2


def test_by_default_a_429_goes_back_to_the_runner_which_retries_it():
    from gapeval.calls import Caller, CallPolicy

    server = FakeServer([httpx.Response(429, headers={"Retry-After": "0.05"}), chat_reply("B")])
    adapter = make_adapter(server)
    adapter.load()
    (alone,) = run(make_adapter(FakeServer([httpx.Response(429, headers={"Retry-After": "0.05"})])),
                   [text_request("q0")])
    assert alone.status == "error" and alone.transient and alone.retry_after_s == 0.05
    committed = []
    caller = Caller(adapter, CallPolicy(max_retries=2, backoff_s=0.01))
    caller.answer([text_request("q1")], committed.extend)
    caller.close()
    ((request, result),) = committed
    assert (result.status, result.output.text) == ("ok", "B") and len(server.requests) == 2
