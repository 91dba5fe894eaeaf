"""A small HTTP server on 127.0.0.1 for tests (not a test module): one per test, shut down after it.

``with LocalServer(reply) as server:`` serves ``reply(method, path, headers, body)`` — which returns
``(status, headers, body)`` — on ``server.url`` from a daemon thread, records every request in
``server.seen``, and refuses to answer more than ``limit`` requests (a runaway client fails the
test instead of hanging it).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


def json_reply(status: int, body: Any, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """A JSON response."""
    return status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()


def chat(content: str | None = None, *, refusal: str | None = None, **extra: Any) -> tuple[int, dict[str, str], bytes]:
    """A 200 chat completion (OpenAI's shape)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    body = {"choices": [{"index": 0, "finish_reason": "stop", "message": message}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2}, **extra}  # fmt: skip
    return json_reply(200, body)


class LocalServer:
    """An HTTP server on 127.0.0.1 answering with ``reply``; at most ``limit`` requests."""

    def __init__(self, reply: Reply, *, limit: int = 200) -> None:
        self.reply, self.limit = reply, limit
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                owner.seen.append((self.command, self.path, headers))
                if len(owner.seen) > owner.limit:
                    status, extra, content = 503, {}, b"test server: request limit reached"
                else:
                    status, extra, content = owner.reply(self.command, self.path, headers, body)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _serve  # noqa: N815 - http.server's naming

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
