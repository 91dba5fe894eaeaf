"""Adapter for OpenAI-compatible HTTP servers: OpenAI, vLLM, vLLM-Omni, SGLang and alike.

Understanding turns are ``POST {base_url}/chat/completions`` with the whole history as messages
whose content is text parts and ``image_url`` parts (``data:`` URLs holding base64 PNG). Chat APIs
take images only in user messages, so an image the model produced in an earlier turn (an
assistant message) is sent right after that message as a user message
``"Image from your previous answer:"`` + the image. With ``image_output=True``, generation turns
are ``POST {base_url}/images/generations`` (the history's text as prompt) or, when the history
holds an image, ``POST {base_url}/images/edits`` (multipart, with the last history image);
otherwise generation turns are ``unsupported``.

Outcomes: a 200 with content is ``ok`` (usage from the response); ``finish_reason ==
"content_filter"``, a ``refusal`` field or a ``content_policy_violation`` error is ``refused``;
429, 408/409, 5xx, time-outs and dropped connections are a transient ``error`` with the server's
``Retry-After`` in ``retry_after_s``, which the caller retries (:class:`gapeval.calls.Caller`, the
one retry policy of the runner and the judges; the adapter makes one attempt per turn); other 4xx are
permanent errors with the server's message on one line; an unreachable server is an error naming
``base_url``. The API key is read from the environment variable named by ``api_key_env`` and never
appears in the fingerprint, results, errors or ``repr``.
"""

from __future__ import annotations

import asyncio
import base64
import io
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from gapeval.adapters.base import (
    Capabilities,
    check_results,
    library_versions,
    unsupported_reason,
)
from gapeval.adapters.openai_messages import (
    chat_messages,
    data_url,
    history_prompt,
    parse_retry_after,
    public_url,
)
from gapeval.errors import GapevalError
from gapeval.extras import require
from gapeval.records import ImagePart, TextPart, TurnRequest, TurnResult, Usage

__all__ = ["OpenAIHTTPAdapter", "chat_messages", "data_url", "parse_retry_after"]

_NEEDED_BY = "adapter 'openai-http'"
_RETRIED = frozenset({408, 409, 429}) | frozenset(range(500, 600))


class _Transient(Exception):
    """A response or failure worth retrying, with the server's wait hint."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class _DownloadFailed(Exception):
    """The image URL a server returned could not be downloaded (the message names that URL)."""


class OpenAIHTTPAdapter:
    """An OpenAI-compatible HTTP server as an :class:`~gapeval.adapters.base.AsyncAdapter`.

    Parameters
    ----------
    base_url : str
        API root, e.g. ``http://localhost:8000/v1`` (vLLM, SGLang) or ``https://api.openai.com/v1``.
    model : str
        The server's model name (the ``model`` field of every request).
    api_key_env : str or None
        Name of the environment variable holding the API key (sent as ``Authorization: Bearer``);
        ``None`` sends no key (local servers).
    timeout_s : float
        Per-request time-out in seconds.
    concurrency : int
        Most requests in flight at once.
    image_output : bool
        Answer generation turns through ``/images/generations`` and ``/images/edits``.
    image_size : str or None
        ``size`` sent to the image endpoints (e.g. ``"1024x1024"``); ``None`` sends the requested
        ``WIDTHxHEIGHT``. The image is resized to the requested size in any case.
    max_tokens_field : str
        Name of the token limit field (``max_tokens``; ``max_completion_tokens`` for newer OpenAI
        models).
    extra_body : mapping or None
        Extra JSON fields merged into every chat payload (e.g. ``{"top_k": 1}`` for vLLM).
    transport : httpx.AsyncBaseTransport or None
        Transport for the client (tests pass a mock); ``None`` uses the network.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = None,
        timeout_s: float = 120.0,
        concurrency: int = 8,
        image_output: bool = False,
        image_size: str | None = None,
        max_tokens_field: str = "max_tokens",
        extra_body: Mapping[str, Any] | None = None,
        transport: Any = None,
    ) -> None:
        if not urlsplit(base_url).scheme.startswith("http"):
            raise GapevalError(
                f"base_url {public_url(base_url)!r} is not an http(s) URL; "
                "give e.g. http://localhost:8000/v1"
            )
        if concurrency < 1 or timeout_s <= 0:
            raise GapevalError(
                f"concurrency must be >= 1 and timeout_s > 0; got {concurrency}, {timeout_s}"
            )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout_s = float(timeout_s)
        self.concurrency = int(concurrency)
        self.image_output = bool(image_output)
        self.image_size = image_size
        self.max_tokens_field = max_tokens_field
        self.extra_body = dict(extra_body or {})
        self.transport = transport
        self.attempts = 0
        """HTTP requests sent so far."""
        self._headers: dict[str, str] = {}
        self._secret: str | None = None
        self._bound: tuple[asyncio.AbstractEventLoop, Any, asyncio.Semaphore] | None = None

    def __repr__(self) -> str:
        return f"OpenAIHTTPAdapter(base_url={public_url(self.base_url)!r}, model={self.model!r})"

    # -- protocol -------------------------------------------------------------------------

    def load(self) -> None:
        """Check that httpx is installed and read the API key (no network call)."""
        require("httpx", needed_by=_NEEDED_BY)
        import os

        self._headers = {}
        if self.api_key_env is not None:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise GapevalError(
                    f"environment variable {self.api_key_env} (api_key_env) is not set or empty; "
                    "export the API key there, or drop api_key_env for a server without keys"
                )
            self._secret = key
            self._headers["Authorization"] = f"Bearer {key}"

    async def close(self) -> None:
        """Close the HTTP clients."""
        bound, self._bound = self._bound, None
        if bound is not None:
            try:
                await bound[1].aclose()
            except RuntimeError:  # its event loop is gone
                pass

    def capabilities(self) -> Capabilities:
        """Text and images in; text out, and images out when ``image_output``."""
        return Capabilities(
            text_in=True, image_in=True, text_out=True, image_out=self.image_output,
            max_batch=self.concurrency, seeded=True,
        )

    def fingerprint(self) -> dict[str, Any]:
        """Endpoint (without credentials), model name, image settings, library versions."""
        return {
            "adapter": "openai-http",
            "base_url": public_url(self.base_url),
            "model": self.model,
            "image_output": self.image_output,
            "image_size": self.image_size,
            "extra_body": {k: self.extra_body[k] for k in sorted(self.extra_body)},
            "libraries": library_versions("gapeval", "httpx"),
        }

    async def run_turns(self, requests: Sequence[TurnRequest]) -> list[TurnResult]:
        """Answer each request concurrently; same length and order; never raises for one."""
        capabilities = self.capabilities()
        results = await asyncio.gather(
            *(self._answer(request, capabilities) for request in requests)
        )
        check_results(requests, results)
        return list(results)

    # -- one request ----------------------------------------------------------------------

    async def _answer(self, request: TurnRequest, capabilities: Capabilities) -> TurnResult:
        reason = unsupported_reason(request, capabilities)
        if reason is not None:
            return TurnResult.unsupported(request, reason)
        started = time.perf_counter()
        try:
            if request.output.kind == "text":
                result = await self._chat(request)
            else:
                result = await self._image(request)
        except Exception as error:  # noqa: BLE001 - one bad request must not stop the run
            result = self._failure(request, error)
        return result.model_copy(update={"latency_s": time.perf_counter() - started})

    def _failure(self, request: TurnRequest, error: Exception) -> TurnResult:
        httpx = require("httpx", needed_by=_NEEDED_BY)
        url = public_url(self.base_url)
        if isinstance(error, _Transient):
            message = f"{error} from {url}"
            return TurnResult.failure(
                request, self._clean(message), transient=True, retry_after_s=error.retry_after_s
            )
        if isinstance(error, _DownloadFailed):
            return TurnResult.failure(request, self._clean(str(error)))
        if isinstance(error, httpx.ConnectError):
            message = f"cannot reach {url} ({self._clean(str(error)) or 'connection failed'}); "
            return TurnResult.failure(request, message + "is the server running at that URL?")
        text = str(error).splitlines()[0] if str(error) else type(error).__name__
        return TurnResult.failure(request, self._clean(f"{type(error).__name__}: {text}"))

    def _clean(self, text: str) -> str:
        """``text`` on one line, with the API key removed."""
        line = " ".join(text.split())
        return line.replace(self._secret, "<redacted>") if self._secret else line

    def _payload(self, request: TurnRequest) -> dict[str, Any]:
        decoding = request.decoding
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": chat_messages(request.history),
            "seed": request.seed,
            "temperature": decoding.temperature,
            "top_p": decoding.top_p,
            self.max_tokens_field: decoding.max_new_tokens,
        }
        if decoding.top_k is not None:
            payload["top_k"] = decoding.top_k
        return {**payload, **self.extra_body}

    async def _chat(self, request: TurnRequest) -> TurnResult:
        body = await self._post(request, "chat/completions", json=self._payload(request))
        if isinstance(body, TurnResult):
            return body
        choice = (body.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        counts = body.get("usage") or {}
        usage = Usage(
            input_tokens=counts.get("prompt_tokens"), output_tokens=counts.get("completion_tokens")
        )
        finish = choice.get("finish_reason")
        raw = {k: body[k] for k in ("id", "model", "system_fingerprint") if body.get(k)}
        raw["finish_reason"] = finish
        content = message.get("content")
        if isinstance(content, list):  # some servers return content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        refusal = message.get("refusal")
        if refusal or finish == "content_filter":
            text = refusal or content or "the server's content filter stopped the answer"
            return TurnResult(
                request_id=request.request_id, status="refused", output=TextPart(text=text),
                error=self._clean(text), usage=usage, raw=raw,
            )
        if content is None:
            return TurnResult.failure(request, f"the server's answer has no content: {raw}")
        return TurnResult(
            request_id=request.request_id, status="ok", output=TextPart(text=content),
            usage=usage, raw=raw,
        )

    async def _image(self, request: TurnRequest) -> TurnResult:
        wanted = (request.output.width, request.output.height)
        size = self.image_size or f"{wanted[0]}x{wanted[1]}"
        fields = {"model": self.model, "prompt": history_prompt(request.history), "n": 1,
                  "size": size, "response_format": "b64_json"}
        images = request.images
        if images:
            png = base64.b64decode(data_url(images[-1]).split(",", 1)[1])
            files = {"image": ("image.png", png, "image/png")}
            body = await self._post(request, "images/edits", data=fields, files=files)
        else:
            body = await self._post(request, "images/generations", json=fields)
        if isinstance(body, TurnResult):
            return body
        item = (body.get("data") or [{}])[0]
        if item.get("b64_json"):
            data = base64.b64decode(item["b64_json"])
        elif item.get("url"):
            data = await self._download(item["url"])
        else:
            return TurnResult.failure(request, "the image endpoint returned no b64_json or url")
        from PIL import Image

        with Image.open(io.BytesIO(data)) as picture:
            image = picture.convert("RGB")
        if image.size != wanted:
            image = image.resize(wanted, Image.Resampling.LANCZOS)
        raw: dict[str, Any] = {"endpoint": "edits" if images else "generations", "size": size}
        if item.get("revised_prompt"):
            raw["revised_prompt"] = item["revised_prompt"]
        part = ImagePart.from_image(image, origin="model")
        return TurnResult(request_id=request.request_id, status="ok", output=part, raw=raw)

    # -- HTTP ------------------------------------------------------------------------------

    def _client(self) -> tuple[Any, asyncio.Semaphore]:
        """The client and semaphore of the running event loop (both are bound to one loop)."""
        httpx = require("httpx", needed_by=_NEEDED_BY)
        loop = asyncio.get_running_loop()
        if self._bound is None or self._bound[0] is not loop:
            parts = urlsplit(self.base_url)  # a query (e.g. ?key=...) is sent with every request
            client = httpx.AsyncClient(
                base_url=urlunsplit((*parts[:2], parts.path.rstrip("/") + "/", "", "")),
                params=parse_qsl(parts.query, keep_blank_values=True), headers=self._headers,
                timeout=self.timeout_s, transport=self.transport,
            )
            self._bound = (loop, client, asyncio.Semaphore(self.concurrency))
        return self._bound[1], self._bound[2]

    async def _download(self, url: str) -> bytes:
        """GET an image URL returned by the server, without sending the API key there."""
        httpx = require("httpx", needed_by=_NEEDED_BY)
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, transport=self.transport) as client:
                response = await client.get(url)
            response.raise_for_status()
        except httpx.HTTPError as error:
            detail = f"HTTP {error.response.status_code}" if isinstance(error, httpx.HTTPStatusError) else (
                f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else 'no detail'}")
            raise _DownloadFailed(
                f"the image the server returned could not be downloaded from {public_url(url)} ({detail})"
            ) from error
        return response.content

    async def _post(
        self, request: TurnRequest, path: str, **kwargs: Any
    ) -> dict[str, Any] | TurnResult:
        """POST once: the JSON body, a ``refused``/``error`` result, or raise (:class:`_Transient`)."""
        httpx = require("httpx", needed_by=_NEEDED_BY)
        client, semaphore = self._client()
        try:
            async with semaphore:
                self.attempts += 1
                response = await client.post(path, **kwargs)
        except httpx.ConnectError:
            raise  # an unreachable server: reported at once, not transient
        except httpx.TimeoutException as error:
            raise _Transient(f"no answer within {self.timeout_s:g} s (time-out: {type(error).__name__})") from error
        except (httpx.NetworkError, httpx.RemoteProtocolError) as error:
            detail = str(error).splitlines()[0] if str(error) else "no detail"
            raise _Transient(f"the connection dropped before the answer ({type(error).__name__}: {detail})") from error
        return self._read(request, response, path)

    def _read(self, request: TurnRequest, response: Any, path: str) -> dict[str, Any] | TurnResult:
        """The body of a 200; raise :class:`_Transient` for 429/5xx; a result for other errors."""
        if response.status_code in _RETRIED:
            retry_after = parse_retry_after(response.headers)
            raise _Transient(f"HTTP {response.status_code}", retry_after_s=retry_after)
        try:
            body = response.json()
        except ValueError:
            if response.status_code == 200:
                text = " ".join(response.text[:120].split()) or "an empty body"
                return TurnResult.failure(
                    request, self._clean(f"the server's 200 answer from {public_url(self.base_url)}/{path} "
                                         f"is not JSON: {text!r}")  # fmt: skip
                )
            body = {"error": {"message": response.text[:200]}}
        if response.status_code == 200 and isinstance(body, dict):
            return body
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {"message": str(error or body)}
        message = self._clean(str(error.get("message") or "no message"))
        if error.get("code") == "content_policy_violation":
            return TurnResult(
                request_id=request.request_id, status="refused", output=TextPart(text=message),
                error=message,
            )
        hint = ""
        if response.status_code in (401, 403):
            hint = f" (check the API key in ${self.api_key_env})" if self.api_key_env else (
                " (the server wants an API key: set api_key_env)"
            )
        url = f"{public_url(self.base_url)}/{path}"
        message = f"HTTP {response.status_code} from {url}: {message}{hint}"
        return TurnResult.failure(request, message)
