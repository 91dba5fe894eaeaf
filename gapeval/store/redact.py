"""Strip credentials from anything the store writes (configs, fingerprints, raw extras, errors).

Keys that name a credential are dropped (the key and its value): ``api_key``, ``authorization``,
``token``, ``password``, ``secret``, ``cookie`` and their variants (case, ``-`` or ``_``, prefixes
such as ``openai_api_key``, ``hf_token``, ``x-api-key``). String values that look like a credential
(``Bearer ...``, ``sk-...``, ``hf_...`` tokens) are replaced by ``<redacted>`` wherever they occur.

Examples
--------
>>> redact({"base_url": "http://localhost:8000", "api_key": "sk-abc", "headers":
...         {"Authorization": "Bearer xyz", "Accept": "json"}})
{'base_url': 'http://localhost:8000', 'headers': {'Accept': 'json'}}
>>> scrub("HTTP 401 for header Authorization: Bearer sk-proj-abcdefghijklmnop1234")
'HTTP 401 for header Authorization: <redacted>'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "is_secret_key", "redact", "scrub"]

REDACTED = "<redacted>"

_SECRET_NAMES = frozenset(
    {
        "apikey",
        "api_key",
        "auth",
        "authorization",
        "proxy_authorization",
        "bearer",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "cookie",
        "set_cookie",
        "credentials",
        "private_key",
        "session_token",
    }
)
_SECRET_SUFFIXES = ("_api_key", "_apikey", "_token", "_secret", "_password", "_credentials")

_SECRET_VALUES = re.compile(
    r"(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"  # HTTP authorization values
    r"|\bsk-[A-Za-z0-9_-]{16,}"  # OpenAI-style keys
    r"|\bhf_[A-Za-z0-9]{20,}"  # Hugging Face tokens
    r"|\bAIza[0-9A-Za-z_-]{30,}"  # Google API keys
)


def is_secret_key(name: str) -> bool:
    """Whether a mapping key names a credential.

    Examples
    --------
    >>> [is_secret_key(k) for k in ("API-Key", "hf_token", "max_new_tokens", "tokenizer")]
    [True, True, False, False]
    """
    normal = name.strip().lower().replace("-", "_")
    if normal.startswith("x_"):
        normal = normal[2:]
    return normal in _SECRET_NAMES or normal.endswith(_SECRET_SUFFIXES)


def scrub(text: str) -> str:
    """Replace credential-looking substrings of ``text`` by ``<redacted>``."""
    return _SECRET_VALUES.sub(REDACTED, text)


def redact(value: Any) -> Any:
    """Return a copy of ``value`` with credential keys dropped and credential strings scrubbed.

    Mappings (whose keys are turned into strings), lists and tuples are walked recursively; other
    values are returned unchanged. The input is never modified.
    """
    if isinstance(value, Mapping):
        return {
            str(key): redact(item) for key, item in value.items() if not is_secret_key(str(key))
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return scrub(value)
    return value
