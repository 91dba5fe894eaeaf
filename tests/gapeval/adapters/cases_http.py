"""Contract cases for the OpenAI-compatible HTTP adapter, against a deterministic mock server.

:class:`FakeServer` is the handler of an ``httpx.MockTransport``: it answers
``/chat/completions`` with a text derived from a hash of the JSON payload (so the same seed and
history give the same answer), and ``/images/generations`` / ``/images/edits`` with a PNG whose
colour is derived from a hash of the request (multipart boundaries removed). It records every
request, and can be told to answer some calls with a canned response first.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
from collections.abc import Callable

from adapterkit import SyncShim

MISSING = [m for m in ("httpx",) if importlib.util.find_spec(m) is None]
SKIP_REASON = f"the HTTP adapter needs {', '.join(MISSING)}" if MISSING else None

BASE_URL = "http://fake-llm.test/v1"


def png(colour: tuple[int, int, int], size: tuple[int, int] = (32, 32)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).ellipse((4, 4, size[0] - 4, size[1] - 4), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class FakeServer:
    """A deterministic OpenAI-compatible server for ``httpx.MockTransport``."""

    def __init__(self, canned: list | None = None) -> None:
        self.canned = list(canned or [])
        """Responses (``httpx.Response`` or exceptions to raise) served before normal answers."""
        self.requests: list = []

    def __call__(self, request):
        import httpx

        self.requests.append(request)
        if self.canned:
            reply = self.canned.pop(0)
            if isinstance(reply, Exception):
                raise reply
            return reply
        path = request.url.path
        body = request.content
        if path.endswith("/chat/completions"):
            digest = hashlib.sha256(body).hexdigest()
            payload = json.loads(body)
            return httpx.Response(200, json={
                "id": f"chatcmpl-{digest[:8]}", "model": payload["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": f"answer {digest[:10]}"}}],
                "usage": {"prompt_tokens": len(body) // 100, "completion_tokens": 2},
            })
        if path.endswith("/images/generations") or path.endswith("/images/edits"):
            boundary = request.headers.get("content-type", "").partition("boundary=")[2]
            stable = body.replace(boundary.encode(), b"") if boundary else body
            digest = hashlib.sha256(stable).digest()
            picture = png((digest[0], digest[1], digest[2]))
            return httpx.Response(200, json={"created": 0, "data": [
                {"b64_json": base64.b64encode(picture).decode()}]})
        return httpx.Response(404, json={"error": {"message": f"no route {path}"}})


def make_adapter(server: FakeServer | None = None, **options):
    import httpx

    from gapeval.adapters.openai_http import OpenAIHTTPAdapter

    defaults = dict(model="fake-omni")
    handler = server if server is not None else FakeServer()
    return OpenAIHTTPAdapter(
        BASE_URL, transport=httpx.MockTransport(handler), **{**defaults, **options}
    )


CASES: dict[str, Callable[[], object]] = {
    "openai-http-omni": lambda: SyncShim(make_adapter(image_output=True, concurrency=3)),
    "openai-http-chat-only": lambda: SyncShim(make_adapter(image_output=False)),
}
