"""Messages for OpenAI-compatible servers: chat payloads with data-URL images, Retry-After, URLs.

Chat APIs accept images only from the user, so an image in an earlier assistant message (the
model's own output) is sent as ``[image]`` in that message followed by a user message "Image from
your previous answer:" holding the image.
"""

from __future__ import annotations

import base64
import email.utils
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gapeval.records import ImagePart, Message, TextPart

__all__ = ["chat_messages", "data_url", "history_prompt", "parse_retry_after", "public_url"]

_PREVIOUS_IMAGE = "Image from your previous answer:"


def data_url(part: ImagePart) -> str:
    """The image as a ``data:image/png;base64,...`` URL (re-encoded to PNG if it is not one).

    Examples
    --------
    >>> from PIL import Image
    >>> data_url(ImagePart.from_image(Image.new("RGB", (1, 1)), origin="input"))[:30]
    'data:image/png;base64,iVBORw0K'
    """
    data = part.read_bytes()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        from gapeval.records import encode_png

        data = encode_png(part.open())
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _content(message: Message) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": part.text}
        if isinstance(part, TextPart)
        else {"type": "image_url", "image_url": {"url": data_url(part)}}
        for part in message.parts
    ]


def chat_messages(history: Sequence[Message]) -> list[dict[str, Any]]:
    """The history as chat-completions messages (see the module docstring for images).

    Examples
    --------
    >>> history = (Message(role="user", parts=(TextPart(text="Hi"),)),
    ...            Message(role="assistant", parts=(TextPart(text="Hello"),)))
    >>> chat_messages(history)
    [{'role': 'user', 'content': [{'type': 'text', 'text': 'Hi'}]}, \
{'role': 'assistant', 'content': 'Hello'}]
    """
    messages: list[dict[str, Any]] = []
    for message in history:
        if message.role == "user":
            messages.append({"role": "user", "content": _content(message)})
            continue
        text = message.text or ("[image]" if message.images else "")
        messages.append({"role": message.role, "content": text})
        if message.images:
            shown = Message(role="user", parts=(TextPart(text=_PREVIOUS_IMAGE), *message.images))
            messages.append({"role": "user", "content": _content(shown)})
    return messages


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or ``retry-after-ms``.

    Examples
    --------
    >>> parse_retry_after({"retry-after": "2"}), parse_retry_after({"retry-after-ms": "150"})
    (2.0, 0.15)
    >>> parse_retry_after({}) is None, parse_retry_after({"Retry-After": "soon"}) is None
    (True, True)
    >>> parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    0.0
    """
    lower = {key.lower(): value for key, value in headers.items()}
    if "retry-after-ms" in lower:
        try:
            return max(0.0, float(lower["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    value = lower.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # neither seconds nor an HTTP date: ignore the header
    return max(0.0, when.timestamp() - time.time())


def history_prompt(history: Sequence[Message]) -> str:
    if len(history) == 1:
        return history[0].text
    return "\n".join(f"{m.role}: {m.text}" for m in history if m.text)


def public_url(url: str) -> str:
    """``url`` without user info, query or fragment (those may hold credentials)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
