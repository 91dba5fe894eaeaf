"""Bounded waiting: one retry policy with a cap on each wait and on the time per call; waits are shown."""

from __future__ import annotations

import io
import time

import pytest
from localserver import LocalServer, chat, json_reply

from gapeval.adapters.scripted import ScriptedAdapter, Transient
from gapeval.calls import Caller, CallPolicy
from gapeval.cli import main
from gapeval.errors import GapevalError
from gapeval.records import Message, OutputSpec, TextPart, TurnRequest
from gapeval.progress import Progress
from gapeval.store import Store

pytest.importorskip("httpx")

REQUEST = TurnRequest(request_id="r1", model="m", item="q1", seed=0, output=OutputSpec(kind="text"),
                      history=(Message(role="user", parts=(TextPart(text="2+2?"),)),))  # fmt: skip


def test_a_retry_after_of_an_hour_with_a_2_s_cap_fails_fast_and_the_run_exits_3(tmp_path, capsys):
    def busy(method, path, headers, body):
        return json_reply(429, {"error": {"message": "slow down"}}, **{"Retry-After": "3600"})

    with LocalServer(busy, limit=20) as server:
        started = time.perf_counter()
        code = main(["run", "--model", f"openai-http:base_url={server.url},model=m,name=busy", "--include", "items",
                     "--limit", "3", "--out", str(tmp_path), "--max-wait", "2", "--no-score"])  # fmt: skip
        seconds = time.perf_counter() - started
    assert code == 3 and seconds < 30
    err = capsys.readouterr().err
    assert "more than the 2 s cap on one wait (--max-wait)" in err
    with Store(tmp_path, create=False) as store:
        logged = [e.result for e in store.errors()]
    understanding = 1  # of the 3 first items (generation items are unsupported by a text-only server)
    assert len(logged) == understanding and all(r.transient and r.retry_after_s == 3600 for r in logged)
    assert all("Retry-After), more than the 2 s cap" in r.error and "re-run the same command" in r.error
               for r in logged)  # fmt: skip
    assert len(server.seen) == understanding  # one attempt each: the hour was not waited for


def test_waits_are_shown_and_the_call_then_succeeds(tmp_path):
    replies = iter([json_reply(429, {}, **{"Retry-After": "0.2"})])

    def once_busy(method, path, headers, body):
        return next(replies, None) or chat("4")

    stream = io.StringIO()
    with LocalServer(once_busy) as server:
        from gapeval.model_spec import parse_model_spec
        from gapeval.runner import RunConfig, run

        config = RunConfig(models=(parse_model_spec(f"openai-http:base_url={server.url},model=m"),),
                           include="items", limit=2, backoff_s=0.01)  # fmt: skip
        report = run(config, tmp_path, progress=Progress(stream=stream, every_s=1e9, enabled=True))
    assert report.complete
    assert "openai-http: waiting 0.2 s before retry 1 (the server's Retry-After; HTTP 429" in stream.getvalue()


def test_our_own_back_off_is_cut_to_the_cap_and_the_time_per_call_is_bounded():
    waits: list[float] = []
    policy = CallPolicy(max_retries=10, backoff_s=1.0, max_wait_s=3.0, max_call_s=None, sleep=waits.append)
    adapter = ScriptedAdapter({"q1": Transient(times=5)})
    assert Caller(adapter, policy).ask(REQUEST).status == "ok"
    assert waits == [1.0, 2.0, 3.0, 3.0, 3.0]
    now = [0.0]
    waits.clear()

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    policy = CallPolicy(max_retries=10, backoff_s=4.0, max_wait_s=100.0, max_call_s=20.0, sleep=sleep,
                        clock=lambda: now[0])  # fmt: skip
    result = Caller(ScriptedAdapter({"q1": Transient(times=9)}), policy).ask(REQUEST)
    assert waits == [4.0, 8.0] and result.status == "error" and result.transient
    assert "3 attempts took 12 s and the next wait (16 s) would pass the 20 s limit per call" in result.error


def test_the_caps_must_be_positive():
    with pytest.raises(GapevalError, match="must be positive seconds"):
        CallPolicy(max_wait_s=0)
    assert main(["run", "--model", "scripted", "--max-wait", "-1", "--out", "unused", "--dry-run"]) == 2
