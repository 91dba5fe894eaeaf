"""The one redaction pass: every string the store writes, the run's exact credentials, keyed URLs."""

from __future__ import annotations

from storekit import request, text_result

from gapeval.records import TextPart, TurnResult
from gapeval.store import Store
from gapeval.store.redact import Redactor, scrub, secrets_in

SECRET = "plainsecret4242"


def test_answers_refusals_errors_raw_and_requests_are_redacted(tmp_path):
    with Store(tmp_path, secrets={SECRET}) as store:
        ok = request("q1")
        store.put(ok, text_result(ok, f"the key is {SECRET}", raw={"echo": SECRET, "api_key": "x" * 20}))
        refused = request("q2")
        store.put(refused, TurnResult(request_id=refused.request_id, status="refused",
                                      output=TextPart(text=f"no, {SECRET}"), error=f"refused {SECRET}"))  # fmt: skip
        failed = request("q3")
        store.put(failed, TurnResult.failure(failed, f"HTTP 500 echo {SECRET}"))
        asked = request("q4").model_copy(update={"history": (
            request("q4").history[0].model_copy(update={"parts": (TextPart(text=f"repeat {SECRET}"),)}),)})
        store.put(asked, text_result(asked))
        store.put_score(ok, "s", 1.0, details={"quote": SECRET})
        store.write_manifest({"note": f"given {SECRET}"})
        answers = {a.key.unit: a for a in store.answers()}
        assert answers["q1"].result.output.text == "the key is <redacted>"
        assert answers["q1"].result.raw == {"echo": "<redacted>"}
        assert answers["q2"].result.output.text == "no, <redacted>" and answers["q2"].result.error == "refused <redacted>"
        assert store.errors()[0].result.error == "HTTP 500 echo <redacted>"
        assert answers["q4"].request.history[0].parts[0].text == "repeat <redacted>"
    stored = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    assert SECRET.encode() not in stored and b"x" * 20 not in stored


def test_secrets_arrive_from_options_environment_variables_and_urls():
    options = {"base_url": "https://user:pw-123456789@api.test/v1?alt=json&api_key=qk-abcdefgh",
               "api_key_env": "MY_VAR", "nested": {"token": "tok-12345678"}, "max_new_tokens": 12345678}  # fmt: skip
    assert secrets_in(options, environ={"MY_VAR": "from-env-0001"}) == {
        "pw-123456789", "qk-abcdefgh", "from-env-0001", "tok-12345678",
    }
    assert secrets_in({"api_key_env": "UNSET"}, environ={}) == frozenset()


def test_urls_lose_keyed_queries_and_user_info_but_keep_the_rest():
    assert scrub("GET https://h.test/v1/x?alt=json&key=AB12cd34 failed") == "GET https://h.test/v1/x failed"
    assert scrub("see https://u:p@h.test/a?page=2") == "see https://h.test/a?page=2"
    assert scrub("see https://h.test/a?page=2#top") == "see https://h.test/a?page=2#top"


def test_prose_is_not_taken_for_a_credential_but_environment_credentials_are(monkeypatch):
    assert scrub("Basic shapes: Bearer of news. Basic dXNlcjpwYXNz") == "Basic shapes: Bearer of news. <redacted>"
    monkeypatch.setenv("SERVICE_TOKEN", "env-token-value-77")
    assert Redactor().text("got env-token-value-77") == "got <redacted>"
    assert scrub("got env-token-value-77") == "got <redacted>"
    assert Redactor(environment=False).text("got env-token-value-77") == "got env-token-value-77"
