"""The HTTP adapter's messages name the real cause: a time-out, a dropped connection, a body that is
not JSON, an image URL that cannot be downloaded."""

from __future__ import annotations

import asyncio

import pytest
from adapterkit import image_request, text_request

httpx = pytest.importorskip("httpx")

from cases_http import BASE_URL, FakeServer, make_adapter  # noqa: E402


def answer(server, request, **options):
    adapter = make_adapter(server, **options)
    adapter.load()

    async def go():
        try:
            return await adapter.run_turns([request])
        finally:
            await adapter.close()

    return asyncio.run(go())[0]


def test_a_time_out_and_a_dropped_connection_are_told_apart():
    timed_out = answer(FakeServer([httpx.ReadTimeout("slow")]), text_request("q1"), timeout_s=7)
    dropped = answer(FakeServer([httpx.RemoteProtocolError("peer closed connection")]), text_request("q1"))
    assert timed_out.transient and timed_out.error.startswith("no answer within 7 s (time-out: ReadTimeout)")
    assert dropped.transient and "connection dropped" in dropped.error and "time-out" not in dropped.error
    assert "peer closed connection" in dropped.error


def test_a_200_that_is_not_json_says_so():
    result = answer(FakeServer([httpx.Response(200, text="<html>gateway</html>")]), text_request("q1"))
    assert result.status == "error" and not result.transient
    assert result.error == f"the server's 200 answer from {BASE_URL}/chat/completions is not JSON: '<html>gateway</html>'"


def test_a_failed_image_download_names_the_image_url_not_the_api():
    def server(request):
        if request.url.path.endswith("/images/generations"):
            return httpx.Response(200, json={"data": [{"url": "https://cdn.test/img/1.png?sig=abc12345678"}]})
        return httpx.Response(404)

    result = answer(server, image_request("g1"), image_output=True)
    assert result.status == "error"
    assert result.error == "the image the server returned could not be downloaded from https://cdn.test/img/1.png (HTTP 404)"
